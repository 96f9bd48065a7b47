#pragma once

#include <cstddef>
#include <cstdint>

#include "ember/core/export.h"

namespace ember {

/// Byte counts of the CPU allocator.
struct MemoryStats {
  int64_t allocated = 0;       // bytes held by live tensors (rounded to the allocator's blocks)
  int64_t peak_allocated = 0;  // highest `allocated` since start or the last reset
  int64_t cached = 0;          // bytes of freed blocks kept for reuse
  int64_t num_allocs = 0;      // calls to cpu_alloc
  int64_t num_system_allocs = 0;  // of those, the ones that had to ask the system for memory
};

/// 64-byte aligned CPU memory; throws ember::Error when the system is out of memory.
///
/// Freed blocks up to 128 MiB are kept in size buckets and handed out again, so a training loop
/// that makes the same tensors every step stops asking the system for memory after its first
/// step. The cache is bounded (see set_allocator_cache_limit); empty_cache() returns it.
EMBER_API void* cpu_alloc(size_t nbytes);
EMBER_API void cpu_free(void* p, size_t nbytes);
EMBER_API MemoryStats memory_stats();
EMBER_API void reset_peak_memory_stats();
/// Frees every cached block.
EMBER_API void empty_cache();
/// Largest number of bytes the cache keeps (default 1 GiB); 0 turns caching off.
EMBER_API void set_allocator_cache_limit(int64_t bytes);

}  // namespace ember
