// ScratchBuffer (ember/cpu/scratch.h): the kernels' aligned per-thread scratch.
#include <cstdint>
#include <limits>
#include <new>

#include "check.h"
#include "ember/cpu/scratch.h"

using ember::cpu::ScratchBuffer;

namespace {
bool aligned(const float* p) { return reinterpret_cast<uintptr_t>(p) % ScratchBuffer::kAlign == 0; }
}  // namespace

int main() {
  ScratchBuffer buf;
  // Aligned whatever the size asked for, the empty request included.
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}, size_t{300000}}) {
    ScratchBuffer b;
    const float* p = b.get(n);
    CHECK(p != nullptr);
    CHECK(aligned(p));
  }
  // Kept while requests fit; grown (and zeroed when asked) when they do not.
  float* p = buf.get(100, true);
  for (int i = 0; i < 100; ++i) CHECK(p[i] == 0.0f);
  for (int i = 0; i < 100; ++i) p[i] = 1.0f;
  CHECK(buf.get(50, true) == p);  // no growth: contents stay (zeroing is for new buffers)
  CHECK(p[0] == 1.0f);
  float* q = buf.get(1 << 20, true);
  CHECK(aligned(q));
  bool all_zero = true;
  for (int i = 0; i < (1 << 20); ++i) all_zero = all_zero && q[i] == 0.0f;
  CHECK(all_zero);
  q[(1 << 20) - 1] = 2.0f;  // the whole request is usable
  // A request past the address space throws and leaves the buffer as it was, also where its
  // byte count would wrap around to a small number (here 4 bytes).
  CHECK_THROWS(buf.get(std::numeric_limits<size_t>::max() / 2), std::bad_alloc);
  CHECK_THROWS(buf.get(std::numeric_limits<size_t>::max() / sizeof(float) + 2), std::bad_alloc);
  CHECK(buf.get(1 << 20) == q);
  CHECK(q[(1 << 20) - 1] == 2.0f);
  TEST_MAIN_END();
}
