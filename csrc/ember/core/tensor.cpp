#include "ember/core/tensor.h"

#include "ember/autograd/node.h"

namespace ember {

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim == 0 ? 1 : ndim;  // 0-d tensors accept dim 0 and -1, like PyTorch
  EMBER_CHECK_INDEX(dim >= -n && dim < n, op, ": dim ", dim, " is out of range for a tensor with ",
                    ndim, " dimension", ndim == 1 ? "" : "s", " (expected a dim in [", -n, ", ",
                    n - 1, "])");
  return dim < 0 ? dim + n : dim;
}

int64_t Tensor::size(int64_t d) const {
  if (dim() == 0) {
    wrap_dim(d, 0, "size");
    return 1;
  }
  return sizes()[wrap_dim(d, dim(), "size")];
}

int64_t Tensor::stride(int64_t d) const {
  if (dim() == 0) {
    wrap_dim(d, 0, "stride");
    return 1;
  }
  return strides()[wrap_dim(d, dim(), "stride")];
}

const Tensor& Tensor::set_requires_grad(bool r) const {
  if (r == requires_grad()) return *this;  // no change (requires_grad_() on a non-leaf is fine)
  EMBER_CHECK(is_leaf(), "requires_grad_: you can only change requires_grad of leaf tensors; this "
              "tensor was made by ", grad_fn()->name(), ". Use .detach() to get a leaf.");
  EMBER_CHECK(!r || is_floating(dtype()), "requires_grad_: only floating point tensors can "
              "require gradients, got dtype ", dtype());
  impl_->autograd_mut().requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const {
  if (!impl_->autograd() || !impl_->autograd()->grad) return Tensor();
  return Tensor(impl_->autograd()->grad);
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined()) {
    EMBER_CHECK_VALUE(g.sizes() == sizes(), "grad: assigned gradient has shape ", g.sizes(),
                      " but the tensor has shape ", sizes());
    EMBER_CHECK_TYPE(g.dtype() == dtype(), "grad: assigned gradient has dtype ", g.dtype(),
                     " but the tensor has dtype ", dtype());
  }
  if (!g.defined() && !impl_->autograd()) return;
  impl_->autograd_mut().grad = g.impl_ptr();
}

bool Tensor::view_gained_history() const {
  // A view recorded by autograd (stamped) or taken under no_grad from a tensor requiring grad
  // keeps its own flag; any other view of a base that has a grad_fn now was taken before the
  // base had one (otherwise autograd would have recorded the view).
  const AutogradMeta* m = impl_->autograd();
  if (m && (m->view_stamped || m->no_grad_view)) return false;
  const AutogradMeta* bm = impl_->view_base()->autograd();
  return bm != nullptr && bm->grad_fn != nullptr;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  return impl_->autograd() ? impl_->autograd()->grad_fn : nullptr;
}

void Tensor::retain_grad() const {
  if (impl_->view_base()) autograd::refresh_view(*this);
  EMBER_CHECK(requires_grad(), "retain_grad: can't retain_grad on a tensor that has "
              "requires_grad=False");
  if (is_leaf()) return;  // leaves keep .grad anyway
  impl_->autograd_mut().retains_grad = true;
  grad_fn()->add_retain_grad_hook(output_nr(), impl_ptr());
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>(impl_->storage(), sizes(), strides(), storage_offset(),
                                           dtype());
  impl->set_is_view(true);
  return Tensor(std::move(impl));
}

Scalar Tensor::item() const {
  EMBER_CHECK_VALUE(numel() == 1, "item: a Tensor with ", numel(),
                    " elements cannot be converted to a Python number; shape is ", sizes());
  Scalar out;
  EMBER_DISPATCH_ALL(dtype(), "item", [&] {
    scalar_t v = *data_ptr<scalar_t>();
    if constexpr (std::is_same_v<scalar_t, bool>) {
      out = Scalar(v);
    } else if constexpr (std::is_floating_point_v<scalar_t>) {
      out = Scalar(static_cast<double>(v));
    } else {
      out = Scalar(static_cast<int64_t>(v));
    }
  });
  return out;
}

template <typename T>
T Tensor::item() const {
  return item().to<T>();
}
template EMBER_API float Tensor::item<float>() const;
template EMBER_API double Tensor::item<double>() const;
template EMBER_API int64_t Tensor::item<int64_t>() const;
template EMBER_API bool Tensor::item<bool>() const;

Tensor empty(const Shape& sizes, DType dtype, Device device) {
  for (int64_t s : sizes) {
    EMBER_CHECK_VALUE(s >= 0, "empty: sizes must be non-negative, got ", sizes);
  }
  EMBER_CHECK_NOT_IMPL(device.is_cpu(), "empty: device '", device.str(),
                       "' is not available in this build (CPU only)");
  int64_t n = 1;
  for (int64_t s : sizes) {
    EMBER_CHECK_VALUE(!__builtin_mul_overflow(n, s, &n), "empty: shape ", sizes,
                      " has more elements than int64 can count");
  }
  size_t nbytes = 0;
  EMBER_CHECK_VALUE(!__builtin_mul_overflow(static_cast<size_t>(n), itemsize(dtype), &nbytes),
                    "empty: shape ", sizes, " of dtype ", dtype, " needs more bytes than size_t holds");
  auto storage = std::make_shared<StorageImpl>(nbytes, device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes),
                                             0, dtype));
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(base.impl()->storage(), std::move(sizes),
                                           std::move(strides), offset, base.dtype());
  impl->set_is_view(true);
  return Tensor(std::move(impl));
}

Tensor scalar_to_tensor(const Scalar& s, DType dtype, Device device) {
  Tensor t = empty({}, dtype, device);
  EMBER_DISPATCH_ALL(dtype, "scalar_to_tensor", [&] { *t.data_ptr<scalar_t>() = s.to<scalar_t>(); });
  t.impl()->set_wrapped_number(true);
  return t;
}

}  // namespace ember
