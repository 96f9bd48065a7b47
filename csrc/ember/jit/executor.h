#pragma once

// Runs a Graph: nodes in order through the op registry, with grad mode off (a traced training
// step already contains its backward as ordinary nodes). Inputs are checked against the traced
// signature; values are dropped after their last use.

#include <memory>
#include <string>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/tensor.h"
#include "ember/jit/ir.h"
#include "ember/jit/registry.h"

namespace ember::jit {

/// Raised (ember._C.JitGuardError, a RuntimeError) before a graph runs when the state its trace
/// depended on has changed (see Graph::grad_guards); nothing has run. ember.jit.function
/// retraces on it.
class EMBER_API GuardError : public Error {
 public:
  using Error::Error;
};

class EMBER_API Executor {
 public:
  /// Prepares `graph` (every op must be registered; RuntimeError naming the op otherwise). The
  /// graph must not change while this executor is used (build a new one after running passes).
  explicit Executor(std::shared_ptr<Graph> graph);
  /// Runs the graph; ValueError naming the traced and the given signatures when `inputs` do not
  /// match (count, shapes, dtypes, devices); GuardError when a grad guard fails.
  TensorList run(const TensorList& inputs) const;
  /// Runs like `run` and returns, per node, its op name and wall seconds (for profiling).
  std::vector<std::pair<std::string, double>> profile(const TensorList& inputs) const;
  const std::shared_ptr<Graph>& graph() const { return graph_; }
  /// `(f32[16, 784], i64[16])`: the signature the graph was traced for.
  std::string signature() const;

 private:
  TensorList run_impl(const TensorList& inputs,
                      std::vector<std::pair<std::string, double>>* times) const;

 public:

 private:
  struct Step {
    const OpInfo* op;
    const Node* node;
    std::vector<int32_t> in_slots;
    std::vector<uint8_t> move_in;  // last use: hand the slot's tensor over
    std::vector<int32_t> out_slots;
  };
  std::shared_ptr<Graph> graph_;
  std::vector<Step> steps_;
  std::vector<int32_t> input_slots_, output_slots_;
  std::vector<std::pair<int32_t, Tensor>> fixed_;  // params and constants
  // Params that are the `.grad` of a tensor (Value::grad_owner): read from it on every run.
  std::vector<std::pair<int32_t, Tensor>> grads_of_;
  size_t num_slots_ = 0;
};

/// `(f32[2, 3], i64[2])` for tensors.
EMBER_API std::string signature_of(const TensorList& ts);

}  // namespace ember::jit
