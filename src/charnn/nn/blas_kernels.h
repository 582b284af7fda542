// Which kernels OpenBLAS runs, and the fix when it picked too old ones.
//
// OpenBLAS picks its kernels once, when it loads, from the CPU's model number.
// A model newer than its table falls back to SSE3 kernels ("Prescott"): Debian
// 12's OpenBLAS 0.3.21 does that on Emerald Rapids (family 6, model 207), where
// config B training then ran at 1,451 chars/s instead of 4,056 with the AVX-512
// kernels ("SkylakeX"; medians of 3 paired runs). The only switch is the
// OPENBLAS_CORETYPE environment variable, read at that load, so the fix
// re-executes the program with it set.
#pragma once

#include <string>
#include <string_view>

namespace charnn {

struct CpuVectorSupport {
  bool avx2_fma = false;
  bool avx512 = false;  // F, BW, DQ and VL, enabled by the OS
};
CpuVectorSupport cpu_vector_support();

// The OPENBLAS_CORETYPE that fits this CPU when OpenBLAS chose kernels it
// names (case aside) among those without AVX2 although the CPU has it:
// "SkylakeX" with AVX-512, else "Haswell". Empty otherwise: any other choice,
// a name this list does not know included, is left alone.
std::string fitting_blas_kernels(std::string_view in_use, CpuVectorSupport cpu);

// Call first in main(): when OpenBLAS chose its kernels at load time (a
// DYNAMIC_ARCH build), they do not fit this CPU, and OPENBLAS_CORETYPE is not
// set (a user's setting always wins: set it to skip this, say under a
// debugger), sets it and re-executes this program from /proc/self/exe with the
// same arguments; it does not return then. If the re-execution fails, returns
// and the program goes on with the kernels it has: slower, not wrong.
void reexecute_with_fitting_blas_kernels(char** argv);

}  // namespace charnn
