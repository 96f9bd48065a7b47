#include "ember/core/allocator.h"

#include <atomic>
#include <cstdlib>

#include "ember/core/error.h"

namespace ember {

namespace {
std::atomic<int64_t> g_allocated{0};
std::atomic<int64_t> g_peak{0};
std::atomic<int64_t> g_num{0};
constexpr size_t kAlignment = 64;
}  // namespace

void* cpu_alloc(size_t nbytes) {
  if (nbytes == 0) nbytes = 1;
  void* p = nullptr;
  if (posix_memalign(&p, kAlignment, nbytes) != 0 || p == nullptr) {
    throw Error(detail::str("out of memory: failed to allocate ", nbytes, " bytes on the CPU"));
  }
  int64_t now = g_allocated.fetch_add(static_cast<int64_t>(nbytes)) + static_cast<int64_t>(nbytes);
  int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  g_num.fetch_add(1);
  return p;
}

void cpu_free(void* p, size_t nbytes) {
  if (p == nullptr) return;
  if (nbytes == 0) nbytes = 1;
  g_allocated.fetch_sub(static_cast<int64_t>(nbytes));
  std::free(p);
}

MemoryStats memory_stats() {
  MemoryStats s;
  s.allocated = g_allocated.load();
  s.peak_allocated = g_peak.load();
  s.num_allocs = g_num.load();
  return s;
}

void reset_peak_memory_stats() { g_peak.store(g_allocated.load()); }

}  // namespace ember
