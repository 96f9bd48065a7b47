"""Keras backend helpers (``keras.backend``)."""

from __future__ import annotations

__all__ = ["clear_session", "floatx"]


def clear_session() -> None:
    """Restarts automatic layer naming (``dense``, ``dense_1``, ...)."""
    from .layers.base import reset_names

    reset_names()


def floatx() -> str:
    """The default float type: ``'float32'``."""
    return "float32"
