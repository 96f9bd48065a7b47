// Constant folding: a pure node whose inputs are all constants is run once, at optimization
// time, and its outputs become constants. Params are never folded (they are captured by
// reference and change between runs); random and side-effecting nodes are not pure, so they are
// never folded either. Outputs larger than `max_numel` elements stay computed at run time, and
// nodes whose outputs may later be written in place stay, so a constant is never mutated.

#include <exception>

#include "ember/core/grad_mode.h"
#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"
#include "ember/jit/registry.h"

namespace ember::jit {

using passes_detail::AliasSets;
using passes_detail::mutated_roots;

size_t fold_constants(Graph& g, int64_t max_numel) {
  AliasSets sets(g);
  auto mutated = mutated_roots(g, sets);
  AutoGradMode no_grad(false);
  size_t folded = 0;
  for (Node* n : g.nodes()) {
    if (!n->pure() || n->outputs().empty()) continue;
    bool all_const = true;
    for (Value* v : n->inputs()) all_const &= v->kind() == Value::Kind::Constant;
    if (!all_const) continue;
    bool ok = true;
    for (Value* o : n->outputs()) {
      // Outputs stay computed: a returned constant would be one tensor shared by every run.
      ok &= shape_numel(o->sizes()) <= max_numel && !mutated.count(sets.find(o)) &&
            !passes_detail::is_graph_output(g, o);
    }
    if (!ok) continue;
    const OpInfo* op = find_op(n->op());
    if (op == nullptr) continue;
    TensorList args;
    for (Value* v : n->inputs()) args.push_back(v->tensor());
    TensorList out;
    try {
      op->fn(args, n->attrs(), out);
    } catch (const std::exception&) {
      continue;  // the error is raised at run time, as without the pass
    }
    if (out.size() != n->outputs().size()) continue;
    for (size_t i = 0; i < out.size(); ++i) {
      Value* o = n->output(i);
      ok &= out[i].defined() && out[i].sizes() == o->sizes() && out[i].dtype() == o->dtype() &&
            out[i].device() == o->device();
    }
    if (!ok) continue;
    for (size_t i = 0; i < out.size(); ++i) {
      Value* c = g.add_constant(out[i].detach());
      n->output(i)->replace_all_uses_with(c);
    }
    g.erase_node(n);
    ++folded;
  }
  g.remove_unused_leaves();
  return folded;
}

}  // namespace ember::jit
