"""Rprop (PyTorch's ``torch.optim.Rprop``), one fused C++ call per param group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import _C
from .._C import Tensor
from .optimizer import (
    Optimizer,
    _check_implementation_flags,
    _full_like,
    _number,
    _step_counter,
    _validate,
    _zeros_like,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop: resilient backpropagation. Each element moves by its own step size in the
    direction opposite to its gradient's sign; the step grows while the sign holds and shrinks
    when it flips. Meant for full-batch training.

    Per parameter and element, gradient :math:`g` (negated when ``maximize``), previous
    gradient ``prev`` and step size ``s``:

    .. code-block:: text

        f = etaplus  if g * prev > 0
            etaminus if g * prev < 0
            1        otherwise
        s = clamp(s * f, step_size_min, step_size_max)
        g = 0 if f == etaminus                     (after a sign change: no move this step)
        p = p - sign(g) * s
        prev = g

    State per parameter (PyTorch's keys): ``"step"`` (0-d float32 tensor), ``"prev"`` (zeros
    at first) and ``"step_size"`` (filled with the group's ``lr`` on the first step).
    Parameters whose ``.grad`` is None are skipped. A NaN gradient leaves its element in place
    (``sign`` is 0 for NaN, as in PyTorch).

    Args:
        params: tensors to optimize, or dicts defining param groups.
        lr: initial step size (default 1e-2).
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow the step, with
            ``0 < etaminus < 1 < etaplus`` (default ``(0.5, 1.2)``).
        step_sizes: ``(step_size_min, step_size_max)``, the bounds of the step size (default
            ``(1e-6, 50)``).
        maximize: maximize the objective (default False).
        foreach: accepted for PyTorch compatibility; ignored.
        capturable, differentiable: must be False (NotImplementedError otherwise).
    Raises:
        ValueError: negative ``lr`` ("Invalid learning rate: -1"), or etas out of order
            ("Invalid eta values: 1.5, 1.2", as PyTorch).
        NotImplementedError: ``capturable`` or ``differentiable`` is True.
    Reference:
        Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation Learning: The
        RPROP Algorithm", IEEE ICNN 1993.
    Example:
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # prev is 0 at first: f = 1, each element moves by lr against its sign
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _tensor_step = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "maximize": maximize,
        }
        _check_implementation_flags(foreach, None, differentiable, capturable)
        super().__init__(params, defaults)

    def _fix_loaded_group(self, group: dict[str, Any]) -> None:
        """Loaded ``etas`` and ``step_sizes`` given as lists become tuples again."""
        for key in ("etas", "step_sizes"):
            if isinstance(group.get(key), list):
                group[key] = tuple(group[key])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Rprop step over every param group: one fused C++ call per group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.
        Returns:
            The closure's loss, or None.
        Raises:
            TypeError: a parameter with an integer or bool dtype (checked before any update).
        """
        loss = self._run_closure(closure)
        for group, params, grads in self._checked_groups_with_grads("Rprop"):
            lr = _number(group["lr"])

            def initial_state(p: Tensor, lr: float = lr) -> dict[str, Tensor]:
                """A parameter's state before its first step (PyTorch's keys and order)."""
                return {
                    "step": _step_counter(),
                    "prev": _zeros_like(p),
                    "step_size": _full_like(p, lr),
                }

            states = self._states_of(params, initial_state)
            etaminus, etaplus = group["etas"]
            lo, hi = group["step_sizes"]
            _C._rprop_step(
                params,
                grads,
                [s["prev"] for s in states],
                [s["step_size"] for s in states],
                [s["step"] for s in states],
                _number(etaminus),
                _number(etaplus),
                _number(lo),
                _number(hi),
                bool(group["maximize"]),
            )
        return loss
