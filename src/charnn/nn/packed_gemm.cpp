// Packing and the kernel dispatch of the packed small-M product; see
// packed_gemm.h. The kernels themselves live one file per instruction set
// (packed_gemm_avx512.cpp, packed_gemm_avx2.cpp); the portable twin is here.
#include "charnn/nn/packed_gemm.h"

#include <algorithm>
#include <cstddef>

#include "charnn/nn/packed_gemm_kernels.h"

namespace charnn {

namespace packed_kernels {

// The portable twin: the same sums, one row at a time, vectorised by the
// compiler for the build's baseline (or AVX2 through the clone).
__attribute__((target_clones("avx2", "default"))) void panel_portable(float* C, int ldc, const float* A, ASteps a,
                                                                      const float* P, int M, int K, int width,
                                                                      int stride) {
  float acc[kPanel];
  for (int r = 0; r < M; ++r) {
    float* c = C + static_cast<size_t>(r) * ldc;
    const float* row = A + r * a.row;
    for (int n = 0; n < stride; ++n) acc[n] = n < width ? c[n] : 0.0f;
    for (int k = 0; k < K; ++k) {
      const float* p = P + static_cast<size_t>(k) * stride;
      const float x = row[k * a.k];
      for (int n = 0; n < stride; ++n) acc[n] += x * p[n];
    }
    for (int n = 0; n < width; ++n) c[n] = acc[n];
  }
}

}  // namespace packed_kernels

using packed_kernels::kPanel;
using packed_kernels::panel_width;

size_t packed_floats(int K, int N) {
  const int full = N / kPanel * kPanel;
  const int rest = N - full;
  return static_cast<size_t>(K) * static_cast<size_t>(full + (rest == 0 ? 0 : panel_width(rest)));
}

void pack_transposed(float* packed, const float* W, int ldw, int K, int N) {
  for (int n0 = 0; n0 < N; n0 += kPanel) {
    const int width = std::min(kPanel, N - n0), stride = panel_width(N - n0);
    float* panel = packed + static_cast<size_t>(n0) * K;
    for (int k = 0; k < K; ++k) {
      float* row = panel + static_cast<size_t>(k) * stride;
      for (int n = 0; n < stride; ++n) row[n] = n < width ? W[static_cast<size_t>(n0 + n) * ldw + k] : 0.0f;
    }
  }
}

void pack_rows(float* packed, const float* W, int ldw, int K, int N) {
  for (int n0 = 0; n0 < N; n0 += kPanel) {
    const int width = std::min(kPanel, N - n0), stride = panel_width(N - n0);
    float* panel = packed + static_cast<size_t>(n0) * K;
    for (int k = 0; k < K; ++k) {
      float* row = panel + static_cast<size_t>(k) * stride;
      const float* src = W + static_cast<size_t>(k) * ldw + n0;
      for (int n = 0; n < stride; ++n) row[n] = n < width ? src[n] : 0.0f;
    }
  }
}

bool gemm_kernels_supported(GemmKernels kernels) {
  switch (kernels) {
    case GemmKernels::portable: return true;
#if defined(__x86_64__)
    case GemmKernels::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // The AVX-512 set runs the AVX2 kernels for a transposed A.
    case GemmKernels::avx512: return __builtin_cpu_supports("avx512f") && gemm_kernels_supported(GemmKernels::avx2);
#else
    case GemmKernels::avx2:
    case GemmKernels::avx512: return false;
#endif
  }
  return false;
}

GemmKernels best_gemm_kernels() {
  static const GemmKernels best = gemm_kernels_supported(GemmKernels::avx512) ? GemmKernels::avx512
                                  : gemm_kernels_supported(GemmKernels::avx2) ? GemmKernels::avx2
                                                                              : GemmKernels::portable;
  return best;
}

const char* gemm_kernels_name(GemmKernels kernels) {
  switch (kernels) {
    case GemmKernels::portable: return "portable";
    case GemmKernels::avx2: return "avx2";
    case GemmKernels::avx512: return "avx512";
  }
  return "?";
}

namespace {

// Rows of C per pass over all of P's panels when A comes transposed: a
// weight gradient's A (dgates, hundreds to thousands of rows) would otherwise
// stream from memory once per panel; 48 rows of it stay in L2 while every
// panel passes. Row-major products (batches, sampling streams) keep one pass.
constexpr int kRowBlock = 48;

// C (M, N) += A P over P's panels, A(m, k) at A[m * a.row + k * a.k]. The
// AVX-512 set has no kernel for a transposed A; there the AVX2 one runs (the
// same bits, as every FMA kernel gives).
void panels_on(GemmKernels kernels, float* C, int ldc, const float* A, packed_kernels::ASteps a, const float* packed,
               int M, int N, int K) {
  using namespace packed_kernels;
  if (a.k != 1 && M > kRowBlock) {
    for (int m0 = 0; m0 < M; m0 += kRowBlock) {
      panels_on(kernels, C + static_cast<size_t>(m0) * ldc, ldc, A + m0 * a.row, a, packed, std::min(kRowBlock, M - m0),
                N, K);
    }
    return;
  }
  const bool row_major = a.k == 1;
  for (int n0 = 0; n0 < N; n0 += kPanel) {
    const int width = std::min(kPanel, N - n0), stride = panel_width(N - n0);
    float* c = C + n0;
    const float* panel = packed + static_cast<size_t>(n0) * K;
    switch (kernels) {
#if defined(__x86_64__)
      case GemmKernels::avx512:
        if (row_major) {
          panel_avx512(c, ldc, A, static_cast<int>(a.row), panel, M, K, width, stride);
        } else {
          panel_avx2(c, ldc, A, a, panel, M, K, width, stride);
        }
        break;
      case GemmKernels::avx2: panel_avx2(c, ldc, A, a, panel, M, K, width, stride); break;
#endif
      default: panel_portable(c, ldc, A, a, panel, M, K, width, stride); break;
    }
  }
}

}  // namespace

void packed_gemm_on(GemmKernels kernels, float* C, int ldc, const float* A, int lda, const float* packed, int M, int N,
                    int K) {
#if defined(__x86_64__)
  if (M == 1 && kernels == GemmKernels::avx512) return packed_kernels::row_avx512(C, A, packed, K, N);
  if (M == 1 && kernels == GemmKernels::avx2) return packed_kernels::row_avx2(C, A, packed, K, N);
#endif
  panels_on(kernels, C, ldc, A, {static_cast<size_t>(lda), 1}, packed, M, N, K);
}

void packed_gemm_transposed_a_on(GemmKernels kernels, float* C, int ldc, const float* A_t, int lda_t,
                                 const float* packed, int M, int N, int K) {
  panels_on(kernels, C, ldc, A_t, {1, static_cast<size_t>(lda_t)}, packed, M, N, K);
}

void packed_gemm_transposed_a(float* C, int ldc, const float* A_t, int lda_t, const float* packed, int M, int N,
                              int K) {
  packed_gemm_transposed_a_on(best_gemm_kernels(), C, ldc, A_t, lda_t, packed, M, N, K);
}

void packed_gemm(float* C, int ldc, const float* A, int lda, const float* packed, int M, int N, int K) {
  packed_gemm_on(best_gemm_kernels(), C, ldc, A, lda, packed, M, N, K);
}

}  // namespace charnn
