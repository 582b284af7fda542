// Sampling statistics: greedy limits, top-k and top-p truncation, empirical
// frequencies against the distribution, and seeded reproducibility.
#include <cmath>

#include <gtest/gtest.h>

#include "charnn/error.h"
#include "charnn/nn/blas.h"
#include "charnn/rng.h"
#include "charnn/sample/sampler.h"

namespace charnn {
namespace {

// logits = log p for p = {0.1, 0.2, 0.3, 0.4}
const std::vector<float> kLogits = {std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)};

std::vector<double> frequencies(Sampler& sampler, int draws) {
  std::vector<double> counts(4, 0.0);
  for (int i = 0; i < draws; ++i) counts[static_cast<size_t>(sampler.sample(kLogits.data()))] += 1.0;
  for (double& c : counts) c /= draws;
  return counts;
}

TEST(Sampler, TemperatureZeroAndTopKOneAreArgmax) {
  // The same character 100 times is a cycle the loop guard would break after 31 (loop_guard_test.cpp).
  for (SamplingOptions o : {SamplingOptions{.temperature = 0.0f, .loop_guard = false},
                            SamplingOptions{.top_k = 1, .loop_guard = false}}) {
    Sampler sampler(o, 4);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(sampler.sample(kLogits.data()), 3);
  }
}

TEST(Sampler, FrequenciesMatchTheDistribution) {
  Sampler sampler({1.0f, 0, 1.0f, 42}, 4);
  const int n = 200000;
  const auto f = frequencies(sampler, n);
  const double p[] = {0.1, 0.2, 0.3, 0.4};
  for (int v = 0; v < 4; ++v) {
    // Five standard deviations of a binomial proportion: a false alarm is ~1e-6.
    const double tolerance = 5 * std::sqrt(p[v] * (1 - p[v]) / n);
    EXPECT_NEAR(f[static_cast<size_t>(v)], p[v], tolerance) << "symbol " << v;
  }
}

TEST(Sampler, TemperatureSharpensTheDistribution) {
  Sampler sampler({0.5f, 0, 1.0f, 3}, 4);
  const int n = 100000;
  const auto f = frequencies(sampler, n);
  // p^(1/T) renormalised: squares of 1..4 over 30.
  for (int v = 0; v < 4; ++v) {
    const double expected = (v + 1) * (v + 1) / 30.0;
    EXPECT_NEAR(f[static_cast<size_t>(v)], expected, 5 * std::sqrt(expected * (1 - expected) / n)) << v;
  }
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  Sampler sampler({1.0f, 2, 1.0f, 5}, 4);
  const int n = 100000;
  const auto f = frequencies(sampler, n);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_EQ(f[1], 0.0);
  EXPECT_NEAR(f[3], 4.0 / 7.0, 5 * std::sqrt(0.25 / n));
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // 0.4 + 0.3 = 0.7 >= 0.65: exactly the two most likely survive.
  Sampler sampler({1.0f, 0, 0.65f, 9}, 4);
  sampler.sample(kLogits.data());
  const auto& kept = sampler.last_distribution();
  EXPECT_EQ(kept[0], 0.0f);
  EXPECT_EQ(kept[1], 0.0f);
  EXPECT_NEAR(kept[2], 3.0 / 7.0, 1e-6);
  EXPECT_NEAR(kept[3], 4.0 / 7.0, 1e-6);
  Sampler just_top({.top_p = 0.4f, .seed = 9, .loop_guard = false}, 4);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(just_top.sample(kLogits.data()), 3);
}

TEST(Sampler, SameSeedSameDraws) {
  Sampler a({0.9f, 0, 0.95f, 77}, 4), b({0.9f, 0, 0.95f, 77}, 4), c({0.9f, 0, 0.95f, 78}, 4);
  std::vector<int> da, db, dc;
  for (int i = 0; i < 200; ++i) {
    da.push_back(a.sample(kLogits.data()));
    db.push_back(b.sample(kLogits.data()));
    dc.push_back(c.sample(kLogits.data()));
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(Sampler, StreamsDrawInParallelAsInAPlainLoop) {
  // 13 streams over 3 threads, every third one skipped: each stream's draws
  // must be those of its own sampler called in a loop, and a skipped stream
  // must keep its slot and its random numbers.
  const int S = 13, V = 9, steps = 20;
  const SamplingOptions options{.temperature = 0.9f, .top_p = 0.95f, .repetition_penalty = 1.3f};
  Rng rng(5);
  std::vector<float> logits(static_cast<size_t>(S) * V);
  std::vector<Sampler> parallel, serial;
  for (int s = 0; s < S; ++s) {
    parallel.emplace_back(options, V, static_cast<uint64_t>(s));
    serial.emplace_back(options, V, static_cast<uint64_t>(s));
  }
  const int previous = blas_threads();
  blas_set_threads(3);
  for (int step = 0; step < steps; ++step) {
    for (float& z : logits) z = 4.0f * rng.uniform_float() - 2.0f;
    std::vector<uint8_t> wanted(S);
    for (int s = 0; s < S; ++s) wanted[static_cast<size_t>(s)] = (s + step) % 3 != 0;
    std::vector<int32_t> drawn(S, -1);
    sample_streams(parallel, logits.data(), V, wanted.data(), drawn.data());
    for (int s = 0; s < S; ++s) {
      if (!wanted[static_cast<size_t>(s)]) {
        EXPECT_EQ(drawn[static_cast<size_t>(s)], -1) << "a skipped stream's slot was written";
        continue;
      }
      EXPECT_EQ(drawn[static_cast<size_t>(s)], serial[static_cast<size_t>(s)].sample(&logits[static_cast<size_t>(s) * V]))
          << "stream " << s << " step " << step;
    }
  }
  blas_set_threads(previous);
}

TEST(Sampler, RejectsImpossibleOptions) {
  EXPECT_THROW(SamplingOptions({-0.1f, 0, 1.0f, 1}).validate(), Error);
  EXPECT_THROW(SamplingOptions({1.0f, -1, 1.0f, 1}).validate(), Error);
  EXPECT_THROW(SamplingOptions({1.0f, 0, 0.0f, 1}).validate(), Error);
  EXPECT_THROW(SamplingOptions({1.0f, 0, 1.5f, 1}).validate(), Error);
  EXPECT_THROW(SamplingOptions({.repetition_penalty = 0.9f}).validate(), Error);
  EXPECT_THROW(SamplingOptions({.repetition_penalty = INFINITY}).validate(), Error);
  EXPECT_THROW(SamplingOptions({.repetition_window = 0}).validate(), Error);
  EXPECT_NO_THROW(SamplingOptions({.repetition_penalty = 1.0f, .repetition_window = 1}).validate());
}

}  // namespace
}  // namespace charnn
