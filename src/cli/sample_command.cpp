// `charnn sample`: load a checkpoint, then print a stream of text or N items.
#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "charnn/io/checkpoint.h"
#include "charnn/sample/generate.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct SampleOptions {
  std::string model;
  int64_t chars = 500;
  std::optional<int> items;  // unset: stream -n characters instead
  int max_length = 200;
  std::string prime;
  SamplingOptions sampling;
};

void run_sample(const SampleOptions& o) {
  as_usage_error([&] {
    o.sampling.validate();
    if (o.chars < 0) throw UsageError("-n must be >= 0");
    if (o.items && *o.items < 0) throw UsageError("--items must be >= 0");
    if (o.max_length < 1) throw UsageError("--max-len must be at least 1");
  });
  const std::u32string prime = utf8_decode(o.prime, "--prime");
  const Checkpoint checkpoint = load_checkpoint(resolve_checkpoint_path(o.model));
  const Model model = model_from_checkpoint(checkpoint);
  const Vocabulary& vocabulary = checkpoint.meta.vocabulary;
  vocabulary.encode(prime, "--prime");  // fail before printing anything
  Sampler sampler(o.sampling, vocabulary.size());
  if (o.items) {
    for (const std::u32string& item : generate_items(model, vocabulary, sampler, prime, *o.items, o.max_length)) {
      fmt::print("{}\n", utf8_encode(item));
    }
    return;
  }
  std::string out = utf8_encode(prime);
  bool ends_with_newline = !prime.empty() && prime.back() == U'\n';
  generate_text(model, vocabulary, sampler, prime, o.chars, [&](char32_t c) {
    utf8_append(out, c);
    ends_with_newline = c == U'\n';
    if (c == U'\n' || out.size() >= 256) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      out.clear();
    }
  });
  // End on a newline without doubling one the model drew itself.
  if (!ends_with_newline || !out.empty()) out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  CLI::App* cmd = app.add_subcommand("sample", "Write new text with a trained model.\n\n"
                                               "Examples:\n"
                                               "  charnn sample --model runs/municipios --items 20 --temperature 0.8\n"
                                               "  charnn sample --model runs/grimm -n 1000 --prime 'Once upon a time' --top-p 0.9");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  auto* n = cmd->add_option("-n,--chars", o->chars, "characters to generate after the prime (default 500)");
  auto* items = cmd->add_option("--items", o->items, "generate N newline-terminated items, each from a line start");
  n->excludes(items);
  cmd->add_option("--max-len", o->max_length, "longest item, in characters (default 200)");
  cmd->add_option("--temperature", o->sampling.temperature, "softmax temperature; 0 = greedy (default 1)");
  cmd->add_option("--top-k", o->sampling.top_k, "sample only among the K most likely characters (0 = all)");
  cmd->add_option("--top-p", o->sampling.top_p, "sample from the smallest set with probability >= P (default 1)");
  cmd->add_option("--prime", o->prime, "text to start from (each item starts with it)");
  cmd->add_option("--seed", o->sampling.seed, "sampling seed: same seed, same output (default 1)");
  cmd->callback([o] { run_sample(*o); });
}

}  // namespace charnn::cli
