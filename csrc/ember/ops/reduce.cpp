#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/core/grad_mode.h"
#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::kSaveInputs;
using autograd::kSaveOutput;
using autograd::record;

namespace {

// Views a keepdim=False reduction result with the reduced dims kept as size 1.
Tensor keep_dims(const Tensor& out, const Shape& in_sizes, const std::vector<bool>& mask) {
  Shape kept = meta::reduced_sizes(in_sizes, mask, true);
  return make_view(out, kept, contiguous_strides(kept), out.storage_offset());
}

// Runs a reduction kernel: `out_dtype` is the result dtype; returns keepdim=False layout
// reshaped to keepdim=True when asked. Empty inputs give the identity of Sum/Prod/All/Any.
Tensor reduce_kernel(cpu::ReduceOp op, const Tensor& x, const std::vector<bool>& mask,
                     bool keepdim, DType out_dtype, const char* name) {
  detail::check_device(x, name);
  Shape out_sizes = meta::reduced_sizes(x.sizes(), mask, false);
  Tensor out = empty(out_sizes, out_dtype, x.device());
  if (x.numel() == 0) {
    cpu::fill(out, op == cpu::ReduceOp::Prod || op == cpu::ReduceOp::All ? Scalar(int64_t{1})
                                                                          : Scalar(int64_t{0}));
  } else {
    cpu::reduce(op, out, x, mask);
  }
  return keepdim ? keep_dims(out, x.sizes(), mask) : out;
}

// Broadcasts a reduced gradient back over the reduced dims.
Tensor expand_reduced(const Tensor& g, const Shape& in_sizes, const std::vector<bool>& mask,
                      bool keepdim) {
  Tensor gk = g;
  if (!keepdim) gk = reshape(g, meta::reduced_sizes(in_sizes, mask, true));
  return expand(gk, in_sizes);
}

// Number of elements folded into each output element.
int64_t reduced_count(const Shape& sizes, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (mask[d]) n *= sizes[d];
  }
  return n;
}

DimList single_dim(std::optional<int64_t> dim) {
  return dim ? DimList{*dim} : DimList{};
}

Tensor scalar_like(double v, DType dtype) { return scalar_to_tensor(Scalar(v), dtype); }

}  // namespace

Tensor sum(const Tensor& x, const DimList& dims, bool keepdim, std::optional<DType> dtype) {
  EMBER_TRACE(sum, x, dims, keepdim, dtype);
  auto mask = meta::reduce_mask(dims, x.dim(), "sum");
  // PyTorch converts the input to `dtype` before summing (so float -> int truncates first).
  const Tensor in = dtype ? to(x, *dtype) : x;
  DType out_dt = dtype ? *dtype : (is_integral(x.dtype(), true) ? DType::Int64 : x.dtype());
  Tensor y = reduce_kernel(cpu::ReduceOp::Sum, in, mask, keepdim, out_dt, "sum");
  if (!autograd::needs_record({&in})) return y;
  return record("SumBackward1", y, {in}, [mask, keepdim](const Ctx& c, const Tensor& g) {
    return TensorList{expand_reduced(g, c.input_sizes(0), mask, keepdim)};
  }, 0);
}

Tensor mean(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(mean, x, dims, keepdim);
  EMBER_CHECK_TYPE(is_floating(x.dtype()), "mean: could not infer output dtype; input dtype must "
                   "be floating point, got ", x.dtype(), " (use x.float().mean() or dtype=)");
  auto mask = meta::reduce_mask(dims, x.dim(), "mean");
  const int64_t count = reduced_count(x.sizes(), mask);
  Tensor s = reduce_kernel(cpu::ReduceOp::Sum, x, mask, keepdim, x.dtype(), "mean");
  Tensor y = empty(s.sizes(), s.dtype());
  // An empty reduction divides 0 by 0 and gives NaN, like PyTorch.
  cpu::binary(BinaryOp::Div, y, s, scalar_like(static_cast<double>(count), s.dtype()));
  if (!autograd::needs_record({&x})) return y;
  return record("MeanBackward1", y, {x}, [mask, keepdim, count](const Ctx& c, const Tensor& g) {
    return TensorList{
        expand_reduced(g / Scalar(static_cast<double>(count)), c.input_sizes(0), mask, keepdim)};
  }, 0);
}

Tensor sum_to(const Tensor& g, const Shape& sizes) {
  EMBER_TRACE(sum_to, g, sizes);
  if (g.sizes() == sizes) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(sizes.size());
  EMBER_INTERNAL_ASSERT(lead >= 0, "sum_to: shape ", g.sizes(), " to ", sizes);
  DimList dims;
  for (int64_t i = 0; i < g.dim(); ++i) {
    if (i < lead || (sizes[i - lead] == 1 && g.sizes()[i] != 1)) dims.push_back(i);
  }
  Tensor r = dims.empty() ? g : sum(g, dims, true);
  return lead > 0 || r.sizes() != sizes ? reshape(r, sizes) : r;
}

// all/any give bool, except uint8 inputs which give uint8 (PyTorch keeps that legacy rule).
Tensor all(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(all, x, dims, keepdim);
  auto mask = meta::reduce_mask(dims, x.dim(), "all");
  Tensor y = reduce_kernel(cpu::ReduceOp::All, x, mask, keepdim, DType::Bool, "all");
  return x.dtype() == DType::UInt8 ? detail::convert(y, DType::UInt8) : y;
}

Tensor any(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(any, x, dims, keepdim);
  auto mask = meta::reduce_mask(dims, x.dim(), "any");
  Tensor y = reduce_kernel(cpu::ReduceOp::Any, x, mask, keepdim, DType::Bool, "any");
  return x.dtype() == DType::UInt8 ? detail::convert(y, DType::UInt8) : y;
}

// ---- prod ------------------------------------------------------------------------------------

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  EMBER_TRACE(prod, x, dim, keepdim);
  const DimList dims = single_dim(dim);
  auto mask = meta::reduce_mask(dims, x.dim(), "prod");
  DType out_dt = is_integral(x.dtype(), true) ? DType::Int64 : x.dtype();
  Tensor y = reduce_kernel(cpu::ReduceOp::Prod, x, mask, keepdim, out_dt, "prod");
  return record("ProdBackward0", y, {x}, [dim, mask, keepdim](const Ctx& c, const Tensor& g) {
    // d prod / d x_i = product of the other elements. Dividing y by x_i fails at zeros, so
    // zeros are replaced by 1 (p = product of the nonzero elements): a slice without zeros
    // gets p / x_i, a slice with one zero gets p at the zero and 0 elsewhere, a slice with
    // several zeros gets 0 everywhere.
    const Tensor& in = c.input(0);
    const Shape& sizes = c.input_sizes(0);
    const DType dt = in.dtype();
    Tensor is_zero = eq(in, scalar_like(0.0, dt));
    Tensor safe = where(is_zero, scalar_like(1.0, dt), in);
    Tensor p = prod(safe, dim, true);
    Tensor n_zero = sum(is_zero, single_dim(dim), true);
    Tensor no_zero = eq(n_zero, scalar_to_tensor(Scalar(int64_t{0}), DType::Int64));
    Tensor lone_zero = logical_and(is_zero, eq(n_zero, scalar_to_tensor(Scalar(int64_t{1}),
                                                                        DType::Int64)));
    Tensor d = where(no_zero, p / safe, where(lone_zero, p, scalar_like(0.0, dt)));
    return TensorList{expand_reduced(g, sizes, mask, keepdim) * d};
  });
}

// ---- max / min -------------------------------------------------------------------------------

namespace {

Tensor full_extreme(const Tensor& x, bool is_max) {
  const char* name = is_max ? "max" : "min";
  EMBER_CHECK_VALUE(x.numel() > 0, name, ": expected a non-empty tensor (shape ", x.sizes(),
                    "); specify the reduction dim with the 'dim' argument (its size must be "
                    "non-zero)");
  auto mask = meta::reduce_mask({}, x.dim(), name);
  Tensor y = reduce_kernel(is_max ? cpu::ReduceOp::Max : cpu::ReduceOp::Min, x, mask, false,
                           x.dtype(), name);
  return record(is_max ? "MaxBackward1" : "MinBackward1", y, {x},
                [](const Ctx& c, const Tensor& g) {
                  // The gradient is shared evenly among all positions equal to the extreme
                  // (all NaN positions when the result is NaN).
                  const Tensor& in = c.input(0);
                  Tensor out = c.output();
                  const double v = out.item().to_double();
                  Tensor hit = (v != v ? ne(in, in) : eq(in, out)).to(g.dtype());
                  return TensorList{hit * (g / sum(hit))};
                },
                kSaveInputs | kSaveOutput);
}

// Scatters `g` (the reduced gradient) to the positions `idx` along `dim` of a zero tensor of
// `sizes`; built from ember ops so higher-order gradients flow through `g`.
Tensor index_backward(const Tensor& g, const Tensor& idx, const Shape& sizes, int64_t dim,
                      bool keepdim) {
  if (sizes.empty()) return reshape(g, sizes);
  Tensor gk = keepdim ? g : unsqueeze(g, dim);
  Tensor ik = keepdim ? idx : unsqueeze(idx, dim);
  Shape pos_shape(sizes.size(), 1);
  pos_shape[dim] = sizes[dim];
  Tensor pos = reshape(arange(Scalar(int64_t{0}), Scalar(sizes[dim]), Scalar(int64_t{1}),
                              DType::Int64),
                       pos_shape);
  Tensor hit = eq(pos, ik);
  return where(hit, gk, scalar_like(0.0, g.dtype()));
}

// Checks `dim` and that the reduced dim is non-empty; returns the wrapped dim.
int64_t check_index_dim(const Tensor& x, int64_t dim, const char* name) {
  int64_t d = wrap_dim(dim, x.dim(), name);
  EMBER_CHECK_INDEX(x.dim() == 0 || x.sizes()[d] > 0, name, ": expected reduction dim ", dim,
                    " to have non-zero size; input shape ", x.sizes());
  return d;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  detail::check_device(x, name);
  const int64_t d = check_index_dim(x, dim, name);
  auto mask = meta::reduce_mask({dim}, x.dim(), name);
  Shape out_sizes = meta::reduced_sizes(x.sizes(), mask, false);
  Tensor values = empty(out_sizes, x.dtype(), x.device());
  Tensor indices = empty(out_sizes, DType::Int64, x.device());
  cpu::reduce_with_index(is_max, values, indices, x, mask);
  if (keepdim) {
    values = keep_dims(values, x.sizes(), mask);
    indices = keep_dims(indices, x.sizes(), mask);
  }
  values = record(is_max ? "MaxBackward0" : "MinBackward0", values, {x},
                  [d, keepdim](const Ctx& c, const Tensor& g) {
                    return TensorList{index_backward(g, c.saved(0), c.input_sizes(0), d, keepdim)};
                  },
                  0, {indices});
  return {values, indices};
}

Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  detail::check_device(x, name);
  EMBER_CHECK_TYPE(x.dtype() != DType::Bool, name, ": not implemented for bool tensors; convert "
                   "with .to(ember.uint8) first");
  std::vector<bool> mask;
  if (dim) {
    check_index_dim(x, *dim, name);
    mask = meta::reduce_mask({*dim}, x.dim(), name);
  } else {
    EMBER_CHECK_VALUE(x.numel() > 0, name, ": expected a non-empty tensor (shape ", x.sizes(),
                      "); specify the reduction dim with the 'dim' argument (its size must be "
                      "non-zero)");
    mask = meta::reduce_mask({}, x.dim(), name);
  }
  Tensor out = empty(meta::reduced_sizes(x.sizes(), mask, false), DType::Int64, x.device());
  cpu::reduce_with_index(is_max, Tensor{}, out, x, mask);
  return keepdim ? keep_dims(out, x.sizes(), mask) : out;
}

}  // namespace

namespace {

// amax / amin: the extreme over `dims` (all when empty), values only, in one sweep of the input
// (reduce's vector paths) rather than one max(dim) with indices per dim.
Tensor values_extreme(const Tensor& x, const DimList& dims, bool keepdim, bool is_max) {
  const char* name = is_max ? "amax" : "amin";
  auto mask = meta::reduce_mask(dims, x.dim(), name);
  for (int64_t d = 0; d < x.dim(); ++d) {
    EMBER_CHECK_INDEX(!mask[static_cast<size_t>(d)] || x.sizes()[d] > 0, name,
                      ": expected reduction dim ", d, " to have non-zero size, got shape ",
                      x.sizes());
  }
  Tensor y = reduce_kernel(is_max ? cpu::ReduceOp::Max : cpu::ReduceOp::Min, x, mask, keepdim,
                           x.dtype(), name);
  return record(is_max ? "AmaxBackward0" : "AminBackward0", y, {x},
                [mask, keepdim](const Ctx& c, const Tensor& g) {
                  // Split evenly among the elements equal to the extreme (infinite ones too); a
                  // NaN result among the slice's NaN elements.
                  const Tensor& in = c.input(0);
                  const Shape& sizes = in.sizes();
                  Tensor m = expand_reduced(c.output(), sizes, mask, keepdim);
                  Tensor tie = to(where(ne(m, m), ne(in, in), eq(in, m)), g.dtype());
                  DimList reduced;
                  for (size_t d = 0; d < mask.size(); ++d) {
                    if (mask[d]) reduced.push_back(static_cast<int64_t>(d));
                  }
                  Tensor count = sum(tie, reduced, true);
                  return TensorList{expand_reduced(g, sizes, mask, keepdim) * tie / count};
                },
                kSaveInputs | kSaveOutput);
}

}  // namespace

Tensor amax(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(amax, x, dims, keepdim);
  return values_extreme(x, dims, keepdim, true);
}
Tensor amin(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(amin, x, dims, keepdim);
  return values_extreme(x, dims, keepdim, false);
}

Tensor max(const Tensor& x) {
  EMBER_TRACE(max, x);
  return full_extreme(x, true);
}
Tensor min(const Tensor& x) {
  EMBER_TRACE(min, x);
  return full_extreme(x, false);
}
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  EMBER_TRACE_AS("max.dim", max, x, dim, keepdim);
  return extreme_dim(x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  EMBER_TRACE_AS("min.dim", min, x, dim, keepdim);
  return extreme_dim(x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  EMBER_TRACE(argmax, x, dim, keepdim);
  return arg_extreme(x, dim, keepdim, true);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  EMBER_TRACE(argmin, x, dim, keepdim);
  return arg_extreme(x, dim, keepdim, false);
}

// ---- var / std -------------------------------------------------------------------------------

namespace {

// Forward of var without autograd; `name` is the op reported in errors.
Tensor var_forward(const Tensor& x, const std::vector<bool>& mask, double correction,
                   bool keepdim, const char* name) {
  detail::check_device(x, name);
  Tensor out = empty(meta::reduced_sizes(x.sizes(), mask, false), x.dtype(), x.device());
  if (x.numel() == 0) {
    cpu::fill(out, Scalar(std::numeric_limits<double>::quiet_NaN()));
  } else {
    cpu::var(out, x, mask, correction);
  }
  return keepdim ? keep_dims(out, x.sizes(), mask) : out;
}

// d var / dx = 2 (x - mean) / (n - correction), times the broadcast incoming gradient.
Tensor var_backward(const Tensor& g, const Tensor& in, const DimList& dims,
                    const std::vector<bool>& mask, double correction, bool keepdim) {
  const int64_t n = reduced_count(in.sizes(), mask);
  const double denom = std::max(0.0, static_cast<double>(n) - correction);
  Tensor centered = in - mean(in, dims, true);
  return expand_reduced(g, in.sizes(), mask, keepdim) * centered * Scalar(2.0 / denom);
}

void check_var_dtype(const Tensor& x, const char* name) {
  EMBER_CHECK_TYPE(is_floating(x.dtype()), name, ": only floating point inputs are supported, "
                   "got ", x.dtype(), " (convert with .to(ember.float32))");
}

}  // namespace

Tensor var(const Tensor& x, const DimList& dims, double correction, bool keepdim) {
  EMBER_TRACE(var, x, dims, correction, keepdim);
  check_var_dtype(x, "var");
  auto mask = meta::reduce_mask(dims, x.dim(), "var");
  Tensor y = var_forward(x, mask, correction, keepdim, "var");
  return record("VarBackward0", y, {x},
                [dims, mask, correction, keepdim](const Ctx& c, const Tensor& g) {
                  return TensorList{var_backward(g, c.input(0), dims, mask, correction, keepdim)};
                });
}

Tensor std(const Tensor& x, const DimList& dims, double correction, bool keepdim) {
  EMBER_TRACE_AS("std", std, x, dims, correction, keepdim);
  check_var_dtype(x, "std");
  auto mask = meta::reduce_mask(dims, x.dim(), "std");
  Tensor y;
  {
    NoGradGuard no_grad;
    y = sqrt(var_forward(x, mask, correction, keepdim, "std"));
  }
  return record("StdBackward0", y, {x},
                [dims, mask, correction, keepdim](const Ctx& c, const Tensor& g) {
                  // d std = d var / (2 std); where std is 0 the gradient is taken as 0 (PyTorch).
                  Tensor s = c.output();
                  Tensor gv = where(eq(s, scalar_like(0.0, s.dtype())), scalar_like(0.0, g.dtype()),
                                    g / (s * Scalar(2.0)));
                  return TensorList{var_backward(gv, c.input(0), dims, mask, correction, keepdim)};
                },
                kSaveInputs | kSaveOutput);
}

// ---- logsumexp -------------------------------------------------------------------------------

Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_TRACE(logsumexp, x, dims, keepdim);
  auto mask = meta::reduce_mask(dims, x.dim(), "logsumexp");
  Tensor xf = to(x, meta::float_result_dtype(x.dtype()));
  const DType dt = xf.dtype();
  detail::check_device(xf, "logsumexp");
  Tensor y = empty(meta::reduced_sizes(x.sizes(), mask, false), dt, x.device());
  if (xf.numel() == 0) {
    cpu::fill(y, Scalar(-std::numeric_limits<double>::infinity()));
  } else {
    cpu::logsumexp(y, xf, mask);
  }
  if (keepdim) y = keep_dims(y, x.sizes(), mask);
  return record("LogsumexpBackward0", y, {xf}, [mask, keepdim](const Ctx& c, const Tensor& g) {
    const Tensor& in = c.input(0);
    Tensor yk = expand_reduced(c.output(), in.sizes(), mask, keepdim);
    return TensorList{expand_reduced(g, in.sizes(), mask, keepdim) * exp(in - yk)};
  }, kSaveInputs | kSaveOutput);
}

// ---- cumsum ----------------------------------------------------------------------------------

namespace {

// The backward of cumsum is a cumulative sum from the end, and vice versa.
Tensor cumsum_impl(const Tensor& x, int64_t dim, bool reverse) {
  detail::check_device(x, "cumsum");
  const int64_t d = wrap_dim(dim, x.dim(), "cumsum");
  DType dt = is_integral(x.dtype(), true) ? DType::Int64 : x.dtype();
  Tensor y = empty(x.sizes(), dt, x.device());
  cpu::cumsum(y, x, d, reverse);
  return record(reverse ? "CumsumBackwardBackward0" : "CumsumBackward0", y, {x},
                [d, reverse](const Ctx&, const Tensor& g) {
                  return TensorList{cumsum_impl(g, d, !reverse)};
                },
                0);
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) {
  EMBER_TRACE(cumsum, x, dim);
  return cumsum_impl(x, dim, false);
}

}  // namespace ember
