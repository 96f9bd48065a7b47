"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory by not
keeping a region's intermediate values for backward and recomputing them when backward
reaches the region.

``checkpoint(fn, *args)`` runs ``fn`` without recording autograd history (its intermediate
tensors are freed as soon as ``fn`` is done with them) and keeps only the inputs. When the
backward pass needs the region's gradients, ``fn`` runs again on the saved inputs with
recording on, with the random-number state it first ran with (so dropout draws the same mask),
and the gradients flow through that recomputation: into the inputs, and into every tensor
``fn`` uses that requires grad (a module's parameters), exactly as without checkpointing.

Reference: Chen et al., "Training Deep Nets with Sublinear Memory Cost", 2016.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import _C
from .._C import Tensor
from .._creation import zeros
from ..autograd.function import Function
from ..random import fork_rng, get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Checkpoint(Function):
    """Runs the region without recording; recomputes it with recording in backward.

    Inputs: ``run``, ``preserve_rng_state``, ``anchor``, ``kwargs``, ``n_args``, then the
    region's positional arguments, then the parameters it uses when they are known (a
    module's). Known parameters get their gradients through this node like any input, so
    ``backward``, ``autograd.grad`` and ``create_graph`` see them; otherwise (a plain function)
    the recomputation's own backward accumulates into their ``.grad``.
    """

    @staticmethod
    def forward(ctx: Any, run: Callable[..., Any], preserve_rng_state: bool, anchor: Any,
                kwargs: dict[str, Any], n_args: int, *inputs: Any) -> Any:
        """Runs ``run(*args, **kwargs)`` under no_grad; saves the tensor arguments, the others
        and the random-number state for the recomputation."""
        args, params = inputs[:n_args], inputs[n_args:]
        ctx.run = run
        ctx.kwargs = kwargs
        ctx.params = params
        ctx.known_params = anchor is None
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.tensor_slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_slots))
        outputs = run(*args, **kwargs)
        _check_outputs(outputs)
        ctx.shapes = _shapes(outputs)
        return outputs

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        """Recomputes the region from the saved inputs with recording on and differentiates
        it along ``grads``; returns the gradients of the arguments and parameters."""
        # A create_graph backward keeps the inputs' history (known parameters only: the other
        # path reads the recomputation's leaf gradients).
        create = _C.is_grad_enabled()
        if create and not ctx.known_params:
            raise RuntimeError(
                "checkpoint: a create_graph backward (second derivatives) through a checkpointed "
                "plain function is not supported, because the parameters it uses are unknown; "
                "checkpoint an nn.Module (or a bound method of one) instead")
        args = list(ctx.others)
        saved = ctx.saved_tensors
        for slot, t in zip(ctx.tensor_slots, saved):
            if create and t.requires_grad:
                args[slot] = t
            else:
                leaf = t.detach()
                if t.requires_grad:
                    leaf.requires_grad_(True)
                args[slot] = leaf
        with fork_rng(enabled=ctx.rng_state is not None):
            if ctx.rng_state is not None:
                set_rng_state(ctx.rng_state)
            prev = _C.is_grad_enabled()
            _C._set_grad_enabled(True)
            try:
                outputs = ctx.run(*args, **ctx.kwargs)
            finally:
                _C._set_grad_enabled(prev)
        if _shapes(outputs) != ctx.shapes:
            raise RuntimeError(f"checkpoint: the recomputed outputs have shapes "
                               f"{_shapes(outputs)}, the first run's were {ctx.shapes}; the "
                               "function must compute the same thing when run again")
        outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if isinstance(o, Tensor) and o.requires_grad and g is not None:
                roots.append(o)
                root_grads.append(g)
        wrt = [args[s] for s, t in zip(ctx.tensor_slots, saved) if t.requires_grad]
        if ctx.known_params:
            wrt += [p for p in ctx.params if p.requires_grad]
        found: dict[int, Any] = {}
        if roots and wrt:
            from ..autograd import grad as _grad

            if ctx.known_params:
                res = _grad(roots, wrt, root_grads, create_graph=create, allow_unused=True)
            else:
                # Parameters unknown: the recomputation's backward reaches them itself
                # (accumulating into .grad, as PyTorch's reentrant checkpoint does).
                from ..autograd import backward as _backward

                _backward(roots, root_grads)
                res = [x.grad for x in wrt]
            found = {id(x): g for x, g in zip(wrt, res)}
        elif roots and not ctx.known_params:
            from ..autograd import backward as _backward

            _backward(roots, root_grads)
        result: list[Any] = [None, None, None, None, None]
        result += [found.get(id(a)) if isinstance(a, Tensor) else None for a in args]
        result += [found.get(id(p)) for p in ctx.params]
        return tuple(result)


def _params_of(function: Any) -> list[Tensor] | None:
    """The parameters ``function`` uses when that is known: a Module's, or those of the Module
    a bound method belongs to; None for any other callable."""
    from ..nn.modules.module import Module

    owner = function if isinstance(function, Module) else getattr(function, "__self__", None)
    if isinstance(owner, Module):
        return [p for p in owner.parameters()]
    return None


def _shapes(outputs: Any) -> list[tuple[int, ...]]:
    """The shapes of ``outputs`` (a Tensor or a tuple of them), as a list of tuples."""
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    return [tuple(o.shape) for o in outs]


def _check_outputs(outputs: Any) -> None:
    """TypeError unless ``outputs`` is a Tensor or a tuple/list of Tensors."""
    if isinstance(outputs, Tensor):
        return
    if isinstance(outputs, (tuple, list)) and all(isinstance(o, Tensor) for o in outputs):
        return
    raise TypeError(f"checkpoint: the function must return a Tensor or a tuple of Tensors, got "
                    f"{type(outputs).__name__}")


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], Any] | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, without keeping its intermediate values for backward:
    they are recomputed when backward reaches this call.

    Gradients are those of calling ``function`` directly: to the tensor arguments that require
    grad and to every tensor ``function`` uses that requires grad (module parameters), also
    when no argument requires grad.

    When ``function`` is an ``nn.Module`` (or a bound method of one), its parameters are inputs
    of the checkpoint as in PyTorch's non-reentrant mode: ``backward``, ``autograd.grad`` and
    second derivatives (``create_graph``) all see them. For any other callable the parameters
    it uses are unknown to ember: the recomputation's own backward accumulates into their
    ``.grad`` (PyTorch's reentrant behaviour), so ``autograd.grad`` does not return their
    gradients and ``create_graph`` raises. Under ember.jit tracing (and with grad mode off)
    ``function`` is simply called. Outputs are returned as a tuple when ``function`` returns a
    list, and every floating output requires grad when an input does.

    Args:
        function: the region; returns a Tensor or a tuple of Tensors. It runs twice when
            backward runs, so it must compute the same thing both times (no side effects that
            change its result; random ops are replayed, see ``preserve_rng_state``).
        *args: its positional arguments (tensors are saved for the recomputation; anything
            else is passed again as is).
        use_reentrant (bool | None): accepted for PyTorch compatibility; both values give the
            behaviour above (PyTorch's non-reentrant semantics). Default None.
        context_fn: not supported (NotImplementedError when given).
        determinism_check (str): ``"default"`` or ``"none"``; the recomputed outputs' shapes
            are checked against the first run's either way (RuntimeError when they differ).
        debug (bool): accepted; no effect.
        preserve_rng_state (bool): replay the random-number state of the first run during the
            recomputation (dropout draws the same mask). Default True.
        **kwargs: passed to ``function``.
    Returns:
        What ``function`` returns.
    Raises:
        TypeError: ``function`` returns something other than a Tensor or a tuple of Tensors.
        NotImplementedError: ``context_fn`` is given.
        RuntimeError: a ``create_graph`` backward through a checkpointed plain function; the
            recomputation's outputs differ in shape from the first run's.
        ValueError: ``determinism_check`` is not ``"default"`` or ``"none"``.
    Example:
        >>> layer = ember.nn.Sequential(ember.nn.Linear(8, 8), ember.nn.ReLU())
        >>> x = ember.randn(4, 8, requires_grad=True)
        >>> y = ember.utils.checkpoint.checkpoint(layer, x, use_reentrant=False)
        >>> y.sum().backward()  # layer's activations are recomputed here
    """
    if context_fn is not None:
        raise NotImplementedError("checkpoint: context_fn is not supported by ember")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got "
                         f"{determinism_check!r}")
    del use_reentrant, debug
    if not _C.is_grad_enabled() or _C._jit_is_tracing():
        # Nothing to keep for backward, or a graph being traced (ember.jit plans the graph's
        # memory itself and cannot replay a recomputation): a plain call.
        return function(*args, **kwargs)
    return _apply(function, _params_of(function), preserve_rng_state, args, kwargs)


def _apply(function: Callable[..., Any], params: list[Tensor] | None, preserve_rng_state: bool,
           args: tuple, kwargs: dict[str, Any]) -> Any:
    """Checkpoints ``function(*args, **kwargs)`` with known ``params`` (or None)."""
    # ``anchor``: None when the parameters are known; otherwise False, or (when no argument
    # requires grad, so the outputs would not either and backward would never reach the
    # parameters inside) a tensor requiring grad that keeps the node in the graph.
    anchor: Any = None
    if params is None:
        params = []
        anchor = False
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            anchor = zeros(()).requires_grad_(True)
    return _Checkpoint.apply(function, preserve_rng_state, anchor, kwargs, len(args),
                             *args, *params)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Runs the modules (or functions) of ``functions`` one after another on ``input``,
    checkpointing them in ``segments`` consecutive groups; the last group runs normally (its
    output is needed for backward right away).

    Args:
        functions: an ``nn.Sequential`` or a list of modules/functions of one argument.
        segments (int): number of groups, 1 or more (at most the number of functions is
            useful; more is clamped).
        input (Tensor): the first function's argument.
        use_reentrant (bool | None): as for :func:`checkpoint`.
        **kwargs: passed to :func:`checkpoint` (``preserve_rng_state``, ...).
    Returns:
        Tensor: the last function's output.
    Raises:
        ValueError: ``segments`` is less than 1.
    """
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    fns: Sequence[Any] = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not fns:
        return input
    size = max(len(fns) // segments, 1)

    def run_range(start: int, end: int) -> Callable[[Tensor], Tensor]:
        """A function applying ``fns[start:end]`` in order."""
        def forward(x: Tensor) -> Tensor:
            """Applies the group's functions to ``x``."""
            for f in fns[start:end]:
                x = f(x)
            return x
        return forward

    from ..nn.modules.module import Module

    def params_of(start: int, end: int) -> list[Tensor] | None:
        """The parameters of fns[start:end] when all are modules, else None (unknown)."""
        if not all(isinstance(f, Module) for f in fns[start:end]):
            return None
        return [p for f in fns[start:end] for p in f.parameters()]

    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise TypeError(f"checkpoint_sequential: unexpected keyword arguments {sorted(kwargs)}")
    del use_reentrant
    start = 0
    x = input
    while start + size < len(fns):
        end = start + size
        if _C.is_grad_enabled() and not _C._jit_is_tracing():
            x = _apply(run_range(start, end), params_of(start, end), preserve, (x,), {})
        else:
            x = run_range(start, end)(x)
        start = end
    return run_range(start, len(fns))(x)

