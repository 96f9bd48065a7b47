#pragma once

#include <functional>
#include <initializer_list>
#include <string>

#include "ember/autograd/node.h"
#include "ember/core/grad_mode.h"

namespace ember::autograd {

class FunctionNode;

/// What a backward formula can read: the forward inputs (checked against in-place changes),
/// the forward output(s), and whether each input needs a gradient.
class EMBER_API Ctx {
 public:
  explicit Ctx(const FunctionNode& node) : node_(node) {}
  /// Forward input `i`; RuntimeError when it was freed or modified in place since.
  const Tensor& input(size_t i) const;
  /// Forward output `i` (only when recorded with kSaveOutput), connected to this node.
  Tensor output(size_t i = 0) const;
  /// Extra tensor saved by the forward with `record(..., saved)`.
  const Tensor& saved(size_t i) const;
  bool needs_grad(size_t i) const;
  /// Sizes of input `i` (available even after the graph was freed).
  const Shape& input_sizes(size_t i) const;
  DType input_dtype(size_t i) const;

 private:
  const FunctionNode& node_;
};

using BackwardFn = std::function<TensorList(const Ctx&, const Tensor& grad)>;
using MultiBackwardFn = std::function<TensorList(const Ctx&, const TensorList& grads)>;

enum SaveFlags : int { kSaveInputs = 1, kSaveOutput = 2 };

/// A node whose backward is a C++ closure. Made by `record`; one per recorded op call.
class EMBER_API FunctionNode : public Node {
 public:
  FunctionNode(const char* name, MultiBackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  ~FunctionNode() override;
  TensorList apply(TensorList&& grads) override;
  std::string name() const override { return name_; }
  void release_variables() override;

  struct Saved {
    Tensor tensor;
    uint32_t version = 0;
  };
  std::vector<Saved> inputs;
  std::vector<Saved> outputs;  // detached aliases (no cycle); reconnected by Ctx::output
  std::vector<Saved> extra;
  std::vector<GradMeta> input_meta;
  bool released = false;

 private:
  friend class Ctx;
  const char* name_;
  MultiBackwardFn fn_;
};

/// Whether an op called now on these inputs must record a node.
inline bool needs_record(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

/// Records one node for an op with a single output `y` computed from `inputs`; returns `y`
/// (now with grad_fn) or `y` untouched when grad mode is off or no input requires grad.
EMBER_API Tensor record(const char* name, const Tensor& y, const TensorList& inputs, BackwardFn fn,
                        int flags = kSaveInputs, const TensorList& saved = {});
/// Same for ops with several outputs; outputs with non-floating dtypes never require grad.
EMBER_API TensorList record_multi(const char* name, const TensorList& ys, const TensorList& inputs,
                                  MultiBackwardFn fn, int flags = kSaveInputs,
                                  const TensorList& saved = {});

}  // namespace ember::autograd
