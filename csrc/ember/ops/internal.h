#pragma once

// Helpers shared by the op families (not public API).

#include "ember/autograd/record.h"
#include "ember/cpu/kernels.h"
#include "ember/ops/meta.h"
#include "ember/ops/ops.h"

namespace ember::detail {

/// `x` converted to `dtype` without recording autograd (x itself when the dtype matches).
Tensor convert(const Tensor& x, DType dtype);
/// Raises unless `x` lives on a device this build has kernels for.
inline void check_device(const Tensor& x, const char* op) {
  EMBER_CHECK_NOT_IMPL(x.device().is_cpu(), op, ": no kernel for device '", x.device().str(),
                       "' in this build");
}
/// Prepares `self` for an in-place op: rejects leaves that require grad (under grad mode) and
/// views whose history autograd cannot rewrite.
EMBER_API void check_inplace(const Tensor& self, bool records, const char* op);
/// Writes `result` into `self` (same shape; dtype converted) and moves `result`'s autograd
/// history onto `self`; bumps the version counter.
Tensor& commit_inplace(Tensor& self, const Tensor& result);
/// A tensor sharing `self`'s storage, version counter and autograd history, so an op can read
/// the pre-modification value as an input while `self` takes the new history.
Tensor history_alias(const Tensor& self);

/// A 2-D operand BLAS can read in place: row-major (unit column stride) or transposed (unit row
/// stride), with its leading dimension. Anything else is a contiguous copy (linalg.cpp).
struct BlasOperand {
  Tensor t;
  bool trans;
  int64_t ld;
};
BlasOperand as_blas(const Tensor& m);

}  // namespace ember::detail
