// `charnn info`: what a checkpoint holds (configuration, vocabulary, size, progress).
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "charnn/io/checkpoint.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct InfoOptions {
  std::string model;
  bool json = false;
};

void run_info(const InfoOptions& o) {
  const std::string path = resolve_checkpoint_path(o.model);
  const Checkpoint checkpoint = load_checkpoint(path);
  const CheckpointMeta& meta = checkpoint.meta;
  const size_t parameters = ParameterLayout(meta.model).parameter_count();
  std::vector<std::string> symbols;
  for (char32_t c : meta.vocabulary.symbols()) symbols.push_back(describe_code_point(c));
  if (o.json) {
    nlohmann::json j{{"checkpoint", path},
                     {"format_version", kCheckpointVersion},
                     {"parameters", parameters},
                     {"model", model_config_to_json(meta.model)},
                     {"training", train_config_to_json(meta.train)},
                     {"progress", train_progress_to_json(meta.progress)},
                     {"vocabulary", std::vector<uint32_t>(meta.vocabulary.symbols().begin(), meta.vocabulary.symbols().end())}};
    fmt::print("{}\n", j.dump(2));
    return;
  }
  const TrainConfig& t = meta.train;
  const TrainProgress& p = meta.progress;
  fmt::print("checkpoint  {}\n", path);
  fmt::print("model       {} x LSTM {}, dropout {}, vocabulary {}, {} parameters\n", meta.model.layers,
             meta.model.hidden, fmt::join(meta.model.dropout, ","), meta.model.vocab_size, parameters);
  fmt::print("training    {}{}, seq {}, batch {}, {} lr {}, clip {}, seed {}, validation {}{}\n",
             t.preset.empty() ? "" : "preset " + t.preset + ", ", t.text_path, t.seq_length, t.batch_size,
             optimizer_name(t.optimizer.kind), t.optimizer.learning_rate, t.clip_norm, t.seed, t.validation_fraction,
             t.precision == Precision::bf16 ? ", bf16 products" : "");
  fmt::print("progress    epoch {}/{}, step {}, best validation loss {:.4f} ({:.3f} bits/char) at epoch {}\n",
             p.epochs_done, t.epochs, p.step, p.best_validation_loss, p.best_validation_loss / std::log(2.0),
             p.best_epoch);
  fmt::print("vocabulary  {}\n", fmt::join(symbols, " "));
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a checkpoint.\n\nExample:\n  charnn info --model runs/municipios");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o] { run_info(*o); });
}

}  // namespace charnn::cli
