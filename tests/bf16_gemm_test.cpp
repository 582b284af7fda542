// bf16 rounding against a brute-force nearest search, and the bf16 products
// (AMX, AVX512-BF16, AVX-512F and AVX2 where the CPU has them, and the
// portable twin)
// against a plain loop in double over the same rounded operands, at ragged
// sizes: rows below, at and above each kernel's tile, columns around the
// 16-wide panel and the kernels' panel groups, depths around the 32-value tile
// row, and split calls at panel boundaries.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/bf16_gemm_kernels.h"
#include "charnn/rng.h"

namespace charnn {
namespace {

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// The nearest of the two bf16 values around x, ties to the even one: an
// independent statement of round-to-nearest-even.
BFloat16 nearest_bf16(float x) {
  const uint32_t low = to_bits(x) & 0xFFFF0000u, high = low + 0x10000u;
  const double below = std::fabs(static_cast<double>(x) - from_bits(low));
  const double above = std::fabs(static_cast<double>(from_bits(high)) - x);
  if (below < above) return static_cast<BFloat16>(low >> 16);
  if (above < below) return static_cast<BFloat16>(high >> 16);
  return static_cast<BFloat16>(((low >> 16) & 1u) == 0 ? low >> 16 : high >> 16);
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808000u)), 0x3F80);  // tie, even below
  EXPECT_EQ(float_to_bf16(from_bits(0x3F818000u)), 0x3F82);  // tie, even above
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808001u)), 0x3F81);  // just past the tie
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up past the largest bf16
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7F800001u)))));  // a NaN whose payload is low bits
  Rng rng(5);
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns with exponents well inside the finite range.
    const uint32_t bits = (static_cast<uint32_t>(rng.next_u64()) & 0x8FFFFFFFu) | 0x20000000u;
    const float x = from_bits(bits);
    ASSERT_EQ(float_to_bf16(x), nearest_bf16(x)) << fmt::format("bits {:#010x}", bits);
  }
}

std::vector<float> random_matrix(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> m(n);
  for (float& x : m) x = rng.uniform_float() * 2.0f - 1.0f;
  return m;
}

double rounded(float x) { return bf16_to_float(float_to_bf16(x)); }

struct Case {
  int M, N, K;
};

// Every kernel sums exact products (8-bit by 8-bit significands fit a float)
// in float, each in its own order (AVX512-BF16 also flushes denormals, which
// these values never come near), so an element is off by at most about
// K * 6e-8 * (sum of |terms|, C's start included); twice that plus 1e-6 is the
// bound. A wrong index or a dropped term is off by O(0.01) or more.
double tolerance(int K, double magnitude) { return 2 * K * 6e-8 * magnitude + 1e-6; }

using Engine = void (*)(float*, size_t, const BFloat16*, const BFloat16*, int, int, int, bool);

void expect_products_match(Engine engine, const char* name, Case shape) {
  const auto [M, N, K] = shape;
  const int lda_src = K + 3, ldc = N + 5;
  const auto A_src = random_matrix(static_cast<size_t>(M) * lda_src, 1);
  const auto W = random_matrix(static_cast<size_t>(N) * (K + 2), 2);  // P(k, n) = W[n * (K+2) + k]
  const auto C0 = random_matrix(static_cast<size_t>(M) * ldc, 3);
  const size_t lda = static_cast<size_t>(bf16_row_stride(K));
  // Spare rows full of NaN: they may be read, and must never reach C.
  std::vector<BFloat16> A((static_cast<size_t>(M) + kBf16SpareRows) * lda, 0);
  convert_rows_bf16(A.data(), lda, A_src.data(), static_cast<size_t>(lda_src), M, K);
  for (size_t i = static_cast<size_t>(M) * lda; i < A.size(); ++i) A[i] = 0x7FC0;
  std::vector<BFloat16> packed(bf16_packed_size(K, N), 0xFFFF);
  pack_bf16(packed.data(), W.data(), 1, static_cast<size_t>(K + 2), K, N);
  for (int accumulate = 0; accumulate < 2; ++accumulate) {
    std::vector<float> C = C0;
    for (int m = 0; m < M && !accumulate; ++m) {
      for (int n = 0; n < N; ++n) C[static_cast<size_t>(m) * ldc + n] = std::numeric_limits<float>::quiet_NaN();
    }
    engine(C.data(), static_cast<size_t>(ldc), A.data(), packed.data(), M, N, K, accumulate != 0);
    for (int m = 0; m < M; ++m) {
      for (int c = 0; c < ldc; ++c) {
        const size_t at = static_cast<size_t>(m) * ldc + c;
        double expected = C0[at], magnitude = 0.0;
        if (c < N) {
          expected = accumulate ? static_cast<double>(C0[at]) : 0.0;
          magnitude = std::fabs(expected);
          for (int k = 0; k < K; ++k) {
            const double term =
                rounded(A_src[static_cast<size_t>(m) * lda_src + k]) * rounded(W[static_cast<size_t>(c) * (K + 2) + k]);
            expected += term;
            magnitude += std::fabs(term);
          }
        }
        ASSERT_NEAR(C[at], expected, tolerance(K, magnitude))
            << fmt::format("{}: C[{}][{}], M {} N {} K {}, accumulate {}", name, m, c, M, N, K, accumulate);
      }
    }
  }
}

class Bf16Gemm : public ::testing::TestWithParam<Case> {};

TEST_P(Bf16Gemm, MatchesAPlainLoopOverTheRoundedOperands) {
  expect_products_match(bf16_gemm, bf16_products_engine(), GetParam());
  expect_products_match(bf16_gemm_portable, "portable", GetParam());
  if (bf16_kernels::avx512_bf16_supported()) {
    expect_products_match(bf16_kernels::gemm_avx512_bf16, "avx512_bf16", GetParam());
  }
  if (bf16_kernels::avx512f_supported()) expect_products_match(bf16_kernels::gemm_avx512, "avx512", GetParam());
  if (bf16_kernels::avx2_fma_supported()) expect_products_match(bf16_kernels::gemm_avx2, "avx2", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Shapes, Bf16Gemm,
                         ::testing::Values(Case{1, 1, 1}, Case{1, 16, 32}, Case{3, 7, 5}, Case{15, 17, 31},
                                           Case{16, 16, 32}, Case{17, 33, 33}, Case{32, 32, 64}, Case{33, 48, 100},
                                           Case{50, 40, 65}, Case{32, 176, 700}, Case{64, 15, 200},
                                           Case{1, 300, 70}, Case{1, 64, 31}, Case{1, 120, 40}, Case{9, 49, 64},
                                           Case{24, 130, 33}),
                         [](const auto& param_info) {
                           const Case& c = param_info.param;
                           return fmt::format("M{}_N{}_K{}", c.M, c.N, c.K);
                         });

// Every kernel this CPU runs, with the lone-row paths (M = 1) and tiles of
// many rows, split at one panel and at three.
std::vector<std::pair<const char*, Engine>> kernels_here() {
  std::vector<std::pair<const char*, Engine>> kernels{{"dispatched", bf16_gemm}, {"portable", bf16_gemm_portable}};
  if (bf16_kernels::avx512_bf16_supported()) kernels.emplace_back("avx512_bf16", bf16_kernels::gemm_avx512_bf16);
  if (bf16_kernels::avx512f_supported()) kernels.emplace_back("avx512", bf16_kernels::gemm_avx512);
  if (bf16_kernels::avx2_fma_supported()) kernels.emplace_back("avx2", bf16_kernels::gemm_avx2);
  return kernels;
}

TEST(Bf16Gemm, SplittingColumnsAtPanelsGivesTheSameBits) {
  const int N = 300, K = 90;  // N: four groups of 64 columns and a ragged rest
  for (const int M : {1, 37}) {
    const auto A_src = random_matrix(static_cast<size_t>(M) * K, 4);
    const auto W = random_matrix(static_cast<size_t>(K) * N, 5);  // P by rows this time
    const size_t lda = static_cast<size_t>(bf16_row_stride(K));
    std::vector<BFloat16> A((static_cast<size_t>(M) + kBf16SpareRows) * lda, 0);
    convert_rows_bf16(A.data(), lda, A_src.data(), K, M, K);
    std::vector<BFloat16> packed(bf16_packed_size(K, N));
    pack_bf16(packed.data(), W.data(), N, 1, K, N);
    for (const auto& [name, engine] : kernels_here()) {
      std::vector<float> whole(static_cast<size_t>(M) * N, 0.5f);
      engine(whole.data(), N, A.data(), packed.data(), M, N, K, true);
      for (const int width : {16, 48}) {
        std::vector<float> split(static_cast<size_t>(M) * N, 0.5f);
        for (int n0 = 0; n0 < N; n0 += width) {
          const size_t panel_at = static_cast<size_t>(n0 / 16) * lda * 16;
          engine(split.data() + n0, N, A.data(), packed.data() + panel_at, M, std::min(width, N - n0), K, true);
        }
        EXPECT_EQ(whole, split) << name << ", M " << M << ", split every " << width << " columns";
      }
    }
  }
}

// The AVX-512F and AVX2 kernels both run one FMA chain per element, even k
// then odd k of each pair, from C or zero: the same bits, so a bf16 run keeps
// its bits between a laptop with AVX2 and an Intel server without AMX.
TEST(Bf16Gemm, TheWideningKernelsGiveTheSameBits) {
  if (!bf16_kernels::avx512f_supported() || !bf16_kernels::avx2_fma_supported()) {
    GTEST_SKIP() << "needs AVX-512F and AVX2";
  }
  for (const Case shape : {Case{1, 300, 90}, Case{1, 120, 41}, Case{37, 300, 90}, Case{50, 45, 700}}) {
    const auto [M, N, K] = shape;
    const auto A_src = random_matrix(static_cast<size_t>(M) * K, 7);
    const auto W = random_matrix(static_cast<size_t>(K) * N, 8);
    const size_t lda = static_cast<size_t>(bf16_row_stride(K));
    std::vector<BFloat16> A((static_cast<size_t>(M) + kBf16SpareRows) * lda, 0);
    convert_rows_bf16(A.data(), lda, A_src.data(), K, M, K);
    std::vector<BFloat16> packed(bf16_packed_size(K, N));
    pack_bf16(packed.data(), W.data(), N, 1, K, N);
    for (const bool accumulate : {false, true}) {
      std::vector<float> wide512(static_cast<size_t>(M) * N, 0.25f), wide256 = wide512;
      bf16_kernels::gemm_avx512(wide512.data(), N, A.data(), packed.data(), M, N, K, accumulate);
      bf16_kernels::gemm_avx2(wide256.data(), N, A.data(), packed.data(), M, N, K, accumulate);
      EXPECT_EQ(wide512, wide256) << fmt::format("M {} N {} K {}, accumulate {}", M, N, K, accumulate);
    }
  }
}

// The per-kernel suites (tests/CMakeLists.txt) pin each kernel: the pinned
// one must be the one in use wherever the CPU runs it, or they would test
// another kernel twice.
TEST(Bf16Gemm, APinnedKernelTheCpuRunsIsTheOneInUse) {
  const char* pinned = std::getenv("CHARNN_BF16_KERNEL");
  if (pinned == nullptr) GTEST_SKIP() << "no kernel pinned";
  const std::string name = pinned;
  const bool runs_here = name == "portable" || (name == "avx2" && bf16_kernels::avx2_fma_supported()) ||
                         (name == "avx512" && bf16_kernels::avx512f_supported()) ||
                         (name == "avx512_bf16" && bf16_kernels::avx512_bf16_supported());
  if (!runs_here) GTEST_SKIP() << name << " does not run on this CPU";
  EXPECT_EQ(bf16_products_engine(), name);
}

TEST(Bf16Gemm, TransposedConversionReadsColumnsAndZeroesThePadding) {
  const int M = 21, K = 45;
  const auto src = random_matrix(static_cast<size_t>(K) * (M + 2), 6);  // (K, M+2): A transposed
  const int stride = bf16_row_stride(K);
  // NaN everywhere first: the padding must come out zero, as a buffer reused
  // for a longer K would otherwise leave it.
  std::vector<BFloat16> A(static_cast<size_t>(M) * stride, 0x7FC0);
  convert_transposed_bf16(A.data(), src.data(), static_cast<size_t>(M + 2), M, K);
  for (int m = 0; m < M; ++m) {
    for (int k = 0; k < stride; ++k) {
      const BFloat16 expected = k < K ? float_to_bf16(src[static_cast<size_t>(k) * (M + 2) + m]) : 0;
      ASSERT_EQ(A[static_cast<size_t>(m) * stride + k], expected) << fmt::format("A[{}][{}]", m, k);
    }
  }
}

// Both packing paths (rows of P contiguous, columns of P contiguous) against
// the layout spelled out: pair row k / 2, column n, slot k % 2, with ties and a
// NaN among the values so the vector rounding has to match float_to_bf16.
TEST(Bf16Gemm, PackingPlacesPairsOfRowsInPanels) {
  const int K = 37, N = 21;  // odd depth, a ragged second panel
  auto values = random_matrix(static_cast<size_t>(K) * N, 7);
  values[3] = from_bits(0x3F808000u);
  values[40] = from_bits(0x3F818000u);
  values[77] = std::numeric_limits<float>::quiet_NaN();
  for (int layout = 0; layout < 2; ++layout) {
    // layout 0: P(k, n) = values[k * N + n]; layout 1: P(k, n) = values[n * K + k].
    const size_t sk = layout == 0 ? N : 1, sn = layout == 0 ? 1 : K;
    std::vector<BFloat16> packed(bf16_packed_size(K, N), 0x1234);
    pack_bf16(packed.data(), values.data(), sk, sn, K, N);
    const int depth = bf16_row_stride(K);
    for (int n = 0; n < 32; ++n) {
      for (int k = 0; k < depth; ++k) {
        const size_t at = static_cast<size_t>(n / 16) * depth * 16 + static_cast<size_t>(k / 2) * 32 + (n % 16) * 2 + k % 2;
        const BFloat16 expected = k < K && n < N ? float_to_bf16(values[k * sk + n * sn]) : 0;
        ASSERT_EQ(packed[at], expected) << fmt::format("layout {}, P({}, {})", layout, k, n);
      }
    }
  }
}

}  // namespace
}  // namespace charnn
