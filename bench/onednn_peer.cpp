// onednn_peer: `charnn bench`'s measurements done by oneDNN's LSTM primitive,
// printed in the same shape (one JSON object with --json) so
// bench/compare_pytorch.py can set the two side by side.
//
//   onednn_peer --config A|B --dtype f32|bf16 --threads N --seconds S [--json]
//
// Debian's libdnnl is built on OpenMP (DNNL_CPU_RUNTIME OMP), so the thread
// count is OpenMP's, set here before the first primitive is created.
#include <cstdio>
#include <exception>

#include <omp.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "onednn_peer.h"

namespace {

struct CliOptions {
  std::string config = "A";
  std::string dtype = "f32";
  int threads = 0;
  double seconds = 3.0;
  int streams = 64;
  bool json = false;
};

nlohmann::json rate_json(const onednn_peer::Rate& r) {
  return {{"chars_per_second", r.chars_per_second},
          {"best_chars_per_second", r.best_chars_per_second},
          {"chunks", r.chunks}};
}

std::string version_string() {
  const dnnl_version_t* v = dnnl::version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

// The most capable instruction set oneDNN dispatches to on this machine; its
// bf16 brgemm kernels use AMX tiles where this reads avx512_core_amx.
std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

int run(const CliOptions& o) {
  using namespace onednn_peer;
  Options options;
  options.shape = shape_named(o.config);
  if (o.dtype != "f32" && o.dtype != "bf16") throw std::invalid_argument("--dtype must be f32 or bf16");
  if (o.threads < 0 || o.streams < 1 || !(o.seconds > 0.0)) {
    throw std::invalid_argument("--threads must be >= 0, --streams >= 1 and --seconds > 0");
  }
  options.data_type = o.dtype == "bf16" ? dt::bf16 : dt::f32;
  options.seconds = o.seconds;
  options.streams = o.streams;
  if (o.threads > 0) omp_set_num_threads(o.threads);

  Context ctx;
  const Measurement train = measure_training(ctx, options);
  const Measurement sample = measure_sampling(ctx, options, 1);
  const Measurement batched = measure_sampling(ctx, options, options.streams);
  const Shape& s = options.shape;
  const int threads = omp_get_max_threads();
  if (o.json) {
    const nlohmann::json j{
        {"engine", "onednn"},
        {"onednn_version", version_string()},
        {"dtype", o.dtype},
        {"cpu_isa", isa_name(dnnl::get_effective_cpu_isa())},
        {"config", s.name},
        {"shape", {{"V", s.V}, {"L", s.L}, {"H", s.H}, {"T", s.T}, {"B", s.B}}},
        {"threads", threads},
        {"streams", options.streams},
        {"train", rate_json(train.rate)},
        {"train_loss", {{"first", train.first_loss}, {"last", train.last_loss}}},
        {"sample", rate_json(sample.rate)},
        {"batched_sample", rate_json(batched.rate)},
        {"implementations",
         {{"train", train.implementations}, {"sample", sample.implementations}, {"batched_sample", batched.implementations}}}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("oneDNN %s (%s), %s, config %s: %d x LSTM %d, V %d, T %d, B %d; %d thread(s); medians over timed chunks\n",
              version_string().c_str(), isa_name(dnnl::get_effective_cpu_isa()).c_str(), o.dtype.c_str(),
              s.name.c_str(), s.L, s.H, s.V, s.T, s.B, threads);
  auto line = [](const char* label, const Measurement& m) {
    std::string impls;
    for (const auto& name : m.implementations) impls += (impls.empty() ? "" : ", ") + name;
    std::printf("%-18s %10.0f chars/s  (%d chunks; %s)\n", label, m.rate.chars_per_second, m.rate.chunks, impls.c_str());
  };
  line("train", train);
  std::printf("%-18s %10.3f -> %.3f (one batch, every step)\n", "training loss", train.first_loss, train.last_loss);
  line("sample, 1 stream", sample);
  line(("sample, " + std::to_string(options.streams) + " streams").c_str(), batched);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CliOptions o;
  CLI::App app("oneDNN LSTM peer of `charnn bench`: training and sampling chars/s on configs A and B");
  app.add_option("--config", o.config, "A (1x250, V 68, T 25, B 32) or B (3x700, V 75, T 50, B 32)");
  app.add_option("--dtype", o.dtype, "f32 or bf16 (bf16 weights and activations, f32 master weights)");
  app.add_option("--threads", o.threads, "OpenMP threads (default: OMP_NUM_THREADS or all cores)");
  app.add_option("--seconds", o.seconds, "seconds spent on each measurement (default 3)");
  app.add_option("--streams", o.streams, "streams in the batched sampling measurement (default 64)");
  app.add_flag("--json", o.json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const dnnl::error& e) {
    std::fprintf(stderr, "onednn_peer: oneDNN: %s (status %d)\n", e.what(), static_cast<int>(e.status));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onednn_peer: %s\n", e.what());
  }
  return 1;
}
