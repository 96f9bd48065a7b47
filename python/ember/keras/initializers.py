"""Weight initializers with Keras's names, formulas and defaults (``keras.initializers``).

An initializer is called with a Keras-layout shape (``(in, out)`` for a Dense kernel,
``(kh, kw, in, out)`` for a convolution kernel) and returns a new float32 tensor drawn from
ember's default generator (seeded by ``ember.manual_seed`` / ``keras.utils.set_random_seed``).
Fans follow Keras: for shapes of rank >= 2, ``fan_in = shape[-2] * receptive``,
``fan_out = shape[-1] * receptive`` with ``receptive = prod(shape[:-2])``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ember

from .._C import Tensor

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "get",
    "serialize",
]


def _fans(shape: Sequence[int]) -> tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(shape: tuple[int, ...], stddev: float, dtype: Any) -> Tensor:
    # Redraw the values outside two standard deviations; each pass keeps ~4.6% of them, so
    # after 12 passes none is left in practice (a final clamp guarantees the bound).
    z = ember.randn(*shape, dtype=dtype)
    for _ in range(12):
        out = ember.abs(z) > 2.0
        if not bool(out.any().item()):
            break
        z = ember.where(out, ember.randn(*shape, dtype=dtype), z)
    return ember.clamp(z, -2.0, 2.0) * stddev


class Initializer:
    """Base class: ``__call__(shape, dtype=None) -> Tensor`` and ``get_config()``."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (so ``cls(**config)`` rebuilds the initializer)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuilds an initializer from :meth:`get_config`'s output."""
        return cls(**config)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        return ember.zeros(*tuple(shape), dtype=dtype or ember.float32)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        return ember.ones(*tuple(shape), dtype=dtype or ember.float32)


class Constant(Initializer):
    """Every element equal to ``value`` (default 0)."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        return ember.full(tuple(shape), self.value, dtype=dtype or ember.float32)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"value": self.value}


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)`` (Keras defaults -0.05, 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        if maxval < minval:
            raise ValueError(f"RandomUniform: maxval ({maxval}) must be >= minval ({minval})")
        self.minval, self.maxval, self.seed = float(minval), float(maxval), seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        u = ember.rand(*tuple(shape), dtype=dtype or ember.float32)
        return u * (self.maxval - self.minval) + self.minval

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev`` (Keras defaults 0, 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        if stddev < 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, got {stddev}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        return ember.randn(*tuple(shape), dtype=dtype or ember.float32) * self.stddev + self.mean

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal with ``mean``/``stddev`` (defaults 0, 0.05), values beyond 2 stddev redrawn."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        return _truncated_normal(tuple(shape), self.stddev, dtype or ember.float32) + self.mean


class VarianceScaling(Initializer):
    """``scale / n`` variance, ``n`` the fan picked by ``mode``; Keras's general initializer.

    Args:
        scale: positive float (default 1).
        mode: ``'fan_in'`` (default), ``'fan_out'`` or ``'fan_avg'``.
        distribution: ``'truncated_normal'`` (default; stddev corrected by 0.8796256610342398,
            the stddev of a unit normal truncated at +-2), ``'untruncated_normal'`` or
            ``'uniform'`` (limit ``sqrt(3 * scale / n)``).
    Raises:
        ValueError: non-positive scale, unknown mode or distribution.
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be > 0, got {scale}")
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self._MODES}, got {mode!r}")
        if distribution not in self._DISTS:
            raise ValueError(
                f"VarianceScaling: distribution must be one of {self._DISTS}, got {distribution!r}"
            )
        self.scale, self.mode, self.distribution, self.seed = float(scale), mode, distribution, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        shape = tuple(int(s) for s in shape)
        dtype = dtype or ember.float32
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return ember.rand(*shape, dtype=dtype) * (2 * limit) - limit
        if self.distribution in ("untruncated_normal", "normal"):
            return ember.randn(*shape, dtype=dtype) * math.sqrt(var)
        return _truncated_normal(shape, math.sqrt(var) / 0.8796256610342398, dtype)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Preset(VarianceScaling):
    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None) -> None:
        scale, mode, dist = self._preset
        super().__init__(scale, mode, dist, seed)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Dense default).

    Reference: Glorot & Bengio, "Understanding the difficulty of training deep feedforward
    neural networks", 2010.
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out))``."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_Preset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Reference: He et al., "Delving Deep into Rectifiers", 2015.
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_Preset):
    """Truncated normal, stddev ``sqrt(2 / fan_in)``."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal, stddev ``sqrt(1 / fan_in)``."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``: the Q factor of the QR decomposition of a
    standard normal ``(max(rows, cols), min(rows, cols))`` matrix (signs fixed by ``diag(R)``),
    transposed when ``rows < cols``, with ``rows = prod(shape[:-1])`` and ``cols = shape[-1]``.

    Args:
        gain: multiplier (default 1).
    Raises:
        ValueError (when called): a shape of rank < 2.
    Reference: Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep
    linear neural networks", 2014.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain, self.seed = float(gain), seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        import numpy as np

        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have rank >= 2, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = ember.randn(max(rows, cols), min(rows, cols), dtype=ember.float64).numpy()
        q, r = np.linalg.qr(a)
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        out = ember.from_numpy(np.ascontiguousarray(self.gain * q.reshape(shape)))
        return out.to(dtype or ember.float32)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular ones get ones on the
    main diagonal).

    Args:
        gain: multiplier (default 1).
    Raises:
        ValueError (when called): a shape that is not 2-D.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Tensor:
        shape = tuple(int(d) for d in shape)
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must be 2-D, got {shape}")
        return ember.eye(shape[0], shape[1], dtype=dtype or ember.float32) * self.gain

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"gain": self.gain}


_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}
_BY_NAME.update(uniform=RandomUniform, normal=RandomNormal)  # Keras's short aliases


def get(identifier: Any) -> Initializer:
    """Resolves an initializer from a name (``'glorot_uniform'``, ``'zeros'``, ...), a class
    name (``'GlorotUniform'``), a config dict ``{"class_name", "config"}``, an instance or a
    callable ``(shape, dtype) -> Tensor``.

    Raises:
        ValueError: an unknown name (the message lists the accepted names).
    """
    if isinstance(identifier, Initializer) or (
        callable(identifier) and not isinstance(identifier, (str, type))
    ):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Unknown initializer class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown initializer {identifier!r}; accepted names: {', '.join(sorted(_BY_NAME))}"
            )
        return cls()
    raise TypeError(f"initializer must be a name or an Initializer, got {type(identifier).__name__}")


def serialize(init: Any) -> Any:
    """A JSON-able description ``{"class_name", "config"}`` of a built-in initializer.

    Raises:
        ValueError: a custom callable (not serializable).
    """
    if isinstance(init, Initializer) and type(init).__name__ in _CLASSES:
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise ValueError(f"cannot serialize the custom initializer {init!r}")
