"""Keras metrics (``keras.metrics``): running values over an epoch, kept as ember tensors.

``update_state`` stores each batch's contribution as a tensor (no ``.item()`` per batch);
``result()`` reduces them once and returns a Python float. ``'accuracy'`` in ``compile``
resolves as in Keras from the shapes of the targets and the model output (see :func:`get`):
binary (threshold 0.5) for a 1-unit output, sparse categorical for integer labels,
categorical for one-hot targets.
"""

from __future__ import annotations

from typing import Any

import ember

from .. import _C
from .._C import Tensor
from ..autograd import no_grad
from .losses import _as_tensor, _match_rank

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "SparseCategoricalAccuracy",
    "get",
]


class Metric:
    """Base class of metrics: ``update_state(y_true, y_pred, sample_weight=None)``,
    ``result()``, ``reset_state()``.

    Write your own metric as in Keras: subclass it, keep the state in attributes set up in
    ``__init__`` (after ``super().__init__(name=...)``) and implement ``update_state``,
    ``result`` (a number or a 0-d tensor) and ``reset_state``; ``fit``/``evaluate`` call
    them with tensors (``y_pred`` as probabilities when a final softmax/sigmoid is fused
    into the loss) under ``no_grad``.

    Built-in metrics instead implement ``_batch(y_true, y_pred, logits)`` returning a tensor
    whose sum is the batch's total and the number of values it counts (None: one per element
    of the tensor); ``logits`` tells that ``y_pred`` holds the pre-activation values of a fused
    final softmax/sigmoid (``_activation`` names it).

    Args:
        name: the name shown in logs and ``History``.
        dtype: accepted for Keras compatibility (results are Python floats).
    """

    _needs_probabilities = False

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        from .layers.base import _snake

        self.name = name or _snake(type(self).__name__)
        self._activation: str | None = None
        self._reset_parts()

    def _reset_parts(self) -> None:
        self._parts: list[Tensor] = []
        self._count = 0
        self._total = 0.0
        self._pending_count = False

    def reset_state(self) -> None:
        """Forgets everything accumulated."""
        self._reset_parts()

    def _uses_public_protocol(self) -> bool:
        # A user subclass overriding update_state/result/reset_state is driven through them.
        builtin = next(c for c in type(self).__mro__ if c.__module__ == __name__)
        return any(getattr(type(self), n) is not getattr(builtin, n)
                   for n in ("update_state", "result", "reset_state"))

    def add_variable(self, *args: Any, **kwargs: Any) -> Any:
        """Not supported: keep the state in plain attributes (numbers or ember tensors) and
        reset them in ``reset_state``.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            f"{type(self).__name__}: Metric.add_variable/add_weight are not supported; keep the "
            "state in plain attributes (numbers or ember tensors) set in __init__ and reset "
            "them in reset_state()")

    add_weight = add_variable

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch; with ``sample_weight`` (one weight per sample) the result is the
        weighted mean ``sum(w_i * v_i) / sum(w_i)`` of the per-sample values. Integer
        predictions are cast to float32.

        Raises:
            ValueError: ``sample_weight`` without one weight per sample.
        """
        y_pred = _as_tensor(y_pred)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(ember.float32)
        w = None if sample_weight is None else _as_tensor(sample_weight, ember.float32).reshape(-1)
        with no_grad():
            self._update(_as_tensor(y_true), y_pred, False, w)

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None) -> None:
        part, count = self._batch(y_true, y_pred, logits)
        if sample_weight is not None:
            n = int(sample_weight.shape[0])
            if part.dim() == 0 or part.shape[0] != n:
                raise ValueError(f"{self.name}: sample_weight has {n} weights but the batch "
                                 f"gives values of shape {tuple(part.shape)}")
            v = part.to(ember.float64)
            if v.dim() > 1:
                v = v.reshape(n, -1).mean(-1)
            w = sample_weight.to(ember.float64)
            self._parts.append((v * w).sum())
            self._count += float(w.sum().item())
            return
        self._parts.append(part)
        if count is not None:
            self._count += count
        else:  # counted when consolidated: every element of the part is one value
            self._pending_count = True

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int | None]:
        raise NotImplementedError

    def _consolidate(self) -> None:
        if self._parts:
            parts = self._parts
            if len(parts) == 1:
                total = parts[0]
            elif parts[0].dim() == 0:
                total = _C.stack(parts)
            else:  # per-sample parts of equal trailing shape
                total = _C.cat(parts)
            if getattr(self, "_pending_count", False):
                self._count += total.numel()
                self._pending_count = False
            self._total += float(total.to(ember.float64).sum().item())
            self._parts = []

    def result(self) -> float:
        """The metric over everything seen since the last reset (0.0 before any update)."""
        self._consolidate()
        return self._total / self._count if self._count else 0.0

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _probabilities(y_pred: Tensor, activation: str | None) -> Tensor:
    if activation == "softmax":
        return _C.softmax(y_pred, -1)
    if activation == "sigmoid":
        return _C.sigmoid(y_pred)
    return y_pred


class Mean(Metric):
    """The running (weighted) mean of the values given: ``update_state(values,
    sample_weight=None)``; ``result() = sum(w * v) / sum(w)`` over every value seen.

    Example:
        >>> m = keras.metrics.Mean()
        >>> m.update_state([1.0, 2.0, 3.0], sample_weight=[1, 0, 0])
        >>> m.result()
        1.0
    """

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        """Adds the values (a number or a tensor; each element counts once, or with its weight).

        Args:
            values: a number, array or tensor.
            sample_weight: weights broadcastable to ``values`` (a weight per leading entry
                applies to the whole row).
        Raises:
            ValueError: ``sample_weight`` that does not broadcast to ``values``.
        """
        v = _as_tensor(values).detach().to(ember.float64)
        if sample_weight is None:
            self._parts.append(v.reshape(-1))
            self._count += v.numel()
            return
        w = _as_tensor(sample_weight).detach().to(ember.float64)
        if w.dim() < v.dim():
            w = w.reshape(*w.shape, *([1] * (v.dim() - w.dim())))
        try:
            w = w.expand(*v.shape) if v.dim() else w.reshape(())
        except (ValueError, RuntimeError):
            raise ValueError(f"{self.name}: sample_weight of shape {tuple(w.shape)} does not "
                             f"broadcast to values of shape {tuple(v.shape)}") from None
        self._parts.append((v * w).reshape(-1))
        self._count += float(w.sum().item())



class _BatchMean(Metric):
    """Mean of per-batch means weighted by batch size (the loss shown by ``fit``); keeps the
    0-d batch values and sizes, multiplied and summed once in ``result``."""

    def _reset_parts(self) -> None:
        super()._reset_parts()
        self._sizes: list[int] = []

    def _add(self, value: Tensor, count: int) -> None:
        self._parts.append(value.detach())
        self._sizes.append(count)
        self._count += count

    def _consolidate(self) -> None:
        if self._parts:
            vals = _C.stack(self._parts).to(ember.float64)
            sizes = ember.tensor(self._sizes, dtype=ember.float64)
            self._total += float((vals * sizes).sum().item())
            self._parts, self._sizes = [], []


class SparseCategoricalAccuracy(Metric):
    """Fraction of samples whose arg-max prediction equals the integer label."""

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int]:
        if y_true.dim() == y_pred.dim():
            y_true = y_true.squeeze(-1)
        pred = y_pred.argmax(-1)
        if y_true.dtype != pred.dtype:
            y_true = y_true.to(pred.dtype)
        return _C.eq(pred, y_true), None


class CategoricalAccuracy(Metric):
    """Fraction of samples whose arg-max prediction equals the arg-max of the one-hot label."""

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int]:
        return _C.eq(y_pred.argmax(-1), y_true.argmax(-1)), None


class BinaryAccuracy(Metric):
    """Fraction of predictions on the right side of ``threshold`` (default 0.5)."""

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"BinaryAccuracy: threshold must be in (0, 1), got {threshold}")
        self.threshold = float(threshold)
        super().__init__(name, dtype)

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int]:
        import math

        y_true = _match_rank(y_true, y_pred)
        cut = math.log(self.threshold / (1.0 - self.threshold)) if logits else self.threshold
        return _C.eq(y_pred > cut, y_true > 0.5), None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "threshold": self.threshold}


class Accuracy(Metric):
    """Fraction of predictions exactly equal to the labels."""

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int]:
        y_true = _match_rank(y_true, y_pred)
        return _C.eq(y_pred, y_true.to(y_pred.dtype)), None


class MeanAbsoluteError(Metric):
    """Mean of ``|y_true - y_pred|``: per sample over the last axis, then over the samples."""

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int | None]:
        if logits:
            y_pred = _probabilities(y_pred, self._activation)
        y_true = _match_rank(y_true, y_pred)
        d = _C.abs(y_pred - y_true.to(y_pred.dtype))
        return (d.mean(-1), None) if d.dim() > 1 else (d, None)


class MeanSquaredError(Metric):
    """Mean of ``(y_true - y_pred) ** 2``: per sample over the last axis, then over the
    samples."""

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int | None]:
        if logits:
            y_pred = _probabilities(y_pred, self._activation)
        y_true = _match_rank(y_true, y_pred)
        d = y_pred - y_true.to(y_pred.dtype)
        sq = d * d
        return (sq.mean(-1), None) if sq.dim() > 1 else (sq, None)


class MeanMetricWrapper(Metric):
    """The running mean of ``fn(y_true, y_pred)`` over all samples: turns a function (a loss
    function such as ``keras.losses.binary_crossentropy``, or your own) into a metric.

    Args:
        fn: callable ``(y_true, y_pred) -> Tensor`` of per-sample (or per-element) values;
            ``y_pred`` holds probabilities (a fused final softmax/sigmoid is applied first).
        name: the name in logs (default ``fn.__name__``).
    """

    def __init__(self, fn: Any, name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype)

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int]:
        if logits:
            y_pred = _probabilities(y_pred, self._activation)
        v = _as_tensor(self._fn(y_true, y_pred, **self._fn_kwargs)).detach()
        if v.dim() == 0:
            return v.to(ember.float64), 1
        return v.to(ember.float64), None


def _loss_metric(fn_name: str) -> Any:
    from . import losses

    return getattr(losses, fn_name)


_BY_NAME: dict[str, type[Metric]] = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}
_ACCURACY_NAMES = ("accuracy", "acc")
_LOSS_METRICS = ("binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy")


def get(identifier: Any, loss: Any = None, output_units: int | None = None,
        y_true_ndim: int | None = None, y_pred_ndim: int | None = None) -> Metric:
    """Resolves a metric from a name or a :class:`Metric`.

    ``'accuracy'``/``'acc'`` resolve as in Keras, from the shapes of the targets and of the
    model output when they are known (``fit``/``evaluate`` pass them): binary accuracy for a
    1-unit output; sparse categorical accuracy when the targets have one dimension fewer than
    the output (integer labels) or a trailing dimension of 1; otherwise categorical accuracy
    (one-hot or probability targets, whatever the loss, e.g. ``'mse'`` on one-hot labels).
    Without the target shapes the loss decides: sparse categorical accuracy for a sparse
    categorical cross entropy, categorical for categorical cross entropy, binary for binary
    cross entropy. The metric keeps the name given (``'accuracy'``).

    Args:
        identifier: a name, a :class:`Metric` instance or a Metric subclass, or a function
            ``(y_true, y_pred) -> per-sample values`` (averaged by :class:`MeanMetricWrapper`).
        loss: the compiled loss (used when the shapes are unknown).
        output_units: size of the model output's last dimension, if known.
        y_true_ndim, y_pred_ndim: ranks (with the batch dim) of the targets and the output;
            a trailing target dimension of 1 is not counted.
    Raises:
        ValueError: an unknown name (the message lists the accepted names).
    """
    from . import losses

    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in _ACCURACY_NAMES:
            if output_units == 1:
                return BinaryAccuracy(name=identifier)
            if y_true_ndim is not None and y_pred_ndim is not None:
                if y_true_ndim < y_pred_ndim:
                    return SparseCategoricalAccuracy(name=identifier)
                return CategoricalAccuracy(name=identifier)
            if isinstance(loss, losses.SparseCategoricalCrossentropy):
                return SparseCategoricalAccuracy(name=identifier)
            if isinstance(loss, losses.BinaryCrossentropy):
                return BinaryAccuracy(name=identifier)
            if isinstance(loss, losses.CategoricalCrossentropy):
                return CategoricalAccuracy(name=identifier)
            return Accuracy(name=identifier)
        cls = _BY_NAME.get(identifier)
        if cls is not None:
            return cls(name=identifier)
        if identifier in _LOSS_METRICS:
            return MeanMetricWrapper(_loss_metric(identifier), name=identifier)
    elif callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(
        f"Unknown metric {identifier!r}; accepted names: accuracy, acc, "
        f"{', '.join(_BY_NAME)}, {', '.join(_LOSS_METRICS)} (or a keras.metrics.Metric, or a "
        "function (y_true, y_pred) -> per-sample values)"
    )
