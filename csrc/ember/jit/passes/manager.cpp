// The pass manager: which passes run, in which order. Further passes (constant folding,
// algebraic simplification, elementwise fusion, memory planning) get an option and a line here.

#include "ember/jit/passes/passes.h"

namespace ember::jit {

PassStats run_passes(Graph& g, const PassOptions& options) {
  PassStats s;
  s.nodes_before = g.num_nodes();
  if (options.peephole) s.peephole_rewrites = peephole_optimize(g);
  if (options.cse) s.merged_common = eliminate_common_subexpressions(g);
  if (options.dce) s.removed_dead = eliminate_dead_code(g);
  s.nodes_after = g.num_nodes();
  g.renumber();
  return s;
}

}  // namespace ember::jit
