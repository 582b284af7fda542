// Drawing the next character from the model's logits: a repetition penalty and
// the loop guard adjust the logits, then temperature, top-k and top-p (nucleus)
// filtering shape the distribution the character is drawn from. The sampler
// owns its RNG, seeded once, and the history of characters it drew (for the
// penalty and the guard); it allocates nothing per draw.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "charnn/nn/precision.h"
#include "charnn/rng.h"
#include "charnn/sample/loop_guard.h"

namespace charnn {

struct SamplingOptions {
  float temperature = 1.0f;  // 0 = always the most likely character
  int top_k = 0;             // 0 = no limit
  float top_p = 1.0f;        // keep the smallest set of characters whose mass reaches p
  uint64_t seed = 1;
  float repetition_penalty = 1.0f;  // R >= 1, 1 = off: see Sampler::sample
  int repetition_window = 64;       // N: how many of the latest drawn characters the penalty looks at
  bool loop_guard = true;           // see loop_guard.h
  Precision precision = Precision::f32;  // of the model's products while sampling (inference.h)

  // Throws Error with an actionable message for impossible values.
  void validate() const;
};

class Sampler {
 public:
  // `stream` picks one of many independent draw sequences for the same seed
  // (item generation runs one sampler per model stream); 0 for a lone sampler.
  Sampler(const SamplingOptions& options, int vocab_size, uint64_t stream = 0);

  // Index of the drawn character; logits has vocab_size entries and is not
  // changed. In order: every character drawn in the last N draws (since
  // restart()) has its logit z replaced by z / R when z > 0 and by z * R when
  // z < 0 (the CTRL rule; it makes the character less likely whatever the
  // sign). Then the loop guard forbids the characters that would complete a
  // cycle (all but one at most: the one whose cycle has the longest period).
  // Then temperature, top-k, top-p, and one uniform draw by inverse CDF. The
  // drawn character is recorded.
  int sample(const float* logits);
  // Forgets the drawn characters (penalty window and loop guard), not the RNG:
  // each item starts a history of its own.
  void restart();

  // The filtered, renormalised distribution the last sample() drew from (V entries).
  const std::vector<float>& last_distribution() const { return probs_; }
  // Draws in which the loop guard forbade at least one character.
  int64_t loop_guard_interventions() const { return interventions_; }
  Rng& rng() { return rng_; }
  const SamplingOptions& options() const { return options_; }

 private:
  void adjust_logits(const float* logits);
  int draw();
  void record(int32_t token);

  SamplingOptions options_;
  Rng rng_;
  std::vector<float> logits_;    // (V) the logits after the penalty and the guard
  std::vector<float> probs_;     // (V)
  std::vector<int> order_;       // (V) indices by falling probability
  std::vector<int32_t> window_;  // (N) ring of the latest drawn characters, by drawn_ % N
  std::vector<int32_t> seen_;    // (V) how often each character occurs in window_
  int64_t drawn_ = 0;            // characters drawn since restart()
  LoopGuard guard_;
  std::array<int32_t, LoopGuard::kMaxPeriod> forbidden_{};
  int64_t interventions_ = 0;
};

// One draw for each of many streams: stream s draws from samplers[s] on row s
// of logits (S, V) into drawn[s], where wanted is null or wanted[s] is
// nonzero. Streams are cut into fixed blocks for the thread pool; each
// sampler is used by one thread, so the draws equal those of a plain loop.
void sample_streams(std::span<Sampler> samplers, const float* logits, int vocab_size, const uint8_t* wanted,
                    int32_t* drawn);

}  // namespace charnn
