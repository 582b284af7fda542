// RMSprop and Adam over flat buffers, and global-norm clipping; see optimizer.h.
#include "charnn/train/optimizer.h"

#include <cmath>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

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
    // Keras: v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps)
    const float rho = config_.rho;
    for (size_t i = 0; i < n; ++i) {
      v[i] = rho * v[i] + (1.0f - rho) * grads[i] * grads[i];
      params[i] -= lr * grads[i] / (std::sqrt(v[i]) + eps);
    }
    return;
  }
  // Adam with bias correction folded into the step size (Kingma & Ba, sec. 2).
  const float b1 = config_.beta1, b2 = config_.beta2;
  const double t = static_cast<double>(steps_);
  const auto corrected_lr =
      static_cast<float>(lr * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t)));
  float* m = first_.data();
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * grads[i];
    v[i] = b2 * v[i] + (1.0f - b2) * grads[i] * grads[i];
    params[i] -= corrected_lr * m[i] / (std::sqrt(v[i]) + eps);
  }
}

double clip_global_norm(float* grads, size_t count, double max_norm) {
  double sum = 0.0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(grads[i]) * grads[i];
  const double norm = std::sqrt(sum);
  if (max_norm > 0.0 && std::isfinite(norm) && norm > max_norm) {
    const auto scale = static_cast<float>(max_norm / norm);
    for (size_t i = 0; i < count; ++i) grads[i] *= scale;
  }
  return norm;
}

}  // namespace charnn
