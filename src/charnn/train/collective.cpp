// The single-process collective, shards and launcher detection; see collective.h.
#include "charnn/train/collective.h"

#include <cstdlib>
#include <exception>
#include <string>

namespace charnn {

void SingleProcess::abort(int exit_code) { std::_Exit(exit_code); }

Shard shard_of(size_t n, int rank, int size) {
  const auto r = static_cast<size_t>(rank), p = static_cast<size_t>(size);
  const size_t first = n * r / p;
  return {first, n * (r + 1) / p - first};
}

int launched_rank_count() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    try {
      const int size = std::stoi(value);
      if (size >= 1) return size;
    } catch (const std::exception&) {
      // not a number: not a launcher we know
    }
  }
  return 1;
}

}  // namespace charnn
