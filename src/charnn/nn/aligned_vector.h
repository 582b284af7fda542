// A std::vector for the kernels' buffers. Its storage starts on a 64-byte
// cache line: the kernels load whole 64-byte vectors, and from malloc's
// 16-byte alignment (large blocks come from mmap at 16 bytes past a page)
// every such load would straddle two cache lines.
//
// Buffers of 2 MiB and more also start on a 2 MiB boundary and ask Linux for
// transparent huge pages (madvise; Debian's default THP mode backs only the
// regions that ask). The products walk the gate buffers and packed weights
// with strides of whole rows, a new 4 KiB page every step or so, and in a
// virtual machine each TLB miss is a two-level page walk. Measured on a
// 2-core EPYC VM: batched sampling of config A 77k -> 86k chars/s; training
// within noise. Where Linux declines, the pages stay ordinary.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace charnn {

// Allocates n bytes for a kernel buffer as described above; frees it.
void* allocate_kernel_buffer(size_t bytes);
void free_kernel_buffer(void* p, size_t bytes);

template <class T>
struct KernelBufferAllocator {
  using value_type = T;

  KernelBufferAllocator() = default;
  template <class U>
  KernelBufferAllocator(const KernelBufferAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) { return static_cast<T*>(allocate_kernel_buffer(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { free_kernel_buffer(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const KernelBufferAllocator<U>&) const {
    return true;
  }
};

template <class T>
using AlignedVector = std::vector<T, KernelBufferAllocator<T>>;

}  // namespace charnn
