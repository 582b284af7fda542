// The vectorisable activations (activations.h) against std::exp and std::tanh
// in double over a dense range including the saturated tails, and the fused
// cell kernels (lstm_cell.h) against plain double formulas at widths below, at
// and above the 8- and 16-float vector widths (the remainder loops included).
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/activations.h"
#include "charnn/nn/lstm_cell.h"
#include "charnn/rng.h"

namespace charnn {
namespace {

// Float rounding alone is 6e-8 relative; the polynomials add below 1e-8 and
// each of exp's and the division's roundings another ulp, measured at 2e-7 at
// most. 1e-6 relative leaves headroom; 1e-37 absolute covers sigmoid below
// x = -87, where the clamped exponent returns about 6e-39 for a value that
// underflows (no LSTM quantity distinguishes the two).
constexpr double kRelative = 1e-6;
constexpr double kAbsolute = 1e-37;

std::vector<float> dense_inputs() {
  std::vector<float> xs;
  for (int i = -900000; i <= 900000; ++i) xs.push_back(static_cast<float>(i) * 1e-4f);  // [-90, 90]
  for (float x = 1e-30f; x < 1.0f; x *= 1.05f) {  // tiny magnitudes, where tanh must stay relative
    xs.push_back(x);
    xs.push_back(-x);
  }
  for (float x : {0.0f, -0.0f, 1e30f, -1e30f, 3.0e38f, -3.0e38f}) xs.push_back(x);
  return xs;
}

TEST(Activations, FastSigmoidMatchesTheExactValueAcrossTheRange) {
  for (float x : dense_inputs()) {
    const double expected = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    const float actual = fast_sigmoid(x);
    ASSERT_FALSE(std::isnan(actual)) << "sigmoid(" << x << ")";
    ASSERT_NEAR(actual, expected, kAbsolute + kRelative * expected) << fmt::format("sigmoid({})", x);
  }
}

TEST(Activations, FastTanhMatchesTheExactValueAcrossTheRange) {
  for (float x : dense_inputs()) {
    const double expected = std::tanh(static_cast<double>(x));
    const float actual = fast_tanh(x);
    ASSERT_FALSE(std::isnan(actual)) << "tanh(" << x << ")";
    ASSERT_NEAR(actual, expected, kAbsolute + kRelative * std::abs(expected)) << fmt::format("tanh({})", x);
  }
  EXPECT_EQ(fast_tanh(90.0f), 1.0f);
  EXPECT_EQ(fast_tanh(-90.0f), -1.0f);
}

TEST(Activations, FastExpMatchesTheExactValueInsideItsRange) {
  for (float x : dense_inputs()) {
    if (!(x >= -87.0f && x <= 88.0f)) continue;  // clamped outside, by contract
    const double expected = std::exp(static_cast<double>(x));
    ASSERT_NEAR(fast_exp(x), expected, kRelative * expected) << fmt::format("exp({})", x);
  }
  EXPECT_GT(fast_exp(-1000.0f), 0.0f);
  EXPECT_TRUE(std::isfinite(fast_exp(1000.0f)));
}

TEST(Activations, NanStaysNan) {
  EXPECT_TRUE(std::isnan(fast_sigmoid(NAN)));
  EXPECT_TRUE(std::isnan(fast_tanh(NAN)));
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Widths around the 8- and 16-float vectors, so both the vector body and the
// scalar remainder of every clone are exercised.
class CellKernels : public ::testing::TestWithParam<int> {};

TEST_P(CellKernels, ForwardBackwardAndStepMatchDoubleFormulas) {
  const int H = GetParam(), B = 3, G = 4 * H;
  Rng rng(static_cast<uint64_t>(H));
  auto fill = [&](size_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v) x = scale * (2.0f * rng.uniform_float() - 1.0f);
    return v;
  };
  const std::vector<float> pre = fill(static_cast<size_t>(B) * G, 6.0f), b_ih = fill(G, 1.0f), b_hh = fill(G, 1.0f);
  const std::vector<float> c_prev = fill(static_cast<size_t>(B) * H, 2.0f), dh = fill(static_cast<size_t>(B) * H, 1.0f);
  const std::vector<float> dc_in = fill(static_cast<size_t>(B) * H, 1.0f);
  std::vector<float> gates = pre, c(static_cast<size_t>(B) * H), h(c.size()), tc(c.size());
  lstm_cell_forward(gates.data(), c.data(), h.data(), tc.data(), c_prev.data(), b_ih.data(), b_hh.data(), B, H);
  std::vector<float> dgates(gates.size()), dc = dc_in;
  lstm_cell_backward(dgates.data(), dc.data(), dh.data(), gates.data(), c_prev.data(), tc.data(), B, H);
  std::vector<float> step_c = c_prev, step_h(c.size()), scratch = pre;
  lstm_cell_step(step_c.data(), step_h.data(), scratch.data(), b_ih.data(), b_hh.data(), B, H);

  // Each quantity is a handful of roundings of values of order 1 (times the
  // 1e-6 of the activations): 1e-5 absolute is far below an index error.
  constexpr double kTolerance = 1e-5;
  for (int b = 0; b < B; ++b) {
    for (int j = 0; j < H; ++j) {
      auto z = [&](int gate) {
        const size_t r = static_cast<size_t>(gate) * H + j;
        return static_cast<double>(pre[static_cast<size_t>(b) * G + r]) + b_ih[r] + b_hh[r];
      };
      const double i = sigmoid(z(0)), f = sigmoid(z(1)), g = std::tanh(z(2)), o = sigmoid(z(3));
      const size_t at = static_cast<size_t>(b) * H + j;
      const double cn = f * c_prev[at] + i * g, t = std::tanh(cn);
      const std::string where = fmt::format("H {} row {} unit {}", H, b, j);
      ASSERT_NEAR(gates[static_cast<size_t>(b) * G + 2 * H + j], g, kTolerance) << "g gate " << where;
      ASSERT_NEAR(c[at], cn, kTolerance) << "c " << where;
      ASSERT_NEAR(h[at], o * t, kTolerance) << "h " << where;
      ASSERT_NEAR(step_c[at], cn, kTolerance) << "step c " << where;
      ASSERT_NEAR(step_h[at], o * t, kTolerance) << "step h " << where;
      const double dcj = dc_in[at] + dh[at] * o * (1 - t * t);
      ASSERT_NEAR(dgates[static_cast<size_t>(b) * G + j], dcj * g * i * (1 - i), kTolerance) << "di " << where;
      ASSERT_NEAR(dgates[static_cast<size_t>(b) * G + 3 * H + j], dh[at] * t * o * (1 - o), kTolerance)
          << "do " << where;
      ASSERT_NEAR(dc[at], dcj * f, kTolerance) << "dc " << where;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AroundVectorWidths, CellKernels, ::testing::Values(1, 7, 8, 9, 15, 16, 17, 31, 33, 250),
                         [](const auto& param_info) { return fmt::format("H{}", param_info.param); });

}  // namespace
}  // namespace charnn
