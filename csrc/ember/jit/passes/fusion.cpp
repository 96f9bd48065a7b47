// Elementwise fusion: groups of pure elementwise nodes on float32/float64 values of one shape
// become one `fused_elementwise` node (csrc/ember/jit/fused_kernel.h) that evaluates the group
// block by block, with no full-size intermediates.
//
// What fuses: unary math (neg exp log log1p sqrt rsqrt abs sign sin cos sigmoid tanh relu
// leaky_relu gelu silu erf clamp), add/sub (alpha 1), mul div pow maximum minimum floor_divide
// remainder, comparisons and logical and/or/xor, where, and zeros_like/ones_like/full_like. Every
// operand must have the group's shape (no broadcasting inside the group) or be a 0-d tensor;
// one-element constants become program constants. Comparisons make bool values inside the group.
//
// A group grows along producer -> consumer edges, in execution order, and the fused node takes
// the place of the group's last node; so a node joins only when no value of the group is read
// outside it before that node. Groups never span a node that is not pure (reads are not moved
// across writes). Values read outside the group (or returned) are outputs of the fused node.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "ember/jit/fused_kernel.h"
#include "ember/jit/passes/pass_util.h"
#include "ember/jit/passes/passes.h"

namespace ember::jit {

using passes_detail::is_graph_output;

namespace {

const std::unordered_map<std::string, std::string>& unary_names() {
  static const std::unordered_map<std::string, std::string> m = {
      {"neg", "Neg"},     {"exp", "Exp"},         {"log", "Log"},   {"log1p", "Log1p"},
      {"sqrt", "Sqrt"},   {"rsqrt", "Rsqrt"},     {"abs", "Abs"},   {"sign", "Sign"},
      {"sin", "Sin"},     {"cos", "Cos"},         {"sigmoid", "Sigmoid"},
      {"tanh", "Tanh"},   {"relu", "Relu"},       {"silu", "Silu"}, {"erf", "Erf"},
      {"erfc", "Erfc"},   {"erfinv", "Erfinv"},   {"tan", "Tan"},   {"asin", "Asin"},
      {"acos", "Acos"},   {"atan", "Atan"},       {"sinh", "Sinh"}, {"cosh", "Cosh"},
      {"asinh", "Asinh"}, {"acosh", "Acosh"},     {"atanh", "Atanh"}, {"expm1", "Expm1"},
      {"exp2", "Exp2"},   {"log2", "Log2"},       {"log10", "Log10"}, {"lgamma", "Lgamma"},
      {"digamma", "Digamma"}, {"reciprocal", "Reciprocal"}, {"square", "Square"},
      {"floor", "Floor"},     {"ceil", "Ceil"},       {"trunc", "Trunc"}, {"frac", "Frac"}};
  return m;
}
const std::unordered_map<std::string, std::string>& binary_names() {
  static const std::unordered_map<std::string, std::string> m = {
      {"add", "Add"},         {"sub", "Sub"},         {"mul", "Mul"},
      {"div", "Div"},         {"pow", "Pow"},         {"maximum", "Maximum"},
      {"minimum", "Minimum"}, {"floor_divide", "FloorDiv"}, {"remainder", "Remainder"},
      {"fmod", "Fmod"},       {"atan2", "Atan2"},     {"hypot", "Hypot"},
      {"copysign", "Copysign"}};
  return m;
}
const std::unordered_map<std::string, std::string>& compare_names() {
  static const std::unordered_map<std::string, std::string> m = {
      {"eq", "Eq"}, {"ne", "Ne"}, {"lt", "Lt"}, {"le", "Le"}, {"gt", "Gt"}, {"ge", "Ge"},
      {"logical_and", "LogicalAnd"}, {"logical_or", "LogicalOr"}, {"logical_xor", "LogicalXor"}};
  return m;
}

bool is_like_op(const std::string& op) {
  return op == "zeros_like" || op == "ones_like" || op == "full_like";
}

bool is_unit_alpha(const IValue& a) {
  if (a.kind() != IValue::Kind::Scalar) return false;
  Scalar s = a.to_scalar();
  return !s.is_floating() && !s.is_bool() && s.to_int() == 1;
}

struct Key {
  DType dtype;
  Shape shape;
  bool operator==(const Key& o) const { return dtype == o.dtype && shape == o.shape; }
};

class Fuser {
 public:
  Fuser(Graph& g, int64_t min_numel) : g_(g), min_numel_(min_numel) {}

  size_t run(size_t* fused_nodes) {
    std::vector<Node*> nodes = g_.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) pos_[nodes[i]] = i;
    for (Node* n : nodes) {
      if (!n->pure()) {
        open_.clear();  // never move reads across a write
        continue;
      }
      Key key;
      if (!fusible(n, &key)) continue;
      place(n, key);
    }
    size_t fused = 0, replaced = 0;
    for (auto& grp : groups_) {
      if (grp.alive && grp.nodes.size() >= 2) {
        replaced += grp.nodes.size();
        emit(grp);
        ++fused;
      }
    }
    if (fused_nodes) *fused_nodes = replaced;
    return fused;
  }

 public:
  struct Group {
    Key key;
    std::vector<Node*> nodes;
    std::unordered_set<Node*> members;
    bool alive = true;
  };

  // An operand is usable when it has the group's shape or is 0-d (broadcast scalar).
  bool operand_ok(const Value* v, const Key& key, bool allow_bool) const {
    if (!v->defined() || !v->device().is_cpu()) return false;
    if (v->sizes().empty()) return v->dtype() != DType::Bool || allow_bool;
    if (v->sizes() != key.shape) return false;
    if (v->dtype() == key.dtype) return true;
    return allow_bool && v->dtype() == DType::Bool;
  }

  bool fusible(Node* n, Key* key) const {
    if (n->outputs().size() != 1) return false;
    const Value* o = n->output();
    const std::string& op = n->op();
    const auto& in = n->inputs();
    if (!o->device().is_cpu() || o->sizes().empty() || shape_numel(o->sizes()) < min_numel_) {
      return false;
    }
    key->shape = o->sizes();
    if (compare_names().count(op)) {
      if (o->dtype() != DType::Bool || in.size() != 2) return false;
      // The compute dtype is that of the non-scalar operand(s).
      const Value* full = !in[0]->sizes().empty() ? in[0] : in[1];
      if (!is_floating(full->dtype())) return false;
      key->dtype = full->dtype();
      bool logical = op.rfind("logical_", 0) == 0;
      return operand_ok(in[0], *key, logical) && operand_ok(in[1], *key, logical);
    }
    if (!is_floating(o->dtype())) return false;
    key->dtype = o->dtype();
    if (unary_names().count(op) || op == "gelu" || op == "leaky_relu" || op == "clamp") {
      if (in.size() != 1 || in[0]->sizes() != o->sizes() || in[0]->dtype() != o->dtype()) {
        return false;
      }
      if (op == "gelu") {
        return n->attrs().size() == 1 && n->attrs()[0].kind() == IValue::Kind::String;
      }
      if (op == "leaky_relu") return n->attrs().size() == 1;
      if (op == "clamp") {
        if (n->attrs().size() != 2) return false;
        for (const IValue& a : n->attrs()) {
          if (!a.is_none() && a.kind() != IValue::Kind::Scalar) return false;
        }
      }
      return true;
    }
    if (binary_names().count(op)) {
      if (in.size() != 2) return false;
      if ((op == "add" || op == "sub") &&
          (n->attrs().size() != 1 || !is_unit_alpha(n->attrs()[0]))) {
        return false;
      }
      return operand_ok(in[0], *key, true) && operand_ok(in[1], *key, true);
    }
    if (op == "where") {
      if (in.size() != 3) return false;
      const Value* c = in[0];
      if (c->dtype() != DType::Bool || c->sizes() != o->sizes()) return false;
      return operand_ok(in[1], *key, false) && operand_ok(in[2], *key, false);
    }
    if (is_like_op(op)) {
      if (in.size() != 1 || in[0]->sizes() != o->sizes()) return false;
      if (op == "full_like") {
        return n->attrs().size() == 1 && n->attrs()[0].kind() == IValue::Kind::Scalar;
      }
      return true;
    }
    return false;
  }

  // Whether nodes `ms` (plus `n`, placed at n's position) can form one group: no value of theirs
  // is read by a node outside the set that runs before n.
  bool can_place(const std::vector<int>& gs, Node* n) const {
    size_t p = pos_.at(n);
    auto inside = [&](Node* u) {
      if (u == n) return true;
      for (int gi : gs) {
        if (groups_[gi].members.count(u)) return true;
      }
      return false;
    };
    for (int gi : gs) {
      for (Node* m : groups_[gi].nodes) {
        for (Value* v : m->outputs()) {
          for (Node* u : v->uses()) {
            if (!inside(u) && pos_.at(u) < p) return false;
          }
        }
      }
    }
    return true;
  }

  void place(Node* n, const Key& key) {
    std::vector<int> cands;
    for (Value* v : n->inputs()) {
      Node* p = v->producer();
      if (!p) continue;
      auto it = group_of_.find(p);
      if (it == group_of_.end()) continue;
      int gi = it->second;
      if (!open_.count(gi) || !groups_[gi].alive || !(groups_[gi].key == key)) continue;
      if (std::find(cands.begin(), cands.end(), gi) == cands.end()) cands.push_back(gi);
    }
    int target = -1;
    if (cands.size() > 1 && can_place(cands, n)) {
      target = cands[0];
      for (size_t k = 1; k < cands.size(); ++k) {
        Group& src = groups_[cands[k]];
        for (Node* m : src.nodes) {
          groups_[target].nodes.push_back(m);
          groups_[target].members.insert(m);
          group_of_[m] = target;
        }
        src.nodes.clear();
        src.members.clear();
        src.alive = false;
      }
    } else {
      for (int gi : cands) {
        if (can_place({gi}, n)) {
          target = gi;
          break;
        }
      }
    }
    if (target < 0) {
      groups_.push_back(Group{key, {}, {}, true});
      target = static_cast<int>(groups_.size()) - 1;
      open_.insert(target);
    }
    groups_[target].nodes.push_back(n);
    groups_[target].members.insert(n);
    group_of_[n] = target;
  }

  static std::string num(int k) { return std::to_string(k); }

  Node* emit(Group& grp) {
    std::sort(grp.nodes.begin(), grp.nodes.end(),
              [&](Node* a, Node* b) { return pos_.at(a) < pos_.at(b); });
    std::vector<Value*> ext;                       // fused node inputs
    std::unordered_map<const Value*, std::string> arg;  // value -> "rK" / "cK"
    std::vector<double> consts;
    auto add_const = [&](double d) {
      for (size_t i = 0; i < consts.size(); ++i) {
        if (std::memcmp(&consts[i], &d, sizeof d) == 0) return "c" + num(static_cast<int>(i));
      }
      consts.push_back(d);
      return "c" + num(static_cast<int>(consts.size()) - 1);
    };
    // External inputs first (registers r0..), in first-use order.
    for (Node* m : grp.nodes) {
      if (is_like_op(m->op())) continue;
      for (Value* v : m->inputs()) {
        if (arg.count(v) || (v->producer() && grp.members.count(v->producer()))) continue;
        if (v->kind() == Value::Kind::Constant && v->tensor().defined() &&
            v->tensor().numel() == 1) {
          arg[v] = add_const(v->tensor().item().to_double());
          continue;
        }
        arg[v] = "r" + num(static_cast<int>(ext.size()));
        ext.push_back(v);
      }
    }
    int reg = static_cast<int>(ext.size());
    std::string prog = std::string(grp.key.dtype == DType::Float64 ? "f64" : "f32") +
                       ";in=" + num(reg);
    for (Node* m : grp.nodes) {
      const std::string& op = m->op();
      std::string call;
      auto a = [&](size_t i) { return arg.at(m->input(i)); };
      if (unary_names().count(op)) {
        call = unary_names().at(op) + "(" + a(0) + ")";
      } else if (op == "gelu") {
        call = std::string(m->attrs()[0].to_string() == "tanh" ? "GeluTanh" : "GeluErf") + "(" +
               a(0) + ")";
      } else if (op == "leaky_relu") {
        call = "LeakyRelu(" + a(0) + "," + add_const(m->attrs()[0].to_double()) + ")";
      } else if (op == "clamp") {
        const auto& at = m->attrs();
        double lo = at[0].is_none() ? -std::numeric_limits<double>::infinity()
                                    : at[0].to_scalar().to_double();
        double hi = at[1].is_none() ? std::numeric_limits<double>::infinity()
                                    : at[1].to_scalar().to_double();
        call = "Clamp(" + a(0) + "," + add_const(lo) + "," + add_const(hi) + ")";
      } else if (binary_names().count(op)) {
        call = binary_names().at(op) + "(" + a(0) + "," + a(1) + ")";
      } else if (compare_names().count(op)) {
        call = compare_names().at(op) + "(" + a(0) + "," + a(1) + ")";
      } else if (op == "where") {
        call = "Where(" + a(0) + "," + a(1) + "," + a(2) + ")";
      } else {  // zeros_like / ones_like / full_like
        double v = op == "zeros_like" ? 0.0
                   : op == "ones_like" ? 1.0
                                       : m->attrs()[0].to_scalar().to_double();
        call = "Const(" + add_const(v) + ")";
      }
      std::string r = "r" + num(reg++);
      prog += ";" + r + "=" + call;
      arg[m->output()] = r;
    }
    // Outputs: values read outside the group or returned.
    std::vector<Value*> outs;
    std::string out_text;
    for (Node* m : grp.nodes) {
      Value* v = m->output();
      bool external = is_graph_output(g_, v);
      for (Node* u : v->uses()) external |= !grp.members.count(u);
      if (!external) continue;
      out_text += (outs.empty() ? "" : ",") + arg.at(v) + (v->dtype() == DType::Bool ? ":b" : "");
      outs.push_back(v);
    }
    prog += ";out=" + out_text;
    std::vector<IValue> attrs;
    attrs.emplace_back(prog);
    attrs.emplace_back(IValue::IntList(grp.key.shape.begin(), grp.key.shape.end()));
    for (double d : consts) attrs.emplace_back(d);
    Node* last = grp.nodes.back();
    Node* f = g_.create_node(kFusedElementwise, ext, std::move(attrs), kPure, last);
    for (Value* v : outs) {
      Value* fo = f->add_output(v->sizes(), v->dtype(), v->device());
      v->replace_all_uses_with(fo);
    }
    for (auto it = grp.nodes.rbegin(); it != grp.nodes.rend(); ++it) g_.erase_node(*it);
    return f;
  }

  Graph& g_;
  int64_t min_numel_;
  std::unordered_map<const Node*, size_t> pos_;
  std::vector<Group> groups_;
  std::unordered_map<const Node*, int> group_of_;
  std::unordered_set<int> open_;
};

}  // namespace

namespace passes_detail {

Node* fuse_single_node(Graph& g, Node* n) {
  if (!n->pure()) return nullptr;
  Fuser f(g, 1);
  Key key;
  if (!f.fusible(n, &key)) return nullptr;
  Fuser::Group grp{key, {n}, {n}, true};
  f.pos_[n] = 0;
  return f.emit(grp);
}

}  // namespace passes_detail

size_t fuse_elementwise(Graph& g, int64_t min_numel, size_t* fused_nodes) {
  return Fuser(g, min_numel).run(fused_nodes);
}

}  // namespace ember::jit
