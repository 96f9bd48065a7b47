#pragma once

// The `fused_elementwise` op of ember.jit: one node that runs a small elementwise program over
// blocks of elements, so a chain of elementwise ops makes no full-size intermediate buffers.
//
// Node layout: inputs are the tensors the program reads (each either of the program's shape or
// with one element, broadcast); attributes are
//   [0] the program text (string), [1] the output shape (int list), [2...] constants (doubles).
// Program text, `;`-separated:
//   `f32` or `f64`          the compute dtype (every value is computed in it; bools as 0/1)
//   `in=N`                  registers r0..r{N-1} are the inputs
//   `rK=Op(arg,...)`        one instruction per register, K = N, N+1, ... in order; an arg is a
//                           register `rJ` (J < K) or a constant `cJ` (attribute 2 + J). Op is a
//                           unary op (`Relu`, `Exp`, ...; extra args are its double parameters:
//                           `LeakyRelu(r0,c0)`, `Clamp(r0,c0,c1)`), a binary op (`Add`, `Mul`,
//                           `Pow`, ...), a comparison (`Gt`, `LogicalAnd`, ...) or `Where(c,a,b)`;
//                           `Const(cJ)` fills a register with a constant
//   `out=rA,rB:b,...`       the registers returned, in order; `:b` makes a bool output;
//                           `rA>iJ` lets output rA be written into input J's buffer when that
//                           tensor is contiguous, of the output's dtype and held by no one else
// Example: `f32;in=2;r2=Gt(r0,c0);r3=Where(r2,r1,c0);out=r3` is relu's backward.
//
// Op names are those of csrc/ember/kernels/elementwise_ops.h, and the expressions are the same,
// so a fused program gives the same bits as the ops it replaces.

#include <string>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/tensor.h"
#include "ember/jit/ir.h"

namespace ember::jit {

/// Graph op name of the fused node.
inline constexpr const char* kFusedElementwise = "fused_elementwise";

/// Whether `name` (`Relu`, `Mul`, `Gt`, `Where`, `Const`) is an instruction of the fused program.
EMBER_API bool fused_op_known(const std::string& name);

/// Runs a fused program (the node's attributes) on `inputs`; returns the outputs. RuntimeError
/// naming the problem when the program is malformed or the inputs do not fit it.
EMBER_API TensorList run_fused_elementwise(TensorList& inputs, const std::vector<IValue>& attrs);

}  // namespace ember::jit
