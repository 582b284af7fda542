// The AVX-512 kernels of packed_gemm; see packed_gemm_kernels.h. Each tile of
// up to 8 rows by one panel keeps its sums in registers over a chunk of K (16
// accumulators of 16 floats for a 32-wide panel), started from C. Built with
// -O3 (CMakeLists.txt) so the fixed-size loops unroll; the target attribute
// lets one binary carry these beside the AVX2 and portable kernels.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "charnn/nn/packed_gemm_kernels.h"

namespace charnn::packed_kernels {

namespace {

constexpr int kRows = 8;  // rows of A per register tile

template <int MR, int NV>
__attribute__((target("avx512f"))) void tile(float* C, int ldc, const float* A, int lda, const float* P, int K,
                                             int width) {
  const __mmask16 m0 = width >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << width) - 1u);
  const __mmask16 m1 = width >= 32  ? static_cast<__mmask16>(0xFFFF)
                       : width > 16 ? static_cast<__mmask16>((1u << (width - 16)) - 1u)
                                    : static_cast<__mmask16>(0);
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; ++r) {
    acc[r][0] = _mm512_maskz_loadu_ps(m0, C + static_cast<size_t>(r) * ldc);
    if constexpr (NV == 2) acc[r][1] = _mm512_maskz_loadu_ps(m1, C + static_cast<size_t>(r) * ldc + 16);
  }
  for (int k = 0; k < K; ++k) {
    const float* p = P + static_cast<size_t>(k) * 16 * NV;
    const __m512 p0 = _mm512_loadu_ps(p);
    const __m512 p1 = NV == 2 ? _mm512_loadu_ps(p + 16) : p0;
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(A[static_cast<size_t>(r) * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(a, p0, acc[r][0]);
      if constexpr (NV == 2) acc[r][1] = _mm512_fmadd_ps(a, p1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm512_mask_storeu_ps(C + static_cast<size_t>(r) * ldc, m0, acc[r][0]);
    if constexpr (NV == 2) _mm512_mask_storeu_ps(C + static_cast<size_t>(r) * ldc + 16, m1, acc[r][1]);
  }
}

// K is walked in chunks whose slice of the panel stays in L1 while every row
// tile uses it. Storing a tile's sums to C between chunks and loading them
// back is exact, so chunking does not change a single bit.
template <int NV>
__attribute__((target("avx512f"))) void panel_nv(float* C, int ldc, const float* A, int lda, const float* P, int M,
                                                 int K, int width) {
  for (int k0 = 0; k0 < K; k0 += kChunk) {
    const int kc = std::min(kChunk, K - k0);
    const float* p = P + static_cast<size_t>(k0) * 16 * NV;
    for (int m0 = 0; m0 < M; m0 += kRows) {
      float* c = C + static_cast<size_t>(m0) * ldc;
      const float* a = A + static_cast<size_t>(m0) * lda + k0;
      switch (std::min(kRows, M - m0)) {
        case 1: tile<1, NV>(c, ldc, a, lda, p, kc, width); break;
        case 2: tile<2, NV>(c, ldc, a, lda, p, kc, width); break;
        case 3: tile<3, NV>(c, ldc, a, lda, p, kc, width); break;
        case 4: tile<4, NV>(c, ldc, a, lda, p, kc, width); break;
        case 5: tile<5, NV>(c, ldc, a, lda, p, kc, width); break;
        case 6: tile<6, NV>(c, ldc, a, lda, p, kc, width); break;
        case 7: tile<7, NV>(c, ldc, a, lda, p, kc, width); break;
        default: tile<8, NV>(c, ldc, a, lda, p, kc, width); break;
      }
    }
  }
}

// One row (M = 1, a single stream's matrix-vector product) across kGroup full
// panels at once: a lone panel gives only two chains of dependent adds, too
// few to hide the latency of a fused multiply-add; four panels give eight.
// Each element is still one chain in k order started from C, as in the tile.
constexpr int kGroup = 4;

__attribute__((target("avx512f"))) void row_group(float* C, const float* A, const float* P, int K) {
  const size_t panel = static_cast<size_t>(K) * kPanel;
  __m512 acc[kGroup][2];
  for (int g = 0; g < kGroup; ++g) {
    acc[g][0] = _mm512_loadu_ps(C + g * kPanel);
    acc[g][1] = _mm512_loadu_ps(C + g * kPanel + 16);
  }
  for (int k = 0; k < K; ++k) {
    const __m512 a = _mm512_set1_ps(A[k]);
    for (int g = 0; g < kGroup; ++g) {
      const float* p = P + g * panel + static_cast<size_t>(k) * kPanel;
      acc[g][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(p), acc[g][0]);
      acc[g][1] = _mm512_fmadd_ps(a, _mm512_loadu_ps(p + 16), acc[g][1]);
    }
  }
  for (int g = 0; g < kGroup; ++g) {
    _mm512_storeu_ps(C + g * kPanel, acc[g][0]);
    _mm512_storeu_ps(C + g * kPanel + 16, acc[g][1]);
  }
}

// The columns left after the groups: FULL panels 32 wide, then (HALF) one
// 16 wide, `width` of them real; the same chains again, masked at the edge.
template <int FULL, bool HALF>
__attribute__((target("avx512f"))) void row_tail(float* C, const float* A, const float* P, int K, int width) {
  constexpr int kVectors = 2 * FULL + (HALF ? 1 : 0);
  const size_t panel = static_cast<size_t>(K) * kPanel;
  __mmask16 mask[kVectors];
  __m512 acc[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    const int lanes = std::clamp(width - 16 * v, 0, 16);
    mask[v] = static_cast<__mmask16>((1u << lanes) - 1u);
    acc[v] = _mm512_maskz_loadu_ps(mask[v], C + 16 * v);
  }
  for (int k = 0; k < K; ++k) {
    const __m512 a = _mm512_set1_ps(A[k]);
    for (int p = 0; p < FULL; ++p) {
      const float* row = P + p * panel + static_cast<size_t>(k) * kPanel;
      acc[2 * p] = _mm512_fmadd_ps(a, _mm512_loadu_ps(row), acc[2 * p]);
      acc[2 * p + 1] = _mm512_fmadd_ps(a, _mm512_loadu_ps(row + 16), acc[2 * p + 1]);
    }
    if constexpr (HALF) {
      const float* row = P + FULL * panel + static_cast<size_t>(k) * 16;
      acc[2 * FULL] = _mm512_fmadd_ps(a, _mm512_loadu_ps(row), acc[2 * FULL]);
    }
  }
  for (int v = 0; v < kVectors; ++v) _mm512_mask_storeu_ps(C + 16 * v, mask[v], acc[v]);
}

__attribute__((target("avx512f"))) void row_rest(float* C, const float* A, const float* P, int K, int width) {
  // Panels are 32 wide except a last one of at most 16 columns.
  const int full = width / kPanel + (width % kPanel > 16 ? 1 : 0);
  const bool half = width % kPanel != 0 && width % kPanel <= 16;
  switch (full * 2 + (half ? 1 : 0)) {
    case 1: row_tail<0, true>(C, A, P, K, width); break;
    case 2: row_tail<1, false>(C, A, P, K, width); break;
    case 3: row_tail<1, true>(C, A, P, K, width); break;
    case 4: row_tail<2, false>(C, A, P, K, width); break;
    case 5: row_tail<2, true>(C, A, P, K, width); break;
    case 6: row_tail<3, false>(C, A, P, K, width); break;
    case 7: row_tail<3, true>(C, A, P, K, width); break;
    default: row_tail<4, false>(C, A, P, K, width); break;
  }
}

}  // namespace

void panel_avx512(float* C, int ldc, const float* A, int lda, const float* P, int M, int K, int width, int stride) {
  if (stride == kPanel) {
    panel_nv<2>(C, ldc, A, lda, P, M, K, width);
  } else {
    panel_nv<1>(C, ldc, A, lda, P, M, K, width);
  }
}

void row_avx512(float* C, const float* A, const float* P, int K, int N) {
  int n0 = 0;
  for (; n0 + kGroup * kPanel <= N; n0 += kGroup * kPanel) row_group(C + n0, A, P + static_cast<size_t>(n0) * K, K);
  if (n0 < N) row_rest(C + n0, A, P + static_cast<size_t>(n0) * K, K, N - n0);
}

}  // namespace charnn::packed_kernels

#endif  // __x86_64__
