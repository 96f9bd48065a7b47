#pragma once

#include <memory>
#include <vector>

#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/error.h"
#include "ember/core/export.h"
#include "ember/core/scalar.h"
#include "ember/core/tensor_impl.h"

namespace ember {

/// A cheap handle on a shared TensorImpl. Copies share the same tensor (like Python names).
class EMBER_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& sizes() const { return impl_->sizes(); }
  const Shape& strides() const { return impl_->strides(); }
  /// Size of dimension `dim` (negative counts from the end); IndexError when out of range.
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return impl_->dim(); }
  int64_t numel() const { return impl_->numel(); }
  DType dtype() const { return impl_->dtype(); }
  Device device() const { return impl_->device(); }
  int64_t storage_offset() const { return impl_->storage_offset(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  void* raw_data() const { return impl_->data(); }
  template <typename T>
  T* data_ptr() const {
    return static_cast<T*>(impl_->data());
  }

  // Autograd.
  /// True also for a view whose base gained autograd history after the view was taken (an
  /// in-place op wrote into the base, or into another view of it); the view's history is then
  /// made on its next use (autograd::refresh_view).
  bool requires_grad() const {
    if (impl_->autograd() && impl_->autograd()->requires_grad) return true;
    return impl_->view_base() != nullptr && view_gained_history();
  }
  /// Marks a leaf as needing a gradient; RuntimeError on non-leaves and integer dtypes.
  const Tensor& set_requires_grad(bool r) const;
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  std::shared_ptr<autograd::Node> grad_fn() const;
  uint32_t output_nr() const { return impl_->autograd() ? impl_->autograd()->output_nr : 0; }
  bool is_leaf() const { return !impl_->autograd() || !impl_->autograd()->grad_fn; }
  /// Makes `backward()` also store this non-leaf tensor's gradient in `.grad`.
  void retain_grad() const;
  bool retains_grad() const { return impl_->autograd() && impl_->autograd()->retains_grad; }
  uint32_t version() const { return impl_->version(); }
  void bump_version() const { impl_->bump_version(); }
  /// See requires_grad().
  bool view_gained_history() const;
  /// Same data, sizes and version counter; no autograd history.
  Tensor detach() const;

  /// Value of a one-element tensor; ValueError otherwise.
  Scalar item() const;
  template <typename T>
  T item() const;

  // Method forms of common ops (defined in ops/tensor_methods.cpp).
  Tensor to(DType dtype) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor reshape(const Shape& sizes) const;
  Tensor view(const Shape& sizes) const;
  Tensor expand(const Shape& sizes) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor sum(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor& add_(const Tensor& other);
  Tensor& zero_();

 private:
  std::shared_ptr<TensorImpl> impl_;
};

using TensorList = std::vector<Tensor>;
using DimList = std::vector<int64_t>;

/// Uninitialized contiguous tensor.
EMBER_API Tensor empty(const Shape& sizes, DType dtype = DType::Float32, Device device = Device{});
/// A tensor viewing `base`'s storage with the given geometry (no checks; internal building block).
EMBER_API Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset);
/// Wraps a Python number as a 0-d tensor flagged for type promotion.
EMBER_API Tensor scalar_to_tensor(const Scalar& s, DType dtype, Device device = Device{});
/// Wraps dims: -1 is the last of `ndim`; IndexError naming `op` when out of range.
EMBER_API int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace ember
