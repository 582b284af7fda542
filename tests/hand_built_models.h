// Small models with weights set by hand or from a seed, for sampler and
// generation tests that need a model whose behaviour is known in advance.
#pragma once

#include <cstdint>
#include <string>

#include "charnn/nn/init.h"
#include "charnn/nn/model.h"
#include "charnn/text/vocabulary.h"

namespace charnn::test {

// Vocabulary "\nab" (indices 0, 1, 2). After reading 'a' the model says 'b',
// after 'b' or '\n' it says 'a', each with probability about 0.999 at
// temperature 1: greedy sampling gives "abab..." forever, a cycle of period 2.
//
// How: one layer, H = 3, one unit per input symbol. The input and output gates
// are saturated open (bias +10), the forget gate shut (bias -10), and the cell
// input is tanh(10) ~ 1 on the unit of the symbol read, 0 elsewhere, so h is
// about tanh(1) = 0.76 on that unit alone. The output layer maps unit j to a
// logit of 10 h_j on the symbol that follows j.
inline Model alternating_model() {
  ModelConfig config;
  config.vocab_size = 3;
  config.layers = 1;
  config.hidden = 3;
  config.dropout = {0.0f};
  Model model(config);
  const int H = 3, V = 3;
  const LstmLayerOffsets& at = model.layout.layer(0);
  float* p = model.params.data();
  for (int j = 0; j < H; ++j) {
    p[at.b_ih + j] = 10.0f;                    // input gate open
    p[at.b_ih + H + j] = -10.0f;               // forget gate shut: no memory
    p[at.b_ih + 3 * H + j] = 10.0f;            // output gate open
    p[at.w_ih + (2 * H + j) * V + j] = 10.0f;  // cell input: W_ih is (G, E), E = V
  }
  const int follower[3] = {1, 2, 1};  // '\n' -> 'a', 'a' -> 'b', 'b' -> 'a'
  for (int j = 0; j < H; ++j) p[model.layout.fc_weight() + follower[j] * H + j] = 10.0f;  // (V, H)
  return model;
}

inline Vocabulary alternating_vocabulary() { return Vocabulary::from_text(U"\nab"); }

// A model with initialised (untrained) weights over `symbols`, whose '\n'
// logit is raised by `newline_bias` so items are short.
inline Model seeded_model(const Vocabulary& vocabulary, int hidden, uint64_t seed, float newline_bias) {
  ModelConfig config;
  config.vocab_size = vocabulary.size();
  config.layers = 1;
  config.hidden = hidden;
  config.dropout = {0.0f};
  Model model(config);
  initialize_parameters(model.params.data(), config, model.layout, seed);
  model.params[model.layout.fc_bias() + static_cast<size_t>(vocabulary.index_of(U'\n'))] += newline_bias;
  return model;
}

}  // namespace charnn::test
