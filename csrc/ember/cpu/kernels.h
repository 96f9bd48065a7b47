#pragma once

// CPU kernel entry points. Kernels receive allocated outputs and inputs already converted to
// the compute dtype; they never check user input.

#include "ember/core/tensor.h"
#include "ember/kernels/elementwise_ops.h"

namespace ember::cpu {

/// out = op(in) elementwise; `in` has out's dtype and broadcasts to out's shape.
void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0 = 0.0, double p1 = 0.0);
/// out = op(a, b); a and b share a dtype equal to out's and broadcast to out's shape.
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
/// out (bool) = op(a, b); a and b share a dtype.
void compare(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);
/// out = cond ? a : b; cond bool, a and b in out's dtype, all broadcast to out.
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
/// dst = src converted to dst's dtype; src broadcasts to dst's shape. Any strides.
void copy(const Tensor& dst, const Tensor& src);
/// Sets every element of dst.
void fill(const Tensor& dst, const Scalar& value);

enum class ReduceOp { Sum, Prod, Max, Min, ArgMax, ArgMin, All, Any };
/// Reduces `in` over the dims where `mask` is true into `out` (keepdim=False layout,
/// contiguous). Sum/Prod accumulate in double (floats) or int64 (integers); out has the result
/// dtype. Arg* write int64 indices into the flattened reduced dims. `in` must be non-empty for
/// Max/Min/Arg* (the op layer fills or rejects empty inputs).
void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<bool>& mask);
/// Max (or min) over the masked dims with the int64 row-major index (within the reduced dims)
/// of its first occurrence; NaN wins and propagates. `values` (in's dtype) may be undefined.
void reduce_with_index(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                       const std::vector<bool>& mask);
/// out (floating, in's dtype) = sum((x - mean)^2) / max(0, n - correction) over the masked dims,
/// two passes in double; `in` non-empty.
void var(const Tensor& out, const Tensor& in, const std::vector<bool>& mask, double correction);
/// out (floating, in's dtype) = log(sum(exp(x))) over the masked dims, shifted by the max so
/// exp never overflows; NaN if any element is NaN. `in` non-empty.
void logsumexp(const Tensor& out, const Tensor& in, const std::vector<bool>& mask);
/// out (contiguous, same sizes) = running sum of `in` along `dim`, from the end when `reverse`;
/// accumulates in double (floats) or int64 (integers). Any input strides and dtype.
void cumsum(const Tensor& out, const Tensor& in, int64_t dim, bool reverse);

/// C = alpha * op(A) @ op(B) + beta * C for row-major 2-D views with unit inner stride or
/// transposed; float32/float64 through OpenBLAS.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c,
          int64_t ldc, DType dtype);

}  // namespace ember::cpu
