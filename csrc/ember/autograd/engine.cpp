#include "ember/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "ember/core/grad_mode.h"
#include "ember/jit/tracer.h"
#include "ember/ops/ops.h"

namespace ember::autograd {

namespace {

struct NodeTask {
  TensorList buffer;  // one slot per forward output of the node
  int dependencies = 0;
  bool needed = true;
};

// Sums `g` into `slot`, checking it against what the node's output expects.
void accumulate(Tensor& slot, Tensor g, const GradMeta& meta, const Node& node) {
  if (!g.defined()) return;
  if (g.sizes() != meta.sizes) {
    EMBER_CHECK(shape_numel(g.sizes()) == shape_numel(meta.sizes) || g.numel() == 1,
                "backward: ", node.name(), " received a gradient of shape ", g.sizes(),
                " for an output of shape ", meta.sizes);
    g = g.numel() == shape_numel(meta.sizes) ? g.reshape(meta.sizes) : g.expand(meta.sizes);
  }
  if (g.dtype() != meta.dtype) g = g.to(meta.dtype);
  if (!slot.defined()) {
    slot = std::move(g);
  } else {
    slot = add(slot, g);
  }
}

}  // namespace

TensorList run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused) {
  EMBER_INTERNAL_ASSERT(roots.size() == grad_roots.size());
  const bool want_inputs = !inputs.empty();
  std::vector<Edge> root_edges;
  TensorList root_grads;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    EMBER_CHECK(r.requires_grad(), "backward: element ", i, " of tensors does not require grad "
                "and does not have a grad_fn (was it created under no_grad, or from tensors "
                "with requires_grad=False?)");
    Tensor g = grad_roots[i];
    if (!g.defined()) {
      EMBER_CHECK(r.numel() == 1, "backward: grad can be implicitly created only for outputs "
                  "with one element; got an output of shape ", r.sizes(),
                  ". Pass gradient= (a tensor of the same shape), or reduce the output first "
                  "(e.g. .sum())");
      g = ones_like(r);
    } else {
      EMBER_CHECK_VALUE(g.sizes() == r.sizes(), "backward: gradient has shape ", g.sizes(),
                        " but the output has shape ", r.sizes());
    }
    root_edges.push_back(gradient_edge(r));
    root_grads.push_back(g);
  }

  // Targets for autograd.grad: the edge each input's gradient arrives on.
  std::vector<Edge> input_edges;
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(inputs[i].requires_grad(), "grad: input ", i,
                " does not require grad (set requires_grad=True on it)");
    input_edges.push_back(gradient_edge(inputs[i]));
  }

  // Discover the graph and count how many edges lead into each node.
  std::unordered_map<Node*, NodeTask> tasks;
  std::vector<Node*> order;  // DFS discovery order
  {
    std::vector<Node*> stack;
    for (auto& e : root_edges) {
      if (tasks.emplace(e.fn.get(), NodeTask{}).second) {
        stack.push_back(e.fn.get());
      }
    }
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      order.push_back(n);
      for (const Edge& e : n->next_edges()) {
        if (!e.valid()) continue;
        auto it = tasks.find(e.fn.get());
        if (it == tasks.end()) {
          tasks.emplace(e.fn.get(), NodeTask{});
          stack.push_back(e.fn.get());
        }
        tasks[e.fn.get()].dependencies++;
      }
    }
  }
  std::unordered_set<Node*> capture_nodes;
  if (want_inputs) {
    for (auto& e : input_edges) capture_nodes.insert(e.fn.get());
    // Only nodes that lead to an input need to run; sequence numbers order nodes topologically
    // (a node is always made after the nodes it points to), so one pass in that order settles it.
    std::vector<Node*> by_seq(order);
    std::sort(by_seq.begin(), by_seq.end(),
              [](Node* a, Node* b) { return a->sequence_nr() < b->sequence_nr(); });
    for (Node* n : by_seq) {
      bool needed = capture_nodes.count(n) > 0;
      for (const Edge& e : n->next_edges()) {
        if (e.valid() && tasks[e.fn.get()].needed) needed = true;
      }
      tasks[n].needed = needed;
    }
  }

  AutoGradMode mode(create_graph);
  std::unordered_map<Node*, TensorList> captured;
  auto compare = [](Node* a, Node* b) { return a->sequence_nr() < b->sequence_nr(); };
  std::priority_queue<Node*, std::vector<Node*>, decltype(compare)> ready(compare);

  for (size_t i = 0; i < root_edges.size(); ++i) {
    Node* n = root_edges[i].fn.get();
    NodeTask& t = tasks[n];
    if (t.buffer.empty()) t.buffer.resize(n->outputs_meta().size());
    accumulate(t.buffer[root_edges[i].input_nr], root_grads[i],
               n->outputs_meta()[root_edges[i].input_nr], *n);
  }
  for (auto& e : root_edges) {
    if (tasks[e.fn.get()].dependencies == 0) {
      tasks[e.fn.get()].dependencies = -1;  // queued
      ready.push(e.fn.get());
    }
  }

  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    NodeTask& task = tasks[n];
    TensorList grads = std::move(task.buffer);
    grads.resize(n->outputs_meta().size());
    if (any_tensor_hooks()) {
      // A leaf's hooks run here too (not in AccumulateGrad), so autograd.grad sees them.
      auto* acc = dynamic_cast<AccumulateGrad*>(n);
      AutogradMeta* leaf = acc != nullptr ? acc->variable()->autograd() : nullptr;
      const HookList* hooks = acc != nullptr ? (leaf ? &leaf->hooks : nullptr) : &n->tensor_hooks();
      if (hooks != nullptr && !hooks->empty()) {
        if (jit::is_tracing()) jit::note_hook_ran();
        run_tensor_hooks(*hooks, grads);
      }
    }
    for (const auto& [nr, weak] : n->retain_hooks()) {
      if (auto impl = weak.lock()) {
        if (nr < grads.size() && grads[nr].defined() && !want_inputs) {
          Tensor cur(impl->autograd_mut().grad);
          impl->autograd_mut().grad =
              (cur.defined() ? add(cur, grads[nr]) : grads[nr].detach().clone()).impl_ptr();
        }
      }
    }
    if (capture_nodes.count(n)) captured[n] = grads;
    TensorList out;
    bool run = task.needed && !(want_inputs && dynamic_cast<AccumulateGrad*>(n) != nullptr);
    if (run) {
      for (size_t i = 0; i < grads.size(); ++i) {
        if (!grads[i].defined()) {
          const GradMeta& m = n->outputs_meta()[i];
          grads[i] = zeros(m.sizes, m.dtype);
        }
      }
      out = jit::is_tracing() ? jit::traced_apply(*n, std::move(grads)) : n->apply(std::move(grads));
      if (!retain_graph) n->release_variables();
      EMBER_INTERNAL_ASSERT(out.empty() || out.size() == n->next_edges().size(), n->name(),
                            " returned ", out.size(), " gradients for ", n->next_edges().size(),
                            " inputs");
    }
    const auto& edges = n->next_edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.valid()) continue;
      NodeTask& next = tasks[e.fn.get()];
      if (run && i < out.size() && out[i].defined()) {
        if (next.buffer.empty()) next.buffer.resize(e.fn->outputs_meta().size());
        accumulate(next.buffer[e.input_nr], std::move(out[i]), e.fn->outputs_meta()[e.input_nr],
                   *e.fn);
      }
      if (--next.dependencies == 0) {
        next.dependencies = -1;
        ready.push(e.fn.get());
      }
    }
  }

  TensorList result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Edge& e = input_edges[i];
    auto it = captured.find(e.fn.get());
    Tensor g;
    if (it != captured.end() && e.input_nr < it->second.size()) g = it->second[e.input_nr];
    EMBER_CHECK(g.defined() || allow_unused, "grad: input ", i, " (shape ", inputs[i].sizes(),
                ") was not used to compute the outputs; pass allow_unused=True to get None");
    result.push_back(g);
  }
  return result;
}

}  // namespace ember::autograd
