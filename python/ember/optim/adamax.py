"""Adamax (PyTorch's ``torch.optim.Adamax``): Adam with an infinity norm; one fused C++ call
per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .._C import Tensor
from .optimizer import (
    Optimizer,
    _betas_as_tuple,
    _check_implementation_flags,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["Adamax"]


def _initial_state(p: Tensor) -> dict[str, Tensor]:
    """A parameter's state before its first step (PyTorch's keys, in its order)."""
    return {"step": _step_counter(), "exp_avg": _zeros_like(p), "exp_inf": _zeros_like(p)}


class Adamax(Optimizer):
    r"""Adamax: the variant of Adam whose second moment is an exponentially weighted infinity
    norm of the gradients.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``):

    .. code-block:: text

        g = g + weight_decay * p                  (if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    State per parameter (PyTorch's keys): ``"step"`` (0-d float32 tensor), ``"exp_avg"`` (m)
    and ``"exp_inf"`` (u). Parameters whose ``.grad`` is None are skipped. The bias correction
    is computed from ``"step"`` inside the fused C++ step, so a step traced by
    :func:`ember.jit.function` recomputes it on every run.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 2e-3).
        betas: decay rates ``(beta1, beta2)`` of the first moment and of the infinity norm,
            each in [0, 1) (default ``(0.9, 0.999)``).
        eps: added to ``|g|`` for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        foreach: accepted for PyTorch compatibility; ignored.
        maximize: maximize the objective (default False).
        differentiable, capturable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: lr, eps or weight_decay negative, or a beta outside [0, 1)
            ("Invalid epsilon value: -1e-08", as PyTorch).
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.1.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first step moves each coordinate by about lr
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    _fix_loaded_group = _betas_as_tuple

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Adamax step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("Adamax"):
            states = self._states_of(params, _initial_state)
            beta1, beta2 = group["betas"]
            _C._adamax_step(
                params,
                grads,
                [s["exp_avg"] for s in states],
                [s["exp_inf"] for s in states],
                [s["step"] for s in states],
                _number(group["lr"]),
                _number(beta1),
                _number(beta2),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
