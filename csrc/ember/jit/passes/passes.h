#pragma once

// Graph passes of ember.jit. Each pass rewrites a Graph in place and keeps results unchanged;
// `run_passes` runs the enabled ones in a fixed order. Passes must respect node flags (ir.h):
// nodes that are not pure are never removed, merged or moved, and reads are not moved across them.

#include <cstdint>
#include <string>
#include <vector>

#include "ember/core/export.h"
#include "ember/jit/ir.h"

namespace ember::jit {

struct PassOptions {
  bool dce = true;  ///< dead-code elimination
  bool cse = true;  ///< common-subexpression elimination
  bool peephole = true;  ///< identity ops removed, transpose(matmul) rewritten (peephole.cpp)
  bool fold = true;       ///< constant folding
  bool algebraic = true;  ///< algebraic simplification
  bool fusion = true;     ///< elementwise fusion, and loss fusion (loss_fusion.cpp)
  bool memory = true;     ///< memory planning (in-place rewrites, buffer reuse)
  bool optimizer = true;  ///< optimizer fusion (weight-gradient products inside Adam steps)
  /// Constant folding leaves outputs with more elements than this computed at run time.
  int64_t fold_max_numel = int64_t{1} << 20;
  /// Elementwise fusion skips values with fewer elements (the per-call setup would dominate).
  int64_t fusion_min_numel = 16;
};

/// What a pass run changed (for tests and `TracedFunction.pass_stats`).
struct PassStats {
  size_t nodes_before = 0;
  size_t nodes_after = 0;
  size_t removed_dead = 0;
  size_t merged_common = 0;
  size_t peephole_rewrites = 0;
  size_t folded_constants = 0;  ///< nodes replaced by constants
  size_t simplified = 0;        ///< algebraic rewrites
  size_t fused_groups = 0;      ///< fused_elementwise nodes made
  size_t fused_nodes = 0;       ///< nodes those replaced
  size_t inplace_rewrites = 0;  ///< outputs that now reuse a dead input's buffer
  size_t bytes_reused = 0;      ///< bytes those outputs no longer allocate (per run)
  size_t optimizer_products = 0;  ///< weight gradients computed inside an Adam step
  size_t fused_losses = 0;        ///< cross-entropy backward chains made one node
};

/// Removes pure nodes whose outputs nobody reads, then unused params/constants. Returns the
/// number of nodes removed.
EMBER_API size_t eliminate_dead_code(Graph& g);
/// Merges pure nodes with the same op, inputs and attributes (the later one's uses move to the
/// earlier one). Nodes whose outputs may be written in place later are left alone. Returns the
/// number of nodes merged away (they are erased).
EMBER_API size_t eliminate_common_subexpressions(Graph& g);
/// Replaces identity ops (sum_to/expand/reshape/view to the input's own shape, `to` its own
/// dtype) by their input and rewrites transpose(matmul(A, B)) of 2-D operands as
/// matmul(B^T, A^T) (contiguous result). Returns the number of rewrites; leaves dead nodes for DCE.
EMBER_API size_t peephole_optimize(Graph& g);
/// Folds pure nodes whose inputs are all constants (never params) into constants, when every
/// output has at most `max_numel` elements and none may be written in place later. Returns the
/// number of nodes folded.
EMBER_API size_t fold_constants(Graph& g, int64_t max_numel = int64_t{1} << 20);
/// Algebraic identities (x*1, x+0, neg(neg(x)), cancelling views/transposes, to() of the same
/// dtype, ...; see algebraic.cpp). Returns the number of rewrites.
EMBER_API size_t simplify_algebra(Graph& g);
/// Replaces groups of elementwise nodes by `fused_elementwise` nodes (fused_kernel.h). Returns
/// the number of groups made; `*fused_nodes` (when given) gets the number of nodes they replace.
EMBER_API size_t fuse_elementwise(Graph& g, int64_t min_numel = 16, size_t* fused_nodes = nullptr);
/// Memory planning: outputs computed into the buffer of an input that is dead afterwards
/// (elementwise nodes become in-place or buffer-reusing forms; lone elementwise nodes of fewer
/// than `min_numel` elements are left as they are). Returns the number of rewrites; `*bytes`
/// (when given) gets the bytes per run no longer allocated.
EMBER_API size_t plan_memory(Graph& g, size_t* bytes = nullptr, int64_t min_numel = 16);
/// Optimizer fusion (optimizer_fusion.cpp): a 2-D matmul stored as a fresh `.grad` and read only
/// by an `adam_step` becomes an `adam_step_product` node for that parameter, which computes the
/// gradient in blocks of rows and updates each block while it is in cache. Returns the number of
/// parameters rewritten.
EMBER_API size_t fuse_optimizer_products(Graph& g);
/// Loss fusion (loss_fusion.cpp): cross_entropy's traced backward chain (grad terms, softmax, mul,
/// add) becomes one `cross_entropy_backward` node when its intermediates have no other readers.
/// Returns the number of chains fused.
EMBER_API size_t fuse_losses(Graph& g);
/// Runs the enabled passes (peephole, algebraic simplification, constant folding, CSE, DCE,
/// optimizer fusion, elementwise fusion, memory planning) and returns what changed.
EMBER_API PassStats run_passes(Graph& g, const PassOptions& options = {});

}  // namespace ember::jit
