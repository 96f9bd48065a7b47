"""Pooling layers of ``ember.nn``."""

__all__: list[str] = []
