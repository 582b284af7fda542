// Windows, the validation split and batch assembly: counts, disjointness,
// determinism in the seed, and the time-major layout with shifted targets.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/data/batcher.h"
#include "charnn/data/windows.h"
#include "charnn/error.h"
#include "charnn/rng.h"

namespace charnn {
namespace {

TEST(Windows, CountLeavesRoomForTheLastTarget) {
  EXPECT_EQ(count_windows(100, 10), 9);  // window 9 would need token 100
  EXPECT_EQ(count_windows(101, 10), 10);
  EXPECT_EQ(count_windows(1, 10), 0);
  EXPECT_EQ(count_windows(517611, 50), 10352);
}

TEST(Windows, SplitIsDisjointCompleteAndSeeded) {
  const WindowSplit a = split_windows(1421, 0.05, 7);
  EXPECT_EQ(a.validation.size(), 71u);
  EXPECT_EQ(a.train.size(), 1350u);
  std::set<int64_t> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  EXPECT_EQ(all.size(), 1421u);
  const WindowSplit b = split_windows(1421, 0.05, 7);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation, split_windows(1421, 0.05, 8).validation);
}

TEST(Windows, SplitRefusesToLeaveNothingToTrainOn) {
  EXPECT_THROW(split_windows(1, 0.05, 1), Error);
  EXPECT_NO_THROW(split_windows(1, 0.0, 1));
  EXPECT_EQ(split_windows(2, 0.05, 1).validation.size(), 1u);
}

// The split as first written: a partial Fisher-Yates over an array of every
// window. split_windows keeps only the moved slots and must pick the same.
WindowSplit dense_reference_split(int64_t window_count, int64_t held_out, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(window_count));
  for (int64_t i = 0; i < window_count; ++i) order[static_cast<size_t>(i)] = i;
  Rng rng(seed, RngStream::split, 0);
  for (int64_t i = 0; i < held_out; ++i) {
    const auto j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(window_count - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  WindowSplit split;
  split.validation.assign(order.begin(), order.begin() + held_out);
  split.train.assign(order.begin() + held_out, order.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

TEST(Windows, SplitPicksWhatTheDenseShuffleOfEveryWindowPicked) {
  const std::vector<std::pair<int64_t, double>> cases = {{2, 0.05}, {1421, 0.05}, {10352, 0.05}, {500, 0.5}, {97, 0.9}};
  for (const auto& [count, fraction] : cases) {
    for (const uint64_t seed : {1u, 7u, 12345u}) {
      const WindowSplit split = split_windows(count, fraction, seed);
      const WindowSplit expected = dense_reference_split(count, static_cast<int64_t>(split.validation.size()), seed);
      const std::string where = fmt::format("{} windows, fraction {}, seed {}", count, fraction, seed);
      EXPECT_EQ(split.validation, expected.validation) << where;
      EXPECT_EQ(split.train, expected.train) << where;
    }
  }
}

TEST(Windows, ComplementOfTheValidationWindowsIsTheTrainList) {
  const WindowSplit split = split_windows(1421, 0.05, 3);
  std::vector<int64_t> train = {99, 98};  // whatever was there is replaced
  complement_windows(1421, split.validation, train);
  EXPECT_EQ(train, split.train);
}

TEST(Batcher, ShufflingInPlaceGivesTheEpochOrder) {
  const WindowSplit split = split_windows(1421, 0.05, 3);
  for (const int64_t epoch : {1, 2, 9}) {
    std::vector<int64_t> windows = split.train;
    shuffle_for_epoch(windows, 3, epoch);
    EXPECT_EQ(windows, epoch_order(split.train, 3, epoch)) << "epoch " << epoch;
  }
}

TEST(Batcher, EpochOrderIsAPermutationThatChangesPerEpoch) {
  std::vector<int64_t> windows(50);
  for (int i = 0; i < 50; ++i) windows[static_cast<size_t>(i)] = 2 * i;
  const auto e1 = epoch_order(windows, 3, 1);
  const auto e2 = epoch_order(windows, 3, 2);
  EXPECT_NE(e1, e2);
  EXPECT_EQ(e1, epoch_order(windows, 3, 1));
  auto sorted = e1;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, windows);
}

TEST(Batcher, FillsTimeMajorInputsWithNextCharacterTargets) {
  std::vector<int32_t> tokens(20);
  for (int i = 0; i < 20; ++i) tokens[static_cast<size_t>(i)] = i;
  const std::vector<int64_t> windows = {3, 0};  // T = 4: window 3 starts at token 12
  std::vector<int32_t> inputs(8), targets(8);
  fill_batch(inputs.data(), targets.data(), tokens, windows, 4);
  EXPECT_EQ(inputs, std::vector<int32_t>({12, 0, 13, 1, 14, 2, 15, 3}));
  EXPECT_EQ(targets, std::vector<int32_t>({13, 1, 14, 2, 15, 3, 16, 4}));
}

}  // namespace
}  // namespace charnn
