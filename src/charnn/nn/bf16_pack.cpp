// Rounding to bf16, conversion of left operands and packing of right ones;
// see bf16_gemm.h for the layouts. Every training step packs each weight
// matrix twice and converts every activation it multiplies, so these run
// AVX-512 where the CPU has it: the same integer rounding as float_to_bf16,
// sixteen lanes at a time, so both paths give the same bits.
#include <algorithm>
#include <cstring>

#include "charnn/nn/bf16_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace charnn {

namespace {

constexpr int kPanel = kBf16Panel;

size_t at(size_t row, size_t stride, size_t col) { return row * stride + col; }

void pack_portable(BFloat16* out, const float* src, size_t sk, size_t sn, int K, int width) {
  for (int n = 0; n < width; ++n) {
    const float* column = src + static_cast<size_t>(n) * sn;
    for (int k = 0; k < K; ++k) out[at(k / 2, 2 * kPanel, 2 * n + k % 2)] = float_to_bf16(column[k * sk]);
  }
}

#if defined(__x86_64__)

bool have_avx512() {
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return have;
}

// x >> 16 on each 32-bit lane. Here and below the masked forms, because
// GCC 12 warns about the undefined register inside the plain ones.
__attribute__((target("avx512f"))) __m512i shift_right_16(__m512i x) {
  return _mm512_maskz_srli_epi32(static_cast<__mmask16>(0xFFFF), x, 16);
}

// float_to_bf16 on 16 lanes: each lane's bf16 ends up in its high half.
__attribute__((target("avx512f,avx512bw"))) __m512i round_high(__m512 x) {
  const __m512i bits = _mm512_castps_si512(x);
  const __m512i even = _mm512_and_si512(shift_right_16(bits), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), even));
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF)),
                                                _mm512_set1_epi32(0x7F800000));
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(bits, _mm512_set1_epi32(0x00400000)));
}

// The 16 bf16 values round_high left, in lane order.
__attribute__((target("avx512f,avx512bw"))) __m256i narrow(__m512i high) {
  return _mm512_maskz_cvtepi32_epi16(static_cast<__mmask16>(0xFFFF), shift_right_16(high));
}

// Two lanes' bf16 as one 32-bit pair: low from `first`, high from `second`.
__attribute__((target("avx512f,avx512bw"))) __m512i pair_words(__m512i first, __m512i second) {
  return _mm512_or_si512(shift_right_16(first), _mm512_and_si512(second, _mm512_set1_epi32(-65536)));
}

__attribute__((target("avx512f,avx512bw"))) void convert_row_avx512(BFloat16* dst, const float* src, int K) {
  int k = 0;
  for (; k < K; k += 16) {
    const __mmask16 mask = K - k >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (K - k)) - 1u);
    const __m512i high = round_high(_mm512_maskz_loadu_ps(mask, src + k));
    _mm512_mask_cvtepi32_storeu_epi16(dst + k, mask, shift_right_16(high));
  }
}

// P rows contiguous in src (sn == 1): a panel row is pair row r of 16 columns,
// source rows 2r and 2r + 1 side by side.
__attribute__((target("avx512f,avx512bw"))) void pack_rows_avx512(BFloat16* out, const float* src, size_t sk, int K,
                                                                  int width) {
  const __mmask16 mask = width >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << width) - 1u);
  for (int k = 0; k < K; k += 2) {
    const __m512i first = round_high(_mm512_maskz_loadu_ps(mask, src + at(k, sk, 0)));
    const __m512i second = k + 1 < K ? round_high(_mm512_maskz_loadu_ps(mask, src + at(k + 1, sk, 0)))
                                     : _mm512_setzero_si512();
    _mm512_storeu_si512(out + at(k / 2, 2 * kPanel, 0), pair_words(first, second));
  }
}

// P columns contiguous in src (sk == 1): each column's pair (2r, 2r + 1) is
// 8 adjacent bytes; a panel row gathers them from 16 columns.
__attribute__((target("avx512f,avx512bw"))) void pack_columns_avx512(BFloat16* out, const float* src, size_t sn,
                                                                     int K, int width) {
  alignas(64) long long offsets[kPanel];
  for (int n = 0; n < kPanel; ++n) offsets[n] = static_cast<long long>(std::min(n, width - 1) * sn * sizeof(float));
  const __m512i low_columns = _mm512_load_si512(offsets), high_columns = _mm512_load_si512(offsets + 8);
  const __mmask8 low_mask = static_cast<__mmask8>(width >= 8 ? 0xFF : (1u << width) - 1u);
  const __mmask8 high_mask = static_cast<__mmask8>(width >= 16 ? 0xFF : width > 8 ? (1u << (width - 8)) - 1u : 0u);
  const int whole_pairs = K / 2;
  for (int r = 0; r < whole_pairs; ++r) {
    const float* base = src + 2 * r;
    const __m512i low = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), low_mask, low_columns, base, 1);
    const __m512i high = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), high_mask, high_columns, base, 1);
    // Each 64-bit lane holds (P(2r, n), P(2r+1, n)); their bf16 halves in
    // order are the pair word of column n.
    const __m256i words_low = narrow(round_high(_mm512_castsi512_ps(low)));
    const __m256i words_high = narrow(round_high(_mm512_castsi512_ps(high)));
    BFloat16* row = out + at(r, 2 * kPanel, 0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(row), words_low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + kPanel), words_high);
  }
  if (K % 2 == 1) {
    for (int n = 0; n < width; ++n) out[at(whole_pairs, 2 * kPanel, 2 * n)] = float_to_bf16(src[at(n, sn, K - 1)]);
  }
}

// dst(m, k) = src[k * lds + m] for a pair of k at a time: 16 values of m from
// each source row, written as 32-bit pairs 16 destination rows apart.
__attribute__((target("avx512f,avx512bw"))) void convert_transposed_avx512(BFloat16* dst, size_t ldd, const float* src,
                                                                           size_t lds, int M, int K) {
  // Offsets of 16 destination rows, in bf16 values (scale 2 below).
  const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                          _mm512_set1_epi32(static_cast<int>(ldd)));
  const int whole_pairs = K / 2;
  for (int m0 = 0; m0 < M; m0 += 16) {
    const __mmask16 mask =
        M - m0 >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (M - m0)) - 1u);
    for (int r = 0; r < whole_pairs; ++r) {
      const __m512i first = round_high(_mm512_maskz_loadu_ps(mask, src + at(2 * r, lds, m0)));
      const __m512i second = round_high(_mm512_maskz_loadu_ps(mask, src + at(2 * r + 1, lds, m0)));
      _mm512_mask_i32scatter_epi32(dst + at(m0, ldd, 2 * r), mask, rows, pair_words(first, second), 2);
    }
    if (K % 2 == 1) {
      for (int m = m0; m < std::min(M, m0 + 16); ++m) dst[at(m, ldd, K - 1)] = float_to_bf16(src[at(K - 1, lds, m)]);
    }
  }
}

#endif

}  // namespace

int bf16_row_stride(int K) { return (K + kBf16Depth - 1) / kBf16Depth * kBf16Depth; }

size_t bf16_packed_size(int K, int N) {
  return static_cast<size_t>(bf16_row_stride(K)) * static_cast<size_t>((N + kPanel - 1) / kPanel * kPanel);
}

BFloat16 float_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<BFloat16>((bits >> 16) | 0x40u);  // quiet NaN
  // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even.
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<BFloat16>(bits >> 16);
}

float bf16_to_float(BFloat16 x) {
  const uint32_t bits = static_cast<uint32_t>(x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void convert_rows_bf16(BFloat16* dst, size_t ldd, const float* src, size_t lds, int M, int K) {
  for (int m = 0; m < M; ++m) {
    const float* s = src + at(m, lds, 0);
    BFloat16* d = dst + at(m, ldd, 0);
#if defined(__x86_64__)
    if (have_avx512()) {
      convert_row_avx512(d, s, K);
      continue;
    }
#endif
    for (int k = 0; k < K; ++k) d[k] = float_to_bf16(s[k]);
  }
}

void convert_transposed_bf16(BFloat16* dst, const float* src, size_t lds, int M, int K) {
  const size_t ldd = static_cast<size_t>(bf16_row_stride(K));
  // The stride follows K, which changes with the batch: clear the padding a
  // larger K may have left, since the tiles multiply it too.
  for (int m = 0; m < M; ++m) std::fill(dst + at(m, ldd, K), dst + at(m + 1, ldd, 0), BFloat16{0});
#if defined(__x86_64__)
  if (have_avx512()) {
    convert_transposed_avx512(dst, ldd, src, lds, M, K);
    return;
  }
#endif
  // Blocks of 16 x 16 so both the reads and the writes stay within a few lines.
  for (int m0 = 0; m0 < M; m0 += kPanel) {
    const int m1 = std::min(M, m0 + kPanel);
    for (int k0 = 0; k0 < K; k0 += kPanel) {
      const int k1 = std::min(K, k0 + kPanel);
      for (int m = m0; m < m1; ++m) {
        for (int k = k0; k < k1; ++k) dst[at(m, ldd, k)] = float_to_bf16(src[at(k, lds, m)]);
      }
    }
  }
}

void pack_bf16(BFloat16* packed, const float* src, size_t sk, size_t sn, int K, int N) {
  const size_t panel = static_cast<size_t>(bf16_row_stride(K)) * kPanel;
  for (int n0 = 0; n0 < N; n0 += kPanel) {
    BFloat16* out = packed + static_cast<size_t>(n0 / kPanel) * panel;
    const float* columns = src + static_cast<size_t>(n0) * sn;
    const int width = std::min(kPanel, N - n0);
#if defined(__x86_64__)
    // The vector paths write every pair row of the first K / 2 whole, padding
    // columns included; only the rows after them need zeros first.
    if (have_avx512() && (sn == 1 || sk == 1)) {
      const size_t whole_rows = static_cast<size_t>(K / 2) * 2 * kPanel;
      std::memset(out + whole_rows, 0, sizeof(BFloat16) * (panel - whole_rows));
      if (sn == 1) {
        pack_rows_avx512(out, columns, sk, K, width);
      } else {
        pack_columns_avx512(out, columns, sn, K, width);
      }
      continue;
    }
#endif
    std::memset(out, 0, sizeof(BFloat16) * panel);
    pack_portable(out, columns, sk, sn, K, width);
  }
}

}  // namespace charnn
