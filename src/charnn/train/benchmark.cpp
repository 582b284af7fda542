// Timing training and sampling steps on fixed shapes; see benchmark.h.
#include "charnn/train/benchmark.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/blas.h"
#include "charnn/nn/inference.h"
#include "charnn/nn/init.h"
#include "charnn/nn/model.h"
#include "charnn/rng.h"
#include "charnn/sample/sampler.h"
#include "charnn/train/optimizer.h"

namespace charnn {

namespace {

std::vector<int32_t> random_tokens(size_t n, int V, Rng& rng) {
  std::vector<int32_t> tokens(n);
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(V)));
  return tokens;
}

ModelConfig shape_config(const BenchShape& s) {
  ModelConfig config;
  config.vocab_size = s.V;
  config.layers = s.L;
  config.hidden = s.H;
  config.dropout.assign(static_cast<size_t>(s.L), 0.0f);
  config.validate();
  return config;
}

BenchRate time_training(const Model& initial, const BenchOptions& o) {
  const BenchShape& s = o.shape;
  Model model = initial;
  TrainingWorkspace ws(model.config, s.T, s.B, o.precision);
  Optimizer optimizer(OptimizerConfig{}, model.layout.total());
  std::vector<float> grads(model.layout.total(), 0.0f);
  Rng rng(o.seed, RngStream::shuffle, 0);
  const auto inputs = random_tokens(static_cast<size_t>(s.T) * s.B, s.V, rng);
  const auto targets = random_tokens(static_cast<size_t>(s.T) * s.B, s.V, rng);
  const float scale = 1.0f / static_cast<float>(s.T * s.B);
  // A step of a large model takes long enough to time alone.
  const int steps = s.H * s.L >= 1000 ? 1 : 8;
  return time_chunks(o.seconds, static_cast<double>(steps) * s.T * s.B, [&] {
    for (int i = 0; i < steps; ++i) {
      model_forward(ws, model, inputs.data(), targets.data(), s.T, s.B, true);
      std::fill(grads.begin(), grads.end(), 0.0f);
      model_backward(grads.data(), ws, model, inputs.data(), s.T, s.B, scale);
      clip_global_norm(grads.data(), grads.size(), 5.0);
      optimizer.step(model.params.data(), grads.data());
    }
  });
}

// Steps S streams feeding each its own draw, as generation does: one sampler
// per stream, the draws spread over the pool as `sample --items` does.
BenchRate time_sampling(const Model& model, const BenchOptions& o, int S) {
  InferenceState state(model, S, o.precision);
  SamplingOptions sampling;
  sampling.seed = o.seed;
  std::vector<Sampler> samplers;
  for (int s = 0; s < S; ++s) samplers.emplace_back(sampling, model.config.vocab_size, static_cast<uint64_t>(s));
  std::vector<int32_t> tokens(static_cast<size_t>(S), 0);
  // Steps per timed chunk: about 1000 for one stream of config A, fewer as a
  // step's work (S x H x L) grows, so a chunk lasts milliseconds, not seconds.
  const int steps = std::max(1, 2000 / (S * model.config.hidden * model.config.layers / 250 + 1));
  return time_chunks(o.seconds, static_cast<double>(steps) * S, [&] {
    for (int i = 0; i < steps; ++i) {
      const float* logits = state.step(tokens.data());
      sample_streams(samplers, logits, model.config.vocab_size, nullptr, tokens.data());
    }
  });
}

}  // namespace

BenchShape bench_shape(const std::string& name) {
  std::string upper = name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (upper == "A") return {"A", 68, 1, 250, 25, 32};
  if (upper == "B") return {"B", 75, 3, 700, 50, 32};
  throw Error(fmt::format("unknown benchmark config '{}' (use A: 1x250, T 25, B 32; or B: 3x700, T 50, B 32)", name));
}

BenchResult run_benchmark(const BenchOptions& o) {
  if (o.threads < 0) throw Error("--threads must be at least 1");
  if (!(o.seconds > 0.0)) throw Error("--seconds must be positive");
  if (o.streams < 1) throw Error("--streams must be at least 1");
  if (o.threads > 0) blas_set_threads(o.threads);
  Model model(shape_config(o.shape));
  initialize_parameters(model.params.data(), model.config, model.layout, o.seed);
  BenchResult result;
  result.shape = o.shape;
  result.threads = blas_threads();
  result.streams = o.streams;
  result.precision = o.precision;
  result.amx = bf16_uses_amx();
  result.bf16_engine = bf16_products_engine();
  result.train = time_training(model, o);
  result.sample = time_sampling(model, o, 1);
  result.batched = time_sampling(model, o, o.streams);
  return result;
}

}  // namespace charnn
