// Linear output, softmax and cross-entropy; see output_layer.h.
#include "charnn/nn/output_layer.h"

#include <algorithm>
#include <cmath>

#include "charnn/nn/activations.h"
#include "charnn/nn/blas.h"

namespace charnn {

double output_forward(float* probs, const float* y, const float* w, const float* b, const int32_t* targets, int N,
                      int H, int V) {
  gemm_nt(probs, y, w, N, V, H, 0.0f);
  double loss = 0.0;
  for (int n = 0; n < N; ++n) {
    float* row = probs + static_cast<size_t>(n) * V;
    float top = -INFINITY;
    for (int v = 0; v < V; ++v) {
      row[v] += b[v];
      top = std::max(top, row[v]);
    }
    // Subtracting the max keeps exp in range; the loss uses log-sum-exp form.
    double sum = 0.0;
    const float target_logit = row[targets[n]];
    for (int v = 0; v < V; ++v) row[v] = fast_exp(row[v] - top);
    for (int v = 0; v < V; ++v) sum += row[v];
    const auto inv = static_cast<float>(1.0 / sum);
    for (int v = 0; v < V; ++v) row[v] *= inv;
    loss += std::log(sum) - static_cast<double>(target_logit - top);
  }
  return loss;
}

void output_backward(float* dy, float* dw, float* db, float* probs, const float* y, const float* w,
                     const int32_t* targets, int N, int H, int V, float scale) {
  for (int n = 0; n < N; ++n) {
    float* row = probs + static_cast<size_t>(n) * V;
    row[targets[n]] -= 1.0f;
    for (int v = 0; v < V; ++v) {
      row[v] *= scale;
      db[v] += row[v];
    }
  }
  gemm_tn(dw, probs, y, V, H, N, 1.0f);
  gemm_nn(dy, probs, w, N, H, V, 0.0f);
}

}  // namespace charnn
