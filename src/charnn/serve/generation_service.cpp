// Request parsing, generation and model description for `charnn serve`; see generation_service.h.
#include "charnn/serve/generation_service.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "charnn/sample/generate.h"
#include "charnn/text/utf8.h"

namespace charnn {

namespace {

constexpr const char* kFields = "prime, temperature, top_k, top_p, length, seed";

double number_field(const nlohmann::json& value, const char* key) {
  if (!value.is_number()) throw RequestError(fmt::format("'{}' must be a number (got {})", key, value.dump()));
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw RequestError(fmt::format("'{}' must be finite", key));
  return v;
}

// A whole number in [0, max]; JSON numbers written with a fraction or exponent are refused.
uint64_t whole_field(const nlohmann::json& value, const char* key, uint64_t max) {
  if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
    throw RequestError(fmt::format("'{}' must be a whole number >= 0 (got {})", key, value.dump()));
  }
  const uint64_t v = value.get<uint64_t>();
  if (v > max) throw RequestError(fmt::format("'{}' must be at most {} (got {})", key, max, v));
  return v;
}

// A float as the shortest decimal that reads back as it (0.8f -> 0.8, not 0.800000011920929).
double shortest(float value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text - 1, value).ptr;
  *end = '\0';
  return std::strtod(text, nullptr);
}

}  // namespace

GenerationService::GenerationService(const Checkpoint& checkpoint, std::string checkpoint_name, const ServeLimits& limits)
    : model_(model_from_checkpoint(checkpoint)),
      vocabulary_(checkpoint.meta.vocabulary),
      meta_(checkpoint.meta),
      checkpoint_name_(std::move(checkpoint_name)),
      limits_(limits) {}

GenerateRequest GenerationService::parse_request(std::string_view body) const {
  if (body.size() > limits_.max_body_bytes) {
    throw RequestError(fmt::format("request body is larger than {} bytes", limits_.max_body_bytes));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw RequestError(fmt::format("request body is not valid JSON (at byte {})", e.byte));
  }
  if (!j.is_object()) throw RequestError(fmt::format("request body must be a JSON object with any of: {}", kFields));
  GenerateRequest r;
  for (const auto& [key, value] : j.items()) {
    if (key == "prime") {
      if (!value.is_string()) throw RequestError("'prime' must be a string");
      r.prime = value.get<std::string>();
    } else if (key == "temperature") {
      const double t = number_field(value, "temperature");
      if (!(t >= 0.0 && t <= 100.0)) {
        throw RequestError(fmt::format("'temperature' must be in [0, 100] (got {}; 0 = always the likeliest)", t));
      }
      r.sampling.temperature = static_cast<float>(t);
    } else if (key == "top_p") {
      const double p = number_field(value, "top_p");
      if (!(p > 0.0 && p <= 1.0)) throw RequestError(fmt::format("'top_p' must be in (0, 1] (got {})", p));
      r.sampling.top_p = static_cast<float>(p);
    } else if (key == "top_k") {
      r.sampling.top_k = static_cast<int>(whole_field(value, "top_k", std::numeric_limits<int>::max()));
    } else if (key == "length") {
      r.length = static_cast<int64_t>(whole_field(value, "length", static_cast<uint64_t>(limits_.max_length)));
    } else if (key == "seed") {
      r.sampling.seed = whole_field(value, "seed", std::numeric_limits<uint64_t>::max());
    } else {
      throw RequestError(fmt::format("unknown field '{}'; the fields are: {}", key, kFields));
    }
  }
  try {
    r.sampling.validate();
    vocabulary_.encode(utf8_decode(r.prime, "'prime'"), "'prime'");
  } catch (const Error& e) {
    throw RequestError(e.what());
  }
  return r;
}

nlohmann::json GenerationService::generate(const GenerateRequest& request) const {
  const auto start = std::chrono::steady_clock::now();
  Sampler sampler(request.sampling, vocabulary_.size());
  std::string text;
  text.reserve(static_cast<size_t>(request.length));
  generate_text(model_, vocabulary_, sampler, utf8_decode(request.prime, "'prime'"), request.length,
                [&](char32_t c) { utf8_append(text, c); });
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  return {{"text", text},
          {"prime", request.prime},
          {"length", request.length},
          {"seed", request.sampling.seed},
          {"temperature", shortest(request.sampling.temperature)},
          {"top_k", request.sampling.top_k},
          {"top_p", shortest(request.sampling.top_p)},
          {"milliseconds", elapsed.count()}};
}

nlohmann::json GenerationService::info() const {
  std::vector<std::string> characters;
  for (char32_t c : vocabulary_.symbols()) characters.push_back(utf8_encode(std::u32string(1, c)));
  const TrainProgress& p = meta_.progress;
  const GenerateRequest defaults;
  return {{"checkpoint", checkpoint_name_},
          {"model",
           {{"layers", meta_.model.layers},
            {"hidden", meta_.model.hidden},
            {"vocab_size", meta_.model.vocab_size},
            {"parameters", model_.layout.parameter_count()}}},
          {"vocabulary", characters},
          {"progress",
           {{"epochs_done", p.epochs_done},
            {"best_epoch", p.best_epoch},
            {"best_validation_loss",
             std::isfinite(p.best_validation_loss) ? nlohmann::json(p.best_validation_loss) : nlohmann::json()}}},
          {"limits", {{"max_length", limits_.max_length}, {"max_body_bytes", limits_.max_body_bytes}}},
          {"defaults",
           {{"prime", defaults.prime},
            {"temperature", shortest(defaults.sampling.temperature)},
            {"top_k", defaults.sampling.top_k},
            {"top_p", shortest(defaults.sampling.top_p)},
            {"length", defaults.length},
            {"seed", defaults.sampling.seed}}}};
}

std::string error_json(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace charnn
