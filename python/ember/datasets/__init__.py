"""Standard data sets read from their usual on-disk formats (``MNIST``, ``FashionMNIST``).

The default folder is the environment variable ``EMBER_DATA``; see :class:`MNIST` for the
folders searched below it.
"""

from __future__ import annotations

from . import transforms
from .mnist import MNIST, FashionMNIST, read_idx

__all__ = ["MNIST", "FashionMNIST", "read_idx"]
