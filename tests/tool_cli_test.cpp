// `charnn plot`, `charnn probe` and `charnn import` through the real binary:
// what they write, and their one-line errors. The library tests cover the
// details; PyTorch itself checks probe and import in tests/interop/.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.h"

namespace charnn::cli_test {
namespace {

const std::string kCorpus =
    "the quick brown fox jumps over the lazy dog\n"
    "a stitch in time saves nine\n"
    "the early bird catches the worm\n";

class ToolCliTest : public CliFixture {
 protected:
  fs::path trained_run() const {
    const Result r = run({"train", "--text", write_file("corpus.txt", kCorpus).string(), "--out", path("run").string(),
                          "--layers", "1", "--hidden", "8", "--seq", "16", "--batch", "4", "--epochs", "3",
                          "--threads", "1", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return path("run");
  }
};

TEST_F(ToolCliTest, PlotWritesAnSvgWithACurvePerSeriesIntoTheRunDirectory) {
  const fs::path run_dir = trained_run();
  const Result r = run({"plot", run_dir.string()});
  expect_success(r);
  EXPECT_EQ(r.out, fmt::format("wrote {} (3 epochs)\n", (run_dir / "loss.svg").string()));
  const std::string svg = read_bytes(run_dir / "loss.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("data-series=\"train loss\""), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"validation loss\""), std::string::npos);
  EXPECT_NE(svg.find("<title>Training loss: run</title>"), std::string::npos);
  const Result to_stdout = run({"plot", (run_dir / "metrics.jsonl").string(), "-o", "-", "--bits", "--title", "T"});
  expect_success(to_stdout);
  EXPECT_NE(to_stdout.out.find(">bits per character</text>"), std::string::npos);
  EXPECT_NE(to_stdout.out.find("<title>T</title>"), std::string::npos);
}

TEST_F(ToolCliTest, PlotErrorsSayWhatIsMissing) {
  fs::create_directory(path("empty-run"));
  expect_failure(run({"plot", path("empty-run").string()}), 1, {"metrics.jsonl: no such file"});
  write_file("bad.jsonl", "{\"epoch\":1,\"train_loss\":2}\nnot json\n");
  expect_failure(run({"plot", path("bad.jsonl").string(), "-o", "-"}), 1, {"bad.jsonl: line 2 is not valid JSON"});
  expect_failure(run({"plot", path("bad.jsonl").string(), "--width", "10"}), 2, {"--width"});
}

TEST_F(ToolCliTest, ProbePrintsADistributionThatSumsToOne) {
  const fs::path run_dir = trained_run();
  const Result json = run({"probe", "--model", run_dir.string(), "--prime", "the ", "--json"});
  expect_success(json);
  const nlohmann::json j = nlohmann::json::parse(json.out);
  const std::vector<double> p = j.at("probabilities").get<std::vector<double>>();
  EXPECT_EQ(p.size(), j.at("characters").size());
  EXPECT_EQ(p.size(), j.at("logits").size());
  double total = 0.0;
  for (double q : p) total += q;
  EXPECT_NEAR(total, 1.0, 1e-12);  // normalised in double
  const Result text = run({"probe", "--model", run_dir.string(), "--prime", "the ", "--top", "3"});
  expect_success(text);
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 3) << describe(text);
  expect_failure(run({"probe", "--model", run_dir.string(), "--prime", "THE"}), 1, {"'T'", "vocabulary"});
}

TEST_F(ToolCliTest, ImportErrorsNameTheFileAndTheProblem) {
  write_file("vocab.json", "[\"a\", \"b\"]");
  write_file("bad-vocab.json", "[\"a\", \"a\"]");
  write_file("state.safetensors", make_safetensors(R"({"fc.weight":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}})",
                                                   std::string(8, '\0')));
  expect_failure(run({"import", "--state-dict", path("state.safetensors").string(), "--vocab",
                      path("bad-vocab.json").string(), "--out", path("m.safetensors").string()}),
                 1, {"bad-vocab.json", "appears twice"});
  expect_failure(run({"import", "--state-dict", path("state.safetensors").string(), "--vocab",
                      path("vocab.json").string(), "--out", path("m.safetensors").string()}),
                 1, {"state.safetensors", "found no nn.LSTM"});
  expect_failure(run({"import", "--state-dict", path("missing.npz").string(), "--vocab", path("vocab.json").string(),
                      "--out", path("m.safetensors").string()}),
                 1, {"missing.npz"});
  EXPECT_FALSE(fs::exists(path("m.safetensors")));
}

TEST_F(ToolCliTest, ServeRefusesImpossibleSettingsBeforeLoadingAnything) {
  expect_failure(run({"serve", "--model", "nothing-here", "--port", "70000"}), 2, {"--port"});
  expect_failure(run({"serve", "--model", "nothing-here", "--max-length", "0"}), 2, {"--max-length"});
}

TEST_F(ToolCliTest, TheProgramAndEverySubcommandShowExamplesInTheirHelp) {
  const Result top = run({"--help"});
  ASSERT_EQ(top.exit_code, 0) << describe(top);
  EXPECT_NE(top.out.find("Examples:"), std::string::npos) << describe(top);
  // Subcommand names: the lines under "Subcommands:" indented by exactly two spaces.
  std::vector<std::string> names;
  std::istringstream in(top.out.substr(top.out.find("Subcommands:")));
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != ' ') names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  EXPECT_GE(names.size(), 10u) << describe(top);
  for (const std::string& name : names) {
    const Result help = run({name, "--help"});
    EXPECT_EQ(help.exit_code, 0) << describe(help);
    EXPECT_NE(help.out.find("Example"), std::string::npos) << "`charnn " << name << " --help` shows no example";
    EXPECT_NE(help.out.find("charnn " + name), std::string::npos) << "`charnn " << name << " --help` example";
  }
}

}  // namespace
}  // namespace charnn::cli_test
