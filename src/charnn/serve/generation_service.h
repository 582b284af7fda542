// What `charnn serve` does for each request, without the HTTP: parse and check
// a JSON generation request, generate the text, describe the model. One
// service holds the model read-only; every generate() call builds its own
// inference state and sampler, so any number of threads may call it at once
// and a request's text depends only on the request (same seed, same text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "charnn/error.h"
#include "charnn/io/checkpoint.h"
#include "charnn/nn/model.h"
#include "charnn/sample/sampler.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

// The client's mistake (bad JSON, an unknown field, a value out of range): HTTP 400.
class RequestError : public Error {
 public:
  using Error::Error;
};

struct ServeLimits {
  int64_t max_length = 10000;         // characters generated per request
  size_t max_body_bytes = 64 * 1024;  // request bodies, prime included
};

struct GenerateRequest {
  std::string prime;          // UTF-8, every character in the vocabulary
  SamplingOptions sampling;
  int64_t length = 200;       // characters to generate after the prime
};

class GenerationService {
 public:
  GenerationService(const Checkpoint& checkpoint, std::string checkpoint_name, const ServeLimits& limits);

  const ServeLimits& limits() const { return limits_; }

  // The body of POST /v1/generate: a JSON object with any of prime, temperature,
  // top_k, top_p, length, seed. Throws RequestError naming the field.
  GenerateRequest parse_request(std::string_view body) const;
  // {text, prime, length, seed, temperature, top_k, top_p, milliseconds}.
  nlohmann::json generate(const GenerateRequest& request) const;
  // GET /v1/info: the model, its vocabulary and training progress, the limits and defaults.
  nlohmann::json info() const;

 private:
  Model model_;
  Vocabulary vocabulary_;
  CheckpointMeta meta_;
  std::string checkpoint_name_;
  ServeLimits limits_;
};

// {"error": message}: the body of every error response.
std::string error_json(const std::string& message);

}  // namespace charnn
