"""Keras layers (``keras.layers``): Dense, Activation, Dropout, Flatten, Reshape, Input,
BatchNormalization, Embedding, Lambda, and the :class:`Layer` base class to write new ones
(see ``ember.keras.layers.base`` for how)."""

from __future__ import annotations

from .base import Input, InputLayer, KerasTensor, Layer
from .core import Activation, Dense, Dropout, Embedding, Flatten, Lambda, Reshape
from .normalization import BatchNormalization

__all__ = [
    "Activation",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "Reshape",
]
