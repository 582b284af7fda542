// The per-instruction-set kernels behind packed_gemm (packed_gemm.h), for its
// dispatcher and for tests that run each kernel set the CPU has. Not part of
// the library's interface otherwise.
//
// The AVX-512 and AVX2 kernels compute each element of C as one chain of fused
// multiply-adds in k order started from C, so both give the same bits; the
// portable loop multiplies and adds separately (no FMA in the baseline
// instruction set) and differs in the last bits.
//
// Legend as in packed_gemm.h. A panel holds `stride` columns (32, or 16 for a
// last narrow one) of which `width` are real; K rows of it follow each other.
#pragma once

namespace charnn::packed_kernels {

constexpr int kPanel = 32;   // columns of a full panel
constexpr int kChunk = 128;  // k per pass over a panel: 16 KB of a 32-wide
                             // panel, kept in L1 while every row uses it

inline int panel_width(int remaining) { return remaining > 16 ? kPanel : 16; }

// Where A(m, k) sits: A[m * row + k * k_step]. Row-major A (M, K) has steps
// (lda, 1); A given as its transpose, row-major (K, M), has steps (1, lda).
struct ASteps {
  size_t row, k;
};

// C (M, width) += A (M, K) times one panel. The AVX-512 kernel takes only a
// row-major A (its steps are (lda, 1)); the others take either.
void panel_avx512(float* C, int ldc, const float* A, int lda, const float* P, int M, int K, int width, int stride);
void panel_avx2(float* C, int ldc, const float* A, ASteps a, const float* P, int M, int K, int width, int stride);
void panel_portable(float* C, int ldc, const float* A, ASteps a, const float* P, int M, int K, int width, int stride);

// One row (M = 1): C (1, N) += A (1, K) P (K, N) across all of P's panels,
// several at once so enough independent sums are in flight.
void row_avx512(float* C, const float* A, const float* P, int K, int N);
void row_avx2(float* C, const float* A, const float* P, int K, int N);

}  // namespace charnn::packed_kernels
