#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/tensor.h"

namespace ember::autograd {

class Node;

/// Points at input `input_nr` of node `fn` (where a gradient is sent).
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return fn != nullptr; }
};

/// A function run on a tensor's gradient during backward (Tensor.register_hook): it returns a
/// replacement of the same shape and dtype, or an undefined tensor to keep the gradient.
/// `output_nr`: which forward output of the node holding it (0 for a leaf's hooks).
struct TensorHook {
  using Fn = std::function<Tensor(const Tensor&)>;
  Fn fn;  // empty once removed
  uint32_t output_nr = 0;
};
using HookList = std::vector<std::shared_ptr<TensorHook>>;

/// Adds `h` to `list`, dropping removed hooks, under the lock the engine reads hooks with (a
/// backward on another thread may be running).
EMBER_API void add_tensor_hook(HookList& list, std::shared_ptr<TensorHook> h);
/// Turns `h` off for later passes and releases its function.
EMBER_API void remove_tensor_hook(TensorHook& h);
/// Applies the hooks in `list` (a leaf's, or a node's) to `grads`, output by output. They are
/// copied under the lock first: hooks added or removed while they run count from the next pass,
/// as in PyTorch. ValueError when a hook changes a gradient's shape or dtype.
void run_tensor_hooks(const HookList& list, TensorList& grads);
/// Whether any hook was ever registered (until then the engine skips the lock).
bool any_tensor_hooks();

/// Shape and dtype a gradient flowing into a node's output must have.
struct GradMeta {
  Shape sizes;
  DType dtype = DType::Float32;
};

/// One step of the backward graph. `apply` takes the gradients of the forward outputs and
/// returns one gradient per next edge (undefined = no gradient).
class EMBER_API Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  /// Releases the nodes this one points to iteratively, so dropping a graph with millions of
  /// nodes does not recurse once per node (and overflow the stack).
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual TensorList apply(TensorList&& grads) = 0;
  virtual std::string name() const = 0;
  /// Frees saved tensors after a backward pass without retain_graph.
  virtual void release_variables() {}

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  std::vector<Edge>& next_edges_mut() { return next_edges_; }
  /// Metadata of each forward output, in output order.
  std::vector<GradMeta>& outputs_meta() { return outputs_meta_; }
  const std::vector<GradMeta>& outputs_meta() const { return outputs_meta_; }
  uint64_t sequence_nr() const { return sequence_nr_; }

  void add_retain_grad_hook(uint32_t output_nr, std::weak_ptr<TensorImpl> t) {
    retain_hooks_.emplace_back(output_nr, std::move(t));
  }
  const std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>>& retain_hooks() const {
    return retain_hooks_;
  }
  /// Hooks on the gradients of this node's forward outputs (a non-leaf's register_hook); change
  /// it through add_tensor_hook.
  HookList& tensor_hooks() { return tensor_hooks_; }

 private:
  std::vector<Edge> next_edges_;
  std::vector<GradMeta> outputs_meta_;
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retain_hooks_;
  HookList tensor_hooks_;
  uint64_t sequence_nr_;
};

/// Adds incoming gradients into a leaf tensor's `.grad`.
class EMBER_API AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> variable);
  TensorList apply(TensorList&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  const std::shared_ptr<TensorImpl>& variable() const { return variable_; }

 private:
  std::shared_ptr<TensorImpl> variable_;
  std::mutex mutex_;  // backward passes on other threads may feed the same leaf
};

/// Drops `nodes` now, or, inside a node destructor, queues them for the outermost destructor
/// to release in a loop.
EMBER_API void release_nodes(std::vector<std::shared_ptr<Node>>&& nodes);
/// Moves the history (grad_fn) out of `t` when this is the last handle on it, so it can be
/// released iteratively; used by nodes dropping their saved tensors.
EMBER_API void steal_history(Tensor& t, std::vector<std::shared_ptr<Node>>& out);

/// Where the gradient of `t` goes: its grad_fn, or its leaf accumulator, or nowhere.
EMBER_API Edge gradient_edge(const Tensor& t);

/// Serializes the rewriting of views' and bases' histories (in-place writes, refresh_view) with
/// reads of a view's history on other threads (ops release the GIL).
EMBER_API std::recursive_mutex& view_history_mutex();
/// For a view whose base's history changed since the view's was made (the base, or another
/// view of it, was written in place): makes the view's history a view of the base's current
/// one, as PyTorch does. A no-op for anything else (view_history.cpp).
EMBER_API void refresh_view(const Tensor& t);
/// After an in-place op wrote `result` into view `v`: the base's history becomes its old one
/// with `v`'s elements taken from `result`'s, and `v`'s a view of that (view_history.cpp).
EMBER_API void rebase_view(const Tensor& v, const Tensor& result);

/// Before an in-place op autograd records writes into view `v`: NotImplementedError (naming
/// `op`) when its base has elements sharing memory, whose history could not be rewritten.
EMBER_API void check_view_writable(const Tensor& v, const char* op);
/// as_strided's backward: zeros shaped like `base_geometry` with `g` (a view's gradient, shape
/// `vsizes`) added where the view (vsizes, vstrides, storage offset voffset) lies in it.
EMBER_API Tensor strided_region_scatter(const Tensor& g, const Tensor& base_geometry,
                                        const Shape& vsizes, const Shape& vstrides,
                                        int64_t voffset);
/// Whether every element of the view (vsizes, vstrides, voffset) over `base`'s storage is an
/// element of `base`.
EMBER_API bool strided_within(const Tensor& base, const Shape& vsizes, const Shape& vstrides,
                              int64_t voffset);
/// For the history rebase_view gave a view: the node of the in-place op's result; else null.
EMBER_API std::shared_ptr<Node> written_view_result(const std::shared_ptr<Node>& view_fn);

/// Sets `t`'s history to output `output_nr` of `fn`, and marks it as requiring grad.
EMBER_API void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr);

}  // namespace ember::autograd
