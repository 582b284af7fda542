// Fused LSTM cell passes; see lstm_cell.h. This file is built with -O3 (see
// CMakeLists.txt) so the loops over j vectorise; the function clones let one
// binary use AVX-512 where the CPU has it without -march flags at build time.
#include "charnn/nn/lstm_cell.h"

#include <cstddef>

#include "charnn/nn/activations.h"

#define CHARNN_CELL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace charnn {

CHARNN_CELL_CLONES
void lstm_cell_forward_units(float* __restrict gates, float* __restrict c_next, float* __restrict h_next,
                             float* __restrict c_tanh, const float* __restrict c_prev, const float* __restrict b_ih,
                             const float* __restrict b_hh, int B, int H, int j0, int j1) {
  const size_t G = 4 * static_cast<size_t>(H);
  for (int b = 0; b < B; ++b) {
    float* __restrict gi = gates + b * G;
    float* __restrict gf = gi + H;
    float* __restrict gg = gi + 2 * H;
    float* __restrict go = gi + 3 * H;
    const size_t row = static_cast<size_t>(b) * H;
    for (int j = j0; j < j1; ++j) {
      const float i = fast_sigmoid(gi[j] + b_ih[j] + b_hh[j]);
      const float f = fast_sigmoid(gf[j] + b_ih[H + j] + b_hh[H + j]);
      const float g = fast_tanh(gg[j] + b_ih[2 * H + j] + b_hh[2 * H + j]);
      const float o = fast_sigmoid(go[j] + b_ih[3 * H + j] + b_hh[3 * H + j]);
      gi[j] = i;
      gf[j] = f;
      gg[j] = g;
      go[j] = o;
      const float c = f * c_prev[row + j] + i * g;
      const float tc = fast_tanh(c);
      c_next[row + j] = c;
      c_tanh[row + j] = tc;
      h_next[row + j] = o * tc;
    }
  }
}

CHARNN_CELL_CLONES
void lstm_cell_backward_units(float* __restrict dgates, float* __restrict dc, const float* __restrict dh,
                              const float* __restrict gates, const float* __restrict c_prev,
                              const float* __restrict c_tanh, int B, int H, int j0, int j1) {
  const size_t G = 4 * static_cast<size_t>(H);
  for (int b = 0; b < B; ++b) {
    const float* __restrict a = gates + b * G;
    float* __restrict d = dgates + b * G;
    const size_t row = static_cast<size_t>(b) * H;
    for (int j = j0; j < j1; ++j) {
      const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
      const float tc = c_tanh[row + j];
      const float dhj = dh[row + j];
      const float dcj = dc[row + j] + dhj * o * (1.0f - tc * tc);
      d[j] = dcj * g * i * (1.0f - i);
      d[H + j] = dcj * c_prev[row + j] * f * (1.0f - f);
      d[2 * H + j] = dcj * i * (1.0f - g * g);
      d[3 * H + j] = dhj * tc * o * (1.0f - o);
      dc[row + j] = dcj * f;
    }
  }
}

CHARNN_CELL_CLONES
void lstm_cell_step(float* __restrict c, float* __restrict h, float* __restrict gates, const float* __restrict b_ih,
                    const float* __restrict b_hh, int B, int H) {
  const size_t G = 4 * static_cast<size_t>(H);
  for (int b = 0; b < B; ++b) {
    const float* __restrict gate = gates + b * G;
    const size_t row = static_cast<size_t>(b) * H;
    for (int j = 0; j < H; ++j) {
      const float i = fast_sigmoid(gate[j] + b_ih[j] + b_hh[j]);
      const float f = fast_sigmoid(gate[H + j] + b_ih[H + j] + b_hh[H + j]);
      const float g = fast_tanh(gate[2 * H + j] + b_ih[2 * H + j] + b_hh[2 * H + j]);
      const float o = fast_sigmoid(gate[3 * H + j] + b_ih[3 * H + j] + b_hh[3 * H + j]);
      const float cn = f * c[row + j] + i * g;
      c[row + j] = cn;
      h[row + j] = o * fast_tanh(cn);
    }
  }
}

}  // namespace charnn
