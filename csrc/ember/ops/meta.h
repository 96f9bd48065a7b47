#pragma once

// Shape, broadcasting and dtype-promotion rules, written once for every op and backend.

#include <string>

#include "ember/core/tensor.h"

namespace ember::meta {

/// numpy broadcasting of two shapes; ValueError naming `op` when they do not broadcast.
EMBER_API Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Whether `from` broadcasts to exactly `to` (each of its dims, counted from the last, is 1 or
/// equal; it has no more dims than `to`).
EMBER_API bool expands_to(const Shape& from, const Shape& to);
/// Result dtype of a binary op under PyTorch's promotion: dimensioned tensors outrank 0-d
/// tensors, which outrank Python numbers, unless the lower rank has a higher kind
/// (bool < integer < floating).
EMBER_API DType result_type(const Tensor& a, const Tensor& b);
EMBER_API DType result_type(const TensorList& xs);
/// Strides of `x` seen with `out_sizes` (0 on broadcast dims); x must broadcast to out_sizes.
EMBER_API Shape broadcast_strides(const Tensor& x, const Shape& out_sizes);
/// Dtype a float-valued op (exp, sqrt, ...) gives for `x`: itself if floating, else float32.
EMBER_API DType float_result_dtype(DType t);
/// Normalizes a reduction dim list: wraps negatives, rejects duplicates; empty -> all dims.
/// Returns a mask of length ndim.
EMBER_API std::vector<bool> reduce_mask(const DimList& dims, int64_t ndim, const char* op);
/// Output sizes of a reduction given the mask.
EMBER_API Shape reduced_sizes(const Shape& sizes, const std::vector<bool>& mask, bool keepdim);
/// Checks that a value of dtype `from` may be written into a tensor of dtype `to` in place
/// (PyTorch's can_cast: no float -> int, no int -> bool).
EMBER_API bool can_cast(DType from, DType to);

}  // namespace ember::meta
