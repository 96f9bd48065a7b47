"""Utilities: ``ember.utils.data`` (datasets, samplers, DataLoader) and
``ember.utils.checkpoint`` (activation checkpointing)."""

from __future__ import annotations

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
