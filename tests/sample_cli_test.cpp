// The sampling controls and novelty report of the charnn binary, run as a user
// runs them: --unique, --novel and the attempt budget, --report on stderr,
// `charnn novelty` on files and standard input, the loop guard on a model
// trained to loop, and the usage errors of the new flags. Each test trains a
// tiny model (1 layer of 8) in its own temporary directory.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.h"

namespace charnn::cli_test {
namespace {

// Every string of one or two letters over {a, b, c}, one per line, 30 times in
// varying order: a corpus whose lines a sampler often reproduces verbatim.
std::string short_lines_corpus() {
  const std::vector<std::string> words = {"a", "b", "c", "aa", "ab", "ac", "ba", "bb", "bc", "ca", "cb", "cc"};
  std::string text;
  for (size_t round = 0; round < 30; ++round) {
    for (size_t i = 0; i < words.size(); ++i) text += words[(i * 5 + round) % words.size()] + "\n";
  }
  return text;
}

const std::string kProverbs =
    "the quick brown fox jumps over the lazy dog\n"
    "a stitch in time saves nine\n"
    "the early bird catches the worm\n"
    "all that glitters is not gold\n"
    "where there is smoke there is fire\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Some L = max(3p, 32) characters in a row with period p <= 128 (the loop guard's definition); 0 if none.
int cycle_period(const std::string& s) {
  for (size_t p = 1; p <= 128; ++p) {
    const size_t L = std::max<size_t>(3 * p, 32);
    for (size_t i = 0; i + L <= s.size(); ++i) {
      bool periodic = true;
      for (size_t k = p; k < L && periodic; ++k) periodic = s[i + k] == s[i + k - p];
      if (periodic) return static_cast<int>(p);
    }
  }
  return 0;
}

class SampleCliTest : public CliFixture {
 protected:
  // Writes `text` to `file` and trains a 1 x 8 model on it into `out`; fails the test if training fails.
  std::string train(const std::string& file, const std::string& text, const std::string& out, int epochs = 3,
                    const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"train",
                                     "--text",
                                     write_file(file, text).string(),
                                     "--out",
                                     path(out).string(),
                                     "--layers",
                                     "1",
                                     "--hidden",
                                     "8",
                                     "--dropout",
                                     "0",
                                     "--seq",
                                     "16",
                                     "--batch",
                                     "4",
                                     "--epochs",
                                     std::to_string(epochs),
                                     "--seed",
                                     "1",
                                     "--threads",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return path(out).string();
  }
  std::string short_lines_model() const { return train("lines.txt", short_lines_corpus(), "lines"); }
};

TEST_F(SampleCliTest, UniqueNovelItemsAreDistinctAndNeverATrainingLine) {
  const std::string model = short_lines_model();
  const std::vector<std::string> corpus = lines_of(short_lines_corpus());
  const std::set<std::string> training(corpus.begin(), corpus.end());
  const Result plain = run({"sample", "--model", model, "--items", "40", "--seed", "3"});
  expect_success(plain);
  const std::vector<std::string> plain_items = lines_of(plain.out);
  ASSERT_TRUE(
      std::any_of(plain_items.begin(), plain_items.end(), [&](const std::string& s) { return training.count(s); }))
      << "premise: plain sampling copies some training lines" << describe(plain);

  const Result r = run({"sample", "--model", model, "--items", "40", "--seed", "3", "--unique", "--novel"});
  expect_success(r);
  const std::vector<std::string> items = lines_of(r.out);
  ASSERT_EQ(items.size(), 40u) << describe(r);
  EXPECT_EQ(std::set<std::string>(items.begin(), items.end()).size(), 40u) << "an item repeats" << describe(r);
  for (const std::string& item : items) EXPECT_EQ(training.count(item), 0u) << "'" << item << "' is a training line";
}

TEST_F(SampleCliTest, RunningOutOfAttemptsPrintsTheItemsFoundThenOneErrorLine) {
  // Greedy sampling draws the same item every time, so --unique finds only one.
  const Result r = run({"sample", "--model", short_lines_model(), "--items", "3", "--temperature", "0", "--unique",
                        "--max-attempts", "10"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(lines_of(r.out).size(), 1u) << describe(r);
  EXPECT_EQ(r.err.rfind("charnn: error: only 1 of 3 items after 10 attempts", 0), 0u) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
}

TEST_F(SampleCliTest, NovelNeedsTheUnchangedTrainingText) {
  const std::string model = short_lines_model();
  fs::rename(path("lines.txt"), path("moved.txt"));
  expect_failure(run({"sample", "--model", model, "--items", "3", "--novel"}), 1,
                 {"--novel", path("lines.txt").string(), "--train-text"});
  write_file("lines.txt", "a\nb\n");
  expect_failure(run({"sample", "--model", model, "--items", "3", "--novel"}), 1, {"lines.txt", "SHA-256"});
  expect_failure(run({"sample", "--model", model, "--items", "3", "--novel", "--train-text", "lines.txt"}), 1,
                 {"SHA-256"});
  const Result r = run({"sample", "--model", model, "--items", "3", "--novel", "--train-text", "moved.txt"});
  expect_success(r);
  EXPECT_EQ(lines_of(r.out).size(), 3u) << describe(r);
}

TEST_F(SampleCliTest, ReportGoesToStderrAndLeavesTheSampleUnchanged) {
  const std::string model = short_lines_model();
  const Result items = run({"sample", "--model", model, "--items", "10", "--seed", "4"});
  const Result reported = run({"sample", "--model", model, "--items", "10", "--seed", "4", "--report"});
  EXPECT_EQ(reported.exit_code, 0) << describe(reported);
  EXPECT_EQ(reported.out, items.out) << describe(reported);
  for (const char* needle : {"novelty of 10 items against", "in the training text (whole lines):",
                             "duplicates of an earlier item:", "cut off at --max-len:", "loop guard:"}) {
    EXPECT_NE(reported.err.find(needle), std::string::npos) << needle << describe(reported);
  }
  const Result prose = run({"sample", "--model", model, "-n", "100", "--report"});
  EXPECT_EQ(prose.exit_code, 0) << describe(prose);
  EXPECT_NE(prose.err.find("novelty of 100 characters"), std::string::npos) << describe(prose);
  EXPECT_NE(prose.err.find("20-grams found in the training text:"), std::string::npos) << describe(prose);
}

TEST_F(SampleCliTest, TheThreadCountDoesNotChangeTheOutputInEitherPrecision) {
  // 1 x 128: 64 item streams make products and cell passes large enough to
  // be cut between threads.
  const Result trained = run({"train", "--text", write_file("lines.txt", short_lines_corpus()).string(), "--out",
                              path("wide").string(), "--layers", "1", "--hidden", "128", "--epochs", "1", "--seq", "16",
                              "--batch", "4", "--threads", "1"});
  ASSERT_EQ(trained.exit_code, 0) << describe(trained);
  const std::string model = path("wide").string();
  for (const char* precision : {"f32", "bf16"}) {
    for (const std::vector<std::string>& mode : {std::vector<std::string>{"--items", "30"}, {"-n", "300"}}) {
      std::vector<std::string> args = {"sample", "--model", model, "--seed", "5", "--threads", "1", "--precision",
                                       precision};
      args.insert(args.end(), mode.begin(), mode.end());
      const Result one = run(args);
      ASSERT_EQ(one.exit_code, 0) << describe(one);
      for (const char* threads : {"2", "3"}) {
        args[6] = threads;
        EXPECT_EQ(run(args).out, one.out) << mode[0] << " in " << precision << " on " << threads << " threads";
      }
    }
  }
  expect_failure(run({"sample", "--model", model, "--threads", "0"}), 2, {"--threads"});
  expect_failure(run({"sample", "--model", model, "--precision", "f16"}), 2, {"--precision must be f32 or bf16"});
  expect_failure(run({"sample", "--model", model, "--items", "3", "--prime", "abcdef", "--max-len", "6"}), 2,
                 {"--prime has 6 characters", "--max-len (6)"});
}

TEST_F(SampleCliTest, NoveltyOfAnItemsFileAsJson) {
  const std::string model = short_lines_model();
  write_file("items.txt", "a\nzzz\na\nabc\nbc\n");
  const Result r = run({"novelty", "--model", model, "--items-file", "items.txt", "--json"});
  expect_success(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << describe(r);
  EXPECT_EQ(j.at("items").get<int>(), 5) << j.dump();
  EXPECT_EQ(j.at("in_training").get<int>(), 3) << "a, a and bc" << j.dump();
  EXPECT_EQ(j.at("duplicates").get<int>(), 1) << j.dump();
  EXPECT_DOUBLE_EQ(j.at("in_training_share").get<double>(), 0.6) << j.dump();
  EXPECT_EQ(j.at("copied"), nlohmann::json({"a", "bc"})) << j.dump();
  EXPECT_TRUE(j.at("cut_at_max_length").is_null()) << "a file does not say" << j.dump();
}

TEST_F(SampleCliTest, NoveltyOfProseFromStandardInputOrFile) {
  const std::string model = train("proverbs.txt", kProverbs, "proverbs");
  // "the quick brown fox jumps " (26 characters) is all it shares of 20 or more: 7 of its 20-grams.
  const std::string text = "Xx the quick brown fox jumps Yy. Zz worm!";
  write_file("story.txt", text);
  stdin_path_ = path("story.txt");
  const Result piped = run({"novelty", "--model", model, "--json"});
  stdin_path_ = "/dev/null";
  expect_success(piped);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(piped.out)) << describe(piped);
  EXPECT_EQ(j.at("longest_shared").get<std::string>(), "the quick brown fox jumps ") << j.dump();
  EXPECT_EQ(j.at("ngrams").get<int>(), static_cast<int>(text.size()) - 19) << j.dump();
  EXPECT_EQ(j.at("ngrams_in_training").get<int>(), 7) << j.dump();
  ASSERT_EQ(j.at("sentences").size(), 2u) << j.dump();
  EXPECT_EQ(j.at("sentences")[0].at("longest_run").get<int>(), 5) << j.dump();
  EXPECT_EQ(j.at("sentences")[1].at("run").get<std::string>(), "worm") << j.dump();
  const Result file = run({"novelty", "--model", model, "--text-file", "story.txt", "--json"});
  expect_success(file);
  EXPECT_EQ(file.out, piped.out);
  const Result text_form = run({"novelty", "--model", model, "--text-file", "story.txt"});
  expect_success(text_form);
  EXPECT_NE(text_form.out.find("longest substring shared with the training text: 26 characters"), std::string::npos)
      << describe(text_form);
}

TEST_F(SampleCliTest, LoopGuardBreaksTheCycleOfAModelTrainedToLoop) {
  // Mostly "abab...", plus a pangram so the vocabulary is not just "\nab": with
  // three symbols the model can be caught in cycles on all three at once, and
  // then the guard lets the longest one complete (docs/usage.md).
  std::string abab;
  for (int i = 0; i < 200; ++i) abab += "ab";
  const std::string model = train("abab.txt", abab + "\nthe quick brown fox jumps over the lazy dog\n", "abab", 10,
                                  {"--lr", "0.02", "--val-fraction", "0"});
  const Result free = run({"sample", "--model", model, "-n", "300", "--temperature", "0", "--no-loop-guard"});
  expect_success(free);
  ASSERT_NE(cycle_period(free.out), 0) << "premise: greedy sampling loops" << describe(free);
  const Result guarded = run({"sample", "--model", model, "-n", "300", "--temperature", "0", "--report"});
  EXPECT_EQ(guarded.exit_code, 0) << describe(guarded);
  EXPECT_EQ(cycle_period(guarded.out), 0) << describe(guarded);
  EXPECT_NE(guarded.err.find("loop guard: stepped in at"), std::string::npos) << describe(guarded);
  EXPECT_EQ(guarded.err.find("loop guard: stepped in at 0 draws"), std::string::npos) << describe(guarded);
}

TEST_F(SampleCliTest, SameSeedSameOutputWithEveryControl) {
  const std::string model = short_lines_model();
  auto sample = [&](const std::string& seed) {
    return run({"sample", "--model", model, "--items", "12", "--unique", "--novel", "--repetition-penalty", "1.3",
                "--repetition-window", "4", "--top-p", "0.95", "--seed", seed});
  };
  const Result a = sample("5"), b = sample("5"), c = sample("6");
  expect_success(a);
  EXPECT_EQ(a.out, b.out) << describe(a) << describe(b);
  EXPECT_NE(a.out, c.out) << describe(c);
}

struct UsageCase {
  std::string name;
  std::vector<std::string> args;
  std::string needle;
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << c.name; }

class SampleUsageErrorTest : public CliFixture, public ::testing::WithParamInterface<UsageCase> {};

// Every case fails before the model is read, so none is needed.
TEST_P(SampleUsageErrorTest, ExitsTwoWithOneUsageLine) { expect_failure(run(GetParam().args), 2, {GetParam().needle}); }

INSTANTIATE_TEST_SUITE_P(
    Flags, SampleUsageErrorTest,
    ::testing::Values(
        UsageCase{"PenaltyBelowOne", {"sample", "--model", "m", "--repetition-penalty", "0.5"}, "--repetition-penalty"},
        UsageCase{"EmptyWindow", {"sample", "--model", "m", "--repetition-window", "0"}, "--repetition-window"},
        UsageCase{"UniqueWithoutItems", {"sample", "--model", "m", "--unique"}, "--items"},
        UsageCase{"NovelWithoutItems", {"sample", "--model", "m", "-n", "5", "--novel"}, "--items"},
        UsageCase{"ZeroAttempts", {"sample", "--model", "m", "--items", "3", "--max-attempts", "0"}, "--max-attempts"},
        UsageCase{"TrainTextAlone", {"sample", "--model", "m", "--train-text", "t.txt"}, "--train-text"},
        UsageCase{
            "ItemsAndTextFile", {"novelty", "--model", "m", "--items-file", "a", "--text-file", "b"}, "excludes"}),
    [](const ::testing::TestParamInfo<UsageCase>& param) { return param.param.name; });

}  // namespace
}  // namespace charnn::cli_test
