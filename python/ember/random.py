"""The default random-number generator's state, as ``torch.random``: seeding, saving and
restoring it, and ``fork_rng`` to run code without disturbing the sequence.

The generator is a 64-bit Mersenne Twister; its state is a 1-D uint8 tensor that only
``set_rng_state`` reads (its layout is ember's own, not PyTorch's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from . import _C
from ._C import Tensor, initial_seed, manual_seed
from ._dtype_info import seed

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


def get_rng_state() -> Tensor:
    """The default generator's state.

    Returns:
        Tensor: 1-D uint8; ``set_rng_state`` of it replays the same random numbers.
    Example:
        >>> s = ember.get_rng_state()
        >>> a = ember.rand(3)
        >>> ember.set_rng_state(s)
        >>> bool((ember.rand(3) == a).all())
        True
    """
    return _C.default_generator().get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restores the default generator to ``new_state`` (from ``get_rng_state``).

    Args:
        new_state (Tensor): 1-D uint8, as ``get_rng_state()`` returned it.
    Raises:
        TypeError: ``new_state`` is not a 1-D uint8 tensor.
        ValueError: it is not a generator state (the generator is left unchanged).
    """
    if not isinstance(new_state, Tensor):
        raise TypeError(f"set_rng_state: expected the uint8 tensor from get_rng_state(), got "
                        f"{type(new_state).__name__}")
    _C.default_generator().set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cpu") -> Iterator[None]:
    """Context manager: the default generator's state is saved on entry and restored on exit,
    so random numbers drawn inside do not change the sequence outside.

    Args:
        devices: accepted for PyTorch compatibility (ember's generator is the CPU's).
        enabled (bool): False makes this a no-op. Default True.
        device_type (str): accepted for PyTorch compatibility. Default ``"cpu"``.
    Example:
        >>> with ember.random.fork_rng():
        ...     _ = ember.rand(10)  # the numbers after the block are as if this never ran
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
