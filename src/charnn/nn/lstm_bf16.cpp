// The bf16 products of the LSTM layer; see lstm_bf16.h. Large products and
// the conversions before them are cut into lstm_unit_blocks() fixed blocks on the
// pool, so the bits do not depend on the thread count.
#include "charnn/nn/lstm_bf16.h"

#include <algorithm>

#include "charnn/nn/lstm.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {

constexpr int kPanel = 16;  // columns of a packed panel
constexpr double kSplitWork = 4.0e6;  // multiply-adds below which one call is cheaper than a hand-off

size_t sz(size_t a, size_t b) { return a * b; }
size_t stride_of(int K) { return static_cast<size_t>(bf16_row_stride(K)); }
size_t panel_at(int n0, int K) { return static_cast<size_t>(n0 / kPanel) * stride_of(K) * kPanel; }

// Calls body(lo, hi) on lstm_unit_blocks() fixed, in-order ranges of [0, extent),
// each a multiple of `align` long except the last.
template <class Body>
void parallel_ranges(int extent, int align, Body&& body) {
  const int blocks = lstm_unit_blocks();
  const int per = ((extent + blocks - 1) / blocks + align - 1) / align * align;
  parallel_for(blocks, [&](int k) {
    const int lo = std::min(extent, k * per), hi = std::min(extent, (k + 1) * per);
    if (lo < hi) body(lo, hi);
  });
}

// P (K, N) packed from src (P(k, n) = src[k * sk + n * sn]), panels over the pool.
void pack_parallel(BFloat16* packed, const float* src, size_t sk, size_t sn, int K, int N) {
  parallel_ranges(N, kPanel, [&](int n0, int n1) {
    pack_bf16(packed + panel_at(n0, K), src + static_cast<size_t>(n0) * sn, sk, sn, K, n1 - n0);
  });
}

// C = A P (+ C), column blocks of whole 32-column tile pairs on the pool.
void gemm_parallel(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K, bool accumulate) {
  if (static_cast<double>(M) * N * K < kSplitWork) {
    bf16_gemm(C, ldc, A, packed, M, N, K, accumulate);
    return;
  }
  parallel_ranges(N, 2 * kPanel, [&](int n0, int n1) {
    bf16_gemm(C + n0, ldc, A, packed + panel_at(n0, K), M, n1 - n0, K, accumulate);
  });
}

// Slot t of the rounded hidden states (h_t, B rows). Slots start on whole
// tiles of rows: a tile reading slot t past row B must not reach slot t + 1,
// which other blocks write during the same step.
size_t hidden_slot(int t, int B, int H) {
  const size_t rows_per_slot = static_cast<size_t>((B + kBf16Panel - 1) / kBf16Panel * kBf16Panel);
  return static_cast<size_t>(t) * rows_per_slot * stride_of(H);
}

// Block k's packed W_hh and the four forward slices in it.
BFloat16* block_weights(LstmBf16Scratch& s, int k) { return s.w_hh.data() + static_cast<size_t>(k) * s.block_slot; }
const BFloat16* block_weights(const LstmBf16Scratch& s, int k) {
  return s.w_hh.data() + static_cast<size_t>(k) * s.block_slot;
}

}  // namespace

LstmBf16Scratch::LstmBf16Scratch(int max_T, int max_B, int max_E, int H, int block_width) {
  const int G = 4 * H, max_rows = max_T * max_B;
  const size_t spare = kBf16SpareRows;
  input.assign(sz(max_rows + spare, stride_of(max_E)), 0);
  hiddens.assign(hidden_slot(max_T + 1, max_B, H), 0);
  dgates.assign(sz(max_rows + spare, stride_of(G)), 0);
  dgates_t.assign(sz(G + spare, stride_of(max_rows)), 0);
  w_ih.assign(std::max(bf16_packed_size(max_E, G), bf16_packed_size(G, max_E)), 0);
  block_slot = std::max(4 * bf16_packed_size(H, block_width), bf16_packed_size(G, block_width));
  w_hh.assign(block_slot * static_cast<size_t>(lstm_unit_blocks()), 0);
  rows.assign(bf16_packed_size(max_rows, std::max(H, max_E)), 0);
}

void bf16_input_projection(float* gates, const float* input, const float* w_ih, LstmBf16Scratch& s, int rows, int G,
                           int E) {
  parallel_ranges(rows, 1, [&](int r0, int r1) {
    convert_rows_bf16(s.input.data() + sz(r0, stride_of(E)), stride_of(E), input + sz(r0, E), E, r1 - r0, E);
  });
  pack_parallel(s.w_ih.data(), w_ih, 1, E, E, G);
  gemm_parallel(gates, G, s.input.data(), s.w_ih.data(), rows, G, E, false);
}

void bf16_pack_recurrent_forward(LstmBf16Scratch& s, const float* w_hh, int H, int k, int j0, int j1) {
  const int n = j1 - j0;
  for (int g = 0; g < 4; ++g) {
    pack_bf16(block_weights(s, k) + g * bf16_packed_size(H, n), w_hh + sz(static_cast<size_t>(g) * H + j0, H), 1, H,
              H, n);
  }
}

void bf16_recurrent_forward(float* gates_t, const LstmBf16Scratch& s, int t, int B, int H, int k, int j0, int j1) {
  const int n = j1 - j0, G = 4 * H;
  const BFloat16* h_prev = s.hiddens.data() + hidden_slot(t, B, H);
  for (int g = 0; g < 4; ++g) {
    bf16_gemm(gates_t + g * H + j0, G, h_prev, block_weights(s, k) + g * bf16_packed_size(H, n), B, n, H, true);
  }
}

void bf16_keep_hidden(LstmBf16Scratch& s, const float* h_t, int t, int B, int H, int j0, int j1) {
  BFloat16* slot = s.hiddens.data() + hidden_slot(t + 1, B, H);
  convert_rows_bf16(slot + j0, stride_of(H), h_t + j0, H, B, j1 - j0);
}

void bf16_pack_recurrent_backward(LstmBf16Scratch& s, const float* w_hh, int H, int k, int j0, int j1) {
  pack_bf16(block_weights(s, k), w_hh + j0, H, 1, 4 * H, j1 - j0);
}

void bf16_recurrent_backward(float* dh_t, const LstmBf16Scratch& s, int t, int B, int H, int k, int j0, int j1) {
  const BFloat16* dgates_next = s.dgates.data() + sz(static_cast<size_t>(t + 1) * B, stride_of(4 * H));
  bf16_gemm(dh_t + j0, H, dgates_next, block_weights(s, k), B, j1 - j0, 4 * H, true);
}

void bf16_keep_dgates(LstmBf16Scratch& s, const float* dgates_t, int t, int B, int H, int j0, int j1) {
  const int G = 4 * H;
  BFloat16* block = s.dgates.data() + sz(static_cast<size_t>(t) * B, stride_of(G));
  for (int g = 0; g < 4; ++g) {
    convert_rows_bf16(block + g * H + j0, stride_of(G), dgates_t + g * H + j0, G, B, j1 - j0);
  }
}

void bf16_backward_products(float* dw_hh, float* dw_ih, float* dinput, LstmBf16Scratch& s, const float* dgates,
                            const float* hiddens, const float* input, const float* w_ih, int rows, int H, int E) {
  const int G = 4 * H;
  parallel_ranges(G, kPanel, [&](int g0, int g1) {
    convert_transposed_bf16(s.dgates_t.data() + sz(g0, stride_of(rows)), dgates + g0, G, g1 - g0, rows);
  });
  pack_parallel(s.rows.data(), hiddens, H, 1, rows, H);
  gemm_parallel(dw_hh, H, s.dgates_t.data(), s.rows.data(), G, H, rows, true);
  if (input == nullptr) return;
  pack_parallel(s.rows.data(), input, E, 1, rows, E);
  gemm_parallel(dw_ih, E, s.dgates_t.data(), s.rows.data(), G, E, rows, true);
  if (dinput == nullptr) return;
  pack_parallel(s.w_ih.data(), w_ih, E, 1, G, E);
  gemm_parallel(dinput, E, s.dgates.data(), s.w_ih.data(), rows, E, G, false);
}

}  // namespace charnn
