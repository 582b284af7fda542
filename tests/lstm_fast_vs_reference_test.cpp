// The fast float path (BLAS products, fused cell loops, gathered one-hot input,
// one-step inference) against the scalar reference run in double, at sizes
// below, at and above the 8- and 16-float vector widths, the 32-column packed
// panels and the split of the recurrent loop into unit blocks (with 4 blocks
// H = 100 cuts into 16, 32, 32 and 20 units; H = 1 and 3 leave blocks empty;
// CMake runs the suite again with 12 blocks).
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/nn/inference.h"
#include "reference_pass.h"

namespace charnn {
namespace {

using Shape = testing::ReferenceShape;

// Float sums of up to a few thousand terms carry relative error of order
// sqrt(n) * 6e-8 < 1e-5; 1e-4 relative plus 1e-6 absolute leaves headroom
// without hiding a wrong index or gate (those show up as O(1) differences).
constexpr double kRelative = 1e-4;
constexpr double kAbsolute = 1e-6;

class FastVsReference : public ::testing::TestWithParam<Shape> {};

TEST_P(FastVsReference, LossProbabilitiesAndGradientsAgree) {
  const testing::PassBesideReference r = testing::pass_beside_reference(GetParam(), Precision::f32);
  EXPECT_NEAR(r.loss, r.ref.loss, kAbsolute + kRelative * std::abs(r.ref.loss)) << "summed loss";
  for (size_t i = 0; i < r.probs.size(); ++i) {
    ASSERT_NEAR(r.probs[i], r.ref.probs[i], kAbsolute + kRelative * r.ref.probs[i]) << "probs index " << i;
  }
  for (const TensorSlot& slot : r.model.layout.tensors()) {
    for (size_t i = 0; i < slot.size; ++i) {
      const size_t at = slot.offset + i;
      ASSERT_NEAR(r.grads[at], r.exact_grads[at], kAbsolute + kRelative * std::abs(r.exact_grads[at]))
          << fmt::format("gradient of {} index {}", slot.name, i);
    }
  }
}

TEST_P(FastVsReference, OneStepInferenceMatchesTheReferenceSequence) {
  testing::inference_beside_reference(GetParam(), Precision::f32, [](int t, int v, double p, double expected) {
    ASSERT_NEAR(p, expected, kAbsolute + kRelative * expected) << fmt::format("step {} symbol {}", t, v);
  });
}

TEST(FastVsReference, BatchedInferenceStreamsAreIndependent) {
  const ModelConfig config = testing::tiny_config(7, 2, 9, 0.0f);
  const Model model = testing::random_model(config, 12);
  const auto tokens = testing::random_tokens(12, 7, 13);  // 4 steps x 3 streams
  InferenceState batched(model, 3);
  std::vector<float> batched_logits;
  for (int t = 0; t < 4; ++t) {
    const float* logits = batched.step(&tokens[static_cast<size_t>(t * 3)]);
    batched_logits.assign(logits, logits + 21);
  }
  for (int s = 0; s < 3; ++s) {
    InferenceState single(model, 1);
    const float* logits = nullptr;
    for (int t = 0; t < 4; ++t) logits = single.step(&tokens[static_cast<size_t>(t * 3 + s)]);
    for (int v = 0; v < 7; ++v) {
      EXPECT_NEAR(logits[v], batched_logits[static_cast<size_t>(s * 7 + v)], 1e-5) << "stream " << s << " symbol " << v;
    }
  }
}

// Steps S streams of `model` on 3 threads, then each stream alone on one
// thread, and requires the same logits bit for bit.
void expect_streams_match_alone(const Model& model, int S, int steps, Precision precision = Precision::f32) {
  const int V = model.config.vocab_size;
  const auto tokens = testing::random_tokens(static_cast<size_t>(steps * S), V, 22);
  const int previous = blas_threads();
  blas_set_threads(3);
  InferenceState batched(model, S, precision);
  std::vector<float> batched_logits;
  for (int t = 0; t < steps; ++t) {
    const float* logits = batched.step(&tokens[static_cast<size_t>(t * S)]);
    batched_logits.assign(logits, logits + static_cast<size_t>(S) * V);
  }
  blas_set_threads(1);
  for (int s = 0; s < S; ++s) {
    InferenceState single(model, 1, precision);
    const float* logits = nullptr;
    for (int t = 0; t < steps; ++t) logits = single.step(&tokens[static_cast<size_t>(t * S + s)]);
    for (int v = 0; v < V; ++v) {
      ASSERT_EQ(logits[v], batched_logits[static_cast<size_t>(s * V + v)]) << "stream " << s << " symbol " << v;
    }
  }
  blas_set_threads(previous);
}

TEST(FastVsReference, InferenceBitsDoNotDependOnStreamsOrThreads) {
  // H 200, 3 streams: 480,000 multiply-adds per product, so the products are
  // cut between threads.
  expect_streams_match_alone(testing::random_model(testing::tiny_config(7, 2, 200, 0.0f), 21), 3, 5);
  // H 300, 17 streams: the cell passes are cut into blocks of streams too.
  expect_streams_match_alone(testing::random_model(testing::tiny_config(9, 1, 300, 0.0f), 23), 17, 3);
  // 130 streams of a small model, at least two per work block on any machine:
  // whole steps run as one block of streams per thread (44, 44 and 42 rows).
  expect_streams_match_alone(testing::random_model(testing::tiny_config(9, 2, 40, 0.0f), 25), 130, 3);
}

// The bf16 products compute each row of a tile on its own, so the same holds.
TEST(FastVsReference, Bf16InferenceBitsDoNotDependOnStreamsOrThreads) {
  expect_streams_match_alone(testing::random_model(testing::tiny_config(7, 2, 200, 0.0f), 21), 3, 5, Precision::bf16);
  expect_streams_match_alone(testing::random_model(testing::tiny_config(9, 1, 300, 0.0f), 23), 17, 3,
                             Precision::bf16);
  expect_streams_match_alone(testing::random_model(testing::tiny_config(9, 2, 40, 0.0f), 24), 37, 3, Precision::bf16);
  // Blocks of more than 16 rows: AMX tiles read spare rows past each block's last.
  expect_streams_match_alone(testing::random_model(testing::tiny_config(9, 2, 40, 0.0f), 26), 130, 3,
                             Precision::bf16);
}

INSTANTIATE_TEST_SUITE_P(AroundVectorWidths, FastVsReference,
                         ::testing::Values(Shape{5, 2, 1, 3, 1, 0.3f}, Shape{5, 2, 7, 4, 3, 0.3f},
                                           Shape{17, 2, 8, 3, 4, 0.0f}, Shape{9, 1, 9, 2, 5, 0.5f},
                                           Shape{5, 2, 16, 3, 2, 0.2f}, Shape{33, 1, 17, 2, 3, 0.0f},
                                           Shape{6, 3, 33, 2, 2, 0.1f}, Shape{4, 1, 1, 3, 5, 0.0f},
                                           Shape{7, 2, 3, 3, 4, 0.2f}, Shape{11, 2, 17, 4, 1, 0.0f},
                                           Shape{8, 2, 64, 3, 5, 0.1f}, Shape{13, 2, 100, 3, 3, 0.0f},
                                           Shape{9, 3, 100, 2, 9, 0.0f}),
                         testing::reference_shape_name);

}  // namespace
}  // namespace charnn
