#include <cmath>
#include <cstring>
#include <vector>

#include "ember/cpu/kernels.h"
#include "ember/cpu/sums.h"

namespace ember::cpu {

namespace {

// sg = sum(g), sgx = sum(g * (x - mu))
template <typename T>
void grad_sums(const T* g, const T* x, int64_t n, double mu, double& sg, double& sgx) {
  double a1[kLanes] = {}, a2[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const double gv = static_cast<double>(g[i + k]);
      a1[k] += gv;
      a2[k] += gv * (static_cast<double>(x[i + k]) - mu);
    }
  }
  double s1 = 0, s2 = 0;
  for (; i < n; ++i) {
    const double gv = static_cast<double>(g[i]);
    s1 += gv;
    s2 += gv * (static_cast<double>(x[i]) - mu);
  }
  for (int k = 0; k < kLanes; ++k) {
    s1 += a1[k];
    s2 += a2[k];
  }
  sg = s1;
  sgx = s2;
}

}  // namespace

void batch_norm_stats(std::vector<double>& mean, std::vector<double>& var, const Tensor& in,
                      int64_t outer, int64_t C, int64_t inner) {
  mean.assign(static_cast<size_t>(C), 0.0);
  var.assign(static_cast<size_t>(C), 0.0);
  const double count = static_cast<double>(outer * inner);
  EMBER_DISPATCH_FLOATING(in.dtype(), "batch_norm", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    // Two passes per channel (mean, then centered squares) so large offsets do not cancel.
    for (int64_t c = 0; c < C; ++c) {
      double s = 0;
      for (int64_t o = 0; o < outer; ++o) s += sum_of(x + (o * C + c) * inner, inner);
      const double mu = s / count;
      double ss = 0;
      for (int64_t o = 0; o < outer; ++o) ss += centered_sq_of(x + (o * C + c) * inner, inner, mu);
      mean[c] = mu;
      var[c] = ss / count;
    }
  });
}

void channel_affine(const Tensor& out, const Tensor& in, const std::vector<double>& center,
                    const std::vector<double>& scale, const std::vector<double>& shift,
                    int64_t outer, int64_t C, int64_t inner) {
  EMBER_DISPATCH_FLOATING(in.dtype(), "batch_norm", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < C; ++c) {
        const auto m = static_cast<scalar_t>(center[c]);
        const auto a = static_cast<scalar_t>(scale[c]);
        const auto b = static_cast<scalar_t>(shift[c]);
        const scalar_t* p = x + (o * C + c) * inner;
        scalar_t* q = y + (o * C + c) * inner;
        for (int64_t i = 0; i < inner; ++i) q[i] = (p[i] - m) * a + b;
      }
    }
  });
}

void batch_norm_backward_reduce(std::vector<double>& sum_g, std::vector<double>& sum_gxc,
                                const Tensor& g, const Tensor& x, const std::vector<double>& mean,
                                int64_t outer, int64_t C, int64_t inner) {
  sum_g.assign(static_cast<size_t>(C), 0.0);
  sum_gxc.assign(static_cast<size_t>(C), 0.0);
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* xp = x.data_ptr<scalar_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < C; ++c) {
        double s = 0, sx = 0;
        grad_sums(gp + (o * C + c) * inner, xp + (o * C + c) * inner, inner, mean[c], s, sx);
        sum_g[c] += s;
        sum_gxc[c] += sx;
      }
    }
  });
}

void channel_axpby(const Tensor& out, const Tensor& g, const Tensor& x, const std::vector<double>& a,
                   const std::vector<double>& b, const std::vector<double>& d, int64_t outer,
                   int64_t C, int64_t inner) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < C; ++c) {
        const auto av = static_cast<scalar_t>(a[c]);
        const auto bv = static_cast<scalar_t>(b[c]);
        const auto dv = static_cast<scalar_t>(d[c]);
        const int64_t base = (o * C + c) * inner;
        for (int64_t i = 0; i < inner; ++i) y[base + i] = gp[base + i] * av + xp[base + i] * bv + dv;
      }
    }
  });
}

void group_norm(const Tensor& out, const Tensor& in, const Tensor& w, const Tensor& b, int64_t N,
                int64_t C, int64_t G, int64_t inner, double eps, std::vector<double>& mean,
                std::vector<double>& rstd) {
  mean.assign(static_cast<size_t>(N * G), 0.0);
  rstd.assign(static_cast<size_t>(N * G), 0.0);
  EMBER_DISPATCH_FLOATING(in.dtype(), "group_norm", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
    const scalar_t* bp = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    const int64_t cpg = C / G;
    const int64_t len = cpg * inner;
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t grp = 0; grp < G; ++grp) {
        const int64_t base = (n * C + grp * cpg) * inner;
        const scalar_t* xr = x + base;
        const double mu = len > 0 ? sum_of(xr, len) / static_cast<double>(len) : 0.0;
        const double ss = centered_sq_of(xr, len, mu);
        const double rs = 1.0 / std::sqrt((len > 0 ? ss / static_cast<double>(len) : 0.0) + eps);
        mean[n * G + grp] = mu;
        rstd[n * G + grp] = rs;
        for (int64_t cc = 0; cc < cpg; ++cc) {
          const int64_t c = grp * cpg + cc;
          const double scale = rs * (wp ? static_cast<double>(wp[c]) : 1.0);
          const auto m = static_cast<scalar_t>(mu);
          const auto a = static_cast<scalar_t>(scale);
          const auto sh = static_cast<scalar_t>(bp ? bp[c] : scalar_t(0));
          const scalar_t* p = xr + cc * inner;
          scalar_t* q = y + base + cc * inner;
          for (int64_t i = 0; i < inner; ++i) q[i] = (p[i] - m) * a + sh;
        }
      }
    }
  });
}

void group_norm_backward(const Tensor& dx, std::vector<double>& dw, std::vector<double>& db,
                         const Tensor& g, const Tensor& x, const Tensor& w,
                         const std::vector<double>& mean, const std::vector<double>& rstd,
                         int64_t N, int64_t C, int64_t G, int64_t inner) {
  dw.assign(static_cast<size_t>(C), 0.0);
  db.assign(static_cast<size_t>(C), 0.0);
  EMBER_DISPATCH_FLOATING(x.dtype(), "group_norm", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
    scalar_t* out = dx.defined() ? dx.data_ptr<scalar_t>() : nullptr;
    const int64_t cpg = C / G;
    const auto len = static_cast<double>(cpg * inner);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t grp = 0; grp < G; ++grp) {
        const double mu = mean[n * G + grp], rs = rstd[n * G + grp];
        // Per channel sum(g) and sum(g * (x - mu)); their w-weighted totals over the group
        // give dx = rs * w * g - rs * s1 / len - (x - mu) * rs^3 * s2 / len.
        double s1 = 0, s2 = 0;
        for (int64_t cc = 0; cc < cpg; ++cc) {
          const int64_t c = grp * cpg + cc;
          const int64_t base = (n * C + c) * inner;
          double sg = 0, sgx = 0;
          grad_sums(gp + base, xp + base, inner, mu, sg, sgx);
          db[c] += sg;
          dw[c] += rs * sgx;
          const double wc = wp ? static_cast<double>(wp[c]) : 1.0;
          s1 += wc * sg;
          s2 += wc * sgx;
        }
        if (!out) continue;
        const double k1 = rs * s1 / len, k2 = rs * rs * rs * s2 / len;
        for (int64_t cc = 0; cc < cpg; ++cc) {
          const int64_t c = grp * cpg + cc;
          const int64_t base = (n * C + c) * inner;
          const auto a = static_cast<scalar_t>(rs * (wp ? static_cast<double>(wp[c]) : 1.0));
          const auto m = static_cast<scalar_t>(mu);
          const auto b1 = static_cast<scalar_t>(k1);
          const auto b2 = static_cast<scalar_t>(k2);
          for (int64_t i = 0; i < inner; ++i) {
            out[base + i] = a * gp[base + i] - b1 - (xp[base + i] - m) * b2;
          }
        }
      }
    }
  });
}

void resample2d(const Tensor& out, const Tensor& in, int64_t B, int64_t Hin, int64_t Win,
                const ResampleMap& mh, const ResampleMap& mw) {
  const auto Hout = static_cast<int64_t>(mh.i0.size());
  const auto Wout = static_cast<int64_t>(mw.i0.size());
  EMBER_DISPATCH_FLOATING(in.dtype(), "interpolate", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    // Weights rounded to the data dtype once (float arithmetic for float32, like PyTorch).
    std::vector<scalar_t> ww0(mw.w0.begin(), mw.w0.end()), ww1(mw.w1.begin(), mw.w1.end());
    std::vector<scalar_t> row(static_cast<size_t>(Win));
    for (int64_t bb = 0; bb < B; ++bb) {
      const scalar_t* xb = x + bb * Hin * Win;
      scalar_t* yb = y + bb * Hout * Wout;
      for (int64_t i = 0; i < Hout; ++i) {
        const scalar_t* r0 = xb + mh.i0[i] * Win;
        const scalar_t* src = r0;
        if (mh.linear) {
          // Blend the two source rows once, then resample the blended row along W.
          const scalar_t* r1 = xb + mh.i1[i] * Win;
          const auto a = static_cast<scalar_t>(mh.w0[i]);
          const auto c = static_cast<scalar_t>(mh.w1[i]);
          for (int64_t j = 0; j < Win; ++j) row[j] = a * r0[j] + c * r1[j];
          src = row.data();
        }
        scalar_t* yr = yb + i * Wout;
        if (mw.linear) {
          for (int64_t j = 0; j < Wout; ++j) {
            yr[j] = ww0[j] * src[mw.i0[j]] + ww1[j] * src[mw.i1[j]];
          }
        } else {
          for (int64_t j = 0; j < Wout; ++j) yr[j] = src[mw.i0[j]];
        }
      }
    }
  });
}

void resample2d_backward(const Tensor& gin, const Tensor& gout, int64_t B, int64_t Hin,
                         int64_t Win, const ResampleMap& mh, const ResampleMap& mw) {
  const auto Hout = static_cast<int64_t>(mh.i0.size());
  const auto Wout = static_cast<int64_t>(mw.i0.size());
  EMBER_DISPATCH_FLOATING(gin.dtype(), "interpolate", [&] {
    scalar_t* gx = gin.data_ptr<scalar_t>();
    const scalar_t* gy = gout.data_ptr<scalar_t>();
    std::memset(static_cast<void*>(gx), 0, sizeof(scalar_t) * static_cast<size_t>(B * Hin * Win));
    std::vector<scalar_t> ww0(mw.w0.begin(), mw.w0.end()), ww1(mw.w1.begin(), mw.w1.end());
    std::vector<scalar_t> row(static_cast<size_t>(Win));
    for (int64_t bb = 0; bb < B; ++bb) {
      scalar_t* xb = gx + bb * Hin * Win;
      const scalar_t* yb = gy + bb * Hout * Wout;
      for (int64_t i = 0; i < Hout; ++i) {
        const scalar_t* yr = yb + i * Wout;
        // Scatter the output row along W into a temporary input row, then into the rows.
        std::fill(row.begin(), row.end(), scalar_t(0));
        if (mw.linear) {
          for (int64_t j = 0; j < Wout; ++j) {
            row[mw.i0[j]] += ww0[j] * yr[j];
            row[mw.i1[j]] += ww1[j] * yr[j];
          }
        } else {
          for (int64_t j = 0; j < Wout; ++j) row[mw.i0[j]] += yr[j];
        }
        scalar_t* r0 = xb + mh.i0[i] * Win;
        if (mh.linear) {
          scalar_t* r1 = xb + mh.i1[i] * Win;
          const auto a = static_cast<scalar_t>(mh.w0[i]);
          const auto c = static_cast<scalar_t>(mh.w1[i]);
          for (int64_t j = 0; j < Win; ++j) r0[j] += a * row[j];
          for (int64_t j = 0; j < Win; ++j) r1[j] += c * row[j];
        } else {
          for (int64_t j = 0; j < Win; ++j) r0[j] += row[j];
        }
      }
    }
  });
}

}  // namespace ember::cpu
