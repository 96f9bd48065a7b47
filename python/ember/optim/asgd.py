"""ASGD (PyTorch's ``torch.optim.ASGD``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .._C import Tensor
from .optimizer import (
    Optimizer,
    _check_implementation_flags,
    _float32_scalar,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent: SGD with a decaying step size that also keeps a
    running average ``ax`` of the parameters, which is the estimate to use after training.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``), with ``eta`` and ``mu`` the values left by the previous step:

    .. code-block:: text

        g = g + weight_decay * p                   (if weight_decay != 0)
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + (p - ax) * mu                    (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    State per parameter (PyTorch's keys): ``"step"``, ``"eta"`` (starts at ``lr``), ``"mu"``
    (starts at 1), all 0-d float32 tensors, and ``"ax"`` (the average). Parameters whose
    ``.grad`` is None are skipped.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective (default False).
        foreach: accepted for PyTorch compatibility; ignored.
        capturable, differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: negative ``lr`` or ``weight_decay`` ("Invalid weight_decay value: -1").
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J.
        Control and Optimization 30(4), 1992.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.ASGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # p * (1 - 1e-5) - 0.1 * 2p
        >>> w
        tensor([ 0.8000, -0.8000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _validate(lr=lr, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state produced by :meth:`state_dict`; plain-number ``"eta"`` and ``"mu"``
        (older checkpoints) become 0-d float32 tensors, as in PyTorch.

        Args:
            state_dict: a dict with ``"state"`` and ``"param_groups"``.
        Raises:
            ValueError: a different number of groups, or a group of a different size.
        """
        super().load_state_dict(state_dict)
        for st in self.state.values():
            if not isinstance(st, dict):
                continue
            for key in ("eta", "mu"):
                if key in st and not isinstance(st[key], Tensor):
                    st[key] = _float32_scalar(st[key])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one ASGD step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("ASGD"):
            lr = _number(group["lr"])

            def initial_state(p: Tensor, lr: float = lr) -> dict[str, Tensor]:
                """A parameter's state before its first step (PyTorch's keys and order)."""
                return {
                    "step": _step_counter(),
                    "eta": _float32_scalar(lr),
                    "mu": _float32_scalar(1.0),
                    "ax": _zeros_like(p),
                }

            states = self._states_of(params, initial_state)
            _C._asgd_step(
                params,
                grads,
                [s["ax"] for s in states],
                [s["eta"] for s in states],
                [s["mu"] for s in states],
                [s["step"] for s in states],
                lr,
                _number(group["lambd"]),
                _number(group["alpha"]),
                _number(group["t0"]),
                _number(group["weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
