// Training gives bit-identical losses and weights with 1, 2, 3 and 4 threads
// of charnn's pool. This holds because every parallel loop (the recurrent
// steps by unit blocks, the large products by column blocks, the bias and
// one-hot gradient sums by column blocks) is cut into a number of tasks
// fixed for the process (work_blocks(), or 4 for the BLAS products and the
// gradient norm); the thread count only decides who runs them, so each
// number is summed by the same code in the same order.
// OpenBLAS itself always runs single-threaded inside a task. CMake runs these
// tests again with CHARNN_WORK_BLOCKS=12 (ragged blocks, more than threads).
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/nn/model.h"
#include "charnn/nn/thread_pool.h"
#include "charnn/train/optimizer.h"
#include "test_support.h"

namespace charnn {
namespace {

struct TrainingRun {
  std::vector<double> losses;
  std::vector<float> params;
};

TrainingRun train_steps(int threads, Precision precision) {
  const int previous = blas_threads();
  blas_set_threads(threads);
  // Large enough that the products are split into column blocks; H = 190
  // leaves the last unit block and the last packed panels ragged.
  const int V = 23, T = 6, B = 32;
  const ModelConfig config = testing::tiny_config(V, 2, 190, 0.2f);
  Model model = testing::random_model(config, 21);
  TrainingWorkspace ws(config, T, B, precision);
  Optimizer optimizer(OptimizerConfig{}, model.layout.total());
  std::vector<float> grads(model.layout.total());
  TrainingRun run;
  for (int step = 0; step < 4; ++step) {
    const auto inputs = testing::random_tokens(static_cast<size_t>(T * B), V, 100 + static_cast<uint64_t>(step));
    const auto targets = testing::random_tokens(static_cast<size_t>(T * B), V, 200 + static_cast<uint64_t>(step));
    Rng rng(300 + static_cast<uint64_t>(step));
    fill_dropout_masks(ws, config, rng, T, B);
    run.losses.push_back(model_forward(ws, model, inputs.data(), targets.data(), T, B, true));
    std::fill(grads.begin(), grads.end(), 0.0f);
    model_backward(grads.data(), ws, model, inputs.data(), T, B, 1.0f / static_cast<float>(T * B));
    clip_global_norm(grads.data(), grads.size(), 5.0);
    optimizer.step(model.params.data(), grads.data());
  }
  run.params = model.params;
  blas_set_threads(previous);
  return run;
}

void expect_same_bits_on_any_thread_count(Precision precision) {
  const TrainingRun one = train_steps(1, precision);
  for (int threads : {2, 3, 4}) {
    const TrainingRun many = train_steps(threads, precision);
    for (size_t i = 0; i < one.losses.size(); ++i) {
      EXPECT_EQ(one.losses[i], many.losses[i]) << "loss of step " << i << " with " << threads << " threads";
    }
    for (size_t i = 0; i < one.params.size(); ++i) {
      ASSERT_EQ(one.params[i], many.params[i]) << "parameter " << i << " after 4 steps with " << threads << " threads";
    }
  }
}

TEST(ThreadDeterminism, OneToFourThreadsGiveBitIdenticalTraining) {
  expect_same_bits_on_any_thread_count(Precision::f32);
}

// The bf16 products and their conversions are cut the same way.
TEST(ThreadDeterminism, OneToFourThreadsGiveBitIdenticalBf16Training) {
  expect_same_bits_on_any_thread_count(Precision::bf16);
}

// No kernel hands the pool more than work_blocks() tasks, so threads beyond
// that would only spin at every hand-off: the pool never starts them.
TEST(ThreadDeterminism, ThePoolHoldsAtMostOneThreadPerWorkBlock) {
  const int previous = blas_threads();
  blas_set_threads(4 * work_blocks());
  EXPECT_EQ(blas_threads(), work_blocks());
  blas_set_threads(0);
  EXPECT_EQ(blas_threads(), 1);
  blas_set_threads(previous);
}

// Batched sampling runs whole steps as tasks, and the products inside them
// call parallel_for again: those calls run every task inline, on the task's
// own thread, with 1 thread or several.
TEST(ThreadDeterminism, AParallelForInsideATaskRunsInlineOnThatThread) {
  const int previous = blas_threads();
  for (const int threads : {1, 2}) {
    blas_set_threads(threads);
    std::vector<std::thread::id> outer(2);
    std::vector<std::vector<std::thread::id>> inner(2, std::vector<std::thread::id>(5));
    parallel_for(2, [&](int t) {
      outer[static_cast<size_t>(t)] = std::this_thread::get_id();
      parallel_for(5, [&](int k) { inner[static_cast<size_t>(t)][static_cast<size_t>(k)] = std::this_thread::get_id(); });
    });
    for (int t = 0; t < 2; ++t) {
      for (int k = 0; k < 5; ++k) {
        EXPECT_EQ(inner[static_cast<size_t>(t)][static_cast<size_t>(k)], outer[static_cast<size_t>(t)])
            << threads << " threads, task " << t << ", inner task " << k;
      }
    }
  }
  blas_set_threads(previous);
}

TEST(ThreadDeterminism, TheWorkBlockSettingIsAWholeNumberFrom1To64) {
  EXPECT_EQ(work_blocks_setting("12"), 12);
  EXPECT_EQ(work_blocks_setting("1"), 1);
  EXPECT_EQ(work_blocks_setting("64"), 64);
  for (const char* unread : {"0", "65", "-3", "", "12x", "x12", "4.5"}) {
    EXPECT_FALSE(work_blocks_setting(unread).has_value()) << unread;
  }
  EXPECT_FALSE(work_blocks_setting(nullptr).has_value());
}

}  // namespace
}  // namespace charnn
