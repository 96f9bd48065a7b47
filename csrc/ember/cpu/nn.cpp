#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "ember/cpu/kernels.h"

namespace ember::cpu {

namespace {

// Softmax of one contiguous row of length n (the fast last-dim case).
template <typename T>
void softmax_row(T* y, const T* x, int64_t n, bool log) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, x[j]);
  if (!std::isfinite(m)) m = std::isnan(m) ? m : T(0);
  using Acc = double;
  Acc s = 0;
  if (log) {
    for (int64_t j = 0; j < n; ++j) s += std::exp(static_cast<Acc>(x[j] - m));
    const T ls = static_cast<T>(std::log(s));
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - m) - ls;
  } else {
    for (int64_t j = 0; j < n; ++j) {
      T e = std::exp(x[j] - m);
      y[j] = e;
      s += e;
    }
    const T inv = static_cast<T>(1.0 / s);
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
    for (int64_t i = 0; i < inner; ++i) m[i] = std::max(m[i], xr[i]);
  }
  for (int64_t i = 0; i < inner; ++i) {
    if (!std::isfinite(m[i])) m[i] = std::isnan(m[i]) ? m[i] : T(0);
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xr = x + j * inner;
    T* yr = y + j * inner;
    for (int64_t i = 0; i < inner; ++i) {
      T e = std::exp(xr[i] - m[i]);
      if (!log) yr[i] = e;
      s[i] += e;
    }
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

void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t n, int64_t inner,
             bool log) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(in.dtype(), "softmax", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    for (int64_t o = 0; o < outer; ++o) {
      if (inner == 1) {
        softmax_row(y + o * n, x + o * n, n, log);
      } else {
        softmax_strided(y + o * n * inner, x + o * n * inner, n, inner, log);
      }
    }
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

}  // namespace ember::cpu
