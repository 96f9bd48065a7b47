// Algebraic simplification: identities that make a node unnecessary or cheaper.
//   x*1, 1*x, x/1, x**1, x+0, 0+x, x-0          -> x   (1 also as ones/ones_like of x's type)
//   x.mul_(ones_like(y)) (in place, same type)   -> x   (backward()'s seed gradient)
//   x*(-1), (-1)*x                              -> neg(x)
//   x*0, 0*x for integer x                      -> zeros_like(x)   (not for floats: inf*0, nan*0)
//   neg(neg(x))                                 -> x
//   to(x, dtype of x)                           -> x
//   sum_to / expand to the shape x already has  -> x
//   chains of view/reshape/flatten/squeeze/unsqueeze ending at the root's shape -> the root;
//   otherwise a reshape (or a view of views) reads the chain's root directly
//   transpose(transpose(x, a, b), a, b), t_all(t_all(x)), mT(mT(x)) -> x
//   permute(permute(x, p), q)                   -> permute(x, p∘q), or x if that is the identity
//   transpose(matmul(a, b)) of 2-D matrices     -> matmul(b^T, a^T) (a^T of a = mT(x) is x), so
//     a weight gradient comes out contiguous instead of as a transposed view that is copied
//     (the sum over the shared dimension is the same; BLAS may order it differently)
// A node is only replaced by one of its inputs when the types match exactly and neither may be
// written in place later (the replacement would make them share memory). A graph output is only
// forwarded to a node-computed value that is not itself an output, so outputs never alias
// inputs, params or each other.

#include <cmath>
#include <optional>

#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"

namespace ember::jit {

using passes_detail::AliasSets;
using passes_detail::is_graph_output;
using passes_detail::mutated_roots;

namespace {

std::optional<double> scalar_const(const Value* v) {
  if (v->kind() != Value::Kind::Constant || !v->defined()) return std::nullopt;
  const Tensor& t = v->tensor();
  if (!t.defined() || t.numel() != 1 || t.dtype() == DType::Bool) return std::nullopt;
  return t.item().to_double();
}

bool unit_alpha(const IValue& a) {
  if (a.kind() != IValue::Kind::Scalar) return false;
  Scalar s = a.to_scalar();
  return !s.is_floating() && !s.is_bool() && s.to_int() == 1;
}

bool same_type(const Value* a, const Value* b) {
  return a->sizes() == b->sizes() && a->dtype() == b->dtype() && a->device() == b->device();
}

bool is_reshape_like(const std::string& op) {
  return op == "view" || op == "reshape" || op == "flatten" || op == "squeeze" ||
         op == "unsqueeze";
}

int64_t wrap_dim(int64_t d, size_t rank) {
  return d < 0 ? d + static_cast<int64_t>(rank) : d;
}

class Simplifier {
 public:
  explicit Simplifier(Graph& g) : g_(g), sets_(g), mutated_(mutated_roots(g, sets_)) {}

  size_t run() {
    size_t changed = 0;
    for (Node* n : g_.nodes()) {
      if (n->outputs().size() != 1) continue;
      if (n->pure() ? visit(n) : drop_inplace_unit_mul(n)) ++changed;
    }
    return changed;
  }

 private:
  bool mutated(const Value* v) { return mutated_.count(sets_.find(v)) > 0; }

  // Replaces node n's output by x (erasing n) when that is safe.
  bool forward(Node* n, Value* x) {
    Value* o = n->output();
    if (!x->defined() || !same_type(o, x) || mutated(o) || mutated(x)) return false;
    if (is_graph_output(g_, o) &&
        (x->kind() != Value::Kind::Node || is_graph_output(g_, x))) {
      return false;
    }
    o->replace_all_uses_with(x);
    g_.erase_node(n);
    return true;
  }

  // Replaces n by `op(x)` (a new node with the same output type).
  bool replace_unary(Node* n, const std::string& op, Value* x) {
    Value* o = n->output();
    if (!same_type(o, x)) return false;
    Node* r = g_.create_node(op, {x}, {}, kPure, n);
    Value* ro = r->add_output(o->sizes(), o->dtype(), o->device());
    o->replace_all_uses_with(ro);
    g_.erase_node(n);
    return true;
  }

  // A value that is all ones: the constant 1 or the output of ones / ones_like.
  static bool is_ones(const Value* v) {
    auto c = scalar_const(v);
    if (c) return *c == 1.0;
    const Node* p = v->producer();
    return p != nullptr && (p->op() == "ones_like" || p->op() == "ones") && p->pure();
  }

  // x.mul_(ones) writes x's own values back (x * 1 == x, bit for bit): the node goes and its
  // readers read x (its output already shares x's memory). backward() seeds every graph with
  // such a multiplication by ones_like(loss).
  bool drop_inplace_unit_mul(Node* n) {
    if (n->op() != "mul_" || n->inputs().size() != 2 || n->inplace_input() != 0) return false;
    Value* x = n->input(0);
    Value* o = n->output();
    if (!is_ones(n->input(1)) || !same_type(o, x) || is_graph_output(g_, o)) return false;
    o->replace_all_uses_with(x);
    g_.erase_node(n);
    return true;
  }

  bool visit(Node* n) {
    const std::string& op = n->op();
    const auto& in = n->inputs();
    if (op == "mul" && in.size() == 2) {
      for (int side = 0; side < 2; ++side) {
        Value* x = in[1 - side];
        if (is_ones(in[side]) && forward(n, x)) return true;
        auto c = scalar_const(in[side]);
        if (!c) continue;
        if (*c == -1.0 && x->dtype() != DType::Bool && replace_unary(n, "neg", x)) return true;
        if (*c == 0.0 && is_integral(x->dtype(), false) && replace_unary(n, "zeros_like", x)) {
          return true;
        }
      }
      return false;
    }
    if ((op == "add" || op == "sub") && in.size() == 2 && n->attrs().size() == 1) {
      // x - (+0) and x + (-0) are x bit for bit; x + (+0) is not for x = -0.0 (it gives +0.0),
      // so that one is only dropped for integer x, which has no signed zero.
      auto is_identity = [&](std::optional<double> c, const Value* x, bool adds) {
        if (!c || *c != 0.0) return false;
        return !is_floating(x->dtype()) || std::signbit(*c) == adds;
      };
      // (alpha scales the second operand: only alpha == 1 leaves a zero as it is.)
      if (!unit_alpha(n->attrs()[0])) return false;
      if (is_identity(scalar_const(in[1]), in[0], op == "add") && forward(n, in[0])) return true;
      return op == "add" && is_identity(scalar_const(in[0]), in[1], true) && forward(n, in[1]);
    }
    if ((op == "div" || op == "pow") && in.size() == 2) {
      auto c = scalar_const(in[1]);
      return c && *c == 1.0 && forward(n, in[0]);
    }
    if (op == "neg" && in.size() == 1) {
      Node* p = in[0]->producer();
      return p && p->op() == "neg" && p->pure() && forward(n, p->input(0));
    }
    if (op == "to" && !n->attrs().empty()) {
      const IValue& dt = n->attrs()[0];
      bool copy = n->attrs().size() > 1 && n->attrs()[1].kind() == IValue::Kind::Bool &&
                  n->attrs()[1].to_bool();
      return dt.kind() == IValue::Kind::DType && dt.to_dtype() == in[0]->dtype() && !copy &&
             forward(n, in[0]);
    }
    if (op == "sum_to" || op == "expand") {
      return same_type(n->output(), in[0]) && forward(n, in[0]);
    }
    if (is_reshape_like(op)) return visit_reshape(n);
    if (is_matrix_transpose(n) && transpose_of_matmul(n)) return true;
    if (op == "transpose" && n->attrs().size() == 2) {
      size_t rank = in[0]->sizes().size();
      int64_t a = wrap_dim(n->attrs()[0].to_int(), rank);
      int64_t b = wrap_dim(n->attrs()[1].to_int(), rank);
      if (a == b) return forward(n, in[0]);
      Node* p = in[0]->producer();
      if (!p || p->op() != "transpose" || p->attrs().size() != 2 || mutated(in[0])) return false;
      int64_t c = wrap_dim(p->attrs()[0].to_int(), rank);
      int64_t d = wrap_dim(p->attrs()[1].to_int(), rank);
      if ((a == c && b == d) || (a == d && b == c)) return forward(n, p->input(0));
      return false;
    }
    if (op == "t_all" || op == "mT") {
      Node* p = in[0]->producer();
      return p && p->op() == op && !mutated(in[0]) && forward(n, p->input(0));
    }
    if (op == "permute" && n->attrs().size() == 1) {
      std::vector<int64_t> q = n->attrs()[0].to_int_list();
      size_t rank = in[0]->sizes().size();
      for (auto& d : q) d = wrap_dim(d, rank);
      Node* p = in[0]->producer();
      std::vector<int64_t> r = q;
      Value* src = in[0];
      if (p && p->op() == "permute" && p->attrs().size() == 1 && !mutated(in[0])) {
        std::vector<int64_t> pp = p->attrs()[0].to_int_list();
        for (auto& d : pp) d = wrap_dim(d, rank);
        for (size_t i = 0; i < q.size(); ++i) r[i] = pp.at(static_cast<size_t>(q[i]));
        src = p->input(0);
      }
      bool identity = true;
      for (size_t i = 0; i < r.size(); ++i) identity &= r[i] == static_cast<int64_t>(i);
      if (identity) return forward(n, src);
      if (src != in[0] && !mutated(n->output())) {
        n->replace_input(0, src);
        n->attrs_mut()[0] = IValue(r);
        return true;
      }
      return false;
    }
    return false;
  }

  static bool is_matrix_transpose(const Node* n) {
    if (n->inputs().size() != 1 || n->input(0)->sizes().size() != 2) return false;
    if (n->op() == "mT" || n->op() == "t_all") return true;
    if (n->op() != "transpose" || n->attrs().size() != 2) return false;
    int64_t a = wrap_dim(n->attrs()[0].to_int(), 2), b = wrap_dim(n->attrs()[1].to_int(), 2);
    return a != b;
  }

  // A value read only once (by the chain being rewritten) and not returned.
  bool single_use(const Value* v) const {
    return v->uses().size() == 1 && !is_graph_output(g_, v);
  }

  // transpose(matmul(a, b)) (through a sum_to of the same shape) -> matmul(b^T, a^T).
  bool transpose_of_matmul(Node* n) {
    Value* v = n->input(0);
    if (!single_use(v)) return false;
    Node* p = v->producer();
    if (p && p->pure() && p->op() == "sum_to" && same_type(v, p->input(0))) {
      v = p->input(0);
      if (!single_use(v)) return false;
      p = v->producer();
    }
    if (!p || !p->pure() || p->op() != "matmul" || p->inputs().size() != 2) return false;
    Value* a = p->input(0);
    Value* b = p->input(1);
    if (a->sizes().size() != 2 || b->sizes().size() != 2) return false;
    Value* o = n->output();
    Value* bt = transposed(b, n);
    Value* at = transposed(a, n);
    Node* mm = g_.create_node("matmul", {bt, at}, {}, kPure, n);
    Value* r = mm->add_output(o->sizes(), o->dtype(), o->device());
    o->replace_all_uses_with(r);
    g_.erase_node(n);
    return true;
  }

  // x^T as a value: the input of a pure 2-D transpose, or a new mT node placed before `before`.
  Value* transposed(Value* x, Node* before) {
    if (Node* q = x->producer()) {
      if (q->pure() && is_matrix_transpose(q)) return q->input(0);
    }
    Node* t = g_.create_node("mT", {x}, {}, kPure, before);
    return t->add_output(Shape{x->sizes()[1], x->sizes()[0]}, x->dtype(), x->device());
  }

  // view/reshape/flatten/squeeze/unsqueeze: walk up the chain of such ops.
  bool visit_reshape(Node* n) {
    Value* root = n->input(0);
    bool all_views = n->op() == "view";
    while (Node* p = root->producer()) {
      if (!p->pure() || !is_reshape_like(p->op()) || mutated(root)) break;
      all_views &= p->op() == "view" || p->op() == "squeeze" || p->op() == "unsqueeze";
      root = p->input(0);
    }
    // These ops keep row-major element order, so the same shape means the same tensor.
    if (same_type(n->output(), root)) return forward(n, root);
    if (root == n->input(0) || mutated(n->output())) return false;
    if (n->op() == "reshape" || (n->op() == "view" && all_views)) {
      n->replace_input(0, root);
      return true;
    }
    return false;
  }

  Graph& g_;
  AliasSets sets_;
  std::unordered_set<const Value*> mutated_;
};

}  // namespace

size_t simplify_algebra(Graph& g) {
  size_t changed = Simplifier(g).run();
  return changed;
}

}  // namespace ember::jit
