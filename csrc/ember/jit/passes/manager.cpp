// The pass manager: which passes run, in which order. Simplification and folding first (they
// expose dead nodes and common subexpressions), then CSE and DCE, then optimizer and elementwise
// fusion on the cleaned graph, and memory planning last (its in-place forms are not pure, so
// nothing may move them).

#include "ember/jit/passes/passes.h"

namespace ember::jit {

PassStats run_passes(Graph& g, const PassOptions& options) {
  PassStats s;
  s.nodes_before = g.num_nodes();
  if (options.peephole) s.peephole_rewrites = peephole_optimize(g);
  if (options.algebraic) s.simplified = simplify_algebra(g);
  if (options.fold) s.folded_constants = fold_constants(g, options.fold_max_numel);
  if (options.algebraic && s.folded_constants) s.simplified += simplify_algebra(g);
  if (options.cse) s.merged_common = eliminate_common_subexpressions(g);
  if (options.dce) s.removed_dead = eliminate_dead_code(g);
  if (options.optimizer) s.optimizer_products = fuse_optimizer_products(g);
  if (options.fusion) {
    s.fused_losses = fuse_losses(g);
    s.fused_groups = fuse_elementwise(g, options.fusion_min_numel, &s.fused_nodes);
  }
  if (options.memory) {
    s.inplace_rewrites = plan_memory(g, &s.bytes_reused, options.fusion_min_numel);
  }
  s.nodes_after = g.num_nodes();
  g.renumber();
  return s;
}

}  // namespace ember::jit
