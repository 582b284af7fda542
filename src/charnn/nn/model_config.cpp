// ModelConfig validation and JSON form; see model_config.h.
#include "charnn/nn/model_config.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"

namespace charnn {

void ModelConfig::validate() const {
  if (vocab_size < 1) throw Error("vocabulary size must be at least 1");
  if (layers < 1 || layers > 64) throw Error(fmt::format("--layers must be between 1 and 64 (got {})", layers));
  if (hidden < 1 || hidden > 16384) throw Error(fmt::format("--hidden must be between 1 and 16384 (got {})", hidden));
  if (static_cast<int>(dropout.size()) != layers) {
    throw Error(fmt::format("{} dropout values given for {} layers", dropout.size(), layers));
  }
  for (float p : dropout) {
    if (!(p >= 0.0f && p < 1.0f)) throw Error(fmt::format("dropout must be in [0, 1) (got {})", p));
  }
}

std::vector<float> expand_dropout(const std::vector<float>& given, int layers) {
  if (static_cast<int>(given.size()) > layers) {
    throw Error(fmt::format("{} dropout values given but the model has {} layer(s)", given.size(), layers));
  }
  std::vector<float> out(static_cast<size_t>(std::max(layers, 0)), 0.0f);
  for (size_t i = 0; i < given.size(); ++i) {
    if (!(given[i] >= 0.0f && given[i] < 1.0f)) {
      throw Error(fmt::format("dropout must be in [0, 1) (got {})", given[i]));
    }
    out[i] = given[i];
  }
  return out;
}

nlohmann::json model_config_to_json(const ModelConfig& config) {
  return {{"vocab_size", config.vocab_size},
          {"layers", config.layers},
          {"hidden", config.hidden},
          {"dropout", config.dropout},
          {"cell", "lstm"},
          {"gate_order", "ifgo"}};
}

ModelConfig model_config_from_json(const nlohmann::json& json) {
  try {
    ModelConfig config;
    config.vocab_size = json.at("vocab_size").get<int>();
    config.layers = json.at("layers").get<int>();
    config.hidden = json.at("hidden").get<int>();
    config.dropout = json.at("dropout").get<std::vector<float>>();
    if (json.value("cell", "lstm") != "lstm" || json.value("gate_order", "ifgo") != "ifgo") {
      throw Error("model is not an LSTM with gate order i, f, g, o");
    }
    config.validate();
    return config;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("model configuration is malformed ({})", e.what()));
  }
}

}  // namespace charnn
