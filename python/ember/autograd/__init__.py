"""Automatic differentiation: ``backward``, ``grad``, grad-mode switches, custom Functions."""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

from .. import _C
from .._C import Tensor
from .function import Function, FunctionCtx
from .gradcheck import gradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import functional

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Any = None) -> None:
    """Accumulates gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    Args:
        tensors: outputs to differentiate.
        grad_tensors: gradient w.r.t. each output (None allowed for one-element outputs,
            meaning 1).
        retain_graph: keep saved tensors for another backward; defaults to ``create_graph``.
        create_graph: record the backward pass so gradients can be differentiated again.
        inputs: not supported (gradients go to every leaf); must be None.
    Raises:
        RuntimeError: an output does not require grad, a non-scalar output without a
            gradient, or a second backward through a freed graph.
    """
    if inputs is not None:
        raise NotImplementedError("backward: the inputs= argument is not supported; use "
                                  "ember.autograd.grad(outputs, inputs)")
    roots = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(roots)
    if len(grads) != len(roots):
        raise ValueError(f"backward: got {len(roots)} tensors but {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    _C._run_backward(roots, grads, retain_graph, create_graph, [], False)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Args:
        outputs: tensors to differentiate.
        inputs: tensors (requiring grad) to differentiate with respect to.
        grad_outputs: gradient w.r.t. each output (None for one-element outputs).
        retain_graph: keep the graph; defaults to ``create_graph``.
        create_graph: make the result differentiable (higher-order gradients).
        allow_unused: return None for inputs the outputs do not depend on instead of raising.
    Returns:
        tuple of tensors (or None), one per input.
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    gouts = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(outs)} outputs but {len(gouts)} grad_outputs")
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(_C._run_backward(outs, gouts, retain_graph, create_graph, ins, allow_unused))
