#include "ember/core/allocator.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "ember/core/error.h"

namespace ember {

namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugePageMin = size_t{4} << 20;

// Block sizes: powers of two up to 1 MiB, then multiples of 1 MiB, so a request reuses a
// block at most twice its size (small) or 1 MiB larger (large).
size_t block_size(size_t nbytes) {
  if (nbytes <= kAlignment) return kAlignment;
  constexpr size_t kMiB = size_t{1} << 20;
  if (nbytes > (SIZE_MAX >> 1)) {
    throw Error(detail::str("out of memory: failed to allocate ", nbytes, " bytes on the CPU"));
  }
  if (nbytes >= kMiB) return (nbytes + kMiB - 1) / kMiB * kMiB;
  return size_t{1} << (64 - __builtin_clzll(nbytes - 1));  // next power of two (nbytes > 64)
}

// Freed blocks up to this size are cached.
constexpr size_t kMaxCachedBlock = size_t{128} << 20;
// One free list per cached block size: 64 B ... 512 KiB (powers of two), then 1 ... 128 MiB.
constexpr int kSmallBuckets = 14;
constexpr int kNumBuckets = kSmallBuckets + 128;

// The free list of a cached block size (a value of block_size() <= kMaxCachedBlock).
int bucket_of(size_t size) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (size < kMiB) return __builtin_ctzll(size) - 6;
  return kSmallBuckets + static_cast<int>(size / kMiB) - 1;
}

size_t bucket_size(int b) {
  return b < kSmallBuckets ? kAlignment << b : static_cast<size_t>(b - kSmallBuckets + 1) << 20;
}

struct Allocator {
  std::mutex mutex;
  std::vector<void*> free_blocks[kNumBuckets];
  MemoryStats stats;
  int64_t cache_limit = int64_t{1} << 30;

  void release_all_locked() {
    for (int b = 0; b < kNumBuckets; ++b) {
      for (void* p : free_blocks[b]) std::free(p);
      stats.cached -= static_cast<int64_t>(bucket_size(b) * free_blocks[b].size());
      free_blocks[b].clear();
      free_blocks[b].shrink_to_fit();
    }
  }
};

Allocator& allocator() {
  // Leaked on purpose: tensors may be freed during interpreter shutdown after static objects.
  static Allocator* a = new Allocator();
  return *a;
}

}  // namespace

void* cpu_alloc(size_t nbytes) {
  const size_t size = block_size(nbytes);
  Allocator& a = allocator();
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    a.stats.num_allocs++;
    std::vector<void*>* blocks = size <= kMaxCachedBlock ? &a.free_blocks[bucket_of(size)] : nullptr;
    if (blocks != nullptr && !blocks->empty()) {
      void* p = blocks->back();
      blocks->pop_back();
      a.stats.cached -= static_cast<int64_t>(size);
      a.stats.allocated += static_cast<int64_t>(size);
      if (a.stats.allocated > a.stats.peak_allocated) a.stats.peak_allocated = a.stats.allocated;
      return p;
    }
  }
  void* p = nullptr;
  // Big blocks are aligned to 2 MiB and offered transparent huge pages: first touch then costs
  // one page fault per 2 MiB instead of per 4 KiB (a 64 MB result otherwise takes 16K faults).
  const size_t align = size >= kHugePageMin ? kHugePage : kAlignment;
  if (posix_memalign(&p, align, size) != 0 || p == nullptr) {
    // Give the cache back to the system and try once more before failing.
    {
      std::lock_guard<std::mutex> lock(a.mutex);
      a.release_all_locked();
    }
    if (posix_memalign(&p, align, size) != 0 || p == nullptr) {
      throw Error(detail::str("out of memory: failed to allocate ", nbytes, " bytes on the CPU"));
    }
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (size >= kHugePageMin) madvise(p, size, MADV_HUGEPAGE);  // advice only; failure is harmless
#endif
  std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.num_system_allocs++;
  a.stats.allocated += static_cast<int64_t>(size);
  if (a.stats.allocated > a.stats.peak_allocated) a.stats.peak_allocated = a.stats.allocated;
  return p;
}

void cpu_free(void* p, size_t nbytes) {
  if (p == nullptr) return;
  const size_t size = block_size(nbytes);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.allocated -= static_cast<int64_t>(size);
  // Very large blocks (whole data sets, not per-step activations) go straight back to the
  // system, so they do not pin memory in the cache.
  if (size <= kMaxCachedBlock && a.stats.cached + static_cast<int64_t>(size) <= a.cache_limit) {
    a.free_blocks[bucket_of(size)].push_back(p);
    a.stats.cached += static_cast<int64_t>(size);
  } else {
    std::free(p);
  }
}

MemoryStats memory_stats() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.stats;
}

void reset_peak_memory_stats() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.peak_allocated = a.stats.allocated;
}

void empty_cache() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.release_all_locked();
}

void set_allocator_cache_limit(int64_t bytes) {
  EMBER_CHECK_VALUE(bytes >= 0, "set_allocator_cache_limit: bytes must be >= 0, got ", bytes);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  a.cache_limit = bytes;
  if (a.stats.cached > bytes) a.release_all_locked();
}

}  // namespace ember
