"""Adagrad (PyTorch's ``torch.optim.Adagrad``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .optimizer import (
    Optimizer,
    _check_implementation_flags,
    _full_like,
    _number,
    _step_counter,
    _validate,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate learning rates from the sum of squared gradients.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``):

    .. code-block:: text

        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * p                (if weight_decay != 0)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    The state (``"step"``, a 0-d float32 tensor, and ``"sum"``, filled with
    ``initial_accumulator_value``) is created in the constructor, like PyTorch's; parameters of
    groups added later get theirs on their first step. Parameters whose ``.grad`` is None are
    skipped.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sums (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: maximize the objective (default False).
        foreach, fused: accepted for PyTorch compatibility; ignored (every step is already one
            fused C++ call per param group).
        differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: any hyperparameter negative ("Invalid lr_decay value: -1").
    Reference:
        Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
        Optimization", JMLR 2011.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # g / sqrt(g * g) = sign(g)
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _validate(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, fused, differentiable)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Any, group: dict[str, Any]) -> None:
        state = self.state[p]
        state["step"] = _step_counter()
        state["sum"] = _full_like(p, _number(group["initial_accumulator_value"]))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Adagrad step over every param group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._groups_with_grads():
            sums, steps = [], []
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p, group)
                elif state["sum"].dtype != p.dtype and state["sum"].shape == p.shape:
                    # The sum is made with the optimizer, so a Module.to(dtype) after building
                    # it leaves it in the old dtype (PyTorch adds into it in that dtype).
                    state["sum"] = state["sum"].to(p.dtype)
                sums.append(state["sum"])
                steps.append(state["step"])
            _C._adagrad_step(
                params,
                grads,
                sums,
                steps,
                _number(group["lr"]),
                _number(group["lr_decay"]),
                _number(group["weight_decay"]),
                _number(group["eps"]),
                bool(group["maximize"]),
            )
        return loss
