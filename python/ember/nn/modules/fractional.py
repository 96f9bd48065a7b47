"""Fractional max pooling layers of ``ember.nn``: ``FractionalMaxPool2d`` and
``FractionalMaxPool3d`` (Graham 2014)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _ntuple(v: Any, n: int) -> tuple:
    if isinstance(v, (list, tuple)):
        return tuple(v) if len(v) != 1 else tuple(v) * n
    return (v,) * n


class _FractionalMaxPoolNd(Module):
    _n = 2

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: float | Sequence[float] | None = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        self.kernel_size = _ntuple(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, n) if output_size is not None else None
        self.output_ratio = _ntuple(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and (
            len(self.output_ratio) != n or not all(0 < r < 1 for r in self.output_ratio)
        ):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Pools ``input``; shapes and errors as in the class docstring."""
        fn = F.fractional_max_pool2d if self._n == 2 else F.fractional_max_pool3d
        return fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling over ``(N, C, H, W)`` (Graham 2014); see
    :func:`ember.nn.functional.fractional_max_pool2d` for the window sequence.

    New random window offsets are drawn on every call unless ``_random_samples`` is given
    (then it is a buffer and the windows are fixed). The repr is ``FractionalMaxPool2d()``, as
    in PyTorch.

    Args:
        kernel_size: int or ``(kH, kW)``.
        output_size: int or ``(oH, oW)``, or None.
        output_ratio: float or pair in ``(0, 1)``: ``output = int(input_size * ratio)``, or
            None; exactly one of ``output_size`` and ``output_ratio`` is given.
        return_indices: also return the int64 flat positions ``h * W + w`` of the maxima.
        _random_samples: optional ``(N, C, 2)`` samples in ``[0, 1)`` (input's dtype).
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, oH, oW)`` or ``(C, oH, oW)``.
    Raises:
        ValueError: neither or both of ``output_size``/``output_ratio``, a ratio outside
            ``(0, 1)``; at call time the errors of the functional form.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    Example:
        >>> m = nn.FractionalMaxPool2d(2, output_ratio=0.5)
        >>> m(ember.randn(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """

    _n = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over ``(N, C, T, H, W)`` (Graham 2014); see
    :func:`ember.nn.functional.fractional_max_pool3d`.

    Args:
        kernel_size: int or ``(kT, kH, kW)``.
        output_size: int or ``(oT, oH, oW)``, or None.
        output_ratio: float or triple in ``(0, 1)``, or None; exactly one of ``output_size``
            and ``output_ratio`` is given.
        return_indices: also return the int64 flat positions ``t * H * W + h * W + w``.
        _random_samples: optional ``(N, C, 3)`` samples in ``[0, 1)`` (input's dtype).
    Shape:
        ``(N, C, T, H, W)`` or ``(C, T, H, W)`` -> ``(N, C, oT, oH, oW)`` or without ``N``.
    Raises:
        ValueError: neither or both of ``output_size``/``output_ratio``, a ratio outside
            ``(0, 1)``; at call time the errors of the functional form.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    """

    _n = 3
