// Turning window indices into minibatches of token indices, and the per-epoch
// shuffled order. No one-hot tensors: a batch is (T, B) int32 inputs and targets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "charnn/text/token_text.h"

namespace charnn {

// The order in which an epoch visits the training windows: a Fisher-Yates
// shuffle drawn from (seed, epoch) alone, so resuming mid-run or changing the
// number of threads or processes cannot change it.
std::vector<int64_t> epoch_order(const std::vector<int64_t>& train_windows, uint64_t seed, int64_t epoch);

// epoch_order in place: shuffles the train windows (ascending) into the
// epoch's order, for a trainer that holds one list of windows, not two.
void shuffle_for_epoch(std::vector<int64_t>& windows, uint64_t seed, int64_t epoch);

// Fills time-major (T, B) inputs and targets for the given windows (B = windows.size()).
void fill_batch(int32_t* inputs, int32_t* targets, const TokenText& tokens, std::span<const int64_t> windows,
                int seq_length);

}  // namespace charnn
