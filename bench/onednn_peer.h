// The oneDNN peer of `charnn bench`: the same workload (one-hot input -> L x
// LSTM(H) -> linear to V -> softmax cross-entropy, RMSprop with gradient-norm
// clipping at 5, random tokens, no dropout; one-stream sampling with softmax
// and a draw) done by oneDNN's LSTM and matmul primitives, so charnn can be
// measured against the best-engineered CPU LSTM library. Bench code only: it
// links nothing of charnn (it shares only the header-only chunk timer, so both
// are timed by the same code), and nothing of charnn links it.
//
// Dimension letters as in charnn: V vocabulary, L layers, H hidden, T time,
// B batch, E input width of a layer (V for layer 0, H above), G = 4H,
// Lb layers held by one LSTM primitive, P parameters in all, S streams
// sampled at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "charnn/train/chunk_timer.h"

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

// The median chunk rate, timed by charnn's own chunk_timer.h, so both
// engines are measured by the same code.
using Rate = charnn::BenchRate;
using charnn::time_chunks;

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
