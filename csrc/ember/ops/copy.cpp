#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

namespace detail {

Tensor convert(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.sizes(), dtype, x.device());
  cpu::copy(out, x);
  return out;
}

void check_inplace(const Tensor& self, bool records, const char* op) {
  for (int64_t d = 0; d < self.dim() && self.numel() > 1; ++d) {
    EMBER_CHECK(!(self.strides()[d] == 0 && self.sizes()[d] > 1), op,
                ": more than one element of the tensor written in place refers to the same memory "
                "(shape ", self.sizes(), ", strides ", self.strides(), ", e.g. a result of "
                "expand()); call .clone() first to write into a tensor of its own");
  }
  if (!is_grad_enabled()) return;
  const std::shared_ptr<TensorImpl>& base = self.impl()->view_base();
  if (base) autograd::refresh_view(self);
  const AutogradMeta* meta = self.impl()->autograd();
  bool guarded = meta && meta->no_grad_view;
  if (guarded) {
    // Nothing to protect once the base no longer requires grad (a frozen layer, as PyTorch
    // allows) or is gone (no history of it remains to go stale).
    auto ng_base = meta->view_base.lock();
    const AutogradMeta* bm = ng_base ? ng_base->autograd() : nullptr;
    guarded = bm != nullptr && (bm->requires_grad || bm->grad_fn);
  }
  EMBER_CHECK(!guarded, op,
              ": this view was taken under no_grad from a tensor that requires grad, and is "
              "written in place with grad mode on; autograd cannot record the change in its "
              "base, so gradients would be wrong. Take the view with grad mode on, write it "
              "under no_grad, or .clone() it first");
  EMBER_CHECK(!(self.is_leaf() && self.requires_grad()), op,
              ": a leaf tensor that requires grad is being used in an in-place operation. Wrap the "
              "update in `with ember.no_grad():` (as optimizers do), or work on a .clone()");
  if (records && base) {
    autograd::check_view_writable(self, op);
    const AutogradMeta* bm = base->autograd();
    EMBER_CHECK(!(bm && bm->requires_grad && !bm->grad_fn), op,
                ": a view of a leaf tensor that requires grad (shape ", base->sizes(),
                ") is being used in an in-place operation. Wrap the update in "
                "`with ember.no_grad():`, or work on a .clone() of the leaf");
  }
}

Tensor& commit_inplace(Tensor& self, const Tensor& result) {
  cpu::copy(self, result);
  self.bump_version();
  if (result.defined() && result.grad_fn()) {
    // A view's write changes its base too: autograd rewrites the base's history.
    if (self.impl()->view_base()) {
      autograd::rebase_view(self, result);
    } else {
      // Other threads may be reading this tensor's history as the base of a view.
      std::lock_guard<std::recursive_mutex> lock(autograd::view_history_mutex());
      autograd::set_history(self, result.grad_fn(), result.output_nr());
    }
  }
  return self;
}

Tensor history_alias(const Tensor& self) {
  std::unique_lock<std::recursive_mutex> lock;
  if (self.impl()->view_base()) {
    lock = std::unique_lock<std::recursive_mutex>(autograd::view_history_mutex());
    autograd::refresh_view(self);
  }
  Tensor alias = make_view(self, self.sizes(), self.strides(), self.storage_offset());
  if (self.impl()->autograd()) {
    AutogradMeta& m = alias.impl()->autograd_mut();
    m.requires_grad = self.requires_grad();
    m.grad_fn = self.grad_fn();
    m.output_nr = self.output_nr();
    if (self.is_leaf() && self.requires_grad()) {
      m.grad_accumulator = self.impl()->autograd()->grad_accumulator;
    }
  }
  return alias;
}

}  // namespace detail

Tensor to(const Tensor& x, DType dtype, bool copy) {
  EMBER_TRACE(to, x, dtype, copy);
  if (x.dtype() == dtype && !copy) return x;
  Tensor out = empty(x.sizes(), dtype, x.device());
  cpu::copy(out, x);
  if (!is_floating(dtype)) return out;
  return autograd::record("ToCopyBackward0", out, {x}, [](const autograd::Ctx& c, const Tensor& g) {
    return TensorList{to(g, c.input_dtype(0))};
  }, 0);
}

Tensor contiguous(const Tensor& x) {
  EMBER_TRACE(contiguous, x);
  if (x.is_contiguous()) return x;
  return clone(x);
}

Tensor clone(const Tensor& x) {
  EMBER_TRACE(clone, x);
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  cpu::copy(out, x);
  return autograd::record("CloneBackward0", out, {x},
                          [](const autograd::Ctx&, const Tensor& g) { return TensorList{g}; }, 0);
}

Tensor& copy_(Tensor& dst, const Tensor& src) {
  EMBER_TRACE(copy_, dst, src);
  meta::broadcast_shapes(dst.sizes(), src.sizes(), "copy_");
  EMBER_CHECK_VALUE(meta::broadcast_shapes(dst.sizes(), src.sizes(), "copy_") == dst.sizes(),
                    "copy_: source of shape ", src.sizes(),
                    " cannot be broadcast to the destination shape ", dst.sizes());
  bool records = autograd::needs_record({&dst, &src});
  detail::check_inplace(dst, records, "copy_");
  if (!records) {
    if (dst.impl()->storage() == src.impl()->storage() && !dst.is_same(src)) {
      Tensor tmp = src.clone();  // overlapping memory: read everything before writing
      cpu::copy(dst, tmp);
    } else {
      cpu::copy(dst, src);
    }
    dst.bump_version();
    return dst;
  }
  // dst's old value is overwritten: its gradient is zero; src's gradient is g summed to shape.
  Tensor result = empty(dst.sizes(), dst.dtype());
  cpu::copy(result, src);
  result = autograd::record("CopyBackwards", result, {dst, src},
                            [](const autograd::Ctx& c, const Tensor& g) {
                              return TensorList{c.needs_grad(0) ? zeros_like(g) : Tensor{},
                                                c.needs_grad(1) ? sum_to(g, c.input_sizes(1))
                                                                : Tensor{}};
                            }, 0);
  return detail::commit_inplace(dst, result);
}

Tensor& fill_(Tensor& dst, const Scalar& value) {
  EMBER_TRACE(fill_, dst, value);
  // `records` as below: a view's base would keep a stale history (a wrong gradient).
  detail::check_inplace(dst, is_grad_enabled() && dst.requires_grad(), "fill_");
  check_fits(value, dst.dtype(), "fill_");
  if (is_grad_enabled() && dst.requires_grad()) {
    Tensor result = full(dst.sizes(), value, dst.dtype());
    result = autograd::record("FillBackward0", result, {dst},
                              [](const autograd::Ctx&, const Tensor& g) {
                                return TensorList{zeros_like(g)};
                              }, 0);
    return detail::commit_inplace(dst, result);
  }
  cpu::fill(dst, value);
  dst.bump_version();
  return dst;
}

Tensor& zero_(Tensor& dst) {
  EMBER_TRACE(zero_, dst);
  return fill_(dst, Scalar(int64_t{0}));
}

}  // namespace ember
