#include "ember/ops/ops.h"

namespace ember {

Tensor Tensor::to(DType dtype) const { return ember::to(*this, dtype); }
Tensor Tensor::contiguous() const { return ember::contiguous(*this); }
Tensor Tensor::clone() const { return ember::clone(*this); }
Tensor Tensor::reshape(const Shape& sizes) const { return ember::reshape(*this, sizes); }
Tensor Tensor::view(const Shape& sizes) const { return ember::view(*this, sizes); }
Tensor Tensor::expand(const Shape& sizes) const { return ember::expand(*this, sizes); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return ember::transpose(*this, d0, d1); }
Tensor Tensor::unsqueeze(int64_t dim) const { return ember::unsqueeze(*this, dim); }
Tensor Tensor::squeeze(int64_t dim) const { return ember::squeeze(*this, DimList{dim}); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const {
  return ember::sum(*this, dims, keepdim);
}
Tensor& Tensor::add_(const Tensor& other) { return ember::add_(*this, other); }
Tensor& Tensor::zero_() { return ember::zero_(*this); }

}  // namespace ember
