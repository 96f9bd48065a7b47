// Optimizer fusion: a weight gradient that is a 2-D matmul, stored as a fresh `.grad` and read
// only by a fused Adam step, becomes part of that step. The pattern, as backward() and
// optimizer.step() record it after zero_grad():
//
//     %t = matmul(%a, %b)                       # the weight gradient (e.g. G^T X)
//     %g = accumulate_grad(%w, %t, false)       # .grad = %t
//     adam_step(..., %w, ..., %g, ...)          # one of the step's params
//
// becomes `adam_step_product(%w, %a, %b, exp_avg, exp_avg_sq, max_exp_avg_sq, step, ...)`, and
// the adam_step node keeps its other params. The new node runs as early as it can: after the
// accumulate_grad it replaces, once no later node reads the parameter or its state. That op sets `.grad` and computes
// the product in blocks of rows, each updated by Adam while still in cache, instead of writing
// the whole gradient and reading it back (ops.h). Values are unchanged.

#include <utility>

#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"

namespace ember::jit {

namespace {

// Inputs of an adam_step node grouped by its TensorList arguments (params, grads, exp_avgs,
// exp_avg_sqs, max_exp_avg_sqs, steps), followed by its eight scalar attributes.
struct AdamNode {
  std::vector<Value*> lists[6];
  std::vector<IValue> scalars;
};

bool parse_adam(const Node* n, AdamNode* out) {
  const auto& at = n->attrs();
  if (at.size() != 14) return false;
  size_t pos = 0;
  for (int l = 0; l < 6; ++l) {
    if (at[l].kind() != IValue::Kind::Int) return false;
    const int64_t len = at[l].to_int();
    if (len < 0 || pos + static_cast<size_t>(len) > n->inputs().size()) return false;
    out->lists[l].assign(n->inputs().begin() + pos, n->inputs().begin() + pos + len);
    pos += static_cast<size_t>(len);
  }
  if (pos != n->inputs().size()) return false;
  const size_t np = out->lists[0].size();
  for (int l : {1, 2, 3, 5}) {
    if (out->lists[l].size() != np) return false;
  }
  out->scalars.assign(at.begin() + 6, at.end());
  const bool amsgrad = out->scalars[5].to_bool();
  return out->lists[4].size() == (amsgrad ? np : 0);
}

// Whether a non-pure node after `mm` reads or writes memory of `mm`'s factors.
bool factor_touched_later(const Graph& g, passes_detail::AliasSets& sets, const Node* mm) {
  const Value* ra = sets.find(mm->input(0));
  const Value* rb = sets.find(mm->input(1));
  bool after = false;
  for (const Node* n : g.nodes()) {
    if (n == mm) {
      after = true;
      continue;
    }
    if (!after || n->pure()) continue;
    for (const auto* list : {&n->inputs(), &n->outputs()}) {
      for (const Value* v : *list) {
        const Value* r = sets.find(v);
        if (r == ra || r == rb) return true;
      }
    }
  }
  return false;
}

// The matmul node whose product param `i` of `adam` receives as its fresh gradient, or null.
Node* fusable_product(const Graph& g, passes_detail::AliasSets& sets, const Node* adam,
                      const AdamNode& a, size_t i) {
  Value* w = a.lists[0][i];
  Value* grad = a.lists[1][i];
  Node* acc = grad->producer();
  if (w->kind() != Value::Kind::Param || !acc || acc->op() != "accumulate_grad" ||
      acc->inputs().size() != 2 || acc->input(0) != w || acc->attrs().size() != 1 ||
      acc->attrs()[0].to_bool() || grad->uses().size() != 1 || grad->uses()[0] != adam ||
      passes_detail::is_graph_output(g, grad)) {
    return nullptr;
  }
  Value* t = acc->input(1);
  Node* mm = t->producer();
  if (!mm || mm->op() != "matmul" || !mm->pure() || t->uses().size() != 1 ||
      passes_detail::is_graph_output(g, t) || mm->inputs().size() != 2) {
    return nullptr;
  }
  const Value* x = mm->input(0);
  const Value* y = mm->input(1);
  if (x->sizes().size() != 2 || y->sizes().size() != 2 || t->sizes() != w->sizes() ||
      t->dtype() != w->dtype() || x->dtype() != w->dtype() || y->dtype() != w->dtype()) {
    return nullptr;
  }
  // The product now runs later, at the fused node: nothing may write the factors in between.
  // And the blocked step updates the parameter while reading the factors, so no factor may be
  // (a view of) anything a non-pure node touches after the product (a parameter some step
  // updates, a buffer written in place).
  if (factor_touched_later(g, sets, mm)) return nullptr;
  return mm;
}

// Where the fused step for one parameter can run: just after its gradient's accumulate_grad node
// `acc` once nothing later reads the parameter or its state (directly or through a view), so
// the factors of the product die sooner; otherwise at the adam_step node. A later node that
// replays eager autograd may hold the parameter inside its closure, so then the step stays put.
Node* earliest_slot(const Graph& g, passes_detail::AliasSets& sets, Node* acc, Node* adam,
                    const std::vector<Value*>& ins) {
  std::vector<const Value*> roots;
  for (size_t k : {size_t{0}, size_t{3}, size_t{4}, size_t{5}, size_t{6}}) {
    if (ins[k]->defined()) roots.push_back(sets.find(ins[k]));
  }
  auto touches_state = [&](const Node* n) {
    for (const Value* v : n->inputs()) {
      const Value* r = sets.find(v);
      for (const Value* root : roots) {
        if (r == root) return true;
      }
    }
    return false;
  };
  const std::vector<Node*> nodes = g.nodes();
  size_t acc_pos = nodes.size(), adam_pos = nodes.size();
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k] == acc) acc_pos = k;
    if (nodes[k] == adam) adam_pos = k;
  }
  if (acc_pos >= adam_pos) return adam;
  size_t last = acc_pos;
  for (size_t k = acc_pos + 1; k < adam_pos; ++k) {
    const Node* n = nodes[k];
    if ((n->flags() & kKeepsAutograd) || n->op() == "autograd_backward") return adam;
    if (touches_state(n)) last = k;
    // Every input must be computed before the slot (state made during the step, say).
    for (const Value* v : ins) {
      if (v->producer() == n) last = k;
    }
  }
  return nodes[last + 1];
}

}  // namespace

size_t fuse_optimizer_products(Graph& g) {
  size_t fused = 0;
  for (Node* n : g.nodes()) {
    if (n->op() != "adam_step") continue;
    AdamNode a;
    if (!parse_adam(n, &a)) continue;
    const size_t np = a.lists[0].size();
    // Alias classes of the graph as it is now; the nodes added below create no aliases (they
    // have no outputs), so the sets stay valid until this adam_step is rewritten.
    passes_detail::AliasSets sets(g);
    std::vector<size_t> keep;
    std::vector<std::pair<size_t, Node*>> take;
    for (size_t i = 0; i < np; ++i) {
      Node* mm = fusable_product(g, sets, n, a, i);
      if (mm) {
        take.emplace_back(i, mm);
      } else {
        keep.push_back(i);
      }
    }
    if (take.empty()) continue;
    const bool amsgrad = a.scalars[5].to_bool();
    for (auto& [i, mm] : take) {
      std::vector<Value*> ins = {a.lists[0][i], mm->input(0), mm->input(1), a.lists[2][i],
                                 a.lists[3][i],
                                 amsgrad ? a.lists[4][i] : g.undefined_value(), a.lists[5][i]};
      g.create_node("adam_step_product", ins, a.scalars, kSideEffect,
                    earliest_slot(g, sets, a.lists[1][i]->producer(), n, ins));
    }
    if (!keep.empty()) {
      std::vector<Value*> ins;
      std::vector<IValue> attrs;
      for (int l = 0; l < 6; ++l) {
        const size_t len = (l == 4 && !amsgrad) ? 0 : keep.size();
        attrs.emplace_back(static_cast<int64_t>(len));
        for (size_t k = 0; k < len; ++k) ins.push_back(a.lists[l][keep[k]]);
      }
      attrs.insert(attrs.end(), a.scalars.begin(), a.scalars.end());
      g.create_node("adam_step", ins, std::move(attrs), n->flags(), n);
    }
    g.erase_node(n);
    for (auto& [i, mm] : take) {
      Node* acc = a.lists[1][i]->producer();
      g.erase_node(acc);
      g.erase_node(mm);
      ++fused;
    }
  }
  return fused;
}

}  // namespace ember::jit
