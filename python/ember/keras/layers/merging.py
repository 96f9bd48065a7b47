"""Merge layers of the functional API: Add, Concatenate."""

from __future__ import annotations

from typing import Any

from ... import _C
from ..._C import Tensor
from .base import Layer, shape_str

__all__ = ["Add", "Concatenate"]


def _check_list(layer: Layer, inputs: Any) -> list:
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' must be called on a list of at "
                         "least 2 tensors")
    return list(inputs)


class Add(Layer):
    """Elementwise sum of a list of tensors of the same shape: ``Add()([a, b])``.

    Raises:
        ValueError: fewer than two inputs, or shapes that differ.
    """

    def call(self, inputs: list[Tensor]) -> Tensor:
        """``inputs[0] + inputs[1] + ...``."""
        xs = _check_list(self, inputs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out

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

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs: list[Tensor]) -> Tensor:
        """``ember.cat(inputs, axis)``."""
        return _C.cat(_check_list(self, inputs), self.axis)

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
