// Peephole rewrites that backward graphs need to run well:
//  * identity ops: sum_to / expand / reshape / view to the shape the input already has, and `to`
//    the input's own dtype without copy, are replaced by their input (they return the input or
//    an alias of it);
//  * transpose(matmul(A, B)) of 2-D operands becomes matmul(B^T, A^T), with A^T taken directly
//    when A is itself a transpose: the gradient of a Linear weight then comes out contiguous
//    instead of as a transposed view that `.grad` accumulation would copy element by element.

#include "ember/jit/passes/passes.h"

namespace ember::jit {

namespace {

bool is_2d_transpose(const Node* n) {
  if (!n || n->inputs().empty() || n->input(0)->sizes().size() != 2) return false;
  const std::string& op = n->op();
  if (op == "mT" || op == "t_all") return true;
  if (op == "transpose" && n->attrs().size() == 2) {
    int64_t a = n->attrs()[0].to_int(), b = n->attrs()[1].to_int();
    return (a == 0 && b == 1) || (a == 1 && b == 0) || (a == -1 && b == -2) ||
           (a == -2 && b == -1) || (a == 0 && b == -1) || (a == -1 && b == 0) ||
           (a == 1 && b == -2) || (a == -2 && b == 1);
  }
  if (op == "permute" && n->attrs().size() == 1) {
    const auto& p = n->attrs()[0].to_int_list();
    return p.size() == 2 && p[0] == 1 && p[1] == 0;
  }
  return false;
}

bool is_identity(const Node* n) {
  if (!n->pure() || n->inputs().empty() || n->outputs().size() != 1) return false;
  const Value* in = n->input(0);
  const Value* out = n->output(0);
  if (!in->defined() || in->sizes() != out->sizes() || in->dtype() != out->dtype()) return false;
  const std::string& op = n->op();
  if (op == "sum_to" || op == "expand" || op == "reshape" || op == "view") return true;
  if (op == "to" && n->attrs().size() == 2) return !n->attrs()[1].to_bool();
  return false;
}

}  // namespace

size_t peephole_optimize(Graph& g) {
  size_t changed = 0;
  for (Node* n : g.nodes()) {
    if (is_identity(n)) {
      n->output(0)->replace_all_uses_with(n->input(0));
      g.erase_node(n);
      ++changed;
    }
  }
  for (Node* t : g.nodes()) {
    if (!is_2d_transpose(t) || !t->pure()) continue;
    Node* mm = t->input(0)->producer();
    if (!mm || mm->op() != "matmul" || !mm->pure() || mm->input(0)->sizes().size() != 2 ||
        mm->input(1)->sizes().size() != 2 || t->input(0)->uses().size() != 1) {
      continue;
    }
    Value* a = mm->input(0);
    Value* b = mm->input(1);
    // (A B)^T = B^T A^T
    Value* at;
    if (a->producer() && is_2d_transpose(a->producer()) && a->producer()->pure()) {
      at = a->producer()->input(0);
    } else {
      Node* tn = g.create_node("mT", {a}, {}, kPure, t);
      at = tn->add_output({a->sizes()[1], a->sizes()[0]}, a->dtype(), a->device());
    }
    Node* bt_node = g.create_node("mT", {b}, {}, kPure, t);
    Value* bt = bt_node->add_output({b->sizes()[1], b->sizes()[0]}, b->dtype(), b->device());
    Node* prod = g.create_node("matmul", {bt, at}, {}, kPure, t);
    Value* out = prod->add_output(t->output(0)->sizes(), t->output(0)->dtype(),
                                  t->output(0)->device());
    t->output(0)->replace_all_uses_with(out);
    g.erase_node(t);
    if (mm->output(0)->uses().empty()) g.erase_node(mm);
    ++changed;
  }
  return changed;
}

}  // namespace ember::jit
