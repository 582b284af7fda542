// `charnn eval`: cross-entropy and bits/char of a checkpoint on a text file.
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/io/checkpoint.h"
#include "charnn/train/corpus.h"
#include "charnn/train/evaluate.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct EvalOptions {
  std::string model, text;
  bool json = false;
};

void run_eval(const EvalOptions& o) {
  const std::string checkpoint_path = resolve_checkpoint_path(o.model);
  const Checkpoint checkpoint = load_checkpoint(checkpoint_path);
  const Model model = model_from_checkpoint(checkpoint);
  const TokenText tokens = encode_corpus(o.text, checkpoint.meta.vocabulary, summarize_corpus(o.text).characters);
  const int T = checkpoint.meta.train.seq_length;
  const LossTotals totals = evaluate_text(model, tokens, T, checkpoint.meta.train.batch_size);
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"model", checkpoint_path},
                                      {"text", o.text},
                                      {"characters_scored", totals.predictions},
                                      {"seq_length", T},
                                      {"loss_nats", totals.mean()},
                                      {"bits_per_char", totals.bits_per_char()}}
                           .dump());
    return;
  }
  fmt::print("{}: {:.4f} nats/char, {:.4f} bits/char over {} characters (windows of {} from a zero state)\n", o.text,
             totals.mean(), totals.bits_per_char(), totals.predictions, T);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Score a text: mean cross-entropy (nats) and bits per character.\n\n"
                                             "Example:\n"
                                             "  charnn eval --model runs/municipios/best.safetensors --text names.txt");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  cmd->add_option("--text", o->text, "UTF-8 text to score")->required();
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace charnn::cli
