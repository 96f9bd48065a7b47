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

// Eight outputs from 16 columns of each row (p: r0's, q: r1's), column offset `col`.
inline void pool8(const float* p, const float* q, int col, int W, vf& best, vi& bi) {
  const vi lane2 = {0, 2, 4, 6, 8, 10, 12, 14};
  const vi ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = {1, 3, 5, 7, 9, 11, 13, 15};
  const vf p0 = vload(p), p1 = vload(p + 8);
  const vf q0 = vload(q), q1 = vload(q + 8);
  const vf a = __builtin_shuffle(p0, p1, ev), b = __builtin_shuffle(p0, p1, od);
  const vf c = __builtin_shuffle(q0, q1, ev), d = __builtin_shuffle(q0, q1, od);
  // Flat indices fit in int32 within one row pair; widened to int64 at the store.
  const vi i0 = lane2 + col;
  best = a;
  bi = i0;
  take(b, i0 + 1, best, bi);
  take(c, i0 + W, best, bi);
  take(d, i0 + W + 1, best, bi);
}

typedef float vf4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));

// Four outputs from 8 columns of each row: rows of 4 to 7 outputs (LeNet's second pool).
inline void pool4(const float* p, const float* q, int col, int W, float* y, int64_t* idx,
                  int64_t base) {
  vf4 p0, p1, q0, q1;
  std::memcpy(&p0, p, 16);
  std::memcpy(&p1, p + 4, 16);
  std::memcpy(&q0, q, 16);
  std::memcpy(&q1, q + 4, 16);
  const vi4 ev = {0, 2, 4, 6}, od = {1, 3, 5, 7};
  const vf4 a = __builtin_shuffle(p0, p1, ev), b = __builtin_shuffle(p0, p1, od);
  const vf4 c = __builtin_shuffle(q0, q1, ev), d = __builtin_shuffle(q0, q1, od);
  const vi4 i0 = vi4{0, 2, 4, 6} + col;
  vf4 best = a;
  vi4 bi = i0;
  vi4 k = (b > best) | (b != b);
  best = k ? b : best;
  bi = k ? i0 + 1 : bi;
  k = (c > best) | (c != c);
  best = k ? c : best;
  bi = k ? i0 + W : bi;
  k = (d > best) | (d != d);
  best = k ? d : best;
  bi = k ? i0 + W + 1 : bi;
  std::memcpy(y, &best, 16);
  for (int j = 0; j < 4; ++j) idx[j] = base + bi[j];
}

int64_t pool_row_avx2(const float* r0, const float* r1, int64_t n, int64_t base, int64_t W,
                      float* y, int64_t* idx) {
  if (n < 8) {
    // 4 to 7 outputs: two overlapping groups of four.
    pool4(r0, r1, 0, static_cast<int>(W), y, idx, base);
    const int64_t o = n - 4;
    pool4(r0 + 2 * o, r1 + 2 * o, static_cast<int>(2 * o), static_cast<int>(W), y + o, idx + o,
          base);
    return n;
  }
  int64_t o = 0;
  vf best;
  vi bi;
  int tmp[8];
  for (; o + 8 <= n; o += 8) {
    pool8(r0 + 2 * o, r1 + 2 * o, static_cast<int>(2 * o), static_cast<int>(W), best, bi);
    std::memcpy(y + o, &best, sizeof best);
    std::memcpy(tmp, &bi, sizeof bi);
    for (int k = 0; k < 8; ++k) idx[o + k] = base + tmp[k];
  }
  if (o < n && n >= 8) {
    // The last few outputs: one more vector ending at the row's end (recomputing a few).
    o = n - 8;
    pool8(r0 + 2 * o, r1 + 2 * o, static_cast<int>(2 * o), static_cast<int>(W), best, bi);
    std::memcpy(y + o, &best, sizeof best);
    std::memcpy(tmp, &bi, sizeof bi);
    for (int k = 0; k < 8; ++k) idx[o + k] = base + tmp[k];
    o = n;
  }
  return o;
}

}  // namespace

#pragma GCC pop_options
#endif

int64_t max_pool_2x2_s2_row(const float* r0, const float* r1, int64_t n, int64_t base, int64_t W,
                            float* y, int64_t* idx) {
  if (n < 4) return 0;  // shorter rows: the scalar loop is as fast
#ifdef EMBER_CONV_SIMD_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // Offsets within the row pair must fit in int32.
  if (avx2 && 2 * n + W + 1 < (int64_t{1} << 31)) return pool_row_avx2(r0, r1, n, base, W, y, idx);
#endif
  return 0;
}

}  // namespace ember::cpu::conv_simd
