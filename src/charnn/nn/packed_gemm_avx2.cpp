// The AVX2 + FMA kernels of packed_gemm; see packed_gemm_kernels.h. AVX2 has
// 16 vector registers of 8 floats, so a tile is up to 6 rows by half a panel
// (16 columns): 12 accumulators, 2 panel vectors and one broadcast of A. The
// row kernel for a lone stream keeps 3 panels (12 accumulators) in flight.
// The accumulators are chains of structs, not arrays (see avx2_sum_rows.h).
// Each C element is one FMA chain in k order, as in the AVX-512 kernels, so
// both give the same bits. Built with -O3 (CMakeLists.txt) so the fixed-size
// loops unroll.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "charnn/nn/avx2_sum_rows.h"
#include "charnn/nn/packed_gemm_kernels.h"

namespace charnn::packed_kernels {

namespace {

constexpr int kHalf = 16;  // columns of a tile: half a full panel
constexpr int kRows = 6;   // rows of A per register tile
constexpr int kVectorsPerPanel = kPanel / 8;

using avx2::Columns;
using avx2::lanes_below;
using avx2::SumRows;

// C (MR, width) += A (MR, K) times the 16 columns at P, rows `step` apart;
// width <= 16 of them are real (the panel's padding is zero, so the sums past
// the width are computed and never stored). A(r, k) is A[r * a.row + k * a.k].
// With kPrefetch, row k of `next` (next_rows of them) is fetched into L1
// alongside row k of P.
template <int MR, bool kPrefetch = false>
CHARNN_AVX2 void tile(float* C, int ldc, const float* A, ASteps a, const float* P, int step, int K, int width,
                      const float* next = nullptr, int next_rows = 0) {
  const Columns cols = avx2::columns(width);
  SumRows<MR> acc;
  avx2::load_rows(acc, C, static_cast<size_t>(ldc), cols);
  for (int k = 0; k < K; ++k) {
    const float* p = P + static_cast<size_t>(k) * step;
    if (kPrefetch && k < next_rows) {
      _mm_prefetch(reinterpret_cast<const char*>(next + static_cast<size_t>(k) * step), _MM_HINT_T0);
    }
    avx2::multiply_add_rows(acc, A + k * a.k, a.row, _mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
  }
  avx2::store_rows(acc, C, static_cast<size_t>(ldc), cols);
}

// All M rows against `width` columns (16 at most) of a panel, rows `step`
// apart, for k in [k0, k0 + kc).
CHARNN_AVX2 void half_panel_chunk(float* C, int ldc, const float* A, ASteps a, const float* P, int step, int M,
                                  int K, int k0, int kc, int width) {
  const float* p = P + static_cast<size_t>(k0) * step;
  for (int m0 = 0; m0 < M; m0 += kRows) {
    float* c = C + static_cast<size_t>(m0) * ldc;
    const float* at = A + m0 * a.row + k0 * a.k;
    // The first full tile also fetches the next chunk's lines of this half:
    // W_hh of H = 700 (7.8 MB) streams from memory at every step, and the
    // hardware prefetcher alone leaves the tiles waiting (+14% measured).
    if (m0 == 0 && M >= kRows && k0 + kc < K) {
      tile<kRows, true>(c, ldc, at, a, p, step, kc, width, p + static_cast<size_t>(kc) * step,
                        std::min(kc, K - k0 - kc));
      continue;
    }
    switch (std::min(kRows, M - m0)) {
      case 1: tile<1>(c, ldc, at, a, p, step, kc, width); break;
      case 2: tile<2>(c, ldc, at, a, p, step, kc, width); break;
      case 3: tile<3>(c, ldc, at, a, p, step, kc, width); break;
      case 4: tile<4>(c, ldc, at, a, p, step, kc, width); break;
      case 5: tile<5>(c, ldc, at, a, p, step, kc, width); break;
      default: tile<6>(c, ldc, at, a, p, step, kc, width); break;
    }
  }
}

// One row against FULL panels 32 wide, then (HALF) one 16 wide: the row's N
// vectors of 8 columns, as a chain of structs for the reason SumRows gives.
// With 3 full panels, 12 independent sums hide the multiply-add latency.
template <int V, int N>
struct RowVectors {
  __m256 sum;
  RowVectors<V + 1, N> next;
};
template <int N>
struct RowVectors<N, N> {};

// Where vector V reads row k of the packed matrix: in full panel V / 4, or in
// the 16-wide panel after the FULL full ones.
template <int V, int FULL>
CHARNN_AVX2_INLINE const float* row_vector_at(const float* P, size_t panel, int k) {
  if constexpr (V < kVectorsPerPanel * FULL) {
    return P + (V / kVectorsPerPanel) * panel + static_cast<size_t>(k) * kPanel + 8 * (V % kVectorsPerPanel);
  } else {
    return P + FULL * panel + static_cast<size_t>(k) * kHalf + 8 * (V - kVectorsPerPanel * FULL);
  }
}

template <int V, int N>
CHARNN_AVX2_INLINE void row_load(RowVectors<V, N>& acc, const float* C, int width) {
  if constexpr (V < N) {
    acc.sum = _mm256_maskload_ps(C + 8 * V, lanes_below(width - 8 * V));
    row_load(acc.next, C, width);
  }
}

template <int FULL, int V, int N>
CHARNN_AVX2_INLINE void row_fma(RowVectors<V, N>& acc, __m256 a, const float* P, size_t panel, int k) {
  if constexpr (V < N) {
    acc.sum = _mm256_fmadd_ps(a, _mm256_loadu_ps(row_vector_at<V, FULL>(P, panel, k)), acc.sum);
    row_fma<FULL>(acc.next, a, P, panel, k);
  }
}

template <int V, int N>
CHARNN_AVX2_INLINE void row_store(const RowVectors<V, N>& acc, float* C, int width) {
  if constexpr (V < N) {
    _mm256_maskstore_ps(C + 8 * V, lanes_below(width - 8 * V), acc.sum);
    row_store(acc.next, C, width);
  }
}

// C (1, width) += A (1, K) times FULL + HALF panels; `width` columns are real.
template <int FULL, bool HALF>
CHARNN_AVX2 void row_panels(float* C, const float* A, const float* P, int K, int width) {
  constexpr int N = kVectorsPerPanel * FULL + (HALF ? 2 : 0);
  const size_t panel = static_cast<size_t>(K) * kPanel;
  RowVectors<0, N> acc;
  row_load(acc, C, width);
  for (int k = 0; k < K; ++k) row_fma<FULL>(acc, _mm256_broadcast_ss(A + k), P, panel, k);
  row_store(acc, C, width);
}

constexpr int kGroup = 3;  // full panels per row_panels call

CHARNN_AVX2 void row_rest(float* C, const float* A, const float* P, int K, int width) {
  // Panels are 32 wide except a last one of at most 16 columns; fewer than
  // kGroup * kPanel columns remain.
  const int full = width / kPanel + (width % kPanel > 16 ? 1 : 0);
  const bool half = width % kPanel != 0 && width % kPanel <= 16;
  switch (full * 2 + (half ? 1 : 0)) {
    case 1: row_panels<0, true>(C, A, P, K, width); break;
    case 2: row_panels<1, false>(C, A, P, K, width); break;
    case 3: row_panels<1, true>(C, A, P, K, width); break;
    case 4: row_panels<2, false>(C, A, P, K, width); break;
    case 5: row_panels<2, true>(C, A, P, K, width); break;
    default: row_panels<3, false>(C, A, P, K, width); break;
  }
}

}  // namespace

// K in chunks whose slice of the panel stays in L1 while every row tile uses
// it; both halves of a chunk run back to back, so the second finds its lines
// (the other half of each 128-byte panel row) already on their way. Storing
// the sums to C between chunks and loading them back is exact.
void panel_avx2(float* C, int ldc, const float* A, ASteps a, const float* P, int M, int K, int width, int stride) {
  for (int k0 = 0; k0 < K; k0 += kChunk) {
    const int kc = std::min(kChunk, K - k0);
    for (int h = 0; h * kHalf < stride; ++h) {
      const int real = std::clamp(width - h * kHalf, 0, kHalf);
      if (real > 0) half_panel_chunk(C + h * kHalf, ldc, A, a, P + h * kHalf, stride, M, K, k0, kc, real);
    }
  }
}

void row_avx2(float* C, const float* A, const float* P, int K, int N) {
  int n0 = 0;
  for (; n0 + kGroup * kPanel <= N; n0 += kGroup * kPanel) {
    row_panels<kGroup, false>(C + n0, A, P + static_cast<size_t>(n0) * K, K, kGroup * kPanel);
  }
  if (n0 < N) row_rest(C + n0, A, P + static_cast<size_t>(n0) * K, K, N - n0);
}

}  // namespace charnn::packed_kernels

#endif  // __x86_64__
