#include "ember/core/tensor_impl.h"

#include "ember/core/error.h"

namespace ember {

TensorImpl::TensorImpl(Storage storage, Shape sizes, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype) {
  if (!storage_) throw Error("tensor: a TensorImpl needs a storage");
  refresh();
}

void TensorImpl::set_data(const TensorImpl& src) {
  if (&src == this) return;
  // The memory is src's, but the version counter stays this tensor's (as in PyTorch): a storage
  // borrowing src's bytes (keeping them alive) with a counter that goes on from this one's.
  const uint32_t v = version();
  const Storage& from = src.storage_;
  storage_ = std::make_shared<StorageImpl>(from->data(), from->nbytes(), from->device(),
                                           [keep = from](void*) {});
  storage_->version_counter()->version.store(v, std::memory_order_relaxed);
  sizes_ = src.sizes_;
  strides_ = src.strides_;
  offset_ = src.offset_;
  dtype_ = src.dtype_;
  is_view_ = false;
  view_base_.reset();
  refresh();
}

void TensorImpl::refresh() {
  numel_ = 1;
  for (int64_t s : sizes_) {
    if (s < 0 || __builtin_mul_overflow(numel_, s, &numel_)) {
      throw ValueError(detail::str("tensor: invalid shape ", sizes_, ": ",
                                   s < 0 ? "sizes must be non-negative"
                                         : "the number of elements overflows int64"));
    }
  }
  is_contiguous_ = true;
  if (numel_ == 0) return;  // empty tensors count as contiguous whatever their strides (PyTorch)
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (sizes_[i] == 1) continue;
    if (strides_[i] != expected) {
      is_contiguous_ = false;
      break;
    }
    expected *= sizes_[i];
  }
}

Shape contiguous_strides(const Shape& sizes) {
  Shape strides(sizes.size());
  int64_t s = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

int64_t shape_numel(const Shape& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

}  // namespace ember
