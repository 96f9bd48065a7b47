"""Merge layers of the functional API: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot.

Masks (Keras 3.4+, ``keras.layers.Merge``): the element-wise merges support masking; their
output mask is the logical OR of the inputs' step masks when every input has one (a step is
valid when it is valid in some input), else None. ``Add`` counts a masked step of an input as
zeros, ``Multiply`` as ones (and zeroes the steps masked in every input), ``Maximum`` and
``Minimum`` take the other inputs' values there; ``Subtract`` and ``Average`` use the values as
they are. ``Concatenate``'s mask is the inputs' masks (all True for an input without one)
concatenated along ``axis``, reduced with ``any`` over the last axis. ``Dot`` outputs no mask.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ember

from ... import _C
from ..._C import Tensor
from .base import Layer, _input_masks, shape_str

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract"]


def _check_list(layer: Layer, inputs: Any) -> list:
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' must be called on a list of at "
                         "least 2 tensors")
    return list(inputs)


def _bool_mask(mask: Any) -> Tensor:
    """``mask`` (tensor or array) as a bool tensor."""
    if not isinstance(mask, Tensor):
        mask = ember.from_numpy(np.array(mask, dtype=bool, order="C"))
    return mask if mask.dtype == ember.bool else mask != 0


def _check_masks(layer: Layer, inputs: Any, mask: Any) -> list:
    """``mask`` as a list of masks (None or bool tensors), one per input.

    Raises:
        ValueError: ``mask`` or ``inputs`` not a list, or lists of different lengths.
    """
    head = f"{type(layer).__name__} '{layer.name}': "
    if not isinstance(mask, (tuple, list)):
        msg = f"{head}`mask` should be a list. Received: mask={mask!r}"
        raise ValueError(msg)  # noqa: TRY004 (Keras's type)
    if not isinstance(inputs, (tuple, list)):
        msg = f"{head}`inputs` should be a list. Received: inputs={inputs!r}"
        raise ValueError(msg)  # noqa: TRY004 (Keras's type)
    if len(mask) != len(inputs):
        raise ValueError(f"{head}the lists `inputs` and `mask` should have the same length; "
                         f"got {len(inputs)} inputs and {len(mask)} masks")
    return [None if m is None else _bool_mask(m) for m in mask]


def _or_mask(layer: Layer, inputs: Any, mask: Any) -> Tensor | None:
    """Keras's ``Merge.compute_mask``: the OR of the masks when every input has one, else
    None."""
    if mask is None:
        return None
    masks = _check_masks(layer, inputs, mask)
    if any(m is None for m in masks):
        return None
    out = masks[0]
    for m in masks[1:]:
        out = _C.logical_or(out, m)
    return out


def _call_masks(inputs: list, mask: Any) -> list:
    """The step masks of a merge call's inputs (from ``mask`` or the tensors), None for an
    input without one; a mask broadcasts over the input's trailing (feature) axes."""
    if mask is None:
        mask = _input_masks(inputs)
    if mask is None:
        return [None] * len(inputs)
    masks = list(mask) + [None] * (len(inputs) - len(mask))
    return [None if m is None else _expand(_bool_mask(m), x) for m, x in zip(masks, inputs)]


def _expand(mask: Tensor, x: Tensor) -> Tensor:
    """``mask`` with trailing axes of size 1 up to ``x``'s rank (broadcasts against ``x``)."""
    extra = x.dim() - mask.dim()
    return mask.reshape(*mask.shape, *([1] * extra)) if extra > 0 else mask


def _fold(op: Callable[[Tensor, Tensor], Tensor], xs: list) -> Tensor:
    """``op`` applied left to right over ``xs``: ``op(op(xs[0], xs[1]), xs[2])``..."""
    return functools.reduce(op, xs)


def _merge_or_fold(op: Callable[[Tensor, Tensor], Tensor], xs: list, masks: list) -> Tensor:
    """:func:`_merge_or_mask` when any input has a mask, else :func:`_fold`."""
    if any(m is not None for m in masks):
        return _merge_or_mask(op, xs, masks)
    return _fold(op, xs)


def _merge_or_mask(op: Callable[[Tensor, Tensor], Tensor], xs: list,
                   masks: list) -> Tensor:
    """Keras's ``Merge._apply_merge_op_and_or_mask`` (``Maximum``, ``Minimum``): a masked step
    of one input takes the running result's value (or gives its own where the result's is
    masked), so masked values do not enter the result while an unmasked one exists."""
    out, out_mask = xs[0], masks[0]
    for x, m in zip(xs[1:], masks[1:]):
        if m is not None:
            x = ember.where(m, x, out)
        if out_mask is not None:
            out = ember.where(out_mask, out, x)
        out_mask = _C.logical_or(out_mask, m) if m is not None and out_mask is not None else None
        out = op(out, x)
    return out


class Add(Layer):
    """Elementwise sum of a list of tensors of the same shape: ``Add()([a, b])``.

    A masked step of an input counts as zeros; the output mask is the OR of the input masks
    when every input has one (see the module docstring).

    Raises:
        ValueError: fewer than two inputs, or shapes that differ.
    """

    supports_masking = True

    def call(self, inputs: list[Tensor], mask: Any = None) -> Tensor:
        """``inputs[0] + inputs[1] + ...`` (masked steps of an input as zeros)."""
        xs = _check_list(self, inputs)
        masks = _call_masks(xs, mask)
        xs = [x if m is None else ember.where(m, x, 0.0) for x, m in zip(xs, masks)]
        return _fold(operator.add, xs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The OR of the input masks when every input has one, else None.

        Raises:
            ValueError: ``mask`` or ``inputs`` not lists of the same length.
        """
        return _or_mask(self, inputs, mask)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The common input shape."""
        shapes = _check_list(self, input_shape)
        if any(tuple(s) != tuple(shapes[0]) for s in shapes[1:]):
            raise ValueError(f"Add '{self.name}': inputs must have the same shape, got "
                             f"{', '.join(shape_str(tuple(s)) for s in shapes)}")
        return tuple(shapes[0])

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype[0] if isinstance(input_dtype, list) else input_dtype


class Concatenate(Layer):
    """Concatenates a list of tensors along ``axis`` (default -1, the features).

    Raises:
        ValueError: fewer than two inputs, or shapes differing off ``axis``.
    """

    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs: list[Tensor]) -> Tensor:
        """``ember.cat(inputs, axis)``."""
        return _C.cat(_check_list(self, inputs), self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's: each input's mask broadcast to the input's shape (all True for an input
        without one), concatenated along ``axis``, then ``any`` over the last axis. Along the
        steps axis (``axis=1`` of ``(batch, steps, features)``) that concatenates the step
        masks; along the features it is the OR of the masks (all True when an input has
        none). None when no input has a mask.

        Raises:
            ValueError: ``mask`` or ``inputs`` not lists of the same length.
        """
        if mask is None:
            return None
        masks = _check_masks(self, inputs, mask)
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(ember.ones(*x.shape, dtype=ember.bool))
            elif m.dim() < x.dim():
                full.append(_expand(m, x).expand(*x.shape))
            else:
                full.append(m)
        return _C.cat(full, self.axis).any(-1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with the ``axis`` sizes summed."""
        shapes = [tuple(s) for s in _check_list(self, input_shape)]
        rank = len(shapes[0])
        axis = self.axis % rank
        for s in shapes[1:]:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                     if i != axis and i != 0):
                raise ValueError(
                    f"Concatenate '{self.name}': inputs must match except on axis {self.axis}, got "
                    f"{', '.join(shape_str(x) for x in shapes)}")
        sizes = [s[axis] for s in shapes]
        total = None if any(d is None for d in sizes) else sum(sizes)
        return shapes[0][:axis] + (total,) + shapes[0][axis + 1:]

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype[0] if isinstance(input_dtype, list) else input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["axis"] = self.axis
        return config


class _Merge(Layer):
    """Element-wise merge of a list of tensors of one rank whose shapes broadcast (each
    dimension equal, or 1 in all but one of them), as Keras's merge layers."""

    _min_inputs = 2

    def _inputs(self, inputs: Any) -> list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self._min_inputs:
            n = len(inputs) if isinstance(inputs, (list, tuple)) else "not a list"
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on a list of at "
                             f"least {self._min_inputs} tensors, got {n}")
        return list(inputs)

    supports_masking = True

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        raise NotImplementedError

    def call(self, inputs: list[Tensor], mask: Any = None) -> Tensor:
        """The merged tensor (see the module docstring for masked inputs).

        Raises:
            ValueError: too few inputs, or shapes that do not broadcast.
        """
        xs = self._inputs(inputs)
        self.compute_output_shape([tuple(x.shape) for x in xs])
        return self._merge(xs, _call_masks(xs, mask))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The OR of the input masks when every input has one, else None.

        Raises:
            ValueError: ``mask`` or ``inputs`` not lists of the same length.
        """
        return _or_mask(self, inputs, mask)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The broadcast shape of the inputs (batch dim None).

        Raises:
            ValueError: different ranks, or a dimension that differs without being 1.
        """
        shapes = [tuple(s) for s in self._inputs(input_shape)]
        bad = ValueError(f"{type(self).__name__} '{self.name}': inputs must have shapes that "
                         f"broadcast (the same rank, each dimension equal or 1), got "
                         f"{', '.join(shape_str(s) for s in shapes)}")
        if any(len(s) != len(shapes[0]) for s in shapes):
            raise bad
        out = []
        for dims in zip(*shapes):
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1:
                raise bad
            if known:
                out.append(known.pop())
            elif any(d is None for d in dims):
                out.append(None)
            else:
                out.append(1)
        return tuple(out)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype[0] if isinstance(input_dtype, list) else input_dtype


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` for exactly two tensors: ``Subtract()([a, b])``.

    Raises:
        ValueError: not exactly two inputs, or shapes that do not broadcast.
    Example:
        >>> keras.layers.Subtract()([ember.tensor([[3.0]]), ember.tensor([[1.0]])])
        tensor([[2.]])
    """

    def _inputs(self, inputs: Any) -> list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            n = len(inputs) if isinstance(inputs, (list, tuple)) else "not a list"
            raise ValueError(f"Subtract '{self.name}' must be called on exactly 2 inputs, got {n}")
        return list(inputs)

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        return xs[0] - xs[1]


class Multiply(_Merge):
    """Element-wise product of a list of tensors: ``Multiply()([a, b, ...])``.

    Raises:
        ValueError: fewer than two inputs, or shapes that do not broadcast.
    """

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        # Keras: a masked step is a factor 1; steps masked in every input give 0.
        xs = [x if m is None else ember.where(m, x, 1.0) for x, m in zip(xs, masks)]
        out = _fold(operator.mul, xs)
        if all(m is not None for m in masks):
            keep = masks[0]
            for m in masks[1:]:
                keep = _C.logical_or(keep, m)
            out = ember.where(keep, out, 0.0)
        return out


class Average(_Merge):
    """Element-wise mean of a list of tensors: ``Average()([a, b, ...])``.

    Raises:
        ValueError: fewer than two inputs, or shapes that do not broadcast.
    """

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        return _fold(operator.add, xs) / float(len(xs))


class Maximum(_Merge):
    """Element-wise maximum of a list of tensors: ``Maximum()([a, b, ...])``.

    Raises:
        ValueError: fewer than two inputs, or shapes that do not broadcast.
    """

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        return _merge_or_fold(_C.maximum, xs, masks)


class Minimum(_Merge):
    """Element-wise minimum of a list of tensors: ``Minimum()([a, b, ...])``.

    Raises:
        ValueError: fewer than two inputs, or shapes that do not broadcast.
    """

    def _merge(self, xs: list[Tensor], masks: list) -> Tensor:
        return _merge_or_fold(_C.minimum, xs, masks)


_NORM_EPS = 1e-7  # Keras's backend epsilon, the lower bound of the norm in ops.normalize


class Dot(Layer):
    """Batched dot product of two tensors along ``axes`` (Keras's ``batch_dot``): for each
    sample, the sum over the contracted axis of ``x1 * x2``; the remaining axes of ``x1`` then
    those of ``x2`` (without the batch axis) form the output. Two ``(batch, d)`` inputs give
    ``(batch, 1)``; ``(batch, n, d)`` and ``(batch, m, d)`` with ``axes=2`` give ``(batch,
    n, m)``.

    Args:
        axes: int (the same axis of both inputs; negative counts from each one's end) or a
            pair ``(axis1, axis2)``. Axes count the batch axis as 0.
        normalize: L2-normalize both inputs along the contracted axes first (``x / max(||x||,
            1e-7)``), so two-vector outputs are cosine similarities (default False).
        **kwargs: :class:`Layer` arguments.
    Raises:
        TypeError: ``axes`` neither an int nor a pair.
        ValueError: a pair of the wrong length or with non-int entries; (at call) not two
            inputs, a contracted batch axis, or contracted axes of different sizes.
    Example:
        >>> a, b = ember.tensor([[1.0, 2.0]]), ember.tensor([[3.0, 4.0]])
        >>> keras.layers.Dot(axes=1)([a, b])
        tensor([[11.]])
    """

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, bool) or not isinstance(axes, (int, list, tuple)):
            raise TypeError(f"Dot: invalid type for argument axes: it should be an int or a pair "
                            f"of ints, got axes={axes!r}")
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: invalid format for argument axes: the list should contain "
                                 f"two elements, got axes={axes!r}")
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"Dot: invalid format for argument axes: list elements should be "
                                 f"integers, got axes={axes!r}")
            axes = [int(a) for a in axes]
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve(self, s1: tuple, s2: tuple) -> list[int]:
        if isinstance(self.axes, int):
            axes = ([self.axes % len(s1), self.axes % len(s2)] if self.axes < 0
                    else [self.axes, self.axes])
        else:
            axes = [self.axes[0] % len(s1), self.axes[1] % len(s2)]
        head = f"Dot '{self.name}': "
        if any(not 0 <= a < len(s) for a, s in zip(axes, (s1, s2))):
            raise ValueError(f"{head}axes {self.axes} are out of range for input shapes "
                             f"{shape_str(s1)}, {shape_str(s2)}")
        if 0 in axes:
            raise ValueError(f"{head}cannot contract the batch axis (axes={self.axes}); input "
                             f"shapes {shape_str(s1)}, {shape_str(s2)}")
        d1, d2 = s1[axes[0]], s2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"{head}incompatible input shapes: axis values {d1} (at axis "
                             f"{axes[0]}) != {d2} (at axis {axes[1]}); full input shapes "
                             f"{shape_str(s1)}, {shape_str(s2)}")
        return axes

    def _pair(self, inputs: Any) -> list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            n = len(inputs) if isinstance(inputs, (list, tuple)) else "not a list"
            raise ValueError(f"Dot '{self.name}' must be called on a list of 2 inputs, got {n}")
        return list(inputs)

    def call(self, inputs: list[Tensor]) -> Tensor:
        """``batch_dot(x1, x2, axes)`` (after L2 normalization with ``normalize``).

        Raises:
            ValueError: see the class docstring.
        """
        x1, x2 = self._pair(inputs)
        a1, a2 = self._resolve(tuple(x1.shape), tuple(x2.shape))
        if self.normalize:
            x1 = x1 / _C.clamp((x1 * x1).sum(a1, keepdim=True).sqrt(), _NORM_EPS, None)
            x2 = x2 / _C.clamp((x2 * x2).sum(a2, keepdim=True).sqrt(), _NORM_EPS, None)
        b, d = int(x1.shape[0]), int(x1.shape[a1])
        rest1 = [int(s) for i, s in enumerate(x1.shape) if i not in (0, a1)]
        rest2 = [int(s) for i, s in enumerate(x2.shape) if i not in (0, a2)]
        m1 = x1.movedim(a1, -1).reshape(b, -1, d)
        m2 = x2.movedim(a2, 1).reshape(b, d, -1)
        out = _C.bmm(m1, m2).reshape(b, *rest1, *rest2)
        return out.unsqueeze(1) if out.dim() == 1 else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """None: the output has no steps to mask (Keras's ``Dot``)."""
        return None

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``x1``'s shape without the contracted axis, then ``x2``'s without it and without
        the batch axis; ``(batch, 1)`` when nothing remains."""
        s1, s2 = (tuple(s) for s in self._pair(input_shape))
        a1, a2 = self._resolve(s1, s2)
        out = [d for i, d in enumerate(s1) if i != a1] + [d for i, d in enumerate(s2)
                                                          if i not in (0, a2)]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype[0] if isinstance(input_dtype, list) else input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}
