#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "ember/core/dtype.h"
#include "ember/core/export.h"
#include "ember/core/shape.h"
#include "ember/core/storage.h"

namespace ember {

namespace autograd {
class Node;
struct TensorHook;
}
namespace detail {
/// Advanced when an ember.jit trace starts (defined in jit/tracer.cpp); see creation_epoch().
EMBER_API extern std::atomic<uint64_t> g_tensor_epoch;
}
class Tensor;
class TensorImpl;

/// Autograd data of a tensor, allocated on first use.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<TensorImpl> grad;             // accumulated gradient of a leaf (or retained)
  std::shared_ptr<autograd::Node> grad_fn;      // node that made this tensor (null for leaves)
  uint32_t output_nr = 0;                       // which output of grad_fn this tensor is
  std::weak_ptr<autograd::Node> grad_accumulator;  // a leaf's AccumulateGrad node
  // Views recorded by autograd remember the base's grad_fn when their history was made
  // (TensorImpl::view_base is the base).
  // Its history is regenerated from the base's (autograd::refresh_view) when they differ: the
  // base or another view of it was written in place since.
  bool view_stamped = false;
  std::weak_ptr<autograd::Node> view_base_fn;
  // A view taken while grad mode was off of a tensor that requires grad: writing into it in
  // place with grad mode on would change the base behind autograd's back, so that raises.
  // `view_base` is the tensor that required grad.
  bool no_grad_view = false;
  std::weak_ptr<TensorImpl> view_base;
  // A leaf's gradient hooks (Tensor.register_hook), run on each incoming gradient before it is
  // added to `.grad` (autograd::add_tensor_hook). A non-leaf's hooks live on its grad_fn.
  std::vector<std::shared_ptr<autograd::TensorHook>> hooks;
};

/// Sizes, strides, offset and dtype over a Storage, plus a version counter and autograd data.
class EMBER_API TensorImpl {
 public:
  TensorImpl(Storage storage, Shape sizes, Shape strides, int64_t offset, DType dtype);

  const Storage& storage() const { return storage_; }
  const Shape& sizes() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t storage_offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  int64_t numel() const { return numel_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  bool is_contiguous() const { return is_contiguous_; }
  void* data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize(dtype_));
  }

  /// The storage's version counter, shared by every tensor over the storage.
  VersionCounter* version_counter() const { return storage_->version_counter(); }
  uint32_t version() const { return version_counter()->version.load(std::memory_order_relaxed); }
  void bump_version() { version_counter()->version.fetch_add(1, std::memory_order_relaxed); }

  AutogradMeta* autograd() const { return autograd_.get(); }
  AutogradMeta& autograd_mut() {
    if (!autograd_) autograd_ = std::make_unique<AutogradMeta>();
    return *autograd_;
  }

  /// Set on the 0-d tensors that stand for Python numbers in binary ops (type promotion).
  bool is_wrapped_number() const { return wrapped_number_; }
  void set_wrapped_number(bool v) { wrapped_number_ = v; }
  /// Views share storage with a base tensor.
  bool is_view() const { return is_view_; }
  void set_is_view(bool v) { is_view_ = v; }
  /// The tensor a view op took this view from, followed back to a tensor that is not such a
  /// view itself (null for every other tensor, including detach() and other bare aliases).
  /// Held strongly: writing through the view in place rewrites the base's autograd history,
  /// and views of one base are told apart from bare aliases of its memory by it.
  const std::shared_ptr<TensorImpl>& view_base() const { return view_base_; }
  void set_view_base(std::shared_ptr<TensorImpl> base) { view_base_ = std::move(base); }
  /// Makes this tensor a handle on `src`'s memory, shape and dtype (Python's `t.data = src`);
  /// its autograd data (requires_grad, history, `.grad`) and its version counter stay. No
  /// longer a view of its base.
  void set_data(const TensorImpl& src);
  /// Trace epoch current when this tensor was made: ember.jit tells tensors created during a
  /// trace (epoch >= the trace's) from older ones (captured as parameters).
  uint64_t creation_epoch() const { return creation_epoch_; }

 private:
  void refresh();

  Storage storage_;
  Shape sizes_;
  Shape strides_;
  int64_t offset_;
  DType dtype_;
  int64_t numel_ = 1;
  bool is_contiguous_ = true;
  bool wrapped_number_ = false;
  bool is_view_ = false;
  std::shared_ptr<TensorImpl> view_base_;
  uint64_t creation_epoch_ = detail::g_tensor_epoch.load(std::memory_order_relaxed);
  std::unique_ptr<AutogradMeta> autograd_;
};

/// Row-major strides for `sizes`.
EMBER_API Shape contiguous_strides(const Shape& sizes);
/// Product of `sizes`.
EMBER_API int64_t shape_numel(const Shape& sizes);

}  // namespace ember
