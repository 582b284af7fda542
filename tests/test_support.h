// Small helpers shared by the unit tests: random models, tokens and masks with
// fixed seeds, and a temporary directory that cleans up after itself.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "charnn/error.h"

#include "charnn/nn/init.h"
#include "charnn/nn/model.h"
#include "charnn/rng.h"

namespace charnn::testing {

inline ModelConfig tiny_config(int V, int L, int H, float dropout_first = 0.0f) {
  ModelConfig config;
  config.vocab_size = V;
  config.layers = L;
  config.hidden = H;
  config.dropout.assign(static_cast<size_t>(L), 0.0f);
  config.dropout[0] = dropout_first;
  return config;
}

// Keras-style initialisation plus a perturbation of every value, so biases are
// not all zero and no gradient is accidentally symmetric.
inline Model random_model(const ModelConfig& config, uint64_t seed) {
  Model model(config);
  initialize_parameters(model.params.data(), config, model.layout, seed);
  Rng rng(seed ^ 0x5eed);
  for (const TensorSlot& slot : model.layout.tensors()) {
    for (size_t i = 0; i < slot.size; ++i) model.params[slot.offset + i] += 0.3f * (rng.uniform_float() - 0.5f);
  }
  return model;
}

inline std::vector<int32_t> random_tokens(size_t n, int V, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> tokens(n);
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(V)));
  return tokens;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "charnn-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// The message of the Error that action throws, or "no error".
inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace charnn::testing
