// PageBytes: a byte vector whose storage starts on a page boundary (and is allocated in whole
// pages), so an O_DIRECT disk (UringDisk, FileDisk with direct IO) writes it in place instead of
// through an aligned staging copy. Every frame the engine writes is one (EncodeChunk).
//
// Growing one does not zero the new bytes (the allocator default-initializes): code that resizes
// it writes every byte it keeps, as an encoder does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "shardstore/limits.h"

namespace shardstore {

template <class T>
class PageAlignedAllocator {
 public:
  using value_type = T;

  PageAlignedAllocator() = default;
  template <class U>
  explicit PageAlignedAllocator(const PageAlignedAllocator<U>& /*other*/) noexcept {}

  T* allocate(size_t n) {
    // aligned_alloc wants a size that is a multiple of the alignment.
    const size_t bytes = (n * sizeof(T) + kPageBytes - 1) / kPageBytes * kPageBytes;
    void* p = std::aligned_alloc(kPageBytes, bytes == 0 ? kPageBytes : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t /*n*/) noexcept { std::free(p); }

  // Default-initialize, so resize() leaves bytes as they are: an encoder writes them all.
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(static_cast<Args&&>(args)...);
  }

  template <class U>
  bool operator==(const PageAlignedAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

using PageBytes = std::vector<uint8_t, PageAlignedAllocator<uint8_t>>;

}  // namespace shardstore
