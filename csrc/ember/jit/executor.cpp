#include "ember/jit/executor.h"

#include <chrono>
#include <unordered_map>

#include "ember/core/error.h"
#include "ember/core/grad_mode.h"
#include "ember/autograd/record.h"

namespace ember::jit {

namespace {

// For the input an in-place op writes when its node keeps autograd: a tensor over the same
// memory (not a view, so the write reaches the graph's buffer) whose history is an identity on a
// leaf that requires grad. The op may then write into it and record its backward; a leaf itself
// would refuse the in-place write.
Tensor writable_grad_alias(const Tensor& x) {
  Tensor leaf = x.detach();
  leaf.set_requires_grad(true);
  Tensor alias(std::make_shared<TensorImpl>(x.impl()->storage(), x.sizes(), x.strides(),
                                            x.storage_offset(), x.dtype()));
  return autograd::record("AliasBackward0", alias, {leaf},
                          [](const autograd::Ctx&, const Tensor& g) { return TensorList{g}; }, 0);
}

std::string type_of(const Shape& sizes, DType dtype, Device device) {
  std::string s = dtype_short(dtype) + "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  s += "]";
  if (!device.is_cpu()) s += "@" + device.str();
  return s;
}

}  // namespace

std::string signature_of(const TensorList& ts) {
  std::string s = "(";
  for (size_t i = 0; i < ts.size(); ++i) {
    s += i ? ", " : "";
    s += ts[i].defined() ? type_of(ts[i].sizes(), ts[i].dtype(), ts[i].device()) : "None";
  }
  return s + ")";
}

Executor::Executor(std::shared_ptr<Graph> graph) : graph_(std::move(graph)) {
  const Graph& g = *graph_;
  std::unordered_map<const Value*, int32_t> slot;
  auto slot_of = [&](const Value* v) {
    auto it = slot.find(v);
    if (it != slot.end()) return it->second;
    int32_t s = static_cast<int32_t>(num_slots_++);
    slot.emplace(v, s);
    return s;
  };
  for (Value* v : g.inputs()) input_slots_.push_back(slot_of(v));
  for (Value* v : g.params()) {
    if (v->grad_owner().defined()) {
      grads_of_.emplace_back(slot_of(v), v->grad_owner());
    } else {
      fixed_.emplace_back(slot_of(v), v->tensor());
    }
  }
  for (Value* v : g.constants()) fixed_.emplace_back(slot_of(v), v->tensor());
  std::vector<Node*> nodes = g.nodes();
  for (Node* n : nodes) {
    Step st;
    st.op = find_op(n->op());
    EMBER_CHECK(st.op != nullptr, "jit: the graph uses op ", n->op(),
                " which is not registered in this build of ember");
    st.node = n;
    for (Value* v : n->inputs()) {
      EMBER_CHECK(slot.count(v), "jit: graph node ", n->op(), " reads ", v->display(),
                  " before it is computed");
      st.in_slots.push_back(slot.at(v));
    }
    for (Value* v : n->outputs()) st.out_slots.push_back(slot_of(v));
    st.move_in.assign(st.in_slots.size(), 0);
    steps_.push_back(std::move(st));
  }
  for (Value* v : g.outputs()) {
    EMBER_CHECK(slot.count(v), "jit: graph output ", v->display(), " is never computed");
    output_slots_.push_back(slot.at(v));
  }
  // Last reads of node-produced values hand their tensor over (buffers can be reused or taken).
  std::vector<char> pinned(num_slots_, 0);
  for (int32_t s : input_slots_) pinned[s] = 1;
  for (auto& f : fixed_) pinned[f.first] = 1;
  for (auto& f : grads_of_) pinned[f.first] = 1;
  for (int32_t s : output_slots_) pinned[s] = 1;
  std::vector<char> seen(num_slots_, 0);
  for (size_t k = steps_.size(); k-- > 0;) {
    Step& st = steps_[k];
    for (size_t i = st.in_slots.size(); i-- > 0;) {
      int32_t s = st.in_slots[i];
      if (pinned[s] || seen[s]) continue;
      seen[s] = 1;
      st.move_in[i] = 1;
    }
  }
}

std::string Executor::signature() const {
  std::string s = "(";
  const auto& ins = graph_->inputs();
  for (size_t i = 0; i < ins.size(); ++i) {
    s += (i ? ", " : "") + type_of(ins[i]->sizes(), ins[i]->dtype(), ins[i]->device());
  }
  return s + ")";
}

TensorList Executor::run(const TensorList& inputs) const { return run_impl(inputs, nullptr); }

std::vector<std::pair<std::string, double>> Executor::profile(const TensorList& inputs) const {
  std::vector<std::pair<std::string, double>> times;
  run_impl(inputs, &times);
  return times;
}

TensorList Executor::run_impl(const TensorList& inputs,
                              std::vector<std::pair<std::string, double>>* times) const {
  const auto& gin = graph_->inputs();
  bool ok = inputs.size() == gin.size();
  for (size_t i = 0; ok && i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    ok = t.defined() && t.sizes() == gin[i]->sizes() && t.dtype() == gin[i]->dtype() &&
         t.device() == gin[i]->device();
  }
  EMBER_CHECK_VALUE(ok, "jit: the traced graph takes inputs ", signature(), " but was called with ",
                    signature_of(inputs), "; trace it again for these inputs (in Python, "
                    "ember.jit.function retraces automatically)");
  for (const Graph::GradGuard& g : graph_->grad_guards()) {
    const AutogradMeta* m = g.tensor.impl()->autograd();
    const bool has = m != nullptr && m->grad != nullptr;
    if (has != g.had_grad) {
      throw GuardError(ember::detail::str(
          "jit: the graph was traced while the .grad of a tensor of shape ", g.tensor.sizes(),
          " was ", g.had_grad ? "set" : "None", ", and the traced code read it (e.g. `if p.grad "
          "is not None`); it is ", has ? "set" : "None", " now, so the graph would take the "
          "wrong branch. ember.jit.function traces again in this case; with jit.trace, set "
          "gradients the same way before every call (e.g. optimizer.zero_grad() inside the "
          "traced step)"));
    }
  }
  for (const Graph::RequiresGradGuard& g : graph_->requires_grad_guards()) {
    if (g.tensor.requires_grad() != g.requires_grad) {
      throw GuardError(ember::detail::str(
          "jit: the graph was traced while a tensor of shape ", g.tensor.sizes(), " had "
          "requires_grad=", g.requires_grad ? "True" : "False", "; it is ",
          g.requires_grad ? "False" : "True", " now (e.g. a layer frozen or unfrozen), so the "
          "graph would compute the wrong gradients. ember.jit.function traces again in this "
          "case; with jit.trace, trace again after changing requires_grad"));
    }
  }
  AutoGradMode no_grad(false);
  std::vector<Tensor> slots(num_slots_);
  for (size_t i = 0; i < inputs.size(); ++i) slots[input_slots_[i]] = inputs[i];
  for (const auto& f : fixed_) slots[f.first] = f.second;
  for (const auto& f : grads_of_) {
    // Present: the grad guards above checked that `.grad` is set as it was when traced.
    slots[f.first] = f.second.grad();
  }
  TensorList args, out;
  for (const Step& st : steps_) {
    auto t0 = times ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    args.clear();
    args.reserve(st.in_slots.size());
    for (size_t i = 0; i < st.in_slots.size(); ++i) {
      if (st.move_in[i]) {
        args.push_back(std::move(slots[st.in_slots[i]]));
      } else {
        args.push_back(slots[st.in_slots[i]]);
      }
    }
    if (st.node->flags() & kKeepsAutograd) {
      // Recorded so that a later autograd_backward node can run this op's own backward.
      AutoGradMode with_grad(true);
      const auto& mask = st.node->requires_grad_inputs();
      const bool inplace = (st.node->flags() & kInplace) != 0;
      for (size_t i = 0; i < args.size() && i < mask.size(); ++i) {
        if (!mask[i] || !args[i].defined()) continue;
        if (inplace && i == st.node->inplace_input()) {
          args[i] = writable_grad_alias(args[i]);
        } else {
          args[i] = args[i].detach();
          args[i].set_requires_grad(true);
        }
      }
      st.op->fn(args, st.node->attrs(), out);
    } else {
      st.op->fn(args, st.node->attrs(), out);
    }
    EMBER_CHECK(out.size() == st.out_slots.size(), "jit: op ", st.node->op(), " returned ",
                out.size(), " tensors where the graph expects ", st.out_slots.size());
    for (size_t i = 0; i < out.size(); ++i) slots[st.out_slots[i]] = std::move(out[i]);
    if (times) {
      std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      times->emplace_back(st.node->op(), dt.count());
    }
  }
  TensorList result;
  result.reserve(output_slots_.size());
  for (int32_t s : output_slots_) result.push_back(slots[s]);
  return result;
}

}  // namespace ember::jit
