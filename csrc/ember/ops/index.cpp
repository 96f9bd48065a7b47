// Indexing: index_select, gather, scatter_add, advanced indexing (index / index_put_), nonzero,
// masked_fill. Index values are checked and wrapped here, at the op's entry; the kernels in
// cpu/index.cpp trust them.

#include <algorithm>

#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::record;

namespace {

bool is_index_dtype(DType t) { return t == DType::Int64 || t == DType::Int32; }

// `idx` (int32/int64, any strides) as a fresh contiguous int64 tensor with negative values
// wrapped; IndexError naming `op`, the value, `dim` and `size` for values out of range.
Tensor normalize_index(const Tensor& idx, int64_t size, int64_t dim, const char* op) {
  Tensor out = empty(idx.sizes(), DType::Int64);
  cpu::copy(out, idx);
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    const int64_t v = p[i];
    EMBER_CHECK_INDEX(v >= -size && v < size, op, ": index ", v, " is out of bounds for dimension ",
                      dim, " with size ", size);
    if (v < 0) p[i] = v + size;
  }
  return out;
}

// Everything advanced indexing needs to know, independent of the strides of the tensor it is
// applied to (so the backward can reuse it on gradients).
struct IndexPlan {
  Shape sizes;       // sizes of the indexed tensor
  TensorList idx;    // one per dim: contiguous int64 of shape `bshape`, or undefined (full dim)
  DimList adv;       // indexed dims, ascending
  Shape bshape;      // broadcast shape of the index tensors
  DimList pre;       // dims placed before the broadcast block in the result
  DimList post;      // dims placed after it
  Shape result;      // result sizes: sizes[pre] + bshape + sizes[post]
};

IndexPlan make_plan(const Tensor& x, const TensorList& indices, const char* op) {
  IndexPlan plan;
  plan.sizes = x.sizes();
  const int64_t ndim = x.dim();
  // Expand bool masks into one int64 index per masked dim.
  TensorList raw;
  std::vector<int64_t> raw_dim;
  int64_t d = 0;
  for (const Tensor& t : indices) {
    if (!t.defined()) {
      raw.emplace_back();
      ++d;
      continue;
    }
    detail::check_device(t, op);
    if (t.dtype() == DType::Bool) {
      EMBER_CHECK_INDEX(t.dim() > 0, op, ": 0-d bool index tensors are not supported here; "
                        "index with x[None][mask.reshape(1)] or use x[True] in Python");
      EMBER_CHECK_INDEX(d + t.dim() <= ndim, op, ": too many indices for tensor of dimension ",
                        ndim, " (a bool mask of shape ", t.sizes(), " at dimension ", d, ")");
      for (int64_t k = 0; k < t.dim(); ++k) {
        EMBER_CHECK_INDEX(t.sizes()[k] == x.sizes()[d + k], op, ": the shape of the mask ",
                          t.sizes(), " at index ", k, " does not match the shape of the indexed "
                          "tensor ", x.sizes(), " at index ", d + k);
      }
      Tensor nz = nonzero(t);
      for (int64_t k = 0; k < t.dim(); ++k) {
        raw.push_back(make_view(nz, {nz.sizes()[0]}, {nz.strides()[0]},
                                nz.storage_offset() + k * nz.strides()[1]));
        raw_dim.push_back(d + k);
      }
      d += t.dim();
      continue;
    }
    EMBER_CHECK_INDEX(is_index_dtype(t.dtype()), op, ": tensors used as indices must be int64, "
                      "int32 or bool tensors, got ", t.dtype());
    raw.push_back(t);
    ++d;
  }
  EMBER_CHECK_INDEX(d <= ndim, op, ": too many indices for tensor of dimension ", ndim, " (got ",
                    d, ")");
  raw.resize(static_cast<size_t>(ndim));
  // Broadcast the index tensors together.
  bool first = true;
  for (int64_t i = 0; i < ndim; ++i) {
    if (!raw[i].defined()) continue;
    plan.adv.push_back(i);
    if (first) {
      plan.bshape = raw[i].sizes();
      first = false;
      continue;
    }
    const Shape& a = plan.bshape;
    const Shape& b = raw[i].sizes();
    const size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (size_t j = 0; j < n; ++j) {
      const int64_t da = j < n - a.size() ? 1 : a[j - (n - a.size())];
      const int64_t db = j < n - b.size() ? 1 : b[j - (n - b.size())];
      if (!(da == db || da == 1 || db == 1)) {
        std::string shapes;
        for (int64_t k : plan.adv) {
          shapes += (shapes.empty() ? "" : ", ") + detail::str(raw[k].sizes());
        }
        throw IndexError(detail::str(op, ": shape mismatch: indexing tensors could not be "
                                     "broadcast together with shapes ", shapes));
      }
      out[j] = da == 1 ? db : da;
    }
    plan.bshape = out;
  }
  plan.idx.resize(static_cast<size_t>(ndim));
  for (int64_t i : plan.adv) {
    Tensor e = make_view(raw[i], plan.bshape, meta::broadcast_strides(raw[i], plan.bshape),
                         raw[i].storage_offset());
    plan.idx[i] = normalize_index(e, x.sizes()[i], i, op);
  }
  // numpy's placement rule: adjacent advanced indices replace their dims in place; separated
  // ones move the broadcast dims to the front.
  bool adjacent = true;
  for (size_t k = 1; k < plan.adv.size(); ++k) {
    adjacent = adjacent && plan.adv[k] == plan.adv[k - 1] + 1;
  }
  const int64_t lo = plan.adv.empty() ? 0 : plan.adv.front();
  const int64_t hi = plan.adv.empty() ? -1 : plan.adv.back();
  for (int64_t i = 0; i < ndim; ++i) {
    if (i >= lo && i <= hi && (adjacent || plan.idx[i].defined())) continue;
    (adjacent && i < lo ? plan.pre : plan.post).push_back(i);
  }
  for (int64_t i : plan.pre) plan.result.push_back(x.sizes()[i]);
  plan.result.insert(plan.result.end(), plan.bshape.begin(), plan.bshape.end());
  for (int64_t i : plan.post) plan.result.push_back(x.sizes()[i]);
  return plan;
}

// Element offsets (relative to t.raw_data()) of the result's outer, indexed and inner parts.
struct Offsets {
  std::vector<int64_t> outer, index, inner;
};

Offsets plan_offsets(const IndexPlan& plan, const Tensor& t) {
  Offsets o;
  Shape s, st;
  for (int64_t i : plan.pre) {
    s.push_back(t.sizes()[i]);
    st.push_back(t.strides()[i]);
  }
  o.outer = cpu::grid_offsets(s, st);
  s.clear();
  st.clear();
  for (int64_t i : plan.post) {
    s.push_back(t.sizes()[i]);
    st.push_back(t.strides()[i]);
  }
  o.inner = cpu::grid_offsets(s, st);
  TensorList idx;
  std::vector<int64_t> strides;
  for (int64_t i : plan.adv) {
    idx.push_back(plan.idx[i]);
    strides.push_back(t.strides()[i]);
  }
  o.index = cpu::index_offsets(idx, strides, shape_numel(plan.bshape));
  return o;
}

// x[plan] without autograd.
Tensor index_raw(const Tensor& x, const IndexPlan& plan) {
  Tensor y = empty(plan.result, x.dtype(), x.device());
  if (y.numel() == 0) return y;
  Offsets o = plan_offsets(plan, x);
  cpu::index_gather(y, x, o.outer, o.index, o.inner);
  return y;
}

// `values` broadcast to `sizes` as a contiguous tensor of dtype `dt`.
Tensor materialize(const Tensor& values, const Shape& sizes, DType dt) {
  Tensor v = empty(sizes, dt, values.device());
  cpu::copy(v, values);
  return v;
}

Tensor index_put_impl(const Tensor& x, const IndexPlan& plan, const Tensor& values,
                      bool accumulate);

// x[plan] with autograd: the gradient scatters (accumulating) into zeros of x's shape.
Tensor index_impl(const Tensor& x, const IndexPlan& plan, const char* name) {
  Tensor y = index_raw(x, plan);
  return record(name, y, {x}, [plan](const Ctx& c, const Tensor& g) {
    return TensorList{index_put_impl(zeros(c.input_sizes(0), g.dtype()), plan, g, true)};
  }, 0);
}

// Out of place: a copy of x with x[plan] = values (or += when accumulating). Differentiable
// in x and values.
Tensor index_put_impl(const Tensor& x, const IndexPlan& plan, const Tensor& values,
                      bool accumulate) {
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  cpu::copy(out, x);
  const int64_t n = shape_numel(plan.result);
  if (n > 0) {
    Offsets o = plan_offsets(plan, out);
    cpu::index_put(out, materialize(values, plan.result, x.dtype()), o.outer, o.index, o.inner,
                   accumulate);
  }
  return record("IndexPutBackward0", out, {x, values},
                [plan, accumulate](const Ctx& c, const Tensor& g) {
                  Tensor gx, gv;
                  if (c.needs_grad(0)) {
                    gx = accumulate ? g
                                    : index_put_impl(g, plan, scalar_to_tensor(0.0, g.dtype()),
                                                     false);
                  }
                  if (c.needs_grad(1)) {
                    gv = sum_to(index_impl(g, plan, "IndexBackward0"), c.input_sizes(1));
                  }
                  return TensorList{gx, gv};
                }, 0);
}

void check_values_shape(const Tensor& values, const Shape& result, const char* op) {
  bool ok = values.dim() <= static_cast<int64_t>(result.size());
  for (int64_t i = 1; ok && i <= values.dim(); ++i) {
    const int64_t v = values.sizes()[values.dim() - i];
    ok = v == 1 || v == result[result.size() - i];
  }
  EMBER_CHECK_VALUE(ok, op, ": shape mismatch: value tensor of shape ", values.sizes(),
                    " cannot be broadcast to indexing result of shape ", result);
}

// Validates dim and a gather/scatter-style index against x (and src).
int64_t check_scatter_gather(const Tensor& x, int64_t dim, const Tensor& index, const char* op) {
  detail::check_device(x, op);
  detail::check_device(index, op);
  EMBER_CHECK_TYPE(is_index_dtype(index.dtype()), op, ": expected index of dtype int64 or int32, "
                   "got ", index.dtype());
  const int64_t nd = std::max<int64_t>(x.dim(), 1);
  dim = wrap_dim(dim, x.dim(), op);
  EMBER_CHECK_VALUE(std::max<int64_t>(index.dim(), 1) == nd, op, ": index must have the same "
                    "number of dimensions as input; got index of shape ", index.sizes(),
                    " and input of shape ", x.sizes());
  for (int64_t d = 0; d < x.dim() && index.dim() > 0; ++d) {
    EMBER_CHECK_VALUE(d == dim || index.sizes()[d] <= x.sizes()[d], op, ": index of shape ",
                      index.sizes(), " must be no larger than input of shape ", x.sizes(),
                      " in every dimension except dim ", dim);
  }
  return dim;
}

// 0-d tensors are handled as 1-element 1-d ones.
Tensor as_1d(const Tensor& t) {
  return t.dim() == 0 ? make_view(t, {1}, {1}, t.storage_offset()) : t;
}

}  // namespace

// ---- index_select ---------------------------------------------------------------------------

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_TRACE(index_select, x, dim, index);
  detail::check_device(x, "index_select");
  detail::check_device(index, "index_select");
  EMBER_CHECK_TYPE(is_index_dtype(index.dtype()), "index_select: expected index of dtype int64 "
                   "or int32, got ", index.dtype());
  EMBER_CHECK_INDEX(index.dim() <= 1, "index_select: index must be a vector (0-d or 1-d), got "
                    "shape ", index.sizes());
  dim = wrap_dim(dim, x.dim(), "index_select");
  if (x.dim() == 0) {
    EMBER_CHECK_VALUE(index.numel() == 1, "index_select: index of a 0-d input must have one "
                      "element, got shape ", index.sizes());
    return reshape(index_select(unsqueeze(x, 0), 0, index), {});
  }
  // x[:, ..., index] with `index` at `dim`: one indexed dim, so the plan is direct.
  IndexPlan plan;
  plan.sizes = x.sizes();
  plan.idx.assign(static_cast<size_t>(x.dim()), Tensor{});
  plan.idx[dim] = normalize_index(as_1d(index), x.sizes()[dim], dim, "index_select");
  plan.adv = {dim};
  plan.bshape = {index.numel()};
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i != dim) (i < dim ? plan.pre : plan.post).push_back(i);
  }
  plan.result = x.sizes();
  plan.result[dim] = index.numel();
  return index_impl(x, plan, "IndexSelectBackward0");
}

// ---- gather / scatter_add -------------------------------------------------------------------

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_TRACE(gather, x, dim, index);
  dim = check_scatter_gather(x, dim, index, "gather");
  const Tensor x1 = as_1d(x);
  const Tensor i1 = normalize_index(as_1d(index), x1.sizes()[dim], dim, "gather");
  Tensor y = empty(i1.sizes(), x.dtype(), x.device());
  cpu::gather(y, x1, dim, i1);
  // The backward uses the checked private copy of the index, shaped like the user's.
  const Tensor saved = index.dim() == 0 ? make_view(i1, {}, {}, 0) : i1;
  if (index.dim() == 0) y = make_view(y, {}, {}, 0);
  return record("GatherBackward0", y, {x}, [dim, saved](const Ctx& c, const Tensor& g) {
    return TensorList{scatter_add(zeros(c.input_sizes(0), g.dtype()), dim, saved, g)};
  }, 0);
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_TRACE(scatter_add, x, dim, index, src);
  dim = check_scatter_gather(x, dim, index, "scatter_add");
  detail::check_device(src, "scatter_add");
  EMBER_CHECK_TYPE(src.dtype() == x.dtype(), "scatter_add: expected src to have the dtype of "
                   "input (", x.dtype(), "), got ", src.dtype());
  EMBER_CHECK_VALUE(std::max<int64_t>(src.dim(), 1) == std::max<int64_t>(x.dim(), 1),
                    "scatter_add: src must have the same number of dimensions as input; got src "
                    "of shape ", src.sizes(), " and input of shape ", x.sizes());
  for (int64_t d = 0; d < index.dim() && src.dim() > 0; ++d) {
    EMBER_CHECK_VALUE(index.sizes()[d] <= src.sizes()[d], "scatter_add: index of shape ",
                      index.sizes(), " must be no larger than src of shape ", src.sizes(),
                      " in every dimension");
  }
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  cpu::copy(out, x);
  const Tensor o1 = as_1d(out);
  const Tensor i1 = normalize_index(as_1d(index), o1.sizes()[dim], dim, "scatter_add");
  cpu::scatter_add(o1, dim, i1, as_1d(src));
  const Tensor saved = index.dim() == 0 ? make_view(i1, {}, {}, 0) : i1;
  return record("ScatterAddBackward0", out, {x, src}, [dim, saved](const Ctx& c, const Tensor& g) {
    Tensor gsrc;
    if (c.needs_grad(1)) {
      gsrc = gather(g, dim, saved);
      // src may be larger than index: the elements index does not reach get zero gradient.
      const Shape& ss = c.input_sizes(1);
      if (gsrc.dim() == 0 && !ss.empty()) gsrc = reshape(gsrc, {1});
      for (int64_t d = 0; d < static_cast<int64_t>(ss.size()); ++d) {
        const int64_t have = gsrc.sizes()[d];
        if (have == ss[d]) continue;
        Shape zs = gsrc.sizes();
        zs[d] = ss[d] - have;
        gsrc = cat({gsrc, zeros(zs, g.dtype())}, d);
      }
    }
    return TensorList{c.needs_grad(0) ? g : Tensor{}, gsrc};
  }, 0);
}

// ---- advanced indexing ----------------------------------------------------------------------

Tensor index(const Tensor& x, const TensorList& indices) {
  EMBER_TRACE(index, x, indices);
  detail::check_device(x, "index");
  IndexPlan plan = make_plan(x, indices, "index");
  return index_impl(x, plan, "IndexBackward0");
}

Tensor& index_put_(Tensor& x, const TensorList& indices, const Tensor& values, bool accumulate) {
  EMBER_TRACE(index_put_, x, indices, values, accumulate);
  detail::check_device(x, "index_put_");
  detail::check_device(values, "index_put_");
  EMBER_CHECK_TYPE(values.dtype() == x.dtype(), "index_put_: values must have the dtype of the "
                   "tensor written (", x.dtype(), "), got ", values.dtype());
  IndexPlan plan = make_plan(x, indices, "index_put_");
  check_values_shape(values, plan.result, "index_put_");
  const bool records = autograd::needs_record({&x, &values});
  detail::check_inplace(x, records, "index_put_");
  if (!records) {
    if (shape_numel(plan.result) > 0) {
      Offsets o = plan_offsets(plan, x);
      // A private copy of the values, so reading them cannot overlap the writes.
      cpu::index_put(x, materialize(values, plan.result, x.dtype()), o.outer, o.index, o.inner,
                     accumulate);
    }
    x.bump_version();
    return x;
  }
  return detail::commit_inplace(x,
                                index_put_impl(detail::history_alias(x), plan, values, accumulate));
}

// ---- nonzero / masked_fill ------------------------------------------------------------------

Tensor nonzero(const Tensor& x) {
  EMBER_TRACE(nonzero, x);
  detail::check_device(x, "nonzero");
  const Tensor xc = x.is_contiguous() ? x : clone(x.detach());
  const int64_t n = cpu::count_nonzero(xc);
  Tensor out = empty({n, x.dim()}, DType::Int64, x.device());
  if (n > 0) cpu::nonzero(out, xc);
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  EMBER_TRACE(masked_fill, x, mask, value);
  detail::check_device(x, "masked_fill");
  detail::check_device(mask, "masked_fill");
  EMBER_CHECK_TYPE(mask.dtype() == DType::Bool, "masked_fill: mask must be a bool tensor, got ",
                   mask.dtype());
  const Shape sizes = meta::broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill");
  check_fits(value, x.dtype(), "masked_fill");
  Tensor y = empty(sizes, x.dtype(), x.device());
  cpu::where(y, mask, scalar_to_tensor(value, x.dtype()), x);
  return record("MaskedFillBackward0", y, {x, mask}, [](const Ctx& c, const Tensor& g) {
    return TensorList{
        sum_to(where(c.input(1), scalar_to_tensor(0.0, g.dtype()), g), c.input_sizes(0)),
        Tensor{}};
  });
}

}  // namespace ember
