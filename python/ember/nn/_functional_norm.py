"""Functional normalization, padding, resampling and 2-D dropout ops (re-exported by ``ember.nn.functional``)."""

from __future__ import annotations

__all__: list[str] = []
