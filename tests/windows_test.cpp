// Windows, the validation split and batch assembly: counts, disjointness,
// determinism in the seed, and the time-major layout with shifted targets.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "charnn/data/batcher.h"
#include "charnn/data/windows.h"
#include "charnn/error.h"

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
