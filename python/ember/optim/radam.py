"""RAdam (PyTorch's ``torch.optim.RAdam``): rectified Adam, one fused C++ call per param group."""

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

__all__ = ["RAdam"]


def _initial_state(p: Tensor) -> dict[str, Tensor]:
    """A parameter's state before its first step (PyTorch's keys, in its order)."""
    return {"step": _step_counter(), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive learning rate is switched on, and rectified, only once the
    variance of the second-moment estimate is tractable.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``):

    .. code-block:: text

        p = p * (1 - lr * weight_decay)           (decoupled_weight_decay; RAdamW)
        g = g + weight_decay * p                  (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
        else:
            p = p - lr * m_hat                    (SGD with momentum for the first steps)

    State per parameter (PyTorch's keys): ``"step"`` (0-d float32 tensor), ``"exp_avg"`` and
    ``"exp_avg_sq"``. Parameters whose ``.grad`` is None are skipped. The step-dependent
    factors and the ``rho_t > 5`` choice are computed from ``"step"`` inside the fused C++ step,
    so a step traced by :func:`ember.jit.function` recomputes them on every run.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-3).
        betas: decay rates ``(beta1, beta2)`` of the first and second moments, each in [0, 1)
            (default ``(0.9, 0.999)``).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: weight decay coefficient (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW does (RAdamW; default
            False).
        foreach: accepted for PyTorch compatibility; ignored.
        maximize: maximize the objective (default False).
        capturable, differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: lr, eps or weight_decay negative, or a beta outside [0, 1)
            ("Invalid beta parameter at index 1: 1.0", as PyTorch).
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # rho_1 <= 5: a plain momentum step of lr * m_hat = lr * g
        >>> w
        tensor([ 0.8000, -0.8000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    _fix_loaded_group = _betas_as_tuple

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one RAdam step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("RAdam"):
            states = self._states_of(params, _initial_state)
            beta1, beta2 = group["betas"]
            _C._radam_step(
                params,
                grads,
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [s["step"] for s in states],
                _number(group["lr"]),
                _number(beta1),
                _number(beta2),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                bool(group["decoupled_weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
