// RMSprop and Adam over flat buffers, and global-norm clipping; see optimizer.h.
#include "charnn/train/optimizer.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {

// The update and the norm are memory-bound passes over every parameter: cut
// into fixed blocks for the thread pool (fixed, so the arithmetic does not
// depend on the thread count: work_blocks() for the elementwise passes, and
// always kNormBlocks for the norm, whose partial sums follow the cut, so a
// machine with more cores sums it in the same order) and vectorised through
// clones chosen at load time (built with -fno-math-errno, so sqrt vectorises, and with
// -ffp-contract=off, so no clone fuses a multiply-add: every CPU gets the same bits).
#define CHARNN_UPDATE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
constexpr int kNormBlocks = 4;
constexpr int kLanes = 8;  // independent partial sums of the norm: vectorisable, off one add chain

// Calls body(k, begin, end) on `blocks` fixed ranges of [0, n) on the pool.
template <class Body>
void for_blocks(size_t n, int blocks, Body&& body) {
  const size_t per = (n + static_cast<size_t>(blocks) - 1) / static_cast<size_t>(blocks);
  parallel_for(blocks, [&](int k) {
    const size_t begin = std::min(n, per * static_cast<size_t>(k));
    body(k, begin, std::min(n, begin + per));
  });
}

CHARNN_UPDATE_CLONES
void rmsprop_update(float* __restrict params, const float* __restrict grads, float* __restrict v, size_t n, float lr,
                    float rho, float eps) {
  // Keras: v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps)
  for (size_t i = 0; i < n; ++i) {
    v[i] = rho * v[i] + (1.0f - rho) * grads[i] * grads[i];
    params[i] -= lr * grads[i] / (std::sqrt(v[i]) + eps);
  }
}

CHARNN_UPDATE_CLONES
void adam_update(float* __restrict params, const float* __restrict grads, float* __restrict m, float* __restrict v,
                 size_t n, float lr, float b1, float b2, float eps) {
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * grads[i];
    v[i] = b2 * v[i] + (1.0f - b2) * grads[i] * grads[i];
    params[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
  }
}

CHARNN_UPDATE_CLONES
double squared_sum(const float* __restrict x, size_t n) {
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(x[i + l]) * x[i + l];
  }
  double sum = 0.0;
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

CHARNN_UPDATE_CLONES
void scale_in_place(float* __restrict x, size_t n, float scale) {
  for (size_t i = 0; i < n; ++i) x[i] *= scale;
}

}  // namespace

std::string optimizer_name(OptimizerKind kind) { return kind == OptimizerKind::adam ? "adam" : "rmsprop"; }

OptimizerKind optimizer_from_name(const std::string& name) {
  if (name == "rmsprop") return OptimizerKind::rmsprop;
  if (name == "adam") return OptimizerKind::adam;
  throw Error(fmt::format("unknown optimizer '{}' (use rmsprop or adam)", name));
}

Optimizer::Optimizer(const OptimizerConfig& config, size_t parameter_count) : config_(config) {
  if (config.kind == OptimizerKind::adam) first_.assign(parameter_count, 0.0f);
  second_.assign(parameter_count, 0.0f);
}

void Optimizer::step(float* params, const float* grads) {
  ++steps_;
  const size_t n = second_.size();
  const float lr = config_.learning_rate, eps = config_.epsilon;
  float* v = second_.data();
  if (config_.kind == OptimizerKind::rmsprop) {
    const float rho = config_.rho;
    for_blocks(n, work_blocks(),
               [&](int, size_t b, size_t e) { rmsprop_update(params + b, grads + b, v + b, e - b, lr, rho, eps); });
    return;
  }
  // Adam with bias correction folded into the step size (Kingma & Ba, sec. 2).
  const float b1 = config_.beta1, b2 = config_.beta2;
  const double t = static_cast<double>(steps_);
  const auto corrected_lr =
      static_cast<float>(lr * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t)));
  float* m = first_.data();
  for_blocks(n, work_blocks(), [&](int, size_t b, size_t e) {
    adam_update(params + b, grads + b, m + b, v + b, e - b, corrected_lr, b1, b2, eps);
  });
}

double clip_global_norm(float* grads, size_t count, double max_norm) {
  double partial[kNormBlocks] = {};
  for_blocks(count, kNormBlocks, [&](int k, size_t b, size_t e) { partial[k] = squared_sum(grads + b, e - b); });
  double sum = 0.0;
  for (double p : partial) sum += p;
  const double norm = std::sqrt(sum);
  if (max_norm > 0.0 && std::isfinite(norm) && norm > max_norm) {
    const auto scale = static_cast<float>(max_norm / norm);
    for_blocks(count, work_blocks(), [&](int, size_t b, size_t e) { scale_in_place(grads + b, e - b, scale); });
  }
  return norm;
}

}  // namespace charnn
