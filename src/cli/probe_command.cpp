// `charnn probe`: print a model's next-character distribution after a prime,
// most likely first, as text or (with --json) in vocabulary order for programs.
#include <algorithm>
#include <memory>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/io/checkpoint.h"
#include "charnn/report/next_char.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct ProbeOptions {
  std::string model;
  std::string prime;
  int top = 10;
  bool json = false;
};

void run_probe(const ProbeOptions& o) {
  if (o.top < 0) throw UsageError("--top must be >= 0");
  const std::u32string prime = utf8_decode(o.prime, "--prime");
  const std::string path = resolve_checkpoint_path(o.model);
  const Checkpoint checkpoint = load_checkpoint(path);
  const Model model = model_from_checkpoint(checkpoint);
  const Vocabulary& vocabulary = checkpoint.meta.vocabulary;
  const NextCharDistribution d = next_char_distribution(model, vocabulary, prime);
  if (o.json) {
    std::vector<std::string> characters;
    for (char32_t c : vocabulary.symbols()) characters.push_back(utf8_encode(std::u32string(1, c)));
    const nlohmann::json j{{"checkpoint", path},
                           {"prime", o.prime},
                           {"characters", characters},
                           {"code_points", std::vector<uint32_t>(vocabulary.symbols().begin(), vocabulary.symbols().end())},
                           {"logits", d.logits},
                           {"probabilities", d.probabilities}};
    fmt::print("{}\n", j.dump());  // invalid UTF-8 cannot occur: prime and vocabulary are decoded text
    return;
  }
  std::vector<int> order(d.probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return d.probabilities[a] > d.probabilities[b]; });
  const size_t shown = o.top == 0 ? order.size() : std::min(order.size(), static_cast<size_t>(o.top));
  for (size_t i = 0; i < shown; ++i) {
    const int v = order[i];
    fmt::print("{:<12} {:.6f}\n", describe_code_point(vocabulary.symbol(v)), d.probabilities[static_cast<size_t>(v)]);
  }
}

}  // namespace

void add_probe_command(CLI::App& app) {
  auto o = std::make_shared<ProbeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "probe", "Show the model's next-character probabilities after a prime (temperature 1, no filtering).\n\n"
               "Examples:\n"
               "  charnn probe --model runs/municipios --prime 'San '\n"
               "  charnn probe --model runs/grimm --prime 'Once upon a ' --top 0 --json");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  cmd->add_option("--prime", o->prime, "text the model reads first (default: a line start)");
  cmd->add_option("--top", o->top, "show the N most likely characters, 0 = all (default 10; --json shows all)");
  cmd->add_flag("--json", o->json, "print one JSON object: characters, logits and probabilities in vocabulary order");
  cmd->callback([o] { run_probe(*o); });
}

}  // namespace charnn::cli
