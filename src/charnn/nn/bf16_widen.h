// Rows of bf16 widened to f32, for the bf16 kernels that multiply in f32
// (bf16_gemm_avx2.cpp, bf16_gemm_avx512.cpp): a bf16 is the top half of its
// f32. Always inlined, so the loop vectorises with each kernel's own
// instruction set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "charnn/nn/bf16_gemm.h"

namespace charnn::bf16_kernels {

// Rows [0, M) of A, values [0, width) of each, widened into `wide` (rows of
// `width`).
__attribute__((always_inline)) inline void widen_rows(float* wide, const BFloat16* a, size_t lda, int M,
                                                      size_t width) {
  for (int m = 0; m < M; ++m) {
    const BFloat16* row = a + m * lda;
    float* out = wide + m * width;
    for (size_t k = 0; k < width; ++k) {
      const uint32_t bits = static_cast<uint32_t>(row[k]) << 16;
      std::memcpy(out + k, &bits, sizeof bits);
    }
  }
}

}  // namespace charnn::bf16_kernels
