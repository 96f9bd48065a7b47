#pragma once

// Helpers shared by the rewriting passes (constant folding, algebraic simplification, fusion,
// memory planning): which values may share memory, and which of those are written in place.

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ember/core/export.h"
#include "ember/jit/ir.h"

namespace ember::jit::passes_detail {

/// Ops whose output may share memory with an input (views, and ops that may return an input as
/// it is: `to` of the same dtype, `contiguous` of a contiguous tensor, `sum_to` of the same shape).
inline bool may_alias_input(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "view",      "reshape",    "transpose", "permute",          "t_all", "mT",
      "expand",    "squeeze",    "unsqueeze", "flatten",          "slice", "narrow",
      "select",    "as_strided", "to",        "contiguous",       "split", "split_with_sizes",
      "chunk",     "sum_to",     "dropout",   "unbind",           "diagonal"};
  return ops.count(op) > 0;
}

/// Alias classes: values connected through may-alias ops share a class (union-find).
class AliasSets {
 public:
  explicit AliasSets(const Graph& g) {
    for (Node* n : g.nodes()) {
      bool alias = may_alias_input(n->op()) || n->is_inplace() || !n->pure();
      // sum_to to another shape and to() to another dtype make new tensors.
      if (n->pure() && n->outputs().size() == 1 && !n->inputs().empty()) {
        const Value* o = n->output();
        const Value* i = n->input(0);
        if (n->op() == "sum_to" && o->sizes() != i->sizes()) alias = false;
        if (n->op() == "to" && o->dtype() != i->dtype()) alias = false;
      }
      if (!alias) continue;
      // Non-pure nodes may return (a view of) an input (accumulate_grad returns `.grad`).
      for (Value* o : n->outputs()) {
        for (Value* i : n->inputs()) {
          if (i->defined()) unite(o, i);
        }
      }
    }
  }
  const Value* find(const Value* v) {
    auto it = parent_.find(v);
    if (it == parent_.end()) return v;
    if (it->second == v) return v;
    const Value* r = find(it->second);
    parent_[v] = r;
    return r;
  }
  void unite(const Value* a, const Value* b) {
    const Value* ra = find(a);
    const Value* rb = find(b);
    if (ra != rb) parent_[ra] = rb;
    parent_.emplace(rb, rb);
  }

 private:
  std::unordered_map<const Value*, const Value*> parent_;
};

/// Roots (in `sets`) of the alias classes that some non-pure node reads (so may write, or keep
/// beyond the graph: accumulate_grad stores its input as `.grad`).
inline std::unordered_set<const Value*> mutated_roots(const Graph& g, AliasSets& sets) {
  std::unordered_set<const Value*> r;
  for (Node* n : g.nodes()) {
    if (n->pure()) continue;
    for (Value* v : n->inputs()) r.insert(sets.find(v));
    for (Value* v : n->outputs()) r.insert(sets.find(v));
  }
  return r;
}

inline bool is_graph_output(const Graph& g, const Value* v) {
  for (const Value* o : g.outputs()) {
    if (o == v) return true;
  }
  return false;
}

/// Replaces one elementwise node by an equivalent one-instruction `fused_elementwise` node (so
/// memory planning can give it an input's buffer); returns it, or null when `n` does not fuse.
EMBER_API Node* fuse_single_node(Graph& g, Node* n);

}  // namespace ember::jit::passes_detail
