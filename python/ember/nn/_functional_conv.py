"""Functional convolution and pooling ops (re-exported by ``ember.nn.functional``)."""

from __future__ import annotations

__all__: list[str] = []
