// OpenBLAS's kernel choice and its correction; see blas_kernels.h.
#include "charnn/nn/blas_kernels.h"

#include <cblas.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

namespace charnn {

std::string blas_kernels_in_use() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "";
}

CpuVectorSupport cpu_vector_support() {
  // libgcc's checks include the OS's consent (XCR0) for the wide registers.
  CpuVectorSupport cpu;
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = cpu.avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return cpu;
}

std::string fitting_blas_kernels(std::string_view in_use, CpuVectorSupport cpu) {
  // OpenBLAS 0.3.21's x86-64 kernels that use AVX2 and FMA (and newer names).
  constexpr std::array<std::string_view, 5> kAvx2Kernels = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                                            "SapphireRapids"};
  for (std::string_view name : kAvx2Kernels) {
    if (in_use == name) return "";
  }
  if (cpu.avx512) return "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  return "";
}

void reexecute_with_fitting_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string kernels = fitting_blas_kernels(blas_kernels_in_use(), cpu_vector_support());
  if (kernels.empty()) return;
  // Set even if exec fails, so nothing below tries again.
  if (setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
}

}  // namespace charnn
