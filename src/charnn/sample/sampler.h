// Drawing the next character from the model's logits with temperature, top-k
// and top-p (nucleus) filtering. The sampler owns its RNG, seeded once, and
// allocates nothing per draw.
#pragma once

#include <cstdint>
#include <vector>

#include "charnn/rng.h"

namespace charnn {

struct SamplingOptions {
  float temperature = 1.0f;  // 0 = always the most likely character
  int top_k = 0;             // 0 = no limit
  float top_p = 1.0f;        // keep the smallest set of characters whose mass reaches p
  uint64_t seed = 1;

  // Throws Error with an actionable message for impossible values.
  void validate() const;
};

class Sampler {
 public:
  Sampler(const SamplingOptions& options, int vocab_size);

  // Index of the drawn character; logits has vocab_size entries.
  int sample(const float* logits);
  // The filtered, renormalised distribution the last sample() drew from (V entries).
  const std::vector<float>& last_distribution() const { return probs_; }
  Rng& rng() { return rng_; }

 private:
  SamplingOptions options_;
  Rng rng_;
  std::vector<float> probs_;  // (V)
  std::vector<int> order_;    // (V) indices by falling probability
};

}  // namespace charnn
