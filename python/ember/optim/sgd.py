"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``), one fused C++ call per group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .optimizer import Optimizer, _check_implementation_flags, _number

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (heavy-ball or Nesterov).

    Per parameter and step, with gradient :math:`g` (negated when ``maximize``):

    .. code-block:: text

        g = g + weight_decay * p                        (if weight_decay != 0)
        b = g                                           (first step)
        b = momentum * b + (1 - dampening) * g          (later steps; if momentum != 0)
        g = g + momentum * b if nesterov else b         (if momentum != 0)
        p = p - lr * g

    Parameters whose ``.grad`` is None are skipped. The state holds ``"momentum_buffer"`` per
    parameter when ``momentum != 0``.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty coefficient (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        foreach, fused: accepted for PyTorch compatibility; ignored (every step is already one
            fused C++ call per param group).
        differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: negative lr, momentum or weight_decay ("Invalid learning rate: -0.1", ...),
            or Nesterov without momentum or with dampening.
    Reference:
        Sutskever et al., "On the importance of initialization and momentum in deep learning",
        2013 (PyTorch's formulation of momentum).
    Example:
        >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_implementation_flags(foreach, fused, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one SGD step over every param group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._groups_with_grads():
            momentum = _number(group["momentum"])
            buffers = (
                [self.state[p].get("momentum_buffer") for p in params] if momentum != 0 else []
            )
            new_buffers = _C._sgd_step(
                params,
                grads,
                buffers,
                _number(group["lr"]),
                momentum,
                _number(group["dampening"]),
                _number(group["weight_decay"]),
                bool(group["nesterov"]),
                bool(group["maximize"]),
            )
            for p, old, new in zip(params, buffers, new_buffers):
                if old is None:
                    self.state[p]["momentum_buffer"] = new
        return loss
