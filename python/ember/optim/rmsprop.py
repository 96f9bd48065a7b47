"""RMSprop (PyTorch's ``torch.optim.RMSprop``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .optimizer import (
    Optimizer,
    _check_implementation_flags,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: divides the gradient by a running root mean square of recent gradients.

    Per parameter and step, gradient :math:`g` (negated when ``maximize``):

    .. code-block:: text

        g = g + weight_decay * p                            (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - a * a) + eps, a = alpha * a + (1 - alpha) * g   (centered)
        avg = sqrt(v) + eps                                 (otherwise)
        b = momentum * b + g / avg; p = p - lr * b          (momentum > 0)
        p = p - lr * g / avg                                (otherwise)

    State per parameter: ``"step"``, ``"square_avg"``, ``"momentum_buffer"`` (momentum > 0) and
    ``"grad_avg"`` (centered). Parameters whose ``.grad`` is None are skipped.

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: learning rate per step (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance (default False).
        maximize: maximize the objective (default False).
        foreach: accepted for PyTorch compatibility; ignored (every step is already one
            fused C++ call per param group).
        differentiable, capturable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: negative lr, eps, momentum, weight_decay or alpha ("Invalid alpha value: -1").
    Reference:
        Hinton, Lecture 6e of "Neural Networks for Machine Learning" (Coursera, 2012); Graves,
        "Generating Sequences With Recurrent Neural Networks", 2013 (centered form).
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()  # g / sqrt(0.01 * g * g) = 10 * sign(g)
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one RMSprop step over every param group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._groups_with_grads():
            momentum = _number(group["momentum"])
            centered = bool(group["centered"])
            square_avgs, grad_avgs, buffers, steps = [], [], [], []
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["square_avg"] = _zeros_like(p)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = _zeros_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = _zeros_like(p)
                square_avgs.append(state["square_avg"])
                if momentum > 0:
                    buffers.append(state["momentum_buffer"])
                if centered:
                    grad_avgs.append(state["grad_avg"])
                steps.append(state["step"])
            _C._rmsprop_step(
                params,
                grads,
                square_avgs,
                grad_avgs,
                buffers,
                steps,
                _number(group["lr"]),
                _number(group["alpha"]),
                _number(group["eps"]),
                _number(group["weight_decay"]),
                momentum,
                centered,
                bool(group["maximize"]),
            )
        return loss
