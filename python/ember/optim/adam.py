"""Adam (PyTorch's ``torch.optim.Adam``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .optimizer import (
    Optimizer,
    _betas_as_tuple,
    _check_implementation_flags,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation, with optional AMSGrad and decoupled weight decay.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``):

    .. code-block:: text

        p = p * (1 - lr * weight_decay)         (decoupled_weight_decay; AdamW)
        g = g + weight_decay * p                (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                   (amsgrad; used instead of v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``"step"`` (0-d float32 tensor), ``"exp_avg"``, ``"exp_avg_sq"`` and,
    with amsgrad, ``"max_exp_avg_sq"``. Parameters whose ``.grad`` is None are skipped.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-3).
        betas: decay rates ``(beta1, beta2)`` of the first and second moments, each in [0, 1)
            (default ``(0.9, 0.999)``).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the AMSGrad variant (default False).
        maximize: maximize the objective (default False).
        decoupled_weight_decay: decay the weights directly like AdamW (default False).
        foreach, fused: accepted for PyTorch compatibility; ignored (every step is already one
            fused C++ call per param group).
        differentiable, capturable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: lr, eps or weight_decay negative, or a beta outside [0, 1)
            ("Invalid beta parameter at index 0: 1.0").
    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014; Reddi et al., "On the
        Convergence of Adam and Beyond", 2018 (AMSGrad).
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first step moves each coordinate by about lr
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        _check_implementation_flags(foreach, fused, differentiable, capturable)
        super().__init__(params, defaults)

    _fix_loaded_group = _betas_as_tuple

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Adam step over every param group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._groups_with_grads():
            amsgrad = bool(group["amsgrad"])
            exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], []
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = _zeros_like(p)
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                if amsgrad:
                    max_sqs.append(state["max_exp_avg_sq"])
                steps.append(state["step"])
            beta1, beta2 = group["betas"]
            _C._adam_step(
                params,
                grads,
                exp_avgs,
                exp_avg_sqs,
                max_sqs,
                steps,
                _number(group["lr"]),
                _number(beta1),
                _number(beta2),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                amsgrad,
                bool(group["decoupled_weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
