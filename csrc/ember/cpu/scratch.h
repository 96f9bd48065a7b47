// A thread's scratch buffer for a kernel's packed or transformed operands, kept between calls
// and starting on a cache line. (A std::vector<float> of a kernel's size is mapped by malloc 16
// bytes into a page, so every 64-byte vector load from it straddled two cache lines: a
// 1024^3 SGEMM on 2 threads, GFLOP/s in alternating runs, 388-393 -> 407-411.)
#pragma once

#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

namespace ember::cpu {

class ScratchBuffer {
 public:
  static constexpr size_t kAlign = 64;

  // At least n floats, aligned to kAlign bytes. Grown (not shrunk) as needed; growing does not
  // keep the contents, and with `zero` fills the new buffer with zeros. Throws std::bad_alloc
  // (std::bad_array_new_length where n floats exceed the address space), the buffer then
  // staying as it was.
  float* get(size_t n, bool zero = false) {
    if (n > size_ || buf_ == nullptr) {
      if (n > std::numeric_limits<size_t>::max() / sizeof(float)) throw std::bad_array_new_length();
      const size_t count = n > 0 ? n : 1;
      void* p = ::operator new(count * sizeof(float), std::align_val_t{kAlign});
      buf_.reset(static_cast<float*>(p));
      size_ = count;
      if (zero) std::memset(buf_.get(), 0, count * sizeof(float));
    }
    return buf_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { ::operator delete(p, std::align_val_t{kAlign}); }
  };
  std::unique_ptr<float, Free> buf_;
  size_t size_ = 0;
};

}  // namespace ember::cpu
