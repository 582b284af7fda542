// Throughput of the engine on fixed shapes: training steps (forward, backward,
// clipping, optimizer) on random tokens, one-stream sampling steps (model step
// plus a draw) and batched sampling of many streams at once, all with f32 or
// all with bf16 products. It measures; it does not judge (no thresholds), and
// it touches no files.
#pragma once

#include <string>

#include "charnn/nn/precision.h"
#include "charnn/train/chunk_timer.h"

namespace charnn {

// The shapes the issue names: A = 1x250 over 68 symbols, T 25, B 32;
// B = 3x700 over 75 symbols, T 50, B 32 (the grimm preset, dropout off).
struct BenchShape {
  std::string name;
  int V, L, H, T, B;
};

// "A" or "B" (case-insensitive); throws Error for anything else.
BenchShape bench_shape(const std::string& name);

struct BenchOptions {
  BenchShape shape;
  int threads = 0;        // pool threads; 0 leaves the pool's default (thread_pool.h)
  double seconds = 3.0;   // wall time spent on each of the three measurements
  int streams = 64;       // streams in the batched sampling measurement
  uint64_t seed = 1;
  Precision precision = Precision::f32;  // of the products, in training and in sampling
};


struct BenchResult {
  BenchShape shape;
  int threads = 0;
  BenchRate train;    // T x B characters per training step
  BenchRate sample;   // one stream, one character per step
  BenchRate batched;  // `streams` characters per step
  int streams = 0;
  Precision precision = Precision::f32;  // of every measurement
  bool amx = false;                      // bf16 products run on AMX tiles in this process
  std::string bf16_engine;               // bf16_products_engine(): amx, avx512_bf16, avx512, avx2 or portable
};

BenchResult run_benchmark(const BenchOptions& options);

}  // namespace charnn
