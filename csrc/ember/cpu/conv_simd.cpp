// AVX2 paths for conv.cpp (see conv_simd.h), compiled for AVX2 through a target pragma and used
// only where the CPU has it.

#include "ember/cpu/conv_simd.h"

#include <cstring>

namespace ember::cpu::conv_simd {

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(__clang__)
#define EMBER_CONV_SIMD_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace {

typedef float vf __attribute__((vector_size(32)));
typedef int vi __attribute__((vector_size(32)));
typedef long long vl __attribute__((vector_size(32)));

inline vf vload(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The running maximum's update: take v where it is larger or NaN (PyTorch's rule).
inline void take(vf v, vi at, vf& best, vi& bi) {
  const vi k = (v > best) | (v != v);
  best = k ? v : best;
  bi = k ? at : bi;
}

int64_t pool_row_avx2(const float* r0, const float* r1, int64_t n, int64_t base, int64_t W,
                      float* y, int64_t* idx) {
  const vi lane2 = {0, 2, 4, 6, 8, 10, 12, 14};
  int64_t o = 0;
  for (; o + 8 <= n; o += 8) {
    const vf p0 = vload(r0 + 2 * o), p1 = vload(r0 + 2 * o + 8);
    const vf q0 = vload(r1 + 2 * o), q1 = vload(r1 + 2 * o + 8);
    const vi ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = {1, 3, 5, 7, 9, 11, 13, 15};
    const vf a = __builtin_shuffle(p0, p1, ev), b = __builtin_shuffle(p0, p1, od);
    const vf c = __builtin_shuffle(q0, q1, ev), d = __builtin_shuffle(q0, q1, od);
    // Flat indices fit in int32 within one row pair; widened to int64 at the store.
    const vi i0 = lane2 + static_cast<int>(2 * o);
    vf best = a;
    vi bi = i0;
    take(b, i0 + 1, best, bi);
    take(c, i0 + static_cast<int>(W), best, bi);
    take(d, i0 + static_cast<int>(W + 1), best, bi);
    std::memcpy(y + o, &best, sizeof best);
    int tmp[8];
    std::memcpy(tmp, &bi, sizeof bi);
    for (int k = 0; k < 8; ++k) idx[o + k] = base + tmp[k];
  }
  return o;
}

}  // namespace

#pragma GCC pop_options
#endif

int64_t max_pool_2x2_s2_row(const float* r0, const float* r1, int64_t n, int64_t base, int64_t W,
                            float* y, int64_t* idx) {
#ifdef EMBER_CONV_SIMD_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // Offsets within the row pair must fit in int32.
  if (avx2 && 2 * n + W + 1 < (int64_t{1} << 31)) return pool_row_avx2(r0, r1, n, base, W, y, idx);
#endif
  return 0;
}

}  // namespace ember::cpu::conv_simd
