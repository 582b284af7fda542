// `charnn novelty`: how new a generated text or list of items is, measured
// against the text the model was trained on (see charnn/sample/novelty.h).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "charnn/io/checkpoint.h"
#include "charnn/sample/novelty_report.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"
#include "cli/training_text.h"

namespace charnn::cli {

namespace {

struct NoveltyOptions {
  std::string model;
  std::string train_text;
  std::string items_file;  // "-" = standard input
  std::string text_file;   // "-" = standard input; standard input also when neither is given
  bool json = false;
};

// The file's text, or standard input's for "-".
std::u32string read_input(const std::string& path) {
  if (path != "-") return read_text_file(path);
  std::string bytes{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  return utf8_decode(bytes, "standard input");
}

// One item per line; the empty piece after a final newline is not an item.
std::vector<std::u32string> split_items(const std::u32string& text) {
  std::vector<std::u32string> items;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find(U'\n', begin), text.size());
    items.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return items;
}

void run_novelty(const NoveltyOptions& o) {
  const Checkpoint checkpoint = load_checkpoint(resolve_checkpoint_path(o.model));
  const TrainingText training = load_training_text(checkpoint.meta.train, o.train_text, "novelty");
  if (!o.items_file.empty()) {
    const ItemsReport report = items_report(split_items(read_input(o.items_file)), TrainingLines(training.text));
    if (o.json) {
      fmt::print("{}\n", items_report_json(report, training.path).dump());
    } else {
      fmt::print("{}", format_items_report(report, training.path));
    }
    return;
  }
  const std::u32string generated = read_input(o.text_file.empty() ? "-" : o.text_file);
  const ProseReport report = ProseIndex(training.text).report(generated);
  if (o.json) {
    fmt::print("{}\n", prose_report_json(report, training.path).dump());
  } else {
    fmt::print("{}", format_prose_report(report, training.path));
  }
}

}  // namespace

void add_novelty_command(CLI::App& app) {
  auto o = std::make_shared<NoveltyOptions>();
  CLI::App* cmd =
      app.add_subcommand("novelty",
                         "Measure how much of a generated text or list of items is copied from the training text.\n\n"
                         "Examples:\n"
                         "  charnn sample --model runs/municipios --items 30 > names.txt\n"
                         "  charnn novelty --model runs/municipios --items-file names.txt\n"
                         "  charnn sample --model runs/grimm -n 1000 | charnn novelty --model runs/grimm --json");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  cmd->add_option("--train-text", o->train_text, "the training text, if not at the path the checkpoint recorded");
  auto* items = cmd->add_option("--items-file", o->items_file, "one item per line ('-' = standard input)");
  auto* text = cmd->add_option("--text-file", o->text_file, "prose ('-' = standard input, the default)");
  items->excludes(text);
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o] { run_novelty(*o); });
}

}  // namespace charnn::cli
