// Loss fusion: the backward of cross_entropy with class-index targets is traced as four nodes,
//
//     M, coef = cross_entropy_grad_terms(target, weight, sizes, dtype, reduction, ignore_index)
//     s = softmax(logits, class_dim)
//     p = mul(s, coef)
//     grad = add(p, M, 1)
//
// (times the incoming gradient, which the algebraic pass removes when it is backward()'s seed of
// ones). When the intermediate values have no other readers, the chain becomes one node,
// `cross_entropy_backward(logits, target, weight, reduction, ignore_index)`, which computes the
// same two roundings per element without three intermediate tensors and three node dispatches.

#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"

namespace ember::jit {

namespace {

bool only_read_by(const Graph& g, const Value* v, const Node* n) {
  for (const Node* u : v->uses()) {
    if (u != n) return false;
  }
  return !v->uses().empty() && !passes_detail::is_graph_output(g, v);
}

// The producer of `v` when it is a pure `op` node, else null.
Node* pure_producer(const Value* v, const char* op) {
  Node* p = v->producer();
  return p != nullptr && p->pure() && p->op() == op ? p : nullptr;
}

}  // namespace

size_t fuse_losses(Graph& g) {
  size_t changed = 0;
  for (Node* add : g.nodes()) {
    if (!add->pure() || add->op() != "add" || add->inputs().size() != 2 ||
        add->attrs().size() != 1 || add->attrs()[0].kind() != IValue::Kind::Scalar ||
        add->attrs()[0].to_scalar().to_double() != 1.0) {
      continue;
    }
    for (size_t side = 0; side < 2; ++side) {
      Node* mul = pure_producer(add->input(side), "mul");
      Value* m_val = add->input(1 - side);
      Node* terms = pure_producer(m_val, "cross_entropy_grad_terms");
      if (mul == nullptr || terms == nullptr || mul->inputs().size() != 2 ||
          m_val->output_index() != 0) {
        continue;
      }
      // mul(s, coef) or mul(coef, s), with coef the terms' second output.
      size_t s_side = 2;
      for (size_t k = 0; k < 2; ++k) {
        if (mul->input(1 - k) == terms->output(1) && pure_producer(mul->input(k), "softmax")) {
          s_side = k;
        }
      }
      if (s_side == 2) continue;
      Node* sm = mul->input(s_side)->producer();
      Value* logits = sm->input(0);
      const size_t d = logits->sizes().size();
      const int64_t class_dim = d == 1 ? 0 : 1;
      const int64_t dim = sm->attrs().at(0).to_int();
      const auto& ta = terms->attrs();  // logits sizes, dtype, reduction, ignore_index
      const bool class_softmax = dim == class_dim || dim == class_dim - static_cast<int64_t>(d);
      if (d == 0 || ta.size() != 4 || !class_softmax ||
          ta[0].to_int_list() != logits->sizes() || ta[1].to_dtype() != logits->dtype() ||
          add->output()->sizes() != logits->sizes() || add->output()->dtype() != logits->dtype() ||
          !only_read_by(g, mul->input(s_side), mul) || !only_read_by(g, mul->output(), add) ||
          !only_read_by(g, terms->output(0), add) || !only_read_by(g, terms->output(1), mul)) {
        continue;
      }
      Node* fused = g.create_node("cross_entropy_backward",
                                  {logits, terms->input(0), terms->input(1)}, {ta[2], ta[3]},
                                  kPure, add);
      Value* out = fused->add_output(logits->sizes(), logits->dtype(), logits->device());
      add->output()->replace_all_uses_with(out);
      g.erase_node(add);
      g.erase_node(mul);
      g.erase_node(sm);
      g.erase_node(terms);
      ++changed;
      break;
    }
  }
  return changed;
}

}  // namespace ember::jit
