// OpenBLAS's kernel choice and its correction; see blas_kernels.h.
#include "charnn/nn/blas_kernels.h"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>

#include "charnn/nn/blas.h"

namespace charnn {

namespace {

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

CpuVectorSupport cpu_vector_support() {
  CpuVectorSupport cpu;
#if defined(__x86_64__)
  // libgcc's checks include the OS's consent (XCR0) for the wide registers.
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = cpu.avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
  return cpu;
}

std::string fitting_blas_kernels(std::string_view in_use, CpuVectorSupport cpu) {
  // OpenBLAS's x86 kernel sets that use no AVX2, its fallbacks among them.
  constexpr std::array<std::string_view, 21> kWithoutAvx2 = {
      "Unknown",  "Katmai",    "Coppermine", "Northwood", "Prescott",  "Banias",     "Atom",
      "Core2",    "Penryn",    "Dunnington", "Nehalem",   "Athlon",    "Opteron",    "Opteron_SSE3",
      "Barcelona", "Bobcat",   "Nano",       "Sandybridge", "Bulldozer", "Piledriver", "Steamroller"};
  bool without_avx2 = false;
  for (std::string_view name : kWithoutAvx2) without_avx2 = without_avx2 || same_name(in_use, name);
  if (!without_avx2) return "";
  if (cpu.avx512) return "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  return "";
}

void reexecute_with_fitting_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || !blas_kernels_chosen_at_load()) return;
  const std::string kernels = fitting_blas_kernels(blas_kernels_in_use(), cpu_vector_support());
  if (kernels.empty()) return;
  // Set even if exec fails, so nothing below tries again.
  if (setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
}

}  // namespace charnn
