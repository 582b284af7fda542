// Epoch order and batch assembly; see batcher.h.
#include "charnn/data/batcher.h"

#include <cassert>

#include "charnn/rng.h"

namespace charnn {

std::vector<int64_t> epoch_order(const std::vector<int64_t>& train_windows, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order = train_windows;
  shuffle_for_epoch(order, seed, epoch);
  return order;
}

void shuffle_for_epoch(std::vector<int64_t>& windows, uint64_t seed, int64_t epoch) {
  Rng rng(seed, RngStream::shuffle, static_cast<uint64_t>(epoch));
  for (size_t i = windows.size(); i > 1; --i) {
    const size_t j = rng.below(i);
    std::swap(windows[i - 1], windows[j]);
  }
}

void fill_batch(int32_t* inputs, int32_t* targets, const TokenText& tokens, std::span<const int64_t> windows,
                int seq_length) {
  const size_t B = windows.size();
  tokens.visit([&](const auto* stored) {
    for (size_t b = 0; b < B; ++b) {
      const auto start = static_cast<size_t>(windows[b]) * static_cast<size_t>(seq_length);
      assert(start + static_cast<size_t>(seq_length) < tokens.size());
      for (int t = 0; t < seq_length; ++t) {
        inputs[static_cast<size_t>(t) * B + b] = stored[start + static_cast<size_t>(t)];
        targets[static_cast<size_t>(t) * B + b] = stored[start + static_cast<size_t>(t) + 1];
      }
    }
  });
}

}  // namespace charnn
