// Temperature, top-k and top-p sampling; see sampler.h.
#include "charnn/sample/sampler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

void SamplingOptions::validate() const {
  if (!(temperature >= 0.0f && std::isfinite(temperature))) {
    throw Error(fmt::format("--temperature must be >= 0 (got {})", temperature));
  }
  if (top_k < 0) throw Error(fmt::format("--top-k must be >= 0 (got {})", top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f)) throw Error(fmt::format("--top-p must be in (0, 1] (got {})", top_p));
}

Sampler::Sampler(const SamplingOptions& options, int vocab_size)
    : options_(options), rng_(options.seed, RngStream::sample, 0) {
  options_.validate();
  probs_.assign(static_cast<size_t>(vocab_size), 0.0f);
  order_.assign(static_cast<size_t>(vocab_size), 0);
}

int Sampler::sample(const float* logits) {
  const int V = static_cast<int>(probs_.size());
  if (options_.temperature == 0.0f || options_.top_k == 1) {
    const int best = static_cast<int>(std::max_element(logits, logits + V) - logits);
    std::fill(probs_.begin(), probs_.end(), 0.0f);
    probs_[static_cast<size_t>(best)] = 1.0f;
    return best;
  }
  const float top = *std::max_element(logits, logits + V);
  double sum = 0.0;
  for (int v = 0; v < V; ++v) {
    probs_[static_cast<size_t>(v)] = std::exp((logits[v] - top) / options_.temperature);
    sum += probs_[static_cast<size_t>(v)];
  }
  for (float& p : probs_) p = static_cast<float>(p / sum);

  const bool filter = (options_.top_k > 0 && options_.top_k < V) || options_.top_p < 1.0f;
  if (filter) {
    for (int v = 0; v < V; ++v) order_[static_cast<size_t>(v)] = v;
    // Ties break by index so the kept set never depends on the sort's whims.
    std::sort(order_.begin(), order_.end(), [&](int a, int b) {
      return probs_[static_cast<size_t>(a)] > probs_[static_cast<size_t>(b)] ||
             (probs_[static_cast<size_t>(a)] == probs_[static_cast<size_t>(b)] && a < b);
    });
    int keep = options_.top_k > 0 ? std::min(options_.top_k, V) : V;
    double mass = 0.0;
    for (int r = 0; r < keep; ++r) {
      mass += probs_[static_cast<size_t>(order_[static_cast<size_t>(r)])];
      if (mass >= options_.top_p) {
        keep = r + 1;
        break;
      }
    }
    double kept = 0.0;
    for (int r = 0; r < V; ++r) {
      float& p = probs_[static_cast<size_t>(order_[static_cast<size_t>(r)])];
      if (r >= keep) p = 0.0f;
      kept += p;
    }
    for (float& p : probs_) p = static_cast<float>(p / kept);
  }
  // Inverse CDF in index order; the last positive entry absorbs rounding.
  const double u = rng_.uniform_double();
  double cumulative = 0.0;
  int last = 0;
  for (int v = 0; v < V; ++v) {
    if (probs_[static_cast<size_t>(v)] <= 0.0f) continue;
    last = v;
    cumulative += probs_[static_cast<size_t>(v)];
    if (u < cumulative) return v;
  }
  return last;
}

}  // namespace charnn
