// Convolution and pooling, NCHW. 1-D ops run as 2-D ops over a height-1 plane. The three
// convolution kernels (forward, input gradient, weight gradient) are each other's derivatives,
// so each is recorded as a differentiable op whose backward calls the other two: gradients of
// any order work. Pooling backwards are likewise ops whose backward is the forward's linear part.

#include <string>

#include "ember/cpu/conv_winograd.h"
#include "ember/jit/trace_hook.h"
#include "ember/ops/internal.h"

namespace ember {

using autograd::Ctx;
using autograd::record;
using cpu::Conv2dGeom;
using cpu::Pool2dGeom;

namespace {

// A contiguous tensor with x's values and no autograd history (x itself when possible).
Tensor raw_contiguous(const Tensor& x) {
  Tensor d = x.detach();
  return d.is_contiguous() ? d : contiguous(d);
}

Shape nchw_shape(int64_t n, int64_t c, int64_t h, int64_t w) { return {n, c, h, w}; }

// ---- the convolution family (geometry already checked) ------------------------------------

Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeom& G);
Tensor conv_bwd_input(const Tensor& gy, const Tensor& w, const Conv2dGeom& G);
Tensor conv_bwd_weight(const Tensor& x, const Tensor& gy, const Conv2dGeom& G);

// Largest im2col matrices (elements) a forward keeps for the weight gradient instead of
// rebuilding them in backward, and the most rows (C / groups * KH * KW) they may have: with
// more, rebuilding the columns per cache-sized chunk of images in backward costs less than
// writing and re-reading the whole batch's matrices (LeNet's 6->16 5x5 layer: the training step
// 4.1 -> 3.8 ms on one thread); a 1-channel 5x5 layer still gains from keeping them.
constexpr int64_t kKeepColsLimit = int64_t{1} << 22;
constexpr int64_t kKeepColsMaxRows = 32;

Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeom& G) {
  Tensor y = empty(nchw_shape(G.N, G.OC, G.OH, G.OW), x.dtype());
  const bool pointwise = G.KH == 1 && G.KW == 1 && G.sh == 1 && G.sw == 1 && G.pt == 0 &&
                         G.pl == 0 && G.OH == G.H && G.OW == G.W;
  Tensor cols;
  if (!pointwise && G.C / G.groups * G.KH * G.KW <= kKeepColsMaxRows &&
      !cpu::winograd::applies(G, x.dtype()) && w.requires_grad() &&
      autograd::needs_record({&w}) && cpu::conv2d_cols_numel(G) <= kKeepColsLimit) {
    cols = empty({cpu::conv2d_cols_numel(G)}, x.dtype());
  }
  cpu::conv2d_forward(y, raw_contiguous(x), raw_contiguous(w),
                      b.defined() ? raw_contiguous(b) : Tensor(), G, cols);
  return record("ConvolutionBackward0", y, {x, w, b}, [G, cols](const Ctx& c, const Tensor& g) {
    Tensor gx, gw, gb;
    if (c.needs_grad(0)) gx = conv_bwd_input(g, c.input(1), G);
    if (c.needs_grad(1)) {
      const Tensor& xin = c.input(0);  // also checks x was not modified in place since
      if (cols.defined() && !is_grad_enabled()) {
        gw = empty(nchw_shape(G.OC, G.C / G.groups, G.KH, G.KW), g.dtype());
        cpu::conv2d_backward_weight(gw, Tensor(), raw_contiguous(g), G, cols);
      } else {
        gw = conv_bwd_weight(xin, g, G);
      }
    }
    if (c.needs_grad(2)) gb = sum(g, {0, 2, 3});
    return TensorList{gx, gw, gb};
  });
}

// <conv_bwd_input(gy, w), u> = <gy, conv(u, w)>: linear in gy and in w.
Tensor conv_bwd_input(const Tensor& gy, const Tensor& w, const Conv2dGeom& G) {
  Tensor gx = empty(nchw_shape(G.N, G.C, G.H, G.W), gy.dtype());
  cpu::conv2d_backward_input(gx, raw_contiguous(gy), raw_contiguous(w), G);
  return record("ConvolutionBackwardInput0", gx, {gy, w}, [G](const Ctx& c, const Tensor& g) {
    Tensor ggy, gw;
    if (c.needs_grad(0)) ggy = conv_fwd(g, c.input(1), Tensor(), G);
    if (c.needs_grad(1)) gw = conv_bwd_weight(g, c.input(0), G);
    return TensorList{ggy, gw};
  });
}

// <conv_bwd_weight(x, gy), v> = <gy, conv(x, v)>: linear in x and in gy.
Tensor conv_bwd_weight(const Tensor& x, const Tensor& gy, const Conv2dGeom& G) {
  Tensor gw = empty(nchw_shape(G.OC, G.C / G.groups, G.KH, G.KW), x.dtype());
  cpu::conv2d_backward_weight(gw, raw_contiguous(x), raw_contiguous(gy), G);
  return record("ConvolutionBackwardWeight0", gw, {x, gy}, [G](const Ctx& c, const Tensor& g) {
    Tensor gx, ggy;
    if (c.needs_grad(0)) gx = conv_bwd_input(c.input(1), g, G);
    if (c.needs_grad(1)) ggy = conv_fwd(c.input(0), g, Tensor(), G);
    return TensorList{gx, ggy};
  });
}

// ---- argument checks ------------------------------------------------------------------------

// One entry per spatial dim; a single entry is repeated.
Shape per_dim(const Shape& v, int nsp, const char* op, const char* name) {
  EMBER_CHECK_VALUE(static_cast<int>(v.size()) == nsp || v.size() == 1, op, ": ", name,
                    " must have 1 or ", nsp, " entries, got ", v);
  return v.size() == 1 ? Shape(nsp, v[0]) : v;
}

void check_all(const Shape& v, int64_t min, const char* op, const char* name) {
  for (int64_t e : v) {
    EMBER_CHECK_VALUE(e >= min, op, ": ", name, " must be ", min == 0 ? "non-negative" : "positive",
                      ", got ", name, "=", v);
  }
}

void check_float(const Tensor& t, const char* op, const char* name) {
  detail::check_device(t, op);
  EMBER_CHECK_TYPE(is_floating(t.dtype()), op, ": expected ", name,
                   " of dtype float32 or float64, got ", t.dtype());
}

// Input must be (C, *spatial) or (N, C, *spatial); returns whether it is unbatched.
bool check_input_rank(const Tensor& x, int nsp, const char* op) {
  EMBER_CHECK_VALUE(x.dim() == nsp + 1 || x.dim() == nsp + 2, op, ": expected ", nsp + 1,
                    "-D (unbatched) or ", nsp + 2, "-D (batched) input, got input of shape ",
                    x.sizes());
  return x.dim() == nsp + 1;
}

// Rewrites 1-D arguments as 2-D ones over a height-1 plane.
Shape lift(const Shape& v, int nsp, int64_t fill) {
  if (nsp == 2) return v;
  return {fill, v[0]};
}

// x: (N, C, *spatial) batched already. Returns (N, C, H, W).
Tensor to_planes(const Tensor& x, int nsp) { return nsp == 2 ? x : unsqueeze(x, 2); }
Tensor from_planes(const Tensor& y, int nsp) { return nsp == 2 ? y : squeeze(y, DimList{2}); }

Tensor conv_nd(const char* op, int nsp, const Tensor& input, const Tensor& weight,
               const Tensor& bias, const Shape& stride_in, const Shape& pad_lo,
               const Shape& pad_hi, const Shape& dilation_in, int64_t groups) {
  check_float(input, op, "input");
  detail::check_device(weight, op);
  EMBER_CHECK_TYPE(weight.dtype() == input.dtype(), op, ": weight dtype (", weight.dtype(),
                   ") must equal input dtype (", input.dtype(), ")");
  const bool unbatched = check_input_rank(input, nsp, op);
  EMBER_CHECK_VALUE(weight.dim() == nsp + 2, op, ": expected ", nsp + 2, "-D weight (out_channels, "
                    "in_channels/groups, ", nsp == 1 ? "kW" : "kH, kW", "), got weight of shape ",
                    weight.sizes());
  const Shape stride = per_dim(stride_in, nsp, op, "stride");
  const Shape dilation = per_dim(dilation_in, nsp, op, "dilation");
  check_all(stride, 1, op, "stride");
  check_all(dilation, 1, op, "dilation");
  check_all(pad_lo, 0, op, "padding");
  check_all(pad_hi, 0, op, "padding");
  EMBER_CHECK_VALUE(groups >= 1, op, ": groups must be positive, got groups=", groups);
  const Shape& xs = input.sizes();
  const Shape& ws = weight.sizes();
  const int64_t C = xs[unbatched ? 0 : 1];
  const int64_t OC = ws[0];
  EMBER_CHECK_VALUE(OC % groups == 0, op, ": out_channels (weight.shape[0] = ", OC,
                    ") must be divisible by groups (", groups, "); weight of shape ", ws);
  EMBER_CHECK_VALUE(C == ws[1] * groups, op, ": input of shape ", xs, " has ", C,
                    C == 1 ? " channel" : " channels", ", but weight of shape ", ws, " with groups=", groups, " expects ",
                    ws[1] * groups, " channels (weight.shape[1] * groups)");
  if (bias.defined()) {
    detail::check_device(bias, op);
    EMBER_CHECK_TYPE(bias.dtype() == input.dtype(), op, ": bias dtype (", bias.dtype(),
                     ") must equal input dtype (", input.dtype(), ")");
    EMBER_CHECK_VALUE(bias.dim() == 1 && bias.sizes()[0] == OC, op, ": bias must have shape (",
                      OC, ",) (out_channels), got shape ", bias.sizes());
  }
  Shape in_sp(xs.end() - nsp, xs.end()), k_sp(ws.end() - nsp, ws.end()), padded(nsp),
      eff(nsp), out(nsp);
  for (int i = 0; i < nsp; ++i) {
    padded[i] = in_sp[i] + pad_lo[i] + pad_hi[i];
    eff[i] = dilation[i] * (k_sp[i] - 1) + 1;
  }
  bool fits = true;
  for (int i = 0; i < nsp; ++i) fits = fits && eff[i] <= padded[i];
  EMBER_CHECK_VALUE(fits, op, ": kernel size ", eff, " (after dilation) is larger than the padded "
                    "input size ", padded, "; input shape ", xs, ", weight shape ", ws);
  for (int i = 0; i < nsp; ++i) out[i] = (padded[i] - eff[i]) / stride[i] + 1;

  Tensor x = unbatched ? unsqueeze(input, 0) : input;
  Tensor w = to_planes(weight, nsp);
  x = to_planes(x, nsp);
  const Shape st = lift(stride, nsp, 1), dl = lift(dilation, nsp, 1), pl = lift(pad_lo, nsp, 0);
  const Shape o2 = lift(out, nsp, 1);
  Conv2dGeom G{};
  G.N = x.sizes()[0];
  G.C = C;
  G.H = x.sizes()[2];
  G.W = x.sizes()[3];
  G.OC = OC;
  G.KH = w.sizes()[2];
  G.KW = w.sizes()[3];
  G.OH = o2[0];
  G.OW = o2[1];
  G.sh = st[0];
  G.sw = st[1];
  G.pt = pl[0];
  G.pl = pl[1];
  G.dh = dl[0];
  G.dw = dl[1];
  G.groups = groups;
  Tensor y = from_planes(conv_fwd(x, w, bias, G), nsp);
  return unbatched ? squeeze(y, DimList{0}) : y;
}

// 'same' / 'valid' string padding.
Tensor conv_nd_str(const char* op, int nsp, const Tensor& input, const Tensor& weight,
                   const Tensor& bias, const Shape& stride_in, const std::string& padding,
                   const Shape& dilation_in, int64_t groups) {
  EMBER_CHECK_VALUE(padding == "same" || padding == "valid", op,
                    ": padding must be 'same', 'valid', an int or a tuple of ints, got '",
                    padding, "'");
  if (padding == "valid") {
    const Shape z(nsp, 0);
    return conv_nd(op, nsp, input, weight, bias, stride_in, z, z, dilation_in, groups);
  }
  const Shape stride = per_dim(stride_in, nsp, op, "stride");
  const Shape dilation = per_dim(dilation_in, nsp, op, "dilation");
  for (int64_t s : stride) {
    EMBER_CHECK_VALUE(s == 1, op, ": padding='same' is not supported for strided convolutions, "
                      "got stride=", stride);
  }
  EMBER_CHECK_VALUE(weight.dim() == nsp + 2, op, ": expected ", nsp + 2, "-D weight, got weight "
                    "of shape ", weight.sizes());
  Shape lo(nsp), hi(nsp);
  for (int i = 0; i < nsp; ++i) {
    const int64_t k = weight.sizes()[weight.dim() - nsp + i];
    const int64_t total = std::max<int64_t>(dilation[i] * (k - 1), 0);
    lo[i] = total / 2;  // the extra cell of an odd total goes to the end, like PyTorch
    hi[i] = total - lo[i];
  }
  return conv_nd(op, nsp, input, weight, bias, stride, lo, hi, dilation, groups);
}

Tensor conv_transpose_nd(const char* op, int nsp, const Tensor& input, const Tensor& weight,
                         const Tensor& bias, const Shape& stride_in, const Shape& padding_in,
                         const Shape& out_pad_in, int64_t groups, const Shape& dilation_in) {
  check_float(input, op, "input");
  detail::check_device(weight, op);
  EMBER_CHECK_TYPE(weight.dtype() == input.dtype(), op, ": weight dtype (", weight.dtype(),
                   ") must equal input dtype (", input.dtype(), ")");
  const bool unbatched = check_input_rank(input, nsp, op);
  EMBER_CHECK_VALUE(weight.dim() == nsp + 2, op, ": expected ", nsp + 2, "-D weight (in_channels, "
                    "out_channels/groups, ", nsp == 1 ? "kW" : "kH, kW", "), got weight of shape ",
                    weight.sizes());
  const Shape stride = per_dim(stride_in, nsp, op, "stride");
  const Shape padding = per_dim(padding_in, nsp, op, "padding");
  const Shape out_pad = per_dim(out_pad_in, nsp, op, "output_padding");
  const Shape dilation = per_dim(dilation_in, nsp, op, "dilation");
  check_all(stride, 1, op, "stride");
  check_all(dilation, 1, op, "dilation");
  check_all(padding, 0, op, "padding");
  check_all(out_pad, 0, op, "output_padding");
  EMBER_CHECK_VALUE(groups >= 1, op, ": groups must be positive, got groups=", groups);
  for (int i = 0; i < nsp; ++i) {
    EMBER_CHECK_VALUE(out_pad[i] < stride[i] || out_pad[i] < dilation[i], op,
                      ": output_padding must be smaller than either stride or dilation, got "
                      "output_padding=", out_pad, ", stride=", stride, ", dilation=", dilation);
  }
  const Shape& xs = input.sizes();
  const Shape& ws = weight.sizes();
  const int64_t Cin = xs[unbatched ? 0 : 1];
  EMBER_CHECK_VALUE(Cin == ws[0], op, ": input of shape ", xs, " has ", Cin,
                    Cin == 1 ? " channel" : " channels", ", but weight of shape ", ws, " expects ", ws[0],
                    " (weight.shape[0] = in_channels)");
  EMBER_CHECK_VALUE(Cin % groups == 0, op, ": in_channels (", Cin,
                    ") must be divisible by groups (", groups, ")");
  const int64_t Cout = ws[1] * groups;
  if (bias.defined()) {
    detail::check_device(bias, op);
    EMBER_CHECK_TYPE(bias.dtype() == input.dtype(), op, ": bias dtype (", bias.dtype(),
                     ") must equal input dtype (", input.dtype(), ")");
    EMBER_CHECK_VALUE(bias.dim() == 1 && bias.sizes()[0] == Cout, op, ": bias must have shape (",
                      Cout, ",) (out_channels), got shape ", bias.sizes());
  }
  Shape in_sp(xs.end() - nsp, xs.end()), k_sp(ws.end() - nsp, ws.end()), out(nsp);
  bool ok = true;
  for (int i = 0; i < nsp; ++i) {
    out[i] = (in_sp[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k_sp[i] - 1) +
             out_pad[i] + 1;
    ok = ok && out[i] >= 1;
  }
  EMBER_CHECK_VALUE(ok, op, ": computed output size ", out, " is too small; input shape ", xs,
                    ", weight shape ", ws, ", stride=", stride, ", padding=", padding);

  Tensor x = to_planes(unbatched ? unsqueeze(input, 0) : input, nsp);
  Tensor w = to_planes(weight, nsp);
  const Shape st = lift(stride, nsp, 1), dl = lift(dilation, nsp, 1), pd = lift(padding, nsp, 0);
  const Shape o2 = lift(out, nsp, 1);
  // The geometry of the convolution whose input gradient this is: conv input = our output.
  Conv2dGeom G{};
  G.N = x.sizes()[0];
  G.C = Cout;
  G.H = o2[0];
  G.W = o2[1];
  G.OC = Cin;
  G.KH = w.sizes()[2];
  G.KW = w.sizes()[3];
  G.OH = x.sizes()[2];
  G.OW = x.sizes()[3];
  G.sh = st[0];
  G.sw = st[1];
  G.pt = pd[0];
  G.pl = pd[1];
  G.dh = dl[0];
  G.dw = dl[1];
  G.groups = groups;
  Tensor y = conv_bwd_input(x, w, G);
  if (bias.defined()) y = add(y, reshape(bias, {1, Cout, 1, 1}));
  y = from_planes(y, nsp);
  return unbatched ? squeeze(y, DimList{0}) : y;
}

// ---- pooling -----------------------------------------------------------------------------------

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// PyTorch's pooling output length.
int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil) {
  int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0), stride) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

struct PoolCall {
  Tensor x;  // (N, C, H, W)
  bool unbatched;
  Pool2dGeom G;
  Shape out_sizes;  // (N, C, OH, OW)
};

PoolCall pool_setup(const char* op, int nsp, const Tensor& input, const Shape& kernel_in,
                    const Shape& stride_in, const Shape& padding_in, const Shape& dilation_in,
                    bool ceil_mode, bool is_max) {
  check_float(input, op, "input");
  const bool unbatched = check_input_rank(input, nsp, op);
  bool nonempty = true;
  for (int64_t d = unbatched ? 0 : 1; d < input.dim(); ++d) nonempty = nonempty && input.sizes()[d] > 0;
  EMBER_CHECK_VALUE(nonempty, op, ": expected input with non-zero channel and spatial sizes, got "
                    "input of shape ", input.sizes());
  const Shape kernel = per_dim(kernel_in, nsp, op, "kernel_size");
  const Shape stride = stride_in.empty() ? kernel : per_dim(stride_in, nsp, op, "stride");
  const Shape padding = per_dim(padding_in, nsp, op, "padding");
  const Shape dilation = per_dim(dilation_in, nsp, op, "dilation");
  check_all(kernel, 1, op, "kernel_size");
  check_all(stride, 1, op, "stride");
  check_all(dilation, 1, op, "dilation");
  check_all(padding, 0, op, "padding");
  for (int i = 0; i < nsp; ++i) {
    if (is_max) {
      EMBER_CHECK_VALUE(padding[i] <= ((kernel[i] - 1) * dilation[i] + 1) / 2, op,
                        ": padding should be at most half of the effective kernel size, got "
                        "padding=", padding, ", kernel_size=", kernel, ", dilation=", dilation);
    } else {
      EMBER_CHECK_VALUE(padding[i] <= kernel[i] / 2, op, ": padding should be at most half of "
                        "kernel_size, got padding=", padding, ", kernel_size=", kernel);
    }
  }
  const Shape& xs = input.sizes();
  Shape out(nsp);
  bool ok = true;
  for (int i = 0; i < nsp; ++i) {
    out[i] = pool_out(xs[xs.size() - nsp + i], kernel[i], padding[i], stride[i], dilation[i],
                      ceil_mode);
    ok = ok && out[i] >= 1;
  }
  EMBER_CHECK_VALUE(ok, op, ": output size ", out, " is too small; input shape ", xs,
                    ", kernel_size=", kernel, ", stride=", stride, ", padding=", padding,
                    ", dilation=", dilation);
  if (is_max) {
    // A dilated (or ceil-mode) window can fall wholly in the padding: it would have no maximum
    // to take (PyTorch returns -inf there and indexes out of bounds in backward).
    for (int i = 0; i < nsp; ++i) {
      if (dilation[i] == 1 && !ceil_mode) continue;
      const int64_t len = xs[xs.size() - nsp + i];
      for (int64_t o = 0; o < out[i]; ++o) {
        const int64_t start = o * stride[i] - padding[i];
        bool hits = false;
        for (int64_t k = 0; k < kernel[i] && !hits; ++k) {
          const int64_t t = start + k * dilation[i];
          hits = t >= 0 && t < len;
        }
        EMBER_CHECK_VALUE(hits, op, ": output position ", o, " of spatial dim ", i, " has a "
                          "window that lies wholly in the padding, with no input value to take "
                          "the maximum of; input shape ", xs, ", kernel_size=", kernel,
                          ", stride=", stride, ", padding=", padding, ", dilation=", dilation,
                          ", ceil_mode=", ceil_mode ? "True" : "False",
                          "; use less padding or dilation");
      }
    }
  }
  PoolCall p;
  p.unbatched = unbatched;
  p.x = to_planes(unbatched ? unsqueeze(input, 0) : input, nsp);
  const Shape k2 = lift(kernel, nsp, 1), s2 = lift(stride, nsp, 1), p2 = lift(padding, nsp, 0),
              d2 = lift(dilation, nsp, 1), o2 = lift(out, nsp, 1);
  const Shape& s4 = p.x.sizes();
  p.G = Pool2dGeom{s4[0] * s4[1], s4[2], s4[3], o2[0], o2[1], k2[0], k2[1],
                   s2[0], s2[1], p2[0], p2[1], d2[0], d2[1]};
  p.out_sizes = {s4[0], s4[1], o2[0], o2[1]};
  return p;
}

// Back to the caller's layout: drop the height-1 dim of 1-D ops and the batch of unbatched input.
Tensor pool_finish(const Tensor& y, int nsp, bool unbatched) {
  Tensor r = from_planes(y, nsp);
  return unbatched ? squeeze(r, DimList{0}) : r;
}

// gx (in_sizes) with gy scattered to the positions in idx; its own backward gathers.
Tensor max_scatter(const Tensor& gy, const Tensor& idx, const Shape& in_sizes) {
  const int64_t planes = in_sizes[0] * in_sizes[1];
  const int64_t in_plane = in_sizes[2] * in_sizes[3];
  const int64_t out_plane = idx.sizes()[2] * idx.sizes()[3];
  Tensor gx = empty(in_sizes, gy.dtype());
  cpu::max_pool_backward(gx, raw_contiguous(gy), idx, planes, in_plane, out_plane);
  const Shape out_sizes = idx.sizes();
  return record("MaxPool2DWithIndicesBackwardBackward0", gx, {gy},
                [idx, planes, in_plane, out_plane, out_sizes](const Ctx&, const Tensor& g) {
                  Tensor flat = reshape(g, {planes, in_plane});
                  Tensor picked = gather(flat, 1, reshape(idx, {planes, out_plane}));
                  return TensorList{reshape(picked, out_sizes)};
                }, 0);
}

Tensor max_values_with_grad(const Tensor& x, const Tensor& y, const Tensor& idx) {
  const Shape in_sizes = x.sizes();
  return record("MaxPool2DWithIndicesBackward0", y, {x},
                [idx, in_sizes](const Ctx&, const Tensor& g) {
                  return TensorList{max_scatter(g, idx, in_sizes)};
                }, 0);
}

Tensor avg_fwd(const Tensor& x, const Pool2dGeom& G, const Shape& out_sizes, bool inc, int64_t div);
Tensor avg_bwd(const Tensor& gy, const Pool2dGeom& G, const Shape& in_sizes, bool inc, int64_t div);

Tensor avg_fwd(const Tensor& x, const Pool2dGeom& G, const Shape& out_sizes, bool inc,
               int64_t div) {
  Tensor y = empty(out_sizes, x.dtype());
  cpu::avg_pool2d_forward(y, raw_contiguous(x), G, inc, div);
  const Shape in_sizes = x.sizes();
  return record("AvgPool2DBackward0", y, {x}, [G, in_sizes, inc, div](const Ctx&, const Tensor& g) {
    return TensorList{avg_bwd(g, G, in_sizes, inc, div)};
  }, 0);
}

Tensor avg_bwd(const Tensor& gy, const Pool2dGeom& G, const Shape& in_sizes, bool inc,
               int64_t div) {
  Tensor gx = empty(in_sizes, gy.dtype());
  cpu::avg_pool2d_backward(gx, raw_contiguous(gy), G, inc, div);
  const Shape out_sizes = gy.sizes();
  return record("AvgPool2DBackwardBackward0", gx, {gy},
                [G, out_sizes, inc, div](const Ctx&, const Tensor& g) {
                  return TensorList{avg_fwd(g, G, out_sizes, inc, div)};
                }, 0);
}

Tensor adaptive_avg_fwd(const Tensor& x, const Pool2dGeom& G, const Shape& out_sizes);
Tensor adaptive_avg_bwd(const Tensor& gy, const Pool2dGeom& G, const Shape& in_sizes);

Tensor adaptive_avg_fwd(const Tensor& x, const Pool2dGeom& G, const Shape& out_sizes) {
  Tensor y = empty(out_sizes, x.dtype());
  cpu::adaptive_avg_pool2d_forward(y, raw_contiguous(x), G);
  const Shape in_sizes = x.sizes();
  return record("AdaptiveAvgPool2DBackward0", y, {x}, [G, in_sizes](const Ctx&, const Tensor& g) {
    return TensorList{adaptive_avg_bwd(g, G, in_sizes)};
  }, 0);
}

Tensor adaptive_avg_bwd(const Tensor& gy, const Pool2dGeom& G, const Shape& in_sizes) {
  Tensor gx = empty(in_sizes, gy.dtype());
  cpu::adaptive_avg_pool2d_backward(gx, raw_contiguous(gy), G);
  const Shape out_sizes = gy.sizes();
  return record("AdaptiveAvgPool2DBackwardBackward0", gx, {gy},
                [G, out_sizes](const Ctx&, const Tensor& g) {
                  return TensorList{adaptive_avg_fwd(g, G, out_sizes)};
                }, 0);
}

std::pair<Tensor, Tensor> max_pool_nd(const char* op, int nsp, const Tensor& input,
                                      const Shape& kernel, const Shape& stride,
                                      const Shape& padding, const Shape& dilation,
                                      bool ceil_mode) {
  PoolCall p = pool_setup(op, nsp, input, kernel, stride, padding, dilation, ceil_mode, true);
  Tensor y = empty(p.out_sizes, input.dtype());
  Tensor idx = empty(p.out_sizes, DType::Int64);
  cpu::max_pool2d_forward(y, idx, raw_contiguous(p.x), p.G);
  y = max_values_with_grad(p.x, y, idx);
  return {pool_finish(y, nsp, p.unbatched), pool_finish(idx, nsp, p.unbatched)};
}

Tensor avg_pool_nd(const char* op, int nsp, const Tensor& input, const Shape& kernel,
                   const Shape& stride, const Shape& padding, bool ceil_mode,
                   bool count_include_pad, std::optional<int64_t> divisor_override) {
  if (divisor_override) {
    EMBER_CHECK_VALUE(*divisor_override != 0, op, ": divisor_override must be non-zero, got 0");
  }
  PoolCall p = pool_setup(op, nsp, input, kernel, stride, padding, Shape{1}, ceil_mode, false);
  const int64_t div = divisor_override ? *divisor_override : 0;
  EMBER_CHECK_VALUE(div >= 0, op, ": divisor_override must be positive, got ", div);
  Tensor y = avg_fwd(p.x, p.G, p.out_sizes, count_include_pad, div);
  return pool_finish(y, nsp, p.unbatched);
}

PoolCall adaptive_setup(const char* op, int nsp, const Tensor& input, const Shape& out_in) {
  check_float(input, op, "input");
  const bool unbatched = check_input_rank(input, nsp, op);
  bool nonempty = true;
  for (int64_t d = unbatched ? 0 : 1; d < input.dim(); ++d) nonempty = nonempty && input.sizes()[d] > 0;
  EMBER_CHECK_VALUE(nonempty, op, ": expected input with non-zero channel and spatial sizes, got "
                    "input of shape ", input.sizes());
  const Shape out = per_dim(out_in, nsp, op, "output_size");
  check_all(out, 1, op, "output_size");
  PoolCall p;
  p.unbatched = unbatched;
  p.x = to_planes(unbatched ? unsqueeze(input, 0) : input, nsp);
  const Shape o2 = lift(out, nsp, 1);
  const Shape& s4 = p.x.sizes();
  p.G = Pool2dGeom{s4[0] * s4[1], s4[2], s4[3], o2[0], o2[1], 0, 0, 0, 0, 0, 0, 0, 0};
  p.out_sizes = {s4[0], s4[1], o2[0], o2[1]};
  return p;
}

Tensor adaptive_avg_nd(const char* op, int nsp, const Tensor& input, const Shape& out) {
  PoolCall p = adaptive_setup(op, nsp, input, out);
  return pool_finish(adaptive_avg_fwd(p.x, p.G, p.out_sizes), nsp, p.unbatched);
}

std::pair<Tensor, Tensor> adaptive_max_nd(const char* op, int nsp, const Tensor& input,
                                          const Shape& out) {
  PoolCall p = adaptive_setup(op, nsp, input, out);
  Tensor y = empty(p.out_sizes, input.dtype());
  Tensor idx = empty(p.out_sizes, DType::Int64);
  cpu::adaptive_max_pool2d_forward(y, idx, raw_contiguous(p.x), p.G);
  y = max_values_with_grad(p.x, y, idx);
  return {pool_finish(y, nsp, p.unbatched), pool_finish(idx, nsp, p.unbatched)};
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const Shape& padding, const Shape& dilation, int64_t groups) {
  EMBER_TRACE(conv2d, input, weight, bias, stride, padding, dilation, groups);
  const Shape pad = per_dim(padding, 2, "conv2d", "padding");
  return conv_nd("conv2d", 2, input, weight, bias, stride, pad, pad, dilation, groups);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const std::string& padding, const Shape& dilation, int64_t groups) {
  EMBER_TRACE_AS("conv2d.str", conv2d, input, weight, bias, stride, padding, dilation, groups);
  return conv_nd_str("conv2d", 2, input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const Shape& padding, const Shape& dilation, int64_t groups) {
  EMBER_TRACE(conv1d, input, weight, bias, stride, padding, dilation, groups);
  const Shape pad = per_dim(padding, 1, "conv1d", "padding");
  return conv_nd("conv1d", 1, input, weight, bias, stride, pad, pad, dilation, groups);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const std::string& padding, const Shape& dilation, int64_t groups) {
  EMBER_TRACE_AS("conv1d.str", conv1d, input, weight, bias, stride, padding, dilation, groups);
  return conv_nd_str("conv1d", 1, input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const Shape& padding, const Shape& output_padding,
                        int64_t groups, const Shape& dilation) {
  EMBER_TRACE(conv_transpose2d, input, weight, bias, stride, padding, output_padding, groups, dilation);
  return conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const Shape& padding, const Shape& output_padding,
                        int64_t groups, const Shape& dilation) {
  EMBER_TRACE(conv_transpose1d, input, weight, bias, stride, padding, output_padding, groups, dilation);
  return conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation);
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Shape& kernel_size,
                                                  const Shape& stride, const Shape& padding,
                                                  const Shape& dilation, bool ceil_mode) {
  EMBER_TRACE(max_pool2d_with_indices, input, kernel_size, stride, padding, dilation, ceil_mode);
  return max_pool_nd("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, const Shape& kernel_size,
                                                  const Shape& stride, const Shape& padding,
                                                  const Shape& dilation, bool ceil_mode) {
  EMBER_TRACE(max_pool1d_with_indices, input, kernel_size, stride, padding, dilation, ceil_mode);
  return max_pool_nd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode);
}

Tensor avg_pool2d(const Tensor& input, const Shape& kernel_size, const Shape& stride,
                  const Shape& padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  EMBER_TRACE(avg_pool2d, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
  return avg_pool_nd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override);
}

Tensor avg_pool1d(const Tensor& input, const Shape& kernel_size, const Shape& stride,
                  const Shape& padding, bool ceil_mode, bool count_include_pad) {
  EMBER_TRACE(avg_pool1d, input, kernel_size, stride, padding, ceil_mode, count_include_pad);
  return avg_pool_nd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, std::nullopt);
}

Tensor adaptive_avg_pool2d(const Tensor& input, const Shape& output_size) {
  EMBER_TRACE(adaptive_avg_pool2d, input, output_size);
  return adaptive_avg_nd("adaptive_avg_pool2d", 2, input, output_size);
}

Tensor adaptive_avg_pool1d(const Tensor& input, const Shape& output_size) {
  EMBER_TRACE(adaptive_avg_pool1d, input, output_size);
  return adaptive_avg_nd("adaptive_avg_pool1d", 1, input, output_size);
}

std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, const Shape& output_size) {
  EMBER_TRACE(adaptive_max_pool2d, input, output_size);
  return adaptive_max_nd("adaptive_max_pool2d", 2, input, output_size);
}

std::pair<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, const Shape& output_size) {
  EMBER_TRACE(adaptive_max_pool1d, input, output_size);
  return adaptive_max_nd("adaptive_max_pool1d", 1, input, output_size);
}

}  // namespace ember
