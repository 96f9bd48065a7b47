#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "ember/jit/passes/passes.h"

namespace ember::jit {

namespace {

// Ops whose output may share memory with an input: writing into the output writes the input.
bool may_alias_input(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "view",  "reshape", "transpose", "permute",    "t_all", "mT",       "expand",
      "squeeze", "unsqueeze", "flatten", "slice",   "narrow", "select",   "as_strided",
      "to",    "contiguous", "split",  "split_with_sizes", "chunk", "sum_to", "unbind",
      "diagonal"};
  return ops.count(op) > 0;
}

struct Key {
  const Node* n;
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = std::hash<std::string>()(k.n->op());
    auto mix = [&h](size_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    for (const Value* v : k.n->inputs()) mix(v->id());
    for (const IValue& a : k.n->attrs()) mix(a.hash());
    return h;
  }
};
struct KeyEq {
  bool operator()(const Key& a, const Key& b) const {
    return a.n->op() == b.n->op() && a.n->inputs() == b.n->inputs() &&
           a.n->attrs() == b.n->attrs() && a.n->outputs().size() == b.n->outputs().size();
  }
};

}  // namespace

namespace {

// Small constants with equal dtype, shape, bytes and wrapped-number flag become one value, so
// `x * 2` traced twice reads the same constant.
void merge_constants(Graph& g) {
  std::vector<Value*> kept;
  std::vector<Value*> consts = g.constants();
  for (Value* c : consts) {
    if (!c->defined() || c->tensor().numel() > 16 || !c->tensor().is_contiguous()) continue;
    const Tensor& t = c->tensor();
    for (Value* k : kept) {
      const Tensor& u = k->tensor();
      if (u.dtype() == t.dtype() && u.sizes() == t.sizes() &&
          u.impl()->is_wrapped_number() == t.impl()->is_wrapped_number() &&
          std::memcmp(u.raw_data(), t.raw_data(), t.numel() * itemsize(t.dtype())) == 0) {
        c->replace_all_uses_with(k);
        c = nullptr;
        break;
      }
    }
    if (c) kept.push_back(c);
  }
  g.remove_unused_leaves();
}

}  // namespace

size_t eliminate_common_subexpressions(Graph& g) {
  merge_constants(g);
  // Values that may be written in place (inputs of non-pure nodes), and, through view-like ops,
  // the values they alias. Nodes producing such values are never merged.
  std::unordered_set<const Value*> mutated;
  std::vector<Node*> nodes = g.nodes();
  for (Node* n : nodes) {
    if (n->pure()) continue;
    for (Value* v : n->inputs()) mutated.insert(v);
  }
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node* n = *it;
    if (!may_alias_input(n->op())) continue;
    bool out_mutated = false;
    for (Value* o : n->outputs()) out_mutated |= mutated.count(o) > 0;
    if (out_mutated) {
      for (Value* v : n->inputs()) mutated.insert(v);
    }
  }
  std::unordered_set<const Value*> outputs(g.outputs().begin(), g.outputs().end());
  std::unordered_map<Key, Node*, KeyHash, KeyEq> seen;
  size_t merged = 0;
  for (Node* n : nodes) {
    if (!n->pure()) {
      seen.clear();  // reads after a write must not reuse values computed before it
      continue;
    }
    bool skip = false;
    for (Value* o : n->outputs()) skip |= mutated.count(o) > 0;
    if (skip) continue;
    auto [it, inserted] = seen.insert({Key{n}, n});
    if (inserted) continue;
    Node* keep = it->second;
    for (size_t i = 0; i < n->outputs().size(); ++i) {
      n->output(i)->replace_all_uses_with(keep->output(i));
    }
    g.erase_node(n);
    ++merged;
  }
  return merged;
}

}  // namespace ember::jit
