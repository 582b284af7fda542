// The shape of a model: L stacked LSTM layers of H units over a vocabulary of V
// symbols, with optional inverted dropout after each layer's output.
#pragma once

#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace charnn {

struct ModelConfig {
  int vocab_size = 0;          // V: layer 0 reads one-hot vectors of this width
  int layers = 1;              // L
  int hidden = 0;              // H
  std::vector<float> dropout;  // L entries: drop probability on each layer's output (0 = none)

  int input_size(int layer) const { return layer == 0 ? vocab_size : hidden; }
  int gates() const { return 4 * hidden; }  // G = 4H, gate order i, f, g, o
  bool has_dropout(int layer) const { return dropout[static_cast<size_t>(layer)] > 0.0f; }

  // Throws Error with an actionable message when a field is out of range.
  void validate() const;
};

// Expands a user's dropout list to one value per layer: values apply to layers
// in order and missing ones are 0, so "0.3" on a 3-layer model means after the
// first layer only (the grimm reference). Throws Error outside [0, 1).
std::vector<float> expand_dropout(const std::vector<float>& given, int layers);

nlohmann::json model_config_to_json(const ModelConfig& config);
ModelConfig model_config_from_json(const nlohmann::json& json);

}  // namespace charnn
