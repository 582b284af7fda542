// The output layer: logits = y W^T + b over the vocabulary, softmax and
// cross-entropy against the next character. N = T x B rows.
#pragma once

#include <cstdint>

namespace charnn {

// probs (N, V) receives the softmax. Returns the summed cross-entropy in nats
// (not the mean, so callers can average over any number of rows).
double output_forward(float* probs, const float* y, const float* w, const float* b, const int32_t* targets, int N,
                      int H, int V);

// Turns probs into dLoss/dlogits in place, scaled by `scale` (1 / rows in the
// mean), accumulates dw (V, H) and db (V), and overwrites dy (N, H).
void output_backward(float* dy, float* dw, float* db, float* probs, const float* y, const float* w,
                     const int32_t* targets, int N, int H, int V, float scale);

}  // namespace charnn
