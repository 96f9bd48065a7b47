#include <algorithm>
#include <optional>

#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::record;

namespace {

Shape infer_size(const Shape& sizes, int64_t numel, const char* op, const Shape& from) {
  Shape out = sizes;
  int64_t known = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      EMBER_CHECK_VALUE(infer < 0, op, ": only one dimension can be inferred (-1), got ", sizes);
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK_VALUE(sizes[i] >= 0, op, ": invalid size ", sizes[i], " in shape ", sizes);
      known *= sizes[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK_VALUE(known != 0 && numel % known == 0, op, ": shape ", sizes,
                      " is invalid for input of size ", numel, " (shape ", from, ")");
    out[infer] = numel / known;
  } else {
    EMBER_CHECK_VALUE(known == numel, op, ": shape ", sizes, " is invalid for input of size ",
                      numel, " (shape ", from, ")");
  }
  return out;
}

// Strides for viewing (sizes, strides) as new_sizes without copying, if possible
// (dims that are contiguous with each other may be split and merged).
std::optional<Shape> view_strides(const Shape& sizes, const Shape& strides, const Shape& new_sizes) {
  if (sizes.empty()) return Shape(new_sizes.size(), 1);
  int64_t numel = shape_numel(sizes);
  if (numel == 0) return contiguous_strides(new_sizes);
  Shape out(new_sizes.size());
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

// Backward of a view that selects part of its input: scatter g into zeros of the input shape.
using ViewFn = std::function<Tensor(const Tensor&)>;
Tensor view_scatter(const Tensor& g, const Shape& sizes, ViewFn raw_view, ViewFn diff_view,
                    const char* name) {
  Tensor z = zeros(sizes, g.dtype());
  Tensor part = raw_view(z);
  cpu::copy(part, g);
  // A write ember.jit's tracer cannot see: the new version tells it so whatever g holds (the
  // fill check alone misses an all-zero g and would bake in a zero gradient).
  z.bump_version();
  return record(name, z, {g}, [diff_view](const Ctx&, const Tensor& gg) {
    return TensorList{diff_view(gg)};
  }, 0);
}

Tensor raw_slice(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Shape sizes = x.sizes();
  Shape strides = x.strides();
  int64_t offset = x.storage_offset() + start * strides[dim];
  sizes[dim] = length;
  strides[dim] *= step;
  return make_view(x, sizes, strides, offset);
}

// Records a view op. The view shares memory with `x`; it remembers its root base and that
// base's grad_fn, so using the view after the base's history changed (an in-place op autograd
// recorded) raises in gradient_edge instead of giving a wrong gradient. Values read before the
// change, and in-place updates under no_grad (optimizer steps), are fine.
// Marks `y`, a view of `x` taken without recording, when grad mode is off and `x` requires
// grad, or when `x` is such a view itself: check_inplace refuses in-place writes into it under
// grad mode.
void mark_no_grad_view(const Tensor& y, const Tensor& x) {
  const AutogradMeta* xm = x.impl()->autograd();
  if (!xm) return;
  // A view of such a view is one too, whatever the grad mode it is taken in; each remembers
  // the tensor that required grad, so the check can see whether it still does.
  if (xm->no_grad_view || (!is_grad_enabled() && (xm->requires_grad || xm->grad_fn))) {
    AutogradMeta& m = y.impl()->autograd_mut();
    m.no_grad_view = true;
    m.view_base = xm->no_grad_view ? xm->view_base : std::weak_ptr<TensorImpl>(x.impl_ptr());
  }
}

// The tensor a view of `x` is a view of: x's own base when x is a view op's result.
std::shared_ptr<TensorImpl> view_root(const Tensor& x) {
  const std::shared_ptr<TensorImpl>& b = x.impl()->view_base();
  return b ? b : x.impl_ptr();
}

// Stamps `y`, a recorded view with base `root`, with the base's current grad_fn.
void stamp_view(const Tensor& y, const std::shared_ptr<TensorImpl>& root) {
  AutogradMeta& m = y.impl()->autograd_mut();
  m.view_stamped = true;
  m.view_base_fn = root->autograd() ? root->autograd()->grad_fn : nullptr;
}

Tensor record_view(const char* name, const Tensor& y, const Tensor& x, autograd::BackwardFn fn) {
  std::shared_ptr<TensorImpl> root = view_root(x);
  if (!autograd::needs_record({&x})) {
    mark_no_grad_view(y, x);
    y.impl()->set_view_base(std::move(root));
    return y;
  }
  Tensor out = record(name, y, {x}, std::move(fn), 0);
  stamp_view(out, root);
  out.impl()->set_view_base(std::move(root));
  return out;
}

// Records one node for several views of `x` (split, unbind): its backward puts the pieces'
// gradients back together in one op (`join`), where a node per view would scatter each into
// zeros of the whole input (quadratic in the number of pieces). The views are stamped like
// record_view's.
TensorList record_views(const char* name, TensorList ys, const Tensor& x,
                        autograd::MultiBackwardFn join) {
  std::shared_ptr<TensorImpl> root = view_root(x);
  if (!autograd::needs_record({&x})) {
    for (const Tensor& y : ys) {
      mark_no_grad_view(y, x);
      y.impl()->set_view_base(root);
    }
    return ys;
  }
  ys = autograd::record_multi(name, ys, {x}, std::move(join), 0);
  for (Tensor& y : ys) {
    if (y.impl()->autograd() && y.impl()->autograd()->requires_grad) stamp_view(y, root);
    y.impl()->set_view_base(root);
  }
  return ys;
}

Tensor raw_select(const Tensor& x, int64_t dim, int64_t index) {
  Shape sizes = x.sizes(), strides = x.strides();
  int64_t offset = x.storage_offset() + index * strides[dim];
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(x, sizes, strides, offset);
}

}  // namespace

Tensor view(const Tensor& x, const Shape& sizes) {
  EMBER_TRACE(view, x, sizes);
  Shape target = infer_size(sizes, x.numel(), "view", x.sizes());
  auto st = view_strides(x.sizes(), x.strides(), target);
  EMBER_CHECK(st.has_value(), "view: a tensor of shape ", x.sizes(), " with strides ",
              x.strides(), " can't be viewed as shape ", target,
              " because its memory is not laid out contiguously in the merged dimensions; use "
              ".reshape(...) (which copies when needed) or call .contiguous() first");
  Tensor y = make_view(x, target, *st, x.storage_offset());
  return record_view("ViewBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{reshape(g, c.input_sizes(0))};
  });
}

Tensor reshape(const Tensor& x, const Shape& sizes) {
  EMBER_TRACE(reshape, x, sizes);
  Shape target = infer_size(sizes, x.numel(), "reshape", x.sizes());
  if (view_strides(x.sizes(), x.strides(), target)) return view(x, target);
  return view(clone(x), target);
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  EMBER_TRACE(transpose, x, d0, d1);
  int64_t n = x.dim();
  d0 = wrap_dim(d0, n, "transpose");
  d1 = wrap_dim(d1, n, "transpose");
  Shape sizes = x.sizes(), strides = x.strides();
  if (n > 0) {  // a 0-d tensor accepts dims 0/-1 and is its own transpose (still recorded)
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  Tensor y = make_view(x, sizes, strides, x.storage_offset());
  return record_view("TransposeBackward0", y, x, [d0, d1](const Ctx&, const Tensor& g) {
    return TensorList{transpose(g, d0, d1)};
  });
}

Tensor permute(const Tensor& x, const DimList& dims) {
  EMBER_TRACE(permute, x, dims);
  int64_t n = x.dim();
  EMBER_CHECK_VALUE(static_cast<int64_t>(dims.size()) == n, "permute: number of dims in ",
                    Shape(dims), " (", dims.size(), ") doesn't match the tensor's ", n,
                    " dimensions (shape ", x.sizes(), ")");
  Shape sizes(n), strides(n);
  std::vector<bool> seen(n, false);
  DimList inverse(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    EMBER_CHECK_VALUE(!seen[d], "permute: dim ", dims[i], " is repeated in ", Shape(dims));
    seen[d] = true;
    sizes[i] = x.sizes()[d];
    strides[i] = x.strides()[d];
    inverse[d] = i;
  }
  Tensor y = make_view(x, sizes, strides, x.storage_offset());
  return record_view("PermuteBackward0", y, x, [inverse](const Ctx&, const Tensor& g) {
    return TensorList{permute(g, inverse)};
  });
}

Tensor t_all(const Tensor& x) {
  EMBER_TRACE(t_all, x);
  DimList dims(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) dims[i] = x.dim() - 1 - i;
  return permute(x, dims);
}

Tensor mT(const Tensor& x) {
  EMBER_TRACE(mT, x);
  EMBER_CHECK_VALUE(x.dim() >= 2, "mT: tensor.mT is only defined for tensors with at least 2 "
                    "dimensions, got shape ", x.sizes());
  return transpose(x, -2, -1);
}

Tensor expand(const Tensor& x, const Shape& sizes) {
  EMBER_TRACE(expand, x, sizes);
  const int64_t n = static_cast<int64_t>(sizes.size());
  EMBER_CHECK_VALUE(n >= x.dim(), "expand: the number of sizes given (", n,
                    ") must be at least the number of dimensions of the tensor (", x.dim(), ")");
  Shape out(n), strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t k = i - (n - x.dim());
    if (k >= 0) {
      int64_t s = x.sizes()[k];
      int64_t want = sizes[i] == -1 ? s : sizes[i];
      EMBER_CHECK_VALUE(s == want || s == 1, "expand: the expanded size (", want,
                        ") must match the existing size (", s, ") at non-singleton dimension ", i,
                        "; target sizes ", sizes, ", tensor shape ", x.sizes());
      out[i] = want;
      strides[i] = s == want ? x.strides()[k] : 0;
    } else {
      EMBER_CHECK_VALUE(sizes[i] >= 0, "expand: -1 is not allowed in a leading, new dimension "
                        "(sizes ", sizes, ")");
      out[i] = sizes[i];
      strides[i] = 0;
    }
  }
  if (out == x.sizes()) return x;
  Tensor y = make_view(x, out, strides, x.storage_offset());
  return record_view("ExpandBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{sum_to(g, c.input_sizes(0))};
  });
}

Tensor squeeze(const Tensor& x, std::optional<DimList> dims) {
  EMBER_TRACE(squeeze, x, dims);
  std::vector<bool> drop(x.dim(), false);
  if (!dims) {
    for (int64_t i = 0; i < x.dim(); ++i) drop[i] = x.sizes()[i] == 1;
  } else {
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, x.dim(), "squeeze");
      if (x.dim() > 0) drop[w] = x.sizes()[w] == 1;
    }
  }
  Shape sizes, strides;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (drop[i]) continue;
    sizes.push_back(x.sizes()[i]);
    strides.push_back(x.strides()[i]);
  }
  Tensor y = make_view(x, sizes, strides, x.storage_offset());
  return record_view("SqueezeBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{reshape(g, c.input_sizes(0))};
  });
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  EMBER_TRACE(unsqueeze, x, dim);
  dim = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape sizes = x.sizes(), strides = x.strides();
  int64_t st = dim < x.dim() ? sizes[dim] * strides[dim] : 1;
  sizes.insert(sizes.begin() + dim, 1);
  strides.insert(strides.begin() + dim, st);
  Tensor y = make_view(x, sizes, strides, x.storage_offset());
  return record_view("UnsqueezeBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{reshape(g, c.input_sizes(0))};
  });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  EMBER_TRACE(flatten, x, start_dim, end_dim);
  if (x.dim() == 0) return reshape(x, {1});
  start_dim = wrap_dim(start_dim, x.dim(), "flatten");
  end_dim = wrap_dim(end_dim, x.dim(), "flatten");
  EMBER_CHECK_VALUE(start_dim <= end_dim, "flatten: start_dim (", start_dim,
                    ") cannot come after end_dim (", end_dim, ")");
  Shape sizes;
  for (int64_t i = 0; i < start_dim; ++i) sizes.push_back(x.sizes()[i]);
  int64_t m = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) m *= x.sizes()[i];
  sizes.push_back(m);
  for (int64_t i = end_dim + 1; i < x.dim(); ++i) sizes.push_back(x.sizes()[i]);
  return reshape(x, sizes);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  EMBER_TRACE(slice, x, dim, start, end, step);
  EMBER_CHECK_VALUE(x.dim() > 0, "slice: cannot slice a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "slice");
  EMBER_CHECK_VALUE(step > 0, "slice: step must be positive, got ", step);
  const int64_t size = x.sizes()[dim];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  const int64_t length = (end - start + step - 1) / step;
  Tensor y = raw_slice(x, dim, start, length, step);
  return record_view("SliceBackward0", y, x, [dim, start, end, step, length](const Ctx& c,
                                                                          const Tensor& g) {
    return TensorList{view_scatter(
        g, c.input_sizes(0),
        [=](const Tensor& z) { return raw_slice(z, dim, start, length, step); },
        [=](const Tensor& gg) { return slice(gg, dim, start, end, step); },
        "SliceBackwardBackward0")};
  });
}

namespace {

// The diagonal of dims (d1, d2) as a view: those dims removed, the diagonal appended as the last
// dim with the two strides summed; `offset` > 0 starts above the main diagonal.
Tensor raw_diagonal(const Tensor& x, int64_t offset, int64_t d1, int64_t d2) {
  Shape sizes, strides;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i == d1 || i == d2) continue;
    sizes.push_back(x.sizes()[i]);
    strides.push_back(x.strides()[i]);
  }
  const int64_t rows = x.sizes()[d1], cols = x.sizes()[d2];
  int64_t start = x.storage_offset();
  int64_t n = 0;
  if (offset >= 0) {
    n = std::max<int64_t>(std::min(rows, cols - offset), 0);
    if (n > 0) start += offset * x.strides()[d2];
  } else {
    n = std::max<int64_t>(std::min(rows + offset, cols), 0);
    if (n > 0) start -= offset * x.strides()[d1];
  }
  sizes.push_back(n);
  strides.push_back(x.strides()[d1] + x.strides()[d2]);
  return make_view(x, sizes, strides, start);
}

}  // namespace

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  EMBER_TRACE(diagonal, x, offset, dim1, dim2);
  EMBER_CHECK_VALUE(x.dim() >= 2, "diagonal: expected a tensor with at least 2 dims, got shape ",
                    x.sizes());
  const int64_t d1 = wrap_dim(dim1, x.dim(), "diagonal");
  const int64_t d2 = wrap_dim(dim2, x.dim(), "diagonal");
  EMBER_CHECK_VALUE(d1 != d2, "diagonal: dim1 and dim2 must differ, both are ", dim1);
  Tensor y = raw_diagonal(x, offset, d1, d2);
  return record_view("DiagonalBackward0", y, x, [offset, d1, d2](const Ctx& c, const Tensor& g) {
    return TensorList{view_scatter(
        g, c.input_sizes(0),
        [=](const Tensor& z) { return raw_diagonal(z, offset, d1, d2); },
        [=](const Tensor& gg) { return diagonal(gg, offset, d1, d2); },
        "DiagonalBackwardBackward0")};
  });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  EMBER_TRACE(narrow, x, dim, start, length);
  EMBER_CHECK_VALUE(x.dim() > 0, "narrow: cannot narrow a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "narrow");
  const int64_t size = x.sizes()[dim];
  if (start < 0) start += size;
  EMBER_CHECK_INDEX(start >= 0 && start <= size, "narrow: start (", start,
                    ") is out of range for dimension ", dim, " of size ", size);
  EMBER_CHECK_VALUE(length >= 0 && start + length <= size, "narrow: start (", start,
                    ") + length (", length, ") exceeds dimension ", dim, " of size ", size);
  return slice(x, dim, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  EMBER_TRACE(select, x, dim, index);
  EMBER_CHECK_INDEX(x.dim() > 0, "select: invalid index of a 0-dim tensor");
  dim = wrap_dim(dim, x.dim(), "select");
  const int64_t size = x.sizes()[dim];
  EMBER_CHECK_INDEX(index >= -size && index < size, "select: index ", index,
                    " is out of bounds for dimension ", dim, " with size ", size);
  if (index < 0) index += size;
  Shape sizes = x.sizes(), strides = x.strides();
  int64_t offset = x.storage_offset() + index * strides[dim];
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  Tensor y = make_view(x, sizes, strides, offset);
  return record_view("SelectBackward0", y, x, [dim, index](const Ctx& c, const Tensor& g) {
    return TensorList{view_scatter(
        g, c.input_sizes(0),
        [=](const Tensor& z) {
          Shape s = z.sizes(), st = z.strides();
          int64_t off = z.storage_offset() + index * st[dim];
          s.erase(s.begin() + dim);
          st.erase(st.begin() + dim);
          return make_view(z, s, st, off);
        },
        [=](const Tensor& gg) { return select(gg, dim, index); }, "SelectBackwardBackward0")};
  });
}

Tensor cat(const TensorList& xs, int64_t dim) {
  EMBER_TRACE(cat, xs, dim);
  EMBER_CHECK_VALUE(!xs.empty(), "cat: expected a non-empty list of tensors");
  // PyTorch skips 1-D empty tensors when concatenating.
  const Tensor* ref = nullptr;
  for (const Tensor& t : xs) {
    if (!(t.dim() == 1 && t.numel() == 0)) {
      ref = &t;
      break;
    }
  }
  if (!ref) ref = &xs[0];
  EMBER_CHECK_VALUE(ref->dim() > 0, "cat: zero-dimensional tensor cannot be concatenated");
  dim = wrap_dim(dim, ref->dim(), "cat");
  DType dt = meta::result_type(xs);
  Shape out = ref->sizes();
  out[dim] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    if (t.dim() == 1 && t.numel() == 0) continue;
    EMBER_CHECK_VALUE(t.dim() == ref->dim(), "cat: tensors must have the same number of "
                      "dimensions: tensor 0 has shape ", ref->sizes(), " but tensor ", i,
                      " has shape ", t.sizes());
    for (int64_t d = 0; d < t.dim(); ++d) {
      EMBER_CHECK_VALUE(d == dim || t.sizes()[d] == ref->sizes()[d], "cat: sizes of tensors must "
                        "match except in dimension ", dim, "; tensor 0 has shape ", ref->sizes(),
                        " but tensor ", i, " has shape ", t.sizes());
    }
    out[dim] += t.sizes()[dim];
  }
  Tensor y = empty(out, dt);
  int64_t offset = 0;
  Shape lengths;
  for (const Tensor& t : xs) {
    if (t.dim() == 1 && t.numel() == 0) {
      lengths.push_back(-1);
      continue;
    }
    int64_t len = t.sizes()[dim];
    cpu::copy(raw_slice(y, dim, offset, len, 1), t);
    lengths.push_back(len);
    offset += len;
  }
  return record("CatBackward0", y, xs, [dim, lengths](const Ctx& c, const Tensor& g) {
    TensorList out;
    int64_t off = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      if (lengths[i] < 0) {
        out.push_back(c.needs_grad(i) ? zeros(c.input_sizes(i), g.dtype()) : Tensor{});
        continue;
      }
      out.push_back(c.needs_grad(i) ? narrow(g, dim, off, lengths[i]) : Tensor{});
      off += lengths[i];
    }
    return out;
  }, 0);
}

Tensor stack(const TensorList& xs, int64_t dim) {
  EMBER_TRACE(stack, xs, dim);
  EMBER_CHECK_VALUE(!xs.empty(), "stack: expected a non-empty list of tensors");
  dim = wrap_dim(dim, xs[0].dim() + 1, "stack");
  TensorList parts;
  for (size_t i = 0; i < xs.size(); ++i) {
    EMBER_CHECK_VALUE(xs[i].sizes() == xs[0].sizes(), "stack: expects each tensor to be equal "
                      "size, but got ", xs[0].sizes(), " at entry 0 and ", xs[i].sizes(),
                      " at entry ", i);
    parts.push_back(unsqueeze(xs[i], dim));
  }
  return cat(parts, dim);
}

TensorList split_with_sizes(const Tensor& x, const Shape& sizes, int64_t dim) {
  EMBER_TRACE(split_with_sizes, x, sizes, dim);
  EMBER_CHECK_VALUE(x.dim() > 0, "split: cannot split a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK_VALUE(s >= 0, "split: split sizes must be non-negative, got ", sizes);
    total += s;
  }
  EMBER_CHECK_VALUE(total == x.sizes()[dim], "split: split sizes ", sizes, " sum to ", total,
                    " but dimension ", dim, " has size ", x.sizes()[dim]);
  TensorList out;
  int64_t off = 0;
  for (int64_t s : sizes) {
    out.push_back(raw_slice(x, dim, off, s, 1));
    off += s;
  }
  return record_views("SplitWithSizesBackward0", std::move(out), x,
                      [dim](const Ctx&, const TensorList& grads) {
                        return TensorList{cat(grads, dim)};
                      });
}

TensorList unbind(const Tensor& x, int64_t dim) {
  EMBER_TRACE(unbind, x, dim);
  EMBER_CHECK_INDEX(x.dim() > 0, "unbind: a 0-d tensor has no dim to unbind");
  dim = wrap_dim(dim, x.dim(), "unbind");
  TensorList out;
  const int64_t n = x.sizes()[dim];
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(raw_select(x, dim, i));
  return record_views("UnbindBackward0", std::move(out), x,
                      [dim](const Ctx&, const TensorList& grads) {
                        return TensorList{stack(grads, dim)};
                      });
}

TensorList split(const Tensor& x, int64_t split_size, int64_t dim) {
  EMBER_TRACE(split, x, split_size, dim);
  EMBER_CHECK_VALUE(x.dim() > 0, "split: cannot split a 0-d tensor");
  EMBER_CHECK_VALUE(split_size > 0, "split: split_size must be positive, got ", split_size);
  dim = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.sizes()[dim];
  Shape sizes;
  for (int64_t off = 0; off < n; off += split_size) sizes.push_back(std::min(split_size, n - off));
  if (sizes.empty()) sizes.push_back(0);
  return split_with_sizes(x, sizes, dim);
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  EMBER_TRACE(chunk, x, chunks, dim);
  EMBER_CHECK_VALUE(chunks > 0, "chunk: chunks must be positive, got ", chunks);
  EMBER_CHECK_VALUE(x.dim() > 0, "chunk: cannot chunk a 0-d tensor");
  const int64_t n = x.sizes()[wrap_dim(dim, x.dim(), "chunk")];
  if (n == 0) {  // PyTorch gives `chunks` empty tensors, each its own object
    TensorList out;
    for (int64_t i = 0; i < chunks; ++i) out.push_back(narrow(x, dim, 0, 0));
    return out;
  }
  const int64_t size = std::max<int64_t>((n + chunks - 1) / chunks, 1);
  return split(x, size, dim);
}

Tensor as_strided(const Tensor& x, const Shape& sizes, const Shape& strides, int64_t offset) {
  EMBER_TRACE(as_strided, x, sizes, strides, offset);
  EMBER_CHECK_VALUE(sizes.size() == strides.size(), "as_strided: sizes ", sizes, " and strides ",
                    strides, " must have the same length");
  int64_t max_index = offset;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK_VALUE(sizes[i] >= 0 && strides[i] >= 0, "as_strided: negative size or stride");
    if (sizes[i] > 0) max_index += (sizes[i] - 1) * strides[i];
  }
  EMBER_CHECK_VALUE(shape_numel(sizes) == 0 ||
                        static_cast<size_t>(max_index + 1) * itemsize(x.dtype()) <=
                            x.impl()->storage()->nbytes(),
                    "as_strided: view of shape ", sizes, " and strides ", strides,
                    " needs more memory than the storage holds");
  Tensor y = make_view(x, sizes, strides, offset);
  if (!autograd::needs_record({&x})) {
    mark_no_grad_view(y, x);
    y.impl()->set_view_base(view_root(x));
    return y;
  }
  EMBER_CHECK_VALUE(autograd::strided_within(x, sizes, strides, offset), "as_strided: under "
                    "autograd every element of the view must be an element of the input (shape ",
                    x.sizes(), ", strides ", x.strides(), ", storage offset ", x.storage_offset(),
                    "); the view of shape ", sizes, ", strides ", strides, " at storage offset ",
                    offset, " reaches outside it");
  // The gradient goes back to the input's elements the view covers (added where the view
  // repeats one); only the input's geometry is kept, not its values.
  const Tensor geometry = make_view(x, x.sizes(), x.strides(), x.storage_offset());
  const Tensor shape_only = geometry.detach();
  return record_view("AsStridedBackward0", y, x,
                     [shape_only, sizes, strides, offset](const Ctx&, const Tensor& g) {
                       return TensorList{autograd::strided_region_scatter(
                           g, shape_only, sizes, strides, offset)};
                     });
}

}  // namespace ember
