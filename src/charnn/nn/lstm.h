// The fast LSTM layer: forward over all T steps and backpropagation through
// time, on BLAS products and the fused elementwise passes of lstm_cell.h.
// model_ref.h holds the plain scalar twin the tests use.
//
// Legend: T time steps, B batch, E input width, H hidden units, G = 4H gates,
// gate order i, f, g, o (as PyTorch). All buffers are time-major and row-major.
// One-hot input (layer 0) is never materialised: its input projection is a
// gather of columns of W_ih, done on a transposed copy so the gather reads rows.
//
// Threads: the recurrent loop is cut into lstm_unit_blocks() blocks of hidden
// units, a number fixed whatever the thread count. Block k owns units
// [j0, j1): at each step it computes the four gate slices of those units
// against its own packed copy of W_hh (packed_gemm.h, packed once per pass, not
// per step) and their cell update, and the blocks meet once per step. Each
// number is summed by the same code in the same order with 1 thread or many.
#pragma once

#include <cstddef>
#include <cstdint>

namespace charnn {

struct LstmWeights {
  const float* w_ih;  // (G, E)
  const float* w_hh;  // (G, H)
  const float* b_ih;  // (G)
  const float* b_hh;  // (G)
  int E;
  int H;
};

struct LstmGrads {
  float* dw_ih;  // (G, E)
  float* dw_hh;  // (G, H)
  float* db_ih;  // (G)
  float* db_hh;  // (G)
};

// What the forward pass keeps for the backward pass.
struct LstmCache {
  float* gates;      // (T, B, G) i, f, g, o after their nonlinearities
  float* cells;      // (T+1, B, H) slot 0 is the zero initial state, slot t+1 is c_t
  float* hiddens;    // (T+1, B, H) slot 0 is the zero initial state, slot t+1 is h_t
  float* cell_tanh;  // (T, B, H) tanh(c_t)
};

struct LstmBf16Scratch;  // lstm_bf16.h

// The recurrent loop's unit blocks: work_blocks() of them (thread_pool.h),
// the H units shared out in whole 16-float vectors as evenly as whole vectors
// allow. Some blocks are empty when H has fewer vectors than blocks.
int lstm_unit_blocks();

// The widest unit block.
int lstm_unit_block_width(int H);

// Floats of the w_hh_packed scratch both passes take: W_hh packed per unit block.
size_t lstm_packed_floats(int H);

// Whether lstm_backward computes dW_hh with the packed kernel (packed_gemm.h)
// rather than the BLAS. Measured on a 2-core EPYC 7001 VM (AVX2, no AVX-512),
// OpenBLAS 0.3.21 runs dgates^T h at 10-12 GFLOP/s while H <= 320 and at
// 32-36 from H = 384 on; the packed kernel runs it at 25 (config A) and 20
// (config B). So: on CPUs with AVX2 but not AVX-512, for H <= 320. The rule
// comes from that one machine and OpenBLAS version; other AVX2 CPUs and
// versions may draw the line elsewhere. It then needs scratch of
// lstm_hiddens_packed_floats(T, B, H) floats (0 otherwise).
bool lstm_packs_weight_gradient(int H);
size_t lstm_hiddens_packed_floats(int T, int B, int H);

// Input is either dense (input != nullptr, (T, B, E)) or token indices
// (tokens != nullptr, (T, B)), the one-hot case. For tokens, w_ih_t is scratch
// of (E, G) that receives W_ih transposed. w_hh_packed is scratch of
// lstm_packed_floats(H). With bf16 (not null) the input projection and the
// recurrent products run in bf16 (lstm_bf16.h); with null, in f32.
void lstm_forward(LstmCache cache, const float* input, const int32_t* tokens, float* w_ih_t, float* w_hh_packed,
                  LstmWeights w, int T, int B, LstmBf16Scratch* bf16 = nullptr);

// Backpropagation through time. dhiddens (T, B, H) holds dLoss/dh_t from above
// and is used as scratch (recurrent gradients are added into it). dgates
// (T, B, G) and dcell (B, H) are scratch. Weight gradients accumulate (+=).
// dinput (T, B, E), when not null, is overwritten with dLoss/dinput (dense input
// only). For token input, dw_ih_t is scratch of (E, G). w_hh_packed and bf16
// as above; bf16 also covers the weight-gradient and dinput products.
// hiddens_packed is scratch of lstm_hiddens_packed_floats(T, B, H) (f32 only).
void lstm_backward(float* dinput, LstmGrads grads, float* dhiddens, float* dgates, float* dcell, float* dw_ih_t,
                   float* w_hh_packed, float* hiddens_packed, const LstmCache& cache, const float* input,
                   const int32_t* tokens, LstmWeights w, int T, int B, LstmBf16Scratch* bf16 = nullptr);

}  // namespace charnn
