"""Higher-level derivatives of functions, as ``torch.autograd.functional``: ``vjp``, ``jvp``,
``jacobian``, ``hessian``, ``vhp`` and ``hvp``, built on :func:`ember.autograd.grad`.

``inputs`` is a Tensor or a tuple of Tensors and ``func`` returns a Tensor or a tuple of
Tensors; results mirror those structures as PyTorch's do. The inputs are differentiated
through copies that require grad, so the caller's tensors are not changed. A gradient that
does not depend on an input is zeros (``strict=True`` raises instead). ``jacobian`` takes one
reverse-mode pass per output element; ``jvp`` uses the double-vjp identity
``J v = d/du (u^T J)^T v`` (Pearlmutter's trick), as PyTorch's reverse-mode ``jvp`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``x`` was a tuple/list, its items as a tuple); TypeError naming ``fn`` for a non-tensor."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"{arg}[{i}]" if is_tuple else arg
            raise TypeError(f"{fn}: {where} must be a Tensor, got {type(t).__name__}")
    return is_tuple, items


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Copies of ``inputs`` to differentiate through: leaves requiring grad, or (``create_graph``) aliases keeping the caller's history."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t * 1)  # keeps the caller's history so higher derivatives reach it
        else:
            out.append(t.detach().requires_grad_(t.is_floating_point()))
    return tuple(out)


def _grads(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], grad_outputs: Any,
           create_graph: bool, strict: bool, fn: str, what: str) -> tuple[Tensor, ...]:
    """Gradients of ``outputs`` along ``grad_outputs`` for each of ``inputs``; zeros (or RuntimeError with ``strict``) where an input is unused."""
    from . import grad as _grad

    roots = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if roots:
        res = _grad(roots, list(inputs), gos, retain_graph=True, create_graph=create_graph,
                    allow_unused=True)
    else:
        res = [None] * len(inputs)
    return _zeros_for_none(res, inputs, strict, lambda i: (
        f"{fn}: the {what} of input {i} is independent of it (all zeros); strict=True does not "
        "allow that"))


def _zeros_for_none(res: Any, like: tuple[Tensor, ...], strict: bool,
                    message: Callable[[int], str]) -> tuple[Tensor, ...]:
    """``res`` with each None replaced by zeros shaped like the matching tensor of ``like``;
    with ``strict``, RuntimeError(``message(i)``) for the first None instead."""
    out = []
    for i, (r, x) in enumerate(zip(res, like)):
        if r is None:
            if strict:
                raise RuntimeError(message(i))
            r = _C._zeros(list(x.shape), x.dtype)
        out.append(r)
    return tuple(out)


def _call(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """``func(*inputs)`` with grad mode on; returns (whether it returned a tuple, the outputs as a tuple)."""
    prev = _C.is_grad_enabled()
    _C._set_grad_enabled(True)
    try:
        out = func(*inputs)
    finally:
        _C._set_grad_enabled(prev)
    return _as_tuple(out, "the output of func", fn)


def _check_v(v: Any, like: tuple[Tensor, ...], fn: str, arg: str) -> tuple[Tensor, ...]:
    """``v`` as a tuple shaped like ``like`` (ones when omitted for a one-element ``like``); ValueError otherwise."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise ValueError(f"{fn}: v may be omitted only when {arg} is a single tensor of one "
                             f"element; got shapes {[tuple(t.shape) for t in like]}")
        return (_C._ones(list(like[0].shape), like[0].dtype),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise ValueError(f"{fn}: v has shapes {[tuple(t.shape) for t in vs]}, expected the "
                         f"shapes of {arg} {[tuple(t.shape) for t in like]}")
    return vs


def _finish(results: tuple[Tensor, ...], is_tuple: bool, create_graph: bool) -> Any:
    """``results`` detached unless ``create_graph``, as a tuple or a single tensor."""
    if not create_graph:
        results = tuple(r.detach() for r in results)
    return results if is_tuple else results[0]


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func: takes the input tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``func``'s output(s); may be None when the output has one element.
        create_graph (bool): make the results differentiable. Default False.
        strict (bool): RuntimeError when an input does not affect the outputs. Default False.
    Returns:
        (outputs of func, v^T J shaped like inputs).
    Raises:
        TypeError: non-tensor inputs or outputs. ValueError: ``v`` of the wrong shapes.
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = _check_v(v, outs, "vjp", "the outputs")
    g = _grads(outs, xs, vs, create_graph, strict, "vjp", "vjp")
    return _finish(outs, out_tuple, create_graph), _finish(g, in_tuple, create_graph)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``.

    Args:
        func: takes the input tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be None when the input has one element.
        create_graph (bool): make the results differentiable. Default False.
        strict (bool): RuntimeError when an output does not depend on the inputs.
    Returns:
        (outputs of func, J v shaped like the outputs).
    Raises:
        TypeError: non-tensor inputs or outputs. ValueError: ``v`` of the wrong shapes.
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    vs = _check_v(v, xs, "jvp", "inputs")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jvp")
    # u^T J as a function of a dummy u (it is linear in u), then its gradient along v is J v.
    us = tuple(_C._zeros(list(o.shape), o.dtype).requires_grad_(True) for o in outs)
    prev = _C.is_grad_enabled()
    _C._set_grad_enabled(True)
    try:
        g = _grads(outs, xs, us, True, False, "jvp", "jvp")
        from . import grad as _grad

        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if pairs:
            res = _grad([p[0] for p in pairs], list(us), [p[1] for p in pairs],
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
        else:
            res = [None] * len(us)
    finally:
        _C._set_grad_enabled(prev)
    out = _zeros_for_none(res, outs, strict, lambda i: (
        f"jvp: output {i} is independent of the inputs; strict=True does not allow that"))
    return _finish(outs, out_tuple, create_graph), _finish(out, out_tuple, create_graph)


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j`` a tensor of
    shape ``outputs[i].shape + inputs[j].shape``.

    Args:
        func: takes the input tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        create_graph (bool): make the result differentiable. Default False.
        strict (bool): RuntimeError when an output does not depend on an input.
        vectorize (bool): accepted for PyTorch compatibility (one backward pass per output
            element either way).
        strategy (str): ``"reverse-mode"`` (``"forward-mode"`` raises NotImplementedError).
    Returns:
        A Tensor for one input and one output; a tuple over inputs (one output) or over
        outputs (one input); a tuple of tuples (outputs, then inputs) otherwise.
    Raises:
        TypeError: non-tensor inputs or outputs. NotImplementedError: forward mode.
    """
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy {strategy!r} is not supported; use "
                                  "'reverse-mode'")
    del vectorize
    in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    import ember

    blocks: list[tuple[Tensor, ...]] = []
    for i, o in enumerate(outs):  # one reverse pass per element of each output
        flat = o.reshape(-1)
        rows: list[list[Tensor]] = [[] for _ in xs]
        for k in range(flat.numel()):
            gs = _grads((flat[k],), xs, (None,), create_graph, strict, "jacobian",
                        f"derivative of output {i}")
            for j, g in enumerate(gs):
                rows[j].append(g)
        per_input = []
        for j, x in enumerate(xs):
            if rows[j]:
                block = ember.stack(rows[j]).reshape(*o.shape, *x.shape)
            else:
                block = _C._zeros(list(o.shape) + list(x.shape), x.dtype)
            per_input.append(block if create_graph else block.detach())
        blocks.append(tuple(per_input))
    if out_tuple:
        return tuple(b if in_tuple else b[0] for b in blocks)
    return blocks[0] if in_tuple else blocks[0][0]


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``: for inputs ``i`` and ``j`` a
    tensor of shape ``inputs[i].shape + inputs[j].shape``.

    Args:
        func: takes the input tensors, returns a one-element Tensor.
        inputs: a Tensor or a tuple of Tensors.
        create_graph, strict, vectorize: as for :func:`jacobian`.
        outer_jacobian_strategy (str): ``"reverse-mode"`` only.
    Returns:
        A Tensor for one input, else a tuple of tuples.
    Raises:
        ValueError: ``func`` returns more than one element.
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args: Tensor) -> Any:
        """The gradient of func at ``args`` (differentiable)."""
        out_tuple, outs = _call(func, args, "hessian")
        if out_tuple or outs[0].numel() != 1:
            raise ValueError(f"hessian: func must return a single one-element Tensor, got "
                             f"shapes {[tuple(o.shape) for o in outs]}")
        g = _grads(outs, args, (None,), True, strict, "hessian", "gradient")
        return g if in_tuple else g[0]

    return jacobian(gradient, xs if in_tuple else xs[0], create_graph=create_graph,
                    strict=strict, strategy=outer_jacobian_strategy)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The vector-Hessian product ``v^T H`` of the scalar function ``func`` at ``inputs``.

    Returns:
        (func's output, v^T H shaped like inputs).
    Raises:
        ValueError: ``func`` returns more than one element, or ``v`` has the wrong shapes.
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
    vs = _check_v(v, xs, "vhp", "inputs")
    xs = _prepare(xs, True)
    out_tuple, outs = _call(func, xs, "vhp")
    if out_tuple or outs[0].numel() != 1:
        raise ValueError(f"vhp: func must return a single one-element Tensor, got shapes "
                         f"{[tuple(o.shape) for o in outs]}")
    prev = _C.is_grad_enabled()
    _C._set_grad_enabled(True)
    try:
        g = _grads(outs, xs, (None,), True, strict, "vhp", "gradient")
        live = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        res = _grads(tuple(p[0] for p in live), xs, tuple(p[1] for p in live), create_graph,
                     strict, "vhp", "vhp")
    finally:
        _C._set_grad_enabled(prev)
    return _finish(outs, False, create_graph), _finish(res, in_tuple, create_graph)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """The Hessian-vector product ``H v`` of the scalar function ``func`` at ``inputs`` (equal
    to ``vhp`` since a Hessian of a twice continuously differentiable function is symmetric).

    Returns:
        (func's output, H v shaped like inputs).
    """
    return vhp(func, inputs, v, create_graph, strict)
