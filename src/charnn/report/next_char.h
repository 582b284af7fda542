// What a model expects next: the softmax of its logits after reading a prime,
// at temperature 1 with no filtering (the distribution `charnn sample` starts
// from before its own adjustments). For inspection and for checking charnn
// against other implementations; it draws nothing.
#pragma once

#include <string_view>
#include <vector>

#include "charnn/nn/model.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

struct NextCharDistribution {
  std::vector<float> logits;          // (V) after the last prime character
  std::vector<double> probabilities;  // (V) softmax of the logits, computed in double
};

// Feeds the prime from a zero state; an empty prime means a line start ('\n').
// Throws Error for a character outside the vocabulary, or for an empty prime
// when the vocabulary has no '\n'.
NextCharDistribution next_char_distribution(const Model& model, const Vocabulary& vocabulary,
                                            std::u32string_view prime);

}  // namespace charnn
