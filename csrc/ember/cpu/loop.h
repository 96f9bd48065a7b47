#pragma once

// Strided N-operand iteration with dimension coalescing. Operand 0 is usually the output.
// `inner(ptrs, strides, n)` handles one run of `n` elements along the innermost dim, with byte
// strides per operand, so it can take a contiguous fast path when strides equal the item size.

#include <array>
#include <cstdint>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::cpu {

constexpr int kMaxDims = 64;

template <int N>
struct StridedLoop {
  int ndim = 0;
  bool empty = false;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];  // bytes

  // `strides_elems[i]` are element strides of operand i over `shape`; `item[i]` its item size.
  StridedLoop(const Shape& shape, const std::array<const Shape*, N>& strides_elems,
              const std::array<int64_t, N>& item) {
    for (int64_t s : shape) {
      if (s == 0) {
        empty = true;  // nothing to visit; also keeps many 0-sized dims out of the fixed arrays
        return;
      }
    }
    // Keep non-trivial dims, innermost first for merging.
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (shape[d] == 1) continue;
      if (ndim > 0) {
        bool merge = true;
        for (int i = 0; i < N; ++i) {
          if ((*strides_elems[i])[d] * item[i] != strides[i][ndim - 1] * sizes[ndim - 1]) {
            merge = false;
            break;
          }
        }
        if (merge) {
          sizes[ndim - 1] *= shape[d];
          continue;
        }
      }
      sizes[ndim] = shape[d];
      for (int i = 0; i < N; ++i) strides[i][ndim] = (*strides_elems[i])[d] * item[i];
      ++ndim;
    }
  }

  template <typename F>
  void run(std::array<char*, N> base, F&& inner) const {
    if (empty) return;
    if (ndim == 0) {
      std::array<int64_t, N> s{};
      inner(base, s, int64_t{1});
      return;
    }
    std::array<int64_t, N> inner_strides;
    for (int i = 0; i < N; ++i) inner_strides[i] = strides[i][0];
    const int64_t n_inner = sizes[0];
    if (ndim == 1) {
      inner(base, inner_strides, n_inner);
      return;
    }
    int64_t counter[kMaxDims] = {0};
    std::array<char*, N> ptrs = base;
    while (true) {
      inner(ptrs, inner_strides, n_inner);
      int d = 1;
      for (; d < ndim; ++d) {
        ++counter[d];
        for (int i = 0; i < N; ++i) ptrs[i] += strides[i][d];
        if (counter[d] < sizes[d]) break;
        for (int i = 0; i < N; ++i) ptrs[i] -= strides[i][d] * sizes[d];
        counter[d] = 0;
      }
      if (d == ndim) break;
    }
  }
};

}  // namespace ember::cpu
