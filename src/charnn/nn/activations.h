// Scalar nonlinearities shared by the fast kernels. Written so the compiler can
// vectorise loops over them; the reference twin uses std:: functions in its own
// precision instead, so the tests compare two independent implementations.
#pragma once

#include <cmath>

namespace charnn {

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace charnn
