// `charnn train`: options -> TrainConfig + ModelConfig -> Trainer, one line per epoch.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "charnn/io/sha256.h"
#include "charnn/nn/blas.h"
#include "charnn/text/utf8.h"
#include "charnn/train/presets.h"
#include "charnn/train/trainer.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct TrainOptions {
  std::string preset, text, data_dir, out;
  std::optional<int> layers, hidden, seq, batch, epochs, threads;
  std::optional<std::vector<float>> dropout;
  std::optional<std::string> optimizer;
  std::optional<float> lr;
  std::optional<double> clip, val_fraction;
  std::optional<uint64_t> seed;
};

void print_epoch(const EpochReport& r) {
  const EpochRecord& e = r.record;
  std::string validation = "val -";
  if (std::isfinite(e.validation_loss)) {
    validation = fmt::format("val {:.4f}  val bpc {:.3f}", e.validation_loss, e.validation_loss / std::log(2.0));
  }
  fmt::print("epoch {:>{}}/{}  train {:.4f}  {}  {:>8.0f} chars/s{}{}\n", e.epoch,
             fmt::formatted_size("{}", r.epochs), r.epochs, e.train_loss, validation, e.chars_per_second,
             r.improved ? "  best" : "", r.overfitting ? "  (val up, train down: overfitting?)" : "");
  if (!r.checkpoint_warning.empty()) fmt::print(stderr, "charnn: warning: checkpoint not written: {}\n", r.checkpoint_warning);
  std::fflush(stdout);
}

void run_train(const TrainOptions& o) {
  TrainConfig train;
  ModelConfig model;
  std::string text_path;
  as_usage_error([&] {
    if (!o.preset.empty()) {
      const Preset& p = find_preset(o.preset);
      train.preset = p.name;
      train.seq_length = p.seq_length;
      train.batch_size = p.batch_size;
      train.epochs = p.epochs;
      train.optimizer.kind = p.optimizer;
      model.layers = p.layers;
      model.hidden = p.hidden;
      model.dropout = p.dropout;
    } else {
      model.hidden = 128;
      model.layers = 2;
      model.dropout = {0.2f, 0.2f};
      train.epochs = 20;
    }
    if (o.layers) model.layers = *o.layers;
    if (o.hidden) model.hidden = *o.hidden;
    if (o.dropout) model.dropout = *o.dropout;
    model.dropout = expand_dropout(model.dropout, model.layers);
    if (o.seq) train.seq_length = *o.seq;
    if (o.batch) train.batch_size = *o.batch;
    if (o.epochs) train.epochs = *o.epochs;
    if (o.optimizer) train.optimizer.kind = optimizer_from_name(*o.optimizer);
    if (o.lr) train.optimizer.learning_rate = *o.lr;
    if (o.clip) train.clip_norm = *o.clip;
    if (o.seed) train.seed = *o.seed;
    if (o.val_fraction) train.validation_fraction = *o.val_fraction;
    if (o.threads && *o.threads < 1) throw UsageError("--threads must be at least 1");
    train.validate();
  });
  if (o.threads) blas_set_threads(*o.threads);
  text_path = o.preset.empty() ? o.text : locate_preset_corpus(find_preset(o.preset), o.data_dir);
  const std::string bytes = read_file_bytes(text_path);
  const std::u32string text = utf8_decode(bytes, text_path);
  if (text.empty()) throw Error(fmt::format("{}: the text is empty", text_path));
  train.text_path = text_path;
  train.text_sha256 = sha256_hex(bytes);
  Vocabulary vocabulary = Vocabulary::from_text(text);
  std::vector<int32_t> tokens = vocabulary.encode(text, text_path);
  model.vocab_size = vocabulary.size();
  as_usage_error([&] { model.validate(); });

  std::string out = o.out;
  if (out.empty()) out = "runs/" + (o.preset.empty() ? std::filesystem::path(o.text).stem().string() : o.preset);
  Trainer trainer(train, model, std::move(vocabulary), std::move(tokens), out);
  const size_t parameters = trainer.model().layout.parameter_count();
  fmt::print("{}: {} characters, {} distinct; {} windows of {} ({} train, {} validation)\n", text_path, text.size(),
             model.vocab_size, trainer.split().train.size() + trainer.split().validation.size(), train.seq_length,
             trainer.split().train.size(), trainer.split().validation.size());
  fmt::print("model: {} x LSTM {} (dropout {}), {} parameters; {} lr {}, batch {}, {} epochs, seed {} -> {}\n",
             model.layers, model.hidden, fmt::join(model.dropout, ","), parameters,
             optimizer_name(train.optimizer.kind), train.optimizer.learning_rate, train.batch_size, train.epochs,
             train.seed, out);
  std::fflush(stdout);
  trainer.run(print_epoch);
  const TrainProgress& progress = trainer.progress();
  fmt::print("done: best validation loss {:.4f} ({:.3f} bits/char) at epoch {}; checkpoints in {}\n",
             progress.best_validation_loss, progress.best_validation_loss / std::log(2.0), progress.best_epoch, out);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a text file or a named preset.\n\n"
                                              "Examples:\n"
                                              "  charnn train --preset municipios\n"
                                              "  charnn train --text poems.txt --layers 2 --hidden 256 --epochs 30");
  auto* preset = cmd->add_option("--preset", o->preset, "a named experiment: municipios or grimm");
  auto* text = cmd->add_option("--text", o->text, "the UTF-8 text file to learn from");
  preset->excludes(text);
  cmd->add_option("--data-dir", o->data_dir, "where preset corpora live (else $CHARNN_DATA, then ../shared/data)");
  cmd->add_option("--out", o->out, "run directory for checkpoints (default runs/<preset or file name>)");
  cmd->add_option("--layers", o->layers, "LSTM layers");
  cmd->add_option("--hidden", o->hidden, "units per LSTM layer");
  cmd->add_option("--seq", o->seq, "sequence length T (characters per window)");
  cmd->add_option("--batch", o->batch, "minibatch size B (windows per step)");
  cmd->add_option("--epochs", o->epochs, "passes over the training windows");
  cmd->add_option("--dropout", o->dropout, "dropout after each layer, in order; missing layers get 0")->delimiter(',');
  cmd->add_option("--optimizer", o->optimizer, "rmsprop or adam");
  cmd->add_option("--lr", o->lr, "learning rate (default 0.001)");
  cmd->add_option("--clip", o->clip, "global gradient-norm clip, 0 = off (default 5)");
  cmd->add_option("--seed", o->seed, "seed for initialisation, split, shuffling and dropout (default 1)");
  cmd->add_option("--val-fraction", o->val_fraction, "share of windows held out for validation (default 0.05)");
  cmd->add_option("--threads", o->threads, "threads for matrix products (default: all cores)");
  cmd->callback([o] {
    if (o->preset.empty() && o->text.empty()) throw UsageError("train needs --preset NAME or --text FILE");
    run_train(*o);
  });
}

}  // namespace charnn::cli
