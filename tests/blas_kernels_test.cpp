// The rule that corrects OpenBLAS's kernel choice (blas_kernels.h); the
// re-execution itself is tested on the binary (cli_test.cpp).
#include <gtest/gtest.h>

#include "charnn/nn/blas_kernels.h"

namespace charnn {
namespace {

constexpr CpuVectorSupport kAvx512{true, true};
constexpr CpuVectorSupport kAvx2Only{true, false};
constexpr CpuVectorSupport kNoAvx2{false, false};

TEST(BlasKernels, AFallbackWithoutAvx2IsReplacedByTheWidestKernelsTheCpuRuns) {
  EXPECT_EQ(fitting_blas_kernels("Prescott", kAvx512), "SkylakeX");
  EXPECT_EQ(fitting_blas_kernels("Prescott", kAvx2Only), "Haswell");
  EXPECT_EQ(fitting_blas_kernels("Core2", kAvx512), "SkylakeX");
  EXPECT_EQ(fitting_blas_kernels("Sandybridge", kAvx2Only), "Haswell");
  EXPECT_EQ(fitting_blas_kernels("Unknown", kAvx2Only), "Haswell");
}

TEST(BlasKernels, AnAvx2ChoiceIsLeftAlone) {
  for (const char* name : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    EXPECT_EQ(fitting_blas_kernels(name, kAvx512), "") << name;
    EXPECT_EQ(fitting_blas_kernels(name, kAvx2Only), "") << name;
  }
}

TEST(BlasKernels, ACpuWithoutAvx2KeepsWhatOpenBlasChose) {
  EXPECT_EQ(fitting_blas_kernels("Prescott", kNoAvx2), "");
  EXPECT_EQ(fitting_blas_kernels("Nehalem", kNoAvx2), "");
}

TEST(BlasKernels, NamesAreMatchedWhateverTheirCase) {
  // A build without DYNAMIC_ARCH names its kernels in capitals.
  EXPECT_EQ(fitting_blas_kernels("PRESCOTT", kAvx512), "SkylakeX");
  EXPECT_EQ(fitting_blas_kernels("HASWELL", kAvx512), "");
}

TEST(BlasKernels, ANameTheListDoesNotKnowIsLeftAlone) {
  EXPECT_EQ(fitting_blas_kernels("Excavator", kAvx2Only), "");
  EXPECT_EQ(fitting_blas_kernels("SomeFutureCore", kAvx512), "");
}

}  // namespace
}  // namespace charnn
