// See threads_option.h.
#include "cli/threads_option.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "charnn/nn/thread_pool.h"

namespace charnn::cli {

namespace {

// Under mpirun every rank lowers its own count, and only the first says so
// (the others print nothing; docs/scaling.md).
bool first_or_only_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"}) {
    if (const char* rank = std::getenv(name); rank != nullptr) return std::strcmp(rank, "0") == 0;
  }
  return true;
}

}  // namespace

int threads_to_run(int requested) {
  const int cpus = cpus_available();
  if (requested <= cpus) return requested;
  if (first_or_only_rank()) {
    const int running = std::min(cpus, work_blocks());  // the pool's own cap
    fmt::print(stderr, "charnn: --threads {}: this process may use {} CPU{}; running {} thread{}\n", requested, cpus,
               cpus == 1 ? "" : "s", running, running == 1 ? "" : "s");
  }
  return cpus;
}

}  // namespace charnn::cli
