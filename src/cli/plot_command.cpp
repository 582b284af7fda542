// `charnn plot`: draw a run's loss curves (its metrics.jsonl) as an SVG file.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "charnn/io/atomic_file.h"
#include "charnn/report/loss_plot.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct PlotOptions {
  std::string run;  // a run directory, or a metrics.jsonl file
  std::string out;  // empty: loss.svg in the run directory; "-": stdout
  std::string title;
  LossPlotOptions plot;
};

void run_plot(PlotOptions o) {
  namespace fs = std::filesystem;
  if (o.plot.width < 200 || o.plot.width > 10000 || o.plot.height < 150 || o.plot.height > 10000) {
    throw UsageError("--width must be in [200, 10000] and --height in [150, 10000]");
  }
  const bool is_directory = fs::is_directory(o.run);
  const std::string metrics_path = is_directory ? (fs::path(o.run) / "metrics.jsonl").string() : o.run;
  if (!fs::exists(metrics_path)) {
    throw Error(fmt::format("{}: no such file; `charnn train` writes metrics.jsonl into the run directory at the end "
                            "of each epoch",
                            metrics_path));
  }
  const std::vector<MetricsRecord> records = parse_metrics_jsonl(read_file_bytes(metrics_path), metrics_path);
  const fs::path run_directory = is_directory ? fs::path(o.run) : fs::path(o.run).parent_path();
  if (o.title.empty()) {
    const std::string name = fs::weakly_canonical(run_directory.empty() ? "." : run_directory).filename().string();
    o.plot.title = fmt::format("Training loss: {}", name);
  } else {
    o.plot.title = o.title;
  }
  const std::string svg = loss_plot_svg(records, o.plot);
  if (o.out == "-") {
    std::fwrite(svg.data(), 1, svg.size(), stdout);
    return;
  }
  const std::string out = o.out.empty() ? (run_directory / "loss.svg").string() : o.out;
  write_file_atomically(out, svg);
  fmt::print("wrote {} ({} epoch{})\n", out, records.size(), records.size() == 1 ? "" : "s");
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto o = std::make_shared<PlotOptions>();
  CLI::App* cmd = app.add_subcommand("plot", "Draw a run's train and validation loss per epoch as an SVG picture.\n\n"
                                             "Examples:\n"
                                             "  charnn plot runs/municipios\n"
                                             "  charnn plot runs/grimm -o grimm-loss.svg --bits --title 'Grimm, 3 x 700'");
  cmd->add_option("run", o->run, "run directory (or its metrics.jsonl)")->required();
  cmd->add_option("-o,--out", o->out, "SVG file to write; - for stdout (default: loss.svg in the run directory)");
  cmd->add_flag("--bits", o->plot.bits_axis, "add a bits-per-character scale on the right");
  cmd->add_option("--title", o->title, "title above the plot (default: 'Training loss: RUN')");
  cmd->add_option("--width", o->plot.width, "picture width in pixels (default 760)");
  cmd->add_option("--height", o->plot.height, "picture height in pixels (default 460)");
  cmd->callback([o] { run_plot(*o); });
}

}  // namespace charnn::cli
