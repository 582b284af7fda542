// Window counting and the seeded train/validation split; see windows.h.
#include "charnn/data/windows.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/rng.h"

namespace charnn {

int64_t count_windows(int64_t token_count, int seq_length) {
  if (token_count < 2 || seq_length < 1) return 0;
  return (token_count - 1) / seq_length;
}

WindowSplit split_windows(int64_t window_count, double validation_fraction, uint64_t seed) {
  int64_t held_out = 0;
  if (validation_fraction > 0.0) {
    held_out = std::max<int64_t>(1, std::llround(validation_fraction * static_cast<double>(window_count)));
  }
  if (window_count - held_out < 1) {
    throw Error(fmt::format(
        "the text gives {} window(s) of the sequence length, too few to hold out {} for validation and "
        "train on the rest; use a longer text, a shorter --seq or --val-fraction 0",
        window_count, held_out));
  }
  std::vector<int64_t> order(static_cast<size_t>(window_count));
  for (int64_t i = 0; i < window_count; ++i) order[static_cast<size_t>(i)] = i;
  // Partial Fisher-Yates: the first `held_out` slots become a uniform sample.
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

}  // namespace charnn
