#include <algorithm>
#include <unordered_set>

#include "ember/jit/passes/passes.h"

namespace ember::jit {

size_t eliminate_dead_code(Graph& g) {
  std::unordered_set<const Value*> outputs(g.outputs().begin(), g.outputs().end());
  std::vector<Node*> nodes = g.nodes();
  size_t removed = 0;
  // Reverse order: erasing a node can make its producers dead in the same sweep.
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node* n = *it;
    if (!n->pure()) continue;
    bool dead = std::all_of(n->outputs().begin(), n->outputs().end(), [&](const Value* v) {
      return v->uses().empty() && !outputs.count(v);
    });
    if (dead) {
      g.erase_node(n);
      ++removed;
    }
  }
  g.remove_unused_leaves();
  return removed;
}

}  // namespace ember::jit
