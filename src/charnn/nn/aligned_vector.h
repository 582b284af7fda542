// A std::vector whose storage starts on a 64-byte cache line. The kernels
// load whole 64-byte vectors; from malloc's 16-byte alignment (large blocks
// come from mmap at 16 bytes past a page) every such load would straddle two
// cache lines.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace charnn {

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};

  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlignment); }

  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const {
    return true;
  }
};

template <class T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace charnn
