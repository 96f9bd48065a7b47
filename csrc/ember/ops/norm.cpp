// Normalization (batch_norm, group_norm), padding, resampling (interpolate) and dropout2d.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ember/jit/trace_hook.h"
#include "ember/ops/internal.h"

namespace ember {

using autograd::Ctx;
using autograd::record;

namespace {

void check_floating(const Tensor& x, const char* op, const char* arg) {
  EMBER_CHECK_TYPE(is_floating(x.dtype()), op, ": expected ", arg,
                   " to have a floating dtype (float32 or float64), got ", x.dtype());
}

// A contiguous tensor with x's values and no autograd history (x itself when possible).
Tensor raw_contiguous(const Tensor& x) {
  Tensor d = x.detach();
  return d.is_contiguous() ? d : contiguous(d);
}

int64_t prod_from(const Shape& s, size_t begin) {
  int64_t p = 1;
  for (size_t i = begin; i < s.size(); ++i) p *= s[i];
  return p;
}

// A (C,) tensor of `dtype` holding `v`.
Tensor from_vector(const std::vector<double>& v, DType dtype) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Float64);
  if (!v.empty()) std::memcpy(t.data_ptr<double>(), v.data(), v.size() * sizeof(double));
  return dtype == DType::Float64 ? t : to(t, dtype);
}

// `t`'s values as doubles (t is 1-D).
std::vector<double> to_vector(const Tensor& t) {
  Tensor d = raw_contiguous(detail::convert(t.detach(), DType::Float64));
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + d.numel());
}

void check_channel_param(const Tensor& t, const char* op, const char* name, int64_t C,
                         const Tensor& x) {
  if (!t.defined()) return;
  check_floating(t, op, name);
  EMBER_CHECK_VALUE(t.dim() == 1 && t.size(0) == C, op, ": ", name, " of shape ", t.sizes(),
                    " does not match input of shape ", x.sizes(), "; expected shape (", C,
                    ") (one value per channel, input.shape[1])");
}

// ---- separable resampling with autograd ------------------------------------------------------
// Reflect/replicate padding and nearest/bilinear interpolation are all out = Rh x Rw^T for
// sparse per-dim maps; the backward is the adjoint, whose backward is the forward again, so
// gradients of any order work.

struct Maps {
  cpu::ResampleMap h, w;
  int64_t B = 0, Hin = 0, Win = 0;
  Shape in_sizes, out_sizes;  // full shapes; memory is (B, Hin, Win) and (B, Hout, Wout)
  const char* name = "";
  const char* adjoint_name = "";
};
using MapsPtr = std::shared_ptr<const Maps>;

Tensor resample_adjoint(const Tensor& g, const MapsPtr& m);

Tensor resample_forward(const Tensor& x, const MapsPtr& m) {
  Tensor y = empty(m->out_sizes, x.dtype(), x.device());
  if (y.numel() > 0) cpu::resample2d(y, raw_contiguous(x), m->B, m->Hin, m->Win, m->h, m->w);
  return record(m->name, y, {x}, [m](const Ctx&, const Tensor& g) {
    return TensorList{resample_adjoint(g, m)};
  }, 0);
}

Tensor resample_adjoint(const Tensor& g, const MapsPtr& m) {
  Tensor gx = empty(m->in_sizes, g.dtype(), g.device());
  if (gx.numel() > 0) {
    cpu::resample2d_backward(gx, raw_contiguous(g), m->B, m->Hin, m->Win, m->h, m->w);
  }
  return record(m->adjoint_name, gx, {g}, [m](const Ctx&, const Tensor& gg) {
    return TensorList{resample_forward(gg, m)};
  }, 0);
}

// Applies the maps to the last two dims of `x` (the last one only when `two_dims` is false).
Tensor resample_last_dims(const Tensor& x, bool two_dims, const std::shared_ptr<Maps>& m) {
  const Shape& s = x.sizes();
  const size_t k = two_dims ? 2 : 1;
  m->B = 1;
  for (size_t i = 0; i + k < s.size(); ++i) m->B *= s[i];
  m->in_sizes = s;
  m->out_sizes = s;
  if (two_dims) m->out_sizes[s.size() - 2] = static_cast<int64_t>(m->h.i0.size());
  m->out_sizes[s.size() - 1] = static_cast<int64_t>(m->w.i0.size());
  return resample_forward(x, m);
}

cpu::ResampleMap identity_map(int64_t n) {
  cpu::ResampleMap r;
  r.i0.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) r.i0[i] = i;
  return r;
}

cpu::ResampleMap pad_map(int64_t in, int64_t left, int64_t right, bool reflect) {
  cpu::ResampleMap r;
  const int64_t out = in + left + right;
  r.i0.resize(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    int64_t j = i - left;
    if (reflect) {
      if (j < 0) j = -j;
      if (j >= in) j = 2 * (in - 1) - j;
    } else {
      j = std::min(std::max<int64_t>(j, 0), in - 1);
    }
    r.i0[i] = j;
  }
  return r;
}

// PyTorch's scale for one spatial dim: 1/scale_factor when given (and not recomputed), else
// in/out, computed in `T` (float for float32 inputs).
template <typename T>
T dim_scale(int64_t in, int64_t out, double sf) {
  return sf > 0 ? static_cast<T>(1.0 / sf) : static_cast<T>(in) / static_cast<T>(out);
}

cpu::ResampleMap nearest_map(int64_t in, int64_t out, double sf) {
  cpu::ResampleMap r;
  r.i0.resize(static_cast<size_t>(out));
  const float scale = dim_scale<float>(in, out, sf);
  for (int64_t i = 0; i < out; ++i) {
    if (out == in) {
      r.i0[i] = i;
    } else {
      const auto j = static_cast<int64_t>(std::floor(static_cast<float>(i) * scale));
      r.i0[i] = std::min(j, in - 1);
    }
  }
  return r;
}

template <typename T>
cpu::ResampleMap linear_map(int64_t in, int64_t out, double sf, bool align_corners) {
  cpu::ResampleMap r;
  r.linear = true;
  const auto n = static_cast<size_t>(out);
  r.i0.resize(n);
  r.i1.resize(n);
  r.w0.resize(n);
  r.w1.resize(n);
  T scale;
  if (align_corners) {
    scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  } else {
    scale = dim_scale<T>(in, out, sf);
  }
  for (int64_t i = 0; i < out; ++i) {
    if (in == out) {
      r.i0[i] = r.i1[i] = i;
      r.w0[i] = 1.0;
      r.w1[i] = 0.0;
      continue;
    }
    T src = align_corners ? scale * static_cast<T>(i)
                          : std::max(scale * (static_cast<T>(i) + T(0.5)) - T(0.5), T(0));
    const auto i0 = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const T l1 = std::min(std::max(src - static_cast<T>(i0), T(0)), T(1));
    r.i0[i] = i0;
    r.i1[i] = i1;
    r.w0[i] = static_cast<double>(T(1) - l1);
    r.w1[i] = static_cast<double>(l1);
  }
  return r;
}

}  // namespace

// ---- batch_norm ------------------------------------------------------------------------------

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  EMBER_TRACE(batch_norm, x, running_mean, running_var, weight, bias, training, momentum, eps);
  const char* op = "batch_norm";
  detail::check_device(x, op);
  check_floating(x, op, "input");
  EMBER_CHECK_VALUE(x.dim() >= 2, op, ": expected input of shape (N, C, *) with at least 2 dims, ",
                    "got shape ", x.sizes());
  const int64_t N = x.size(0), C = x.size(1);
  const int64_t inner = prod_from(x.sizes(), 2);
  check_channel_param(running_mean, op, "running_mean", C, x);
  check_channel_param(running_var, op, "running_var", C, x);
  check_channel_param(weight, op, "weight", C, x);
  check_channel_param(bias, op, "bias", C, x);
  EMBER_CHECK_VALUE(running_mean.defined() == running_var.defined(), op,
                    ": running_mean and running_var must be given together");
  EMBER_CHECK_VALUE(training || running_mean.defined(), op,
                    ": running_mean and running_var are required when training=False");
  EMBER_CHECK_VALUE(eps >= 0, op, ": eps must be >= 0, got ", eps);
  const int64_t count = N * inner;
  if (training) {
    EMBER_CHECK_VALUE(count > 1, op, ": expected more than 1 value per channel when training, ",
                      "got input of shape ", x.sizes());
  }
  Tensor xc = raw_contiguous(x);
  std::vector<double> mean, var;
  if (training) {
    cpu::batch_norm_stats(mean, var, xc, N, C, inner);
    if (running_mean.defined()) {
      NoGradGuard guard;
      const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      std::vector<double> uvar(var);
      for (double& v : uvar) v *= unbias;
      Tensor rm = running_mean, rv = running_var;
      mul_(rm, wrap_scalar(Scalar(1.0 - momentum)));
      add_(rm, from_vector(mean, rm.dtype()), Scalar(momentum));
      mul_(rv, wrap_scalar(Scalar(1.0 - momentum)));
      add_(rv, from_vector(uvar, rv.dtype()), Scalar(momentum));
    }
  } else {
    mean = to_vector(running_mean);
    var = to_vector(running_var);
  }
  std::vector<double> invstd(static_cast<size_t>(C)), scale(static_cast<size_t>(C)),
      shift(static_cast<size_t>(C));
  const std::vector<double> w = weight.defined() ? to_vector(weight) : std::vector<double>(C, 1.0);
  const std::vector<double> b = bias.defined() ? to_vector(bias) : std::vector<double>(C, 0.0);
  for (int64_t c = 0; c < C; ++c) {
    invstd[c] = 1.0 / std::sqrt(var[c] + eps);
    scale[c] = invstd[c] * w[c];
    shift[c] = b[c];
  }
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  if (y.numel() > 0) cpu::channel_affine(y, xc, mean, scale, shift, N, C, inner);

  const bool has_w = weight.defined(), has_b = bias.defined();
  TensorList inputs{x};
  if (has_w) inputs.push_back(weight);
  if (has_b) inputs.push_back(bias);
  // Without create_graph the gradients come from fused kernels with the saved statistics;
  // with it, from ember ops that recompute the statistics, so higher orders work:
  //   dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat)),  gw = g * weight   (training)
  //   dx = invstd * gw                                                            (eval)
  //   dweight = sum(g * xhat),  dbias = sum(g)   over every dim but 1.
  return record("NativeBatchNormBackward0", y, inputs,
                [training, eps, has_w, has_b, N, C, inner, mean, invstd, w](const Ctx& c,
                                                                             const Tensor& g) {
    TensorList out(1 + (has_w ? 1 : 0) + (has_b ? 1 : 0));
    const size_t kw = 1, kb = has_w ? 2 : 1;
    const bool need_x = c.needs_grad(0);
    const bool need_w = has_w && c.needs_grad(kw);
    const bool need_b = has_b && c.needs_grad(kb);
    const Tensor& xin = c.input(0);
    if (!is_grad_enabled()) {
      Tensor gc = raw_contiguous(g), xv = raw_contiguous(xin);
      const auto M = static_cast<double>(N * inner);
      std::vector<double> sum_g, sum_gxc;
      if (training || need_w || need_b) {
        cpu::batch_norm_backward_reduce(sum_g, sum_gxc, gc, xv, mean, N, C, inner);
      }
      if (need_x) {
        std::vector<double> a(C), bb(C, 0.0), d(C, 0.0);
        Tensor dx = empty(xin.sizes(), xin.dtype(), xin.device());
        for (int64_t ch = 0; ch < C; ++ch) a[ch] = w[ch] * invstd[ch];
        if (training) {
          for (int64_t ch = 0; ch < C; ++ch) {
            bb[ch] = -a[ch] * invstd[ch] * invstd[ch] * sum_gxc[ch] / M;
            d[ch] = -a[ch] * sum_g[ch] / M - bb[ch] * mean[ch];
          }
          if (dx.numel() > 0) cpu::channel_axpby(dx, gc, xv, a, bb, d, N, C, inner);
        } else if (dx.numel() > 0) {
          cpu::channel_affine(dx, gc, d, a, d, N, C, inner);
        }
        out[0] = dx;
      }
      if (need_w) {
        std::vector<double> dw(C);
        for (int64_t ch = 0; ch < C; ++ch) dw[ch] = invstd[ch] * sum_gxc[ch];
        out[kw] = from_vector(dw, c.input_dtype(kw));
      }
      if (need_b) out[kb] = from_vector(sum_g, c.input_dtype(kb));
      return out;
    }
    const DimList dims{0, 2};
    Tensor x3 = reshape(xin, {N, C, inner});
    Tensor g3 = reshape(g, {N, C, inner});
    Tensor rstd, xhat;
    if (training) {
      Tensor xcen = x3 - ember::mean(x3, dims, true);
      rstd = rsqrt(ember::mean(xcen * xcen, dims, true) + Scalar(eps));
      xhat = xcen * rstd;
    } else {
      rstd = reshape(from_vector(invstd, xin.dtype()), {1, C, 1});
      xhat = (x3 - reshape(from_vector(mean, xin.dtype()), {1, C, 1})) * rstd;
    }
    if (need_x) {
      Tensor gw = has_w ? g3 * reshape(c.input(kw), {1, C, 1}) : g3;
      Tensor dx = training ? rstd * (gw - ember::mean(gw, dims, true) -
                                     xhat * ember::mean(gw * xhat, dims, true))
                           : gw * rstd;
      out[0] = reshape(dx, xin.sizes());
    }
    if (need_w) out[kw] = sum(g3 * xhat, dims);
    if (need_b) out[kb] = sum(g3, dims);
    return out;
  });
}

// ---- group_norm ------------------------------------------------------------------------------

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  EMBER_TRACE(group_norm, x, num_groups, weight, bias, eps);
  const char* op = "group_norm";
  detail::check_device(x, op);
  check_floating(x, op, "input");
  EMBER_CHECK_VALUE(x.dim() >= 2, op, ": expected input of shape (N, C, *) with at least 2 dims, ",
                    "got shape ", x.sizes());
  EMBER_CHECK_VALUE(num_groups > 0, op, ": num_groups must be positive, got ", num_groups);
  const int64_t N = x.size(0), C = x.size(1);
  EMBER_CHECK_VALUE(C % num_groups == 0, op, ": the number of channels of input of shape ",
                    x.sizes(), " (", C, ") must be divisible by num_groups (", num_groups, ")");
  check_channel_param(weight, op, "weight", C, x);
  check_channel_param(bias, op, "bias", C, x);
  const int64_t G = num_groups;
  const int64_t inner = prod_from(x.sizes(), 2);
  const DType dt = x.dtype();
  Tensor y = empty(x.sizes(), dt, x.device());
  Tensor wc = weight.defined() ? raw_contiguous(detail::convert(weight, dt)) : Tensor();
  Tensor bc = bias.defined() ? raw_contiguous(detail::convert(bias, dt)) : Tensor();
  std::vector<double> mean, rstd;
  if (y.numel() > 0) cpu::group_norm(y, raw_contiguous(x), wc, bc, N, C, G, inner, eps, mean, rstd);
  const bool has_w = weight.defined(), has_b = bias.defined();
  TensorList inputs{x};
  if (has_w) inputs.push_back(weight);
  if (has_b) inputs.push_back(bias);
  // Without create_graph: one fused kernel from the saved statistics. With it, ember ops
  // that recompute the statistics from the input, so higher orders work:
  //   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) over each (sample, group) block,
  //   gw = g * weight[c];  dweight = sum(g * xhat), dbias = sum(g) over all dims but 1.
  return record("NativeGroupNormBackward0", y, inputs,
                [N, C, G, inner, eps, has_w, has_b, mean, rstd](const Ctx& c, const Tensor& g) {
    TensorList out(1 + (has_w ? 1 : 0) + (has_b ? 1 : 0));
    const size_t kw = 1, kb = has_w ? 2 : 1;
    const Tensor& xin = c.input(0);
    if (!is_grad_enabled()) {
      const DType dt = xin.dtype();
      Tensor dx = c.needs_grad(0) ? empty(xin.sizes(), dt, xin.device()) : Tensor();
      Tensor wv = has_w ? raw_contiguous(detail::convert(c.input(kw), dt)) : Tensor();
      std::vector<double> dw, db;
      if (xin.numel() > 0) {
        cpu::group_norm_backward(dx, dw, db, raw_contiguous(g), raw_contiguous(xin), wv, mean,
                                 rstd, N, C, G, inner);
      } else {
        dw.assign(static_cast<size_t>(C), 0.0);
        db.assign(static_cast<size_t>(C), 0.0);
      }
      out[0] = dx;
      if (has_w && c.needs_grad(kw)) out[kw] = from_vector(dw, c.input_dtype(kw));
      if (has_b && c.needs_grad(kb)) out[kb] = from_vector(db, c.input_dtype(kb));
      return out;
    }
    const int64_t len = (C / G) * inner;
    Tensor xg = reshape(xin, {N, G, len});
    Tensor xcen = xg - ember::mean(xg, {2}, true);
    Tensor rstd = rsqrt(ember::mean(xcen * xcen, {2}, true) + Scalar(eps));
    Tensor xhat = xcen * rstd;  // (N, G, len)
    Tensor g3 = reshape(g, {N, C, inner});
    if (c.needs_grad(0)) {
      Tensor gw = has_w ? g3 * reshape(c.input(kw), {1, C, 1}) : g3;
      Tensor gwg = reshape(gw, {N, G, len});
      Tensor dx = rstd * (gwg - ember::mean(gwg, {2}, true) -
                          xhat * ember::mean(gwg * xhat, {2}, true));
      out[0] = reshape(dx, xin.sizes());
    }
    if (has_w && c.needs_grad(kw)) {
      out[kw] = sum(g3 * reshape(xhat, {N, C, inner}), {0, 2});
    }
    if (has_b && c.needs_grad(kb)) out[kb] = sum(g3, {0, 2});
    return out;
  });
}

// ---- pad -------------------------------------------------------------------------------------

Tensor pad(const Tensor& x, const Shape& pads, const std::string& mode, double value) {
  EMBER_TRACE(pad, x, pads, mode, value);
  const char* op = "pad";
  detail::check_device(x, op);
  const auto np = static_cast<int64_t>(pads.size());
  EMBER_CHECK_VALUE(np % 2 == 0, op, ": padding length must be divisible by 2, got ", np,
                    " values ", pads);
  EMBER_CHECK_VALUE(np / 2 <= x.dim(), op, ": padding length ", np, " is too large for input of ",
                    "shape ", x.sizes(), " (at most 2 * input.dim() = ", 2 * x.dim(), ")");
  const int64_t k = np / 2;
  Shape out_sizes = x.sizes();
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = x.dim() - 1 - i;
    out_sizes[d] = x.size(d) + pads[2 * i] + pads[2 * i + 1];
    EMBER_CHECK_VALUE(out_sizes[d] >= 0, op, ": padding ", pads, " gives dim ", d,
                      " of input of shape ", x.sizes(), " a negative size ", out_sizes[d]);
  }
  if (mode == "constant") {
    Tensor y = full(out_sizes, Scalar(value), x.dtype());
    {
      NoGradGuard guard;
      Tensor src = x.detach(), dst = y;
      bool empty_region = false;
      for (int64_t i = 0; i < k; ++i) {
        const int64_t d = x.dim() - 1 - i;
        const int64_t l = pads[2 * i], r = pads[2 * i + 1];
        const int64_t begin = std::max<int64_t>(-l, 0);
        const int64_t end = x.size(d) - std::max<int64_t>(-r, 0);
        if (end <= begin) {
          empty_region = true;
          break;
        }
        src = slice(src, d, begin, end, 1);
        const int64_t at = std::max<int64_t>(l, 0);
        dst = slice(dst, d, at, at + (end - begin), 1);
      }
      if (!empty_region && src.numel() > 0) cpu::copy(dst, src);
    }
    Shape neg_pads(pads);
    for (int64_t& p : neg_pads) p = -p;
    return record("ConstantPadNdBackward0", y, {x}, [neg_pads](const Ctx&, const Tensor& g) {
      return TensorList{pad(g, neg_pads, "constant", 0.0)};
    }, 0);
  }
  const bool reflect = mode == "reflect";
  EMBER_CHECK_VALUE(reflect || mode == "replicate", op,
                    ": mode must be 'constant', 'reflect' or 'replicate', got '", mode, "'");
  check_floating(x, op, "input");
  EMBER_CHECK_VALUE(k == 1 || k == 2, op, ": mode '", mode, "' pads the last 1 or 2 dims (a pad ",
                    "list of 2 or 4 values), got ", np, " values ", pads);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = x.dim() - 1 - i;
    const int64_t n = x.size(d), l = pads[2 * i], r = pads[2 * i + 1];
    if (reflect) {
      EMBER_CHECK_VALUE(l < n && r < n, op, ": reflect padding (", l, ", ", r, ") of dim ", d,
                        " must be less than its size ", n, " (input of shape ", x.sizes(), ")");
    } else {
      EMBER_CHECK_VALUE(n > 0, op, ": replicate padding needs a non-empty dim ", d,
                        " (input of shape ", x.sizes(), ")");
    }
    EMBER_CHECK_VALUE(out_sizes[d] > 0, op, ": padding ", pads, " leaves dim ", d,
                      " of input of shape ", x.sizes(), " empty");
  }
  auto m = std::make_shared<Maps>();
  const int64_t W = x.size(-1);
  m->Win = W;
  m->w = pad_map(W, pads[0], pads[1], reflect);
  if (k == 2) {
    m->Hin = x.size(-2);
    m->h = pad_map(m->Hin, pads[2], pads[3], reflect);
    m->name = reflect ? "ReflectionPad2DBackward0" : "ReplicationPad2DBackward0";
    m->adjoint_name = reflect ? "ReflectionPad2DBackwardBackward0"
                              : "ReplicationPad2DBackwardBackward0";
  } else {
    m->Hin = 1;
    m->h = identity_map(1);
    m->name = reflect ? "ReflectionPad1DBackward0" : "ReplicationPad1DBackward0";
    m->adjoint_name = reflect ? "ReflectionPad1DBackwardBackward0"
                              : "ReplicationPad1DBackwardBackward0";
  }
  return resample_last_dims(x, k == 2, m);
}

// ---- interpolate -----------------------------------------------------------------------------

Tensor interpolate(const Tensor& x, const std::optional<Shape>& size,
                   const std::optional<std::vector<double>>& scale_factor,
                   const std::string& mode, std::optional<bool> align_corners,
                   std::optional<bool> recompute_scale_factor) {
  EMBER_TRACE(interpolate, x, size, scale_factor, mode, align_corners, recompute_scale_factor);
  const char* op = "interpolate";
  detail::check_device(x, op);
  EMBER_CHECK_VALUE(mode == "nearest" || mode == "bilinear" || mode == "linear", op,
                    ": mode must be 'nearest', 'linear' or 'bilinear', got '", mode, "'");
  EMBER_CHECK_VALUE(x.dim() == 3 || x.dim() == 4, op, ": expected a 3-D (N, C, L) or 4-D ",
                    "(N, C, H, W) input, got shape ", x.sizes());
  EMBER_CHECK_VALUE(mode != "bilinear" || x.dim() == 4, op, ": mode 'bilinear' needs a 4-D ",
                    "(N, C, H, W) input, got shape ", x.sizes());
  EMBER_CHECK_VALUE(mode != "linear" || x.dim() == 3, op, ": mode 'linear' needs a 3-D ",
                    "(N, C, L) input, got shape ", x.sizes());
  EMBER_CHECK_VALUE(mode != "nearest" || !align_corners.has_value(), op,
                    ": align_corners can only be set with the interpolating modes 'linear' and ",
                    "'bilinear', got mode 'nearest'");
  check_floating(x, op, "input");
  EMBER_CHECK_VALUE(size.has_value() != scale_factor.has_value(), op,
                    size.has_value() ? ": only one of size or scale_factor should be given"
                                     : ": either size or scale_factor should be given");
  const int64_t nd = x.dim() - 2;
  Shape out(static_cast<size_t>(nd));
  std::vector<double> sf(static_cast<size_t>(nd), -1.0);
  if (size) {
    EMBER_CHECK_VALUE(static_cast<int64_t>(size->size()) == nd, op, ": size ", *size,
                      " must have one entry per spatial dim (", nd, ") of input of shape ",
                      x.sizes());
    for (int64_t i = 0; i < nd; ++i) {
      EMBER_CHECK_VALUE((*size)[i] > 0, op, ": size ", *size, " must be positive");
      out[i] = (*size)[i];
    }
  } else {
    EMBER_CHECK_VALUE(static_cast<int64_t>(scale_factor->size()) == nd, op, ": scale_factor ",
                      "must have one entry per spatial dim (", nd, ") of input of shape ",
                      x.sizes(), ", got ", scale_factor->size());
    for (int64_t i = 0; i < nd; ++i) {
      const double s = (*scale_factor)[i];
      EMBER_CHECK_VALUE(s > 0 && std::isfinite(s), op, ": scale_factor must be positive and ",
                        "finite, got ", s);
      out[i] = static_cast<int64_t>(std::floor(static_cast<double>(x.size(2 + i)) * s));
      EMBER_CHECK_VALUE(out[i] > 0, op, ": scale_factor ", s, " gives an empty output for ",
                        "input of shape ", x.sizes());
      if (!recompute_scale_factor.value_or(false)) sf[i] = s;
    }
  }
  const bool ac = align_corners.value_or(false);
  const bool f32 = x.dtype() == DType::Float32;
  auto make = [&](int64_t in, int64_t o, double s) {
    if (mode == "nearest") return nearest_map(in, o, s);
    return f32 ? linear_map<float>(in, o, s, ac) : linear_map<double>(in, o, s, ac);
  };
  auto m = std::make_shared<Maps>();
  if (nd == 2) {
    m->Hin = x.size(2);
    m->Win = x.size(3);
    m->h = make(m->Hin, out[0], sf[0]);
    m->w = make(m->Win, out[1], sf[1]);
  } else {
    m->Hin = 1;
    m->Win = x.size(2);
    m->h = identity_map(1);
    m->w = make(m->Win, out[0], sf[0]);
  }
  if (mode == "nearest") {
    m->name = nd == 2 ? "UpsampleNearest2DBackward0" : "UpsampleNearest1DBackward0";
    m->adjoint_name = nd == 2 ? "UpsampleNearest2DBackwardBackward0"
                              : "UpsampleNearest1DBackwardBackward0";
  } else {
    m->name = nd == 2 ? "UpsampleBilinear2DBackward0" : "UpsampleLinear1DBackward0";
    m->adjoint_name = nd == 2 ? "UpsampleBilinear2DBackwardBackward0"
                              : "UpsampleLinear1DBackwardBackward0";
  }
  return resample_last_dims(x, nd == 2, m);
}

// ---- dropout2d -------------------------------------------------------------------------------

Tensor dropout2d(const Tensor& x, double p, bool training, Generator* gen) {
  EMBER_TRACE(dropout2d, x, p, training, gen);
  const char* op = "dropout2d";
  EMBER_CHECK_VALUE(p >= 0.0 && p <= 1.0, op,
                    ": probability has to be between 0 and 1, but got ", p);
  detail::check_device(x, op);
  check_floating(x, op, "input");
  EMBER_CHECK_VALUE(x.dim() == 3 || x.dim() == 4, op, ": expected a 4-D (N, C, H, W) input ",
                    "(or 3-D (N, C, L), dropped channel-wise), got shape ", x.sizes());
  if (!training || p == 0.0) return x;
  Shape ms(x.dim(), 1);
  ms[0] = x.size(0);
  ms[1] = x.size(1);
  Tensor mask = empty(ms, x.dtype(), x.device());
  if (mask.numel() > 0) cpu::dropout_mask(mask, p, gen ? *gen : default_generator());
  return x * mask;
}

}  // namespace ember
