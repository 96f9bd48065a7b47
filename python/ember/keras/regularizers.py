"""Weight regularizers (``keras.regularizers``): penalties on a layer's weights that ``fit``
and ``evaluate`` add to the loss (``layer.losses``/``model.losses`` list them).

Example:
    >>> from ember import keras
    >>> layer = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.01))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2", "serialize"]


class Regularizer:
    """Base class: ``regularizer(weight) -> 0-d tensor`` penalty."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Rebuilds the regularizer from :meth:`get_config`'s output."""
        return cls(**config)


def _check(cls: str, name: str, v: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ValueError(f"{cls}: {name} must be a number >= 0, got {v!r}")
    return float(v)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Args:
        l1, l2: the factors (default 0).
    Raises:
        ValueError: a negative factor.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _check("L1L2", "l1", l1), _check("L1L2", "l2", l2)

    def __call__(self, x: Tensor) -> Tensor:
        """The penalty for weight ``x`` (a 0-d tensor)."""
        out = None
        if self.l1:
            out = _C.abs(x).sum() * self.l1
        if self.l2:
            sq = (x * x).sum() * self.l2
            out = sq if out is None else out + sq
        return out if out is not None else (x * 0.0).sum()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)`` (Keras default ``l1=0.01``)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=_check("L1", "l1", l1))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w ** 2)`` (Keras default ``l2=0.01``; no factor 1/2)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=_check("L2", "l2", l2))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME: dict[str, type[Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any) -> Regularizer | Callable[[Tensor], Tensor] | None:
    """Resolves a regularizer: None, a name (``'l1'``, ``'l2'``, ``'l1_l2'``, with Keras's
    default factors), a config dict ``{"class_name", "config"}``, an instance, or a callable
    ``weight -> 0-d tensor``.

    Raises:
        ValueError: an unknown name or class (the message lists the accepted names).
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown regularizer {identifier!r}; accepted names: "
                             f"{', '.join(_BY_NAME)} (or a keras.regularizers.Regularizer)")
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Unknown regularizer class {identifier.get('class_name')!r}; "
                             f"accepted: {', '.join(_CLASSES)}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Unknown regularizer {identifier!r}; expected a name, a Regularizer or a "
                     "callable weight -> penalty")


def serialize(reg: Any) -> Any:
    """A JSON-able description of a built-in regularizer (None stays None; a custom callable
    becomes its name)."""
    if reg is None:
        return None
    if type(reg) in _CLASSES.values():
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    return getattr(reg, "__name__", repr(reg))
