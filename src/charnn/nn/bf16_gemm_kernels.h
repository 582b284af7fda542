// The per-instruction-set kernels behind bf16_gemm (bf16_gemm.h), for its
// dispatcher and for tests that run each kernel the CPU has. Not part of the
// library's interface otherwise. Layouts and legend as in bf16_gemm.h.
#pragma once

#include <cstddef>

#include "charnn/nn/bf16_gemm.h"

namespace charnn::bf16_kernels {

// AVX512-BF16 (vdpbf16ps): Cooper Lake, AMD Zen 4 and 5, and machines whose
// hypervisor hides AMX. Whether this CPU and OS run it.
bool avx512_bf16_supported();
void gemm_avx512_bf16(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                      bool accumulate);

// AVX-512F, widening bf16 to f32 (Intel CPUs without AMX: about 1.7 times
// vdpbf16ps's rate there; Ice Lake and Tiger Lake laptops, which lack
// AVX512-BF16). The same bits as the AVX2 kernel.
bool avx512f_supported();
void gemm_avx512(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                 bool accumulate);

// AVX2 + FMA, widening bf16 to f32 (most laptops and desktops: no AVX-512).
bool avx2_fma_supported();
void gemm_avx2(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K, bool accumulate);

}  // namespace charnn::bf16_kernels
