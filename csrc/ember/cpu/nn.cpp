#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"

// FP compares in the branch-free exp below may only be if-converted (and so vectorized) when
// the compiler may assume they do not trap; ember never enables FP exceptions.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

namespace ember::cpu {

namespace {

// exp for float in a form the compiler vectorizes (no libm call): Cody-Waite range reduction
// x = n ln2 + r, a degree-6 polynomial on r (Cephes expf coefficients), then 2^n through the
// exponent bits. About 1 ulp on the softmax range x <= 0; below -87.3 it returns 0.
inline float vexp(float x) {
  // Branch-free so the loops vectorize: an integer mask zeroes the scale below the range
  // (NaN still propagates through y).
  const int32_t keep = -static_cast<int32_t>(x >= -87.3f);
  x = -87.3f > x ? -87.3f : x;  // NaN stays NaN in both clamps
  x = 88.7f < x ? 88.7f : x;
  // Round to nearest with the 1.5 * 2^23 trick (SSE2 has no vector floor).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = ((static_cast<int32_t>(n) + 127) << 23) & keep;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}
inline double vexp(double x) { return std::exp(x); }

constexpr int kLanes = 16;

// Max of a contiguous row, in lanes so the loop vectorizes. NaNs are not propagated here;
// they propagate through exp(x - max) instead.
template <typename T>
T row_max(const T* x, int64_t n) {
  T lanes[kLanes];
  for (int k = 0; k < kLanes; ++k) lanes[k] = -std::numeric_limits<T>::infinity();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) lanes[k] = x[j + k] > lanes[k] ? x[j + k] : lanes[k];
  }
  T m = -std::numeric_limits<T>::infinity();
  for (int k = 0; k < kLanes; ++k) m = lanes[k] > m ? lanes[k] : m;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// sum_j exp(x[j] - m), also stored into y when y is not null; lane-wise partial sums.
template <typename T>
double row_exp_sum(T* y, const T* x, int64_t n, T m) {
  T lanes[kLanes] = {};
  int64_t j = 0;
  if (y) {
    for (; j + kLanes <= n; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const T e = vexp(x[j + k] - m);
        y[j + k] = e;
        lanes[k] += e;
      }
    }
  } else {
    for (; j + kLanes <= n; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) lanes[k] += vexp(x[j + k] - m);
    }
  }
  double s = 0;
  for (int k = 0; k < kLanes; ++k) s += lanes[k];
  for (; j < n; ++j) {
    const T e = vexp(x[j] - m);
    if (y) y[j] = e;
    s += e;
  }
  return s;
}

// Softmax of one contiguous row of length n (the fast last-dim case).
template <typename T>
void softmax_row(T* y, const T* x, int64_t n, bool log) {
  T m = row_max(x, n);
  // A row of -inf only: shift by 0 (all results NaN, as in PyTorch). A +inf max stays, so the
  // row comes out NaN as in PyTorch (inf - inf), rather than a 0 next to a NaN.
  if (std::isinf(m) && m < 0) m = T(0);
  if (log) {
    const T ls = static_cast<T>(std::log(row_exp_sum<T>(nullptr, x, n, m)));
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - m) - ls;
  } else {
    const T inv = static_cast<T>(1.0 / row_exp_sum(y, x, n, m));
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

// Softmax over the middle dim of (outer, n, inner) with inner > 1: vectorizes across inner.
template <typename T>
void softmax_strided(T* y, const T* x, int64_t n, int64_t inner, bool log) {
  std::vector<T> m(inner, -std::numeric_limits<T>::infinity());
  std::vector<double> s(inner, 0.0);
  for (int64_t j = 0; j < n; ++j) {
    const T* xr = x + j * inner;
    for (int64_t i = 0; i < inner; ++i) m[i] = xr[i] > m[i] ? xr[i] : m[i];
  }
  for (int64_t i = 0; i < inner; ++i) {
    if (std::isinf(m[i]) && m[i] < 0) m[i] = T(0);  // as in softmax_row
  }
  // exp into y first (log_softmax overwrites it below), then accumulate: two simple loops
  // vectorize where one mixed-precision loop would not.
  for (int64_t j = 0; j < n; ++j) {
    const T* xr = x + j * inner;
    T* yr = y + j * inner;
    for (int64_t i = 0; i < inner; ++i) yr[i] = vexp(xr[i] - m[i]);
    for (int64_t i = 0; i < inner; ++i) s[i] += yr[i];
  }
  for (int64_t i = 0; i < inner; ++i) {
    if (log) {
      s[i] = std::log(s[i]);
    } else {
      s[i] = 1.0 / s[i];
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xr = x + j * inner;
    T* yr = y + j * inner;
    for (int64_t i = 0; i < inner; ++i) {
      yr[i] = log ? (xr[i] - m[i]) - static_cast<T>(s[i]) : yr[i] * static_cast<T>(s[i]);
    }
  }
}

}  // namespace

// Rows per parallel chunk for row-wise work of `n` elements per row: about 8K elements each
// (softmax, layer norm, the LSTM cell).
static int64_t rows_per_chunk(int64_t n) {
  return std::max<int64_t>(1, (int64_t{1} << 13) / std::max<int64_t>(n, 1));
}

void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t n, int64_t inner,
             bool log) {
  if (n == 0) return;
  const simd::Kernels* k = in.dtype() == DType::Float32 && inner == 1 ? simd::active() : nullptr;
  EMBER_DISPATCH_FLOATING(in.dtype(), "softmax", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    // Rows are independent: split them over the threads.
    parallel_chunks(outer, inner == 1 ? rows_per_chunk(n) : 1, [&](int64_t, int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        if (inner == 1) {
          if constexpr (std::is_same_v<scalar_t, float>) {
            if (k != nullptr) {
              k->softmax_row_f32(reinterpret_cast<float*>(y + o * n),
                                 reinterpret_cast<const float*>(x + o * n), n, log);
              continue;
            }
          }
          softmax_row(y + o * n, x + o * n, n, log);
        } else {
          softmax_strided(y + o * n * inner, x + o * n * inner, n, inner, log);
        }
      }
    }, outer * n * inner);
  });
}

void softmax_backward(const Tensor& dx, const Tensor& g, const Tensor& y, int64_t outer,
                      int64_t n, bool log) {
  if (n == 0) return;
  const simd::Kernels* k = y.dtype() == DType::Float32 ? simd::active() : nullptr;
  EMBER_DISPATCH_FLOATING(y.dtype(), "softmax_backward", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* yp = y.data_ptr<scalar_t>();
    scalar_t* d = dx.data_ptr<scalar_t>();
    parallel_chunks(outer, rows_per_chunk(n), [&](int64_t, int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const scalar_t* gr = gp + o * n;
        const scalar_t* yr = yp + o * n;
        scalar_t* dr = d + o * n;
        if constexpr (std::is_same_v<scalar_t, float>) {
          if (k != nullptr) {
            k->softmax_backward_row_f32(reinterpret_cast<float*>(dr),
                                        reinterpret_cast<const float*>(gr),
                                        reinterpret_cast<const float*>(yr), n, log);
            continue;
          }
        }
        double s = 0;
        if (log) {
          for (int64_t j = 0; j < n; ++j) s += gr[j];
          for (int64_t j = 0; j < n; ++j) dr[j] = gr[j] - std::exp(yr[j]) * static_cast<scalar_t>(s);
        } else {
          for (int64_t j = 0; j < n; ++j) s += gr[j] * yr[j];
          for (int64_t j = 0; j < n; ++j) dr[j] = yr[j] * (gr[j] - static_cast<scalar_t>(s));
        }
      }
    }, outer * n);
  });
}

int64_t find_bad_target(const Tensor& target, int64_t C, int64_t ignore_index) {
  const int64_t* t = target.data_ptr<int64_t>();
  for (int64_t i = 0, n = target.numel(); i < n; ++i) {
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= C)) return i;
  }
  return -1;
}

void nll_forward(const Tensor& loss, const Tensor& wt, const Tensor& logp, const Tensor& target,
                 const Tensor& weight, int64_t outer, int64_t C, int64_t inner,
                 int64_t ignore_index) {
  EMBER_DISPATCH_FLOATING(logp.dtype(), "nll_loss", [&] {
    const scalar_t* lp = logp.data_ptr<scalar_t>();
    const int64_t* t = target.data_ptr<int64_t>();
    const scalar_t* w = weight.defined() ? weight.data_ptr<scalar_t>() : nullptr;
    scalar_t* l = loss.data_ptr<scalar_t>();
    scalar_t* ws = wt.data_ptr<scalar_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = o * inner + i;
        const int64_t c = t[k];
        if (c == ignore_index || c < 0 || c >= C) {
          l[k] = 0;
          ws[k] = 0;
          continue;
        }
        const scalar_t wc = w ? w[c] : scalar_t(1);
        ws[k] = wc;
        l[k] = -wc * lp[(o * C + c) * inner + i];
      }
    }
  });
}

void scatter_class(const Tensor& out, const Tensor& target, const Tensor& value, int64_t outer,
                   int64_t C, int64_t inner) {
  EMBER_DISPATCH_ALL(out.dtype(), "scatter_class", [&] {
    scalar_t* y = out.data_ptr<scalar_t>();
    const scalar_t* v = value.data_ptr<scalar_t>();
    const int64_t* t = target.data_ptr<int64_t>();
    std::fill(y, y + outer * C * inner, scalar_t(0));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = o * inner + i;
        if (t[k] >= 0 && t[k] < C) y[(o * C + t[k]) * inner + i] = v[k];
      }
    }
  });
}

void embedding_gather(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t D = weight.dim() == 2 ? weight.sizes()[1] : 1;
  const size_t row_bytes = static_cast<size_t>(D) * itemsize(weight.dtype());
  const char* w = static_cast<const char*>(weight.raw_data());
  char* y = static_cast<char*>(out.raw_data());
  const int64_t* ix = idx.data_ptr<int64_t>();
  for (int64_t r = 0, n = idx.numel(); r < n; ++r) {
    std::memcpy(y + r * row_bytes, w + ix[r] * row_bytes, row_bytes);
  }
}

void embedding_scatter_add(const Tensor& grad_w, const Tensor& g, const Tensor& idx,
                           int64_t padding_idx) {
  EMBER_DISPATCH_FLOATING(grad_w.dtype(), "embedding_backward", [&] {
    const int64_t D = grad_w.sizes()[1];
    scalar_t* gw = grad_w.data_ptr<scalar_t>();
    const scalar_t* gr = g.data_ptr<scalar_t>();
    const int64_t* ix = idx.data_ptr<int64_t>();
    std::fill(gw, gw + grad_w.numel(), scalar_t(0));
    for (int64_t r = 0, n = idx.numel(); r < n; ++r) {
      if (ix[r] == padding_idx) continue;
      scalar_t* dst = gw + ix[r] * D;
      const scalar_t* src = gr + r * D;
      for (int64_t j = 0; j < D; ++j) dst[j] += src[j];
    }
  });
}

void layer_norm(const Tensor& out, const Tensor& in, const Tensor& w, const Tensor& b,
                int64_t rows, int64_t cols, double eps) {
  const simd::Kernels* k = in.dtype() == DType::Float32 ? simd::active() : nullptr;
  EMBER_DISPATCH_FLOATING(in.dtype(), "layer_norm", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
    const scalar_t* bp = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    parallel_chunks(rows, rows_per_chunk(cols), [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      if constexpr (std::is_same_v<scalar_t, float>) {
        if (k != nullptr) {
          k->layer_norm_row_f32(reinterpret_cast<float*>(y + r * cols),
                                reinterpret_cast<const float*>(x + r * cols),
                                reinterpret_cast<const float*>(wp),
                                reinterpret_cast<const float*>(bp), cols, eps);
          continue;
        }
      }
      const scalar_t* xr = x + r * cols;
      scalar_t* yr = y + r * cols;
      // Two passes in double: the mean, then the centered sum of squares (no cancellation).
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += xr[j];
      const double mean = s / static_cast<double>(cols);
      double ss = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const double d = xr[j] - mean;
        ss += d * d;
      }
      const auto mu = static_cast<scalar_t>(mean);
      const auto rstd = static_cast<scalar_t>(1.0 / std::sqrt(ss / static_cast<double>(cols) + eps));
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - mu) * rstd;
      if (wp) {
        for (int64_t j = 0; j < cols; ++j) yr[j] *= wp[j];
      }
      if (bp) {
        for (int64_t j = 0; j < cols; ++j) yr[j] += bp[j];
      }
    }
    }, rows * cols);
  });
}

void layer_norm_backward(const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& g,
                         const Tensor& in, const Tensor& w, int64_t rows, int64_t cols,
                         double eps) {
  const simd::Kernels* k = in.dtype() == DType::Float32 ? simd::active() : nullptr;
  EMBER_DISPATCH_FLOATING(in.dtype(), "layer_norm_backward", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
    scalar_t* d = dx.defined() ? dx.data_ptr<scalar_t>() : nullptr;
    const bool need_w = dw.defined(), need_b = db.defined();
    // dw and db are sums over rows: each chunk sums its rows into its own partials, added in
    // chunk order afterwards (the same result on any number of threads).
    const int64_t chunk = rows_per_chunk(cols);
    const int64_t nchunks = rows > 0 ? (rows + chunk - 1) / chunk : 0;
    std::vector<scalar_t> pw(need_w ? nchunks * cols : 0, scalar_t(0));
    std::vector<scalar_t> pb(need_b ? nchunks * cols : 0, scalar_t(0));
    parallel_chunks(rows, chunk, [&](int64_t c, int64_t r0, int64_t r1) {
      scalar_t* cw = need_w ? pw.data() + c * cols : nullptr;
      scalar_t* cb = need_b ? pb.data() + c * cols : nullptr;
      for (int64_t r = r0; r < r1; ++r) {
        const scalar_t* xr = x + r * cols;
        const scalar_t* gr = gp + r * cols;
        scalar_t* dr = d ? d + r * cols : nullptr;
        if constexpr (std::is_same_v<scalar_t, float>) {
          if (k != nullptr) {
            k->layer_norm_backward_row_f32(
                reinterpret_cast<float*>(dr), reinterpret_cast<float*>(cw),
                reinterpret_cast<float*>(cb), reinterpret_cast<const float*>(gr),
                reinterpret_cast<const float*>(xr), reinterpret_cast<const float*>(wp), cols, eps);
            continue;
          }
        }
        double s = 0;
        for (int64_t j = 0; j < cols; ++j) s += xr[j];
        const double mean = s / static_cast<double>(cols);
        double ss = 0;
        for (int64_t j = 0; j < cols; ++j) ss += (xr[j] - mean) * (xr[j] - mean);
        const double rstd = 1.0 / std::sqrt(ss / static_cast<double>(cols) + eps);
        double a = 0, bsum = 0;
        for (int64_t j = 0; j < cols; ++j) {
          const double xhat = (xr[j] - mean) * rstd;
          const double gw = static_cast<double>(gr[j]) * (wp ? wp[j] : scalar_t(1));
          a += gw;
          bsum += gw * xhat;
          if (cw) cw[j] += static_cast<scalar_t>(gr[j] * xhat);
          if (cb) cb[j] += gr[j];
        }
        if (!dr) continue;
        a /= static_cast<double>(cols);
        bsum /= static_cast<double>(cols);
        for (int64_t j = 0; j < cols; ++j) {
          const double xhat = (xr[j] - mean) * rstd;
          const double gw = static_cast<double>(gr[j]) * (wp ? wp[j] : scalar_t(1));
          dr[j] = static_cast<scalar_t>(rstd * (gw - a - xhat * bsum));
        }
      }
    }, rows * cols);
    if (need_w) {
      scalar_t* o = dw.data_ptr<scalar_t>();
      std::fill(o, o + cols, scalar_t(0));
      for (int64_t c = 0; c < nchunks; ++c) {
        for (int64_t j = 0; j < cols; ++j) o[j] += pw[c * cols + j];
      }
    }
    if (need_b) {
      scalar_t* o = db.data_ptr<scalar_t>();
      std::fill(o, o + cols, scalar_t(0));
      for (int64_t c = 0; c < nchunks; ++c) {
        for (int64_t j = 0; j < cols; ++j) o[j] += pb[c * cols + j];
      }
    }
  });
}

void dropout_mask(const Tensor& mask, double p, Generator& gen) {
  EMBER_DISPATCH_FLOATING(mask.dtype(), "dropout", [&] {
    scalar_t* m = mask.data_ptr<scalar_t>();
    const scalar_t keep = static_cast<scalar_t>(1.0 / (1.0 - p));
    std::lock_guard<std::mutex> lock(gen.mutex());
    for (int64_t i = 0, n = mask.numel(); i < n; ++i) {
      m[i] = gen.next_double() < p ? scalar_t(0) : keep;
    }
  });
}

namespace {

// The gate activations of rows [r0, r1) of an LSTM's gates (N, 4H) into `act` (4H per row):
// sigmoid of i, f, o and tanh of g, through the vector kernels for float32 (the ones the
// unfused ops use), else the scalar formulas.
template <typename T>
void lstm_activations(T* act, const T* gates, int64_t r0, int64_t r1, int64_t hid) {
  const simd::Kernels* k = std::is_same_v<T, float> ? simd::active() : nullptr;
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = gates + r * 4 * hid;
    T* a = act + (r - r0) * 4 * hid;
    if constexpr (std::is_same_v<T, float>) {
      if (k != nullptr) {
        k->unary_f32(UnaryOp::Sigmoid, a, row, 2 * hid, 0.0, 0.0);
        k->unary_f32(UnaryOp::Tanh, a + 2 * hid, row + 2 * hid, hid, 0.0, 0.0);
        k->unary_f32(UnaryOp::Sigmoid, a + 3 * hid, row + 3 * hid, hid, 0.0, 0.0);
        continue;
      }
    }
    for (int64_t j = 0; j < 4 * hid; ++j) {
      a[j] = (j >= 2 * hid && j < 3 * hid) ? std::tanh(row[j]) : kernels::sigmoid(row[j]);
    }
  }
}

// out[j] = tanh(x[j]) for a row of n values, as lstm_activations computes it.
template <typename T>
void lstm_tanh(T* out, const T* x, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (const simd::Kernels* k = simd::active()) {
      k->unary_f32(UnaryOp::Tanh, out, x, n, 0.0, 0.0);
      return;
    }
  }
  for (int64_t j = 0; j < n; ++j) out[j] = std::tanh(x[j]);
}

}  // namespace

void lstm_cell_forward(const Tensor& h, const Tensor& c, const Tensor& gates,
                       const Tensor& c_prev) {
  const int64_t n = c.sizes()[0];
  const int64_t hid = c.sizes()[1];
  EMBER_DISPATCH_FLOATING(c.dtype(), "lstm_cell", [&] {
    using T = scalar_t;
    const T* g = gates.data_ptr<T>();
    const T* cp = c_prev.data_ptr<T>();
    T* ho = h.data_ptr<T>();
    T* co = c.data_ptr<T>();
    parallel_chunks(n, rows_per_chunk(hid), [&](int64_t, int64_t r0, int64_t r1) {
      std::vector<T> act(static_cast<size_t>((r1 - r0) * 4 * hid));
      lstm_activations(act.data(), g, r0, r1, hid);
      for (int64_t r = r0; r < r1; ++r) {
        const T* a = act.data() + (r - r0) * 4 * hid;
        const T* cpr = cp + r * hid;
        T* cr = co + r * hid;
        for (int64_t j = 0; j < hid; ++j) cr[j] = a[hid + j] * cpr[j] + a[j] * a[2 * hid + j];
        T* hr = ho + r * hid;
        lstm_tanh(hr, cr, hid);
        for (int64_t j = 0; j < hid; ++j) hr[j] = a[3 * hid + j] * hr[j];
      }
    }, n * hid);
  });
}

void lstm_cell_backward(const Tensor& dgates, const Tensor& dc_prev, const Tensor& gates,
                        const Tensor& c_prev, const Tensor& dh, const Tensor& dc) {
  const int64_t n = c_prev.sizes()[0];
  const int64_t hid = c_prev.sizes()[1];
  EMBER_DISPATCH_FLOATING(c_prev.dtype(), "lstm_cell_backward", [&] {
    using T = scalar_t;
    const T* g = gates.data_ptr<T>();
    const T* cp = c_prev.data_ptr<T>();
    const T* gh = dh.data_ptr<T>();
    const T* gc = dc.data_ptr<T>();
    T* dg = dgates.data_ptr<T>();
    T* dcp = dc_prev.data_ptr<T>();
    parallel_chunks(n, rows_per_chunk(hid), [&](int64_t, int64_t r0, int64_t r1) {
      std::vector<T> act(static_cast<size_t>((r1 - r0) * 5 * hid));
      lstm_activations(act.data(), g, r0, r1, hid);
      T* tcs = act.data() + (r1 - r0) * 4 * hid;
      for (int64_t r = r0; r < r1; ++r) {
        const T* a = act.data() + (r - r0) * 4 * hid;
        T* tc = tcs + (r - r0) * hid;
        const T* cpr = cp + r * hid;
        // c again, rounded as the forward rounded it (not saved: the caller may change it).
        for (int64_t j = 0; j < hid; ++j) tc[j] = a[hid + j] * cpr[j] + a[j] * a[2 * hid + j];
        lstm_tanh(tc, tc, hid);
        const T* ghr = gh + r * hid;
        const T* gcr = gc + r * hid;
        T* drow = dg + r * 4 * hid;
        T* dcpr = dcp + r * hid;
        for (int64_t j = 0; j < hid; ++j) {
          const T i = a[j], f = a[hid + j], gg = a[2 * hid + j], o = a[3 * hid + j];
          const T dct = gcr[j] + ghr[j] * o * (T(1) - tc[j] * tc[j]);
          drow[j] = dct * gg * i * (T(1) - i);
          drow[hid + j] = dct * cpr[j] * f * (T(1) - f);
          drow[2 * hid + j] = dct * i * (T(1) - gg * gg);
          drow[3 * hid + j] = ghr[j] * tc[j] * o * (T(1) - o);
          dcpr[j] = dct * f;
        }
      }
    }, n * hid);
  });
}

}  // namespace ember::cpu
