"""Keras layers (``keras.layers``): Dense, Activation, ReLU, Softmax, Dropout, Flatten,
Reshape, Input, BatchNormalization, LayerNormalization, Embedding, Lambda, Add, Concatenate, and the :class:`Layer` base class to write new ones
(see ``ember.keras.layers.base`` for how)."""

from __future__ import annotations

from .base import Input, InputLayer, KerasTensor, Layer
from .core import Activation, Dense, Dropout, Embedding, Flatten, Lambda, ReLU, Reshape, Softmax
from .merging import Add, Concatenate
from .normalization import BatchNormalization, LayerNormalization

__all__ = [
    "Activation",
    "Add",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "ReLU",
    "Reshape",
    "Softmax",
]
