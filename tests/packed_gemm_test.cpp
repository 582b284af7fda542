// The packed small-M product against a plain triple loop in double, at ragged
// sizes: rows below, at and above the register tiles (6 rows for AVX2, 8 for
// AVX-512), columns below, at and above the 8-, 16- and 32-float widths, and
// split calls at panel boundaries; each on every kernel set this CPU has.
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/packed_gemm.h"
#include "charnn/rng.h"

namespace charnn {
namespace {

std::vector<float> random_matrix(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> m(n);
  for (float& x : m) x = rng.uniform_float() * 2.0f - 1.0f;
  return m;
}

// Sums of K <= 200 products of numbers in [-1, 1] carry float error below
// K * 6e-8 * max|term| ~ 1.2e-5 in the worst case; 1e-4 absolute leaves
// headroom, while a wrong index or dropped term shows up as O(0.1) or more.
constexpr double kTolerance = 1e-4;

struct Case {
  int M, N, K;
};

class PackedGemm : public ::testing::TestWithParam<Case> {};

std::vector<GemmKernels> kernel_sets_here() {
  std::vector<GemmKernels> sets;
  for (GemmKernels k : {GemmKernels::portable, GemmKernels::avx2, GemmKernels::avx512}) {
    if (gemm_kernels_supported(k)) sets.push_back(k);
  }
  return sets;
}

TEST_P(PackedGemm, TransposedAndRowPackingsMatchAPlainLoop) {
  const auto [M, N, K] = GetParam();
  const int lda = K + 3, ldc = N + 5;  // strides wider than the rows, as in the LSTM
  const auto A = random_matrix(static_cast<size_t>(M) * lda, 1);
  const auto W_t = random_matrix(static_cast<size_t>(N) * (K + 2), 2);  // (N, K+2): P transposed
  const auto W_r = random_matrix(static_cast<size_t>(K) * (N + 1), 3);  // (K, N+1): P by rows
  const auto C0 = random_matrix(static_cast<size_t>(M) * ldc, 4);
  std::vector<float> packed(packed_floats(K, N), -7.0f);
  for (int layout = 0; layout < 2; ++layout) {
    if (layout == 0) pack_transposed(packed.data(), W_t.data(), K + 2, K, N);
    if (layout == 1) pack_rows(packed.data(), W_r.data(), N + 1, K, N);
    for (GemmKernels kernels : kernel_sets_here()) {
      std::vector<float> C = C0;
      packed_gemm_on(kernels, C.data(), ldc, A.data(), lda, packed.data(), M, N, K);
      for (int m = 0; m < M; ++m) {
        for (int c = 0; c < ldc; ++c) {
          const size_t at = static_cast<size_t>(m) * ldc + c;
          double expected = C0[at];
          if (c < N) {
            for (int k = 0; k < K; ++k) {
              const double p =
                  layout == 0 ? W_t[static_cast<size_t>(c) * (K + 2) + k] : W_r[static_cast<size_t>(k) * (N + 1) + c];
              expected += static_cast<double>(A[static_cast<size_t>(m) * lda + k]) * p;
            }
          }
          ASSERT_NEAR(C[at], expected, kTolerance)
              << fmt::format("C[{}][{}] ({}, {} kernels), M {} N {} K {}", m, c, layout == 0 ? "transposed" : "rows",
                             gemm_kernels_name(kernels), M, N, K);
        }
      }
    }
  }
}

TEST_P(PackedGemm, SplittingColumnsAtPanelBoundariesGivesTheSameBits) {
  const auto [M, N, K] = GetParam();
  if (N <= 32) GTEST_SKIP() << "one panel";
  const auto A = random_matrix(static_cast<size_t>(M) * K, 5);
  const auto W = random_matrix(static_cast<size_t>(N) * K, 6);
  std::vector<float> whole(static_cast<size_t>(M) * N, 0.5f), split = whole;
  std::vector<float> packed(packed_floats(K, N));
  pack_transposed(packed.data(), W.data(), K, K, N);
  for (GemmKernels kernels : kernel_sets_here()) {
    std::fill(whole.begin(), whole.end(), 0.5f);
    std::fill(split.begin(), split.end(), 0.5f);
    packed_gemm_on(kernels, whole.data(), N, A.data(), K, packed.data(), M, N, K);
    packed_gemm_on(kernels, split.data(), N, A.data(), K, packed.data(), M, 32, K);
    packed_gemm_on(kernels, split.data() + 32, N, A.data(), K, packed.data() + packed_floats(K, 32), M, N - 32, K);
    for (size_t i = 0; i < whole.size(); ++i) {
      ASSERT_EQ(whole[i], split[i]) << "element " << i << ", " << gemm_kernels_name(kernels) << " kernels";
    }
  }
}

TEST_P(PackedGemm, OneRowAloneGivesTheBitsItGetsInATile) {
  // A single stream (M = 1) takes its own multi-panel path; its sums must be
  // the ones the same row gets inside a batch, so sampling one stream or many
  // draws from identical logits.
  const auto [M, N, K] = GetParam();
  const auto A = random_matrix(static_cast<size_t>(M) * K, 7);
  const auto W = random_matrix(static_cast<size_t>(N) * K, 8);
  std::vector<float> packed(packed_floats(K, N));
  pack_transposed(packed.data(), W.data(), K, K, N);
  for (GemmKernels kernels : kernel_sets_here()) {
    std::vector<float> batch(static_cast<size_t>(M) * N, 0.25f);
    packed_gemm_on(kernels, batch.data(), N, A.data(), K, packed.data(), M, N, K);
    for (int m = 0; m < M; ++m) {
      std::vector<float> alone(static_cast<size_t>(N), 0.25f);
      packed_gemm_on(kernels, alone.data(), N, A.data() + static_cast<size_t>(m) * K, K, packed.data(), 1, N, K);
      for (int n = 0; n < N; ++n) {
        ASSERT_EQ(alone[static_cast<size_t>(n)], batch[static_cast<size_t>(m) * N + n])
            << m << "," << n << ", " << gemm_kernels_name(kernels) << " kernels";
      }
    }
  }
}

TEST_P(PackedGemm, TransposedAGivesTheBitsOfTheRowMajorProduct) {
  // The weight gradient reads dgates in place as A's transpose; each element
  // is the same chain of multiply-adds as with A stored by rows, so the bits
  // match, and the plain loop in double checks the rows path already.
  const auto [M, N, K] = GetParam();
  const int lda = K + 2, lda_t = M + 3, ldc = N + 1;
  const auto A = random_matrix(static_cast<size_t>(M) * lda, 12);
  std::vector<float> A_t(static_cast<size_t>(K) * lda_t, 99.0f);  // padding columns must never be read into C
  for (int m = 0; m < M; ++m) {
    for (int k = 0; k < K; ++k) A_t[static_cast<size_t>(k) * lda_t + m] = A[static_cast<size_t>(m) * lda + k];
  }
  const auto W = random_matrix(static_cast<size_t>(K) * N, 13);
  std::vector<float> packed(packed_floats(K, N));
  pack_rows(packed.data(), W.data(), N, K, N);
  const auto C0 = random_matrix(static_cast<size_t>(M) * ldc, 14);
  for (GemmKernels kernels : kernel_sets_here()) {
    std::vector<float> by_rows = C0, transposed = C0;
    packed_gemm_on(kernels, by_rows.data(), ldc, A.data(), lda, packed.data(), M, N, K);
    packed_gemm_transposed_a_on(kernels, transposed.data(), ldc, A_t.data(), lda_t, packed.data(), M, N, K);
    for (size_t i = 0; i < by_rows.size(); ++i) {
      ASSERT_EQ(by_rows[i], transposed[i]) << "element " << i << ", " << gemm_kernels_name(kernels) << " kernels";
    }
  }
}

TEST_P(PackedGemm, Avx2AndAvx512KernelsGiveTheSameBits) {
  // Both compute each element as one FMA chain in k order, so a run moved
  // between CPUs with either instruction set gets the same sums.
  if (!gemm_kernels_supported(GemmKernels::avx2) || !gemm_kernels_supported(GemmKernels::avx512)) {
    GTEST_SKIP() << "this CPU lacks AVX2+FMA or AVX-512";
  }
  const auto [M, N, K] = GetParam();
  const int lda = K + 1, ldc = N + 3;
  const auto A = random_matrix(static_cast<size_t>(M) * lda, 9);
  const auto W = random_matrix(static_cast<size_t>(N) * K, 10);
  std::vector<float> packed(packed_floats(K, N));
  pack_transposed(packed.data(), W.data(), K, K, N);
  std::vector<float> wide = random_matrix(static_cast<size_t>(M) * ldc, 11), narrow = wide;
  packed_gemm_on(GemmKernels::avx512, wide.data(), ldc, A.data(), lda, packed.data(), M, N, K);
  packed_gemm_on(GemmKernels::avx2, narrow.data(), ldc, A.data(), lda, packed.data(), M, N, K);
  for (size_t i = 0; i < wide.size(); ++i) ASSERT_EQ(wide[i], narrow[i]) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(RaggedSizes, PackedGemm,
                         ::testing::Values(Case{1, 1, 1}, Case{1, 15, 7}, Case{2, 16, 3}, Case{3, 17, 16},
                                           Case{5, 31, 17}, Case{7, 32, 33}, Case{8, 33, 64}, Case{9, 47, 5},
                                           Case{16, 48, 100}, Case{17, 64, 1}, Case{32, 65, 200}, Case{33, 100, 31},
                                           Case{1, 128, 7}, Case{1, 161, 33}, Case{3, 300, 50}, Case{1, 1000, 250},
                                           Case{1, 60, 9}, Case{2, 60, 9}, Case{3, 120, 40}, Case{2, 50, 3},
                                           Case{4, 1000, 250}, Case{6, 24, 130}, Case{13, 95, 129}, Case{1, 95, 20},
                                           Case{1, 8, 3}, Case{12, 9, 2}, Case{1, 200, 5}, Case{100, 40, 150}, Case{250, 70, 33}, Case{0, 40, 5},
                                           Case{5, 40, 0}),
                         [](const auto& param_info) {
                           const Case& c = param_info.param;
                           return fmt::format("M{}_N{}_K{}", c.M, c.N, c.K);
                         });

}  // namespace
}  // namespace charnn
