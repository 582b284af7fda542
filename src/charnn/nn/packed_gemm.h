// A product with few rows against a right-hand matrix packed once and reused
// many times: the recurrent products of the LSTM, where (B, H) states meet the
// same W_hh at every time step. A general BLAS re-packs W_hh on every call;
// here it is packed once per pass over the sequence. Large products stay with
// the BLAS (blas.h), except the weight gradient dW_hh where the BLAS is slow
// (lstm.h, lstm_packs_weight_gradient); this file does not thread (callers
// split rows or columns). One row (M = 1, a lone stream's matrix-vector
// product) has its own path with the same sums.
//
// Legend: M rows of A and C (a batch), K the summed dimension, N columns.
// The packed P (K, N) is stored in panels of 32 columns (the last panel 16
// wide when at most 16 columns remain), each panel K rows of its width,
// zero-padded.
#pragma once

#include <cstddef>

namespace charnn {

// Floats a packed (K, N) matrix occupies.
size_t packed_floats(int K, int N);

// P(k, n) = W[n * ldw + k]: W holds P transposed (its rows are P's columns),
// as W_hh (G, H) does for the forward product h W_hh^T.
void pack_transposed(float* packed, const float* W, int ldw, int K, int N);

// P(k, n) = W[k * ldw + n], as W_hh (G, H) for the backward product dgates W_hh.
void pack_rows(float* packed, const float* W, int ldw, int K, int N);

// C(M, N) += A(M, K) P(K, N), with row strides ldc and lda, on the best
// kernel set the CPU has. The result does not depend on how callers split N
// between calls at panel boundaries, nor on M (a row alone gets the bits it
// gets in a batch).
void packed_gemm(float* C, int ldc, const float* A, int lda, const float* packed, int M, int N, int K);

// C(M, N) += A(M, K) P(K, N) with A given as its transpose A_t (K, M), row
// stride lda_t: the weight gradient dgates^T h, whose dgates are stored by
// rows. Each C element is again one chain in k order.
void packed_gemm_transposed_a(float* C, int ldc, const float* A_t, int lda_t, const float* packed, int M, int N, int K);

// The kernel sets packed_gemm chooses from. AVX-512 and AVX2 (with FMA) give
// the same bits; the portable loop, without FMA, differs in the last bits.
enum class GemmKernels { portable, avx2, avx512 };
bool gemm_kernels_supported(GemmKernels kernels);
GemmKernels best_gemm_kernels();
const char* gemm_kernels_name(GemmKernels kernels);

// packed_gemm on a given, supported kernel set (tests and benchmarks run each).
void packed_gemm_on(GemmKernels kernels, float* C, int ldc, const float* A, int lda, const float* packed, int M, int N,
                    int K);
void packed_gemm_transposed_a_on(GemmKernels kernels, float* C, int ldc, const float* A_t, int lda_t,
                                 const float* packed, int M, int N, int K);

}  // namespace charnn
