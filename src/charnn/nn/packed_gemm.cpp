// The packed small-M product; see packed_gemm.h. Each tile of up to 8 rows by
// one panel keeps its sums in registers over the whole of K (16 accumulators
// of 16 floats for a 32-wide panel), started from C, so each C element is one
// chain of fused multiply-adds in k order. Built with -O3 (CMakeLists.txt) so
// the fixed-size loops unroll; the AVX-512 path is chosen at run time, no
// -march flag needed.
#include "charnn/nn/packed_gemm.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace charnn {

namespace {

constexpr int kPanel = 32;  // columns of a full panel
constexpr int kRows = 8;    // rows of A per register tile
constexpr int kChunk = 128;  // k per pass: 16 KB of a 32-wide panel

int panel_width(int remaining) { return remaining > 16 ? kPanel : 16; }

#if defined(__x86_64__)

template <int MR, int NV>
__attribute__((target("avx512f"))) void tile_avx512(float* C, int ldc, const float* A, int lda, const float* P,
                                                    int K, int width) {
  const __mmask16 m0 = width >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << width) - 1u);
  const __mmask16 m1 = width >= 32   ? static_cast<__mmask16>(0xFFFF)
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
__attribute__((target("avx512f"))) void panel_avx512(float* C, int ldc, const float* A, int lda, const float* P,
                                                     int M, int K, int width) {
  for (int k0 = 0; k0 < K; k0 += kChunk) {
    const int kc = std::min(kChunk, K - k0);
    const float* p = P + static_cast<size_t>(k0) * 16 * NV;
    for (int m0 = 0; m0 < M; m0 += kRows) {
      float* c = C + static_cast<size_t>(m0) * ldc;
      const float* a = A + static_cast<size_t>(m0) * lda + k0;
      switch (std::min(kRows, M - m0)) {
        case 1: tile_avx512<1, NV>(c, ldc, a, lda, p, kc, width); break;
        case 2: tile_avx512<2, NV>(c, ldc, a, lda, p, kc, width); break;
        case 3: tile_avx512<3, NV>(c, ldc, a, lda, p, kc, width); break;
        case 4: tile_avx512<4, NV>(c, ldc, a, lda, p, kc, width); break;
        case 5: tile_avx512<5, NV>(c, ldc, a, lda, p, kc, width); break;
        case 6: tile_avx512<6, NV>(c, ldc, a, lda, p, kc, width); break;
        case 7: tile_avx512<7, NV>(c, ldc, a, lda, p, kc, width); break;
        default: tile_avx512<8, NV>(c, ldc, a, lda, p, kc, width); break;
      }
    }
  }
}

// One row (M = 1, a single stream's matrix-vector product) across kGroup full
// panels at once: a lone panel gives only two chains of dependent adds, too
// few to hide the latency of a fused multiply-add; four panels give eight.
// Each element is still one chain in k order started from C, as in the tile.
constexpr int kGroup = 4;

__attribute__((target("avx512f"))) void row_group_avx512(float* C, const float* A, const float* P, int K) {
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
__attribute__((target("avx512f"))) void row_tail_avx512(float* C, const float* A, const float* P, int K, int width) {
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

__attribute__((target("avx512f"))) void row_rest_avx512(float* C, const float* A, const float* P, int K, int width) {
  // Panels are 32 wide except a last one of at most 16 columns.
  const int full = width / kPanel + (width % kPanel > 16 ? 1 : 0);
  const bool half = width % kPanel != 0 && width % kPanel <= 16;
  switch (full * 2 + (half ? 1 : 0)) {
    case 1: row_tail_avx512<0, true>(C, A, P, K, width); break;
    case 2: row_tail_avx512<1, false>(C, A, P, K, width); break;
    case 3: row_tail_avx512<1, true>(C, A, P, K, width); break;
    case 4: row_tail_avx512<2, false>(C, A, P, K, width); break;
    case 5: row_tail_avx512<2, true>(C, A, P, K, width); break;
    case 6: row_tail_avx512<3, false>(C, A, P, K, width); break;
    case 7: row_tail_avx512<3, true>(C, A, P, K, width); break;
    default: row_tail_avx512<4, false>(C, A, P, K, width); break;
  }
}

bool have_avx512() {
  static const bool have = __builtin_cpu_supports("avx512f");
  return have;
}

#endif

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

}  // namespace

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

void packed_gemm(float* C, int ldc, const float* A, int lda, const float* packed, int M, int N, int K) {
  int n0 = 0;
#if defined(__x86_64__)
  if (M == 1 && have_avx512()) {
    for (; n0 + kGroup * kPanel <= N; n0 += kGroup * kPanel) {
      row_group_avx512(C + n0, A, packed + static_cast<size_t>(n0) * K, K);
    }
    if (n0 < N) row_rest_avx512(C + n0, A, packed + static_cast<size_t>(n0) * K, K, N - n0);
    return;
  }
#endif
  for (; n0 < N; n0 += kPanel) {
    const int width = std::min(kPanel, N - n0), stride = panel_width(N - n0);
    const float* panel = packed + static_cast<size_t>(n0) * K;
#if defined(__x86_64__)
    if (have_avx512()) {
      if (stride == kPanel) {
        panel_avx512<2>(C + n0, ldc, A, lda, panel, M, K, width);
      } else {
        panel_avx512<1>(C + n0, ldc, A, lda, panel, M, K, width);
      }
      continue;
    }
#endif
    panel_portable(C + n0, ldc, A, lda, panel, M, K, width, stride);
  }
}

}  // namespace charnn
