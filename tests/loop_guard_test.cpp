// The loop guard: when it forbids a character (exactly one draw before a cycle
// would complete, never in ordinary text), how the sampler applies it, and on
// a model built to loop, that the cycle it falls into is broken while
// --no-loop-guard (loop_guard = false) lets it run.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/sample/generate.h"
#include "charnn/sample/loop_guard.h"
#include "charnn/sample/sampler.h"
#include "hand_built_models.h"

namespace charnn {
namespace {

std::vector<int32_t> forbidden(const LoopGuard& guard) {
  std::vector<int32_t> out(LoopGuard::kMaxPeriod);
  out.resize(static_cast<size_t>(guard.forbidden(out.data())));
  return out;
}

// The guard's definition checked directly, independently of its bookkeeping:
// some L = max(3p, 32) characters in a row with period p <= 128. Returns p, or 0.
int cycle_period(const std::u32string& s) {
  for (int p = 1; p <= LoopGuard::kMaxPeriod; ++p) {
    const size_t L = static_cast<size_t>(std::max(3 * p, 32));
    for (size_t i = 0; i + L <= s.size(); ++i) {
      bool periodic = true;
      for (size_t k = static_cast<size_t>(p); k < L && periodic; ++k)
        periodic = s[i + k] == s[i + k - static_cast<size_t>(p)];
      if (periodic) return p;
    }
  }
  return 0;
}

TEST(LoopGuard, ForbidsTheRepeatedCharacterOneDrawBeforeThirtyTwoInARow) {
  LoopGuard guard;
  for (int i = 0; i < 30; ++i) guard.push(5);
  EXPECT_TRUE(forbidden(guard).empty()) << "30 in a row is not yet a cycle";
  guard.push(5);
  EXPECT_EQ(forbidden(guard), std::vector<int32_t>{5}) << "a 32nd would complete one";
  guard.restart();
  EXPECT_TRUE(forbidden(guard).empty()) << "restart() forgets the run";
}

TEST(LoopGuard, LongPeriodsNeedThreeWholeRepeats) {
  // A block of 40 distinct characters: the cycle spans 3 x 40 = 120.
  LoopGuard guard;
  for (int i = 0; i < 118; ++i) {
    guard.push(i % 40);
    ASSERT_TRUE(forbidden(guard).empty()) << "after " << i + 1 << " characters";
  }
  guard.push(118 % 40);
  EXPECT_EQ(forbidden(guard), std::vector<int32_t>{119 % 40}) << "the 120th would complete the third repeat";
}

TEST(LoopGuard, PeriodsAboveTheBoundAreNotCycles) {
  LoopGuard guard;
  const int p = LoopGuard::kMaxPeriod + 1;
  for (int i = 0; i < 4 * p; ++i) {
    guard.push(i % p);
    ASSERT_TRUE(forbidden(guard).empty()) << "after " << i + 1 << " characters";
  }
}

TEST(LoopGuard, OrdinaryTextIsNeverInterrupted) {
  const std::u32string text =
      U"'Rapunzel, Rapunzel, let down your hair to me.' Ha ha ha, said he... ----------\n"
      U"the quick brown fox jumps over the lazy dog\na stitch in time saves nine\n"
      U"Then the gardener's eldest son set out and thought to find the golden bird very easily.";
  LoopGuard guard;
  for (size_t i = 0; i < text.size(); ++i) {
    ASSERT_TRUE(forbidden(guard).empty()) << "before character " << i;
    guard.push(static_cast<int32_t>(text[i]));
  }
}

TEST(LoopGuard, SamplerDrawsTheNextBestCharacterInsteadOfCompletingACycle) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, 3.0f};
  Sampler sampler({.temperature = 0.0f}, 4);
  for (int i = 0; i < 31; ++i) ASSERT_EQ(sampler.sample(logits.data()), 3) << "draw " << i;
  EXPECT_EQ(sampler.sample(logits.data()), 2) << "the 32nd '3' would have completed a cycle";
  EXPECT_EQ(sampler.last_distribution()[3], 0.0f);
  EXPECT_EQ(sampler.sample(logits.data()), 3) << "the run was broken, so 3 is allowed again";
  EXPECT_EQ(sampler.loop_guard_interventions(), 1);
}

TEST(LoopGuard, SamplerNeverForbidsEveryCharacter) {
  const float logit = 0.0f;
  Sampler sampler({}, 1);  // one symbol: every draw continues the cycle
  for (int i = 0; i < 100; ++i) ASSERT_EQ(sampler.sample(&logit), 0);
  EXPECT_EQ(sampler.loop_guard_interventions(), 0);
}

std::u32string stream(const Model& model, const SamplingOptions& options, int64_t length, int64_t* interventions) {
  const Vocabulary vocabulary = test::alternating_vocabulary();
  Sampler sampler(options, vocabulary.size());
  std::u32string out;
  generate_text(model, vocabulary, sampler, U"", length, [&](char32_t c) { out.push_back(c); });
  *interventions = sampler.loop_guard_interventions();
  return out;
}

TEST(LoopGuard, BreaksTheCycleOfAModelBuiltToLoop) {
  const Model model = test::alternating_model();
  int64_t interventions = 0;
  const std::u32string free = stream(model, {.temperature = 0.0f, .loop_guard = false}, 400, &interventions);
  ASSERT_EQ(free.substr(0, 6), U"ababab") << "the hand-built model should alternate";
  EXPECT_EQ(cycle_period(free), 2) << "without the guard it loops with period 2";
  EXPECT_EQ(interventions, 0);

  for (float temperature : {0.0f, 1.0f}) {
    SCOPED_TRACE(testing::Message() << "temperature " << temperature);
    const std::u32string guarded = stream(model, {.temperature = temperature, .seed = 7}, 400, &interventions);
    EXPECT_EQ(cycle_period(guarded), 0) << "a cycle completed despite the guard";
    // A new run needs 31 characters or so before the guard steps in again.
    EXPECT_GE(interventions, 400 / 40) << "the model tries to loop all the time";
    // The guard changes one character in about 32: the text is still the model's alternation.
    const auto ab = std::count(guarded.begin(), guarded.end(), U'a') + std::count(guarded.begin(), guarded.end(), U'b');
    EXPECT_GE(ab, 400 - 2 * interventions);
  }
}

TEST(LoopGuard, ItemsOfALoopingModelHaveNoCycleButReachMaxLengthWithoutTheGuard) {
  const Model model = test::alternating_model();
  const Vocabulary vocabulary = test::alternating_vocabulary();
  ItemRequest request{.count = 3, .max_length = 150};
  for (const GeneratedItem& item :
       generate_items(model, vocabulary, {.temperature = 0.0f, .loop_guard = false}, U"", request).items) {
    EXPECT_TRUE(item.cut_at_max_length);
    EXPECT_EQ(cycle_period(item.text), 2);
  }
  for (const GeneratedItem& item : generate_items(model, vocabulary, {.temperature = 0.0f}, U"", request).items) {
    EXPECT_EQ(cycle_period(item.text), 0) << "item of " << item.text.size() << " characters";
  }
}

}  // namespace
}  // namespace charnn
