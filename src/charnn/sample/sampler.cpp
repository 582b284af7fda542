// Repetition penalty, loop guard, temperature, top-k and top-p sampling; see sampler.h.
#include "charnn/sample/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {
constexpr int kMaxRepetitionWindow = 1000000;
}  // namespace

void SamplingOptions::validate() const {
  if (!(temperature >= 0.0f && std::isfinite(temperature))) {
    throw Error(fmt::format("--temperature must be >= 0 (got {})", temperature));
  }
  if (top_k < 0) throw Error(fmt::format("--top-k must be >= 0 (got {})", top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f)) throw Error(fmt::format("--top-p must be in (0, 1] (got {})", top_p));
  if (!(repetition_penalty >= 1.0f && std::isfinite(repetition_penalty))) {
    throw Error(fmt::format("--repetition-penalty must be >= 1 (got {}; 1 turns it off)", repetition_penalty));
  }
  if (repetition_window < 1 || repetition_window > kMaxRepetitionWindow) {
    throw Error(
        fmt::format("--repetition-window must be between 1 and {} (got {})", kMaxRepetitionWindow, repetition_window));
  }
}

Sampler::Sampler(const SamplingOptions& options, int vocab_size, uint64_t stream)
    : options_(options), rng_(options.seed, RngStream::sample, stream) {
  options_.validate();
  const size_t V = static_cast<size_t>(vocab_size);
  logits_.assign(V, 0.0f);
  probs_.assign(V, 0.0f);
  order_.assign(V, 0);
  seen_.assign(V, 0);
  window_.assign(static_cast<size_t>(options_.repetition_window), 0);
}

void Sampler::restart() {
  std::fill(seen_.begin(), seen_.end(), 0);
  drawn_ = 0;
  guard_.restart();
}

int Sampler::sample(const float* logits) {
  adjust_logits(logits);
  const int token = draw();
  record(token);
  return token;
}

void Sampler::adjust_logits(const float* logits) {
  const int V = static_cast<int>(logits_.size());
  const float R = options_.repetition_penalty;
  for (int v = 0; v < V; ++v) {
    const float z = logits[v];
    const bool penalised = R != 1.0f && seen_[static_cast<size_t>(v)] > 0;
    logits_[static_cast<size_t>(v)] = !penalised ? z : z > 0.0f ? z / R : z * R;
  }
  if (!options_.loop_guard) return;
  // The list runs from the shortest period up. When it holds every character
  // (a tiny vocabulary caught in several cycles at once), the last one stays
  // allowed: the shorter cycles are broken and the longest may complete.
  const int n = std::min(guard_.forbidden(forbidden_.data()), V - 1);
  if (n <= 0) return;
  for (int i = 0; i < n; ++i) {
    logits_[static_cast<size_t>(forbidden_[static_cast<size_t>(i)])] = -std::numeric_limits<float>::infinity();
  }
  ++interventions_;
}

int Sampler::draw() {
  const int V = static_cast<int>(probs_.size());
  const float* logits = logits_.data();
  if (options_.temperature == 0.0f || options_.top_k == 1) {
    const int best = static_cast<int>(std::max_element(logits, logits + V) - logits);
    std::fill(probs_.begin(), probs_.end(), 0.0f);
    probs_[static_cast<size_t>(best)] = 1.0f;
    return best;
  }
  // At least one logit is finite (the guard never forbids all), so top is, and forbidden ones get exp(-inf) = 0.
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

void Sampler::record(int32_t token) {
  const size_t N = window_.size();
  int32_t& slot = window_[static_cast<size_t>(drawn_ % static_cast<int64_t>(N))];
  if (drawn_ >= static_cast<int64_t>(N)) --seen_[static_cast<size_t>(slot)];  // leaves the window
  slot = token;
  ++seen_[static_cast<size_t>(token)];
  ++drawn_;
  guard_.push(token);
}

void sample_streams(std::span<Sampler> samplers, const float* logits, int vocab_size, const uint8_t* wanted,
                    int32_t* drawn) {
  const int blocks = work_blocks();  // fixed, whatever the thread count
  const int S = static_cast<int>(samplers.size());
  const auto draw_range = [&](int s0, int s1) {
    for (int s = s0; s < s1; ++s) {
      if (wanted == nullptr || wanted[s] != 0) {
        drawn[s] = samplers[static_cast<size_t>(s)].sample(logits + static_cast<size_t>(s) * vocab_size);
      }
    }
  };
  if (S < 2 * blocks) {
    draw_range(0, S);
    return;
  }
  const int per = (S + blocks - 1) / blocks;
  parallel_for(blocks, [&](int k) { draw_range(std::min(S, k * per), std::min(S, (k + 1) * per)); });
}

}  // namespace charnn
