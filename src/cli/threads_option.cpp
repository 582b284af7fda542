// See threads_option.h.
#include "cli/threads_option.h"

#include <cstdio>

#include <fmt/format.h>

#include "charnn/nn/thread_pool.h"

namespace charnn::cli {

int threads_to_run(int requested) {
  const int cpus = cpus_available();
  if (requested <= cpus) return requested;
  fmt::print(stderr, "charnn: --threads {}: this process may use {} CPU{}; running {} thread{}\n", requested, cpus,
             cpus == 1 ? "" : "s", cpus, cpus == 1 ? "" : "s");
  return cpus;
}

}  // namespace charnn::cli
