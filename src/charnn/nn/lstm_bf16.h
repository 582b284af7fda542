// The bf16 products of the LSTM layer (--precision bf16): the same products as
// lstm.cpp's f32 path, with both operands rounded to bfloat16 and the sums in
// f32 (bf16_gemm.h). lstm.cpp calls these where it would call the BLAS or
// packed_gemm; the loops, the cells and everything elementwise stay in
// lstm.cpp and stay f32. The one-hot layer-0 input projection is a gather of
// f32 columns, and its weight gradient a sum, so neither rounds.
//
// Legend as lstm.h: T steps, B batch, E input width, H hidden, G = 4H. Block k
// of the recurrent loop owns units [j0, j1) (lstm.h); its packed W_hh sits at
// a fixed slot of the scratch.
#pragma once

#include "charnn/nn/aligned_vector.h"
#include "charnn/nn/bf16_gemm.h"

namespace charnn {

// Everything the bf16 products read, allocated once for at most (T, B) and the
// widest layer input E.
struct LstmBf16Scratch {
  LstmBf16Scratch(int max_T, int max_B, int max_E, int H, int block_width);

  AlignedVector<BFloat16> input;     // (T*B + spare, bf16_row_stride(E)) the layer's dense input
  AlignedVector<BFloat16> hiddens;   // (T+1 slots of B rows rounded up to 16, bf16_row_stride(H)) h_t; slot 0 never read
  AlignedVector<BFloat16> dgates;    // (T*B + spare, bf16_row_stride(G)) pre-activation gradients
  AlignedVector<BFloat16> dgates_t;  // (G + spare, bf16_row_stride(T*B)) the same, transposed
  AlignedVector<BFloat16> w_ih;      // W_ih^T (E, G) forward or W_ih (G, E) backward, packed
  AlignedVector<BFloat16> w_hh;      // per unit block: W_hh^T slices forward, W_hh columns backward
  AlignedVector<BFloat16> rows;      // (T*B, H or E) packed: the right operand of a weight gradient
  size_t block_slot;             // elements of w_hh each unit block owns
};

// gates (T*B, G) = input (T*B, E) W_ih^T, over the pool.
void bf16_input_projection(float* gates, const float* input, const float* w_ih, LstmBf16Scratch& s, int rows, int G,
                           int E);

// Packs block k's W_hh^T slices: gate g's rows g*H + [j0, j1) of w_hh (G, H).
void bf16_pack_recurrent_forward(LstmBf16Scratch& s, const float* w_hh, int H, int k, int j0, int j1);
// gates_t (B, G), units [j0, j1) of each gate, += h_{t-1} W_hh^T; h_{t-1} is
// scratch slot t (kept by bf16_keep_hidden).
void bf16_recurrent_forward(float* gates_t, const LstmBf16Scratch& s, int t, int B, int H, int k, int j0, int j1);
// Rounds h_t (B, H), units [j0, j1), into scratch slot t + 1.
void bf16_keep_hidden(LstmBf16Scratch& s, const float* h_t, int t, int B, int H, int j0, int j1);

// Packs block k's columns [j0, j1) of W_hh (G, H).
void bf16_pack_recurrent_backward(LstmBf16Scratch& s, const float* w_hh, int H, int k, int j0, int j1);
// dh_t (B, H), units [j0, j1), += dgates_{t+1} W_hh[:, j0:j1]; dgates_{t+1}
// as bf16_keep_dgates left it.
void bf16_recurrent_backward(float* dh_t, const LstmBf16Scratch& s, int t, int B, int H, int k, int j0, int j1);
// Rounds dgates_t (B, G), units [j0, j1) of each gate, into scratch row block t.
void bf16_keep_dgates(LstmBf16Scratch& s, const float* dgates_t, int t, int B, int H, int j0, int j1);

// After the backward loop, over the pool: dw_hh (G, H) += dgates^T h_{t-1}
// over all T*B rows (hiddens (T+1, B, H), slot 0 the zero state), and for a
// dense input dw_ih (G, E) += dgates^T input and, when dinput is not null,
// dinput (T*B, E) = dgates W_ih. dgates (T*B, G) is the f32 original.
void bf16_backward_products(float* dw_hh, float* dw_ih, float* dinput, LstmBf16Scratch& s, const float* dgates,
                            const float* hiddens, const float* input, const float* w_ih, int rows, int H, int E);

}  // namespace charnn
