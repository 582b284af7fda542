// The fast LSTM layer; see lstm.h for shapes, the legend and the threading.
#include "charnn/nn/lstm.h"

#include <algorithm>
#include <cstring>

#include "charnn/nn/blas.h"
#include "charnn/nn/lstm_bf16.h"
#include "charnn/nn/lstm_cell.h"
#include "charnn/nn/packed_gemm.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {

// Hidden units [j0, j1) of block k, and where its packed W_hh starts.
struct UnitBlock {
  int j0, j1;
  size_t packed_at;
};

// Unit j0 of block k: the first of its share of H's 16-float vectors (whole
// vectors, so the packed panels of a block rarely straddle padding).
int unit_block_start(int H, int k) {
  const int vectors = (H + 15) / 16;
  return std::min(H, 16 * (vectors * k / lstm_unit_blocks()));
}

UnitBlock unit_block(int H, int k) {
  UnitBlock block{unit_block_start(H, k), unit_block_start(H, k + 1), 0};
  // Forward (four (H, n) slices) and backward (one (G, n) block) pack to the same size.
  for (int i = 0; i < k; ++i) {
    block.packed_at += 4 * packed_floats(H, unit_block_start(H, i + 1) - unit_block_start(H, i));
  }
  return block;
}

// Calls body(r0, r1) on lstm_unit_blocks() fixed row ranges of [0, rows) in parallel.
template <class Body>
void parallel_rows(size_t rows, Body&& body) {
  const int blocks = lstm_unit_blocks();
  const size_t per = (rows + blocks - 1) / blocks;
  parallel_for(blocks, [&](int k) {
    const size_t r0 = std::min(rows, static_cast<size_t>(k) * per);
    body(r0, std::min(rows, r0 + per));
  });
}

// out(C, R) = in(R, C)^T
void transpose(float* out, const float* in, int R, int C) {
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) out[static_cast<size_t>(c) * R + r] = in[static_cast<size_t>(r) * C + c];
  }
}

// One-hot input: gates (T*B, G) = rows tokens of w_ih_t (E, G).
void gather_input_projection(float* gates, const int32_t* tokens, float* w_ih_t, const float* w_ih, size_t rows, int G,
                             int E) {
  transpose(w_ih_t, w_ih, G, E);
  parallel_rows(rows, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      std::memcpy(gates + r * G, w_ih_t + static_cast<size_t>(tokens[r]) * G, sizeof(float) * G);
    }
  });
}

// db_ih, db_hh (G) += column sums of dgates (rows, G); dw_ih (G, E) += the
// one-hot product, via dw_ih_t (E, G) scratch. Columns split between blocks;
// each column's sum runs over rows in order.
void input_side_gradients(LstmGrads grads, float* dw_ih_t, const float* dgates, const int32_t* tokens, size_t rows,
                          int G, int E) {
  const int blocks = lstm_unit_blocks(), per = (G + blocks - 1) / blocks;
  parallel_for(blocks, [&](int k) {
    const int c0 = std::min(G, k * per), c1 = std::min(G, (k + 1) * per);
    for (size_t r = 0; r < rows; ++r) {
      const float* src = dgates + r * G;
      for (int j = c0; j < c1; ++j) {
        grads.db_ih[j] += src[j];
        grads.db_hh[j] += src[j];
      }
    }
    if (tokens == nullptr) return;
    for (int e = 0; e < E; ++e) std::memset(dw_ih_t + static_cast<size_t>(e) * G + c0, 0, sizeof(float) * (c1 - c0));
    for (size_t r = 0; r < rows; ++r) {
      float* dst = dw_ih_t + static_cast<size_t>(tokens[r]) * G;
      const float* src = dgates + r * G;
      for (int j = c0; j < c1; ++j) dst[j] += src[j];
    }
    for (int g = c0; g < c1; ++g) {
      for (int e = 0; e < E; ++e) grads.dw_ih[static_cast<size_t>(g) * E + e] += dw_ih_t[static_cast<size_t>(e) * G + g];
    }
  });
}

// dW_hh (G, H) += dgates^T (G, R) h (R, H). Where lstm_packs_weight_gradient(H)
// the packed kernel reads dgates in place as a transposed A against h packed
// once, in fixed blocks of rows of dW_hh (one chain per element in row
// order, so the thread count changes nothing); elsewhere the BLAS runs it.
void recurrent_weight_gradient(float* dw_hh, const float* dgates, const float* hiddens, float* hiddens_packed, int G,
                               int H, int R) {
  if (!lstm_packs_weight_gradient(H)) {
    gemm_tn(dw_hh, dgates, hiddens, G, H, R, 1.0f);
    return;
  }
  pack_rows(hiddens_packed, hiddens, H, R, H);
  const int blocks = lstm_unit_blocks(), per = (G + blocks - 1) / blocks;
  parallel_for(blocks, [&](int k) {
    const int g0 = std::min(G, k * per), g1 = std::min(G, g0 + per);
    if (g0 < g1) {
      packed_gemm_transposed_a(dw_hh + static_cast<size_t>(g0) * H, H, dgates + g0, G, hiddens_packed, g1 - g0, H, R);
    }
  });
}

}  // namespace

bool lstm_packs_weight_gradient(int H) { return best_gemm_kernels() == GemmKernels::avx2 && H <= 320; }

size_t lstm_hiddens_packed_floats(int T, int B, int H) {
  return lstm_packs_weight_gradient(H) ? packed_floats(T * B, H) : 0;
}

int lstm_unit_blocks() { return work_blocks(); }

int lstm_unit_block_width(int H) {
  int widest = 0;
  for (int k = 0; k < lstm_unit_blocks(); ++k) {
    widest = std::max(widest, unit_block_start(H, k + 1) - unit_block_start(H, k));
  }
  return widest;
}

size_t lstm_packed_floats(int H) { return unit_block(H, lstm_unit_blocks()).packed_at; }

void lstm_forward(LstmCache cache, const float* input, const int32_t* tokens, float* w_ih_t, float* w_hh_packed,
                  LstmWeights w, int T, int B, LstmBf16Scratch* bf16) {
  const int H = w.H, G = 4 * w.H, E = w.E;
  const size_t rows = static_cast<size_t>(T) * B;
  // Input projections of all T steps at once; the biases join in the cell pass.
  if (tokens != nullptr) {
    gather_input_projection(cache.gates, tokens, w_ih_t, w.w_ih, rows, G, E);
  } else if (bf16 != nullptr) {
    bf16_input_projection(cache.gates, input, w.w_ih, *bf16, static_cast<int>(rows), G, E);
  } else {
    gemm_nt(cache.gates, input, w.w_ih, static_cast<int>(rows), G, E, 0.0f);
  }
  const size_t state = static_cast<size_t>(B) * H;
  std::memset(cache.cells, 0, sizeof(float) * state);
  std::memset(cache.hiddens, 0, sizeof(float) * state);
  // Block k's packed W_hh^T: four (H, n) slices, gate g's rows g*H + [j0, j1).
  parallel_for(lstm_unit_blocks(), [&](int k) {
    const UnitBlock u = unit_block(H, k);
    const int n = u.j1 - u.j0;
    if (bf16 != nullptr) {
      bf16_pack_recurrent_forward(*bf16, w.w_hh, H, k, u.j0, u.j1);
      return;
    }
    for (int g = 0; g < 4; ++g) {
      pack_transposed(w_hh_packed + u.packed_at + g * packed_floats(H, n),
                      w.w_hh + (static_cast<size_t>(g) * H + u.j0) * H, H, H, n);
    }
  });
  for (int t = 0; t < T; ++t) {
    float* gates_t = cache.gates + static_cast<size_t>(t) * B * G;
    const float* h_prev = cache.hiddens + t * state;
    parallel_for(lstm_unit_blocks(), [&](int k) {
      const UnitBlock u = unit_block(H, k);
      const int n = u.j1 - u.j0;
      if (n == 0) return;
      if (t > 0 && bf16 != nullptr) {
        bf16_recurrent_forward(gates_t, *bf16, t, B, H, k, u.j0, u.j1);
      } else if (t > 0) {
        for (int g = 0; g < 4; ++g) {
          packed_gemm(gates_t + g * H + u.j0, G, h_prev, H, w_hh_packed + u.packed_at + g * packed_floats(H, n), B, n,
                      H);
        }
      }
      lstm_cell_forward_units(gates_t, cache.cells + (t + 1) * state, cache.hiddens + (t + 1) * state,
                              cache.cell_tanh + t * state, cache.cells + t * state, w.b_ih, w.b_hh, B, H, u.j0, u.j1);
      if (bf16 != nullptr) bf16_keep_hidden(*bf16, cache.hiddens + (t + 1) * state, t, B, H, u.j0, u.j1);
    });
  }
}

void lstm_backward(float* dinput, LstmGrads grads, float* dhiddens, float* dgates, float* dcell, float* dw_ih_t,
                   float* w_hh_packed, float* hiddens_packed, const LstmCache& cache, const float* input,
                   const int32_t* tokens, LstmWeights w, int T, int B, LstmBf16Scratch* bf16) {
  const int H = w.H, G = 4 * w.H, E = w.E;
  const size_t state = static_cast<size_t>(B) * H;
  const size_t rows = static_cast<size_t>(T) * B;
  std::memset(dcell, 0, sizeof(float) * state);
  // Block k's packed W_hh[:, j0:j1], a (G, n) matrix.
  parallel_for(lstm_unit_blocks(), [&](int k) {
    const UnitBlock u = unit_block(H, k);
    if (bf16 != nullptr) {
      bf16_pack_recurrent_backward(*bf16, w.w_hh, H, k, u.j0, u.j1);
    } else {
      pack_rows(w_hh_packed + u.packed_at, w.w_hh + u.j0, H, G, u.j1 - u.j0);
    }
  });
  for (int t = T - 1; t >= 0; --t) {
    float* dgates_t = dgates + static_cast<size_t>(t) * B * G;
    float* dh_t = dhiddens + t * state;
    parallel_for(lstm_unit_blocks(), [&](int k) {
      const UnitBlock u = unit_block(H, k);
      const int n = u.j1 - u.j0;
      if (n == 0) return;
      // dh_t += dgates_{t+1} W_hh: the recurrent path, added to what came from
      // above. Block k needs only its own columns, so no wait before the cell.
      if (t + 1 < T && bf16 != nullptr) {
        bf16_recurrent_backward(dh_t, *bf16, t, B, H, k, u.j0, u.j1);
      } else if (t + 1 < T) {
        packed_gemm(dh_t + u.j0, H, dgates_t + static_cast<size_t>(B) * G, G, w_hh_packed + u.packed_at, B, n, G);
      }
      lstm_cell_backward_units(dgates_t, dcell, dh_t, cache.gates + static_cast<size_t>(t) * B * G,
                               cache.cells + t * state, cache.cell_tanh + t * state, B, H, u.j0, u.j1);
      if (bf16 != nullptr) bf16_keep_dgates(*bf16, dgates_t, t, B, H, u.j0, u.j1);
    });
  }
  if (bf16 != nullptr) {
    input_side_gradients(grads, dw_ih_t, dgates, tokens, rows, G, E);
    bf16_backward_products(grads.dw_hh, tokens == nullptr ? grads.dw_ih : nullptr, dinput, *bf16, dgates,
                           cache.hiddens, tokens == nullptr ? input : nullptr, w.w_ih, static_cast<int>(rows), H, E);
    return;
  }
  // Weight gradients over all T x B rows at once. h_{t-1} for step t sits in
  // hiddens slot t; step 0 reads the zero state and contributes nothing.
  if (T > 1) {
    recurrent_weight_gradient(grads.dw_hh, dgates + static_cast<size_t>(B) * G, cache.hiddens + state, hiddens_packed,
                              G, H, (T - 1) * B);
  }
  // Both biases enter the same sum, so both receive the summed gate gradients.
  input_side_gradients(grads, dw_ih_t, dgates, tokens, rows, G, E);
  if (tokens == nullptr) {
    gemm_tn(grads.dw_ih, dgates, input, G, E, static_cast<int>(rows), 1.0f);
    if (dinput != nullptr) gemm_nn(dinput, dgates, w.w_ih, static_cast<int>(rows), E, G, 0.0f);
  }
}

}  // namespace charnn
