// Rows of 16 f32 sums held in AVX2 registers, shared by the AVX2 kernels
// (packed_gemm_avx2.cpp, bf16_gemm_avx2.cpp). The functions carry the
// avx2,fma target: call them only from functions built for it.
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstddef>

#define CHARNN_AVX2 __attribute__((target("avx2,fma")))
#define CHARNN_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

namespace charnn::avx2 {

// Lanes [0, lanes) of a vector of 8, as maskload and maskstore take them.
CHARNN_AVX2 inline __m256i lanes_below(int lanes) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// A tile's sums as a chain of structs, two vectors (16 columns) per row. GCC
// 12 keeps an array of vectors in memory and stores all of it on every step
// of the k loop (a store per multiply-add, which halves the speed on cores
// with one store port); struct members it keeps in registers.
template <int R>
struct SumRows {
  __m256 lo, hi;
  SumRows<R - 1> next;
};
template <>
struct SumRows<0> {};

// A row's 16 columns of C, `width` of them real: full ones take plain moves,
// a panel's edge is masked (on AMD Zen a masked store is microcoded and costs
// about as much as a chunk's worth of multiply-adds on its row).
struct Columns {
  bool full;
  __m256i m0, m1;
};

CHARNN_AVX2 inline Columns columns(int width) { return {width >= 16, lanes_below(width), lanes_below(width - 8)}; }

// Rows `step` floats apart.
template <int R>
CHARNN_AVX2_INLINE void load_rows(SumRows<R>& s, const float* C, size_t step, const Columns& cols) {
  if constexpr (R > 0) {
    s.lo = cols.full ? _mm256_loadu_ps(C) : _mm256_maskload_ps(C, cols.m0);
    s.hi = cols.full ? _mm256_loadu_ps(C + 8) : _mm256_maskload_ps(C + 8, cols.m1);
    load_rows(s.next, C + step, step, cols);
  }
}

template <int R>
CHARNN_AVX2_INLINE void zero_rows(SumRows<R>& s) {
  if constexpr (R > 0) {
    s.lo = s.hi = _mm256_setzero_ps();
    zero_rows(s.next);
  }
}

// Each row's sums += its value of A (rows `step` floats apart) times the 16
// columns lo, hi: one FMA chain per element.
template <int R>
CHARNN_AVX2_INLINE void multiply_add_rows(SumRows<R>& s, const float* a, size_t step, __m256 lo, __m256 hi) {
  if constexpr (R > 0) {
    const __m256 x = _mm256_broadcast_ss(a);
    s.lo = _mm256_fmadd_ps(x, lo, s.lo);
    s.hi = _mm256_fmadd_ps(x, hi, s.hi);
    multiply_add_rows(s.next, a + step, step, lo, hi);
  }
}

template <int R>
CHARNN_AVX2_INLINE void store_rows(const SumRows<R>& s, float* C, size_t step, const Columns& cols) {
  if constexpr (R > 0) {
    if (cols.full) {
      _mm256_storeu_ps(C, s.lo);
      _mm256_storeu_ps(C + 8, s.hi);
    } else {
      _mm256_maskstore_ps(C, cols.m0, s.lo);
      _mm256_maskstore_ps(C + 8, cols.m1, s.hi);
    }
    store_rows(s.next, C + step, step, cols);
  }
}

}  // namespace charnn::avx2

#endif  // __x86_64__
