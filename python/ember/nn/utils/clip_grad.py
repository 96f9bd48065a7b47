"""Gradient clipping (PyTorch's ``torch.nn.utils.clip_grad_norm_``, ``clip_grad_value_``,
``get_total_norm`` and ``clip_grads_with_norm_``)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..._C import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of the per-tensor norms of ``tensors`` (usually gradients).

    For a finite nonzero order this is the norm of all tensors seen as one vector; ``inf``: the
    largest absolute value, ``-inf``: the smallest; 0: the number of tensors holding a
    nonzero. Computed in the widest dtype among the tensors (float64 when any is).

    Args:
        tensors: a tensor or an iterable of tensors.
        norm_type: p of the p-norm; ``float('inf')`` for the max norm. Default 2.
        error_if_nonfinite: raise if the total norm is nan or inf.
        foreach: accepted for PyTorch compatibility; ignored.
    Returns:
        0-d tensor (0.0 for no tensors).
    Raises:
        RuntimeError: non-finite total norm with ``error_if_nonfinite``.
    """
    from ... import _C, full, no_grad, stack

    grads = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not grads:
        return full((), 0.0)
    with no_grad():
        # The total in the widest gradient dtype (float64 when any gradient is), as PyTorch does.
        dtype = next((g.dtype for g in grads if g.dtype == _C.dtype.float64), grads[0].dtype)
        # As PyTorch: the norm of the per-gradient norms, which for a finite nonzero order is
        # the norm of all gradients as one vector.
        if math.isinf(norm_type):
            def red(t: Tensor) -> Tensor:
                """The largest (order inf) or smallest (order -inf) element of ``t``."""
                return t.max() if norm_type > 0 else t.min()

            per = [red(_C.abs(g)).to(dtype) for g in grads if g.numel() > 0]
            total = red(stack(per)) if per else full((), 0.0, dtype=dtype)
        elif norm_type == 0:
            # Order 0 counts nonzeros: the count of gradients that hold a nonzero.
            per = stack([(g != 0).sum().to(dtype) for g in grads])
            total = (per != 0).sum().to(dtype)
        else:
            per = stack([(_C.abs(g) ** norm_type).sum().to(dtype) for g in grads])
            total = per.sum() ** (1.0 / norm_type)
    if error_if_nonfinite:
        tval = float(total.item())
        if math.isnan(tval) or math.isinf(tval):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
    return total


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scales the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm +
    1e-6))``, given a total norm computed beforehand (:func:`get_total_norm`).

    Args:
        parameters: a tensor or an iterable of tensors with ``.grad``.
        max_norm: the largest allowed norm.
        total_norm: 0-d tensor, the norm the factor is computed from.
        foreach: accepted for PyTorch compatibility; ignored.
    """
    from ... import _C, no_grad

    grads = _grads(parameters)
    if not grads:
        return
    with no_grad():
        # Every gradient is scaled by min(max_norm / (total + 1e-6), 1), as PyTorch does: a factor
        # of exactly 1 leaves it unchanged, and no value is read back, so ember.jit can trace it.
        coef = _C.clamp(float(max_norm) / (total_norm + 1e-6), None, 1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scales gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the per-gradient norms, as in PyTorch (see
    :func:`get_total_norm`); gradients are multiplied by ``min(1, max_norm / (total_norm +
    1e-6))`` (:func:`clip_grads_with_norm_`).

    Args:
        parameters: a tensor or an iterable of tensors with ``.grad``.
        max_norm: the largest allowed norm.
        norm_type: p of the p-norm; ``float('inf')`` for the max norm. Default 2.
        error_if_nonfinite: raise if the total norm is nan or inf.
    Returns:
        0-d tensor: the total norm before clipping.
    Raises:
        RuntimeError: non-finite total norm with ``error_if_nonfinite``.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamps every gradient element into ``[-clip_value, clip_value]`` in place."""
    from ... import no_grad

    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
