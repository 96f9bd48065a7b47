"""Tracing, cached tracing, running, saving and loading static graphs."""

from __future__ import annotations

import collections
import functools
import itertools
import json
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

from .. import _C, _guards
from .._C import JitGuardError, Tensor
from .._C import _jit_call

JitGuardError.__doc__ = (
    "Raised (a RuntimeError) when a traced graph is called after Python state it baked in "
    "changed: an optimizer's hyperparameters or state tensors, a module's training flag, a "
    "captured tensor's requires_grad, or whether a .grad the traced code read was None. "
    "Nothing has run when it is raised; "
    "ember.jit.function catches it and traces again."
)

__all__ = ["JitGuardError", "TracedFunction", "TracedModule", "function", "is_tracing", "load",
           "save", "trace"]


# ---- nested structures of tensors -------------------------------------------------------------


class _Leaf:
    """Placeholder for the i-th tensor in a flattened structure."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Leaf) and other.index == self.index

    def __hash__(self) -> int:
        return hash(("_Leaf", self.index))

    def __repr__(self) -> str:
        return f"<tensor {self.index}>"


def _flatten(obj: Any, out: list[Tensor]) -> Any:
    if isinstance(obj, Tensor):
        out.append(obj)
        return _Leaf(len(out) - 1)
    if isinstance(obj, tuple):
        items = tuple(_flatten(o, out) for o in obj)
        return type(obj)(*items) if hasattr(obj, "_fields") else items  # namedtuples keep their type
    if isinstance(obj, list):
        return [_flatten(o, out) for o in obj]
    if isinstance(obj, dict):
        return {k: _flatten(v, out) for k, v in obj.items()}
    return obj


def _unflatten(spec: Any, flat: list[Tensor]) -> Any:
    if isinstance(spec, _Leaf):
        return flat[spec.index]
    if isinstance(spec, tuple):
        items = tuple(_unflatten(s, flat) for s in spec)
        return type(spec)(*items) if hasattr(spec, "_fields") else items
    if isinstance(spec, list):
        return [_unflatten(s, flat) for s in spec]
    if isinstance(spec, dict):
        return {k: _unflatten(v, flat) for k, v in spec.items()}
    return spec


def _count_leaves(spec: Any) -> int:
    """How many tensors a flattened structure holds."""
    if isinstance(spec, _Leaf):
        return 1
    if isinstance(spec, (tuple, list)):
        return sum(_count_leaves(s) for s in spec)
    if isinstance(spec, dict):
        return sum(_count_leaves(s) for s in spec.values())
    return 0


def _spec_to_json(spec: Any) -> Any:
    if isinstance(spec, _Leaf):
        return {"tensor": spec.index}
    if isinstance(spec, tuple):
        return {"tuple": [_spec_to_json(s) for s in spec]}
    if isinstance(spec, list):
        return {"list": [_spec_to_json(s) for s in spec]}
    if isinstance(spec, dict):
        if not all(isinstance(k, str) for k in spec):
            raise TypeError("jit.save: only dicts with string keys can be saved in a signature")
        return {"dict": {k: _spec_to_json(v) for k, v in spec.items()}}
    if spec is None or isinstance(spec, (bool, int, float, str)):
        return {"value": spec}
    raise TypeError(
        f"jit.save: the traced function's signature holds a {type(spec).__name__} value, "
        "which cannot be saved; only tensors, numbers, strings, None, lists, tuples and dicts can"
    )


def _spec_from_json(j: Any) -> Any:
    ((kind, v),) = j.items()
    if kind == "tensor":
        return _Leaf(v)
    if kind == "tuple":
        return tuple(_spec_from_json(s) for s in v)
    if kind == "list":
        return [_spec_from_json(s) for s in v]
    if kind == "dict":
        return {k: _spec_from_json(s) for k, s in v.items()}
    return v


def _same_constants(a: Any, b: Any) -> bool:
    """Structures equal, tensors placed alike, non-tensor values equal."""
    if isinstance(a, _Leaf) or isinstance(b, _Leaf):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_constants(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_constants(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return _float_key(a) == _float_key(b)
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _float_key(x: float) -> tuple:
    """A key under which equal floats are the same argument: 0.0 and -0.0 differ (1 / x does),
    and every NaN is the same."""
    if x != x:
        return (float, "nan")
    return (float, x, math.copysign(1.0, x) < 0)


def is_tracing() -> bool:
    """True while this thread is recording a trace (inside the traced function)."""
    return _C._jit_is_tracing()


# ---- traced functions -------------------------------------------------------------------------


class TracedFunction:
    """A static graph made from a Python function, run by the C++ executor.

    Calling it checks the tensors against the traced signature (shapes, dtypes, devices; a
    mismatch raises ``ValueError`` naming both signatures) and runs every op in C++ with the
    GIL released and no Python per op. Non-tensor arguments must equal the traced ones
    (``ValueError`` otherwise): their values are baked into the graph.

    Attributes:
        graph: the graph (``str(graph)`` prints it, ``graph.to_dot()`` gives Graphviz DOT).
        pass_stats: what the optimization passes changed (dict), or None with optimize=False.
    """

    def __init__(self, graph: Any, in_spec: Any, out_spec: Any, name: str = "traced") -> None:
        self.graph = graph
        self._in_spec = in_spec
        self._out_spec = out_spec
        self._executor = _C._JitExecutor(graph)
        self.pass_stats: dict[str, int] | None = None
        self.__name__ = name
        # Python state the trace depended on (modules' training flags, optimizers'
        # hyperparameters); checked before a run whenever such state changed since the last.
        self._guards: list[_guards.Guard] = []
        self._checked_epoch = -1
        # How calls with grad enabled keep autograd working when the traced outputs required
        # grad (set by _enable_autograd): None (graph outputs are plain), "recompute" (a node
        # whose backward runs `_fn` again eagerly) or "eager" (the graph has effects a rerun
        # would repeat, so `_fn` itself runs).
        self._fn: Callable | None = None
        self._autograd: str | None = None
        self._diff: list[bool] = []  # which flat outputs backpropagate
        self._traced_rg: list[bool] = []  # requires_grad of the traced inputs
        self._traced_rg_params: set[int] = set()  # captured params that required grad (_impl_id)
        # n when the traced call was n positional tensors and nothing else, else -1.
        args_spec = in_spec[0] if isinstance(in_spec, tuple) and len(in_spec) == 2 else None
        simple = (isinstance(args_spec, tuple) and in_spec[1] == {}
                  and all(isinstance(a, _Leaf) and a.index == i for i, a in enumerate(args_spec)))
        self._n_simple = len(args_spec) if simple else -1

    def _bind(self, args: tuple, kwargs: dict) -> list[Tensor]:
        if not kwargs and len(args) == self._n_simple and all(type(a) is Tensor for a in args):
            return list(args)  # traced with exactly these positional tensors: nothing to compare
        flat: list[Tensor] = []
        spec = _flatten((args, kwargs), flat)
        if not _same_constants(spec, self._in_spec):
            n_traced = _count_leaves(self._in_spec)
            if n_traced != len(flat):
                raise ValueError(
                    f"jit: {self.__name__} was traced for {n_traced} tensor argument(s), "
                    f"{self._in_spec!r}, but was called with {len(flat)}: {spec!r}"
                )
            raise ValueError(
                f"jit: {self.__name__} was traced for arguments {self._in_spec!r} but was "
                f"called with {spec!r}; non-tensor arguments are baked into the graph (use "
                "ember.jit.function to retrace automatically)"
            )
        return flat

    def _failed_guard(self) -> _guards.Guard | None:
        """The first guard that no longer holds, or None."""
        epoch = _C._jit_state_epoch()
        if epoch == self._checked_epoch:
            return None
        for g in self._guards:
            if not g.holds():
                return g
        self._checked_epoch = epoch
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        flat = self._bind(args, kwargs)
        failed = self._failed_guard()
        if failed is not None:
            raise JitGuardError(
                f"jit: {self.__name__}: {failed.describe()}, and the graph bakes that in; it has "
                "changed since. Trace again (ember.jit.function does so by itself), or restore "
                "the state"
            )
        return self._run(flat, args, kwargs)

    def _enable_autograd(self, fn: Callable, traced_in: list[Tensor], traced_out: Any,
                         grad_enabled: bool) -> None:
        """Called after tracing (before the passes): unless the graph holds a backward of its
        own, later calls with grad enabled give outputs that backpropagate into the inputs and
        captured parameters as eager ones do. The outputs that required grad when traced get a
        backward; a call where an input or parameter requires grad that did not when traced
        (any, when the trace ran under no_grad) runs ``fn`` eagerly, since the trace could not
        see what depends on it."""
        effects = self.graph.effects()
        if effects == "backward":
            return  # a training step: its outputs' backward already ran inside the graph
        outs: list[Tensor] = []
        _flatten(traced_out, outs)
        self._diff = [o.requires_grad for o in outs]
        if grad_enabled:
            self._traced_rg = [t.requires_grad for t in traced_in]
            self._traced_rg_params = {p._impl_id for p in self.graph.params() if p.requires_grad}
        else:
            # Traced under no_grad: what would require grad is unknown, so calls with grad
            # enabled that involve a tensor requiring grad run eagerly.
            self._traced_rg = [False] * len(traced_in)
        self._fn = fn
        self._autograd = "recompute" if effects == "none" else "eager"

    def _run(self, flat: list[Tensor], args: tuple, kwargs: dict) -> Any:
        if self._autograd is None or not _C.is_grad_enabled():
            return _unflatten(self._out_spec, self._executor.run(flat))
        params = [p for p in self.graph.params() if p.requires_grad]
        # Each tensor once, even when passed as several arguments (or also captured): the rerun's
        # gradient for it already sums every use.
        seen: set[int] = set()
        inputs = [t for t in flat if t.requires_grad
                  and not (t._impl_id in seen or seen.add(t._impl_id))]
        params = [p for p in params if not (p._impl_id in seen or seen.add(p._impl_id))]
        if not params and not inputs:
            return _unflatten(self._out_spec, self._executor.run(flat))
        newly = (any(t.requires_grad and not was for t, was in zip(flat, self._traced_rg))
                 or any(p._impl_id not in self._traced_rg_params for p in params))
        if self._autograd == "eager" or newly:
            return self._fn(*args, **kwargs)
        if not any(self._diff):
            return _unflatten(self._out_spec, self._executor.run(flat))
        # Outputs get handles of their own: one that is a captured parameter or an input (the
        # function returned it) must keep its own history.
        outs = [o.detach() if d else o for o, d in zip(self._executor.run(flat), self._diff)]
        diff = [o for o, d in zip(outs, self._diff) if d]
        fn, in_spec, name, diff_mask = self._fn, self._in_spec, self.__name__, self._diff
        read = list(flat) + [p for p in self.graph.params()]
        versions = [t._version for t in read]

        def backward(*grads: Tensor) -> tuple:
            """Runs the traced function again eagerly and backpropagates ``grads`` through it."""
            from ..autograd import enable_grad, grad

            for t, v in zip(read, versions):
                if t._version != v:
                    raise RuntimeError(
                        f"jit: {name}: a tensor of shape {tuple(t.shape)} that the traced call read "
                        "was modified in place before backward(); the backward runs the function "
                        "again and would see the new values. Modify it after backward(), or "
                        "work on a .clone()"
                    )
            # Under backward(create_graph=True) grad mode is on here: the gradients then carry
            # history back to the inputs themselves (the rerun reads them, not copies).
            create_graph = _C.is_grad_enabled()
            targets = inputs + params
            with enable_grad():
                re_args, re_kwargs = _unflatten(in_spec, list(flat))
                re_flat: list[Tensor] = []
                _flatten(fn(*re_args, **re_kwargs), re_flat)
                pairs = [(r, g) for r, g in zip([r for r, d in zip(re_flat, diff_mask) if d], grads)
                         if g is not None and r.requires_grad]
                if not pairs:
                    return tuple(None for _ in targets)
                return tuple(grad([r for r, _ in pairs], targets, grad_outputs=[g for _, g in pairs],
                                  allow_unused=True, create_graph=create_graph))

        _C._record_function(f"Traced{name}Backward", backward, inputs + params, diff)
        return _unflatten(self._out_spec, outs)

    def signature(self) -> str:
        """The traced tensor signature, e.g. ``(f32[16, 784], i64[16])``."""
        return self._executor.signature()

    def run_passes(self, dce: bool = True, cse: bool = True, peephole: bool = True,
                   fold: bool = True, algebraic: bool = True, fusion: bool = True,
                   memory: bool = True, optimizer: bool = True) -> dict[str, int]:
        """Runs the optimization passes on the graph (in place) and rebuilds the executor.

        Args:
            dce: dead-code elimination.
            cse: common-subexpression elimination.
            peephole: identity ops removed, ``transpose(matmul(a, b))`` computed as
                ``matmul(b.T, a.T)``.
            fold: constant folding.
            algebraic: algebraic simplification.
            fusion: elementwise fusion into ``fused_elementwise`` nodes, and loss fusion:
                cross-entropy's backward chain (grad terms, softmax, mul, add) as one
                ``cross_entropy_backward`` node.
            memory: memory planning (outputs written into dead inputs' buffers).
            optimizer: optimizer fusion: a weight gradient ``a @ b`` that only an Adam/AdamW
                step reads is computed inside that step (``adam_step_product`` nodes), in
                blocks of rows updated while still in cache; values are unchanged.
        Returns:
            dict with ``nodes_before``, ``nodes_after``, ``removed_dead``, ``merged_common``,
            ``peephole_rewrites``, ``folded_constants``, ``simplified``, ``fused_groups``,
            ``fused_nodes``, ``inplace_rewrites``, ``bytes_reused``, ``optimizer_products``,
            ``fused_losses``.
        """
        stats = self.graph.run_passes(dce=dce, cse=cse, peephole=peephole, fold=fold,
                                      algebraic=algebraic, fusion=fusion, memory=memory,
                                      optimizer=optimizer)
        self._executor = _C._JitExecutor(self.graph)
        self.pass_stats = dict(stats)
        return self.pass_stats

    @property
    def code(self) -> str:
        """The graph as text (same as ``str(self.graph)``)."""
        return str(self.graph)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__}{self.signature()} ({self.graph.num_nodes} nodes)>"


class TracedModule(TracedFunction):
    """A traced ``nn.Module``: parameters and buffers are captured by reference and named after
    the module's ``state_dict`` keys in the graph. ``module`` is the original module."""

    def __init__(self, module: Any, graph: Any, in_spec: Any, out_spec: Any) -> None:
        super().__init__(graph, in_spec, out_spec, name=type(module).__name__)
        self.module = module


def _trace_call(fn: Callable, args: tuple, kwargs: dict, names: list[str] | None = None):
    """Records ``fn(*args, **kwargs)``: (graph, in_spec, out_spec, its result, its guards)."""
    flat: list[Tensor] = []
    in_spec = _flatten((args, kwargs), flat)
    orig = flat
    flat, args, kwargs = _unalias(flat, in_spec, args, kwargs, _captured_ids(fn, in_spec))
    # An argument requiring grad that had to be aliased (a view of it) keeps its gradient path
    # through the view to the original tensor: a backward inside the graph would go on
    # accumulating into that tensor whatever later calls pass (see _SHARED_GRAD_ARG).
    rg_viewed = [i for i, (a, b) in enumerate(zip(orig, flat)) if a is not b and a.requires_grad]
    tr = _C._jit_begin(flat, names or [f"x{i}" for i in range(len(flat))])
    guards: list[_guards.Guard] = []
    _guards.state.sink = guards
    try:
        out = fn(*args, **kwargs)
        _guards.finish(guards)
        out_flat: list[Tensor] = []
        out_spec = _flatten(out, out_flat)
        graph = tr.end(out_flat, _optimizer_state(guards))
        for note in graph.trace_notes():
            warnings.warn(note, RuntimeWarning, stacklevel=3)
    except BaseException:
        tr.abort()
        raise
    finally:
        _guards.state.sink = None
        _sync_aliases(orig, flat)
    if any(a is not b for a, b in zip(orig, flat)):
        # An argument returned as is comes back as the caller's tensor, as in eager code.
        back = {id(b): a for a, b in zip(orig, flat) if a is not b}
        out = _unflatten(out_spec, [back.get(id(t), t) for t in out_flat])
    if rg_viewed and graph.effects() == "backward":
        raise _SharedGradArgument(rg_viewed, out)
    return graph, in_spec, out_spec, out, guards


def _sync_aliases(orig: list[Tensor], flat: list[Tensor]) -> None:
    """After the traced call: what the function did to a detached alias of an argument that
    eager code would have done to the argument itself (``requires_grad_()``, setting
    ``.grad``) is done to the argument."""
    for a, b in zip(orig, flat):
        if a is b or a.requires_grad:
            continue
        if b.requires_grad:
            a.requires_grad_(True)
        if b.grad is not None and a.grad is not b.grad:
            a.grad = b.grad


_SHARED_GRAD_ARG = (
    "argument {i} (a tensor that requires grad) is also captured by the function or passed "
    "more than once, and the traced code runs a backward: a graph cannot keep the two uses "
    "apart (its backward would accumulate into this tensor whatever later calls pass)"
)


class _SharedGradArgument(Exception):
    """Raised by :func:`_trace_call` after the traced call ran: the graph cannot be reused (see
    ``_SHARED_GRAD_ARG``); ``out`` is the call's eager result."""

    def __init__(self, positions: list[int], out: Any) -> None:
        super().__init__(_SHARED_GRAD_ARG.format(i=positions[0]))
        self.out = out


def _unalias(flat: list[Tensor], in_spec: Any, args: tuple, kwargs: dict,
             captured: set[int] | frozenset[int] = frozenset()):
    """Gives every tensor argument a graph input of its own, apart from any other handle on its
    memory that the traced code uses: an argument that does not require grad is replaced by a
    detached alias (same memory, a new tensor), so a tensor the function also captures (a
    closure's or module's weight passed as the argument too), or a view of it, is captured by
    reference instead of being read from the argument. An argument that requires grad is
    aliased (a view, so gradients still reach it) when it is passed more than once or is in
    ``captured`` (the ``_impl_id`` of the tensors :func:`_captured_ids` found). Otherwise a
    later call with a different tensor there would be silently wrong."""
    seen: set[int] = set()
    out = list(flat)
    changed = False
    for i, t in enumerate(flat):
        key = t._impl_id
        if not t.requires_grad:
            out[i] = t.detach()
            changed = True
        elif key in seen or key in captured:
            out[i] = t.view_as(t)
            changed = True
        seen.add(key)
    if not changed:
        return flat, args, kwargs
    new_args, new_kwargs = _unflatten(in_spec, out)
    return out, tuple(new_args), new_kwargs


_CAPTURE_DEPTH = 6
_CAPTURE_ITEMS = 10000  # entries looked at per container


def _captured_ids(fn: Any, in_spec: Any) -> set[int]:
    """The ``_impl_id`` of every tensor the traced code can reach other than through its tensor
    arguments: closure cells, default arguments and the globals its code names (and those of
    the functions it names, recursively), a bound method's object or a partial's arguments,
    the attributes of objects, classes and Python modules found there, the parameters, buffers
    and tensor attributes of modules, the parameters and state of optimizers, and the same
    inside the non-tensor arguments (a module passed as ``self``). Searched a few levels deep
    and at most ``_CAPTURE_ITEMS`` entries per container; an object that fails to be inspected
    is skipped. Only arguments that require grad need this (the others are always aliased)."""
    import types

    from ..nn.modules.module import Module
    from ..optim.optimizer import Optimizer

    found: set[int] = set()
    visited: set[int] = set()

    def items(values: Any) -> Any:
        """At most ``_CAPTURE_ITEMS`` of ``values``."""
        return itertools.islice(values, _CAPTURE_ITEMS)

    def visit(obj: Any, depth: int) -> None:
        """Adds the tensors reachable from ``obj`` within ``depth`` levels to ``found``."""
        if isinstance(obj, Tensor):
            found.add(obj._impl_id)
            return
        if depth <= 0 or id(obj) in visited or obj is None:
            return
        if isinstance(obj, (str, bytes, int, float, complex, bool)):
            return
        visited.add(id(obj))
        try:
            visit_inner(obj, depth)
        except Exception:  # a property or __getattr__ that raises: nothing reachable there
            pass

    def visit_inner(obj: Any, depth: int) -> None:
        """``visit`` for one object not seen before (may raise; the caller skips it)."""
        import types as _t

        if isinstance(obj, Module):
            for sub in obj.modules():
                for v in vars(sub).values():
                    if isinstance(v, dict):
                        for t in items(v.values()):  # _parameters, _buffers
                            if isinstance(t, Tensor):
                                found.add(t._impl_id)
                    elif isinstance(v, Tensor):
                        found.add(v._impl_id)
            return
        if isinstance(obj, Optimizer):
            for group in obj.param_groups:
                for p in items(group["params"]):
                    visit(p, 1)
            for st in items(obj.state.values()):
                if isinstance(st, dict):
                    for v in st.values():
                        visit(v, 1)
            return
        if isinstance(obj, (list, tuple, set, frozenset)):
            for v in items(obj):
                visit(v, depth - 1)
            return
        if isinstance(obj, dict):
            for v in items(obj.values()):
                visit(v, depth - 1)
            return
        if isinstance(obj, functools.partial):
            visit(obj.func, depth)
            visit(obj.args, depth)
            visit(obj.keywords, depth)
            return
        if isinstance(obj, _t.MethodType):
            visit(obj.__self__, depth)
            visit(obj.__func__, depth)
            return
        if isinstance(obj, _t.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    visit(cell.cell_contents, depth - 1)
                except ValueError:  # an empty cell
                    pass
            visit(obj.__defaults__, depth)
            visit(obj.__kwdefaults__, depth)
            g = obj.__globals__
            for name in _code_names(obj.__code__):
                if name in g:
                    visit(g[name], depth - 1)
            visit(getattr(obj, "__wrapped__", None), depth - 1)
            return
        if isinstance(obj, _CachedFunction):
            visit(obj._fn, depth)
            return
        if isinstance(obj, _t.ModuleType):
            # A Python module the code names: only its tensors and containers (cfg.W), not
            # the modules and functions it imports.
            if obj.__name__.split(".")[0] in ("ember", "numpy", "builtins", "math", "typing"):
                return
            for v in items(vars(obj).values()):
                if isinstance(v, (Tensor, list, tuple, dict, Module)):
                    visit(v, depth - 1)
            return
        attrs = getattr(obj, "__dict__", None)
        if isinstance(attrs, (dict, types.MappingProxyType)):
            visit(dict(attrs), depth - 1)
        for slot in getattr(type(obj), "__slots__", ()):
            if isinstance(slot, str):
                visit(getattr(obj, slot, None), depth - 1)

    visit(fn, _CAPTURE_DEPTH)
    # Non-tensor arguments (a module passed as ``self``): what they hold is captured too.
    visit(_spec_objects(in_spec), _CAPTURE_DEPTH)
    return found


def _code_names(code: Any) -> set[str]:
    """Global names a code object and the code objects nested in it (lambdas, comprehensions,
    inner functions) refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _spec_objects(spec: Any) -> list[Any]:
    """The non-tensor leaves of a flattened argument structure."""
    if isinstance(spec, _Leaf):
        return []
    if isinstance(spec, (tuple, list)):
        return [o for s in spec for o in _spec_objects(s)]
    if isinstance(spec, dict):
        return [o for s in spec.values() for o in _spec_objects(s)]
    return [spec]


def _optimizer_state(guards: list[_guards.Guard]) -> list[Tensor]:
    """The tensors in the state of every optimizer that stepped during the trace (moment buffers,
    step counts): state its first step may have created, which later runs must update."""
    out: list[Tensor] = []
    for g in guards:
        opt = g.ref() if g.kind == "optimizer" else None
        if opt is None:
            continue
        for st in opt.state.values():
            if isinstance(st, dict):
                out.extend(v for v in st.values() if isinstance(v, Tensor))
    return out


def _name_module_params(graph: Any, module: Any) -> None:
    tensors, names = [], []
    for name, t in module.state_dict(keep_vars=True).items():
        tensors.append(t)
        names.append(name)
    graph.name_params(tensors, names)


def trace(fn_or_module: Callable, example_inputs: Any, *, optimize: bool = True) -> TracedFunction:
    """Records one call of ``fn_or_module(*example_inputs)`` as a static graph.

    Every ember op the call runs becomes one graph node: the forward ops and, when the function
    calls ``loss.backward()`` or ``ember.autograd.grad``, the backward ops (from the same per-op
    backward formulas), the accumulation into ``.grad`` and a fused optimizer ``step()``. So a
    whole training step can become one graph. The call really runs (once, eagerly) while it is
    recorded: an optimizer step inside it is taken.

    What the graph sees:
      * tensor arguments (anywhere in nested tuples/lists/dicts) are graph inputs;
      * tensors that existed before the trace (weights, optimizer state, buffers) are captured
        by reference, so in-place updates (optimizer steps) are seen by the next run; optimizer
        state created lazily during the traced step is captured too;
      * Python numbers (a scale factor) and other non-tensor arguments are baked in as
        constants (use ``function``, which retraces when they change);
      * a tensor passed as an argument that the function also captures (found through its
        closure, the globals it names, and the modules and optimizers those hold), or passed
        twice, is one graph input per argument, apart from the captured tensor; if it requires
        grad and the call runs a backward, tracing raises (the graph could not keep the uses
        apart);
      * guarded Python state is baked in too, and checked before every call: the
        hyperparameters and state tensors of each optimizer that steps (``lr``, betas, ...:
        what an LR scheduler changes), the ``training`` flag of each module, the
        ``requires_grad`` flag of each parameter (freezing a layer), and whether the ``.grad``
        of a tensor from outside was None where the traced code read it. When one changed, the
        call raises ``JitGuardError`` (``function`` traces again instead). Such a ``.grad``
        itself is read on every call (a new gradient tensor after ``zero_grad()`` is seen);
      * Python control flow is taken at trace time: only the branch taken is recorded, and
        Python side effects (assigning attributes, appending to lists, printing) happen in
        the traced call only, not when the graph runs. Reading tensor values (``.item()``,
        ``float(t)``, ``.tolist()``, ``.numpy()``, ``if t > 0:``) while tracing raises
        ``RuntimeError``;
      * a tensor the tracer cannot follow (made from Python data or numpy inside the
        function) raises ``RuntimeError`` naming the op that used it;
      * tensors created inside the function are made anew by every run, except the state of
        the optimizers that step in it (their moment buffers persist). State that must
        persist otherwise (a running total) has to exist before tracing; a created tensor
        that the program still holds after the call gets a ``RuntimeWarning``.
    Gradients accumulate as in eager code: ``optimizer.zero_grad()`` inside the traced step
    becomes part of the graph, and without it each run adds into ``.grad``.
    Outputs backpropagate like eager ones when the result is called with grad enabled and the
    recorded outputs required grad (a traced forward used in an eager training loop): the
    graph computes them, and their backward runs the function again eagerly to get the
    gradients of the inputs and captured parameters. A graph with effects of its own (in-place
    writes such as batch-norm running statistics, random draws) runs the function eagerly
    instead, so the effects happen once. Under ``ember.no_grad()`` only the graph runs and the
    outputs are plain; a graph that calls ``backward()`` itself returns plain outputs too.
    Graphs read back by ``load`` have no Python function, so their outputs are always plain,
    and they carry no guards (the state they bake in is the one saved).

    Args:
        fn_or_module: a function or ``nn.Module`` taking tensors (and other values).
        example_inputs: the arguments of the recorded call: a tensor, or a tuple of arguments.
        optimize: run the graph passes (algebraic simplification, constant folding,
            common-subexpression and dead-code elimination, elementwise fusion, memory
            planning; see :meth:`TracedFunction.run_passes` to choose them).
    Returns:
        TracedFunction (TracedModule for a module), callable like the original.
    Raises:
        RuntimeError: an untraceable operation (see above), or nested tracing. Calls of the
            result raise ``ValueError`` for another signature and ``JitGuardError`` (a
            RuntimeError) for changed guarded state.
    Example:
        >>> def f(x):
        ...     if x.shape[0] > 2:      # Python control flow: decided while tracing
        ...         return x * 2
        ...     return x - 1
        >>> tf = ember.jit.trace(f, ember.ones(3))
        >>> tf(ember.tensor([1.0, 2.0, 3.0]))
        tensor([2., 4., 6.])
    """
    args = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    from ..nn import Module

    grad_enabled = _C.is_grad_enabled()
    try:
        graph, in_spec, out_spec, out, guards = _trace_call(fn_or_module, args, {})
    except _SharedGradArgument as e:
        raise RuntimeError(
            f"jit.trace: {e}. Trace with a separate tensor there (e.g. "
            "t.detach().requires_grad_()), or use ember.jit.function, which runs such calls "
            "eagerly"
        ) from None
    if isinstance(fn_or_module, Module):
        _name_module_params(graph, fn_or_module)
        traced: TracedFunction = TracedModule(fn_or_module, graph, in_spec, out_spec)
    else:
        traced = TracedFunction(graph, in_spec, out_spec, getattr(fn_or_module, "__name__", "fn"))
    traced._guards = guards
    traced_in: list[Tensor] = []
    _flatten(args, traced_in)
    traced._enable_autograd(fn_or_module, traced_in, out, grad_enabled)
    if optimize:
        traced.run_passes()
    return traced


_SIMPLE = (int, float, bool, str, type(None))


def _signature_key(args: tuple, kwargs: dict) -> tuple[Any, list[Tensor]]:
    """(hashable signature, flat tensor list) of a call."""
    if not kwargs:
        if all(type(a) is Tensor for a in args):
            # Fastest path: positional tensors only; shapes, dtypes and devices in one C++ call.
            flat = list(args)
            return (_C._jit_signature(flat), tuple(a.requires_grad for a in flat)), flat
        # Fast path: positional tensors and plain Python values.
        key = []
        flat: list[Tensor] = []
        for a in args:
            if isinstance(a, Tensor):
                flat.append(a)
                key.append((a.shape, a.dtype, str(a.device), a.requires_grad))
            elif isinstance(a, float):
                key.append(_float_key(a))
            elif isinstance(a, _SIMPLE):
                key.append((type(a), a))
            else:
                break
        else:
            return tuple(key), flat
    flat = []
    spec = _flatten((args, kwargs), flat)
    tensors = tuple((tuple(t.shape), t.dtype, str(t.device), t.requires_grad) for t in flat)

    def freeze(s: Any) -> Any:
        """A hashable form of a non-tensor argument (lists, tuples and dicts made into tuples) for the signature cache."""
        if isinstance(s, (tuple, list)):
            return (type(s).__name__,) + tuple(freeze(x) for x in s)
        if isinstance(s, dict):
            return ("dict",) + tuple((k, freeze(v)) for k, v in s.items())
        if isinstance(s, float):
            return _float_key(s)
        try:
            hash(s)
            return (type(s).__name__, s)
        except TypeError:
            return ("id", id(s))

    return ("nested", tensors, freeze(spec)), flat


_MAX_GRAPHS_PER_SIGNATURE = 8
_FIRST_EAGER_PAUSE = 64


class _CachedFunction:
    def __init__(self, fn: Callable, optimize: bool) -> None:
        self._fn = fn
        self._optimize = optimize
        # signature -> graphs traced for it, most recently used first; one per state of the
        # Python values their guards check (training flags, hyperparameters, .grad presence).
        self._cache: dict[Any, list[TracedFunction]] = {}
        # Graphs for calls of positional tensors only, looked up and run in C++.
        self._table = _C._JitCallTable(_unflatten)
        # Signatures whose calls only run eagerly (a graph of them would be wrong).
        self._eager_keys: set[Any] = set()
        self._guard_retraces = 0
        self._calls = 0
        self._recent_retraces: collections.deque[int] = collections.deque(maxlen=_MAX_GRAPHS_PER_SIGNATURE)
        self._warned = False
        # Calls before this one that miss every cached graph on a guard run eagerly instead of
        # tracing; set (and the pause doubled) whenever retracing becomes frequent.
        self._eager_until = 0
        self._eager_pause = _FIRST_EAGER_PAUSE
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._calls += 1
        if not kwargs:
            try:
                out = _jit_call(self._table, args)
            except JitGuardError:
                out = NotImplemented  # a .grad guard failed before anything ran
            if out is not NotImplemented:
                return out
        # Taken before any call: the function may change requires_grad.
        table_key = None if kwargs else _C._JitCallTable.key(args)
        key, flat = _signature_key(args, kwargs)
        grad_enabled = _C.is_grad_enabled()
        key = (key, grad_enabled)  # which outputs require grad depends on it
        graphs = self._cache.get(key)
        if graphs:
            for i, traced in enumerate(graphs):
                if traced._failed_guard() is not None:
                    continue
                try:
                    result = traced._run(flat, args, kwargs)
                except JitGuardError:
                    continue
                if i:
                    graphs.insert(0, graphs.pop(i))
                self._file(table_key, traced)
                return result
            if self._calls < self._eager_until:
                return self._fn(*args, **kwargs)  # retracing too often: eager for a while
            self._note_guard_retrace()
        elif key in self._eager_keys:
            return self._fn(*args, **kwargs)
        try:
            graph, in_spec, out_spec, out, guards = _trace_call(self._fn, args, kwargs)
        except _SharedGradArgument as e:
            # Correct only eagerly: this signature runs eagerly from now on.
            self._eager_keys.add(key)
            warnings.warn(
                f"ember.jit.function: {getattr(self._fn, '__name__', 'fn')}: {e}; calls with "
                "this signature run eagerly",
                RuntimeWarning,
                stacklevel=2,
            )
            return e.out
        traced = TracedFunction(graph, in_spec, out_spec, getattr(self._fn, "__name__", "fn"))
        traced._guards = guards
        traced._enable_autograd(self._fn, flat, out, grad_enabled)
        if self._optimize:
            traced.run_passes()
        graphs = self._cache.setdefault(key, [])
        graphs.insert(0, traced)
        del graphs[_MAX_GRAPHS_PER_SIGNATURE:]
        self._file(table_key, traced)
        return out

    def _file(self, table_key: bytes | None, traced: TracedFunction) -> None:
        """Puts ``traced`` in the C++ call table (calls of positional tensors only)."""
        if table_key is not None:
            self._table.add(table_key, traced, isinstance(traced._out_spec, _Leaf),
                            traced._autograd is not None)

    def _note_guard_retrace(self) -> None:
        self._guard_retraces += 1
        self._recent_retraces.append(self._calls)
        # Warned once, when retracing is frequent: 8 retraces within 32 calls (an LR scheduler
        # stepped once per epoch is fine; one stepped every call is not, however long the run).
        recent = self._recent_retraces
        if len(recent) < recent.maxlen or self._calls - recent[0] >= 4 * recent.maxlen:
            return
        # Frequent: a trace costs several eager calls, so the calls that would retrace run
        # eagerly for a pause (64 calls, doubling each time it recurs), then tracing is tried
        # again, in case the state settled (a scheduler stepped per epoch after a warm-up).
        recent.clear()
        self._eager_until = self._calls + self._eager_pause
        self._eager_pause *= 2
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"ember.jit.function: {getattr(self._fn, '__name__', 'fn')} has been traced again "
                f"{self._guard_retraces} times because Python state its graphs bake in changed "
                "(an optimizer's lr or other hyperparameters, a module's train()/eval() mode, "
                "whether .grad was None). Tracing costs more than an eager call, so calls that "
                "would trace again now run eagerly for a while (pauses that double while this "
                "recurs); if a scheduler changes the learning rate every step, step it less often "
                "to keep the graphs",
                RuntimeWarning,
                stacklevel=3,
            )

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self, obj)

    @property
    def traces(self) -> list[TracedFunction]:
        """The graphs kept so far: per call signature, one per state of what their guards check
        (at most 8 per signature, most recently used first)."""
        return [t for graphs in self._cache.values() for t in graphs]


def function(fn: Callable | None = None, *, optimize: bool = True) -> Any:
    """Decorator: trace ``fn`` on its first call for each signature, then run the graph.

    The signature is the shapes, dtypes, devices and ``requires_grad`` of the tensor arguments
    plus the values of all other arguments; a call with a new signature traces again (the
    graphs are cached). The first call for a signature runs the function eagerly while it is
    recorded (so its results and side effects, e.g. an optimizer step, are those of an eager
    call); later calls run the graph in C++ (a call made of positional tensors only is looked up
    and run without Python-level argument handling, about 0.3 µs over the graph itself). See
    ``trace`` for what can be traced: Python
    control flow is taken at trace time, Python numbers are baked in. Guarded state (optimizer
    hyperparameters, modules' training flags, ``.grad`` presence that the code read) is
    checked before a graph runs: when it changed, the function is traced again, and up to 8
    graphs per signature are kept. When retracing keeps happening (8 retraces within 32 calls,
    e.g. an LR scheduler stepped every call), a RuntimeWarning says so and the calls that
    would trace again run eagerly for a pause (64 calls, doubling each time it recurs), after
    which tracing is tried again. A tensor passed as an argument that the function also
    captures (a closure's or module's weight), or passed twice, is told apart from its other
    uses, so later calls with other tensors there are right; when such a tensor requires grad
    and the traced code runs a backward, a graph cannot keep the uses apart, and calls with
    that signature run eagerly (with a RuntimeWarning).

    Args:
        fn: the function (``@ember.jit.function`` or ``ember.jit.function(fn, optimize=False)``).
        optimize: run the graph passes (default True).
    Returns:
        A callable with the same arguments; ``.traces`` lists the traced graphs.
    Example:
        >>> @ember.jit.function
        ... def step(x, y):
        ...     return (x * y).sum()
        >>> step(ember.ones(3), ember.ones(3))   # traced (and run eagerly)
        tensor(3.)
        >>> step(ember.ones(3), ember.ones(3))   # runs the graph
        tensor(3.)
    """
    if fn is None:
        return lambda f: function(f, optimize=optimize)
    return _CachedFunction(fn, optimize)


# ---- saving and loading -----------------------------------------------------------------------


def save(traced: TracedFunction, path: str | os.PathLike) -> None:
    """Saves a traced function (graph, captured tensors' current values, signature) to one file.

    The format (versioned; tensors in the safetensors layout) is read by ``load`` and by the
    C++ API (``ember::jit::load_graph``). The file is written to a temporary name and renamed.

    Args:
        traced: a TracedFunction/TracedModule (or a function decorated with ``function`` that
            has been traced exactly once).
        path: file to write.
    Raises:
        TypeError: ``traced`` is not a traced function, or its signature holds values that
            cannot be saved.
        ValueError: ``traced`` is a ``function`` with no trace or several (one per input
            signature); save one of its ``.traces`` instead.
        RuntimeError: the file cannot be written (an existing file at ``path`` is then
            unchanged; the message gives the system's reason).
    """
    if isinstance(traced, _CachedFunction):
        if len(traced.traces) != 1:
            raise ValueError(
                f"jit.save: {traced.__name__} has {len(traced.traces)} traces; call it once (or "
                "save one of .traces)"
            )
        traced = traced.traces[0]
    if not isinstance(traced, TracedFunction):
        raise TypeError(f"jit.save: expected a TracedFunction, got {type(traced).__name__}")
    meta = json.dumps(
        {
            "in_spec": _spec_to_json(traced._in_spec),
            "out_spec": _spec_to_json(traced._out_spec),
            "name": traced.__name__,
        }
    )
    _C._jit_save(traced.graph, os.fspath(path), meta)


def load(path: str | os.PathLike) -> TracedFunction:
    """Loads a file written by ``save``; no Python source is needed.

    Args:
        path: the file.
    Returns:
        TracedFunction whose captured tensors are fresh tensors holding the saved values.
    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        RuntimeError: not an ember.jit file, a corrupt file, or one written by a newer format
            version (the message says which).
    """
    if os.path.isdir(os.fspath(path)):
        raise IsADirectoryError(
            f"jit.load: {os.fspath(path)!r} is a directory; expected a file written by "
            "ember.jit.save"
        )
    if not os.path.isfile(os.fspath(path)):
        raise FileNotFoundError(f"jit.load: no such file: {os.fspath(path)!r}")
    graph, meta = _C._jit_load(os.fspath(path))
    try:
        m = json.loads(meta)
        in_spec = _spec_from_json(m["in_spec"])
        out_spec = _spec_from_json(m["out_spec"])
    except (ValueError, KeyError, AttributeError) as e:
        raise RuntimeError(f"jit.load: corrupt file: {path} has an unreadable signature") from e
    return TracedFunction(graph, in_spec, out_spec, m.get("name", "loaded"))
