// One-step inference for S streams; see inference.h.
#include "charnn/nn/inference.h"

#include <algorithm>
#include <cstring>

#include "charnn/nn/blas.h"
#include "charnn/nn/lstm_cell.h"

namespace charnn {

InferenceState::InferenceState(const Model& model, int streams) : model_(model), streams_(streams) {
  const ModelConfig& config = model.config;
  const size_t state = static_cast<size_t>(streams) * config.hidden;
  h_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  c_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  gates_.assign(static_cast<size_t>(streams) * config.gates(), 0.0f);
  logits_.assign(static_cast<size_t>(streams) * config.vocab_size, 0.0f);
  // Layer 0's input term is column `token` of W_ih (G, V); transposed once, it
  // is a contiguous row instead of G loads a row apart.
  const int G = config.gates(), V = config.vocab_size;
  const float* w_ih = model.params.data() + model.layout.layer(0).w_ih;
  w_ih_t_.resize(static_cast<size_t>(V) * G);
  for (int g = 0; g < G; ++g) {
    for (int v = 0; v < V; ++v) w_ih_t_[static_cast<size_t>(v) * G + g] = w_ih[static_cast<size_t>(g) * V + v];
  }
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
        const float* row = w_ih_t_.data() + static_cast<size_t>(tokens[s]) * G;
        for (int r = 0; r < G; ++r) gate[r] += row[r];
      }
    } else {
      const float* below = h_[static_cast<size_t>(k - 1)].data();
      if (S == 1) {
        gemv_n(gates_.data(), p + at.w_ih, below, G, E, 1.0f);
      } else {
        gemm_nt(gates_.data(), below, p + at.w_ih, S, G, E, 1.0f);
      }
    }
    lstm_cell_step(c, h, gates_.data(), p + at.b_ih, p + at.b_hh, S, H);
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
