#include "ember/ops/meta.h"

#include <algorithm>

#include "ember/ops/ops.h"

namespace ember::meta {

bool expands_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 1; i <= from.size(); ++i) {
    const int64_t f = from[from.size() - i];
    if (f != 1 && f != to[to.size() - i]) return false;
  }
  return true;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK_VALUE(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
                      " cannot be broadcast together; sizes ", da, " and ", db, " at dimension ",
                      static_cast<int64_t>(i) - static_cast<int64_t>(n),
                      " must match or one of them must be 1");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
enum Rank { kWrapped = 0, kZeroDim = 1, kDim = 2 };
Rank rank_of(const Tensor& t) {
  if (t.impl()->is_wrapped_number()) return kWrapped;
  return t.dim() == 0 ? kZeroDim : kDim;
}
}  // namespace

DType result_type(const TensorList& xs) {
  // PyTorch's rule: promote within each rank, then a lower rank only counts when it has a
  // higher kind. Wrapped Python floats count as the default dtype (float32), not float64.
  bool have[3] = {false, false, false};
  DType best[3] = {DType::Bool, DType::Bool, DType::Bool};
  for (const Tensor& t : xs) {
    if (!t.defined()) continue;
    Rank r = rank_of(t);
    DType d = t.dtype();
    if (r == kWrapped && is_floating(d)) d = default_dtype();
    best[r] = have[r] ? promote_types(best[r], d) : d;
    have[r] = true;
  }
  auto combine = [](bool has_hi, DType hi, bool has_lo, DType lo, bool* has_out) {
    *has_out = has_hi || has_lo;
    if (!has_hi) return lo;
    if (!has_lo || is_floating(hi)) return hi;
    if (hi == DType::Bool || is_floating(lo)) return promote_types(hi, lo);
    return hi;
  };
  bool has_low = false, has_all = false;
  DType low = combine(have[kZeroDim], best[kZeroDim], have[kWrapped], best[kWrapped], &has_low);
  DType out = combine(have[kDim], best[kDim], has_low, low, &has_all);
  return out;
}

DType result_type(const Tensor& a, const Tensor& b) { return result_type(TensorList{a, b}); }

Shape broadcast_strides(const Tensor& x, const Shape& out_sizes) {
  size_t n = out_sizes.size();
  size_t k = static_cast<size_t>(x.dim());
  Shape st(n, 0);
  for (size_t i = 0; i < k; ++i) {
    size_t o = n - k + i;
    st[o] = x.sizes()[i] == 1 && out_sizes[o] != 1 ? 0 : x.strides()[i];
  }
  return st;
}

DType float_result_dtype(DType t) { return is_floating(t) ? t : default_dtype(); }

std::vector<bool> reduce_mask(const DimList& dims, int64_t ndim, const char* op) {
  std::vector<bool> mask(static_cast<size_t>(ndim), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim, op);
    if (ndim == 0) continue;
    EMBER_CHECK_VALUE(!mask[w], op, ": dim ", d, " appears more than once in the list of dims");
    mask[w] = true;
  }
  return mask;
}

Shape reduced_sizes(const Shape& sizes, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!mask[i]) {
      out.push_back(sizes[i]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

}  // namespace ember::meta
