// `charnn bench`: training and sampling throughput on the shapes.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/nn/blas.h"
#include "charnn/train/benchmark.h"
#include "cli/commands.h"
#include "cli/threads_option.h"

namespace charnn::cli {

namespace {

struct BenchCliOptions {
  std::string config = "A";
  int threads = 0;
  double seconds = 3.0;
  int streams = 64;
  std::string precision = "f32";
  bool json = false;
};

nlohmann::json rate_json(const BenchRate& r) {
  return {{"chars_per_second", r.chars_per_second}, {"best_chars_per_second", r.best_chars_per_second},
          {"chunks", r.chunks}};
}

void run_bench(const BenchCliOptions& o) {
  BenchOptions options;
  as_usage_error([&] {
    options.shape = bench_shape(o.config);
    if (o.threads < 0) throw UsageError("--threads must be at least 1");
    if (!(o.seconds > 0.0)) throw UsageError("--seconds must be positive");
    if (o.streams < 1) throw UsageError("--streams must be at least 1");
    options.precision = precision_option(o.precision);
  });
  options.threads = o.threads > 0 ? threads_to_run(o.threads) : 0;
  options.seconds = o.seconds;
  options.streams = o.streams;
  const BenchResult r = run_benchmark(options);
  const BenchShape& s = r.shape;
  if (o.json) {
    const nlohmann::json j{{"config", s.name},
                           {"shape", {{"V", s.V}, {"L", s.L}, {"H", s.H}, {"T", s.T}, {"B", s.B}}},
                           {"threads", r.threads},
                           {"streams", r.streams},
                           {"precision", precision_name(r.precision)},
                           {"amx", r.amx},
                           {"bf16_products", r.bf16_engine},
                           {"blas_kernels", blas_kernels_in_use()},
                           {"train", rate_json(r.train)},
                           {"sample", rate_json(r.sample)},
                           {"batched_sample", rate_json(r.batched)}};
    fmt::print("{}\n", j.dump());
    return;
  }
  std::string precision = precision_name(r.precision);
  if (r.precision == Precision::bf16) precision += " (" + r.bf16_engine + ")";
  fmt::print("config {}: {} x LSTM {}, V {}, T {}, B {}; {} thread(s); products in {}; OpenBLAS kernels {}; "
             "medians over timed chunks\n",
             s.name, s.L, s.H, s.V, s.T, s.B, r.threads, precision, blas_kernels_in_use());
  fmt::print("train            {:>10.0f} chars/s  ({} chunks)\n", r.train.chars_per_second, r.train.chunks);
  fmt::print("sample, 1 stream {:>10.0f} chars/s  ({} chunks)\n", r.sample.chars_per_second, r.sample.chunks);
  fmt::print("sample, {} streams {:>8.0f} chars/s  ({} chunks)\n", r.streams, r.batched.chars_per_second,
             r.batched.chunks);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchCliOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure training and sampling speed on a standard shape.\n\n"
                                              "Examples:\n"
                                              "  charnn bench --config A\n"
                                              "  charnn bench --config B --threads 2 --json\n"
                                              "  charnn bench --config B --precision bf16");
  cmd->add_option("--config", o->config, "A (1x250, T 25, B 32) or B (3x700, T 50, B 32); default A");
  cmd->add_option("--threads", o->threads,
                  "threads for matrix products (default: the CPUs charnn may use; at most those and the work cut, "
                  "4 to 16)");
  cmd->add_option("--seconds", o->seconds, "seconds spent on each measurement (default 3)");
  cmd->add_option("--streams", o->streams, "streams in the batched sampling measurement (default 64)");
  cmd->add_option("--precision", o->precision,
                  "products in f32 or bf16 (AMX, AVX-512, AVX512-BF16 or AVX2 kernels), for training and sampling "
                  "(default f32)");
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace charnn::cli
