// Autograd history of views written in place, and of views whose base was.
//
// A view op's result remembers its base (TensorImpl::view_base). When an in-place op that
// autograd records writes into a view V of base B:
//   - B's history becomes a "CopySlices" node over B's old history and the op's result R: the
//     gradient of B flows to R for V's elements and to B's old value for the rest;
//   - V's history becomes a view of B's new history ("AsStridedBackward0").
// Any other view of B, taken before the write, still carries a history that stops at B's old
// value; refresh_view notices that B's grad_fn changed since the view's history was made and
// regenerates it the same way before the view is next used. This is the behaviour PyTorch
// documents for in-place ops on views.
//
// Elements are matched by their position in B's row-major order (an int64 index tensor made
// once per write), so the backward formulas are ordinary differentiable, traceable ops
// (index_select, index_put_), and double backward works through them.

#include <algorithm>
#include <mutex>
#include <vector>

#include "ember/autograd/node.h"
#include "ember/autograd/record.h"
#include "ember/ops/internal.h"

namespace ember::autograd {

namespace {

// Calls f(storage position) for each element of (sizes, strides, offset) in row-major order.
template <typename F>
void for_each_position(const Shape& sizes, const Shape& strides, int64_t offset, F f) {
  const int64_t n = shape_numel(sizes);
  if (n == 0) return;
  const size_t d = sizes.size();
  std::vector<int64_t> i(d, 0);
  int64_t pos = offset;
  for (int64_t k = 0; k < n; ++k) {
    f(pos);
    for (size_t j = d; j-- > 0;) {
      if (++i[j] < sizes[j]) {
        pos += strides[j];
        break;
      }
      pos -= (sizes[j] - 1) * strides[j];
      i[j] = 0;
    }
  }
}

// Where a view's elements lie in its base: both geometries over one storage.
struct Region {
  Shape bsizes, bstrides, vsizes, vstrides;
  int64_t boffset = 0, voffset = 0;
  bool bcontiguous = true;
};

int64_t extent(const Shape& sizes, const Shape& strides) {
  int64_t e = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return 0;
    e += (sizes[d] - 1) * strides[d];
  }
  return e;
}

// Whether no two elements of (sizes, strides) share memory. Sorted by stride, each dim
// stepping past everything the smaller ones reach is enough (every layout ember makes); any
// other layout is checked element by element.
bool non_overlapping(const Shape& sizes, const Shape& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims longer than 1
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return true;
    if (sizes[d] > 1) dims.emplace_back(strides[d], sizes[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reach = 0;
  bool simple = true;
  for (const auto& [stride, size] : dims) {
    if (stride <= reach) {
      simple = false;
      break;
    }
    reach += (size - 1) * stride;
  }
  if (simple) return true;
  std::vector<char> seen(static_cast<size_t>(extent(sizes, strides)), 0);
  bool ok = true;
  for_each_position(sizes, strides, 0, [&](int64_t pos) {
    ok = ok && !seen[pos];
    seen[pos] = 1;
  });
  return ok;
}

// The geometry of view `v` in `base`.
Region region_of(const Tensor& base, const Tensor& v) {
  return Region{base.sizes(), base.strides(), v.sizes(), v.strides(), base.storage_offset(),
                v.storage_offset(), base.is_contiguous()};
}

// Position of each element of the view (row-major) in the row-major order of the base, as an
// int64 tensor of the view's numel. Built from ember ops when the backward runs, so ember.jit
// records it like the rest of the formula.
Tensor region_index(const Region& r) {
  const int64_t span = extent(r.vsizes, r.vstrides);
  if (r.bcontiguous) {
    const int64_t start = r.voffset - r.boffset;
    Tensor positions = arange(Scalar(start), Scalar(start + span), Scalar(int64_t{1}),
                              DType::Int64);
    return reshape(as_strided(positions, r.vsizes, r.vstrides, 0), {-1});
  }
  // Any other base: lay its row-major indices out in its own geometry, then read the view's.
  const int64_t lo = std::min(r.boffset, r.voffset);
  const int64_t hi = std::max(r.boffset + extent(r.bsizes, r.bstrides),
                              r.voffset + span);
  Tensor memory = full({hi - lo}, Scalar(int64_t{-1}), DType::Int64);
  Tensor in_base = as_strided(memory, r.bsizes, r.bstrides, r.boffset - lo);
  copy_(in_base, reshape(arange(Scalar(int64_t{0}), Scalar(shape_numel(r.bsizes)),
                                Scalar(int64_t{1}), DType::Int64), r.bsizes));
  return reshape(as_strided(memory, r.vsizes, r.vstrides, r.voffset - lo), {-1});
}

// The elements of `g` (the base's shape) at `idx`, shaped like the view.
Tensor region_get(const Tensor& g, const Tensor& idx, const Shape& vsizes) {
  return reshape(index_select(reshape(g, {-1}), 0, idx), vsizes);
}

// `g` with the elements at `idx` set to zero.
Tensor region_zero(const Tensor& g, const Tensor& idx, const Shape& bsizes) {
  Tensor z = clone(reshape(g, {-1}));
  index_put_(z, {idx}, zeros({}, g.dtype()), false);
  return reshape(z, bsizes);
}

// Zeros of the base's shape with `gv` (the view's shape) added at `idx` (added, so a view
// whose elements share memory gets each one's share).
Tensor region_scatter(const Tensor& gv, const Tensor& idx, const Shape& bsizes) {
  Tensor z = zeros({shape_numel(bsizes)}, gv.dtype());
  index_put_(z, {idx}, reshape(gv, {-1}), true);
  return reshape(z, bsizes);
}

// Makes `v`'s history a view of its base's current history.
void make_view_history(const Tensor& v, const Tensor& base, const Region& r) {
  AutoGradMode grad_on(true);
  Tensor alias = make_view(v, v.sizes(), v.strides(), v.storage_offset());
  alias = record("AsStridedBackward0", alias, {base}, [r](const Ctx&, const Tensor& g) {
    return TensorList{region_scatter(g, region_index(r), r.bsizes)};
  }, 0);
  AutogradMeta& m = v.impl()->autograd_mut();
  m.grad_fn = alias.grad_fn();
  m.output_nr = 0;
  m.requires_grad = m.grad_fn != nullptr;
  m.view_stamped = true;
  m.view_base_fn = base.impl()->autograd() ? base.impl()->autograd()->grad_fn : nullptr;
}

bool is_stale(const TensorImpl& v) {
  const std::shared_ptr<TensorImpl>& base = v.view_base();
  if (!base) return false;
  const AutogradMeta* m = v.autograd();
  if (m && m->no_grad_view) return false;
  const AutogradMeta* bm = base->autograd();
  std::shared_ptr<Node> now = bm ? bm->grad_fn : nullptr;
  if (m && m->view_stamped) return now != m->view_base_fn.lock();
  return now != nullptr;  // the base gained a history after the view was taken
}

}  // namespace

std::recursive_mutex& view_history_mutex() {
  static std::recursive_mutex m;
  return m;
}

void refresh_view(const Tensor& t) {
  std::lock_guard<std::recursive_mutex> lock(view_history_mutex());
  if (!is_stale(*t.impl())) return;
  Tensor base(t.impl()->view_base());
  EMBER_CHECK(base.impl()->storage() == t.impl()->storage(),
              "a view of a tensor of shape ", base.sizes(), " is used after that tensor's "
              "memory was replaced, so autograd cannot connect the view to it; take the view "
              "again");
  if (!is_floating(t.dtype())) return;
  make_view_history(t, base, region_of(base, t));
}

Tensor strided_region_scatter(const Tensor& g, const Tensor& base_geometry, const Shape& vsizes,
                              const Shape& vstrides, int64_t voffset) {
  Region r{base_geometry.sizes(), base_geometry.strides(), vsizes, vstrides,
           base_geometry.storage_offset(), voffset, base_geometry.is_contiguous()};
  return region_scatter(g, region_index(r), r.bsizes);
}

bool strided_within(const Tensor& base, const Shape& vsizes, const Shape& vstrides,
                    int64_t voffset) {
  if (shape_numel(vsizes) == 0) return true;
  const int64_t b0 = base.storage_offset();
  if (base.is_contiguous()) {
    int64_t hi = voffset;
    for (size_t d = 0; d < vsizes.size(); ++d) hi += (vsizes[d] - 1) * vstrides[d];
    return voffset >= b0 && hi < b0 + base.numel();
  }
  const int64_t lo = std::min(b0, voffset);
  const int64_t hi = std::max(b0 + extent(base.sizes(), base.strides()),
                              voffset + extent(vsizes, vstrides));
  std::vector<char> in_base(static_cast<size_t>(hi - lo), 0);
  for_each_position(base.sizes(), base.strides(), b0, [&](int64_t pos) { in_base[pos - lo] = 1; });
  bool ok = true;
  for_each_position(vsizes, vstrides, voffset, [&](int64_t pos) { ok = ok && in_base[pos - lo]; });
  return ok;
}

void check_view_writable(const Tensor& v, const char* op) {
  const std::shared_ptr<TensorImpl>& base = v.impl()->view_base();
  if (!base || base->is_contiguous()) return;
  EMBER_CHECK_NOT_IMPL(non_overlapping(base->sizes(), base->strides()), op,
                       ": in-place write through a view whose base, of shape ", base->sizes(),
                       " and strides ", base->strides(), ", has elements sharing memory (e.g. "
                       "made by expand), so autograd cannot tell which of them the write "
                       "changes; .clone() the base first");
}

std::shared_ptr<Node> written_view_result(const std::shared_ptr<Node>& view_fn) {
  if (!view_fn || view_fn->name() != "AsStridedBackward0") return nullptr;
  const auto& e = view_fn->next_edges();
  if (e.size() != 1 || !e[0].fn || e[0].fn->name() != "CopySlices") return nullptr;
  const auto& c = e[0].fn->next_edges();
  return c.size() == 2 ? c[1].fn : nullptr;
}

void rebase_view(const Tensor& v, const Tensor& result) {
  std::lock_guard<std::recursive_mutex> lock(view_history_mutex());
  Tensor base(v.impl()->view_base());
  EMBER_INTERNAL_ASSERT(base.impl()->storage() == v.impl()->storage(), "rebase_view: storage");
  AutoGradMode grad_on(true);
  const Region r = region_of(base, v);
  Tensor updated = make_view(base, base.sizes(), base.strides(), base.storage_offset());
  updated = record("CopySlices", updated, {detail::history_alias(base), result},
                   [r](const Ctx& c, const Tensor& g) {
                     if (!c.needs_grad(0) && !c.needs_grad(1)) return TensorList{Tensor{}, Tensor{}};
                     const Tensor idx = region_index(r);
                     return TensorList{c.needs_grad(0) ? region_zero(g, idx, r.bsizes) : Tensor{},
                                       c.needs_grad(1) ? region_get(g, idx, r.vsizes) : Tensor{}};
                   }, 0);
  set_history(base, updated.grad_fn(), 0);
  make_view_history(v, base, r);
}

}  // namespace ember::autograd
