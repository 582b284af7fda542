// Window counting and the seeded train/validation split; see windows.h.
#include "charnn/data/windows.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/rng.h"

namespace charnn {

namespace {

// `count` of the windows [0, window_count), ascending: the first `count` slots
// of a partial Fisher-Yates shuffle of the windows in order. Slots the shuffle
// has not touched still hold their own index, so only the moved ones are kept.
std::vector<int64_t> sample_windows(int64_t window_count, int64_t count, uint64_t seed) {
  std::unordered_map<int64_t, int64_t> moved;  // slot -> the window now in it
  const auto window_at = [&moved](int64_t slot) {
    const auto it = moved.find(slot);
    return it == moved.end() ? slot : it->second;
  };
  std::vector<int64_t> sample;
  sample.reserve(static_cast<size_t>(count));
  Rng rng(seed, RngStream::split, 0);
  for (int64_t i = 0; i < count; ++i) {
    const auto j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(window_count - i)));
    const int64_t at_i = window_at(i);
    sample.push_back(window_at(j));  // slot i is final: later swaps reach only slots above it
    moved[j] = at_i;
  }
  std::sort(sample.begin(), sample.end());
  return sample;
}

}  // namespace

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
  WindowSplit split;
  split.validation = sample_windows(window_count, held_out, seed);
  complement_windows(window_count, split.validation, split.train);
  return split;
}

void complement_windows(int64_t window_count, std::span<const int64_t> validation, std::vector<int64_t>& train) {
  train.clear();
  train.reserve(static_cast<size_t>(window_count) - validation.size());
  size_t next_held_out = 0;
  for (int64_t w = 0; w < window_count; ++w) {
    if (next_held_out < validation.size() && validation[next_held_out] == w) {
      ++next_held_out;
    } else {
      train.push_back(w);
    }
  }
}

}  // namespace charnn
