// Running the model forward one character at a time for S independent streams
// (S = 1 for a single sample), carrying each stream's (h, c) across steps.
// Dropout is off. Buffers are allocated once; step() allocates nothing.
// Layer 0's input weights are copied (transposed) at construction: a state
// keeps stepping with the weights the model had then; build a new one after
// changing the model.
#pragma once

#include <cstdint>
#include <vector>

#include "charnn/nn/model.h"

namespace charnn {

class InferenceState {
 public:
  InferenceState(const Model& model, int streams);

  int streams() const { return streams_; }
  // Zeroes the recurrent state of every stream (the state each training window starts from).
  void reset();
  // Zeroes one stream's state, leaving the others alone.
  void reset_stream(int s);
  // Feeds one token per stream; returns logits (S, V), valid until the next call.
  const float* step(const int32_t* tokens);

 private:
  const Model& model_;
  int streams_;
  std::vector<std::vector<float>> h_, c_;  // per layer (S, H)
  std::vector<float> gates_;               // (S, G)
  std::vector<float> logits_;              // (S, V)
  std::vector<float> w_ih_t_;              // (V, G) layer 0's W_ih transposed
};

}  // namespace charnn
