"""Adadelta (PyTorch's ``torch.optim.Adadelta``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .._C import Tensor
from .optimizer import (
    Optimizer,
    _check_implementation_flags,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["Adadelta"]


def _initial_state(p: Tensor) -> dict[str, Tensor]:
    """A parameter's state before its first step (PyTorch's keys, in its order)."""
    return {"step": _step_counter(), "square_avg": _zeros_like(p), "acc_delta": _zeros_like(p)}


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of running RMS of past updates to running RMS of
    gradients, so no global learning rate has to be tuned (``lr`` only scales the result).

    Per parameter and step, gradient :math:`g` (negated when ``maximize``):

    .. code-block:: text

        g = g + weight_decay * p                  (if weight_decay != 0)
        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d

    State per parameter (PyTorch's keys): ``"step"`` (0-d float32 tensor), ``"square_avg"`` (v)
    and ``"acc_delta"`` (u). Parameters whose ``.grad`` is None are skipped.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: factor applied to the update ``d`` (default 1.0).
        rho: decay rate of the running averages, in [0, 1] (default 0.9).
        eps: added inside both square roots for stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        foreach: accepted for PyTorch compatibility; ignored.
        maximize: maximize the objective (default False).
        capturable, differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: lr, eps or weight_decay negative, or rho outside [0, 1]
            ("Invalid rho value: 1.5", as PyTorch).
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adadelta([w])
        >>> (w * w).sum().backward()
        >>> opt.step()  # d = sqrt(eps) / sqrt(0.1 * 4 + eps) * 2: about 3.2e-3
        >>> w
        tensor([ 0.9968, -0.9968], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Adadelta step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("Adadelta"):
            states = self._states_of(params, _initial_state)
            _C._adadelta_step(
                params,
                grads,
                [s["square_avg"] for s in states],
                [s["acc_delta"] for s in states],
                [s["step"] for s in states],
                _number(group["lr"]),
                _number(group["rho"]),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
