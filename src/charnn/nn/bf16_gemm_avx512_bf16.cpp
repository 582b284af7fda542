// The AVX512-BF16 kernel of bf16_gemm; see bf16_gemm_kernels.h. One vdpbf16ps
// multiplies 16 column pairs (P(2r, n), P(2r+1, n)) by one broadcast pair of A
// and adds both products to 16 sums: a packed panel's pair row (bf16_gemm.h)
// is exactly its right operand, so the kernel reads the panels as packed for
// AMX. A tile of up to kRows rows by kPanels panels keeps its sums in
// registers over the whole depth. Built with -O3 (CMakeLists.txt) so the
// fixed-size loops unroll; the target attribute lets one binary carry it.
#include "charnn/nn/bf16_gemm_kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace charnn::bf16_kernels {

namespace {

constexpr int kPanel = kBf16Panel;
constexpr int kRows = 8;    // rows of A per tile: 8 x 3 sums, 3 panels, 1 broadcast in 28 registers
constexpr int kPanels = 3;  // panels per tile
constexpr int kRowPanels = 8;  // one row (a sampling stream): 8 independent sums hide the latency

uint32_t pair_at(const BFloat16* a) {
  uint32_t pair;
  std::memcpy(&pair, a, sizeof pair);
  return pair;
}

// MR rows of C by NP panels of columns, `width` of them real (at most
// NP * 16). Pairs past K are zero in A and in P, so they add nothing.
template <int MR, int NP>
__attribute__((target("avx512f,avx512bf16"))) void tile(float* C, size_t ldc, const BFloat16* A, size_t lda,
                                                         const BFloat16* P, size_t panel, int pairs, int width,
                                                         bool accumulate) {
  __mmask16 mask[NP];
  for (int p = 0; p < NP; ++p) {
    const int lanes = std::clamp(width - kPanel * p, 0, kPanel);
    mask[p] = static_cast<__mmask16>((1u << lanes) - 1u);
  }
  __m512 acc[MR][NP];
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) {
      acc[r][p] = accumulate ? _mm512_maskz_loadu_ps(mask[p], C + r * ldc + kPanel * p) : _mm512_setzero_ps();
    }
  }
  for (int k = 0; k < pairs; ++k) {
    __m512bh b[NP];
    for (int p = 0; p < NP; ++p) {
      b[p] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(P + p * panel + static_cast<size_t>(k) * 2 * kPanel));
    }
    for (int r = 0; r < MR; ++r) {
      const __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(pair_at(A + r * lda + 2 * k))));
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], a, b[p]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) _mm512_mask_storeu_ps(C + r * ldc + kPanel * p, mask[p], acc[r][p]);
  }
}

// One block of NP panels, `width` columns real, for every tile of up to MR
// rows: the block's panels stay in L2 while the tiles pass over them.
template <int MR, int NP>
__attribute__((target("avx512f,avx512bf16"))) void column_block(float* C, size_t ldc, const BFloat16* A, size_t lda,
                                                                 const BFloat16* P, size_t panel, int M, int pairs,
                                                                 int width, bool accumulate) {
  for (int m0 = 0; m0 < M; m0 += MR) {
    float* c = C + m0 * ldc;
    const BFloat16* a = A + m0 * lda;
    if constexpr (MR == 1) {
      tile<1, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate);
    } else {
      switch (std::min(MR, M - m0)) {
        case 1: tile<1, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 2: tile<2, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 3: tile<3, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 4: tile<4, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 5: tile<5, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 6: tile<6, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        case 7: tile<7, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
        default: tile<8, NP>(c, ldc, a, lda, P, panel, pairs, width, accumulate); break;
      }
    }
  }
}

// The last block, of `live` panels (1 to R), some of them partly padding: a
// tile reads only panels that exist.
template <int MR, int R>
__attribute__((target("avx512f,avx512bf16"))) void last_block(int live, float* C, size_t ldc, const BFloat16* A,
                                                               size_t lda, const BFloat16* P, size_t panel, int M,
                                                               int pairs, int width, bool accumulate) {
  if (live == R) {
    column_block<MR, R>(C, ldc, A, lda, P, panel, M, pairs, width, accumulate);
  } else if constexpr (R > 1) {
    last_block<MR, R - 1>(live, C, ldc, A, lda, P, panel, M, pairs, width, accumulate);
  }
}

// Blocks of NP panels, then one of the panels left.
template <int MR, int NP>
__attribute__((target("avx512f,avx512bf16"))) void blocks(float* C, size_t ldc, const BFloat16* A,
                                                           const BFloat16* packed, int M, int N, int K,
                                                           bool accumulate) {
  const size_t lda = static_cast<size_t>(bf16_row_stride(K)), panel = lda * kPanel;
  const int pairs = (K + 1) / 2;
  int n0 = 0;
  for (; n0 + NP * kPanel <= N; n0 += NP * kPanel) {
    column_block<MR, NP>(C + n0, ldc, A, lda, packed + static_cast<size_t>(n0 / kPanel) * panel, panel, M, pairs,
                         NP * kPanel, accumulate);
  }
  if (n0 < N) {
    const int width = N - n0;  // less than NP panels' worth, in up to NP panels
    last_block<MR, NP>((width + kPanel - 1) / kPanel, C + n0, ldc, A, lda,
                       packed + static_cast<size_t>(n0 / kPanel) * panel, panel, M, pairs, width, accumulate);
  }
}

}  // namespace

bool avx512_bf16_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
  return supported;
}

void gemm_avx512_bf16(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                      bool accumulate) {
  if (M == 1) {
    blocks<1, kRowPanels>(C, ldc, A, packed, M, N, K, accumulate);
  } else {
    blocks<kRows, kPanels>(C, ldc, A, packed, M, N, K, accumulate);
  }
}

}  // namespace charnn::bf16_kernels

#else  // not x86-64: never supported, so never called

namespace charnn::bf16_kernels {

bool avx512_bf16_supported() { return false; }

void gemm_avx512_bf16(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                      bool accumulate) {
  bf16_gemm_portable(C, ldc, A, packed, M, N, K, accumulate);
}

}  // namespace charnn::bf16_kernels

#endif  // __x86_64__
