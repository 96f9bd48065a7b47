"""NAdam (PyTorch's ``torch.optim.NAdam``): Adam with Nesterov momentum; one fused C++ call
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
    _float32_scalar,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["NAdam"]


def _initial_state(p: Tensor) -> dict[str, Tensor]:
    """A parameter's state before its first step (PyTorch's keys, in its order)."""
    return {
        "step": _step_counter(),
        "mu_product": _float32_scalar(1.0),
        "exp_avg": _zeros_like(p),
        "exp_avg_sq": _zeros_like(p),
    }


class NAdam(Optimizer):
    r"""NAdam: Adam whose first moment takes a Nesterov look-ahead step, with momentum warm-up.

    Per parameter and step ``t`` (its own count), gradient :math:`g` (negated when
    ``maximize``), ``psi = momentum_decay``:

    .. code-block:: text

        p = p * (1 - lr * weight_decay)           (decoupled_weight_decay; NAdamW)
        g = g + weight_decay * p                  (otherwise, if weight_decay != 0)
        mu_t     = beta1 * (1 - 0.5 * 0.96**(t * psi))
        mu_{t+1} = beta1 * (1 - 0.5 * 0.96**((t + 1) * psi))
        mu_product = mu_product * mu_t            (prod of mu_1 .. mu_t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / d
              - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / d

    State per parameter (PyTorch's keys): ``"step"`` (0-d float32 tensor), ``"mu_product"``
    (0-d float32 tensor, starting at 1; :meth:`load_state_dict` casts it to the parameter's
    dtype, as PyTorch does), ``"exp_avg"`` and ``"exp_avg_sq"``. Parameters whose ``.grad`` is
    None are skipped. The step-dependent factors are computed from ``"step"`` inside the fused
    C++ step, so a step traced by :func:`ember.jit.function` recomputes them on every run.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 2e-3).
        betas: decay rates ``(beta1, beta2)`` of the first and second moments, each in [0, 1)
            (default ``(0.9, 0.999)``).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: weight decay coefficient (default 0).
        momentum_decay: ``psi`` of the momentum schedule above, per step (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW does (NAdamW; default
            False).
        foreach: accepted for PyTorch compatibility; ignored.
        maximize: maximize the objective (default False).
        capturable, differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: lr, eps, weight_decay or momentum_decay negative, or a beta outside [0, 1)
            ("Invalid beta parameter at index 0: 1.0", as PyTorch).
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop; Loshchilov &
        Hutter, "Decoupled Weight Decay Regularization", 2019 (decoupled weight decay).
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8944, -0.8944], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    _fix_loaded_group = _betas_as_tuple

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state produced by :meth:`state_dict`; a plain-number ``"mu_product"`` (older
        checkpoints) becomes a 0-d float32 tensor, as in PyTorch.

        Args:
            state_dict: a dict with ``"state"`` and ``"param_groups"``.
        Raises:
            ValueError: a different number of groups, or a group of a different size.
        """
        super().load_state_dict(state_dict)
        for st in self.state.values():
            mu_product = st.get("mu_product") if isinstance(st, dict) else None
            if mu_product is not None and not isinstance(mu_product, Tensor):
                st["mu_product"] = _float32_scalar(mu_product)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one NAdam step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("NAdam"):
            states = self._states_of(params, _initial_state)
            beta1, beta2 = group["betas"]
            _C._nadam_step(
                params,
                grads,
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [s["mu_product"] for s in states],
                [s["step"] for s in states],
                _number(group["lr"]),
                _number(beta1),
                _number(beta2),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                _number(group["momentum_decay"]),
                bool(group["decoupled_weight_decay"]),
                bool(group["maximize"]),
            )
        return loss
