"""``ember.keras``: the Keras workflow on ember's engine.

``Sequential``/``Model`` with ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary`` and
``save``, Keras's layers, losses, metrics, optimizers and callbacks, with Keras's names,
defaults and semantics, built on ``ember.nn``/``ember.optim``: one engine, two front ends.

Example:
    >>> from ember import keras
    >>> model = keras.Sequential([
    ...     keras.layers.Dense(10, activation="relu", input_shape=(784,)),
    ...     keras.layers.Dense(10, activation="softmax"),
    ... ])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
    ...               metrics=["accuracy"])
    >>> model.fit(x_train, y_train, epochs=5)  # doctest: +SKIP
"""

from __future__ import annotations

from . import (
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from .layers import Input
from .models import Model, Sequential

models.load_model = saving.load_model  # keras.models.load_model
models.model_from_json = saving.model_from_json
models.save_model = saving.save_model

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]
