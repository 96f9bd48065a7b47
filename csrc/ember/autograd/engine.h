#pragma once

#include "ember/autograd/node.h"

namespace ember::autograd {

/// Runs the backward pass from `roots` seeded with `grad_roots` (undefined entries mean
/// "ones" for one-element roots; RuntimeError otherwise).
///
/// With `inputs` empty, gradients are accumulated into the `.grad` of leaves (Tensor.backward).
/// Otherwise the gradients reaching `inputs` are returned in order and no `.grad` is touched
/// (autograd.grad); an input the roots do not depend on gives an undefined tensor when
/// `allow_unused`, else a RuntimeError. `create_graph` records the backward ops so the result
/// can be differentiated again; without `retain_graph` the saved tensors are freed.
EMBER_API TensorList run_backward(const TensorList& roots, const TensorList& grad_roots,
                                  bool retain_graph, bool create_graph,
                                  const TensorList& inputs = {}, bool allow_unused = false);

}  // namespace ember::autograd
