// Kernel buffer allocation: cache-line alignment, huge pages for large
// buffers; see aligned_vector.h.
#include "charnn/nn/aligned_vector.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace charnn {

namespace {

constexpr std::align_val_t kCacheLine{64};
constexpr size_t kHugePage = size_t{2} << 20;

// The size a huge-page buffer occupies: whole huge pages, so no other
// allocation shares its last page and madvise covers all of it.
size_t huge_bytes(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* allocate_kernel_buffer(size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes, kCacheLine);
  const size_t size = huge_bytes(bytes);
  void* p = ::operator new(size, std::align_val_t{kHugePage});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: with THP off, or no huge page free, the pages stay small.
  (void)madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

void free_kernel_buffer(void* p, size_t bytes) {
  if (bytes < kHugePage) {
    ::operator delete(p, kCacheLine);
  } else {
    ::operator delete(p, std::align_val_t{kHugePage});
  }
}

}  // namespace charnn
