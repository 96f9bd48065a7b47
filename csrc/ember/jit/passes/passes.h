#pragma once

// Graph passes of ember.jit. Each pass rewrites a Graph in place and keeps results unchanged;
// `run_passes` runs the enabled ones in a fixed order. Passes must respect node flags (ir.h):
// nodes that are not pure are never removed, merged or moved, and reads are not moved across them.

#include <string>
#include <vector>

#include "ember/core/export.h"
#include "ember/jit/ir.h"

namespace ember::jit {

struct PassOptions {
  bool dce = true;  ///< dead-code elimination
  bool cse = true;  ///< common-subexpression elimination
  bool peephole = true;  ///< identity ops removed, transpose(matmul) rewritten (peephole.cpp)
};

/// What a pass run changed (for tests and `TracedFunction.pass_stats`).
struct PassStats {
  size_t nodes_before = 0;
  size_t nodes_after = 0;
  size_t removed_dead = 0;
  size_t merged_common = 0;
  size_t peephole_rewrites = 0;
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
/// Runs the enabled passes (peephole, CSE, then DCE) and returns what changed.
EMBER_API PassStats run_passes(Graph& g, const PassOptions& options = {});

}  // namespace ember::jit
