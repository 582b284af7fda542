// Cutting a token stream into non-overlapping training windows and holding
// some of them out for validation.
// Window w reads inputs tokens[w*T, w*T+T) and predicts tokens[w*T+1, w*T+T+1):
// a next-character target at every step. Every window starts from a zero state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace charnn {

// How many whole windows of length T a stream of n tokens gives (the last
// window needs one extra token for its final target).
int64_t count_windows(int64_t token_count, int seq_length);

struct WindowSplit {
  std::vector<int64_t> train;       // window indices, ascending
  std::vector<int64_t> validation;  // window indices, ascending; never trained on
};

// Holds out round(fraction * count) windows (at least one when fraction > 0),
// chosen at random from the seed. Random rather than a tail: many corpora are
// ordered (municipios by state), and a tail would not look like the rest.
// Throws Error when too few windows remain to train on. Besides the two lists
// it holds only the slots its shuffle moved, never an array of every window.
WindowSplit split_windows(int64_t window_count, double validation_fraction, uint64_t seed);

// The training windows again from the validation windows (ascending): every
// other window of the count, ascending, written into `train`.
void complement_windows(int64_t window_count, std::span<const int64_t> validation, std::vector<int64_t>& train);

}  // namespace charnn
