"""Learning-rate schedules (``keras.optimizers.schedules``): functions of the optimizer's step
count, passed as ``learning_rate`` to a Keras optimizer, which evaluates them before every
update (``step`` = number of updates done so far, starting at 0).

Example:
    >>> from ember import keras
    >>> sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(sched(20), 6)
    0.025
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "deserialize",
    "serialize",
]


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate`` (a Python float).

    Subclasses implement ``__call__(step)`` and ``get_config()``.
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuilds the schedule from :meth:`get_config`'s output."""
        return cls(**config)


def _positive(cls: str, name: str, v: float) -> None:
    if not v > 0:
        raise ValueError(f"{cls}: {name} must be > 0, got {v}")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored when
    ``staircase``).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps per factor ``decay_rate`` (> 0).
        decay_rate: the factor per ``decay_steps`` steps.
        staircase: decay in whole steps of ``decay_steps`` (default False).
    Raises:
        ValueError: ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        _positive("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.decay_rate = decay_steps, float(decay_rate)
        self.staircase, self.name = bool(staircase), name

    def __call__(self, step: int) -> float:
        """The rate after ``step`` updates."""
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio floored
    when ``staircase``).

    Raises:
        ValueError: ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        _positive("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.decay_rate = decay_steps, float(decay_rate)
        self.staircase, self.name = bool(staircase), name

    def __call__(self, step: int) -> float:
        """The rate after ``step`` updates."""
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last boundary.

    Raises:
        ValueError: ``len(values) != len(boundaries) + 1``.
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float],
                 name: str = "PiecewiseConstant") -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay: values must have one more element than boundaries, "
                f"got {len(values)} values and {len(boundaries)} boundaries")
        self.boundaries, self.values = list(boundaries), [float(v) for v in values]
        self.name = name

    def __call__(self, step: int) -> float:
        """The rate after ``step`` updates."""
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then cosine decay: after ``warmup_steps`` steps rising linearly
    from ``initial_learning_rate`` to ``warmup_target``, the rate follows
    ``top * ((1 - alpha) * 0.5 * (1 + cos(pi * t / decay_steps)) + alpha)`` with ``t`` the steps
    since the warmup (capped at ``decay_steps``) and ``top`` the warmup target (or the initial
    rate without warmup).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: length of the cosine decay (> 0).
        alpha: the final rate as a fraction of ``top`` (default 0).
        warmup_target: the rate reached by the warmup (default None: no warmup).
        warmup_steps: warmup length (default 0).
    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    Raises:
        ValueError: ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        _positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.alpha, self.name = float(alpha), name
        self.warmup_target, self.warmup_steps = warmup_target, int(warmup_steps)

    def __call__(self, step: int) -> float:
        """The rate after ``step`` updates."""
        top = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                frac = step / self.warmup_steps
                return self.initial_learning_rate + frac * (self.warmup_target - top)
            top = float(self.warmup_target)
            step -= self.warmup_steps
        t = min(step, self.decay_steps) / self.decay_steps
        return top * ((1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * t)) + self.alpha)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


_CLASSES = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                    CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{"class_name", "config"}`` for a built-in schedule."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    """Rebuilds a schedule from :func:`serialize`'s output.

    Raises:
        ValueError: an unknown schedule class.
    """
    cls = _CLASSES.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule {config.get('class_name')!r}; "
                         f"accepted: {', '.join(_CLASSES)}")
    return cls.from_config(config.get("config", {}))
