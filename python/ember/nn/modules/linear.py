"""``Linear``, ``Bilinear`` and ``Identity``."""

from __future__ import annotations

import math
from typing import Any

from ... import empty
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Bilinear", "Identity", "Linear"]


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Identity` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(out_features, in_features)``, initialized with
            ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(in_features), 1/sqrt(in_features)).
        bias: ``(out_features,)``, U(-1/sqrt(in_features), 1/sqrt(in_features)).
    Shape:
        input ``(*, in_features)`` -> output ``(*, out_features)``.
    Raises:
        ValueError: non-positive or non-integer feature counts.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features = in_features
        self.out_features = out_features
        kw = {} if dtype is None else {"dtype": dtype}
        self.weight = Parameter(empty(out_features, in_features, **kw))
        if bias:
            self.bias = Parameter(empty(out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initializes the parameters with PyTorch's default initialization for this layer."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Linear` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y = x1^T A x2 + b``: ``y[..., o] = sum_{i, j} x1[..., i] weight[o, i, j] x2[..., j] +
    bias[o]`` (``F.bilinear``).

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, U(-1/sqrt(in1_features),
            1/sqrt(in1_features)).
        bias: ``(out_features,)``, the same distribution.
    Shape:
        ``forward(input1, input2)``: ``(*, in1_features)`` and ``(*, in2_features)`` ->
        ``(*, out_features)``.
    Raises:
        ValueError: ``in1_features <= 0`` or non-integer feature counts; at call time the
            errors of :func:`ember.nn.functional.bilinear`.
    Example:
        >>> m = nn.Bilinear(3, 4, 2)
        >>> m
        Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)
        >>> m(ember.randn(5, 3), ember.randn(5, 4)).shape
        (5, 2)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v in (
            ("in1_features", in1_features),
            ("in2_features", in2_features),
            ("out_features", out_features),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, got {v!r}")
        if in1_features <= 0:
            raise ValueError(f"Bilinear: in1_features must be > 0, got {in1_features}")
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        kw = {} if dtype is None else {"dtype": dtype}
        self.weight = Parameter(empty(out_features, in1_features, in2_features, **kw))
        if bias:
            self.bias = Parameter(empty(out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialization: weight and bias U(-1/sqrt(in1_features),
        1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """Applies :class:`Bilinear`; shapes and errors as in the class docstring."""
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
