// Memory planning by liveness: an elementwise result is computed into the buffer of an input
// that nobody reads afterwards, instead of a fresh allocation.
//   * fused_elementwise nodes get `>iJ` on an output (fused_kernel.h): the kernel writes that
//     output into input J's buffer. It checks at run time that the tensor is contiguous, of the
//     right dtype and shape, and held by no one else (the executor hands over a value at its
//     last read), so a buffer still visible elsewhere (a view, a param) is never overwritten.
//   * a lone elementwise node (relu, exp, a scalar multiply, ...) whose input dies there first
//     becomes a one-instruction fused_elementwise node, so it gets the same treatment.
//   * add/sub/mul/div with a broadcast operand become add_/sub_/mul_/div_ on the dead
//     full-size operand (both orders for add and mul). These run without a run-time check, so
//     the operand must be a fresh result of a pure op, never viewed, never read by a node that is
//     not pure, and not returned.
// A value is dead after node n when it is computed by a pure node, is not a graph output, n
// reads it once, and every other reader runs before n.

#include <unordered_map>
#include <unordered_set>

#include "ember/jit/fused_kernel.h"
#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"

namespace ember::jit {

using passes_detail::AliasSets;
using passes_detail::is_graph_output;
using passes_detail::may_alias_input;
using passes_detail::mutated_roots;

namespace {

bool fresh_producer(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "exp", "log", "log1p",
      "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "sigmoid", "tanh", "relu", "leaky_relu",
      "gelu", "erf", "silu", "clamp", "where", "linear", "matmul", "softmax", "log_softmax",
      "sum", "mean", "clone", "fused_elementwise", "masked_fill", "cat", "stack", "erfc",
      "erfinv", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
      "expm1", "exp2", "log2", "log10", "lgamma", "digamma", "polygamma", "reciprocal",
      "square", "fmod", "atan2", "hypot", "copysign", "floor", "ceil", "trunc", "round", "frac"};
  return ops.count(op) > 0;
}

bool unit_alpha(const IValue& a) {
  if (a.kind() != IValue::Kind::Scalar) return false;
  Scalar s = a.to_scalar();
  return !s.is_floating() && !s.is_bool() && s.to_int() == 1;
}

class Planner {
 public:
  Planner(Graph& g, int64_t min_numel)
      : g_(g), min_numel_(min_numel), sets_(g), mutated_(mutated_roots(g, sets_)) {
    index();
  }

  // Lone elementwise nodes with a dying input of the output's type become fused nodes.
  void convert_lone_nodes() {
    for (Node* n : g_.nodes()) {
      if (!n->pure() || n->op() == kFusedElementwise || n->outputs().size() != 1 ||
          shape_numel(n->output()->sizes()) < min_numel_) {
        continue;
      }
      if (n->op() == "add" || n->op() == "sub" || n->op() == "mul" || n->op() == "div") {
        // Keep the plain op when its operands broadcast (the in-place form below handles it).
        bool all_same = true;
        for (Value* v : n->inputs()) {
          all_same &= v->sizes().empty() || v->sizes() == n->output()->sizes();
        }
        if (!all_same) continue;
      }
      if (dying_input(n, n->output()) < 0) continue;
      size_t p = pos_.at(n);
      if (Node* f = passes_detail::fuse_single_node(g_, n)) pos_[f] = p;
    }
  }

  size_t run(size_t* bytes) {
    size_t rewrites = 0, saved = 0;
    for (Node* n : g_.nodes()) {
      if (!n->pure()) continue;
      if (n->op() == kFusedElementwise) {
        plan_fused(n, &rewrites, &saved);
      } else if (n->op() == "add" || n->op() == "sub" || n->op() == "mul" || n->op() == "div") {
        const size_t nbytes =
            static_cast<size_t>(shape_numel(n->output()->sizes())) * itemsize(n->output()->dtype());
        if (plan_binary(n)) {
          ++rewrites;
          saved += nbytes;
        }
      }
    }
    if (bytes) *bytes = saved;
    return rewrites;
  }

 private:
  void index() {
    size_t i = 0;
    for (Node* n : g_.nodes()) {
      pos_[n] = i++;
      for (Value* v : n->inputs()) members_[sets_.find(v)].insert(v);
      for (Value* v : n->outputs()) members_[sets_.find(v)].insert(v);
    }
  }

  bool dead_after(const Value* v, const Node* n) const {
    if (v->kind() != Value::Kind::Node || !v->producer() || !v->producer()->pure()) return false;
    if (is_graph_output(g_, v) || mutated_.count(sets_.find(v))) {
      return false;
    }
    size_t reads = 0;
    for (Value* x : n->inputs()) reads += x == v;
    if (reads != 1) return false;
    // Every value sharing memory with v (its views) must be dead after n as well.
    const size_t p = pos_.at(n);
    auto it = members_.find(sets_.find(v));
    std::vector<const Value*> same = {v};
    if (it != members_.end()) same.assign(it->second.begin(), it->second.end());
    for (const Value* w : same) {
      if (w != v && is_graph_output(g_, w)) return false;
      for (Node* u : w->uses()) {
        if (u != n && pos_.at(u) >= p) return false;
      }
    }
    return true;
  }

  // The weaker test used for fused nodes, whose kernel checks at run time that nobody else
  // holds the buffer: n reads v once, nothing reads v after n, and v is not returned.
  bool last_read(const Value* v, const Node* n) const {
    if (v->kind() != Value::Kind::Node || is_graph_output(g_, v)) return false;
    size_t reads = 0;
    for (Value* x : n->inputs()) reads += x == v;
    if (reads != 1) return false;
    for (Node* u : v->uses()) {
      if (u != n && pos_.at(u) >= pos_.at(n)) return false;
    }
    return true;
  }

  int dying_input(const Node* n, const Value* out) const {
    for (size_t i = 0; i < n->inputs().size(); ++i) {
      const Value* v = n->input(i);
      if (v->sizes() == out->sizes() && v->dtype() == out->dtype() && dead_after(v, n)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  void plan_fused(Node* n, size_t* rewrites, size_t* saved) {
    const std::string prog = n->attrs()[0].to_string();
    size_t at = prog.rfind(";out=");
    if (at == std::string::npos || prog.find('>', at) != std::string::npos) return;
    std::string head = prog.substr(0, at + 5);
    std::vector<std::string> items;
    {
      std::string rest = prog.substr(at + 5);
      size_t b = 0;
      while (true) {
        size_t e = rest.find(',', b);
        items.push_back(rest.substr(b, e == std::string::npos ? std::string::npos : e - b));
        if (e == std::string::npos) break;
        b = e + 1;
      }
    }
    if (items.size() != n->outputs().size()) return;
    std::vector<char> claimed(n->inputs().size(), 0);
    bool changed = false;
    for (size_t k = 0; k < items.size(); ++k) {
      const Value* o = n->output(k);
      if (o->dtype() == DType::Bool) continue;
      // Prefer a buffer the graph shows to be private (dead_after), else one whose last read is
      // here (the kernel's run-time check decides).
      int pick = -1;
      for (int strong = 1; strong >= 0 && pick < 0; --strong) {
        for (size_t i = 0; i < n->inputs().size() && pick < 0; ++i) {
          const Value* v = n->input(i);
          if (claimed[i] || v->sizes() != o->sizes() || v->dtype() != o->dtype()) continue;
          if (strong ? dead_after(v, n) : last_read(v, n)) pick = static_cast<int>(i);
        }
      }
      if (pick < 0) continue;
      claimed[pick] = 1;
      items[k] += ">i" + std::to_string(pick);
      ++*rewrites;
      *saved += static_cast<size_t>(shape_numel(o->sizes())) * itemsize(o->dtype());
      changed = true;
    }
    if (!changed) return;
    std::string out = head;
    for (size_t k = 0; k < items.size(); ++k) out += (k ? "," : "") + items[k];
    n->attrs_mut()[0] = IValue(out);
  }

  // The full-size operand must be a fresh, never-viewed value dying here.
  bool private_buffer(const Value* v, const Node* n) const {
    if (!dead_after(v, n) || !fresh_producer(v->producer()->op())) return false;
    for (Node* u : v->uses()) {
      if (may_alias_input(u->op()) || !u->pure()) return false;
    }
    return true;
  }

  bool plan_binary(Node* n) {
    const std::string& op = n->op();
    const Value* o = n->output();
    if ((op == "add" || op == "sub") && (n->attrs().size() != 1 || !unit_alpha(n->attrs()[0]))) {
      return false;
    }
    auto fits = [&](const Value* v) {
      return v->sizes() == o->sizes() && v->dtype() == o->dtype() && private_buffer(v, n);
    };
    std::vector<Value*> in = n->inputs();
    if (in.size() != 2) return false;
    if (!fits(in[0])) {
      if ((op == "add" || op == "mul") && fits(in[1])) {
        std::swap(in[0], in[1]);
      } else {
        return false;
      }
    }
    Node* r = g_.create_node(op + "_", in, n->attrs(), kInplace, n);
    r->set_inplace_input(0);
    Value* ro = r->add_output(o->sizes(), o->dtype(), o->device());
    n->output()->replace_all_uses_with(ro);
    pos_[r] = pos_.at(n);
    g_.erase_node(n);
    return true;
  }

  Graph& g_;
  int64_t min_numel_;
  mutable AliasSets sets_;
  std::unordered_set<const Value*> mutated_;
  std::unordered_map<const Node*, size_t> pos_;
  std::unordered_map<const Value*, std::unordered_set<const Value*>> members_;
};

}  // namespace

size_t plan_memory(Graph& g, size_t* bytes, int64_t min_numel) {
  Planner(g, min_numel).convert_lone_nodes();
  // Fresh analysis: the conversion made new values.
  size_t saved = 0;
  size_t n = Planner(g, min_numel).run(&saved);
  if (bytes) *bytes = saved;
  return n;
}

}  // namespace ember::jit
