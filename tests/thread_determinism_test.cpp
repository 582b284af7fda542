// Training gives bit-identical losses and weights with 1 and with 2 BLAS
// threads. This holds because OpenBLAS splits a product's output rows and
// columns between threads, never its inner (summed) dimension, and every other
// loop in a step is single-threaded: each number is summed in the same order
// whatever the thread count.
#include <vector>

#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/nn/model.h"
#include "charnn/train/optimizer.h"
#include "test_support.h"

namespace charnn {
namespace {

struct TrainingRun {
  std::vector<double> losses;
  std::vector<float> params;
};

TrainingRun train_steps(int threads) {
  const int previous = blas_threads();
  blas_set_threads(threads);
  // Large enough that OpenBLAS really uses two threads in the products.
  const int V = 23, T = 6, B = 32;
  const ModelConfig config = testing::tiny_config(V, 2, 192, 0.2f);
  Model model = testing::random_model(config, 21);
  TrainingWorkspace ws(config, T, B);
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

TEST(ThreadDeterminism, OneAndTwoBlasThreadsGiveBitIdenticalTraining) {
  const TrainingRun one = train_steps(1);
  const TrainingRun two = train_steps(2);
  for (size_t i = 0; i < one.losses.size(); ++i) {
    EXPECT_EQ(one.losses[i], two.losses[i]) << "loss of step " << i;
  }
  for (size_t i = 0; i < one.params.size(); ++i) {
    ASSERT_EQ(one.params[i], two.params[i]) << "parameter " << i << " after 4 steps";
  }
}

}  // namespace
}  // namespace charnn
