"""``Parameter``: a tensor that a :class:`~ember.nn.Module` registers as learnable."""

from __future__ import annotations

from typing import Any

from .._C import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter.

    Assigning a ``Parameter`` as a module attribute registers it, so it appears in
    ``parameters()`` and ``state_dict()``. It shares memory with ``data`` (no copy).

    Args:
        data: the initial value (a Tensor); default an empty float32 tensor.
        requires_grad: whether the parameter records gradients. Default True.
    Example:
        >>> p = Parameter(ember.zeros(2))
        >>> p.requires_grad
        True
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            from .. import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        super().__init__(data.detach())
        if requires_grad:
            Tensor.requires_grad_(self, True)

    def requires_grad_(self, requires_grad: bool = True) -> Parameter:  # type: ignore[override]
        """Sets ``requires_grad`` in place and returns the parameter itself."""
        Tensor.requires_grad_(self, requires_grad)
        return self

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self.detach().clone(), self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)
