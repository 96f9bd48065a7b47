"""AdamW: Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay: ``p = p * (1 - lr * weight_decay)`` before the Adam
    update, instead of adding ``weight_decay * p`` to the gradient. See :class:`Adam` for the
    update and the state.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-3).
        betas: ``(beta1, beta2)``, each in [0, 1) (default ``(0.9, 0.999)``).
        eps: added to the denominator (default 1e-8).
        weight_decay: decoupled decay coefficient (default 1e-2).
        amsgrad: use the AMSGrad variant (default False).
        maximize: maximize the objective (default False).
        foreach, fused: accepted for PyTorch compatibility; ignored (every step is already one
            fused C++ call per param group).
        differentiable, capturable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: as :class:`Adam`.
    Reference:
        Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.AdamW([w], lr=0.1)  # weight_decay=0.01
        >>> (w * w).sum().backward()
        >>> opt.step()  # 1 * (1 - 0.1 * 0.01) - 0.1
        >>> w
        tensor([ 0.8990, -0.8990], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def _fix_loaded_group(self, group: dict[str, Any]) -> None:
        super()._fix_loaded_group(group)
        group["decoupled_weight_decay"] = True
