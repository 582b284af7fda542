// RMSprop and Adam steps against the update rules worked in double by hand,
// and global-norm clipping.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/rng.h"
#include "charnn/train/optimizer.h"

namespace charnn {
namespace {

TEST(Optimizer, RmspropFollowsKerasRule) {
  OptimizerConfig config;  // lr 1e-3, rho 0.9, eps 1e-7
  Optimizer opt(config, 2);
  std::vector<float> p = {1.0f, -2.0f};
  const std::vector<float> g = {0.5f, -0.1f};
  double v0 = 0, v1 = 0, p0 = 1, p1 = -2;
  for (int step = 0; step < 3; ++step) {
    opt.step(p.data(), g.data());
    v0 = 0.9 * v0 + 0.1 * 0.25;
    v1 = 0.9 * v1 + 0.1 * 0.01;
    p0 -= 1e-3 * 0.5 / (std::sqrt(v0) + 1e-7);
    p1 -= 1e-3 * -0.1 / (std::sqrt(v1) + 1e-7);
  }
  EXPECT_NEAR(p[0], p0, 1e-6);
  EXPECT_NEAR(p[1], p1, 1e-6);
  EXPECT_EQ(opt.steps(), 3);
}

TEST(Optimizer, AdamFollowsBiasCorrectedRule) {
  OptimizerConfig config;
  config.kind = OptimizerKind::adam;
  config.learning_rate = 0.01f;
  Optimizer opt(config, 1);
  std::vector<float> p = {0.3f};
  double m = 0, v = 0, expected = 0.3;
  const float grads[] = {0.2f, -0.4f, 0.1f};
  for (int t = 1; t <= 3; ++t) {
    const float g = grads[t - 1];
    opt.step(p.data(), &g);
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double lr_t = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    expected -= lr_t * m / (std::sqrt(v) + 1e-7);
  }
  EXPECT_NEAR(p[0], expected, 1e-6);
}

TEST(Optimizer, ClipScalesToTheMaximumNormOnlyWhenAbove) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(clip_global_norm(g.data(), 2, 10.0), 5.0);
  EXPECT_EQ(g, std::vector<float>({3.0f, 4.0f}));
  EXPECT_DOUBLE_EQ(clip_global_norm(g.data(), 2, 1.0), 5.0);
  EXPECT_NEAR(g[0], 0.6f, 1e-7);
  EXPECT_NEAR(g[1], 0.8f, 1e-7);
}

TEST(Optimizer, ClipLeavesNonFiniteGradientsForTheCallerToSkip) {
  std::vector<float> g = {NAN, 1.0f};
  EXPECT_TRUE(std::isnan(clip_global_norm(g.data(), 2, 1.0)));
  EXPECT_EQ(g[1], 1.0f);
}

std::vector<float> random_values(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = 2.0f * rng.uniform_float() - 1.0f;
  return v;
}

TEST(Optimizer, LongBuffersFollowTheRuleInEveryBlockAndTail) {
  // The passes are cut into blocks for the threads and into vector lanes; an
  // odd length exercises every block edge and the scalar tail.
  const size_t n = 1000003;
  const std::vector<float> g = random_values(n, 1), p0 = random_values(n, 2);
  std::vector<float> p = p0;
  Optimizer opt(OptimizerConfig{}, n);
  opt.step(p.data(), g.data());
  for (size_t i = 0; i < n; ++i) {
    const double v = 0.1 * static_cast<double>(g[i]) * g[i];
    const double expected = p0[i] - 1e-3 * g[i] / (std::sqrt(v) + 1e-7);
    ASSERT_NEAR(p[i], expected, 1e-6) << "element " << i;
  }
  // A second step, checked against exactly the float rule with one rounding
  // per operation: no vector clone may fuse a multiply-add (the moment decay
  // rho v is nonzero from this step on), or MPI ranks on different CPUs would
  // apply different updates to the same gradient. volatile keeps this side
  // unfused too.
  const std::vector<float> p1 = p;
  opt.step(p.data(), g.data());
  for (size_t i = 0; i < n; i += 7) {
    const float rho = 0.9f, lr = 1e-3f, eps = 1e-7f;
    volatile float first = (1.0f - rho) * g[i];
    first = first * g[i];
    volatile float decayed = rho * first;
    volatile float fresh = (1.0f - rho) * g[i];
    fresh = fresh * g[i];
    volatile float v = decayed + fresh;
    volatile float step = lr * g[i];
    step = step / (std::sqrt(v) + eps);
    ASSERT_EQ(p[i], p1[i] - step) << "element " << i;
  }
  double squares = 0.0;
  for (float x : g) squares += static_cast<double>(x) * x;
  std::vector<float> clipped = g;
  EXPECT_NEAR(clip_global_norm(clipped.data(), n, 1.0), std::sqrt(squares), 1e-9 * std::sqrt(squares));
  const double scale = 1.0 / std::sqrt(squares);
  for (size_t i = 0; i < n; i += 997) ASSERT_NEAR(clipped[i], g[i] * scale, 1e-7) << "element " << i;
  EXPECT_FLOAT_EQ(clipped[n - 1], static_cast<float>(g[n - 1] * scale));
}

TEST(Optimizer, StepAndNormAreTheSameBitsOnAnyThreadCount) {
  const size_t n = 100003;
  const std::vector<float> g = random_values(n, 3), p0 = random_values(n, 4);
  const int previous = blas_threads();
  std::vector<std::vector<float>> params;
  std::vector<double> norms;
  for (int threads : {1, 2, 3}) {
    blas_set_threads(threads);
    std::vector<float> p = p0, grads = g;
    Optimizer opt(OptimizerConfig{}, n);
    norms.push_back(clip_global_norm(grads.data(), n, 0.5));
    opt.step(p.data(), grads.data());
    opt.step(p.data(), grads.data());
    params.push_back(p);
  }
  blas_set_threads(previous);
  for (size_t t = 1; t < params.size(); ++t) {
    EXPECT_EQ(norms[t], norms[0]);
    EXPECT_EQ(params[t], params[0]);
  }
}

}  // namespace
}  // namespace charnn
