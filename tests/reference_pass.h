// One batch through the fast model and through the scalar reference in
// double, on the same random model, tokens and dropout masks; and one stream
// of one-step inference beside the reference's probabilities. Shared by the
// f32 and bf16 comparisons, which differ only in precision and tolerance.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "charnn/nn/inference.h"
#include "charnn/nn/model_ref.h"
#include "test_support.h"

namespace charnn::testing {

struct ReferenceShape {
  int V, L, H, T, B;
  float dropout;
};

// "V13_L2_H37_T7_B5": a readable name for a parameterised case.
inline std::string reference_shape_name(const ::testing::TestParamInfo<ReferenceShape>& info) {
  const ReferenceShape& s = info.param;
  return fmt::format("V{}_L{}_H{}_T{}_B{}", s.V, s.L, s.H, s.T, s.B);
}

struct PassBesideReference {
  Model model;
  double loss = 0.0;                  // the fast pass's summed cross-entropy
  std::vector<float> probs;           // (T, B, V)
  std::vector<float> grads;           // the model's layout, loss scaled by 1 / (T B)
  std::vector<double> exact_grads;    // the reference's, same layout
  ReferencePass<double> ref;
};

inline PassBesideReference pass_beside_reference(const ReferenceShape& s, Precision precision) {
  const ModelConfig config = tiny_config(s.V, s.L, s.H, s.dropout);
  PassBesideReference out{random_model(config, 5), 0.0, {}, {}, {}, {}};
  const Model& model = out.model;
  const auto inputs = random_tokens(static_cast<size_t>(s.T * s.B), s.V, 6);
  const auto targets = random_tokens(static_cast<size_t>(s.T * s.B), s.V, 7);
  TrainingWorkspace ws(config, s.T, s.B, precision);
  Rng rng(8);
  fill_dropout_masks(ws, config, rng, s.T, s.B);
  std::vector<std::vector<double>> masks(static_cast<size_t>(s.L));
  for (int k = 0; k < s.L; ++k) {
    if (!config.has_dropout(k)) continue;
    const float* m = ws.dropout_mask(k);
    masks[static_cast<size_t>(k)].assign(m, m + static_cast<size_t>(s.T * s.B * s.H));
  }
  const double scale = 1.0 / (s.T * s.B);
  out.loss = model_forward(ws, model, inputs.data(), targets.data(), s.T, s.B, true);
  out.probs.assign(ws.probs.begin(), ws.probs.begin() + s.T * s.B * s.V);
  out.grads.assign(model.layout.total(), 0.0f);
  model_backward(out.grads.data(), ws, model, inputs.data(), s.T, s.B, static_cast<float>(scale));
  const std::vector<double> params(model.params.begin(), model.params.end());
  out.exact_grads.assign(params.size(), 0.0);
  out.ref = reference_forward_backward<double>(config, model.layout, params.data(), out.exact_grads.data(),
                                               inputs.data(), targets.data(), s.T, s.B, masks, scale);
  return out;
}

// Steps one stream of a random model (no dropout) through T random tokens in
// `precision` and calls check(t, v, p, expected) for every probability.
template <class Check>
void inference_beside_reference(const ReferenceShape& s, Precision precision, Check&& check) {
  const ModelConfig config = tiny_config(s.V, s.L, s.H, 0.0f);
  const Model model = random_model(config, 9);
  const auto tokens = random_tokens(static_cast<size_t>(s.T), s.V, 10);
  const std::vector<double> params(model.params.begin(), model.params.end());
  const std::vector<std::vector<double>> no_masks(static_cast<size_t>(s.L));
  const ReferencePass<double> ref = reference_forward_backward<double>(
      config, model.layout, params.data(), nullptr, tokens.data(), tokens.data(), s.T, 1, no_masks);
  InferenceState state(model, 1, precision);
  for (int t = 0; t < s.T; ++t) {
    const float* logits = state.step(&tokens[static_cast<size_t>(t)]);
    double top = logits[0], sum = 0.0;
    for (int v = 0; v < s.V; ++v) top = std::max(top, static_cast<double>(logits[v]));
    for (int v = 0; v < s.V; ++v) sum += std::exp(logits[v] - top);
    for (int v = 0; v < s.V; ++v) {
      check(t, v, std::exp(logits[v] - top) / sum, ref.probs[static_cast<size_t>(t * s.V + v)]);
    }
  }
}

}  // namespace charnn::testing
