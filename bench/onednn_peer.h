// The oneDNN peer of `charnn bench`: the same workload (one-hot input -> L x
// LSTM(H) -> linear to V -> softmax cross-entropy, RMSprop with gradient-norm
// clipping at 5, random tokens, no dropout; one-stream sampling with softmax
// and a draw) done by oneDNN's LSTM and matmul primitives, so charnn can be
// measured against the best-engineered CPU LSTM library. Bench code only: it
// links nothing of charnn, and nothing of charnn links it.
//
// Dimension letters as in charnn: V vocabulary, L layers, H hidden, T time,
// B batch, E input width of a layer (V for layer 0, H above), G = 4H,
// Lb layers held by one LSTM primitive, P parameters in all, S streams
// sampled at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace onednn_peer {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

// The shapes of `charnn bench`: A = 1x250 over 68 symbols, T 25, B 32;
// B = 3x700 over 75 symbols, T 50, B 32.
struct Shape {
  std::string name;
  int V, L, H, T, B;
};

// "A" or "B" (case-insensitive); throws std::invalid_argument otherwise.
Shape shape_named(const std::string& name);

struct Options {
  Shape shape;
  // LSTM weights and activations. Master weights, gradients, biases, cell
  // state and logits stay f32 in both cases, as oneDNN's bf16 LSTM expects.
  dt data_type = dt::f32;
  double seconds = 3.0;
  int streams = 64;  // streams in the batched sampling measurement
  uint64_t seed = 1;
};

struct Rate {
  double chars_per_second = 0.0;
  double best_chars_per_second = 0.0;
  int chunks = 0;
};

// A rate and the oneDNN implementations that produced it (impl_info_str of
// each LSTM primitive, e.g. "ref:any" or "brgemm:avx512_core_amx").
struct Measurement {
  Rate rate;
  std::vector<std::string> implementations;
  // Training only: the loss of the first and the last step. Every step sees
  // the same batch, so a falling loss shows the gradients and update are wired.
  double first_loss = 0.0, last_loss = 0.0;
};

// One engine and stream for the whole program (CPU, in-order).
struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

Measurement measure_training(Context& ctx, const Options& options);
Measurement measure_sampling(Context& ctx, const Options& options, int S);

// Runs `chunk()` repeatedly for about `seconds` (at least 3 chunks) after one
// untimed warm-up chunk and returns the median chunk rate, exactly as `charnn
// bench` does, so a neighbour's burst on a shared machine skews neither more.
template <class Chunk>
Rate time_chunks(double seconds, double chars_per_chunk, Chunk&& chunk) {
  using Clock = std::chrono::steady_clock;
  chunk();
  std::vector<double> rates;
  const auto start = Clock::now();
  while (rates.size() < 3 || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    const auto t0 = Clock::now();
    chunk();
    const double dt_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(chars_per_chunk / std::max(dt_seconds, 1e-12));
  }
  std::sort(rates.begin(), rates.end());
  Rate rate;
  const size_t n = rates.size();
  rate.chars_per_second = n % 2 == 1 ? rates[n / 2] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
  rate.best_chars_per_second = rates.back();
  rate.chunks = static_cast<int>(n);
  return rate;
}

// SplitMix64: seeded tokens, initial weights and sampling draws.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

// A reorder primitive built once with its two memories, run every step.
struct Reorder {
  dnnl::reorder primitive;
  dnnl::memory src, dst;
  Reorder() = default;
  Reorder(const dnnl::memory& from, const dnnl::memory& to) : primitive(from, to), src(from), dst(to) {}
  void run(dnnl::stream& stream) { primitive.execute(stream, src, dst); }
};

// A memory over plain dims in the given layout, owned by oneDNN.
dnnl::memory make_memory(Context& ctx, const dims& shape, dt type, tag layout);
// A memory over caller-owned storage (f32 views into flat buffers).
dnnl::memory view_memory(Context& ctx, const dims& shape, tag layout, float* data);

// Uniform in [-scale, scale).
void fill_uniform(float* data, size_t n, float scale, Rng& rng);

// Sets element [row, v] of a plain (rows, V) f32 or bf16 buffer.
void set_element(const dnnl::memory& m, int V, int row, int v, float value);

// Cross-entropy of softmax(logits) against targets, averaged over the rows;
// writes dlogits = (softmax - onehot) / rows and adds column sums to dbias.
// logits, dlogits: (rows, V); dbias: (V).
double softmax_cross_entropy(float* dlogits, float* dbias, const float* logits, const int32_t* targets, int rows,
                             int V);

// Draws a token from softmax(logits) (V entries) by inverse CDF, as charnn's
// sampler does at temperature 1; probs is scratch of V floats.
int softmax_draw(float* probs, const float* logits, int V, Rng& rng);

// Scales grads so their global L2 norm is at most max_norm; returns the norm.
double clip_global_norm(float* grads, size_t n, double max_norm);

// Keras RMSprop, as charnn: v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps).
void rmsprop_step(float* params, float* mean_square, const float* grads, size_t n);

// impl_info_str of a primitive descriptor, added to list unless already there.
void note_implementation(std::vector<std::string>& list, const dnnl::primitive_desc_base& pd);

}  // namespace onednn_peer
