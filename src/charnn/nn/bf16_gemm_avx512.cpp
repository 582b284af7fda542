// The AVX-512F kernel of bf16_gemm; see bf16_gemm_kernels.h. The AVX2
// kernel's method on 16-lane registers: a bf16 is the top half of an f32, so
// a packed pair row (16 pairs, bf16_gemm.h) gives its even-k values by
// shifting each 32-bit pair left 16 bits and its odd-k values by clearing the
// low half, and the products run as f32 FMAs, in the AVX2 kernel's order (the
// same bits). On Intel cores that is about 1.7 times vdpbf16ps's rate (which
// issues one every two cycles there, against two FMAs a cycle), so it is the
// bf16 kernel of Intel CPUs without AMX, and of AVX-512 CPUs without
// AVX512-BF16. A is widened kRowBlock rows at a time into a buffer of the
// call, which every panel then reads; a lone row widens each pair as it
// broadcasts it. Built with -O3 (CMakeLists.txt) so the fixed-size loops
// unroll; the target attribute lets one binary carry it.
#include "charnn/nn/bf16_gemm_kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "charnn/nn/bf16_widen.h"

#define CHARNN_AVX512 __attribute__((target("avx512f")))
#define CHARNN_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) inline

namespace charnn::bf16_kernels {

namespace {

constexpr int kPanel = kBf16Panel;
constexpr int kRows = 8;       // rows of a tile: 8 x 3 sums, 3 widened panel rows, high_half: 28 registers
constexpr int kPanels = 3;     // panels of a tile
constexpr int kRowPanels = 8;  // one row (a sampling stream): 8 independent chains of FMAs
constexpr int kRowBlock = 6 * kRows;  // rows of A widened at a time: 537 KB for K = 2,800

// Lanes of each of NP panels that hold real columns, `width` in all.
template <int NP>
void panel_masks(__mmask16 (&mask)[NP], int width) {
  for (int p = 0; p < NP; ++p) {
    const int lanes = std::clamp(width - kPanel * p, 0, kPanel);
    mask[p] = static_cast<__mmask16>((1u << lanes) - 1u);
  }
}

// Each 32-bit lane shifted left 16 bits: the lane's low bf16 as an f32. (The
// masked form with every lane set is the same instruction; the plain
// intrinsic trips GCC 12's -Wmaybe-uninitialized inside its own header.)
CHARNN_AVX512_INLINE __m512i low_half_up(__m512i pairs) {
  return _mm512_mask_slli_epi32(pairs, static_cast<__mmask16>(0xFFFF), pairs, 16);
}

// The even-k and odd-k values of a packed pair row's 16 pairs, as f32.
CHARNN_AVX512_INLINE __m512 even_values(const BFloat16* pairs) {
  return _mm512_castsi512_ps(low_half_up(_mm512_loadu_si512(pairs)));
}
CHARNN_AVX512_INLINE __m512 odd_values(const BFloat16* pairs, __m512i high_half) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_loadu_si512(pairs), high_half));
}


// MR rows of C by NP panels, `width` columns real (at most NP * 16), over all
// K: each pair adds its even-k product, then its odd-k one. `a` is A widened,
// rows of lda floats; pairs past K are zero in A and in P, so they add
// nothing. Not inlined, as in the AVX2 kernel: GCC allocates each tile's
// registers better on its own.
template <int MR, int NP>
__attribute__((noinline)) CHARNN_AVX512 void tile(float* C, size_t ldc, const float* a, size_t lda, const BFloat16* P,
                                                 size_t panel, int pairs, int width, bool accumulate) {
  __mmask16 mask[NP];
  panel_masks(mask, width);
  const __m512i high_half = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  __m512 acc[MR][NP];
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) {
      acc[r][p] = accumulate ? _mm512_maskz_loadu_ps(mask[p], C + r * ldc + kPanel * p) : _mm512_setzero_ps();
    }
  }
  for (int k = 0; k < pairs; ++k) {
    const BFloat16* row = P + static_cast<size_t>(k) * 2 * kPanel;
    __m512 b[NP];
    for (int p = 0; p < NP; ++p) b[p] = even_values(row + p * panel);
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + 2 * k]);
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(x, b[p], acc[r][p]);
    }
    for (int p = 0; p < NP; ++p) b[p] = odd_values(row + p * panel, high_half);
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + 2 * k + 1]);
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(x, b[p], acc[r][p]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) _mm512_mask_storeu_ps(C + r * ldc + kPanel * p, mask[p], acc[r][p]);
  }
}

// One row of C (a sampling stream) by NP panels, `width` columns real, A's
// pairs widened as they are broadcast: the same sums, in the same order, as
// tile() gives the row.
template <int NP>
__attribute__((noinline)) CHARNN_AVX512 void row_tile(float* C, const BFloat16* A, const BFloat16* P, size_t panel,
                                                     int pairs, int width, bool accumulate) {
  __mmask16 mask[NP];
  panel_masks(mask, width);
  const __m512i high_half = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  __m512 acc[NP];
  for (int p = 0; p < NP; ++p) acc[p] = accumulate ? _mm512_maskz_loadu_ps(mask[p], C + kPanel * p) : _mm512_setzero_ps();
  for (int k = 0; k < pairs; ++k) {
    int32_t bits;
    std::memcpy(&bits, A + 2 * k, sizeof bits);
    const __m512i both = _mm512_set1_epi32(bits);
    const __m512 even = _mm512_castsi512_ps(low_half_up(both));
    const __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(both, high_half));
    const BFloat16* row = P + static_cast<size_t>(k) * 2 * kPanel;
    for (int p = 0; p < NP; ++p) acc[p] = _mm512_fmadd_ps(even, even_values(row + p * panel), acc[p]);
    for (int p = 0; p < NP; ++p) acc[p] = _mm512_fmadd_ps(odd, odd_values(row + p * panel, high_half), acc[p]);
  }
  for (int p = 0; p < NP; ++p) _mm512_mask_storeu_ps(C + kPanel * p, mask[p], acc[p]);
}

// The tiles of rows [0, rows) of a widened block over one column block of
// NP panels.
template <int NP>
CHARNN_AVX512 void column_block(float* C, size_t ldc, const float* a, size_t lda, const BFloat16* P, size_t panel,
                                int rows, int pairs, int width, bool accumulate) {
  for (int m0 = 0; m0 < rows; m0 += kRows) {
    float* c = C + m0 * ldc;
    const float* am = a + m0 * lda;
    switch (std::min(kRows, rows - m0)) {
      case 1: tile<1, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 2: tile<2, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 3: tile<3, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 4: tile<4, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 5: tile<5, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 6: tile<6, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      case 7: tile<7, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
      default: tile<8, NP>(c, ldc, am, lda, P, panel, pairs, width, accumulate); break;
    }
  }
}

// The last column block, of `live` panels (1 to R): a tile reads only panels
// that exist.
template <int R>
CHARNN_AVX512 void last_column_block(int live, float* C, size_t ldc, const float* a, size_t lda, const BFloat16* P,
                                     size_t panel, int rows, int pairs, int width, bool accumulate) {
  if (live == R) {
    column_block<R>(C, ldc, a, lda, P, panel, rows, pairs, width, accumulate);
  } else if constexpr (R > 1) {
    last_column_block<R - 1>(live, C, ldc, a, lda, P, panel, rows, pairs, width, accumulate);
  }
}

template <int R>
CHARNN_AVX512 void last_row_tile(int live, float* C, const BFloat16* A, const BFloat16* P, size_t panel, int pairs,
                                 int width, bool accumulate) {
  if (live == R) {
    row_tile<R>(C, A, P, panel, pairs, width, accumulate);
  } else if constexpr (R > 1) {
    last_row_tile<R - 1>(live, C, A, P, panel, pairs, width, accumulate);
  }
}

int panels_of(int width) { return (width + kPanel - 1) / kPanel; }

}  // namespace

bool avx512f_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported;
}

CHARNN_AVX512 void gemm_avx512(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                               bool accumulate) {
  const size_t lda = static_cast<size_t>(bf16_row_stride(K)), panel = lda * kPanel;
  const int pairs = (K + 1) / 2;
  const auto panel_at = [&](int n0) { return packed + static_cast<size_t>(n0 / kPanel) * panel; };
  if (M == 1) {
    int n0 = 0;
    for (; n0 + kRowPanels * kPanel <= N; n0 += kRowPanels * kPanel) {
      row_tile<kRowPanels>(C + n0, A, panel_at(n0), panel, pairs, kRowPanels * kPanel, accumulate);
    }
    if (n0 < N) last_row_tile<kRowPanels>(panels_of(N - n0), C + n0, A, panel_at(n0), panel, pairs, N - n0, accumulate);
    return;
  }
  // Blocks of rows outer, column blocks, then row tiles: a block's widened
  // rows and a column block's panels stay in cache while every tile of the
  // block passes over them.
  const size_t wide = 2 * static_cast<size_t>(pairs);
  std::vector<float> widened(static_cast<size_t>(std::min(M, kRowBlock)) * wide);
  for (int b0 = 0; b0 < M; b0 += kRowBlock) {
    const int rows = std::min(kRowBlock, M - b0);
    widen_rows(widened.data(), A + b0 * lda, lda, rows, wide);
    float* c = C + b0 * ldc;
    int n0 = 0;
    for (; n0 + kPanels * kPanel <= N; n0 += kPanels * kPanel) {
      column_block<kPanels>(c + n0, ldc, widened.data(), wide, panel_at(n0), panel, rows, pairs, kPanels * kPanel,
                            accumulate);
    }
    if (n0 < N) {
      last_column_block<kPanels>(panels_of(N - n0), c + n0, ldc, widened.data(), wide, panel_at(n0), panel, rows,
                                 pairs, N - n0, accumulate);
    }
  }
}

}  // namespace charnn::bf16_kernels

#else  // not x86-64: never supported, so never called

namespace charnn::bf16_kernels {

bool avx512f_supported() { return false; }

void gemm_avx512(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                 bool accumulate) {
  bf16_gemm_portable(C, ldc, A, packed, M, N, K, accumulate);
}

}  // namespace charnn::bf16_kernels

#endif  // __x86_64__
