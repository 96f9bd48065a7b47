"""``ember.cuda``: what PyTorch users query before choosing a device.

This build of ember runs on the CPU; the CUDA backend (CMake option ``EMBER_CUDA``) is not
compiled in, so ``is_available()`` is False and tensors created with ``device="cuda"`` raise
``NotImplementedError`` naming the option.
"""

from __future__ import annotations

__all__ = ["device_count", "is_available"]


def is_available() -> bool:
    """Whether ember can run on a CUDA GPU here: always False for this CPU-only build."""
    return False


def device_count() -> int:
    """Number of CUDA devices ember can use: 0 for this CPU-only build."""
    return 0
