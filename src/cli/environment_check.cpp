// See environment_check.h.
#include "cli/environment_check.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/thread_pool.h"

namespace charnn::cli {

void warn_about_unread_settings() {
  if (const char* blocks = std::getenv("CHARNN_WORK_BLOCKS"); blocks != nullptr && !work_blocks_setting(blocks)) {
    fmt::print(stderr, "charnn: warning: CHARNN_WORK_BLOCKS={} is not a whole number from 1 to 64; ignored\n", blocks);
  }
  if (const char* kernel = std::getenv("CHARNN_BF16_KERNEL"); kernel != nullptr && !bf16_kernel_name_known(kernel)) {
    fmt::print(stderr,
               "charnn: warning: CHARNN_BF16_KERNEL={} is not amx, avx512_bf16, avx512, avx2 or portable; ignored\n",
               kernel);
  }
}

}  // namespace charnn::cli
