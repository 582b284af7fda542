// Optimizers over the flat parameter buffer (one loop each) and global-norm
// gradient clipping. Their state is flat too, so a checkpoint stores it as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace charnn {

enum class OptimizerKind { rmsprop, adam };

std::string optimizer_name(OptimizerKind kind);
OptimizerKind optimizer_from_name(const std::string& name);  // throws Error

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::rmsprop;
  float learning_rate = 1e-3f;
  float rho = 0.9f;      // RMSprop decay (Keras default)
  float beta1 = 0.9f;    // Adam
  float beta2 = 0.999f;  // Adam
  float epsilon = 1e-7f; // Keras default for both
};

class Optimizer {
 public:
  Optimizer(const OptimizerConfig& config, size_t parameter_count);

  // params -= update(grads); advances the step count.
  void step(float* params, const float* grads);

  const OptimizerConfig& config() const { return config_; }
  void set_learning_rate(float lr) { config_.learning_rate = lr; }
  int64_t steps() const { return steps_; }
  // RMSprop: first is unused (empty) and second is the mean square.
  // Adam: first and second moments.
  std::vector<float>& first_moment() { return first_; }
  std::vector<float>& second_moment() { return second_; }
  const std::vector<float>& first_moment() const { return first_; }
  const std::vector<float>& second_moment() const { return second_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 private:
  OptimizerConfig config_;
  int64_t steps_ = 0;
  std::vector<float> first_, second_;
};

// Scales grads so their global L2 norm is at most max_norm (<= 0: no clipping).
// Returns the norm before clipping; a non-finite norm leaves grads untouched.
double clip_global_norm(float* grads, size_t count, double max_norm);

}  // namespace charnn
