// The AVX2 + FMA kernel of bf16_gemm; see bf16_gemm_kernels.h. AVX2 has no
// bf16 arithmetic, but a bf16 is the top half of an f32, so widening is a
// shift: a packed pair row (16 pairs, bf16_gemm.h) gives its even-k values by
// shifting each 32-bit pair left 16 bits and its odd-k values by clearing the
// low half, and the products run as f32 FMAs. A is widened kRowBlock rows at
// a time into a buffer of the call, which every panel then reads; a lone row
// widens each pair as it broadcasts it. Half the bytes of f32 weights to read,
// which is what a lone sampling stream waits on. Built with -O3
// (CMakeLists.txt) so the fixed-size loops unroll.
#include "charnn/nn/bf16_gemm_kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "charnn/nn/avx2_sum_rows.h"
#include "charnn/nn/bf16_widen.h"

namespace charnn::bf16_kernels {

namespace {

constexpr int kPanel = kBf16Panel;
constexpr int kRows = 6;   // rows of a tile: 12 accumulators, 2 widened vectors, a broadcast, the mask
constexpr int kGroup = 4;  // panels one stream's row keeps in flight: 8 chains of FMAs
constexpr int kRowBlock = 8 * kRows;  // rows of A widened at a time: 537 KB for K = 2,800

using avx2::Columns;
using avx2::SumRows;

// The even-k and odd-k values of 8 packed pairs, as f32.
CHARNN_AVX2_INLINE __m256 even_values(const BFloat16* pairs) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pairs)), 16));
}
CHARNN_AVX2_INLINE __m256 odd_values(const BFloat16* pairs, __m256i high_half) {
  return _mm256_castsi256_ps(
      _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pairs)), high_half));
}


// One value of an A pair (ODD: the second), widened and broadcast to 8 lanes.
template <bool ODD>
CHARNN_AVX2_INLINE __m256 broadcast_value(const BFloat16* pair, __m256i high_half) {
  int32_t bits;
  std::memcpy(&bits, pair, sizeof bits);
  const __m256i both = _mm256_set1_epi32(bits);
  return _mm256_castsi256_ps(ODD ? _mm256_and_si256(both, high_half) : _mm256_slli_epi32(both, 16));
}

// C's rows, or zeros when the product does not accumulate.
template <int R>
CHARNN_AVX2_INLINE void start_sums(SumRows<R>& s, const float* C, size_t step, const Columns& cols, bool accumulate) {
  if (accumulate) {
    avx2::load_rows(s, C, step, cols);
  } else {
    avx2::zero_rows(s);
  }
}

// Panels of one row: each widened panel row times the row's A value.
template <int G>
CHARNN_AVX2_INLINE void multiply_panels(SumRows<G>& s, const BFloat16* p, size_t panel, __m256 x, bool odd,
                                        __m256i high_half) {
  if constexpr (G > 0) {
    const __m256 lo = odd ? odd_values(p, high_half) : even_values(p);
    const __m256 hi = odd ? odd_values(p + 16, high_half) : even_values(p + 16);
    s.lo = _mm256_fmadd_ps(x, lo, s.lo);
    s.hi = _mm256_fmadd_ps(x, hi, s.hi);
    multiply_panels(s.next, p + panel, panel, x, odd, high_half);
  }
}

// C rows [0, R) by one panel of `width` real columns, over all K. `a` is A
// widened, rows of lda floats; pairs past K are zero in A and in P. Not
// inlined: inlined into gemm_avx2 with its siblings, GCC 12 allocated its
// registers worse (54 against 73 GFLOP/s in BM_bf16_gemm).
template <int R>
__attribute__((noinline)) CHARNN_AVX2 void tile(float* C, size_t ldc, const float* a, size_t lda, const BFloat16* P,
                                                int pairs, int width, bool accumulate) {
  const Columns cols = avx2::columns(width);
  const __m256i high_half = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  SumRows<R> s;
  start_sums(s, C, ldc, cols, accumulate);
  for (int k = 0; k < pairs; ++k) {
    const BFloat16* row = P + static_cast<size_t>(k) * 2 * kPanel;
    avx2::multiply_add_rows(s, a + 2 * k, lda, even_values(row), even_values(row + 16));
    avx2::multiply_add_rows(s, a + 2 * k + 1, lda, odd_values(row, high_half), odd_values(row + 16, high_half));
  }
  avx2::store_rows(s, C, ldc, cols);
}

// One row (a sampling stream) across kGroup full panels at once.
CHARNN_AVX2 void row_group(float* C, const BFloat16* a, const BFloat16* P, size_t panel, int pairs,
                           bool accumulate) {
  const Columns cols = avx2::columns(kPanel);
  const __m256i high_half = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  SumRows<kGroup> s;  // one "row" per panel: the group's 4 x 16 columns of C follow each other
  start_sums(s, C, kPanel, cols, accumulate);
  for (int k = 0; k < pairs; ++k) {
    const BFloat16* row = P + static_cast<size_t>(k) * 2 * kPanel;
    multiply_panels(s, row, panel, broadcast_value<false>(a + 2 * k, high_half), false, high_half);
    multiply_panels(s, row, panel, broadcast_value<true>(a + 2 * k, high_half), true, high_half);
  }
  avx2::store_rows(s, C, kPanel, cols);
}

}  // namespace

bool avx2_fma_supported() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}

CHARNN_AVX2 void gemm_avx2(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                           bool accumulate) {
  const size_t lda = static_cast<size_t>(bf16_row_stride(K)), panel = lda * kPanel;
  const int pairs = (K + 1) / 2;
  int n0 = 0;
  if (M == 1) {
    for (; n0 + kGroup * kPanel <= N; n0 += kGroup * kPanel) {
      row_group(C + n0, A, packed + static_cast<size_t>(n0 / kPanel) * panel, panel, pairs, accumulate);
    }
  }
  if (n0 == N) return;
  // Blocks of rows outer, panels, then row tiles: a block's widened rows and a
  // panel stay in cache while every tile of the block passes over the panel.
  const size_t wide = 2 * static_cast<size_t>(pairs);
  std::vector<float> widened(static_cast<size_t>(std::min(M, kRowBlock)) * wide);
  for (int b0 = 0; b0 < M; b0 += kRowBlock) {
    const int rows = std::min(kRowBlock, M - b0);
    widen_rows(widened.data(), A + b0 * lda, lda, rows, wide);
    for (int n = n0; n < N; n += kPanel) {
      const BFloat16* p = packed + static_cast<size_t>(n / kPanel) * panel;
      const int width = std::min(kPanel, N - n);
      for (int m0 = 0; m0 < rows; m0 += kRows) {
        float* c = C + (b0 + m0) * ldc + n;
        const float* a = widened.data() + m0 * wide;
        switch (std::min(kRows, rows - m0)) {
          case 1: tile<1>(c, ldc, a, wide, p, pairs, width, accumulate); break;
          case 2: tile<2>(c, ldc, a, wide, p, pairs, width, accumulate); break;
          case 3: tile<3>(c, ldc, a, wide, p, pairs, width, accumulate); break;
          case 4: tile<4>(c, ldc, a, wide, p, pairs, width, accumulate); break;
          case 5: tile<5>(c, ldc, a, wide, p, pairs, width, accumulate); break;
          default: tile<6>(c, ldc, a, wide, p, pairs, width, accumulate); break;
        }
      }
    }
  }
}

}  // namespace charnn::bf16_kernels

#else  // not x86-64: never supported, so never called

namespace charnn::bf16_kernels {

bool avx2_fma_supported() { return false; }

void gemm_avx2(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
               bool accumulate) {
  bf16_gemm_portable(C, ldc, A, packed, M, N, K, accumulate);
}

}  // namespace charnn::bf16_kernels

#endif  // __x86_64__
