#include "ember/ops/internal.h"

namespace ember {

using autograd::Ctx;
using autograd::record;

namespace {

// Runs a reduction kernel: `out_dtype` is the result dtype; returns keepdim=False layout
// reshaped to keepdim=True when asked.
Tensor reduce_kernel(cpu::ReduceOp op, const Tensor& x, const std::vector<bool>& mask,
                     bool keepdim, DType out_dtype) {
  Shape out_sizes = meta::reduced_sizes(x.sizes(), mask, false);
  Tensor out = empty(out_sizes, out_dtype, x.device());
  if (x.numel() == 0) {
    cpu::fill(out, op == cpu::ReduceOp::Prod || op == cpu::ReduceOp::All ? Scalar(int64_t{1})
                                                                          : Scalar(int64_t{0}));
  } else {
    cpu::reduce(op, out, x, mask);
  }
  if (keepdim) {
    Shape kept = meta::reduced_sizes(x.sizes(), mask, true);
    return make_view(out, kept, contiguous_strides(kept), 0);
  }
  return out;
}

// Broadcasts a reduced gradient back over the reduced dims.
Tensor expand_reduced(const Tensor& g, const Shape& in_sizes, const std::vector<bool>& mask,
                      bool keepdim) {
  Tensor gk = g;
  if (!keepdim) gk = reshape(g, meta::reduced_sizes(in_sizes, mask, true));
  return expand(gk, in_sizes);
}

}  // namespace

Tensor sum(const Tensor& x, const DimList& dims, bool keepdim, std::optional<DType> dtype) {
  auto mask = meta::reduce_mask(dims, x.dim(), "sum");
  DType out_dt = dtype ? *dtype : (is_integral(x.dtype(), true) ? DType::Int64 : x.dtype());
  Tensor y = reduce_kernel(cpu::ReduceOp::Sum, x, mask, keepdim, out_dt);
  return record("SumBackward1", y, {x}, [mask, keepdim](const Ctx& c, const Tensor& g) {
    return TensorList{expand_reduced(g, c.input_sizes(0), mask, keepdim)};
  }, 0);
}

Tensor mean(const Tensor& x, const DimList& dims, bool keepdim) {
  EMBER_CHECK_TYPE(is_floating(x.dtype()), "mean: could not infer output dtype; input dtype must "
                   "be floating point, got ", x.dtype(), " (use x.float().mean())");
  auto mask = meta::reduce_mask(dims, x.dim(), "mean");
  int64_t count = 1;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (mask[d]) count *= x.sizes()[d];
  }
  Tensor s = reduce_kernel(cpu::ReduceOp::Sum, x, mask, keepdim, x.dtype());
  Tensor y = empty(s.sizes(), s.dtype());
  cpu::binary(BinaryOp::Div, y, s, scalar_to_tensor(Scalar(static_cast<double>(count)), s.dtype()));
  return record("MeanBackward1", y, {x}, [mask, keepdim, count](const Ctx& c, const Tensor& g) {
    return TensorList{
        expand_reduced(g / Scalar(static_cast<double>(count)), c.input_sizes(0), mask, keepdim)};
  }, 0);
}

Tensor sum_to(const Tensor& g, const Shape& sizes) {
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

Tensor all(const Tensor& x, const DimList& dims, bool keepdim) {
  auto mask = meta::reduce_mask(dims, x.dim(), "all");
  return reduce_kernel(cpu::ReduceOp::All, x, mask, keepdim, DType::Bool);
}

Tensor any(const Tensor& x, const DimList& dims, bool keepdim) {
  auto mask = meta::reduce_mask(dims, x.dim(), "any");
  return reduce_kernel(cpu::ReduceOp::Any, x, mask, keepdim, DType::Bool);
}

namespace {
Tensor full_extreme(const Tensor& x, bool is_max) {
  const char* name = is_max ? "max" : "min";
  EMBER_CHECK_VALUE(x.numel() > 0, name, ": expected a non-empty tensor (shape ", x.sizes(),
                    "); use the dim= form on empty tensors only along a non-empty dim");
  auto mask = meta::reduce_mask({}, x.dim(), name);
  Tensor y = reduce_kernel(is_max ? cpu::ReduceOp::Max : cpu::ReduceOp::Min, x, mask, false,
                           x.dtype());
  return record(is_max ? "MaxBackward1" : "MinBackward1", y, {x},
                [](const Ctx& c, const Tensor& g) {
                  // The gradient is shared evenly among all positions equal to the extreme.
                  const Tensor& in = c.input(0);
                  Tensor hit = eq(in, c.output()).to(g.dtype());
                  return TensorList{hit * (g / sum(hit))};
                },
                autograd::kSaveInputs | autograd::kSaveOutput);
}
}  // namespace

Tensor max(const Tensor& x) { return full_extreme(x, true); }
Tensor min(const Tensor& x) { return full_extreme(x, false); }

}  // namespace ember
