// End-to-end tests of the charnn binary, run as a user runs it: each test
// works in its own temporary directory, trains tiny models on a few hundred
// characters and checks exit codes (0 ok, 1 runtime error, 2 usage error),
// stdout and the one-line stderr message. The library's behaviour in detail
// is the unit tests' job, not this file's.
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.h"

namespace charnn::cli_test {
namespace {

// Ten proverbs, 330 ASCII characters: a-z (the first line is a pangram), space
// and newline. 'Q' and '7' are outside the vocabulary.
const std::string kCorpus =
    "the quick brown fox jumps over the lazy dog\n"
    "a stitch in time saves nine\n"
    "the early bird catches the worm\n"
    "all that glitters is not gold\n"
    "where there is smoke there is fire\n"
    "the pen is mightier than the sword\n"
    "actions speak louder than words\n"
    "better late than never\n"
    "practice makes perfect\n"
    "when in rome do as the romans do\n";

// The printed "epoch ..." lines without their throughput, which varies run to run.
std::vector<std::string> epoch_loss_lines(const std::string& out) {
  static const std::regex throughput(R"(\s+[0-9.]+ chars/s(\s+ETA [0-9:?]+)?)");
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("epoch ", 0) == 0) lines.push_back(std::regex_replace(line, throughput, ""));
  }
  return lines;
}

class CliTest : public CliFixture {
 protected:
  // A tiny training run on `text`: 1 layer of 8, seq 16, batch 4, one thread.
  Result train(const fs::path& text, const std::string& out, uint64_t seed = 1, int epochs = 2) const {
    return run({"train", "--text", text.string(), "--out", path(out).string(), "--layers", "1", "--hidden", "8",
                "--seq", "16", "--batch", "4", "--epochs", std::to_string(epochs), "--seed", std::to_string(seed),
                "--threads", "1"});
  }

  // Trains on kCorpus (written to corpus.txt) into `out`; fails the test if training fails.
  fs::path trained_run(const std::string& out = "run") const {
    const Result r = train(write_file("corpus.txt", kCorpus), out);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return path(out);
  }
};

// ---- success paths ----

TEST_F(CliTest, TrainWritesLastAndBestCheckpointsAndOneLinePerEpoch) {
  const Result r = train(write_file("corpus.txt", kCorpus), "run", 1, 3);
  expect_success(r);
  EXPECT_EQ(epoch_loss_lines(r.out).size(), 3u) << describe(r);
  EXPECT_TRUE(fs::is_regular_file(path("run/last.safetensors"))) << describe(r);
  EXPECT_TRUE(fs::is_regular_file(path("run/best.safetensors"))) << describe(r);
}

TEST_F(CliTest, FewerLayersThanTheDefaultDropoutListKeepsTheFirstValues) {
  // The default model has 2 layers with dropout 0.2,0.2; --layers 1 alone must not be a usage error.
  const Result r = run({"train", "--text", write_file("corpus.txt", kCorpus).string(), "--layers", "1", "--hidden",
                        "8", "--seq", "16", "--epochs", "1", "--threads", "1", "--out", "run"});
  expect_success(r);
  const Result info = run({"info", "--model", "run", "--json"});
  expect_success(info);
  const auto dropout = nlohmann::json::parse(info.out).at("model").at("dropout").get<std::vector<float>>();
  ASSERT_EQ(dropout.size(), 1u) << describe(info);
  EXPECT_FLOAT_EQ(dropout[0], 0.2f) << describe(info);
}

TEST_F(CliTest, SampleFromRunDirectoryPrintsRequestedCharacterCount) {
  const fs::path run_dir = trained_run();
  const Result r = run({"sample", "--model", run_dir.string(), "-n", "40", "--seed", "3"});
  expect_success(r);
  // 40 characters (ASCII, so bytes), then a newline unless the 40th drawn already was one.
  ASSERT_FALSE(r.out.empty()) << describe(r);
  EXPECT_EQ(r.out.back(), '\n') << describe(r);
  EXPECT_EQ((r.out.size() == 41 ? r.out.substr(0, 40) : r.out).size(), 40u) << describe(r);
  const Result primed = run({"sample", "--model", run_dir.string(), "-n", "10", "--prime", "the "});
  expect_success(primed);
  EXPECT_EQ(primed.out.rfind("the ", 0), 0u) << describe(primed);
}

TEST_F(CliTest, EvalAndInfoDescribeATrainedCheckpoint) {
  const fs::path run_dir = trained_run();
  const Result eval = run({"eval", "--model", (run_dir / "best.safetensors").string(), "--text", "corpus.txt"});
  expect_success(eval);
  EXPECT_NE(eval.out.find("bits/char"), std::string::npos) << describe(eval);
  const Result info = run({"info", "--model", (run_dir / "last.safetensors").string()});
  expect_success(info);
  EXPECT_NE(info.out.find("1 x LSTM 8"), std::string::npos) << describe(info);
}

TEST_F(CliTest, SampleWithSameSeedIsByteIdenticalAndOtherSeedDiffers) {
  const std::string model = trained_run().string();
  const Result a = run({"sample", "--model", model, "-n", "300", "--seed", "7"});
  const Result b = run({"sample", "--model", model, "-n", "300", "--seed", "7"});
  const Result c = run({"sample", "--model", model, "-n", "300", "--seed", "8"});
  expect_success(a);
  expect_success(b);
  expect_success(c);
  EXPECT_EQ(a.out, b.out) << "same seed, different text" << describe(a) << describe(b);
  EXPECT_NE(a.out, c.out) << "seeds 7 and 8 gave the same 300 characters" << describe(c);
}

TEST_F(CliTest, TrainingTwiceWithSameSeedGivesIdenticalLossesAndCheckpoints) {
  // Same text path: the checkpoint records it.
  const fs::path text = write_file("corpus.txt", kCorpus);
  const Result a = train(text, "a", 5, 3), b = train(text, "b", 5, 3);
  expect_success(a);
  expect_success(b);
  EXPECT_EQ(epoch_loss_lines(a.out), epoch_loss_lines(b.out)) << describe(a) << describe(b);
  EXPECT_EQ(epoch_loss_lines(a.out).size(), 3u) << describe(a);
  // The files differ only in the measured times in progress.history and hence
  // the checksum; weights, optimizer state and all other metadata are equal.
  for (const char* name : {"last.safetensors", "best.safetensors"}) {
    SCOPED_TRACE(name);
    const Safetensors fa = split_safetensors(read_bytes(path("a") / name));
    const Safetensors fb = split_safetensors(read_bytes(path("b") / name));
    ASSERT_FALSE(fa.header.is_null());
    ASSERT_FALSE(fb.header.is_null());
    EXPECT_TRUE(fa.data == fb.data) << "tensor bytes differ";
    nlohmann::json ma = fa.header["__metadata__"], mb = fb.header["__metadata__"];
    nlohmann::json pa = nlohmann::json::parse(ma["progress"].get<std::string>());
    nlohmann::json pb = nlohmann::json::parse(mb["progress"].get<std::string>());
    for (nlohmann::json* p : {&pa, &pb}) {
      for (nlohmann::json& epoch : (*p)["history"]) {
        epoch.erase("chars_per_second");
        epoch.erase("seconds");
        epoch.erase("elapsed");
      }
    }
    EXPECT_EQ(pa, pb);
    for (nlohmann::json* m : {&ma, &mb}) {
      m->erase("progress");
      m->erase("checksum");
    }
    EXPECT_EQ(ma, mb);
    EXPECT_EQ(fa.header.size(), fb.header.size());
  }
}

TEST_F(CliTest, TrainingWithAnotherSeedGivesOtherWeights) {
  const fs::path text = write_file("corpus.txt", kCorpus);
  expect_success(train(text, "a", 5, 1));
  expect_success(train(text, "b", 6, 1));
  EXPECT_NE(split_safetensors(read_bytes(path("a/last.safetensors"))).data,
            split_safetensors(read_bytes(path("b/last.safetensors"))).data);
}

// The work cut follows the machine (work_blocks() in thread_pool.h: the CPUs
// charnn may run on, or CHARNN_WORK_BLOCKS), and every cut that follows it
// splits independent sums, so 12 blocks (a 12-thread machine) train the same
// weights, in f32 and in bf16, and sample the same text as 4 (a machine of 4
// threads or fewer). Two layers of 100 and batch 32, so the large products
// split into column blocks and some of the 12 unit blocks are empty; the
// OpenBLAS products, whose bits follow the cut, must stay in 4 blocks for
// this to hold (it fails if blas.cpp follows the cut).
TEST_F(CliTest, TrainingGivesTheSameWeightsWhateverTheWorkCut) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += kCorpus;
  const fs::path corpus = write_file("corpus.txt", text);
  for (const std::string precision : {"f32", "bf16"}) {
    SCOPED_TRACE(precision);
    for (const std::string blocks : {"4", "12"}) {
      const std::string out = path(precision + "_" + blocks).string();
      const Result r = run({"train", "--text", corpus.string(), "--out", out, "--layers", "2", "--hidden", "100",
                            "--seq", "16", "--batch", "32", "--epochs", "1", "--threads", "2", "--precision",
                            precision},
                           {{"CHARNN_WORK_BLOCKS", blocks}});
      EXPECT_EQ(r.exit_code, 0) << describe(r);  // bf16 without AMX warns on standard error
    }
    EXPECT_TRUE(split_safetensors(read_bytes(path(precision + "_4/last.safetensors"))).data ==
                split_safetensors(read_bytes(path(precision + "_12/last.safetensors"))).data)
        << "tensor bytes differ between 4 and 12 work blocks";
  }
  // Sampling 64 items runs 64 streams at once, cut into stream blocks.
  for (const std::string precision : {"f32", "bf16"}) {
    SCOPED_TRACE(precision);
    std::vector<Result> samples;
    for (const std::string blocks : {"4", "12"}) {
      samples.push_back(run({"sample", "--model", path("f32_4").string(), "--items", "64", "--seed", "3",
                             "--threads", "2", "--precision", precision},
                            {{"CHARNN_WORK_BLOCKS", blocks}}));
      EXPECT_EQ(samples.back().exit_code, 0) << describe(samples.back());
    }
    EXPECT_EQ(samples[0].out, samples[1].out);
    EXPECT_FALSE(samples[0].out.empty());
  }
}

TEST_F(CliTest, ItemsPrintsOneLinePerItemWithinMaxLengthAndStartingWithPrime) {
  const std::string model = trained_run().string();
  const Result r = run({"sample", "--model", model, "--items", "5", "--seed", "2"});
  expect_success(r);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << describe(r);
  const Result primed = run({"sample", "--model", model, "--items", "4", "--max-len", "12", "--prime", "th"});
  expect_success(primed);
  std::istringstream lines(primed.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_EQ(line.rfind("th", 0), 0u) << "item '" << line << "'" << describe(primed);
    EXPECT_LE(line.size(), 12u) << "item '" << line << "'" << describe(primed);  // ASCII: bytes = characters
  }
  EXPECT_EQ(count, 4) << describe(primed);
}

TEST_F(CliTest, ItemsZeroPrintsNothing) {
  const Result r = run({"sample", "--model", trained_run().string(), "--items", "0"});
  expect_success(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(CliTest, EvalJsonIsOneObjectScoringEveryCharacterAfterTheFirst) {
  const fs::path run_dir = trained_run();
  const Result r = run({"eval", "--model", (run_dir / "best.safetensors").string(), "--text", "corpus.txt", "--json"});
  expect_success(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << describe(r);
  EXPECT_EQ(j.at("characters_scored").get<int64_t>(), static_cast<int64_t>(kCorpus.size()) - 1) << j.dump();
  EXPECT_EQ(j.at("seq_length").get<int>(), 16) << j.dump();
  const double nats = j.at("loss_nats").get<double>();
  EXPECT_TRUE(std::isfinite(nats) && nats > 0.0) << j.dump();
  // Both printed from the same double; only the division by ln 2 rounds.
  EXPECT_NEAR(j.at("bits_per_char").get<double>(), nats / std::log(2.0), 1e-12) << j.dump();
}

TEST_F(CliTest, InfoJsonHoldsConfigurationProgressAndSortedVocabulary) {
  const fs::path run_dir = trained_run();
  const Result r = run({"info", "--model", run_dir.string(), "--json"});
  expect_success(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << describe(r);
  EXPECT_EQ(j.at("model").at("hidden").get<int>(), 8) << j.dump();
  EXPECT_EQ(j.at("model").at("layers").get<int>(), 1) << j.dump();
  EXPECT_EQ(j.at("progress").at("epochs_done").get<int>(), 2) << j.dump();
  EXPECT_EQ(j.at("training").at("text_path").get<std::string>(), path("corpus.txt").string()) << j.dump();
  EXPECT_GT(j.at("parameters").get<int64_t>(), 0) << j.dump();
  const std::set<unsigned char> distinct(kCorpus.begin(), kCorpus.end());
  EXPECT_EQ(j.at("vocabulary").get<std::vector<uint32_t>>(), std::vector<uint32_t>(distinct.begin(), distinct.end()))
      << j.dump();
}

TEST_F(CliTest, TextWithMoreThan256DistinctCharactersTrainsResumesAndEvaluates) {
  // U+0100..U+022B, 300 two-byte characters, three times over: the tokens
  // need two bytes each, the vocabulary 300 entries in code-point order.
  std::string text;
  std::vector<uint32_t> code_points;
  for (uint32_t cp = 0x100; cp < 0x100 + 300; ++cp) code_points.push_back(cp);
  for (int round = 0; round < 3; ++round) {
    for (const uint32_t cp : code_points) {
      text += static_cast<char>(0xC0 | (cp >> 6));
      text += static_cast<char>(0x80 | (cp & 0x3F));
    }
    text += '\n';
  }
  code_points.insert(code_points.begin(), '\n');
  expect_success(train(write_file("wide.txt", text), "run", 1, 1));
  const Result info = run({"info", "--model", "run", "--json"});
  expect_success(info);
  EXPECT_EQ(nlohmann::json::parse(info.out).at("vocabulary").get<std::vector<uint32_t>>(), code_points)
      << describe(info);
  expect_success(run({"train", "--resume", "run", "--epochs", "2", "--threads", "1"}));
  const Result eval = run({"eval", "--model", "run", "--text", "wide.txt", "--json"});
  expect_success(eval);
  EXPECT_EQ(nlohmann::json::parse(eval.out).at("characters_scored").get<int64_t>(), 902) << describe(eval);
}

// ---- training precision ----

// Set for every run below, so the bf16 warning is the same on every host.
const EnvChanges kPortableBf16 = {{"CHARNN_BF16_KERNEL", "portable"}};
const std::string kPortableBf16Notice =
    "charnn: bf16: the bf16 products run on a portable loop (no AMX, AVX-512 or AVX2), far slower than f32\n";

std::string stored_precision(const Result& info) {
  return nlohmann::json::parse(info.out).at("training").at("precision").get<std::string>();
}

TEST_F(CliTest, Bf16RunKeepsItsPrecisionOnResumeUnlessTold) {
  const Result first = run({"train", "--text", write_file("corpus.txt", kCorpus).string(), "--out", "run", "--layers",
                            "1", "--hidden", "8", "--seq", "16", "--batch", "4", "--epochs", "1", "--threads", "1",
                            "--precision", "bf16"},
                           kPortableBf16);
  EXPECT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_EQ(first.err, kPortableBf16Notice) << describe(first);
  EXPECT_NE(first.out.find(", bf16 products -> "), std::string::npos) << describe(first);
  EXPECT_EQ(stored_precision(run({"info", "--model", "run", "--json"})), "bf16");
  EXPECT_NE(run({"info", "--model", "run"}).out.find(", bf16 products\n"), std::string::npos);

  const Result kept = run({"train", "--resume", "run", "--epochs", "2", "--threads", "1"}, kPortableBf16);
  EXPECT_EQ(kept.exit_code, 0) << describe(kept);
  EXPECT_EQ(kept.err, kPortableBf16Notice) << describe(kept);
  EXPECT_EQ(kept.out.find("precision:"), std::string::npos) << describe(kept);
  EXPECT_EQ(stored_precision(run({"info", "--model", "run", "--json"})), "bf16");

  const Result changed = run({"train", "--resume", "run", "--epochs", "3", "--threads", "1", "--precision", "f32"},
                             kPortableBf16);
  expect_success(changed);
  EXPECT_NE(changed.out.find("precision: f32 from here on (this run trained in bf16 so far)\n"), std::string::npos)
      << describe(changed);
  EXPECT_EQ(stored_precision(run({"info", "--model", "run", "--json"})), "f32");
}

TEST_F(CliTest, BenchJsonNamesTheTrainingPrecision) {
  const Result r = run({"bench", "--seconds", "0.01", "--threads", "1", "--json"});
  expect_success(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << describe(r);
  EXPECT_EQ(j.at("precision"), "f32") << j.dump();
  EXPECT_TRUE(j.at("amx").is_boolean()) << j.dump();
  EXPECT_TRUE(j.at("blas_kernels").is_string()) << j.dump();
}

// More threads than the CPUs the process may use would wait on each other at
// every hand-off: --threads is lowered to them, with a notice.
TEST_F(CliTest, ThreadsBeyondTheAvailableCpusAreLoweredWithANotice) {
  cpu_set_t all, one;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &all)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);  // the child inherits one CPU
  const Result r = run({"bench", "--seconds", "0.01", "--threads", "3", "--json"});
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "charnn: --threads 3: this process may use 1 CPU; running 1 thread\n") << describe(r);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << describe(r);
  EXPECT_EQ(j.at("threads"), 1) << j.dump();
}

// OpenBLAS picks its kernels from the CPU's model number and falls back to
// SSE3 ones ("Prescott") on a model newer than its table; charnn then
// re-executes itself with OPENBLAS_CORETYPE set (blas_kernels.h). This
// fails without that on such a CPU (Emerald Rapids with Debian 12's OpenBLAS).
std::string blas_kernels_named_by_version(const Result& r) {
  const std::string marker = "(OpenBLAS kernels: ";
  const size_t at = r.out.find(marker);
  if (at == std::string::npos) return "";
  const size_t from = at + marker.size();
  return r.out.substr(from, r.out.find(')', from) - from);
}

TEST_F(CliTest, OpenBlasRunsKernelsThatFitTheCpu) {
  const Result r = run({"--version"}, {{"OPENBLAS_CORETYPE", std::nullopt}});
  expect_success(r);
  const std::string kernels = blas_kernels_named_by_version(r);
  ASSERT_FALSE(kernels.empty()) << describe(r);
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) GTEST_SKIP() << "this CPU has no AVX2";
#else
  GTEST_SKIP() << "not an x86-64 CPU";
#endif
  // OpenBLAS's usual fallbacks on x86-64 CPUs it does not know.
  const std::vector<std::string> fallbacks{"Prescott", "Core2", "Nehalem", "Sandybridge", "Unknown"};
  EXPECT_EQ(std::find(fallbacks.begin(), fallbacks.end(), kernels), fallbacks.end()) << describe(r);
}

// A tuning variable charnn cannot read is ignored, and it says so.
TEST_F(CliTest, UnreadableTuningVariablesAreNamedOnStandardError) {
  const Result r = run({"--version"}, {{"CHARNN_WORK_BLOCKS", "twelve"}, {"CHARNN_BF16_KERNEL", "avx512bf16"}});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err,
            "charnn: warning: CHARNN_WORK_BLOCKS=twelve is not a whole number from 1 to 64; ignored\n"
            "charnn: warning: CHARNN_BF16_KERNEL=avx512bf16 is not amx, avx512_bf16, avx512, avx2 or portable; "
            "ignored\n");
  const Result fine = run({"--version"}, {{"CHARNN_WORK_BLOCKS", "12"}, {"CHARNN_BF16_KERNEL", "avx2"}});
  expect_success(fine);
  EXPECT_EQ(fine.err, "") << describe(fine);
}

TEST_F(CliTest, AnOpenBlasCoretypeTheUserSetIsKept) {
  const Result r = run({"--version"}, {{"OPENBLAS_CORETYPE", "Prescott"}});
  expect_success(r);
  EXPECT_EQ(blas_kernels_named_by_version(r), "Prescott") << describe(r);
}

// ---- preset corpora ----

bool have_shared_data() { return fs::is_regular_file(fs::path(CHARNN_DATA_DIR) / "municipios.txt"); }

TEST_F(CliTest, MunicipiosPresetTrainsFromDataDir) {
  if (!have_shared_data()) GTEST_SKIP() << "no municipios.txt in " << CHARNN_DATA_DIR;
  const Result r = run({"train", "--preset", "municipios", "--data-dir", CHARNN_DATA_DIR, "--epochs", "1", "--hidden",
                        "16", "--threads", "1", "--out", "mun"});
  expect_success(r);
  EXPECT_NE(r.out.find("1421 windows of 25"), std::string::npos) << describe(r);
  EXPECT_EQ(epoch_loss_lines(r.out).size(), 1u) << describe(r);
  const Result items = run({"sample", "--model", "mun", "--items", "3"});
  expect_success(items);
  EXPECT_EQ(std::count(items.out.begin(), items.out.end(), '\n'), 3) << describe(items);
}

TEST_F(CliTest, CharnnDataEnvironmentVariableLocatesPresetCorpus) {
  if (!have_shared_data()) GTEST_SKIP() << "no municipios.txt in " << CHARNN_DATA_DIR;
  // A copy in a directory only the variable names, so the fallbacks cannot be what found it.
  fs::create_directory(path("corpora"));
  fs::copy_file(fs::path(CHARNN_DATA_DIR) / "municipios.txt", path("corpora/municipios.txt"));
  const Result r = run({"train", "--preset", "municipios", "--epochs", "1", "--hidden", "16", "--threads", "1", "--out",
                        "mun"},
                       {{"CHARNN_DATA", path("corpora").string()}});
  expect_success(r);
  EXPECT_EQ(r.out.rfind(path("corpora/municipios.txt").string() + ":", 0), 0u) << describe(r);
}

TEST_F(CliTest, PresetCorpusMissingFromDataDirIsRuntimeErrorNamingTheFile) {
  fs::create_directory(path("nothing-here"));
  const Result r = run({"train", "--preset", "municipios", "--data-dir", path("nothing-here").string()});
  expect_failure(r, 1, {"municipios.txt", "not found", path("nothing-here").string()});
}

TEST_F(CliTest, PresetCorpusThatDiffersFromTheReferenceIsRejected) {
  fs::create_directory(path("altered"));
  write_file("altered/municipios.txt", "Not the INEGI catalog\n");
  const Result r = run({"train", "--preset", "municipios", "--data-dir", path("altered").string()});
  expect_failure(r, 1, {"municipios.txt", "SHA-256"});
}

// ---- training input errors ----

TEST_F(CliTest, InvalidUtf8TextIsRuntimeErrorNamingFileAndByteOffset) {
  // "añb" is 4 bytes (ñ takes two), so the stray 0xFF sits at byte 4, character 3.
  const fs::path text = write_file("bad.txt", "a\xc3\xb1" "b\xff rest of the text\n");
  expect_failure(train(text, "run"), 1, {"bad.txt", "invalid UTF-8", "byte 4"});
}

TEST_F(CliTest, EmptyTextIsRuntimeError) {
  expect_failure(train(write_file("empty.txt", ""), "run"), 1, {"empty.txt", "empty"});
}

TEST_F(CliTest, TextShorterThanOneSequenceIsRuntimeError) {
  expect_failure(train(write_file("short.txt", "too short\n"), "run"), 1, {"fewer than one sequence of 16"});
}

TEST_F(CliTest, DirectoryAsTextIsRuntimeError) {
  fs::create_directory(path("a-directory"));
  expect_failure(train(path("a-directory"), "run"), 1, {"a-directory", "is a directory"});
}

TEST_F(CliTest, MissingTextFileIsRuntimeError) {
  expect_failure(train(path("absent.txt"), "run"), 1, {"absent.txt", "no such file"});
}

// ---- usage errors: exit 2 before any work ----

struct UsageCase {
  std::string name;
  std::vector<std::string> args;  // "MODEL" and "TEXT" stand for a trained run and its corpus
  std::string needle;
};

// gtest prints a failing parameter with this instead of its raw bytes.
void PrintTo(const UsageCase& c, std::ostream* os) {
  *os << c.name << ": charnn " << fmt::format("{}", fmt::join(c.args, " "));
}

std::string usage_case_name(const ::testing::TestParamInfo<UsageCase>& param) { return param.param.name; }

class UsageErrorTest : public CliTest, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(UsageErrorTest, ExitsTwoWithOneUsageLine) {
  std::vector<std::string> args = GetParam().args;
  for (std::string& a : args) {
    if (a == "MODEL") a = trained_run().string();
    if (a == "TEXT") a = write_file("corpus.txt", kCorpus).string();
  }
  expect_failure(run(args), 2, {GetParam().needle});
}

INSTANTIATE_TEST_SUITE_P(
    Train, UsageErrorTest,
    ::testing::Values(UsageCase{"UnknownPreset", {"train", "--preset", "shakespeare"}, "unknown preset 'shakespeare'"},
                      UsageCase{"PresetAndTextTogether", {"train", "--preset", "municipios", "--text", "TEXT"},
                                "--preset excludes --text"},
                      UsageCase{"NeitherPresetNorText", {"train", "--hidden", "8"}, "needs --preset NAME"},
                      UsageCase{"ZeroHiddenUnits", {"train", "--text", "TEXT", "--hidden", "0"}, "--hidden"},
                      UsageCase{"DropoutOfOne", {"train", "--text", "TEXT", "--dropout", "1.0"}, "dropout"},
                      UsageCase{"UnknownPrecision", {"train", "--text", "TEXT", "--precision", "fp8"},
                                "--precision must be f32 or bf16 (got 'fp8')"},
                      UsageCase{"UnknownPrecisionOnResume", {"train", "--resume", "MODEL", "--precision", "bf8"},
                                "--precision must be f32 or bf16 (got 'bf8')"}),
    usage_case_name);

INSTANTIATE_TEST_SUITE_P(Bench, UsageErrorTest,
                         ::testing::Values(UsageCase{"UnknownPrecision", {"bench", "--precision", "fp16"},
                                                     "--precision must be f32 or bf16 (got 'fp16')"}),
                         usage_case_name);

INSTANTIATE_TEST_SUITE_P(
    Sample, UsageErrorTest,
    ::testing::Values(UsageCase{"TopPZero", {"sample", "--model", "MODEL", "--top-p", "0"}, "--top-p"},
                      UsageCase{"TopPAboveOne", {"sample", "--model", "MODEL", "--top-p", "1.5"}, "--top-p"},
                      UsageCase{"NegativeTemperature", {"sample", "--model", "MODEL", "--temperature", "-0.5"},
                                "--temperature"},
                      UsageCase{"CharsAndItemsTogether", {"sample", "--model", "MODEL", "-n", "5", "--items", "2"},
                                "excludes"}),
    usage_case_name);

// ---- sampling and evaluation errors ----

TEST_F(CliTest, PrimeWithCharacterOutsideVocabularyIsRuntimeError) {
  const Result r = run({"sample", "--model", trained_run().string(), "--prime", "the Q"});
  expect_failure(r, 1, {"--prime", "'Q'", "position 4", "not in the model's vocabulary"});
}

TEST_F(CliTest, ItemsOnModelWhoseCorpusHasNoNewlineIsRuntimeError) {
  std::string one_line = kCorpus;
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  expect_success(train(write_file("one-line.txt", one_line), "run"));
  expect_failure(run({"sample", "--model", "run", "--items", "5"}), 1, {"--items", "newline"});
}

TEST_F(CliTest, EvalOnTextWithCharactersOutsideVocabularyIsRuntimeError) {
  const fs::path run_dir = trained_run();
  write_file("other.txt", "the pen is 7 times mightier\n");
  expect_failure(run({"eval", "--model", run_dir.string(), "--text", "other.txt"}), 1,
                 {"other.txt", "'7'", "not in the model's vocabulary"});
}

// ---- damaged or foreign checkpoints ----

TEST_F(CliTest, TruncatedCheckpointIsRejected) {
  const std::string bytes = read_bytes(trained_run() / "last.safetensors");
  const Safetensors parts = split_safetensors(bytes);
  ASSERT_GT(parts.data.size(), 100u);
  const size_t header_end = bytes.size() - parts.data.size();
  // Inside the header, at the start of the data, in the middle, one byte short.
  for (size_t keep : {header_end / 2, header_end + 1, header_end + parts.data.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(fmt::format("kept {} of {} bytes", keep, bytes.size()));
    write_file("cut.safetensors", bytes.substr(0, keep));
    expect_failure(run({"info", "--model", "cut.safetensors"}), 1, {"cut.safetensors", "truncated"});
  }
}

TEST_F(CliTest, RandomBytesCheckpointIsRejected) {
  std::mt19937 rng(20240601);  // fixed: the test must not depend on luck
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
  write_file("noise.safetensors", noise);
  expect_failure(run({"sample", "--model", "noise.safetensors"}), 1,
                 {"noise.safetensors", "not a valid safetensors file"});
}

TEST_F(CliTest, CheckpointWithOneFlippedDataByteFailsItsChecksum) {
  std::string bytes = read_bytes(trained_run() / "best.safetensors");
  const size_t data_size = split_safetensors(bytes).data.size();
  ASSERT_GT(data_size, 0u);
  bytes[bytes.size() - data_size / 2] ^= 0x10;
  write_file("flipped.safetensors", bytes);
  expect_failure(run({"info", "--model", "flipped.safetensors"}), 1, {"flipped.safetensors", "checksum mismatch"});
}

TEST_F(CliTest, SafetensorsFileWithoutCharnnMetadataIsRejected) {
  const std::string data(16, '\0');  // four float zeros
  const std::string tensor = R"("weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  for (const std::string& header : {"{" + tensor + "}", R"({"__metadata__":{"format":"pt"},)" + tensor + "}"}) {
    SCOPED_TRACE(header);
    write_file("foreign.safetensors", make_safetensors(header, data));
    expect_failure(run({"info", "--model", "foreign.safetensors"}), 1,
                   {"foreign.safetensors", "not a charnn checkpoint"});
  }
}

}  // namespace
}  // namespace charnn::cli_test
