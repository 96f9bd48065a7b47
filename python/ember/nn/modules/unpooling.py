"""Max unpooling layers of ``ember.nn``: partial inverses of max pooling over 1-D, 2-D and 3-D
inputs (``F.max_unpool1d``/``2d``/``3d``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._C import Tensor
from .. import functional as F
from .._functional_sampling import _int_tuple as _ntuple
from .module import Module

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxUnpoolNd(Module):
    """Stores and checks ``kernel_size``, ``stride`` (default ``kernel_size``) and ``padding``
    as n-tuples; subclasses set ``_n`` and ``_fn``."""

    _n = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _ntuple(kernel_size, self._n, "kernel_size", name)
        self.stride = _ntuple(
            stride if stride is not None else kernel_size, self._n, "stride", name
        )
        self.padding = _ntuple(padding, self._n, "padding", name)
        if any(v <= 0 for v in self.kernel_size + self.stride):
            raise ValueError(
                f"{name}: kernel_size and stride must be positive, got kernel_size "
                f"{self.kernel_size} and stride {self.stride}"
            )
        if any(v < 0 for v in self.padding):
            raise ValueError(f"{name}: padding must be non-negative, got {self.padding}")

    def _unpool(self, fn: Any, input: Tensor, indices: Tensor, output_size: Any) -> Tensor:
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool1d` (``F.max_unpool1d``): each value goes to the
    position its index names, every other output is zero.

    Args:
        kernel_size: the pooling window, int or 1-tuple.
        stride: int or 1-tuple; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or 1-tuple. Default 0.
    Shape:
        ``(N, C, L_in)`` or ``(C, L_in)`` plus int64 indices of that shape ->
        ``(N, C, L_out)``, ``L_out = (L_in - 1) * stride - 2 * padding + kernel_size`` or
        ``output_size`` (``(L_out,)`` or ``(N, C, L_out)``) given to ``forward``.
    Raises:
        TypeError, ValueError: a non-int or non-positive kernel size or stride, or a negative
            padding; at call time as :func:`ember.nn.functional.max_unpool1d`.
    Example:
        >>> unpool = nn.MaxUnpool1d(2)
        >>> unpool
        MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
        >>> unpool(ember.tensor([[[5.0, 7.0]]]), ember.tensor([[[1, 2]]]))
        tensor([[[0., 5., 7., 0.]]])
    """

    _n = 1

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        """Unpools ``input`` at ``indices``; see the class docstring."""
        return self._unpool(F.max_unpool1d, input, indices, output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool2d` (``F.max_unpool2d``): each value goes to the flat
    position ``h * W_out + w`` its index names within its channel plane, every other output is
    zero. Several input sizes pool to the same size; ``output_size`` picks the one to restore.

    Args:
        kernel_size: the pooling window, int or pair.
        stride: int or pair; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or pair. Default 0.
    Shape:
        ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)`` plus int64 indices of that shape ->
        ``(N, C, H_out, W_out)``, ``H_out = (H_in - 1) * stride[0] - 2 * padding[0] +
        kernel_size[0]`` (likewise ``W_out``) or ``output_size`` given to ``forward``.
    Raises:
        TypeError, ValueError: a non-int or non-positive kernel size or stride, or a negative
            padding; at call time as :func:`ember.nn.functional.max_unpool2d`.
    Example:
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool
        MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
        >>> unpool(*pool(ember.arange(16.0).reshape(1, 1, 4, 4)))
        tensor([[[[ 0.,  0.,  0.,  0.],
                  [ 0.,  5.,  0.,  7.],
                  [ 0.,  0.,  0.,  0.],
                  [ 0., 13.,  0., 15.]]]])
    """

    _n = 2

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        """Unpools ``input`` at ``indices``; see the class docstring."""
        return self._unpool(F.max_unpool2d, input, indices, output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool3d` (``F.max_unpool3d``): each value goes to the flat
    position ``d * H_out * W_out + h * W_out + w`` its index names within its channel volume,
    every other output is zero.

    Args:
        kernel_size: the pooling window, int or triple.
        stride: int or triple; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or triple. Default 0.
    Shape:
        ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)`` plus int64 indices of that
        shape -> ``(N, C, D_out, H_out, W_out)``, each ``(in - 1) * stride - 2 * padding +
        kernel_size`` or from ``output_size`` given to ``forward``.
    Raises:
        TypeError, ValueError: a non-int or non-positive kernel size or stride, or a negative
            padding; at call time as :func:`ember.nn.functional.max_unpool3d`.
    Example:
        >>> unpool = nn.MaxUnpool3d(2)
        >>> unpool
        MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))
        >>> unpool(ember.ones(1, 1, 1, 1, 1), ember.tensor([[[[[7]]]]])).flatten()
        tensor([0., 0., 0., 0., 0., 0., 0., 1.])
    """

    _n = 3

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        """Unpools ``input`` at ``indices``; see the class docstring."""
        return self._unpool(F.max_unpool3d, input, indices, output_size)
