// The repetition penalty: the CTRL rule on positive, negative and zero logits,
// the window of recent draws it looks at, and empirical frequencies of draws
// that follow a penalised character against the penalised distribution.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/sample/sampler.h"

namespace charnn {
namespace {

// Logits that make `token` certain (others 60 nats below: probability e^-60), to plant a history.
std::vector<float> forcing(int token, int V) {
  std::vector<float> logits(static_cast<size_t>(V), 0.0f);
  logits[static_cast<size_t>(token)] = 60.0f;
  return logits;
}

std::vector<double> softmax(const std::vector<double>& z) {
  double sum = 0.0;
  std::vector<double> p(z.size());
  for (size_t i = 0; i < z.size(); ++i) sum += p[i] = std::exp(z[i]);
  for (double& x : p) x /= sum;
  return p;
}

// The distribution the sampler drew from, against one computed here in double.
// Floats carry ~1e-7 relative error through exp and the normalisation: 1e-6 is ample.
void expect_distribution(const Sampler& sampler, const std::vector<double>& expected) {
  const std::vector<float>& got = sampler.last_distribution();
  for (size_t v = 0; v < expected.size(); ++v) EXPECT_NEAR(got[v], expected[v], 1e-6) << "symbol " << v;
}

TEST(RepetitionPenalty, DividesPositiveAndMultipliesNegativeLogitsOfDrawnCharacters) {
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 0.0f};
  Sampler sampler({.seed = 3, .repetition_penalty = 2.0f, .loop_guard = false}, 4);
  sampler.sample(logits.data());
  expect_distribution(sampler, softmax({2.0, -1.0, 0.5, 0.0}));  // nothing drawn yet: no penalty

  sampler.restart();
  sampler.sample(forcing(0, 4).data());
  sampler.sample(logits.data());
  expect_distribution(sampler, softmax({1.0, -1.0, 0.5, 0.0}));  // 2 / 2

  sampler.restart();
  for (int v : {1, 3}) sampler.sample(forcing(v, 4).data());
  sampler.sample(logits.data());
  expect_distribution(sampler, softmax({2.0, -2.0, 0.5, 0.0}));  // -1 * 2; a zero logit stays 0
}

TEST(RepetitionPenalty, AppliesBeforeTemperatureAndCanChangeTheGreedyChoice) {
  const std::vector<float> logits = {3.0f, 2.0f};
  Sampler sampler({.temperature = 0.0f, .repetition_penalty = 2.0f, .loop_guard = false}, 2);
  EXPECT_EQ(sampler.sample(logits.data()), 0);
  EXPECT_EQ(sampler.sample(logits.data()), 1) << "3 / 2 < 2";
  EXPECT_EQ(sampler.sample(logits.data()), 0) << "both seen: 1.5 > 1";
}

TEST(RepetitionPenalty, OnlyTheLastWindowOfDrawsCounts) {
  const std::vector<float> logits = {1.0f, 1.0f, 1.0f};
  Sampler sampler({.repetition_penalty = 4.0f, .repetition_window = 2, .loop_guard = false}, 3);
  for (int v : {0, 1, 2}) sampler.sample(forcing(v, 3).data());
  sampler.sample(logits.data());  // the window holds 1 and 2; 0 has left it
  expect_distribution(sampler, softmax({1.0, 0.25, 0.25}));

  sampler.restart();
  sampler.sample(logits.data());
  expect_distribution(sampler, softmax({1.0, 1.0, 1.0}));  // restart() empties the window
}

TEST(RepetitionPenalty, FrequenciesAfterEachCharacterMatchThePenalisedDistribution) {
  // logits = log p, all negative: with R = 2 and a window of 1, the character
  // just drawn has logit 2 log p_v, i.e. weight p_v^2, and the others keep p_w.
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
  std::vector<float> logits;
  for (double x : p) logits.push_back(static_cast<float>(std::log(x)));
  Sampler sampler({.seed = 11, .repetition_penalty = 2.0f, .repetition_window = 1, .loop_guard = false}, 4);
  const int n = 200000;
  std::vector<std::vector<double>> counts(4, std::vector<double>(4, 0.0));
  int previous = sampler.sample(logits.data());
  for (int i = 0; i < n; ++i) {
    const int next = sampler.sample(logits.data());
    counts[static_cast<size_t>(previous)][static_cast<size_t>(next)] += 1.0;
    previous = next;
  }
  for (size_t v = 0; v < 4; ++v) {
    std::vector<double> weight = p;
    weight[v] = p[v] * p[v];
    double total = 0.0, draws = 0.0;
    for (size_t w = 0; w < 4; ++w) total += weight[w], draws += counts[v][w];
    ASSERT_GT(draws, 1000.0) << "too few draws after symbol " << v;
    for (size_t w = 0; w < 4; ++w) {
      // Given the previous character, each draw is independent with this
      // probability: a binomial proportion, five standard deviations (~1e-6 false alarms).
      const double expected = weight[w] / total;
      const double tolerance = 5 * std::sqrt(expected * (1 - expected) / draws);
      EXPECT_NEAR(counts[v][w] / draws, expected, tolerance) << "symbol " << w << " after " << v;
    }
  }
}

TEST(RepetitionPenalty, SameSeedSameDrawsWithPenaltyAndGuard) {
  const SamplingOptions options{
      .temperature = 0.8f, .top_p = 0.95f, .seed = 5, .repetition_penalty = 1.3f, .repetition_window = 8};
  Sampler a(options, 5), b(options, 5);
  std::vector<float> logits = {0.5f, -0.2f, 1.5f, 0.0f, 0.9f};
  for (int i = 0; i < 500; ++i) {
    logits[static_cast<size_t>(i % 5)] += 0.01f;  // a changing distribution, as a model gives
    ASSERT_EQ(a.sample(logits.data()), b.sample(logits.data())) << "draw " << i;
  }
}

}  // namespace
}  // namespace charnn
