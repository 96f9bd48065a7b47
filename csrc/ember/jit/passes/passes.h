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
};

/// What a pass run changed (for tests and `TracedFunction.pass_stats`).
struct PassStats {
  size_t nodes_before = 0;
  size_t nodes_after = 0;
  size_t removed_dead = 0;
  size_t merged_common = 0;
};

/// Removes pure nodes whose outputs nobody reads, then unused params/constants. Returns the
/// number of nodes removed.
EMBER_API size_t eliminate_dead_code(Graph& g);
/// Merges pure nodes with the same op, inputs and attributes (the later one's uses move to the
/// earlier one). Nodes whose outputs may be written in place later are left alone. Returns the
/// number of nodes merged away (they are erased).
EMBER_API size_t eliminate_common_subexpressions(Graph& g);
/// Runs the enabled passes (CSE, then DCE) and returns what changed.
EMBER_API PassStats run_passes(Graph& g, const PassOptions& options = {});

}  // namespace ember::jit
