// `charnn train`: options -> TrainConfig + ModelConfig -> Trainer, one line per
// epoch; or --resume DIR: the newest good checkpoint -> Trainer. Launched by
// mpirun as several ranks ($OMPI_COMM_WORLD_SIZE or $PMI_SIZE above 1), every
// rank does the same and they train one model together; rank 0 alone speaks.
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "charnn/io/run_directory.h"
#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/blas.h"
#include "charnn/train/collective.h"
#include "charnn/train/corpus.h"
#include "charnn/train/corpus_defaults.h"
#include "charnn/train/presets.h"
#include "charnn/train/shared_checkpoint.h"
#include "charnn/train/trainer.h"
#include "cli/commands.h"
#include "cli/rank_coordination.h"
#include "cli/stop_signals.h"
#include "cli/threads_option.h"
#include "cli/train_report.h"

namespace charnn::cli {

namespace {

struct TrainOptions {
  std::string preset, text, data_dir, out, resume;
  std::optional<int> layers, hidden, seq, batch, epochs, threads;
  std::optional<std::vector<float>> dropout;
  std::optional<std::string> optimizer, precision;
  std::optional<float> lr;
  std::optional<double> clip, val_fraction;
  std::optional<uint64_t> seed;
  std::optional<int> patience, lr_decay_after;
  std::optional<float> lr_decay;
  int64_t checkpoint_every = 0;
  int keep = 3;
  bool quiet = false, log_json = false;
};

// Steps whose loss is poisoned once, from $CHARNN_FAULT_NONFINITE_STEPS
// ("5,6,7"): failure injection for the divergence-guard tests.
std::set<int64_t> injected_faults() {
  std::set<int64_t> steps;
  const char* env = std::getenv("CHARNN_FAULT_NONFINITE_STEPS");
  if (env == nullptr) return steps;
  std::stringstream list(env);
  for (std::string item; std::getline(list, item, ',');) {
    if (!item.empty()) steps.insert(std::stoll(item));
  }
  return steps;
}

// Open MPI hands its ranks a pseudo-terminal whatever mpirun writes to (a log
// file, usually), so a multi-rank run prints plain lines, not a live one.
ReportStyle report_style(const TrainOptions& o, const Collective& world) {
  const ReportStyle style = choose_report_style(o.quiet, o.log_json);
  return style == ReportStyle::live && world.size() > 1 ? ReportStyle::plain : style;
}

// bf16 trains on every CPU, but only AMX makes it faster than f32: a notice,
// not an error.
void warn_if_bf16_without_amx(const TrainConfig& train, const TrainReporter& reporter) {
  if (train.precision != Precision::bf16 || bf16_uses_amx()) return;
  const std::string_view kernel = bf16_products_engine();
  if (kernel == "portable") {
    reporter.notice("bf16: the bf16 products run on a portable loop (no AMX, AVX-512 or AVX2), far slower than f32");
  } else {
    reporter.notice(fmt::format("bf16: AMX is not in use; the bf16 products run on {}, slower than f32 for "
                                "training (sampling gains: it reads half the bytes)",
                                kernel));
  }
}

TrainerOptions trainer_options(const TrainOptions& o, TrainReporter& reporter, Collective& world) {
  TrainerOptions options;
  options.collective = &world;
  options.checkpoint_every = o.checkpoint_every;
  options.keep = o.keep;
  options.stop = &install_stop_signals();
  options.on_epoch = [&reporter](const EpochReport& r) { reporter.epoch(r); };
  options.on_step = [&reporter](const StepReport& r) { reporter.step(r); };
  options.on_notice = [&reporter](const std::string& line) { reporter.notice(line); };
  options.inject_non_finite_steps = injected_faults();
  return options;
}

void configure_new_run(const TrainOptions& o, int64_t corpus_characters, int corpus_vocabulary, TrainConfig& train,
                       ModelConfig& model,
                       std::string& sizing_note) {
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
    const CorpusDefaults d = defaults_for_corpus(corpus_characters, corpus_vocabulary);
    model.layers = d.layers;
    model.hidden = d.hidden;
    model.dropout.assign(static_cast<size_t>(d.layers), d.dropout);
    train.epochs = d.epochs;
    train.patience = d.patience;
    if (!o.layers && !o.hidden && !o.epochs) sizing_note = d.reason;
  }
  if (o.layers) {
    model.layers = *o.layers;
    // A default list describes the default depth; keep its leading entries.
    if (model.layers >= 1 && model.dropout.size() > static_cast<size_t>(model.layers)) {
      model.dropout.resize(static_cast<size_t>(model.layers));
    }
  }
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
  if (o.patience) train.patience = *o.patience;
  if (o.lr_decay) train.lr_decay = *o.lr_decay;
  if (o.lr_decay_after) train.lr_decay_after = *o.lr_decay_after;
  if (o.precision) train.precision = precision_option(*o.precision);
  train.validate();
}

void finish(const Trainer& trainer, RunOutcome outcome, const std::string& out, const TrainReporter& reporter,
            bool speaks) {
  const TrainProgress& progress = trainer.progress();
  if (outcome == RunOutcome::stopped) {
    std::fflush(stdout);
    // A rank that was not signalled itself follows another one's request:
    // schedulers and mpirun send SIGTERM.
    const int signal = install_stop_signals().load() == SIGINT ? SIGINT : SIGTERM;
    throw StoppedBySignal(fmt::format("stopped at epoch {}, step {}; checkpoint saved in {}; continue with: charnn "
                                      "train --resume {}",
                                      progress.epochs_done + 1, progress.step, out, out),
                          128 + signal);
  }
  if (speaks) reporter.done(progress, out, outcome == RunOutcome::early_stopped);
}

// Trains to the end; rank 0 reports, a stop and the trainer's errors included.
void train_and_finish(Collective& world, Trainer& trainer, const std::string& out, const TrainReporter& reporter) {
  report_on_rank_zero(world, [&] { finish(trainer, trainer.run(), out, reporter, world.rank() == 0); });
}

void run_new(const TrainOptions& o, Collective& world) {
  TrainReporter reporter(report_style(o, world));
  std::string text_path, sizing_note, out;
  size_t characters = 0;
  TrainConfig train;
  ModelConfig model;
  std::unique_ptr<Trainer> trainer;
  set_up_on_every_rank(world, [&] {
    if (!o.preset.empty()) as_usage_error([&] { find_preset(o.preset); });
    text_path = o.preset.empty() ? o.text : locate_preset_corpus(find_preset(o.preset), o.data_dir);
    Corpus corpus = load_corpus(text_path);
    if (corpus.tokens.empty()) throw Error(fmt::format("{}: the text is empty", text_path));
    characters = corpus.tokens.size();
    as_usage_error([&] {
      configure_new_run(o, static_cast<int64_t>(characters), corpus.vocabulary.size(), train, model, sizing_note);
    });
    train.text_path = text_path;
    train.text_sha256 = corpus.summary.sha256;
    model.vocab_size = corpus.vocabulary.size();
    as_usage_error([&] { model.validate(); });
    out = o.out;
    if (out.empty()) out = "runs/" + (o.preset.empty() ? std::filesystem::path(o.text).stem().string() : o.preset);
    trainer = std::make_unique<Trainer>(train, model, std::move(corpus.vocabulary), std::move(corpus.tokens), out,
                                        trainer_options(o, reporter, world));
  });
  if (world.rank() == 0) {
    reporter.line(fmt::format("{}: {} characters, {} distinct; {} windows of {} ({} train, {} validation)", text_path,
                              characters, model.vocab_size,
                              trainer->train_windows() + trainer->validation_windows().size(), train.seq_length,
                              trainer->train_windows(), trainer->validation_windows().size()));
    if (!sizing_note.empty()) reporter.line(sizing_note);
    reporter.line(fmt::format(
        "model: {} x LSTM {} (dropout {}), {} parameters; {} lr {}, batch {}, {} epochs, seed {}{} -> {}",
        model.layers, model.hidden, fmt::join(model.dropout, ","), trainer->model().layout.parameter_count(),
        optimizer_name(train.optimizer.kind), train.optimizer.learning_rate, train.batch_size, train.epochs,
        train.seed, train.precision == Precision::bf16 ? ", bf16 products" : "", out));
    warn_if_bf16_without_amx(train, reporter);
    if (world.size() > 1) {
      reporter.line(fmt::format("data-parallel over {} ranks: about {} windows of each batch per rank", world.size(),
                                train.batch_size / world.size()));
    }
  }
  train_and_finish(world, *trainer, out, reporter);
}

// The newest checkpoint in DIR that loads and verifies, the same on every rank
// (rank 0 reads DIR); rank 0 says which ones it skipped. Every rank calls it.
Checkpoint newest_good_checkpoint(const std::string& dir, Collective& world, const TrainReporter& reporter) {
  std::vector<std::string> candidates;
  if (world.rank() == 0) {
    try {
      candidates = RunDirectory(dir).resume_candidates();
    } catch (const std::exception&) {
      // an unreadable directory: no candidates, reported below
    }
  }
  CheckpointChoice choice = load_first_good_checkpoint(world, candidates);
  if (candidates.empty() && world.rank() == 0) throw Error(fmt::format("{}: no checkpoint to resume from", dir));
  if (!choice.checkpoint) {
    throw Error(fmt::format("{}: no usable checkpoint ({})", dir, fmt::join(choice.problems, "; ")));
  }
  for (const std::string& p : choice.problems) reporter.notice("warning: skipped " + p);
  if (!choice.problems.empty()) reporter.notice("resuming from the newest good checkpoint, " + choice.path);
  return std::move(*choice.checkpoint);
}

// precision_note: a line for rank 0 when --precision changes the run's precision.
std::unique_ptr<Trainer> resumed_trainer(const TrainOptions& o, Collective& world, TrainReporter& reporter,
                                         std::string& precision_note) {
  std::optional<Precision> precision;
  as_usage_error([&] {
    const std::vector<std::pair<bool, const char*>> fixed = {
        {!o.preset.empty(), "--preset"},      {o.layers.has_value(), "--layers"}, {o.hidden.has_value(), "--hidden"},
        {o.seq.has_value(), "--seq"},         {o.batch.has_value(), "--batch"},   {o.dropout.has_value(), "--dropout"},
        {o.optimizer.has_value(), "--optimizer"}, {o.lr.has_value(), "--lr"},     {o.clip.has_value(), "--clip"},
        {o.seed.has_value(), "--seed"},       {o.val_fraction.has_value(), "--val-fraction"}, {!o.out.empty(), "--out"},
        {o.patience.has_value(), "--patience"}, {o.lr_decay.has_value(), "--lr-decay"},
        {o.lr_decay_after.has_value(), "--lr-decay-after"}};
    for (const auto& [given, flag] : fixed) {
      if (given) throw UsageError(fmt::format("{} cannot change when resuming: the run keeps its own settings", flag));
    }
    if (o.precision) precision = precision_option(*o.precision);
  });
  Checkpoint checkpoint = newest_good_checkpoint(o.resume, world, reporter);
  // Like --epochs, --precision may change on resume: the weights and moments are f32 either way.
  if (precision && *precision != checkpoint.meta.train.precision) {
    precision_note = fmt::format("precision: {} from here on (this run trained in {} so far)",
                                 precision_name(*precision), precision_name(checkpoint.meta.train.precision));
    checkpoint.meta.train.precision = *precision;
  }
  const TrainConfig& train = checkpoint.meta.train;
  std::string text_path = train.text_path;
  if (!o.text.empty()) {
    text_path = o.text;
  } else if (!train.preset.empty() && (!o.data_dir.empty() || !std::filesystem::exists(text_path))) {
    text_path = locate_preset_corpus(find_preset(train.preset), o.data_dir);
  }
  const CorpusSummary summary = summarize_corpus(text_path);
  if (summary.sha256 != train.text_sha256) {
    throw Error(fmt::format("{}: the text differs from the one this run was trained on (SHA-256 mismatch)", text_path));
  }
  // The vocabulary comes from the checkpoint, never rebuilt from the text.
  TokenText tokens = encode_corpus(text_path, checkpoint.meta.vocabulary, summary.characters);
  auto trainer =
      std::make_unique<Trainer>(checkpoint, std::move(tokens), o.resume, trainer_options(o, reporter, world));
  if (o.epochs) {
    if (*o.epochs < trainer->progress().epochs_done) {
      throw UsageError(fmt::format("--epochs {} is fewer than the {} this run has done", *o.epochs,
                                   trainer->progress().epochs_done));
    }
    trainer->set_epochs(*o.epochs);
  }
  return trainer;
}

void run_resume(const TrainOptions& o, Collective& world) {
  TrainReporter reporter(report_style(o, world));
  std::unique_ptr<Trainer> trainer;
  std::string precision_note;
  set_up_on_every_rank(world, [&] { trainer = resumed_trainer(o, world, reporter, precision_note); });
  if (world.rank() == 0) {
    reporter.line(fmt::format("resuming {} at epoch {} (batch {}), step {} of {} epochs", o.resume,
                              trainer->progress().epochs_done + 1, trainer->progress().batch_in_epoch,
                              trainer->progress().step, trainer->config().epochs));
    if (world.size() > 1) reporter.line(fmt::format("data-parallel over {} ranks", world.size()));
    if (!precision_note.empty()) reporter.line(precision_note);
    warn_if_bf16_without_amx(trainer->config(), reporter);
  }
  train_and_finish(world, *trainer, o.resume, reporter);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a text file or a named preset, or resume a run.\n\n"
                                              "Examples:\n"
                                              "  charnn train --preset municipios\n"
                                              "  charnn train --text poems.txt --layers 2 --hidden 256 --epochs 30\n"
                                              "  charnn train --resume runs/municipios --epochs 150\n"
                                              "  mpirun -np 4 charnn train --preset grimm --threads 1\n\n"
                                              "Under mpirun the ranks train one model together, each on a share of "
                                              "every batch; see docs/scaling.md.");
  auto* preset = cmd->add_option("--preset", o->preset, "a named experiment: municipios or grimm");
  auto* text = cmd->add_option("--text", o->text, "the UTF-8 text file to learn from");
  preset->excludes(text);
  cmd->add_option("--resume", o->resume, "continue the run in this directory from its newest good checkpoint");
  cmd->add_option("--data-dir", o->data_dir, "where preset corpora live (else $CHARNN_DATA, then ../shared/data)");
  cmd->add_option("--out", o->out, "run directory for checkpoints (default runs/<preset or file name>)");
  cmd->add_option("--layers", o->layers, "LSTM layers");
  cmd->add_option("--hidden", o->hidden, "units per LSTM layer");
  cmd->add_option("--seq", o->seq, "sequence length T (characters per window)");
  cmd->add_option("--batch", o->batch, "minibatch size B (windows per step)");
  cmd->add_option("--epochs", o->epochs, "passes over the training windows (with --resume: the new total)");
  cmd->add_option("--dropout", o->dropout, "dropout after each layer, in order; missing layers get 0")->delimiter(',');
  cmd->add_option("--optimizer", o->optimizer, "rmsprop or adam");
  cmd->add_option("--lr", o->lr, "learning rate (default 0.001)");
  cmd->add_option("--clip", o->clip, "global gradient-norm clip, 0 = off (default 5)");
  cmd->add_option("--seed", o->seed, "seed for initialisation, split, shuffling and dropout (default 1)");
  cmd->add_option("--val-fraction", o->val_fraction, "share of windows held out for validation (default 0.05)");
  cmd->add_option("--patience", o->patience, "stop after N epochs without a better validation loss (0 = never)");
  cmd->add_option("--lr-decay", o->lr_decay, "multiply the learning rate by F after each epoch (default 1)");
  cmd->add_option("--lr-decay-after", o->lr_decay_after, "start the decay once N epochs are done (default 0)");
  cmd->add_flag("--quiet", o->quiet, "print only the final line (warnings still go to stderr)");
  cmd->add_flag("--log-json", o->log_json, "print one JSON object per event instead of text");
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "also checkpoint every N steps (default: epoch ends only)");
  cmd->add_option("--keep", o->keep, "numbered checkpoints to keep besides best (default 3)");
  cmd->add_option("--threads", o->threads,
                  "threads for matrix products (default: the CPUs charnn may use; at most those and the work cut, "
                  "4 to 16)");
  cmd->add_option("--precision", o->precision,
                  "training products in f32 or bf16 (faster than f32 only on AMX); weights and checkpoints stay f32 "
                  "(default f32; with --resume: from here on)");
  cmd->callback([o] {
    if (o->resume.empty() && o->preset.empty() && o->text.empty()) {
      throw UsageError("train needs --preset NAME, --text FILE or --resume DIR");
    }
    if (o->checkpoint_every < 0) throw UsageError("--checkpoint-every must be >= 0");
    if (o->keep < 1) throw UsageError("--keep must be at least 1");
    if (o->threads) {
      if (*o->threads < 1) throw UsageError("--threads must be at least 1");
      blas_set_threads(threads_to_run(*o->threads));
    }
    const auto train = [&o](Collective& world) {
      if (o->resume.empty()) {
        run_new(*o, world);
      } else {
        run_resume(*o, world);
      }
    };
    if (launched_rank_count() > 1) {
      run_as_mpi_rank(train);  // under mpirun; see docs/scaling.md
    } else {
      SingleProcess alone;
      train(alone);
    }
  });
}

}  // namespace charnn::cli
