// Fault injection against the real binary: SIGKILL at random moments then
// resume, SIGINT/SIGTERM, full or failing disks (an LD_PRELOAD shim), non-finite
// steps, damaged checkpoints on resume. The promise under test: no good
// checkpoint is lost, and a resumed run ends bit-identical to an uninterrupted one.
#include <csignal>
#include <random>
#include <thread>

#include "cli_support.h"

namespace charnn::cli_test {
namespace {

// About 12,000 characters of varied lines, so a run lasts long enough to be
// killed in the middle (a couple of seconds) yet keeps the suite fast.
std::string fault_corpus() {
  const char* words[] = {"river", "stone", "golden", "bird", "king", "forest", "wolf", "little", "house", "bread",
                         "water", "night", "queen", "apple", "child", "mill"};
  std::mt19937 rng(7);
  std::string text;
  while (text.size() < 12000) {
    const int n = 3 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) text += std::string(i ? " " : "") + words[rng() % 16];
    text += rng() % 3 == 0 ? ".\n" : ",\n";
  }
  return text;
}

class FaultTest : public CliFixture {
 protected:
  std::vector<std::string> train_args(const std::string& out, int epochs = 3, const char* precision = "f32") const {
    return {"train",   "--text", "corpus.txt", "--out",   out,        "--layers",         "2",
            "--hidden", "48",    "--seq",      "32",      "--batch",  "8",                "--epochs",
            std::to_string(epochs), "--threads", "1",      "--checkpoint-every", "7", "--precision", precision};
  }
  void SetUp() override {
    CliFixture::SetUp();
    write_file("corpus.txt", fault_corpus());
  }
  nlohmann::json info(const std::string& checkpoint) const {
    const Result r = run({"info", "--model", checkpoint, "--json"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
  }
  // The losses of every epoch, and the raw tensor bytes (weights and optimizer state).
  std::pair<std::vector<double>, std::string> outcome(const std::string& run_dir) const {
    std::vector<double> losses;
    const nlohmann::json last = info(run_dir + "/last.safetensors");
    for (const auto& epoch : last["progress"]["history"]) {
      losses.push_back(epoch["train_loss"].get<double>());
      losses.push_back(epoch["validation_loss"].get<double>());
    }
    return {losses, split_safetensors(read_bytes(path(run_dir + "/last.safetensors"))).data};
  }
  bool has_checkpoint(const std::string& run_dir) const { return fs::exists(path(run_dir + "/last.safetensors")); }
};

// The newest numbered checkpoint's step, or -1.
int64_t newest_step(const fs::path& run_dir) {
  int64_t newest = -1;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(run_dir, ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint-", 0) == 0 && name.size() == 32) newest = std::max<int64_t>(newest, std::stoll(name.substr(11, 9)));
  }
  return newest;
}

TEST_F(FaultTest, KilledAtRandomMomentsAndResumedEndsBitIdentical) {
  expect_success(run(train_args("reference", 4)));
  const auto reference = outcome("reference");
  ASSERT_EQ(reference.first.size(), 8u);

  // Kill points: once the run has passed a random step (4 epochs = 180 steps),
  // wait a random few milliseconds more, so kills land inside steps, between
  // them and during checkpoint writes alike.
  std::mt19937 rng(2024);
  std::vector<int64_t> targets;
  for (int k = 0; k < 4; ++k) targets.push_back(10 + static_cast<int64_t>(rng() % 160));
  std::sort(targets.begin(), targets.end());
  int kills = 0;
  for (int64_t target : targets) {
    const bool resume = has_checkpoint("victim");
    Running child = start(resume ? std::vector<std::string>{"train", "--resume", "victim", "--threads", "1"}
                                 : train_args("victim", 4),
                          {}, "victim");
    int exited = 0;
    while (newest_step(path("victim")) < target && ::waitpid(child.pid, &exited, WNOHANG) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ::kill(child.pid, SIGKILL);
    const Result r = finish(child);
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << "the run ended before its kill at step " << target << describe(r);
    ++kills;
  }
  expect_success(run({"train", "--resume", "victim", "--threads", "1"}));
  EXPECT_EQ(kills, 4);
  const auto resumed = outcome("victim");
  EXPECT_EQ(resumed.first, reference.first) << "losses differ after " << kills << " kills";
  EXPECT_TRUE(resumed.second == reference.second) << "final weights differ after " << kills << " kills";
}

// bf16 products resume as exactly as f32 ones: their operands are rounded
// from the f32 weights and activations a checkpoint restores bit for bit.
// Without AMX tiles a bf16 run says once on stderr which kernel it runs.
void expect_bf16_success(const Result& r) {
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  if (!r.err.empty()) {
    EXPECT_EQ(r.err.rfind("charnn: bf16: ", 0), 0u) << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
  }
}

TEST_F(FaultTest, Bf16RunKilledMidEpochAndResumedEndsBitIdentical) {
  expect_bf16_success(run(train_args("reference", 2, "bf16")));
  const auto reference = outcome("reference");
  Running child = start(train_args("victim", 2, "bf16"), {}, "victim");
  int exited = 0;
  while (newest_step(path("victim")) < 50 && ::waitpid(child.pid, &exited, WNOHANG) == 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(child.pid, SIGKILL);
  const Result killed = finish(child);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "the run ended before its kill" << describe(killed);
  expect_bf16_success(run({"train", "--resume", "victim", "--threads", "1"}));
  const auto resumed = outcome("victim");
  EXPECT_EQ(resumed.first, reference.first) << "losses differ after a kill";
  EXPECT_TRUE(resumed.second == reference.second) << "final weights differ after a kill";
  EXPECT_EQ(info("victim/last.safetensors")["training"]["precision"], "bf16");
}

TEST_F(FaultTest, SigintCheckpointsMidEpochExits130AndResumeMatches) {
  expect_success(run(train_args("reference")));
  Running child = start(train_args("victim"), {}, "victim");
  while (!fs::exists(path("victim/checkpoint-000000014.safetensors"))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(child.pid, SIGINT);
  const Result stopped = finish(child);
  EXPECT_EQ(stopped.exit_code, 130) << describe(stopped);
  EXPECT_NE(stopped.err.find("continue with: charnn train --resume victim"), std::string::npos) << describe(stopped);
  EXPECT_GT(info("victim/last.safetensors")["progress"]["step"].get<int>(), 14);
  expect_success(run({"train", "--resume", "victim", "--threads", "1"}));
  const auto resumed = outcome("victim"), reference = outcome("reference");
  EXPECT_EQ(resumed.first, reference.first) << "losses differ";
  EXPECT_TRUE(resumed.second == reference.second) << "final weights differ";
}

TEST_F(FaultTest, SigtermStopsWithExitCode143) {
  Running child = start(train_args("victim"), {}, "victim");
  while (!has_checkpoint("victim")) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(child.pid, SIGTERM);
  const Result stopped = finish(child);
  EXPECT_EQ(stopped.exit_code, 143) << describe(stopped);
  EXPECT_NO_FATAL_FAILURE(info("victim/last.safetensors"));
}

TEST_F(FaultTest, SecondSigintExitsAtOnceLeavingAGoodCheckpoint) {
  Running child = start(train_args("victim", 50), {}, "victim");
  while (!has_checkpoint("victim")) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(child.pid, SIGINT);
  ::kill(child.pid, SIGINT);
  const Result r = finish(child);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_EQ(run({"info", "--model", "victim"}).exit_code, 0);
}

struct DiskFault {
  const char* error;
  const char* call;
  const char* message;
};

class FullDiskTest : public FaultTest, public ::testing::WithParamInterface<DiskFault> {
 protected:
  EnvChanges failing_disk(int from, int count) const {
    return {{"LD_PRELOAD", CHARNN_FAILING_IO},
            {"FAILING_IO_FROM", std::to_string(from)},
            {"FAILING_IO_COUNT", std::to_string(count)},
            {"FAILING_IO_ERRNO", GetParam().error},
            {"FAILING_IO_CALL", GetParam().call},
            {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0"}};
  }
};

TEST_P(FullDiskTest, TrainingGoesOnAndTheNextCheckpointRetries) {
  // Checkpoint writes: 1 initial, then every 7 steps and each epoch end; fail the 3rd and 4th.
  const Result r = run(train_args("run"), failing_disk(3, 2));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  size_t warnings = 0;
  for (size_t at = r.err.find("checkpoint not written"); at != std::string::npos;
       at = r.err.find("checkpoint not written", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 2u) << describe(r);
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << describe(r);
  EXPECT_EQ(info("run/last.safetensors")["progress"]["epochs_done"].get<int>(), 3);
}

TEST_P(FullDiskTest, ADiskThatStaysFullKeepsTheLastGoodCheckpoint) {
  const Result r = run(train_args("run"), failing_disk(3, 0));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const nlohmann::json last = info("run/last.safetensors");
  EXPECT_EQ(last["progress"]["step"].get<int>(), 7) << "the second checkpoint (step 7) is the last good one";
  for (const auto& entry : fs::directory_iterator(path("run"))) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
  expect_success(run({"train", "--resume", "run", "--threads", "1"}));
}

INSTANTIATE_TEST_SUITE_P(Errors, FullDiskTest,
                         ::testing::Values(DiskFault{"ENOSPC", "write", "No space left on device"},
                                           DiskFault{"EDQUOT", "write", "Disk quota exceeded"},
                                           DiskFault{"EIO", "fsync", "Input/output error"}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.error) + "_in_" + param_info.param.call;
                         });

TEST_F(FaultTest, ANonFiniteStepIsSkippedAndTrainingContinues) {
  const Result r = run(train_args("run", 1), {{"CHARNN_FAULT_NONFINITE_STEPS", "4"}});
  expect_success({r.command, r.exit_code, r.out, ""});
  EXPECT_NE(r.err.find("step 5: non-finite loss; step skipped"), std::string::npos) << describe(r);
  EXPECT_EQ(info("run/last.safetensors")["progress"]["skipped_steps"].get<int>(), 1);
}

TEST_F(FaultTest, RepeatedNonFiniteStepsRollBackAndHalveTheLearningRate) {
  const Result r = run(train_args("run", 1), {{"CHARNN_FAULT_NONFINITE_STEPS", "9,10,11"}});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("rolled back to"), std::string::npos) << describe(r);
  const nlohmann::json last = info("run/last.safetensors");
  EXPECT_FLOAT_EQ(last["training"]["learning_rate"].get<float>(), 0.0005f);
  EXPECT_EQ(last["progress"]["rollbacks"].get<int>(), 1);
}

TEST_F(FaultTest, ResumeSkipsADamagedLastCheckpointAndSaysSo) {
  expect_success(run(train_args("run", 1)));
  std::string bytes = read_bytes(path("run/last.safetensors"));
  bytes[bytes.size() / 2] ^= 0x01;
  fs::remove(path("run/last.safetensors"));  // a hard link: rewrite, do not edit the shared file
  write_bytes(path("run/last.safetensors"), bytes);
  const Result r = run({"train", "--resume", "run", "--epochs", "2", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("resuming from the newest good checkpoint"), std::string::npos) << describe(r);
  EXPECT_EQ(info("run/last.safetensors")["progress"]["epochs_done"].get<int>(), 2);
}

TEST_F(FaultTest, ResumeRefusesFlagsThatWouldChangeTheRun) {
  expect_success(run(train_args("run", 1)));
  expect_failure(run({"train", "--resume", "run", "--hidden", "9"}), 2, {"--hidden cannot change"});
  expect_failure(run({"train", "--resume", "run", "--seed", "3"}), 2, {"--seed cannot change"});
}

TEST_F(FaultTest, ResumeRefusesAChangedCorpus) {
  expect_success(run(train_args("run", 1)));
  write_file("corpus.txt", fault_corpus() + "one more line\n");
  expect_failure(run({"train", "--resume", "run"}), 1, {"corpus.txt", "differs"});
}

TEST_F(FaultTest, ResumeCanExtendTheNumberOfEpochs) {
  expect_success(run(train_args("run", 1)));
  const Result r = run({"train", "--resume", "run", "--epochs", "2", "--threads", "1"});
  expect_success(r);
  EXPECT_NE(r.out.find("epoch 2/2"), std::string::npos) << describe(r);
}

}  // namespace
}  // namespace charnn::cli_test
