// Products for --precision bf16: both operands rounded to bfloat16 (the top
// half of an f32, round to nearest even), sums kept in f32. On CPUs with AMX
// the products run on its tiles, otherwise as f32 FMAs of the widened values
// (AVX-512F or AVX2) or on vdpbf16ps (AMD's AVX512-BF16); elsewhere a
// portable loop computes the same sums of the same rounded operands (not the
// same bits: each kernel adds the products in its own order, except that the
// AVX-512F and AVX2 kernels both run one FMA chain per element in k order and
// agree bit for bit). Conversion and packing live here too, because their
// layouts are the kernels' contract.
//
// Legend: C (M, N) += A (M, K) P (K, N).
// A, the left operand, is bf16 row-major with a row stride of
// bf16_row_stride(K) elements, zero beyond K. A tile reads 16 rows at a time,
// so its buffer must hold kBf16SpareRows readable rows after the last real
// one; what they contain only reaches rows of C that are never stored.
// P, the right operand, is packed once: panels of 16 columns (zero-padded
// past N), each bf16_row_stride(K) / 2 rows of 16 pairs (P(2r, n), P(2r+1, n)),
// the layout the tiles multiply (VNNI). bf16_pack.cpp converts and packs,
// bf16_gemm.cpp multiplies.
#pragma once

#include <cstddef>
#include <cstdint>

namespace charnn {

using BFloat16 = uint16_t;

constexpr int kBf16SpareRows = 15;
constexpr int kBf16Depth = 32;  // values in a tile row: 64 bytes
constexpr int kBf16Panel = 16;  // columns of a packed panel, rows of a tile

// K rounded up to a whole tile depth (32 values, 64 bytes).
int bf16_row_stride(int K);
// Elements a packed (K, N) right operand occupies.
size_t bf16_packed_size(int K, int N);

BFloat16 float_to_bf16(float x);  // round to nearest even; NaN stays NaN
float bf16_to_float(BFloat16 x);

// dst(m, k) = src[m * lds + k] for k < K, into rows of stride ldd; leaves
// dst's columns from K on as they are (zero from allocation).
void convert_rows_bf16(BFloat16* dst, size_t ldd, const float* src, size_t lds, int M, int K);
// dst(m, k) = src[k * lds + m], rows of stride bf16_row_stride(K), zero
// from K to the stride (for buffers whose K varies from call to call).
void convert_transposed_bf16(BFloat16* dst, const float* src, size_t lds, int M, int K);
// P(k, n) = src[k * sk + n * sn], packed as above.
void pack_bf16(BFloat16* packed, const float* src, size_t sk, size_t sn, int K, int N);

// C = A P, plus C's old values when accumulate. Runs on the calling thread;
// callers split N at multiples of 16 (pointing P at the panel n0 / 16). Each
// kernel computes an element of C the same way whatever M and wherever N is
// split, so a split, or a stream alone or batched, gives the same bits (not
// the same bits from kernel to kernel).
void bf16_gemm(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K, bool accumulate);
// The portable twin, always available; bf16_gemm uses it on CPUs without AVX2
// (or when CHARNN_BF16_KERNEL=portable).
void bf16_gemm_portable(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                        bool accumulate);

// Whether bf16_gemm runs on AMX tiles: the CPU has AMX-BF16, the kernel
// granted this process the tile state, and the switches below allow it.
bool bf16_uses_amx();
// The kernel bf16_gemm runs in this process, the fastest the CPU has:
// "amx"; "avx512" (bf16 widened to f32, AVX-512F FMAs: Intel without AMX);
// "avx512_bf16" (vdpbf16ps: AMD Zen 4 and 5); "avx2" (widened, AVX2 FMAs);
// "portable", a correctness loop far slower than f32. CHARNN_BF16_KERNEL=NAME
// pins that kernel, or where the CPU lacks it the next one down the ladder
// amx, avx512_bf16, avx512, avx2, portable (a missing amx: the fastest of the
// rest, as if nothing were pinned); tests pin each kernel so. CHARNN_NO_AMX=1
// allows all but AMX.
const char* bf16_products_engine();
// Whether `name` is one of those kernel names (what CHARNN_BF16_KERNEL takes).
bool bf16_kernel_name_known(const char* name);

}  // namespace charnn
