// PyTorch state dict -> charnn checkpoint; see import.h.
#include "charnn/io/import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"
#include "charnn/io/safetensors.h"
#include "charnn/text/utf8.h"

namespace charnn {

namespace {

StateDict parse_safetensors_state_dict(std::string bytes, const std::string& source) {
  const SafetensorsFile file(std::move(bytes), source);
  const size_t data_start = 8 + file.header().size();
  StateDict state;
  for (const auto& [name, info] : file.tensors()) {
    FloatArray array{info.shape, {}};
    if (info.dtype == "F32") {
      array.values = file.read_f32(name);
    } else if (info.dtype == "F64") {
      array.values.resize((info.end - info.begin) / 8);
      for (size_t i = 0; i < array.values.size(); ++i) {
        double v = 0.0;
        std::memcpy(&v, file.bytes().data() + data_start + info.begin + 8 * i, 8);  // little-endian host
        array.values[i] = static_cast<float>(v);
      }
    } else {
      throw Error(fmt::format("{}: tensor '{}' is {}; charnn imports F32 or F64 tensors (call .float() first)",
                              source, name, info.dtype));
    }
    state[name] = std::move(array);
  }
  return state;
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::string list_names(const std::vector<std::string>& names) {
  if (names.size() <= 8) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{}, ... ({} in all)", fmt::join(names.begin(), names.begin() + 8, ", "), names.size());
}

std::vector<std::string> all_names(const StateDict& state) {
  std::vector<std::string> names;
  for (const auto& entry : state) names.push_back(entry.first);
  return names;
}

// "lstm" -> "lstm."; "" stays "" (tensors named without a module prefix).
std::string as_prefix(const std::string& name) { return name.empty() || name.back() == '.' ? name : name + "."; }

// The prefixes P for which P + suffix names a tensor, P empty or ending in '.'.
std::vector<std::string> prefixes_of(const StateDict& state, const std::string& suffix, const std::vector<int64_t>* shape) {
  std::vector<std::string> found;
  for (const auto& [name, array] : state) {
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string prefix = name.substr(0, name.size() - suffix.size());
    if (!prefix.empty() && prefix.back() != '.') continue;
    if (shape != nullptr && array.shape != *shape) continue;
    found.push_back(prefix);
  }
  return found;
}

std::string choose_prefix(const StateDict& state, const std::string& given, const std::string& suffix,
                          const std::vector<int64_t>* shape, const char* module, const char* option) {
  if (!given.empty()) {
    const std::string prefix = as_prefix(given);
    if (state.count(prefix + suffix) == 0) {
      throw Error(fmt::format("the state dict has no '{}{}' for the {} (it holds: {})", prefix, suffix, module,
                              list_names(all_names(state))));
    }
    return prefix;
  }
  const std::vector<std::string> found = prefixes_of(state, suffix, shape);
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    throw Error(fmt::format("found no {} in the state dict: no tensor named '<prefix>{}'{} (it holds: {})", module,
                            suffix, shape == nullptr ? "" : " of shape " + shape_text(*shape),
                            list_names(all_names(state))));
  }
  throw Error(fmt::format("the state dict holds several candidates for the {} ({}); choose one with {}", module,
                          list_names(found), option));
}

// Takes a tensor out of `left` after checking its shape; nullptr when absent and `optional`.
const FloatArray* take(const StateDict& state, std::set<std::string>& left, const std::string& name,
                       const std::vector<int64_t>& shape, bool optional) {
  const auto it = state.find(name);
  if (it == state.end()) {
    if (optional) return nullptr;
    throw Error(fmt::format("the state dict lacks '{}'", name));
  }
  if (it->second.shape != shape) {
    throw Error(fmt::format("tensor '{}' has shape {} but {} is needed", name, shape_text(it->second.shape),
                            shape_text(shape)));
  }
  for (size_t i = 0; i < it->second.values.size(); ++i) {
    if (!std::isfinite(it->second.values[i])) {
      throw Error(fmt::format("tensor '{}' holds a non-finite value at index {}", name, i));
    }
  }
  left.erase(name);
  return &it->second;
}

char32_t vocabulary_entry(const nlohmann::json& entry, const std::string& source) {
  if (entry.is_number_unsigned() || entry.is_number_integer()) {
    const int64_t c = entry.get<int64_t>();
    if (c < 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      throw Error(fmt::format("{}: {} is not a Unicode code point", source, c));
    }
    return static_cast<char32_t>(c);
  }
  if (entry.is_string()) {
    const std::u32string text = utf8_decode(entry.get<std::string>(), source);
    if (text.size() == 1) return text[0];
  }
  throw Error(fmt::format("{}: vocabulary entry {} is neither a one-character string nor a code point", source,
                          entry.dump()));
}

}  // namespace

StateDict parse_state_dict(std::string bytes, const std::string& source) {
  if (bytes.rfind("PK\x03\x04", 0) == 0 || bytes.rfind("PK\x05\x06", 0) == 0) return parse_npz(bytes, source);
  return parse_safetensors_state_dict(std::move(bytes), source);
}

StateDict read_state_dict(const std::string& path) { return parse_state_dict(read_file_bytes(path), path); }

std::vector<char32_t> parse_vocabulary_json(std::string_view json_text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: not valid JSON", source));
  }
  std::vector<char32_t> symbols;
  if (j.is_array()) {
    for (const nlohmann::json& entry : j) symbols.push_back(vocabulary_entry(entry, source));
  } else if (j.is_object()) {
    symbols.assign(j.size(), U'\0');
    std::vector<bool> filled(j.size(), false);
    for (const auto& [key, index] : j.items()) {
      const char32_t c = vocabulary_entry(key, source);
      if (!index.is_number_integer() || index.get<int64_t>() < 0 || index.get<uint64_t>() >= j.size() ||
          filled[index.get<size_t>()]) {
        throw Error(fmt::format("{}: the indices of a character-to-index object must be 0 .. {} once each", source,
                                j.size() - 1));
      }
      symbols[index.get<size_t>()] = c;
      filled[index.get<size_t>()] = true;
    }
  } else {
    throw Error(fmt::format("{}: expected a JSON list of characters or an object mapping characters to indices", source));
  }
  if (symbols.empty()) throw Error(fmt::format("{}: the vocabulary is empty", source));
  std::vector<char32_t> sorted = symbols;
  std::sort(sorted.begin(), sorted.end());
  const auto twin = std::adjacent_find(sorted.begin(), sorted.end());
  if (twin != sorted.end()) throw Error(fmt::format("{}: {} appears twice", source, describe_code_point(*twin)));
  return symbols;
}

namespace {

// The model shape the LSTM's tensors imply, for a vocabulary of V characters.
ModelConfig lstm_config(const StateDict& state, const std::string& lstm, int V) {
  for (const auto& entry : state) {
    const std::string& name = entry.first;
    if (name.rfind(lstm, 0) != 0) continue;
    if (name.find("_reverse") != std::string::npos) throw Error("bidirectional LSTMs cannot be imported");
    if (name.find("weight_hr_l") != std::string::npos) throw Error("LSTMs with proj_size > 0 cannot be imported");
  }
  const auto hh = state.find(lstm + "weight_hh_l0");
  if (hh == state.end() || hh->second.shape.size() != 2 || hh->second.shape[0] != 4 * hh->second.shape[1]) {
    throw Error(fmt::format("'{}weight_hh_l0' is missing or not of shape [4H, H]", lstm));
  }
  const std::vector<int64_t>& input_shape = state.at(lstm + "weight_ih_l0").shape;
  if (input_shape.size() == 2 && input_shape[1] != V) {
    throw Error(fmt::format("the vocabulary has {} characters but '{}weight_ih_l0' reads {} one-hot columns", V, lstm,
                            input_shape[1]));
  }
  ModelConfig config;
  config.vocab_size = V;
  config.hidden = static_cast<int>(hh->second.shape[1]);
  config.layers = 0;
  while (state.count(fmt::format("{}weight_ih_l{}", lstm, config.layers)) != 0) ++config.layers;
  config.dropout.assign(static_cast<size_t>(config.layers), 0.0f);
  config.validate();
  return config;
}

// Copies the LSTM's tensors into the model; layer 0's one-hot columns in charnn's order.
void copy_lstm(const StateDict& state, std::set<std::string>& left, const std::string& lstm,
               const std::vector<size_t>& permutation, Model& model) {
  const ModelConfig& config = model.config;
  const int64_t H = config.hidden, G = config.gates();
  float* p = model.params.data();
  for (int k = 0; k < config.layers; ++k) {
    const LstmLayerOffsets& at = model.layout.layer(k);
    const int64_t E = config.input_size(k);
    const FloatArray* w_ih = take(state, left, fmt::format("{}weight_ih_l{}", lstm, k), {G, E}, false);
    for (int64_t g = 0; g < G; ++g) {
      for (int64_t e = 0; e < E; ++e) {
        const int64_t from = k == 0 ? static_cast<int64_t>(permutation[static_cast<size_t>(e)]) : e;
        p[at.w_ih + static_cast<size_t>(g * E + e)] = w_ih->values[static_cast<size_t>(g * E + from)];
      }
    }
    const FloatArray* w_hh = take(state, left, fmt::format("{}weight_hh_l{}", lstm, k), {G, H}, false);
    std::copy(w_hh->values.begin(), w_hh->values.end(), p + at.w_hh);
    for (auto [name, offset] : {std::pair{"bias_ih", at.b_ih}, std::pair{"bias_hh", at.b_hh}}) {
      const FloatArray* b = take(state, left, fmt::format("{}{}_l{}", lstm, name, k), {G}, true);
      if (b != nullptr) std::copy(b->values.begin(), b->values.end(), p + offset);  // absent: bias=False, zeros
    }
  }
}

// Copies the output layer's rows into the model in charnn's order.
void copy_linear(const StateDict& state, std::set<std::string>& left, const std::string& linear,
                 const std::vector<size_t>& permutation, Model& model) {
  const int64_t V = model.config.vocab_size, H = model.config.hidden;
  const FloatArray* weight = take(state, left, linear + "weight", {V, H}, false);
  const FloatArray* bias = take(state, left, linear + "bias", {V}, true);
  float* p = model.params.data();
  for (size_t j = 0; j < permutation.size(); ++j) {
    const size_t from = permutation[j];
    std::copy_n(weight->values.begin() + static_cast<std::ptrdiff_t>(from * H), H,
                p + model.layout.fc_weight() + j * static_cast<size_t>(H));
    if (bias != nullptr) p[model.layout.fc_bias() + j] = bias->values[from];
  }
}

}  // namespace

Checkpoint import_state_dict(const StateDict& state, const std::vector<char32_t>& vocabulary, const ImportNames& names) {
  const std::string lstm = choose_prefix(state, names.lstm, "weight_ih_l0", nullptr, "nn.LSTM", "--lstm");
  const ModelConfig config = lstm_config(state, lstm, static_cast<int>(vocabulary.size()));
  const std::vector<int64_t> fc_shape{config.vocab_size, config.hidden};
  const std::string linear = choose_prefix(state, names.linear, "weight", &fc_shape, "nn.Linear", "--linear");

  // permutation[j]: the PyTorch index of charnn's j-th (code-point ordered) character.
  std::vector<size_t> permutation(vocabulary.size());
  std::iota(permutation.begin(), permutation.end(), 0);
  std::sort(permutation.begin(), permutation.end(), [&](size_t a, size_t b) { return vocabulary[a] < vocabulary[b]; });
  std::vector<char32_t> sorted;
  for (size_t p : permutation) sorted.push_back(vocabulary[p]);

  Model model(config);
  std::set<std::string> left;
  for (const auto& entry : state) left.insert(entry.first);
  copy_lstm(state, left, lstm, permutation, model);
  copy_linear(state, left, linear, permutation, model);
  if (!left.empty()) {
    throw Error(fmt::format("the state dict holds tensors a one-hot nn.LSTM + nn.Linear model has no place for: {}",
                            list_names(std::vector<std::string>(left.begin(), left.end()))));
  }
  Checkpoint checkpoint;
  checkpoint.meta.model = config;
  checkpoint.meta.vocabulary = Vocabulary(sorted);
  checkpoint.params = std::move(model.params);
  return checkpoint;
}

}  // namespace charnn
