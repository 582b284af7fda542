// A product with few rows against a right-hand matrix packed once and reused
// many times: the recurrent products of the LSTM, where (B, H) states meet the
// same W_hh at every time step. A general BLAS re-packs W_hh on every call;
// here it is packed once per pass over the sequence. Large products stay with
// the BLAS (blas.h); this file does not thread (callers split columns). One
// row (M = 1, a lone stream's matrix-vector product) has its own path with
// the same sums.
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

// C(M, N) += A(M, K) P(K, N), with row strides ldc and lda. Uses AVX-512 when
// the CPU has it, a portable loop otherwise; for one CPU the result does not
// depend on how callers split N between calls at panel boundaries.
void packed_gemm(float* C, int ldc, const float* A, int lda, const float* packed, int M, int N, int K);

}  // namespace charnn
