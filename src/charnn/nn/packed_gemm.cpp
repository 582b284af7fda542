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
__attribute__((target_clones("avx2", "default"))) void panel_portable(float* C, int ldc, const float* A, int lda,
                                                                      const float* P, int M, int K, int width,
                                                                      int stride) {
  float acc[kPanel];
  for (int r = 0; r < M; ++r) {
    float* c = C + static_cast<size_t>(r) * ldc;
    const float* a = A + static_cast<size_t>(r) * lda;
    for (int n = 0; n < stride; ++n) acc[n] = n < width ? c[n] : 0.0f;
    for (int k = 0; k < K; ++k) {
      const float* p = P + static_cast<size_t>(k) * stride;
      for (int n = 0; n < stride; ++n) acc[n] += a[k] * p[n];
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
    case GemmKernels::avx512: return __builtin_cpu_supports("avx512f");
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

void packed_gemm_on(GemmKernels kernels, float* C, int ldc, const float* A, int lda, const float* packed, int M, int N,
                    int K) {
  using namespace packed_kernels;
#if defined(__x86_64__)
  if (M == 1 && kernels == GemmKernels::avx512) return row_avx512(C, A, packed, K, N);
  if (M == 1 && kernels == GemmKernels::avx2) return row_avx2(C, A, packed, K, N);
#endif
  for (int n0 = 0; n0 < N; n0 += kPanel) {
    const int width = std::min(kPanel, N - n0), stride = panel_width(N - n0);
    float* c = C + n0;
    const float* panel = packed + static_cast<size_t>(n0) * K;
    switch (kernels) {
#if defined(__x86_64__)
      case GemmKernels::avx512: panel_avx512(c, ldc, A, lda, panel, M, K, width, stride); break;
      case GemmKernels::avx2: panel_avx2(c, ldc, A, lda, panel, M, K, width, stride); break;
#endif
      default: panel_portable(c, ldc, A, lda, panel, M, K, width, stride); break;
    }
  }
}

void packed_gemm(float* C, int ldc, const float* A, int lda, const float* packed, int M, int N, int K) {
  packed_gemm_on(best_gemm_kernels(), C, ldc, A, lda, packed, M, N, K);
}

}  // namespace charnn
