#pragma once

// Tracing: while a trace is active on a thread, every public op called on that thread (through
// the EMBER_TRACE hook, see trace_hook.h) is recorded as one graph node, including the ops a
// backward pass runs (the per-op backward formulas call the same public ops) and the fused
// optimizer steps. Tensors reach the graph as:
//   - inputs: the tensors given to `begin`;
//   - params: tensors that existed before the trace started (weights, optimizer state, ...),
//     captured by reference;
//   - constants: Python numbers wrapped as 0-d tensors (their values are baked in);
//   - node outputs: everything a traced op returns, and views/detached aliases of those.
// A tensor created during the trace by code the tracer cannot see (numpy, ember.tensor(data),
// a Python autograd.Function's own arithmetic on raw data) raises an error naming the op that
// consumed it, instead of silently becoming a constant.

#include <memory>
#include <string>
#include <vector>

#include "ember/autograd/node.h"
#include "ember/core/export.h"
#include "ember/core/tensor.h"
#include "ember/jit/ir.h"
#include "ember/jit/trace_hook.h"

namespace ember::jit {

/// Raised when a traced op receives a tensor the tracer cannot account for.
class EMBER_API UntracedTensorError : public Error {
 public:
  using Error::Error;
};

/// One recording in progress (owned by the caller of begin_trace).
class EMBER_API Trace {
 public:
  ~Trace();
  /// Stops recording and returns the graph whose outputs are `outputs`. A tensor the trace
  /// created (zeros, clone, ...) and then wrote in place is state when `state` names it (an
  /// optimizer's moment buffers): it becomes a captured param holding its current value. Other
  /// such tensors are made again by every run; one the program still holds beyond the returned
  /// tensors and their autograd graphs gets a note in Graph::trace_notes.
  std::shared_ptr<Graph> end(const TensorList& outputs, const TensorList& state = {});
  /// Stops recording and throws the graph away.
  void abort();
  bool active() const;
  TraceState* state() const { return state_.get(); }

 private:
  friend EMBER_API std::unique_ptr<Trace> begin_trace(const TensorList& inputs,
                                                      const std::vector<std::string>& names);
  std::unique_ptr<TraceState> state_;
};

/// Starts recording on this thread; `inputs` become the graph inputs (named by `names` when
/// given). RuntimeError when this thread is already tracing.
EMBER_API std::unique_ptr<Trace> begin_trace(const TensorList& inputs,
                                             const std::vector<std::string>& names = {});

/// Raises a RuntimeError naming `what` when this thread is tracing: reading a tensor's values
/// (`.item()`, `.tolist()`, `.numpy()`) would bake one run's data into the graph.
EMBER_API void check_not_tracing(const char* what);

/// Used by the autograd engine: applies node `n`; when tracing and `n` accumulates into a leaf's
/// `.grad`, records an `accumulate_grad` node for it.
EMBER_API TensorList traced_apply(autograd::Node& n, TensorList&& grads);

/// Called when Python reads `t.grad`: while tracing, a tensor from before the trace whose `.grad`
/// the graph has not touched yet gets a grad guard (Graph::grad_guards) for the state read.
EMBER_API void note_grad_read(const Tensor& t);
/// Called when requires_grad is set while a trace is active: a tensor the traced code sets the
/// flag of itself before using it gets no requires_grad guard (its value at call time is not
/// what the graph depends on).
EMBER_API void note_requires_grad_set(const Tensor& t);
/// Called when a tensor hook (register_hook) runs during a traced backward: the graph records
/// the ops it runs, not the Python call, so a note (a warning in Python) says so, once.
EMBER_API void note_hook_ran();
/// Called when Python sets `t.grad = None`: while tracing, records a clear_grad node (and clears
/// the gradient, as the assignment would); otherwise just clears it.
EMBER_API void record_clear_grad(const Tensor& t);

/// Names parameters of a finished graph from (tensor, name) pairs (module state dict order).
EMBER_API void name_params(Graph& g, const TensorList& tensors, const std::vector<std::string>& names);

}  // namespace ember::jit
