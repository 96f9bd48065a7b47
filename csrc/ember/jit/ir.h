#pragma once

// Graph IR of ember.jit: a Graph owns Nodes and Values. A Node is one call of a registered op
// (csrc/ember/jit/registry.h) with tensor inputs (Values) and non-tensor attributes (IValues);
// its outputs are new Values. Nodes are kept in execution order (a topological order).
//
// Value kinds:
//   Input     a tensor argument of the traced function (checked against its shape/dtype/device)
//   Param     a tensor captured BY REFERENCE (a model parameter, optimizer state): the graph holds
//             the Tensor handle, so in-place updates (optimizer steps) are seen by the next run
//   Constant  a tensor fixed at trace time (a Python number, a folded value); may be undefined
//             (an absent optional tensor argument such as `bias`)
//   Node      the output of a node
//
// Argument layout of a node (what the op's invoker expects): the C++ arguments of the op are
// walked in order; a `Tensor` argument consumes one input, a `TensorList` argument contributes
// an int attribute (its length n) at its position and consumes n inputs, every other argument
// is one attribute. Undefined tensors are inputs bound to a Constant with an undefined tensor.
//
// In-place ops (returning `Tensor&`) produce an output Value that aliases the mutated input;
// the tracer uses that new Value for later reads, so data dependencies stay explicit. Ops that
// mutate without returning (the fused optimizer steps) carry `kSideEffect`. Passes must keep
// nodes that are not `pure()` and must not move reads across them.

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/scalar.h"
#include "ember/core/tensor.h"

namespace ember::jit {

/// A non-tensor argument of an op call.
class EMBER_API IValue {
 public:
  using IntList = std::vector<int64_t>;
  enum class Kind { None, Int, Double, Bool, String, IntList, Scalar, DType };

  IValue() = default;
  IValue(std::nullopt_t) {}
  IValue(int64_t v) : v_(v) {}
  IValue(int v) : v_(int64_t{v}) {}
  IValue(double v) : v_(v) {}
  IValue(bool v) : v_(v) {}
  IValue(std::string v) : v_(std::move(v)) {}
  IValue(const char* v) : v_(std::string(v)) {}
  IValue(IntList v) : v_(std::move(v)) {}
  IValue(ember::Scalar v) : v_(v) {}
  IValue(ember::DType v) : v_(v) {}

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_none() const { return kind() == Kind::None; }
  int64_t to_int() const;
  double to_double() const;
  bool to_bool() const;
  const std::string& to_string() const;
  const IntList& to_int_list() const;
  ember::Scalar to_scalar() const;
  ember::DType to_dtype() const;

  bool operator==(const IValue& o) const;
  bool operator!=(const IValue& o) const { return !(*this == o); }
  size_t hash() const;
  /// Readable form used by the graph printer: `3`, `0.5`, `true`, `"mean"`, `[1, 2]`, `none`,
  /// `float32`; Scalars print like numbers with a suffix-free form (`2`, `0.1`, `true`).
  std::string repr() const;
  /// JSON value used by serialization (tagged: {"int": 3}, {"scalar_double": 0.5}, ...).
  std::string to_json() const;

 private:
  std::variant<std::monostate, int64_t, double, bool, std::string, IntList, ember::Scalar,
               ember::DType>
      v_;
};

class Node;
class Graph;

/// Properties of an op (from its registration) copied onto each node.
enum NodeFlags : uint32_t {
  kPure = 0,
  kInplace = 1u << 0,     ///< returns `Tensor&`: writes into input `inplace_input`
  kSideEffect = 1u << 1,  ///< mutates inputs or global state without returning them
  kRandom = 1u << 2,      ///< draws from the default generator (never merged or folded)
  /// Runs with autograd recording (inputs flagged in `requires_grad_inputs()` become leaves
  /// requiring grad) because a later `autograd_backward` node applies this op's own backward
  /// (used for ops whose backward closure holds tensors the tracer cannot see).
  kKeepsAutograd = 1u << 3,
};

/// A typed value in the graph.
class EMBER_API Value {
 public:
  enum class Kind { Input, Param, Constant, Node };

  size_t id() const { return id_; }
  Kind kind() const { return kind_; }
  const Shape& sizes() const { return sizes_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  /// False only for the undefined-tensor constant.
  bool defined() const { return defined_; }
  /// The node that computes this value (null for inputs, params and constants).
  Node* producer() const { return producer_; }
  /// Which output of `producer()` this is.
  size_t output_index() const { return output_index_; }
  /// Nodes reading this value, once per input slot (a node reading it twice appears twice).
  const std::vector<Node*>& uses() const { return uses_; }
  /// The captured tensor of a Param/Constant (undefined for other kinds).
  const Tensor& tensor() const { return tensor_; }
  void set_tensor(Tensor t) { tensor_ = std::move(t); }
  /// For a Param that is the `.grad` of a tensor from outside the trace: that tensor. The
  /// executor then reads its `.grad` on every run (the gradient tensor may have been replaced,
  /// e.g. by zero_grad() and a new backward), not the tensor captured at trace time.
  const Tensor& grad_owner() const { return grad_owner_; }
  void set_grad_owner(Tensor t) { grad_owner_ = std::move(t); }
  /// Name of an input/param (`x`, `fc1.weight`); empty otherwise.
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  /// `%12` (or `%fc1.weight` for a named value).
  std::string display() const;
  /// Type string: `f32[16, 784]`.
  std::string type_str() const;

  Graph* owning_graph() const { return graph_; }
  /// Makes every reader of this value (nodes and graph outputs) read `other` instead.
  void replace_all_uses_with(Value* other);

 private:
  friend class Graph;
  friend class Node;
  size_t id_ = 0;
  Kind kind_ = Kind::Node;
  Graph* graph_ = nullptr;
  Shape sizes_;
  DType dtype_ = DType::Float32;
  Device device_{};
  bool defined_ = true;
  Node* producer_ = nullptr;
  size_t output_index_ = 0;
  std::vector<Node*> uses_;
  Tensor tensor_;
  Tensor grad_owner_;
  std::string name_;
};

/// One op call.
class EMBER_API Node {
 public:
  const std::string& op() const { return op_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(size_t i) const { return inputs_.at(i); }
  const std::vector<IValue>& attrs() const { return attrs_; }
  std::vector<IValue>& attrs_mut() { return attrs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* output(size_t i = 0) const { return outputs_.at(i); }
  uint32_t flags() const { return flags_; }
  void set_flags(uint32_t f) { flags_ = f; }
  bool pure() const { return flags_ == kPure; }
  bool is_inplace() const { return (flags_ & kInplace) != 0; }
  /// Input index written by an in-place node (its output aliases that input).
  size_t inplace_input() const { return inplace_input_; }
  void set_inplace_input(size_t i) { inplace_input_ = i; }
  Graph* owning_graph() const { return graph_; }
  /// For kKeepsAutograd nodes: which inputs required grad when traced (1) or not (0).
  const std::vector<uint8_t>& requires_grad_inputs() const { return requires_grad_inputs_; }
  void set_requires_grad_inputs(std::vector<uint8_t> m) { requires_grad_inputs_ = std::move(m); }

  /// Rebinds input slot `i` to `v` (use lists are updated).
  void replace_input(size_t i, Value* v);
  void add_input(Value* v);
  /// Appends an output value with the given type; returns it.
  Value* add_output(const Shape& sizes, DType dtype, Device device);

 private:
  friend class Graph;
  friend class Value;
  std::string op_;
  std::vector<Value*> inputs_;
  std::vector<IValue> attrs_;
  std::vector<Value*> outputs_;
  uint32_t flags_ = kPure;
  size_t inplace_input_ = 0;
  std::vector<uint8_t> requires_grad_inputs_;
  Graph* graph_ = nullptr;
  std::list<std::unique_ptr<Node>>::iterator pos_;
};

/// A traced program: inputs, params, constants, nodes in execution order, outputs.
class EMBER_API Graph {
  friend class Node;

 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  Value* add_input(const Shape& sizes, DType dtype, Device device, std::string name = {});
  /// Captures `t` by reference.
  Value* add_param(const Tensor& t, std::string name = {});
  /// A constant holding `t` (may be undefined).
  Value* add_constant(const Tensor& t);
  /// The shared undefined-tensor constant.
  Value* undefined_value();

  /// Appends a node (at the end, or before `before` when given) with these inputs and attrs;
  /// outputs are added by the caller with Node::add_output.
  Node* create_node(const std::string& op, const std::vector<Value*>& inputs,
                    std::vector<IValue> attrs, uint32_t flags = kPure, Node* before = nullptr);
  /// Removes a node whose outputs are unused (RuntimeError otherwise).
  void erase_node(Node* n);
  /// Moves `n` to just before `before` (the caller keeps the order topological).
  void move_before(Node* n, Node* before);

  /// Nodes in execution order. Iterate with `for (Node* n : graph.nodes())`.
  std::vector<Node*> nodes() const;
  size_t num_nodes() const { return nodes_.size(); }
  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& params() const { return params_; }
  const std::vector<Value*>& constants() const { return constants_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  void add_output(Value* v) { outputs_.push_back(v); }
  void set_output(size_t i, Value* v) { outputs_.at(i) = v; }
  /// Drops params and constants nobody reads (not outputs).
  void remove_unused_leaves();
  /// Gives values dense ids in print order: inputs, params, constants, node outputs.
  void renumber();
  /// Largest value id + 1 (ids are unique, not dense after erasures).
  size_t value_id_bound() const { return next_id_; }

  /// What the traced code saw of the `.grad` of tensors from outside the trace before the graph
  /// itself touched them: (tensor, whether it had a gradient). Python code that reads `.grad`
  /// (e.g. `if p.grad is not None`) took its branch on that state, so the graph is only valid
  /// while it holds; the executor checks it on every run (GuardError otherwise).
  struct GradGuard {
    Tensor tensor;
    bool had_grad;
  };
  const std::vector<GradGuard>& grad_guards() const { return grad_guards_; }
  void add_grad_guard(const Tensor& t, bool had_grad) { grad_guards_.push_back({t, had_grad}); }
  /// The requires_grad flag of each tensor captured from outside the trace, as traced: the
  /// graph's backward (which parameters get gradients) was built for it, so the executor checks
  /// it on every run (GuardError otherwise: ember.jit.function traces again).
  struct RequiresGradGuard {
    Tensor tensor;
    bool requires_grad;
  };
  const std::vector<RequiresGradGuard>& requires_grad_guards() const { return rg_guards_; }
  void add_requires_grad_guard(const Tensor& t) { rg_guards_.push_back({t, t.requires_grad()}); }
  /// At the end of a trace: drops the requires_grad guards of a graph without gradient nodes
  /// (accumulate_grad, autograd_backward), whose results no flag can change (a traced forward's
  /// outputs are made differentiable by ember.jit in Python), and lets go of the trace-time
  /// tensors of `.grad` params, which are read from their owners on every run.
  void finish_guards();
  /// Things the tracer could not decide for the user (shown as warnings by ember.jit).
  const std::vector<std::string>& trace_notes() const { return trace_notes_; }
  void add_trace_note(std::string note) { trace_notes_.push_back(std::move(note)); }

  /// Readable text: one line per input/param/node, e.g.
  /// `  %5 : f32[16, 128] = linear(%x, %fc1.weight, %fc1.bias)`.
  std::string str() const;
  /// Graphviz DOT text.
  std::string to_dot() const;
  /// Checks use lists, topological order and that outputs belong to the graph.
  void lint() const;

 private:
  Value* new_value(Value::Kind kind);
  std::vector<std::unique_ptr<Value>> values_;
  std::list<std::unique_ptr<Node>> nodes_;
  std::vector<Value*> inputs_, params_, constants_, outputs_;
  Value* undefined_ = nullptr;
  size_t next_id_ = 0;
  std::vector<GradGuard> grad_guards_;
  std::vector<RequiresGradGuard> rg_guards_;
  std::vector<std::string> trace_notes_;
};

/// Short dtype name used in type strings: f32, f64, i64, i32, bool, ...
EMBER_API std::string dtype_short(DType d);

}  // namespace ember::jit
