// Scalar nonlinearities for the fast kernels, written so loops over them
// vectorise: no calls into libm, no branches, only +, *, /, min, max, selects
// and bit moves. The reference twin (model_ref.h) uses std::exp and std::tanh in
// its own precision instead, so the tests compare two independent
// implementations; activations_test.cpp pins the accuracy (about 3e-7 relative).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace charnn {

// e^x. x = n ln2 + r with |r| <= ln2/2; e^r from its degree-7 Taylor polynomial
// (truncation below 1e-8 relative); 2^n written straight into the exponent
// bits. Inputs are clamped to [-87, 88] so 2^n stays a normal float: results
// saturate at about 1.6e-38 and 1.7e38 instead of reaching 0 and infinity.
inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting rounds to an integer
  const float n = (x * 1.44269504f + kRound) - kRound;
  // Cody-Waite: ln2 split so n * kLn2Hi is exact for |n| < 2^15.
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // n + 2^23 + 127 holds n + 127 in its low mantissa bits; shifted up, they are
  // the biased exponent of 2^n.
  const uint32_t biased = std::bit_cast<uint32_t>(n + 8388735.0f) << 23;
  return p * std::bit_cast<float>(biased);
}

// e^y - 1 for y <= 0 without cancellation near 0: a degree-11 Taylor
// polynomial for |y| < 0.7 (truncation below 1e-9 relative), e^y - 1 beyond,
// where |e^y - 1| > 0.5 and the subtraction loses nothing.
inline float fast_expm1_nonpositive(float y) {
  float q = 1.0f / 39916800.0f;
  q = q * y + 1.0f / 3628800.0f;
  q = q * y + 1.0f / 362880.0f;
  q = q * y + 1.0f / 40320.0f;
  q = q * y + 1.0f / 5040.0f;
  q = q * y + 1.0f / 720.0f;
  q = q * y + 1.0f / 120.0f;
  q = q * y + 1.0f / 24.0f;
  q = q * y + 1.0f / 6.0f;
  q = q * y + 0.5f;
  q = q * y + 1.0f;
  q = q * y;
  const float big = fast_exp(y) - 1.0f;
  return y > -0.7f ? q : big;
}

// 1 / (1 + e^-x); saturates to exactly 1 above x = 17 and to about 6e-39
// below x = -88 (both within float rounding of the true value's use).
inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// tanh x = -expm1(-2|x|) / (2 + expm1(-2|x|)) with the sign of x: accurate in
// relative terms near 0 as well as at saturation (exactly +-1 beyond |x| = 9).
inline float fast_tanh(float x) {
  const float y = std::max(-2.0f * std::fabs(x), -87.0f);
  const float em = fast_expm1_nonpositive(y);
  return std::copysign(-em / (2.0f + em), x);
}

}  // namespace charnn
