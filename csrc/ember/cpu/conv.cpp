// Convolution through im2col + one BLAS GEMM per group over a chunk of images, and one-pass
// pooling loops over contiguous NCHW planes.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <exception>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "ember/cpu/conv_simd.h"
#include "ember/cpu/conv_winograd.h"
#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"

namespace ember::cpu {

namespace {

// Elements of im2col buffer per chunk of images (256 KB of float32): small images (LeNet-sized)
// share one GEMM, and the chunk's columns stay in the core's L2 cache between im2col and the
// GEMM (LeNet's 6->16 5x5 forward 530 -> 400 us, 1->6 weight gradient 1120 -> 400 us on one
// thread); a large image runs alone and its output is written in place.
constexpr int64_t kColBudget = int64_t{1} << 16;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Range [lo, hi) of output columns whose input column ow * sw + off lies inside [0, W).
void valid_range(int64_t off, int64_t sw, int64_t W, int64_t OW, int64_t* lo, int64_t* hi) {
  int64_t l = off >= 0 ? 0 : ceil_div(-off, sw);
  int64_t h = W - off <= 0 ? 0 : ceil_div(W - off, sw);
  l = std::min(l, OW);
  h = std::max(l, std::min(h, OW));
  *lo = l;
  *hi = h;
}

struct ConvDims {
  int64_t Cg, OCg, K, L, HW;
  bool pointwise;  // 1x1, stride 1, no padding: the input plane is its own column matrix
};

ConvDims dims_of(const Conv2dGeom& g) {
  ConvDims d;
  d.Cg = g.C / g.groups;
  d.OCg = g.OC / g.groups;
  d.K = d.Cg * g.KH * g.KW;
  d.L = g.OH * g.OW;
  d.HW = g.H * g.W;
  d.pointwise = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
                g.OH == g.H && g.OW == g.W;
  return d;
}

int64_t chunk_of(const Conv2dGeom& g, const ConvDims& d) {
  const int64_t per = std::max<int64_t>(d.K * d.L, 1);
  return std::max<int64_t>(1, std::min<int64_t>(g.N, kColBudget / per));
}

// Range [lo, hi) of output rows whose input row oh * sh + off lies inside [0, H).
void valid_rows(int64_t off, int64_t sh, int64_t H, int64_t OH, int64_t* lo, int64_t* hi) {
  valid_range(off, sh, H, OH, lo, hi);
}

// d[0, n) = s[0, n): short float rows (LeNet's 8-wide planes) by 16-byte SSE moves inlined here
// (a memcpy call's overhead dominates a 32-byte copy, and GCC turns plain copy loops into such
// calls: the callers turn that pass off), long rows and other types through memcpy.
#if defined(__GNUC__) && !defined(__clang__)
#define EMBER_NO_LOOP_TO_MEMCPY __attribute__((optimize("no-tree-loop-distribute-patterns")))
#define EMBER_ALWAYS_INLINE __attribute__((always_inline))
#else
#define EMBER_NO_LOOP_TO_MEMCPY
#define EMBER_ALWAYS_INLINE
#endif
template <typename T>
EMBER_ALWAYS_INLINE inline void copy_row(T* __restrict d, const T* __restrict s, int64_t n) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    if (n < 64) {
      int64_t i = 0;
      for (; i + 4 <= n; i += 4) _mm_storeu_ps(d + i, _mm_loadu_ps(s + i));
      for (; i < n; ++i) d[i] = s[i];
      return;
    }
  }
#endif
  std::memcpy(d, s, sizeof(T) * static_cast<size_t>(n));
}

// col (K, ld) rows (c, kh, kw), columns oh * OW + ow: the input value each output position sees.
// With unit strides and OW == W the rows a kernel tap reads form one contiguous span of the
// plane: copy it at once, then zero the cells that fell into the padding.
template <typename T>
EMBER_NO_LOOP_TO_MEMCPY void im2col(const T* x, T* col, int64_t ld, const Conv2dGeom& g,
                                    int64_t Cg) {
  const int64_t HW = g.H * g.W;
  const bool span = g.sh == 1 && g.sw == 1 && g.OW == g.W;
  for (int64_t c = 0; c < Cg; ++c) {
    const T* xc = x + c * HW;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.pt;
      int64_t rlo, rhi;
      valid_rows(offh, g.sh, g.H, g.OH, &rlo, &rhi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* dst = col + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t off = kw * g.dw - g.pl;
        int64_t lo, hi;
        valid_range(off, g.sw, g.W, g.OW, &lo, &hi);
        for (int64_t i = 0; i < rlo * g.OW; ++i) dst[i] = T(0);
        for (int64_t i = rhi * g.OW; i < g.OH * g.OW; ++i) dst[i] = T(0);
        if (rhi <= rlo) continue;
        if (span) {
          T* d0 = dst + rlo * g.OW;
          const int64_t s0 = (rlo + offh) * g.W + off;
          int64_t a = 0, b = (rhi - rlo) * g.OW;
          if (s0 + a < 0) a = -s0;
          if (s0 + b > HW) b = HW - s0;
          const T* src = xc + s0;
          if (b > a) copy_row(d0 + a, src + a, b - a);
          if (lo > 0 || hi < g.OW) {
            for (int64_t oh = rlo; oh < rhi; ++oh) {
              T* d = dst + oh * g.OW;
              for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
              for (int64_t ow = hi; ow < g.OW; ++ow) d[ow] = T(0);
            }
          }
          continue;
        }
        if (g.sw == 1 && lo == 0 && hi == g.OW) {
          // Every column valid (no horizontal padding reached): plain row copies.
          const int64_t OW = g.OW, step = g.sh * g.W;
          const T* __restrict src = xc + (rlo * g.sh + offh) * g.W + off;
          T* __restrict d = dst + rlo * OW;
          for (int64_t oh = rlo; oh < rhi; ++oh, src += step, d += OW) {
            copy_row(d, src, OW);
          }
          continue;
        }
        for (int64_t oh = rlo; oh < rhi; ++oh) {
          T* __restrict d = dst + oh * g.OW;
          const T* __restrict src = xc + (oh * g.sh + offh) * g.W + off;
          for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
          if (g.sw == 1) {
            if (hi > lo) copy_row(d + lo, src + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] = src[ow * g.sw];
          }
          for (int64_t ow = hi; ow < g.OW; ++ow) d[ow] = T(0);
        }
      }
    }
  }
}

// The adjoint of im2col: x (Cg, H, W) += scattered col.
template <typename T>
void col2im(const T* col, int64_t ld, T* x, const Conv2dGeom& g, int64_t Cg) {
  const int64_t HW = g.H * g.W;
  for (int64_t c = 0; c < Cg; ++c) {
    T* xc = x + c * HW;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.pt;
      int64_t rlo, rhi;
      valid_rows(offh, g.sh, g.H, g.OH, &rlo, &rhi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const T* src = col + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t off = kw * g.dw - g.pl;
        int64_t lo, hi;
        valid_range(off, g.sw, g.W, g.OW, &lo, &hi);
        for (int64_t oh = rlo; oh < rhi; ++oh) {
          const T* s = src + oh * g.OW;
          T* d = xc + (oh * g.sh + offh) * g.W + off;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] += s[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow * g.sw] += s[ow];
          }
        }
      }
    }
  }
}

// Copies gy[n0 + j, oc0 + o, :] into buf (OCg, cnt * L) so a chunk of images is one matrix.
template <typename T>
void gather_rows(const T* gy, T* buf, int64_t n0, int64_t cnt, int64_t oc0, const Conv2dGeom& g,
                 const ConvDims& d) {
  for (int64_t o = 0; o < d.OCg; ++o) {
    for (int64_t j = 0; j < cnt; ++j) {
      std::memcpy(buf + o * cnt * d.L + j * d.L, gy + ((n0 + j) * g.OC + oc0 + o) * d.L,
                  sizeof(T) * d.L);
    }
  }
}

// While alive, OpenBLAS runs single-threaded so that each of our image workers can call it
// without its threads spinning against ours; `threads` is the count configured before. Nested or
// concurrent uses share one saved value.
class BlasSingleThread {
 public:
  BlasSingleThread() {
    std::lock_guard<std::mutex> lock(mu());
    if (depth()++ == 0) {
      saved() = blas_threads();
      set_blas_threads(1);
    }
    threads = get_num_threads();
  }
  ~BlasSingleThread() {
    std::lock_guard<std::mutex> lock(mu());
    if (--depth() == 0) set_blas_threads(saved());
  }
  BlasSingleThread(const BlasSingleThread&) = delete;
  BlasSingleThread& operator=(const BlasSingleThread&) = delete;
  int threads = 1;

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static int& depth() {
    static int d = 0;
    return d;
  }
  static int& saved() {
    static int s = 1;
    return s;
  }
};

// Splits images [0, N) into contiguous ranges, one per configured thread, and runs
// fn(begin, end, worker) on each on ember's pool, single-threaded BLAS inside; exceptions are
// rethrown here. The ranges depend on N and the worker count only (a pool thread that wakes late
// leaves its range to the others). With one worker fn runs once on the calling thread; BLAS may
// then thread itself unless `small` (GEMMs too small for threads to pay for their
// synchronization).
template <typename F>
void parallel_images(int64_t N, const F& fn, int max_workers = 1 << 30, bool small = false) {
  if (N < 2 || get_num_threads() <= 1 || max_workers <= 1) {
    if (small && get_num_threads() > 1) {
      BlasSingleThread guard;
      fn(int64_t{0}, N, 0);
    } else {
      fn(int64_t{0}, N, 0);
    }
    return;
  }
  BlasSingleThread guard;
  const int T = static_cast<int>(std::min<int64_t>(std::min(guard.threads, max_workers), N));
  if (T <= 1) {
    fn(int64_t{0}, N, 0);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(T));
  // `work` above the pool's threshold: the caller already decided the split pays.
  parallel_chunks(
      T, 1,
      [&](int64_t t, int64_t, int64_t) {
        const int64_t b = N * t / T, e = N * (t + 1) / T;
        try {
          fn(b, e, static_cast<int>(t));
        } catch (...) {
          errors[static_cast<size_t>(t)] = std::current_exception();
        }
      },
      kParallelThreshold);
  for (auto& err : errors) {
    if (err) std::rethrow_exception(err);
  }
}

// Workers for a convolution over N images: one per thread, but only when the multiply-adds
// (about 2^18 per extra thread) pay for starting it.
int workers_for(int64_t N, const ConvDims& d, const Conv2dGeom& g) {
  if (N < 2) return 1;
  const int64_t macs = N * g.OC * d.L * std::max<int64_t>(d.K, 1);
  const int64_t by_work = std::max<int64_t>(1, macs >> 18);
  return static_cast<int>(std::min<int64_t>({get_num_threads(), N, by_work}));
}

// Below about 4M multiply-adds a convolution's GEMMs run single-threaded.
bool conv_is_small(const ConvDims& d, const Conv2dGeom& g) {
  return g.N * g.OC * d.L * std::max<int64_t>(d.K, 1) < (int64_t{1} << 22);
}

// Uninitialized per-worker scratch from ember's allocator (allocated on the calling thread).
template <typename T>
class Scratch {
 public:
  Scratch(int workers, int64_t per_worker, DType dt) : per_(per_worker) {
    if (per_worker > 0) {
      buf_ = empty({per_worker * workers}, dt);
      base_ = buf_.data_ptr<T>();
    }
  }
  T* at(int worker) const { return base_ == nullptr ? nullptr : base_ + worker * per_; }

 private:
  Tensor buf_;
  T* base_ = nullptr;
  int64_t per_;
};

// Whether every value is finite. Winograd's transforms take differences of inputs, so an Inf
// would come out as NaN where the direct sum gives Inf: such operands take the im2col path.
bool all_finite(const Tensor& t) {
  const uint32_t* p = static_cast<const uint32_t*>(t.raw_data());
  const int64_t n = t.numel();
  std::atomic<bool> ok{true};
  parallel_chunks(n, elementwise_chunk(n), [&](int64_t, int64_t b, int64_t e) {
    uint32_t bad = 0;
    for (int64_t i = b; i < e; ++i) bad |= static_cast<uint32_t>((p[i] & 0x7f800000u) == 0x7f800000u);
    if (bad) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

// The column matrix (d.K rows, row stride *ld) of images [n0, n0 + cnt) of group gi: the kept
// columns of all images side by side (`keep`, written first when `fill_keep`), the input plane
// itself for a pointwise convolution of one image, or im2col into `col`.
template <typename T>
const T* columns(const T* x, T* keep, bool fill_keep, T* col, const Conv2dGeom& g,
                 const ConvDims& d, int64_t n0, int64_t cnt, int64_t gi, int64_t* ld) {
  const T* xg = x + (n0 * g.C + gi * d.Cg) * d.HW;
  if (keep != nullptr) {
    T* dst = keep + gi * d.K * g.N * d.L + n0 * d.L;
    *ld = g.N * d.L;
    if (fill_keep) {
      for (int64_t j = 0; j < cnt; ++j) im2col(xg + j * g.C * d.HW, dst + j * d.L, *ld, g, d.Cg);
    }
    return dst;
  }
  *ld = cnt * d.L;
  if (d.pointwise && cnt == 1) return xg;
  for (int64_t j = 0; j < cnt; ++j) im2col(xg + j * g.C * d.HW, col + j * d.L, *ld, g, d.Cg);
  return col;
}

winograd::Plane wino_plane(const Conv2dGeom& g) {
  return {g.N, g.C, g.H, g.W, g.OC, g.OH, g.OW, g.pt, g.pl};
}

template <typename T>
void conv_forward_t(const Tensor& y_t, const Tensor& x_t, const Tensor& w_t, const Tensor& b_t,
                    const Conv2dGeom& g, const Tensor& keep_t) {
  if constexpr (std::is_same_v<T, float>) {
    if (!keep_t.defined() && winograd::applies(g, x_t.dtype()) && all_finite(x_t) &&
        all_finite(w_t)) {
      BlasSingleThread guard;
      winograd::conv(wino_plane(g), x_t.data_ptr<float>(), w_t.data_ptr<float>(),
                     b_t.defined() ? b_t.data_ptr<float>() : nullptr, y_t.data_ptr<float>());
      return;
    }
  }
  const ConvDims d = dims_of(g);
  const T* x = x_t.data_ptr<T>();
  const T* w = w_t.data_ptr<T>();
  const T* b = b_t.defined() ? b_t.data_ptr<T>() : nullptr;
  T* y = y_t.data_ptr<T>();
  const DType dt = x_t.dtype();
  const int64_t nb = chunk_of(g, d);
  const int nw = workers_for(g.N, d, g);
  T* keep = keep_t.defined() ? keep_t.data_ptr<T>() : nullptr;
  Scratch<T> cols(nw, keep != nullptr || (d.pointwise && nb == 1) ? 0 : d.K * d.L * nb, dt);
  Scratch<T> tmps(nw, nb > 1 ? d.OCg * d.L * nb : 0, dt);
  parallel_images(g.N, [&](int64_t nbeg, int64_t nend, int worker) {
    T* col = cols.at(worker);
    T* tmp = tmps.at(worker);
    for (int64_t n0 = nbeg; n0 < nend; n0 += nb) {
      const int64_t cnt = std::min(nb, nend - n0);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        int64_t ldb;
        const T* B = columns(x, keep, true, col, g, d, n0, cnt, gi, &ldb);
        const T* A = w + gi * d.OCg * d.K;
        if (cnt == 1) {
          gemm(false, false, d.OCg, d.L, d.K, 1.0, A, d.K, B, ldb, 0.0,
               y + (n0 * g.OC + gi * d.OCg) * d.L, d.L, dt);
        } else {
          gemm(false, false, d.OCg, cnt * d.L, d.K, 1.0, A, d.K, B, ldb, 0.0, tmp,
               cnt * d.L, dt);
          // Scatter the chunk's rows to their images, adding the bias on the way.
          for (int64_t o = 0; o < d.OCg; ++o) {
            const int64_t oc = gi * d.OCg + o;
            for (int64_t j = 0; j < cnt; ++j) {
              T* __restrict dst = y + ((n0 + j) * g.OC + oc) * d.L;
              const T* __restrict src = tmp + o * cnt * d.L + j * d.L;
              if (b == nullptr) {
                std::memcpy(dst, src, sizeof(T) * d.L);
              } else {
                const T bv = b[oc];
                for (int64_t l = 0; l < d.L; ++l) dst[l] = src[l] + bv;
              }
            }
          }
        }
      }
      if (cnt > 1 && d.K > 0) continue;  // bias already added
      for (int64_t n = n0; n < n0 + cnt; ++n) {
        for (int64_t oc = 0; oc < g.OC; ++oc) {
          T* row = y + (n * g.OC + oc) * d.L;
          if (d.K == 0) std::fill(row, row + d.L, T(0));
          if (b == nullptr) continue;
          const T bv = b[oc];
          for (int64_t l = 0; l < d.L; ++l) row[l] += bv;
        }
      }
    }
  }, nw, conv_is_small(d, g));
}

template <typename T>
void conv_backward_input_t(const Tensor& gx_t, const Tensor& gy_t, const Tensor& w_t,
                           const Conv2dGeom& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (winograd::applies(g, gy_t.dtype()) && all_finite(gy_t) && all_finite(w_t)) {
      // The input gradient is the correlation of gy with the flipped, transposed kernel.
      const float* w = w_t.data_ptr<float>();
      std::vector<float> wf(static_cast<size_t>(g.OC * g.C * 9));
      for (int64_t oc = 0; oc < g.OC; ++oc) {
        for (int64_t c = 0; c < g.C; ++c) {
          for (int k = 0; k < 9; ++k) wf[(c * g.OC + oc) * 9 + k] = w[(oc * g.C + c) * 9 + 8 - k];
        }
      }
      const winograd::Plane p{g.N, g.OC, g.OH, g.OW, g.C, g.H, g.W, 2 - g.pt, 2 - g.pl};
      BlasSingleThread guard;
      winograd::conv(p, gy_t.data_ptr<float>(), wf.data(), nullptr, gx_t.data_ptr<float>());
      return;
    }
  }
  const ConvDims d = dims_of(g);
  const T* gy = gy_t.data_ptr<T>();
  const T* w = w_t.data_ptr<T>();
  T* gx = gx_t.data_ptr<T>();
  const DType dt = gx_t.dtype();
  const int64_t nb = chunk_of(g, d);
  const int nw = workers_for(g.N, d, g);
  const bool direct = d.pointwise && nb == 1 && d.OCg > 0;
  Scratch<T> cols(nw, direct ? 0 : d.K * d.L * nb, dt);
  Scratch<T> tmps(nw, nb > 1 ? d.OCg * d.L * nb : 0, dt);
  parallel_images(g.N, [&](int64_t nbeg, int64_t nend, int worker) {
    T* col = cols.at(worker);
    T* tmp = tmps.at(worker);
    if (!direct) std::fill(gx + nbeg * g.C * d.HW, gx + nend * g.C * d.HW, T(0));
    if (d.OCg == 0 || d.L == 0) return;
    for (int64_t n0 = nbeg; n0 < nend; n0 += nb) {
      const int64_t cnt = std::min(nb, nend - n0);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const T* A;
        if (cnt == 1) {
          A = gy + (n0 * g.OC + gi * d.OCg) * d.L;
        } else {
          gather_rows(gy, tmp, n0, cnt, gi * d.OCg, g, d);
          A = tmp;
        }
        const T* Wg = w + gi * d.OCg * d.K;
        if (direct) {
          gemm(true, false, d.K, d.L, d.OCg, 1.0, Wg, d.K, A, d.L, 0.0,
               gx + (n0 * g.C + gi * d.Cg) * d.HW, d.L, dt);
          continue;
        }
        gemm(true, false, d.K, cnt * d.L, d.OCg, 1.0, Wg, d.K, A, cnt * d.L, 0.0, col,
             cnt * d.L, dt);
        for (int64_t j = 0; j < cnt; ++j) {
          col2im(col + j * d.L, cnt * d.L, gx + ((n0 + j) * g.C + gi * d.Cg) * d.HW, g,
                 d.Cg);
        }
      }
    }
  }, nw, conv_is_small(d, g));
}

template <typename T>
void conv_backward_weight_t(const Tensor& gw_t, const Tensor& x_t, const Tensor& gy_t,
                            const Conv2dGeom& g, const Tensor& keep_t) {
  if constexpr (std::is_same_v<T, float>) {
    if (!keep_t.defined() && winograd::applies(g, gy_t.dtype()) && all_finite(x_t) &&
        all_finite(gy_t)) {
      BlasSingleThread guard;
      winograd::conv_weight_grad(wino_plane(g), x_t.data_ptr<float>(), gy_t.data_ptr<float>(),
                                 gw_t.data_ptr<float>());
      return;
    }
  }
  const ConvDims d = dims_of(g);
  const T* x = x_t.defined() ? x_t.data_ptr<T>() : nullptr;
  const T* gy = gy_t.data_ptr<T>();
  T* gw = gw_t.data_ptr<T>();
  const DType dt = gw_t.dtype();
  const int64_t wsize = g.OC * d.K;
  const int64_t nb = chunk_of(g, d);
  // Worker 0 accumulates into gw, the others into private buffers summed at the end.
  const int nw = workers_for(g.N, d, g);
  std::vector<T> partial(static_cast<size_t>(wsize * (nw - 1)), T(0));
  const T* keep = keep_t.defined() ? keep_t.data_ptr<T>() : nullptr;
  Scratch<T> cols(nw, keep != nullptr || (d.pointwise && nb == 1) ? 0 : d.K * d.L * nb, dt);
  Scratch<T> tmps(nw, nb > 1 ? d.OCg * d.L * nb : 0, dt);
  std::fill(gw, gw + wsize, T(0));
  parallel_images(g.N, [&](int64_t nbeg, int64_t nend, int worker) {
    T* acc = worker == 0 ? gw : partial.data() + (worker - 1) * wsize;
    T* col = cols.at(worker);
    T* tmp = tmps.at(worker);
    for (int64_t n0 = nbeg; n0 < nend; n0 += nb) {
      const int64_t cnt = std::min(nb, nend - n0);
      if (cnt * d.L == 0) continue;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        int64_t ldb;
        const T* B = columns(x, const_cast<T*>(keep), false, col, g, d, n0, cnt, gi, &ldb);
        const T* A;
        if (cnt == 1) {
          A = gy + (n0 * g.OC + gi * d.OCg) * d.L;
        } else {
          gather_rows(gy, tmp, n0, cnt, gi * d.OCg, g, d);
          A = tmp;
        }
        gemm(false, true, d.OCg, d.K, cnt * d.L, 1.0, A, cnt * d.L, B, ldb, 1.0,
             acc + gi * d.OCg * d.K, d.K, dt);
      }
    }
  }, nw, conv_is_small(d, g));
  for (int t = 1; t < nw; ++t) {
    const T* p = partial.data() + (t - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) gw[i] += p[i];
  }
}

// Pooling splits its planes over the threads once there is enough work to pay for them.
int pool_workers(int64_t elements) { return elements >= (int64_t{1} << 15) ? 1 << 30 : 1; }

// ---- pooling ---------------------------------------------------------------------------------

template <typename T>
void max_pool_forward_t(const Tensor& y_t, const Tensor& i_t, const Tensor& x_t,
                        const Pool2dGeom& g) {
  const T* x = x_t.data_ptr<T>();
  T* y = y_t.data_ptr<T>();
  int64_t* idx = i_t.data_ptr<int64_t>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  // PyTorch's rule: a value replaces the running max when larger or NaN (so NaN propagates).
  auto better = [](T v, T best) { return v > best || v != v; };
  // Fast path: no padding, no dilation, every window inside the plane.
  const bool inside = g.pt == 0 && g.pl == 0 && g.dh == 1 && g.dw == 1 &&
                      (g.OH - 1) * g.sh + g.KH <= g.H && (g.OW - 1) * g.sw + g.KW <= g.W;
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    const T* xp = x + p * HW;
    T* yp = y + p * L;
    int64_t* ip = idx + p * L;
    if (inside && g.KH == 2 && g.KW == 2) {
      // Geometry in locals: the index stores (int64_t) could otherwise alias g's fields.
      const int64_t W = g.W, OW = g.OW, OH = g.OH, sh = g.sh, sw = g.sw;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h = oh * sh;
        const T* __restrict r0 = xp + h * W;
        const T* __restrict r1 = r0 + W;
        T* __restrict yo = yp + oh * OW;
        int64_t* __restrict io = ip + oh * OW;
        int64_t ow = 0;
        if constexpr (std::is_same_v<T, float>) {
          if (sw == 2) ow = conv_simd::max_pool_2x2_s2_row(r0, r1, OW, h * W, W, yo, io);
        }
        for (; ow < OW; ++ow) {
          const int64_t w = ow * sw;
          // Selects rather than branches: the comparisons are unpredictable on real data.
          const int64_t i0 = h * W + w;
          const T a = r0[w], b = r0[w + 1], c = r1[w], d = r1[w + 1];
          T best = a;
          int64_t bi = i0;
          bool k = better(b, best);
          best = k ? b : best;
          bi = k ? i0 + 1 : bi;
          k = better(c, best);
          best = k ? c : best;
          bi = k ? i0 + W : bi;
          k = better(d, best);
          best = k ? d : best;
          bi = k ? i0 + W + 1 : bi;
          yo[ow] = best;
          io[ow] = bi;
        }
      }
      continue;
    }
    if (inside) {
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = oh * g.sh;
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = ow * g.sw;
          T best = xp[h0 * g.W + w0];
          int64_t bi = h0 * g.W + w0;
          for (int64_t h = h0; h < h0 + g.KH; ++h) {
            const T* row = xp + h * g.W;
            for (int64_t w = w0; w < w0 + g.KW; ++w) {
              if (better(row[w], best)) {
                best = row[w];
                bi = h * g.W + w;
              }
            }
          }
          yp[oh * g.OW + ow] = best;
          ip[oh * g.OW + ow] = bi;
        }
      }
      continue;
    }
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0 = oh * g.sh - g.pt;
      const int64_t h1 = std::min(h0 + (g.KH - 1) * g.dh + 1, g.H);
      while (h0 < 0) h0 += g.dh;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0 = ow * g.sw - g.pl;
        const int64_t w1 = std::min(w0 + (g.KW - 1) * g.dw + 1, g.W);
        while (w0 < 0) w0 += g.dw;
        T best = -std::numeric_limits<T>::infinity();
        int64_t bi = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; h += g.dh) {
          const T* row = xp + h * g.W;
          for (int64_t w = w0; w < w1; w += g.dw) {
            if (better(row[w], best)) {
              best = row[w];
              bi = h * g.W + w;
            }
          }
        }
        yp[oh * g.OW + ow] = best;
        ip[oh * g.OW + ow] = bi;
      }
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

template <typename T>
void max_pool_backward_t(const Tensor& gx_t, const Tensor& gy_t, const Tensor& i_t,
                         int64_t planes, int64_t in_plane, int64_t out_plane) {
  T* gx = gx_t.data_ptr<T>();
  const T* gy = gy_t.data_ptr<T>();
  const int64_t* idx = i_t.data_ptr<int64_t>();
  parallel_images(planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    std::fill(gx + p * in_plane, gx + (p + 1) * in_plane, T(0));
    T* gp = gx + p * in_plane;
    const T* yp = gy + p * out_plane;
    const int64_t* ip = idx + p * out_plane;
    for (int64_t o = 0; o < out_plane; ++o) gp[ip[o]] += yp[o];
  }
  }, pool_workers(planes * in_plane));
}

// Window of output (oh, ow) for average pooling and its divisor (PyTorch's rules: the padded
// window size clipped to H + pad, or the count of real cells, or the override).
struct AvgWin {
  int64_t h0, h1, w0, w1;
  double div;
};

AvgWin avg_window(const Pool2dGeom& g, int64_t oh, int64_t ow, bool include_pad,
                  int64_t divisor) {
  int64_t h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  int64_t h1 = std::min(h0 + g.KH, g.H + g.pt), w1 = std::min(w0 + g.KW, g.W + g.pl);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.H);
  w1 = std::min(w1, g.W);
  double div;
  if (divisor > 0) {
    div = static_cast<double>(divisor);
  } else if (include_pad) {
    div = static_cast<double>(padded);
  } else {
    div = static_cast<double>((h1 - h0) * (w1 - w0));
  }
  return {h0, h1, w0, w1, div};
}

template <typename T>
void avg_pool_forward_t(const Tensor& y_t, const Tensor& x_t, const Pool2dGeom& g,
                        bool include_pad, int64_t divisor) {
  const T* x = x_t.data_ptr<T>();
  T* y = y_t.data_ptr<T>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  std::vector<AvgWin> wins;
  wins.reserve(static_cast<size_t>(L));
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < g.OW; ++ow) wins.push_back(avg_window(g, oh, ow, include_pad, divisor));
  }
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    const T* xp = x + p * HW;
    T* yp = y + p * L;
    for (int64_t o = 0; o < L; ++o) {
      const AvgWin& a = wins[o];
      T s = 0;
      for (int64_t h = a.h0; h < a.h1; ++h) {
        for (int64_t w = a.w0; w < a.w1; ++w) s += xp[h * g.W + w];
      }
      yp[o] = a.div > 0 ? static_cast<T>(s / static_cast<T>(a.div)) : T(0);
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

template <typename T>
void avg_pool_backward_t(const Tensor& gx_t, const Tensor& gy_t, const Pool2dGeom& g,
                         bool include_pad, int64_t divisor) {
  T* gx = gx_t.data_ptr<T>();
  const T* gy = gy_t.data_ptr<T>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  std::vector<AvgWin> wins;
  wins.reserve(static_cast<size_t>(L));
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < g.OW; ++ow) wins.push_back(avg_window(g, oh, ow, include_pad, divisor));
  }
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    std::fill(gx + p * HW, gx + (p + 1) * HW, T(0));
    T* gp = gx + p * HW;
    const T* yp = gy + p * L;
    for (int64_t o = 0; o < L; ++o) {
      const AvgWin& a = wins[o];
      if (!(a.div > 0)) continue;
      const T v = yp[o] / static_cast<T>(a.div);
      for (int64_t h = a.h0; h < a.h1; ++h) {
        for (int64_t w = a.w0; w < a.w1; ++w) gp[h * g.W + w] += v;
      }
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
int64_t adaptive_end(int64_t o, int64_t in, int64_t out) { return ceil_div((o + 1) * in, out); }

template <typename T>
void adaptive_avg_forward_t(const Tensor& y_t, const Tensor& x_t, const Pool2dGeom& g) {
  const T* x = x_t.data_ptr<T>();
  T* y = y_t.data_ptr<T>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    const T* xp = x + p * HW;
    T* yp = y + p * L;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
        T s = 0;
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
        }
        yp[oh * g.OW + ow] = s / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

template <typename T>
void adaptive_avg_backward_t(const Tensor& gx_t, const Tensor& gy_t, const Pool2dGeom& g) {
  T* gx = gx_t.data_ptr<T>();
  const T* gy = gy_t.data_ptr<T>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    std::fill(gx + p * HW, gx + (p + 1) * HW, T(0));
    T* gp = gx + p * HW;
    const T* yp = gy + p * L;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
        const T v = yp[oh * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) gp[h * g.W + w] += v;
        }
      }
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

template <typename T>
void adaptive_max_forward_t(const Tensor& y_t, const Tensor& i_t, const Tensor& x_t,
                            const Pool2dGeom& g) {
  const T* x = x_t.data_ptr<T>();
  T* y = y_t.data_ptr<T>();
  int64_t* idx = i_t.data_ptr<int64_t>();
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  parallel_images(g.planes, [&](int64_t pb, int64_t pe, int) {
  for (int64_t p = pb; p < pe; ++p) {
    const T* xp = x + p * HW;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
        T best = -std::numeric_limits<T>::infinity();
        int64_t bi = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) {
            const T v = xp[h * g.W + w];
            if (v > best || std::isnan(v)) {
              best = v;
              bi = h * g.W + w;
            }
          }
        }
        y[p * L + oh * g.OW + ow] = best;
        idx[p * L + oh * g.OW + ow] = bi;
      }
    }
  }
  }, pool_workers(g.planes * g.H * g.W));
}

}  // namespace

void conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b,
                    const Conv2dGeom& g, const Tensor& cols) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv2d",
                          [&] { conv_forward_t<scalar_t>(y, x, w, b, g, cols); });
}

void conv2d_backward_input(const Tensor& gx, const Tensor& gy, const Tensor& w,
                           const Conv2dGeom& g) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "conv2d",
                          [&] { conv_backward_input_t<scalar_t>(gx, gy, w, g); });
}

void conv2d_backward_weight(const Tensor& gw, const Tensor& x, const Tensor& gy,
                            const Conv2dGeom& g, const Tensor& cols) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "conv2d",
                          [&] { conv_backward_weight_t<scalar_t>(gw, x, gy, g, cols); });
}

void max_pool2d_forward(const Tensor& y, const Tensor& idx, const Tensor& x,
                        const Pool2dGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "max_pool2d",
                          [&] { max_pool_forward_t<scalar_t>(y, idx, x, g); });
}

void max_pool_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx, int64_t planes,
                       int64_t in_plane, int64_t out_plane) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "max_pool2d", [&] {
    max_pool_backward_t<scalar_t>(gx, gy, idx, planes, in_plane, out_plane);
  });
}

void avg_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dGeom& g,
                        bool count_include_pad, int64_t divisor) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    avg_pool_forward_t<scalar_t>(y, x, g, count_include_pad, divisor);
  });
}

void avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const Pool2dGeom& g,
                         bool count_include_pad, int64_t divisor) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "avg_pool2d", [&] {
    avg_pool_backward_t<scalar_t>(gx, gy, g, count_include_pad, divisor);
  });
}

void adaptive_avg_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "adaptive_avg_pool2d",
                          [&] { adaptive_avg_forward_t<scalar_t>(y, x, g); });
}

void adaptive_avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const Pool2dGeom& g) {
  EMBER_DISPATCH_FLOATING(gy.dtype(), "adaptive_avg_pool2d",
                          [&] { adaptive_avg_backward_t<scalar_t>(gx, gy, g); });
}

void adaptive_max_pool2d_forward(const Tensor& y, const Tensor& idx, const Tensor& x,
                                 const Pool2dGeom& g) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "adaptive_max_pool2d",
                          [&] { adaptive_max_forward_t<scalar_t>(y, idx, x, g); });
}

}  // namespace ember::cpu
