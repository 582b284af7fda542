// The scalar reference twin of the whole model (LSTM stack, dropout, output
// layer, cross-entropy) and its backward pass: plain loops, one time step and
// one batch row at a time, templated on the number type so tests can run it in
// double for finite-difference gradient checks and in float against the fast path.
// It shares nothing with lstm.cpp or output_layer.cpp but the parameter layout.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "charnn/nn/model_config.h"
#include "charnn/nn/parameters.h"

namespace charnn {

template <class Real>
struct ReferencePass {
  Real loss = 0;               // summed cross-entropy over T x B predictions
  std::vector<Real> probs;     // (T, B, V) softmax outputs
};

// masks: per layer either empty (no dropout) or (T, B, H) multipliers.
// grads: null, or a buffer in the layout that receives dLoss/dparams (+=),
// with Loss the summed cross-entropy times `scale`.
template <class Real>
ReferencePass<Real> reference_forward_backward(const ModelConfig& config, const ParameterLayout& layout,
                                               const Real* params, Real* grads, const int32_t* inputs,
                                               const int32_t* targets, int T, int B,
                                               const std::vector<std::vector<Real>>& masks, Real scale = 1) {
  const int L = config.layers, H = config.hidden, V = config.vocab_size;
  auto at = [](int a, int b, int c, int d, int e) {  // index (a, b, c) of a (*, d, e) array
    return (static_cast<size_t>(a) * d + b) * e + c;
  };
  auto sigmoid = [](Real x) { return Real(1) / (Real(1) + std::exp(-x)); };
  // Per layer: gate activations (T, B, 4H), c and h for steps -1..T-1 as (T+1, B, H), output after dropout.
  std::vector<std::vector<Real>> act(L), c(L), h(L), out(L);
  for (int k = 0; k < L; ++k) {
    const LstmLayerOffsets& off = layout.layer(k);
    const int E = config.input_size(k);
    act[k].assign(static_cast<size_t>(T) * B * 4 * H, 0);
    c[k].assign(static_cast<size_t>(T + 1) * B * H, 0);
    h[k].assign(static_cast<size_t>(T + 1) * B * H, 0);
    out[k].assign(static_cast<size_t>(T) * B * H, 0);
    for (int t = 0; t < T; ++t) {
      for (int b = 0; b < B; ++b) {
        for (int r = 0; r < 4 * H; ++r) {
          Real z = params[off.b_ih + r] + params[off.b_hh + r];
          if (k == 0) {
            z += params[off.w_ih + static_cast<size_t>(r) * E + inputs[t * B + b]];
          } else {
            for (int e = 0; e < E; ++e) z += params[off.w_ih + static_cast<size_t>(r) * E + e] * out[k - 1][at(t, b, e, B, H)];
          }
          for (int j = 0; j < H; ++j) z += params[off.w_hh + static_cast<size_t>(r) * H + j] * h[k][at(t, b, j, B, H)];
          const bool is_g = r >= 2 * H && r < 3 * H;
          act[k][at(t, b, r, B, 4 * H)] = is_g ? std::tanh(z) : sigmoid(z);
        }
        for (int j = 0; j < H; ++j) {
          const Real i = act[k][at(t, b, j, B, 4 * H)], f = act[k][at(t, b, H + j, B, 4 * H)];
          const Real g = act[k][at(t, b, 2 * H + j, B, 4 * H)], o = act[k][at(t, b, 3 * H + j, B, 4 * H)];
          const Real cn = f * c[k][at(t, b, j, B, H)] + i * g;
          c[k][at(t + 1, b, j, B, H)] = cn;
          h[k][at(t + 1, b, j, B, H)] = o * std::tanh(cn);
          const Real m = masks[k].empty() ? Real(1) : masks[k][at(t, b, j, B, H)];
          out[k][at(t, b, j, B, H)] = h[k][at(t + 1, b, j, B, H)] * m;
        }
      }
    }
  }
  ReferencePass<Real> pass;
  pass.probs.assign(static_cast<size_t>(T) * B * V, 0);
  std::vector<Real> dout(static_cast<size_t>(T) * B * H, 0);  // dLoss/d(top output)
  for (int t = 0; t < T; ++t) {
    for (int b = 0; b < B; ++b) {
      Real* p = &pass.probs[at(t, b, 0, B, V)];
      Real top = -INFINITY;
      for (int v = 0; v < V; ++v) {
        Real z = params[layout.fc_bias() + v];
        for (int j = 0; j < H; ++j) z += params[layout.fc_weight() + static_cast<size_t>(v) * H + j] * out[L - 1][at(t, b, j, B, H)];
        p[v] = z;
        if (z > top) top = z;
      }
      Real sum = 0;
      for (int v = 0; v < V; ++v) sum += std::exp(p[v] - top);
      const int y = targets[t * B + b];
      pass.loss += std::log(sum) - (p[y] - top);
      for (int v = 0; v < V; ++v) p[v] = std::exp(p[v] - top) / sum;
      if (grads == nullptr) continue;
      for (int v = 0; v < V; ++v) {
        const Real dz = (p[v] - (v == y ? Real(1) : Real(0))) * scale;
        grads[layout.fc_bias() + v] += dz;
        for (int j = 0; j < H; ++j) {
          grads[layout.fc_weight() + static_cast<size_t>(v) * H + j] += dz * out[L - 1][at(t, b, j, B, H)];
          dout[at(t, b, j, B, H)] += dz * params[layout.fc_weight() + static_cast<size_t>(v) * H + j];
        }
      }
    }
  }
  if (grads == nullptr) return pass;
  for (int k = L - 1; k >= 0; --k) {
    const LstmLayerOffsets& off = layout.layer(k);
    const int E = config.input_size(k);
    std::vector<Real> dh_next(static_cast<size_t>(B) * H, 0), dc_next(static_cast<size_t>(B) * H, 0);
    std::vector<Real> dbelow(k > 0 ? static_cast<size_t>(T) * B * E : 0, 0);
    for (int t = T - 1; t >= 0; --t) {
      std::vector<Real> dh_prev(static_cast<size_t>(B) * H, 0);
      for (int b = 0; b < B; ++b) {
        std::vector<Real> dz(4 * H);
        for (int j = 0; j < H; ++j) {
          const Real m = masks[k].empty() ? Real(1) : masks[k][at(t, b, j, B, H)];
          const Real dh = dout[at(t, b, j, B, H)] * m + dh_next[b * H + j];
          const Real i = act[k][at(t, b, j, B, 4 * H)], f = act[k][at(t, b, H + j, B, 4 * H)];
          const Real g = act[k][at(t, b, 2 * H + j, B, 4 * H)], o = act[k][at(t, b, 3 * H + j, B, 4 * H)];
          const Real tc = std::tanh(c[k][at(t + 1, b, j, B, H)]);
          const Real dc = dc_next[b * H + j] + dh * o * (1 - tc * tc);
          dz[j] = dc * g * i * (1 - i);
          dz[H + j] = dc * c[k][at(t, b, j, B, H)] * f * (1 - f);
          dz[2 * H + j] = dc * i * (1 - g * g);
          dz[3 * H + j] = dh * tc * o * (1 - o);
          dc_next[b * H + j] = dc * f;
        }
        for (int r = 0; r < 4 * H; ++r) {
          grads[off.b_ih + r] += dz[r];
          grads[off.b_hh + r] += dz[r];
          for (int j = 0; j < H; ++j) {
            grads[off.w_hh + static_cast<size_t>(r) * H + j] += dz[r] * h[k][at(t, b, j, B, H)];
            dh_prev[b * H + j] += dz[r] * params[off.w_hh + static_cast<size_t>(r) * H + j];
          }
          if (k == 0) {
            grads[off.w_ih + static_cast<size_t>(r) * E + inputs[t * B + b]] += dz[r];
          } else {
            for (int e = 0; e < E; ++e) {
              grads[off.w_ih + static_cast<size_t>(r) * E + e] += dz[r] * out[k - 1][at(t, b, e, B, H)];
              dbelow[at(t, b, e, B, E)] += dz[r] * params[off.w_ih + static_cast<size_t>(r) * E + e];
            }
          }
        }
      }
      dh_next = dh_prev;
    }
    dout = dbelow;
  }
  return pass;
}

}  // namespace charnn
