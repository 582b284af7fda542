// The fast LSTM layer; see lstm.h for shapes and the legend.
#include "charnn/nn/lstm.h"

#include <cstring>

#include "charnn/nn/blas.h"
#include "charnn/nn/lstm_cell.h"

namespace charnn {

namespace {

// out(C, R) = in(R, C)^T
void transpose(float* out, const float* in, int R, int C) {
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) out[static_cast<size_t>(c) * R + r] = in[static_cast<size_t>(r) * C + c];
  }
}

}  // namespace

void lstm_forward(LstmCache cache, const float* input, const int32_t* tokens, float* w_ih_t, LstmWeights w, int T,
                  int B) {
  const int H = w.H, G = 4 * w.H, E = w.E;
  const size_t rows = static_cast<size_t>(T) * B;
  // Input projections of all T steps at once; the biases join in the cell pass.
  if (tokens != nullptr) {
    transpose(w_ih_t, w.w_ih, G, E);
    for (size_t r = 0; r < rows; ++r) {
      std::memcpy(cache.gates + r * G, w_ih_t + static_cast<size_t>(tokens[r]) * G, sizeof(float) * G);
    }
  } else {
    gemm_nt(cache.gates, input, w.w_ih, static_cast<int>(rows), G, E, 0.0f);
  }
  const size_t state = static_cast<size_t>(B) * H;
  std::memset(cache.cells, 0, sizeof(float) * state);
  std::memset(cache.hiddens, 0, sizeof(float) * state);
  for (int t = 0; t < T; ++t) {
    float* gates_t = cache.gates + static_cast<size_t>(t) * B * G;
    if (t > 0) gemm_nt(gates_t, cache.hiddens + t * state, w.w_hh, B, G, H, 1.0f);
    lstm_cell_forward(gates_t, cache.cells + (t + 1) * state, cache.hiddens + (t + 1) * state,
                      cache.cell_tanh + t * state, cache.cells + t * state, w.b_ih, w.b_hh, B, H);
  }
}

void lstm_backward(float* dinput, LstmGrads grads, float* dhiddens, float* dgates, float* dcell, float* dw_ih_t,
                   const LstmCache& cache, const float* input, const int32_t* tokens, LstmWeights w, int T, int B) {
  const int H = w.H, G = 4 * w.H, E = w.E;
  const size_t state = static_cast<size_t>(B) * H;
  const size_t rows = static_cast<size_t>(T) * B;
  std::memset(dcell, 0, sizeof(float) * state);
  for (int t = T - 1; t >= 0; --t) {
    float* dgates_t = dgates + static_cast<size_t>(t) * B * G;
    lstm_cell_backward(dgates_t, dcell, dhiddens + t * state, cache.gates + static_cast<size_t>(t) * B * G,
                       cache.cells + t * state, cache.cell_tanh + t * state, B, H);
    // dh_{t-1} += dgates_t W_hh: the recurrent path, added to what came from above.
    if (t > 0) gemm_nn(dhiddens + (t - 1) * state, dgates_t, w.w_hh, B, H, G, 1.0f);
  }
  // Weight gradients over all T x B rows at once. h_{t-1} for step t sits in
  // hiddens slot t; step 0 reads the zero state and contributes nothing.
  if (T > 1) gemm_tn(grads.dw_hh, dgates + static_cast<size_t>(B) * G, cache.hiddens + state, G, H, (T - 1) * B, 1.0f);
  if (tokens != nullptr) {
    std::memset(dw_ih_t, 0, sizeof(float) * static_cast<size_t>(E) * G);
    for (size_t r = 0; r < rows; ++r) {
      float* dst = dw_ih_t + static_cast<size_t>(tokens[r]) * G;
      const float* src = dgates + r * G;
      for (int j = 0; j < G; ++j) dst[j] += src[j];
    }
    for (int g = 0; g < G; ++g) {
      for (int e = 0; e < E; ++e) grads.dw_ih[static_cast<size_t>(g) * E + e] += dw_ih_t[static_cast<size_t>(e) * G + g];
    }
  } else {
    gemm_tn(grads.dw_ih, dgates, input, G, E, static_cast<int>(rows), 1.0f);
    if (dinput != nullptr) gemm_nn(dinput, dgates, w.w_ih, static_cast<int>(rows), E, G, 0.0f);
  }
  // Both biases enter the same sum, so both receive the summed gate gradients.
  for (size_t r = 0; r < rows; ++r) {
    const float* src = dgates + r * G;
    for (int j = 0; j < G; ++j) {
      grads.db_ih[j] += src[j];
      grads.db_hh[j] += src[j];
    }
  }
}

}  // namespace charnn
