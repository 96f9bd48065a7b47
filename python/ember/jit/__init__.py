"""ember.jit: static graphs from the same code.

``trace`` records a function (forward, backward and optimizer step included) into a graph of
ember ops; ``function`` does it on first call per input signature; the graph is optimized
(dead-code and common-subexpression elimination) and run by a C++ executor with one Python call
per step; ``save``/``load`` write and read one file that the C++ API can also run.
"""

from __future__ import annotations

from ._api import JitGuardError, TracedFunction, TracedModule, function, is_tracing, load, save, trace

__all__ = ["JitGuardError", "TracedFunction", "TracedModule", "function", "is_tracing", "load", "save", "trace"]
