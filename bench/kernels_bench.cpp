// Microbenchmarks of the kernels a training or sampling step is made of, on
// the shapes of configs A (1x250, V 68, T 25, B 32) and B (3x700, V 75, T 50,
// B 32). Items are characters (or elements for the activations), so rates read
// as chars/s. Run: ./build/bench/charnn_kernel_bench [--benchmark_filter=...]
#include <cmath>
#include <vector>

#include <benchmark/benchmark.h>

#include "charnn/nn/activations.h"
#include "charnn/nn/aligned_vector.h"
#include "charnn/nn/blas.h"
#include "charnn/nn/blas_kernels.h"
#include "charnn/nn/inference.h"
#include "charnn/nn/init.h"
#include "charnn/nn/lstm_cell.h"
#include "charnn/nn/model.h"
#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/packed_gemm.h"
#include "charnn/rng.h"

namespace charnn {
namespace {

std::vector<float> uniform(size_t n, float scale, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = scale * (2.0f * rng.uniform_float() - 1.0f);
  return v;
}

std::vector<int32_t> tokens(size_t n, int V) {
  Rng rng(7);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng.below(static_cast<uint64_t>(V)));
  return t;
}

Model make_model(int V, int L, int H) {
  ModelConfig config;
  config.vocab_size = V;
  config.layers = L;
  config.hidden = H;
  config.dropout.assign(static_cast<size_t>(L), 0.0f);
  Model model(config);
  initialize_parameters(model.params.data(), config, model.layout, 1);
  return model;
}

void BM_std_tanh(benchmark::State& state) {
  std::vector<float> x = uniform(4096, 8.0f, 1), y(x.size());
  for (auto _ : state) {
    for (size_t i = 0; i < x.size(); ++i) y[i] = std::tanh(x[i]);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.size()));
}
BENCHMARK(BM_std_tanh);

void BM_fast_tanh(benchmark::State& state) {
  std::vector<float> x = uniform(4096, 8.0f, 1), y(x.size());
  for (auto _ : state) {
    for (size_t i = 0; i < x.size(); ++i) y[i] = fast_tanh(x[i]);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.size()));
}
BENCHMARK(BM_fast_tanh);

// One time step's elementwise pass for a batch of 32 (args: H).
void BM_lstm_cell_forward(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0)), B = 32;
  const auto pre = uniform(static_cast<size_t>(B) * 4 * H, 4.0f, 2), bias = uniform(4 * static_cast<size_t>(H), 1.0f, 3);
  std::vector<float> gates(pre.size()), c(static_cast<size_t>(B) * H), h(c.size()), tc(c.size());
  const auto c_prev = uniform(c.size(), 1.0f, 4);
  for (auto _ : state) {
    std::copy(pre.begin(), pre.end(), gates.begin());
    lstm_cell_forward(gates.data(), c.data(), h.data(), tc.data(), c_prev.data(), bias.data(), bias.data(), B, H);
    benchmark::DoNotOptimize(h.data());
  }
  state.SetItemsProcessed(state.iterations() * B);
}
BENCHMARK(BM_lstm_cell_forward)->Arg(250)->Arg(700);

// The recurrent product of one step: (32, H) x (H, 4H) (args: H, threads).
void BM_recurrent_gemm(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0)), B = 32;
  blas_set_threads(static_cast<int>(state.range(1)));
  const auto w = uniform(static_cast<size_t>(4) * H * H, 0.1f, 5), h = uniform(static_cast<size_t>(B) * H, 1.0f, 6);
  std::vector<float> gates(static_cast<size_t>(B) * 4 * H, 0.0f);
  for (auto _ : state) {
    gemm_nt(gates.data(), h.data(), w.data(), B, 4 * H, H, 1.0f);
    benchmark::DoNotOptimize(gates.data());
  }
  state.SetItemsProcessed(state.iterations() * B);
}
BENCHMARK(BM_recurrent_gemm)->Args({250, 1})->Args({250, 2})->Args({700, 1})->Args({700, 2});

// The same product on W_hh packed once (packed_gemm.h), one thread, as the
// LSTM's recurrent loop runs it (arg: H). Compare with BM_recurrent_gemm/H/1.
void BM_packed_recurrent_gemm(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0)), B = 32, G = 4 * H;
  const auto w = uniform(static_cast<size_t>(G) * H, 0.1f, 5), h = uniform(static_cast<size_t>(B) * H, 1.0f, 6);
  AlignedVector<float> packed(packed_floats(H, G));
  std::vector<float> gates(static_cast<size_t>(B) * G, 0.0f);
  pack_transposed(packed.data(), w.data(), H, H, G);
  for (auto _ : state) {
    packed_gemm(gates.data(), G, h.data(), H, packed.data(), B, G, H);
    benchmark::DoNotOptimize(gates.data());
  }
  state.SetItemsProcessed(state.iterations() * B);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * B * G * H * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_packed_recurrent_gemm)->Arg(250)->Arg(700);

// C (M, N) += A (M, K) P (K, N) in bf16 on the fastest bf16 kernel here (the
// label names it; CHARNN_BF16_KERNEL=NAME pins another), one thread (args:
// M, N, K): one sampling stream 1 x 2800 x 700, the recurrent shape
// 32 x 2800 x 700 and the input projection 1600 x 2800 x 700 of config B.
// BM_f32_gemm is the BLAS beside it.
void BM_bf16_gemm(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1)), K = static_cast<int>(state.range(2));
  const auto a = uniform(static_cast<size_t>(M) * K, 1.0f, 7), w = uniform(static_cast<size_t>(N) * K, 0.1f, 8);
  const size_t lda = static_cast<size_t>(bf16_row_stride(K));
  AlignedVector<BFloat16> A((static_cast<size_t>(M) + kBf16SpareRows) * lda, 0);
  AlignedVector<BFloat16> packed(bf16_packed_size(K, N), 0);
  convert_rows_bf16(A.data(), lda, a.data(), static_cast<size_t>(K), M, K);
  pack_bf16(packed.data(), w.data(), 1, static_cast<size_t>(K), K, N);
  std::vector<float> C(static_cast<size_t>(M) * N, 0.0f);
  for (auto _ : state) {
    bf16_gemm(C.data(), static_cast<size_t>(N), A.data(), packed.data(), M, N, K, true);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * static_cast<double>(K) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.SetLabel(bf16_products_engine());
}
BENCHMARK(BM_bf16_gemm)->Args({1, 2800, 700})->Args({32, 2800, 700})->Args({1600, 2800, 700})->Args({2800, 700, 1600});

void BM_f32_gemm(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1)), K = static_cast<int>(state.range(2));
  blas_set_threads(1);
  const auto a = uniform(static_cast<size_t>(M) * K, 1.0f, 7), w = uniform(static_cast<size_t>(N) * K, 0.1f, 8);
  std::vector<float> C(static_cast<size_t>(M) * N, 0.0f);
  for (auto _ : state) {
    gemm_nt(C.data(), a.data(), w.data(), M, N, K, 1.0f);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * static_cast<double>(K) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_f32_gemm)->Args({32, 2800, 700})->Args({1600, 2800, 700})->Args({2800, 700, 1600});

// The recurrent weight gradient dW_hh (G, H) += dgates^T h over T x B rows,
// as lstm_backward computes it (args: G, H, rows, threads); the BLAS split
// into charnn's fixed blocks (blas.h).
void BM_weight_gradient_gemm(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1)), K = static_cast<int>(state.range(2));
  blas_set_threads(static_cast<int>(state.range(3)));
  const auto a0 = uniform(static_cast<size_t>(K) * M, 1.0f, 7), b0 = uniform(static_cast<size_t>(K) * N, 1.0f, 8);
  const AlignedVector<float> a(a0.begin(), a0.end()), b(b0.begin(), b0.end());  // as the training buffers are
  AlignedVector<float> C(static_cast<size_t>(M) * N, 0.0f);
  for (auto _ : state) {
    gemm_tn(C.data(), a.data(), b.data(), M, N, K, 1.0f);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * static_cast<double>(K) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_weight_gradient_gemm)->Args({1000, 250, 768, 1})->Args({1000, 250, 768, 2})->Args({2800, 700, 1568, 1})->Args({2800, 700, 1568, 2})->UseRealTime();

// The same gradient by the packed kernel reading dgates as a transposed A
// (packed_gemm_transposed_a, one thread, h packed each time as training
// does), args: G, H, rows.
void BM_packed_weight_gradient(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1)), K = static_cast<int>(state.range(2));
  const auto a0 = uniform(static_cast<size_t>(K) * M, 1.0f, 7), b = uniform(static_cast<size_t>(K) * N, 1.0f, 8);
  const AlignedVector<float> a(a0.begin(), a0.end());
  AlignedVector<float> packed(packed_floats(K, N)), C(static_cast<size_t>(M) * N, 0.0f);
  for (auto _ : state) {
    pack_rows(packed.data(), b.data(), N, K, N);
    packed_gemm_transposed_a(C.data(), N, a.data(), M, packed.data(), M, N, K);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * static_cast<double>(K) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_packed_weight_gradient)->Args({1000, 250, 768})->Args({2800, 700, 1568});

// Forward plus backward over a (T, B) batch (args: config 0 = A, 1 = B;
// threads; precision 0 = f32, 1 = bf16).
void BM_model_forward_backward(benchmark::State& state) {
  const bool big = state.range(0) == 1;
  const int V = big ? 75 : 68, L = big ? 3 : 1, H = big ? 700 : 250, T = big ? 50 : 25, B = 32;
  blas_set_threads(static_cast<int>(state.range(1)));
  const Model model = make_model(V, L, H);
  TrainingWorkspace ws(model.config, T, B, state.range(2) == 1 ? Precision::bf16 : Precision::f32);
  std::vector<float> grads(model.layout.total(), 0.0f);
  const auto in = tokens(static_cast<size_t>(T) * B, V), out = tokens(static_cast<size_t>(T) * B, V);
  for (auto _ : state) {
    model_forward(ws, model, in.data(), out.data(), T, B, true);
    model_backward(grads.data(), ws, model, in.data(), T, B, 1.0f / static_cast<float>(T * B));
  }
  state.SetItemsProcessed(state.iterations() * T * B);
}
BENCHMARK(BM_model_forward_backward)
    ->ArgsProduct({{0, 1}, {1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// One inference step for S streams (args: config, S, threads).
void BM_inference_step(benchmark::State& state) {
  const bool big = state.range(0) == 1;
  const int S = static_cast<int>(state.range(1));
  blas_set_threads(static_cast<int>(state.range(2)));
  const Model model = big ? make_model(75, 3, 700) : make_model(68, 1, 250);
  InferenceState inference(model, S);
  const auto in = tokens(static_cast<size_t>(S), model.config.vocab_size);
  for (auto _ : state) benchmark::DoNotOptimize(inference.step(in.data()));
  state.SetItemsProcessed(state.iterations() * S);
}
BENCHMARK(BM_inference_step)
    ->Args({0, 1, 1})
    ->Args({0, 64, 1})
    ->Args({1, 1, 1})
    ->Args({1, 1, 2})
    ->Args({1, 64, 2})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace charnn

// Like charnn's main: the OpenBLAS rows compare against the kernels that fit
// this CPU, not against a fallback (blas_kernels.h).
int main(int argc, char** argv) {
  charnn::reexecute_with_fitting_blas_kernels(argv);
  benchmark::AddCustomContext("openblas_kernels", charnn::blas_kernels_in_use());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
