// One-step inference for S streams; see inference.h.
#include "charnn/nn/inference.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "charnn/nn/activations.h"
#include "charnn/nn/blas.h"

namespace charnn {

InferenceState::InferenceState(const Model& model, int streams) : model_(model), streams_(streams) {
  const ModelConfig& config = model.config;
  const size_t state = static_cast<size_t>(streams) * config.hidden;
  h_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  c_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  gates_.assign(static_cast<size_t>(streams) * config.gates(), 0.0f);
  logits_.assign(static_cast<size_t>(streams) * config.vocab_size, 0.0f);
}

void InferenceState::reset() {
  for (auto& h : h_) std::fill(h.begin(), h.end(), 0.0f);
  for (auto& c : c_) std::fill(c.begin(), c.end(), 0.0f);
}

void InferenceState::reset_stream(int s) {
  const size_t H = static_cast<size_t>(model_.config.hidden);
  for (auto& h : h_) std::fill_n(h.begin() + static_cast<std::ptrdiff_t>(s * H), H, 0.0f);
  for (auto& c : c_) std::fill_n(c.begin() + static_cast<std::ptrdiff_t>(s * H), H, 0.0f);
}

const float* InferenceState::step(const int32_t* tokens) {
  const ModelConfig& config = model_.config;
  const int H = config.hidden, G = config.gates(), V = config.vocab_size, S = streams_;
  const float* p = model_.params.data();
  for (int k = 0; k < config.layers; ++k) {
    const LstmLayerOffsets& at = model_.layout.layer(k);
    const int E = config.input_size(k);
    float* h = h_[static_cast<size_t>(k)].data();
    float* c = c_[static_cast<size_t>(k)].data();
    // Recurrent product first (reads h_{t-1}), then the input term.
    if (S == 1) {
      gemv_n(gates_.data(), p + at.w_hh, h, G, H, 0.0f);
    } else {
      gemm_nt(gates_.data(), h, p + at.w_hh, S, G, H, 0.0f);
    }
    if (k == 0) {
      for (int s = 0; s < S; ++s) {
        float* gate = gates_.data() + static_cast<size_t>(s) * G;
        const float* column = p + at.w_ih + tokens[s];
        for (int r = 0; r < G; ++r) gate[r] += column[static_cast<size_t>(r) * E];
      }
    } else {
      const float* below = h_[static_cast<size_t>(k - 1)].data();
      if (S == 1) {
        gemv_n(gates_.data(), p + at.w_ih, below, G, E, 1.0f);
      } else {
        gemm_nt(gates_.data(), below, p + at.w_ih, S, G, E, 1.0f);
      }
    }
    for (int s = 0; s < S; ++s) {
      const float* gate = gates_.data() + static_cast<size_t>(s) * G;
      for (int j = 0; j < H; ++j) {
        const float i = sigmoidf(gate[j] + p[at.b_ih + j] + p[at.b_hh + j]);
        const float f = sigmoidf(gate[H + j] + p[at.b_ih + H + j] + p[at.b_hh + H + j]);
        const float g = std::tanh(gate[2 * H + j] + p[at.b_ih + 2 * H + j] + p[at.b_hh + 2 * H + j]);
        const float o = sigmoidf(gate[3 * H + j] + p[at.b_ih + 3 * H + j] + p[at.b_hh + 3 * H + j]);
        const size_t idx = static_cast<size_t>(s) * H + j;
        c[idx] = f * c[idx] + i * g;
        h[idx] = o * std::tanh(c[idx]);
      }
    }
  }
  const float* top = h_.back().data();
  if (S == 1) {
    gemv_n(logits_.data(), p + model_.layout.fc_weight(), top, V, H, 0.0f);
  } else {
    gemm_nt(logits_.data(), top, p + model_.layout.fc_weight(), S, V, H, 0.0f);
  }
  for (int s = 0; s < S; ++s) {
    for (int v = 0; v < V; ++v) logits_[static_cast<size_t>(s) * V + v] += p[model_.layout.fc_bias() + v];
  }
  return logits_.data();
}

}  // namespace charnn
