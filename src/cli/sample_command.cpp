// `charnn sample`: load a checkpoint, then print a stream of text or N items,
// optionally followed (on stderr) by a novelty report against the training text.
#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "charnn/io/checkpoint.h"
#include "charnn/nn/blas.h"
#include "charnn/sample/generate.h"
#include "charnn/sample/novelty_report.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"
#include "cli/threads_option.h"
#include "cli/training_text.h"

namespace charnn::cli {

namespace {

struct SampleOptions {
  std::string model;
  int64_t chars = 500;
  std::optional<int> items;  // unset: stream -n characters instead
  int max_length = 200;
  std::string prime;
  SamplingOptions sampling;
  bool no_loop_guard = false;
  bool unique = false;
  bool novel = false;
  std::optional<int64_t> max_attempts;
  bool report = false;
  std::string train_text;
  std::optional<int> threads;  // unset: the pool's default (thread_pool.h)
  std::string precision = "f32";
};

void validate(const SampleOptions& o) {
  as_usage_error([&] {
    o.sampling.validate();
    if (o.chars < 0) throw UsageError("-n must be >= 0");
    if (o.items && *o.items < 0) throw UsageError("--items must be >= 0");
    if (o.max_length < 1) throw UsageError("--max-len must be at least 1");
    if (o.max_attempts && *o.max_attempts < 1) throw UsageError("--max-attempts must be at least 1");
    if (o.threads && *o.threads < 1) throw UsageError("--threads must be at least 1");
    if (!o.train_text.empty() && !o.novel && !o.report) {
      throw UsageError("--train-text is used only by --novel and --report");
    }
  });
}

void print_stream(const SampleOptions& o, const Model& model, const Vocabulary& vocabulary, Sampler& sampler,
                  const std::u32string& prime, std::u32string* generated) {
  std::string out = utf8_encode(prime);
  bool ends_with_newline = !prime.empty() && prime.back() == U'\n';
  generate_text(model, vocabulary, sampler, prime, o.chars, [&](char32_t c) {
    utf8_append(out, c);
    if (generated != nullptr) generated->push_back(c);  // reserved for -n characters
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
  std::fflush(stdout);
}

std::string loop_guard_line(const SampleOptions& o, int64_t interventions) {
  if (!o.sampling.loop_guard) return "  loop guard: off\n";
  return fmt::format("  loop guard: stepped in at {} draws\n", interventions);
}

void run_items(const SampleOptions& o, const Model& model, const Vocabulary& vocabulary, const std::u32string& prime,
               const std::optional<TrainingText>& training) {
  std::optional<TrainingLines> lines;
  if (training) lines.emplace(training->text);
  ItemRequest request;
  request.count = *o.items;
  request.max_length = o.max_length;
  request.unique = o.unique;
  request.novel = o.novel ? &*lines : nullptr;
  request.max_attempts = o.max_attempts.value_or(0);
  const ItemBatch batch = generate_items(model, vocabulary, o.sampling, prime, request);
  std::vector<std::u32string> texts;
  int64_t cut = 0;
  for (const GeneratedItem& item : batch.items) {
    fmt::print("{}\n", utf8_encode(item.text));
    texts.push_back(item.text);
    cut += item.cut_at_max_length ? 1 : 0;
  }
  std::fflush(stdout);
  if (o.report) {
    ItemsReport report = items_report(texts, *lines);
    report.cut_at_max_length = cut;
    fmt::print(stderr, "{}{}", format_items_report(report, training->path),
               loop_guard_line(o, batch.loop_guard_interventions));
  }
  if (static_cast<int>(batch.items.size()) < request.count) {
    throw Error(fmt::format(
        "only {} of {} items after {} attempts ({} repeated an earlier item, {} were lines of the "
        "training text); raise --max-attempts, --temperature or --top-p",
        batch.items.size(), request.count, batch.attempts, batch.rejected_duplicates, batch.rejected_copies));
  }
}

void run_sample(const SampleOptions& o) {
  validate(o);
  if (o.threads) blas_set_threads(threads_to_run(*o.threads));
  const std::u32string prime = utf8_decode(o.prime, "--prime");
  if (o.items && prime.size() >= static_cast<size_t>(o.max_length)) {
    // Every item would be the prime alone, cut off: nothing could be drawn.
    throw UsageError(fmt::format("--prime has {} characters; with --items it must be shorter than --max-len ({})",
                                 prime.size(), o.max_length));
  }
  const Checkpoint checkpoint = load_checkpoint(resolve_checkpoint_path(o.model));
  const Model model = model_from_checkpoint(checkpoint);
  const Vocabulary& vocabulary = checkpoint.meta.vocabulary;
  vocabulary.encode(prime, "--prime");  // fail before printing anything
  std::optional<TrainingText> training;
  if (o.novel || o.report) {
    training = load_training_text(checkpoint.meta.train, o.train_text, o.novel ? "--novel" : "--report");
  }
  if (o.items) {
    run_items(o, model, vocabulary, prime, training);
    return;
  }
  Sampler sampler(o.sampling, vocabulary.size());
  std::u32string generated;
  if (o.report) generated.reserve(static_cast<size_t>(o.chars));
  print_stream(o, model, vocabulary, sampler, prime, o.report ? &generated : nullptr);
  if (o.report) {
    const ProseReport report = ProseIndex(training->text).report(generated);
    fmt::print(stderr, "{}{}", format_prose_report(report, training->path),
               loop_guard_line(o, sampler.loop_guard_interventions()));
  }
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  CLI::App* cmd =
      app.add_subcommand("sample",
                         "Write new text with a trained model.\n\n"
                         "Examples:\n"
                         "  charnn sample --model runs/municipios --items 20 --temperature 0.8 --novel --unique\n"
                         "  charnn sample --model runs/grimm -n 1000 --prime 'Once upon a time' --top-p 0.9 --report");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  auto* n = cmd->add_option("-n,--chars", o->chars, "characters to generate after the prime (default 500)");
  auto* items = cmd->add_option("--items", o->items, "generate N newline-terminated items, each from a line start");
  n->excludes(items);
  cmd->add_option("--max-len", o->max_length, "longest item, in characters (default 200)");
  cmd->add_option("--temperature", o->sampling.temperature, "softmax temperature; 0 = greedy (default 1)");
  cmd->add_option("--top-k", o->sampling.top_k, "sample only among the K most likely characters (0 = all)");
  cmd->add_option("--top-p", o->sampling.top_p, "sample from the smallest set with probability >= P (default 1)");
  cmd->add_option("--repetition-penalty", o->sampling.repetition_penalty,
                  "R >= 1: make characters drawn in the last --repetition-window draws less likely (default 1 = off)");
  cmd->add_option("--repetition-window", o->sampling.repetition_window,
                  "how many of the latest drawn characters the penalty looks at (default 64)");
  cmd->add_flag("--no-loop-guard", o->no_loop_guard, "let the model repeat a cycle (see docs/usage.md)");
  cmd->add_flag("--unique", o->unique, "with --items: never print the same item twice")->needs(items);
  cmd->add_flag("--novel", o->novel, "with --items: never print a line of the training text")->needs(items);
  cmd->add_option("--max-attempts", o->max_attempts,
                  "with --unique/--novel: items to draw before giving up (default 100 per item)")
      ->needs(items);
  cmd->add_flag("--report", o->report, "print a novelty report against the training text on stderr");
  cmd->add_option("--train-text", o->train_text, "the training text, if not at the path the checkpoint recorded");
  cmd->add_option("--prime", o->prime, "text to start from (each item starts with it)");
  cmd->add_option("--seed", o->sampling.seed, "sampling seed: same seed, same output (default 1)");
  cmd->add_option("--threads", o->threads,
                  "threads for the model's products (default: the CPUs charnn may use; at most those and the work cut, "
                  "4 to 16; same output)");
  cmd->add_option("--precision", o->precision,
                  "f32 or bf16: the model's products; bf16 reads half the bytes a character (AMX, AVX-512, AVX512-BF16 "
                  "or AVX2 kernels) and draws slightly different text (default f32)");
  cmd->callback([o] {
    o->sampling.loop_guard = !o->no_loop_guard;
    o->sampling.precision = precision_option(o->precision);
    run_sample(*o);
  });
}

}  // namespace charnn::cli
