"""Keras utilities (``keras.utils``): ``to_categorical``, ``set_random_seed``,
``plot_history``, and the text of ``Model.summary``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember
from ember.utils._atomic import atomic_open

__all__ = ["plot_history", "set_random_seed", "to_categorical"]


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """One-hot encodes integer class labels.

    Args:
        y: integer labels, any shape (a trailing dim of 1 is dropped).
        num_classes: number of classes; default ``max(y) + 1``.
    Returns:
        numpy array of shape ``y.shape + (num_classes,)``.
    Raises:
        ValueError: negative labels or labels >= ``num_classes``.
    """
    y = np.asarray(y.numpy() if isinstance(y, ember.Tensor) else y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    y = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}), got values in "
                         f"[{y.min()}, {y.max()}]")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def set_random_seed(seed: int) -> None:
    """Seeds ember's default generator and numpy (weights, shuffling, dropout)."""
    ember.manual_seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def plot_history(history: Any, path: str | os.PathLike = "history.png",
                 metrics: Sequence[str] | None = None) -> str:
    """Draws the per-epoch curves of a ``History`` (or its ``.history`` dict) to a PNG: one
    panel per quantity (``loss``, ``accuracy``, ...), training and ``val_`` curves together.

    Args:
        history: a ``keras.callbacks.History`` or a dict of per-epoch lists.
        path: output file (written atomically).
        metrics: the quantities to draw (default every non-``val_`` key).
    Returns:
        The path written.
    Raises:
        ImportError: matplotlib is not installed (``pip install matplotlib``).
        ValueError: an empty history or an unknown metric name.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib") from None
    h = history.history if hasattr(history, "history") else dict(history)
    if not h:
        raise ValueError("plot_history: the history is empty (fit for at least one epoch)")
    keys = list(metrics) if metrics is not None else [k for k in h if not k.startswith("val_")]
    for k in keys:
        if k not in h:
            raise ValueError(f"plot_history: no {k!r} in the history (has: {', '.join(h)})")
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.5), squeeze=False)
    logged = getattr(history, "_key_epochs", {})

    def epochs_of(key: str) -> list[int]:
        # 1-based epochs of each value (validation may skip epochs: validation_freq).
        """1-based epochs at which ``key`` was logged (validation may skip epochs)."""
        if key in logged and len(logged[key]) == len(h[key]):
            return [e + 1 for e in logged[key]]
        return list(range(1, len(h[key]) + 1))

    for ax, k in zip(axes[0], keys):
        ax.plot(epochs_of(k), h[k], marker="o", label=k)
        if f"val_{k}" in h:
            ax.plot(epochs_of(f"val_{k}"), h[f"val_{k}"], marker="o", label=f"val_{k}")
        ax.set_xlabel("epoch")
        ax.set_title(k)
        ax.legend()
    fig.tight_layout()
    path = os.fspath(path)
    try:
        with atomic_open(path) as fh:
            fig.savefig(fh, format="png")
    finally:
        plt.close(fig)
    return path


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def _summary_text(model: Any, line_length: int, positions: Sequence[float] | None) -> str:
    from .layers.base import InputLayer, shape_str
    from .models import Sequential

    if not model.built:
        raise ValueError(
            f"model '{model.name}' has not been built yet: give input_shape= to the first layer "
            "(or start with keras.Input), or call the model on data, before summary()"
        )
    positions = list(positions or [0.45, 0.85, 1.0])
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    header = ["Layer (type)", "Output Shape", "Param #"]

    def row(fields: list[str]) -> str:
        """One summary-table line: each field cut to end one space before the next column."""
        line = ""
        for i, f in enumerate(fields):  # each column cut to leave one space before the next
            line = (line + " " + f if i == 0 else line + f)[: positions[i] - 1]
            line = line.ljust(positions[i])
        return line.rstrip()

    lines = [f'Model: "{model.name}"', "_" * line_length, row(header), "=" * line_length]
    layers = model.layers
    if not isinstance(model, Sequential):
        layers = [l for l in layers]
    for i, layer in enumerate(layers):
        try:
            out = shape_str(layer._output_shape) if layer._output_shape is not None else "?"
        except Exception:
            out = "?"
        params = sum(w.numel() for w in layer.weights) if layer.built else 0
        lines.append(row([f"{layer.name} ({type(layer).__name__})", out, f"{params:,}"]))
        if i < len(layers) - 1:
            lines.append("")
    lines.append("=" * line_length)
    total = sum(w.numel() for w in model.weights)
    trainable = sum(w.numel() for w in model.trainable_weights)
    size = sum(w.numel() * w.element_size() for w in model.weights)
    tsize = sum(w.numel() * w.element_size() for w in model.trainable_weights)
    lines.append(f"Total params: {total:,} ({_fmt_bytes(size)})")
    lines.append(f"Trainable params: {trainable:,} ({_fmt_bytes(tsize)})")
    lines.append(f"Non-trainable params: {total - trainable:,} ({_fmt_bytes(size - tsize)})")
    lines.append("_" * line_length)
    del InputLayer
    return "\n".join(lines)
