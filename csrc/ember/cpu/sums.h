#pragma once

// Sums in double over contiguous float or double runs, shared by the reductions (reduce.cpp)
// and the normalization kernels (norm.cpp).

#include <cstdint>

namespace ember::cpu {

// Reductions in double with 8 independent accumulators: the additions of one lane no longer
// wait on each other, so the loops pipeline and vectorize without reassociating in fp math.
constexpr int kLanes = 8;

template <typename T>
inline double sum_of(const T* p, int64_t n) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += static_cast<double>(p[i + k]);
  }
  double s = 0;
  for (; i < n; ++i) s += static_cast<double>(p[i]);
  for (double a : acc) s += a;
  return s;
}

// sum((p - mu)^2)
template <typename T>
inline double centered_sq_of(const T* p, int64_t n, double mu) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const double d = static_cast<double>(p[i + k]) - mu;
      acc[k] += d * d;
    }
  }
  double s = 0;
  for (; i < n; ++i) {
    const double d = static_cast<double>(p[i]) - mu;
    s += d * d;
  }
  for (double a : acc) s += a;
  return s;
}

}  // namespace ember::cpu
