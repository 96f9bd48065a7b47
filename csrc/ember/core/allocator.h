#pragma once

#include <cstddef>
#include <cstdint>

#include "ember/core/export.h"

namespace ember {

/// Byte counts of the CPU allocator.
struct MemoryStats {
  int64_t allocated = 0;       // bytes in live tensors
  int64_t peak_allocated = 0;  // highest `allocated` since start or the last reset
  int64_t num_allocs = 0;      // calls to cpu_alloc
};

/// 64-byte aligned CPU memory; throws ember::Error when the system is out of memory.
EMBER_API void* cpu_alloc(size_t nbytes);
EMBER_API void cpu_free(void* p, size_t nbytes);
EMBER_API MemoryStats memory_stats();
EMBER_API void reset_peak_memory_stats();

}  // namespace ember
