// Finite-difference gradient checks of the scalar reference model in double,
// on tiny odd sizes with a fixed dropout mask: the reference's backward pass is
// the ground truth the fast kernels are later compared against.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/model_ref.h"
#include "test_support.h"

namespace charnn {
namespace {

struct Shape {
  int V, L, H, T, B;
  float dropout;
};

class GradientCheck : public ::testing::TestWithParam<Shape> {};

TEST_P(GradientCheck, ReferenceBackwardMatchesCentralDifferences) {
  const Shape s = GetParam();
  const ModelConfig config = testing::tiny_config(s.V, s.L, s.H, s.dropout);
  const Model model = testing::random_model(config, 11);
  std::vector<double> params(model.params.begin(), model.params.end());
  const auto inputs = testing::random_tokens(static_cast<size_t>(s.T * s.B), s.V, 21);
  const auto targets = testing::random_tokens(static_cast<size_t>(s.T * s.B), s.V, 22);
  std::vector<std::vector<double>> masks(static_cast<size_t>(s.L));
  Rng rng(33);
  for (int k = 0; k < s.L; ++k) {
    if (!config.has_dropout(k)) continue;
    masks[static_cast<size_t>(k)].resize(static_cast<size_t>(s.T * s.B * s.H));
    for (double& m : masks[static_cast<size_t>(k)]) m = rng.uniform_float() < s.dropout ? 0.0 : 1.0 / (1.0 - s.dropout);
  }
  std::vector<double> grads(params.size(), 0.0);
  reference_forward_backward<double>(config, model.layout, params.data(), grads.data(), inputs.data(),
                                     targets.data(), s.T, s.B, masks);
  // Central differences have O(h^2) truncation error; h = 1e-5 balances it
  // against round-off (~1e-16 / h) for losses of order 1: expected error ~1e-10.
  const double h = 1e-5;
  int checked = 0;
  for (const TensorSlot& slot : model.layout.tensors()) {
    for (size_t i = 0; i < slot.size; ++i) {
      const size_t at = slot.offset + i;
      const double saved = params[at];
      params[at] = saved + h;
      const double up = reference_forward_backward<double>(config, model.layout, params.data(), nullptr,
                                                           inputs.data(), targets.data(), s.T, s.B, masks).loss;
      params[at] = saved - h;
      const double down = reference_forward_backward<double>(config, model.layout, params.data(), nullptr,
                                                             inputs.data(), targets.data(), s.T, s.B, masks).loss;
      params[at] = saved;
      const double numeric = (up - down) / (2 * h);
      // 1e-7 absolute covers the truncation/round-off floor; 1e-5 relative the rest.
      EXPECT_NEAR(grads[at], numeric, 1e-7 + 1e-5 * std::abs(numeric))
          << fmt::format("tensor {} index {}", slot.name, i);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

INSTANTIATE_TEST_SUITE_P(TinyOddSizes, GradientCheck,
                         ::testing::Values(Shape{5, 2, 3, 4, 3, 0.5f}, Shape{5, 2, 5, 4, 3, 0.3f},
                                           Shape{5, 2, 7, 4, 3, 0.0f}, Shape{5, 1, 4, 3, 2, 0.25f}),
                         [](const auto& param_info) {
                           const Shape& s = param_info.param;
                           return fmt::format("V{}_L{}_H{}_T{}_B{}_drop{}", s.V, s.L, s.H, s.T, s.B,
                                              static_cast<int>(s.dropout * 100));
                         });

}  // namespace
}  // namespace charnn
