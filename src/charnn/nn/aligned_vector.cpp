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
constexpr size_t kPage = 4096;

}  // namespace

void* allocate_kernel_buffer(size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes, kCacheLine);
  void* p = ::operator new(bytes, std::align_val_t{kHugePage});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: with THP off, or no huge page free, the pages stay small.
  // The size is not rounded up to whole huge pages: the tail past the last
  // whole one stays on small pages, so resident memory does not grow.
  (void)madvise(p, (bytes + kPage - 1) / kPage * kPage, MADV_HUGEPAGE);
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
