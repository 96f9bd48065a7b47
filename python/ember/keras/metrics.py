"""Keras metrics (``keras.metrics``): running values over an epoch, kept as ember tensors.

``update_state`` stores each batch's contribution as a tensor (no ``.item()`` per batch);
``result()`` reduces them once and returns a Python float. ``'accuracy'`` in ``compile``
resolves as in Keras from the shapes of the targets and the model output (see :func:`get`):
binary (threshold 0.5) for a 1-unit output, sparse categorical for integer labels,
categorical for one-hot targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .. import _C
from .._C import Tensor
from ..autograd import no_grad
from .losses import EPSILON, _as_tensor, _match_rank

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
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
        predictions are cast to float32. When ``y_pred`` carries a Keras mask (``(batch,
        steps)``, see ``keras.layers.Masking``), the masked steps are skipped, as Keras's mean
        metrics do.

        Raises:
            ValueError: ``sample_weight`` without one weight per sample.
        """
        from .layers.base import _MASKS, get_keras_mask

        mask = get_keras_mask(y_pred) if _MASKS else None
        y_pred = _as_tensor(y_pred)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(ember.float32)
        w = None if sample_weight is None else _as_tensor(sample_weight, ember.float32).reshape(-1)
        with no_grad():
            if mask is not None and self._uses_mask():
                self._update(_as_tensor(y_true), y_pred, False, w, mask)
            else:
                self._update(_as_tensor(y_true), y_pred, False, w)

    # Whether the Keras mask of y_pred weighs the values (Keras's MeanMetricWrapper metrics:
    # accuracies, mse, cross entropies, ...); confusion-matrix metrics ignore it.
    _mask_aware = True

    def _uses_mask(self) -> bool:
        return self._mask_aware and type(self)._update is Metric._update

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None, mask: Tensor | None = None) -> None:
        part, count = self._batch(y_true, y_pred, logits)
        if mask is not None:
            from .layers.base import _mask_like

            m = _mask_like(mask, part)
            if m is not None:
                self._add_masked(part, m, sample_weight)
                return
        if sample_weight is not None:
            n = int(sample_weight.shape[0])
            if part.dim() == 0 or part.shape[0] != n:
                raise ValueError(f"{self.name}: sample_weight has {n} weights but the batch "
                                 f"gives values of shape {tuple(part.shape)}")
            if self._pending_count:
                self._consolidate()  # per-element parts are not mixed with weighted sums
            v = part.to(ember.float64)
            if v.dim() > 1:
                v = v.reshape(n, -1).mean(-1)
            w = sample_weight.to(ember.float64)
            self._parts.append((v * w).sum())
            self._count += float(w.sum().item())
            return
        if (count is None) != self._pending_count and self._parts:
            self._consolidate()  # per-element parts are not mixed with counted ones
        self._parts.append(part)
        if count is not None:
            self._count += count
        else:  # counted when consolidated: every element of the part is one value
            self._pending_count = True

    def _add_masked(self, part: Tensor, mask: Tensor, sample_weight: Tensor | None) -> None:
        """Adds the values ``part`` weighted by ``mask`` (broadcastable to ``part``; 1 for the
        unmasked steps) times ``sample_weight`` (one per sample): Keras's Mean with the mask
        as sample weights, ``sum(v * m * w) / sum(m * w)`` over everything seen.

        Raises:
            ValueError: ``sample_weight`` without one weight per sample.
        """
        if self._pending_count:
            self._consolidate()  # per-element parts are not mixed with weighted sums
        v = part.to(ember.float64)
        wt = mask.to(ember.float64)
        if sample_weight is not None:
            n = int(sample_weight.shape[0])
            if v.shape[0] != n:
                raise ValueError(f"{self.name}: sample_weight has {n} weights but the batch "
                                 f"gives values of shape {tuple(part.shape)}")
            wt = wt * sample_weight.to(ember.float64).reshape(n, *([1] * (v.dim() - 1)))
        wt = wt.expand(*v.shape)
        self._parts.append((v * wt).sum())
        self._count = self._count + wt.sum()  # a tensor until consolidated (no sync per batch)

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
        if isinstance(self._count, Tensor):  # masked updates count their unmasked weights
            self._count = float(self._count.item())

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


# ---- state save/restore (validation inside fit evaluates with the training metric objects) --


def _get_state(m: Metric) -> Any:
    getter = getattr(m, "_state", None)
    return getter() if getter is not None else (m._parts, m._count, m._total,
                                                 m._pending_count)


def _set_state(m: Metric, state: Any) -> None:
    setter = getattr(m, "_restore", None)
    if setter is not None:
        setter(state)
    else:
        m._parts, m._count, m._total, m._pending_count = state


# ---- metrics wrapping a loss function -------------------------------------------------------


class _LossMetric(MeanMetricWrapper):
    """The running mean of a per-sample loss; subclasses set the loss in ``__init__``."""

    def __init__(self, loss: Any, name: str, dtype: Any = None, **config: Any) -> None:
        self._config = config
        super().__init__(loss, name, dtype)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, **self._config}


def _losses() -> Any:
    from . import losses

    return losses


class MeanAbsolutePercentageError(_LossMetric):
    """Running mean of ``100 * mean(|(y_true - y_pred) / max(|y_true|, 1e-7)|)`` per sample."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(_losses().mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(_LossMetric):
    """Running mean of the per-sample mean squared logarithmic error (see
    ``keras.losses.MeanSquaredLogarithmicError``)."""

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(_losses().mean_squared_logarithmic_error, name, dtype)


class Hinge(_LossMetric):
    """Running mean of the per-sample hinge loss (see ``keras.losses.Hinge``)."""

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(_losses().hinge, name, dtype)


class SquaredHinge(_LossMetric):
    """Running mean of the per-sample squared hinge loss (see ``keras.losses.SquaredHinge``)."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(_losses().squared_hinge, name, dtype)


class CategoricalHinge(_LossMetric):
    """Running mean of the per-sample categorical hinge loss."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(_losses().categorical_hinge, name, dtype)


class KLDivergence(_LossMetric):
    """Running mean of the per-sample Kullback-Leibler divergence."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(_losses().kl_divergence, name, dtype)


class LogCoshError(_LossMetric):
    """Running mean of the per-sample ``mean(log(cosh(y_pred - y_true)))``."""

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(_losses().log_cosh, name, dtype)


class Poisson(_LossMetric):
    """Running mean of the per-sample Poisson loss ``mean(y_pred - y_true * log(y_pred +
    1e-7))``."""

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(_losses().poisson, name, dtype)


class CosineSimilarity(_LossMetric):
    """Running mean of the cosine similarity ``sum(l2_normalize(y_true) *
    l2_normalize(y_pred))`` along ``axis`` (1 for aligned vectors; the loss of the same name
    is its negative).

    Args:
        axis: the axis of the vectors (default -1).
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        loss = _losses().CosineSimilarity(axis=axis, reduction="none")
        super().__init__(lambda y_true, y_pred: -loss(y_true, y_pred), name, dtype, axis=axis)


class BinaryCrossentropy(_LossMetric):
    """Running mean of the per-sample binary cross entropy (see
    ``keras.losses.BinaryCrossentropy``).

    Args:
        from_logits: ``y_pred`` are logits (default False).
        label_smoothing: in [0, 1] (default 0).
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        loss = _losses().BinaryCrossentropy(from_logits=from_logits,
                                            label_smoothing=label_smoothing, reduction="none")
        super().__init__(loss, name, dtype, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))


class CategoricalCrossentropy(_LossMetric):
    """Running mean of the per-sample categorical cross entropy with one-hot targets.

    Args:
        from_logits: ``y_pred`` are logits (default False).
        label_smoothing: in [0, 1] (default 0).
        axis: must be -1.
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1) -> None:
        loss = _losses().CategoricalCrossentropy(from_logits=from_logits,
                                                 label_smoothing=label_smoothing, axis=axis,
                                                 reduction="none")
        super().__init__(loss, name, dtype, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing), axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """Running mean of the per-sample cross entropy with integer labels.

    Args:
        from_logits: ``y_pred`` are logits (default False).
        axis: must be -1.
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, axis: int = -1) -> None:
        if axis != -1:
            raise NotImplementedError("SparseCategoricalCrossentropy: only axis=-1 is supported")
        loss = _losses().SparseCategoricalCrossentropy(from_logits=from_logits, reduction="none")
        super().__init__(loss, name, dtype, from_logits=bool(from_logits), axis=axis)


class RootMeanSquaredError(MeanSquaredError):
    """``sqrt(mean((y_true - y_pred) ** 2))`` over every value seen (weighted by
    ``sample_weight``)."""

    _mask_aware = False  # Keras's RootMeanSquaredError ignores the mask of y_pred

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name, dtype)

    def result(self) -> float:
        """The root of the mean squared error so far (0.0 before any update)."""
        return float(np.sqrt(super().result()))


class Sum(Metric):
    """The running (weighted) sum of the values given: ``update_state(values,
    sample_weight=None)``; ``result() = sum(w * v)``.

    Example:
        >>> m = keras.metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> m.result()
        16.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name, dtype)

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        """Adds ``sum(values * sample_weight)``.

        Raises:
            ValueError: ``sample_weight`` that does not broadcast to ``values``.
        """
        v = _as_tensor(values).detach().to(ember.float64)
        if sample_weight is not None:
            v = v * _weights_like(_as_tensor(sample_weight), v, self.name)
        self._parts.append(v.sum())

    def result(self) -> float:
        """The sum so far."""
        self._consolidate()
        return self._total


# ---- confusion-matrix metrics -----------------------------------------------------------------


_NEG_INF = -1e10  # Keras's value for the entries outside the top k


def _weights_like(w: Tensor, like: Tensor, name: str) -> Tensor:
    """``w`` (float64) broadcast to ``like``'s shape, trailing axes added as needed.

    Raises:
        ValueError: shapes that do not broadcast.
    """
    w = w.detach().to(ember.float64)
    if w.dim() > like.dim() and all(d == 1 for d in w.shape[like.dim():]):
        w = w.reshape(*w.shape[:like.dim()])
    if w.dim() < like.dim():
        w = w.reshape(*w.shape, *([1] * (like.dim() - w.dim())))
    if w.dim() != like.dim() or any(a != b and a != 1 for a, b in zip(w.shape, like.shape)):
        raise ValueError(f"{name}: sample_weight of shape {tuple(w.shape)} does not broadcast "
                         f"to predictions of shape {tuple(like.shape)}")
    return w.expand(*like.shape)


def _thresholds(thresholds: Any, default: float, cls: str) -> tuple[list[float], bool]:
    """(list of thresholds, whether a single value was given)."""
    if thresholds is None:
        return [float(default)], True
    if isinstance(thresholds, (int, float)) and not isinstance(thresholds, bool):
        out, single = [float(thresholds)], True
    else:
        out, single = [float(t) for t in thresholds], False
    if any(not 0.0 <= t <= 1.0 for t in out):
        raise ValueError(f"{cls}: threshold values must be in [0, 1], got {thresholds!r}")
    return out, single


def _filter_top_k(x: Tensor, k: int) -> Tensor:
    # Keras: the k largest entries of each row are kept, the others become -1e10.
    _, idx = x.topk(k, -1)
    mask = ember.zeros_like(x).scatter(-1, idx, 1.0)
    return x * mask + (1.0 - mask) * _NEG_INF


def _confusion(y_true: Tensor, y_pred: Tensor, thresholds: Tensor, w: Tensor | None,
               top_k: int | None, class_id: int | None, multi_label: bool,
               name: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Weighted (tp, fp, tn, fn) per threshold (shape ``(T,)``, or ``(T, labels)`` with
    ``multi_label``), float64: a prediction is positive when ``> threshold``, a label when
    nonzero (Keras's ``update_confusion_matrix_variables``)."""
    y_pred = y_pred.to(ember.float32)
    y_true = _match_rank(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"{name}: y_true of shape {tuple(y_true.shape)} does not match y_pred "
                         f"of shape {tuple(y_pred.shape)}")
    if w is not None:
        w = _weights_like(w, y_pred, name)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        c = y_pred.shape[-1]
        if not 0 <= class_id < c:
            raise ValueError(f"{name}: class_id {class_id} is out of range for predictions of "
                             f"shape {tuple(y_pred.shape)}")
        y_true, y_pred = y_true.select(-1, class_id), y_pred.select(-1, class_id)
        if w is not None:
            w = w.select(-1, class_id)
    label = _C.ne(y_true, 0)
    if multi_label:
        if y_pred.dim() != 2:
            raise ValueError(f"{name}: multi_label needs predictions of shape (batch, labels), "
                             f"got {tuple(y_pred.shape)}")
        thr = thresholds.reshape(-1, 1, 1)
        p, lab = y_pred.unsqueeze(0), label.unsqueeze(0)
        wt = None if w is None else w.unsqueeze(0)
        dims = 1
    else:
        thr = thresholds.reshape(-1, 1)
        p, lab = y_pred.reshape(1, -1), label.reshape(1, -1)
        wt = None if w is None else w.reshape(1, -1)
        dims = 1
    pos = p > thr
    lab_f = lab.to(ember.float64)
    tp_mask = _C.logical_and(pos, lab).to(ember.float64)
    fp_mask = pos.to(ember.float64) - tp_mask
    neg_f = 1.0 - lab_f
    if wt is not None:
        tp_mask, fp_mask, lab_f, neg_f = tp_mask * wt, fp_mask * wt, lab_f * wt, neg_f * wt
    tp, fp = tp_mask.sum(dims), fp_mask.sum(dims)
    return tp, fp, neg_f.sum(dims) - fp, lab_f.sum(dims) - tp


class _ConfusionMetric(Metric):
    """Accumulates a confusion matrix per threshold as ember tensors (no sync per batch);
    ``result`` reads them once."""

    _multi_label = False
    _from_logits = False

    def __init__(self, name: str | None, dtype: Any, thresholds: list[float],
                 top_k: int | None = None, class_id: int | None = None) -> None:
        cls = type(self).__name__
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                                  or top_k < 1):
            raise ValueError(f"{cls}: top_k must be a positive int, got {top_k!r}")
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int)
                                     or class_id < 0):
            raise ValueError(f"{cls}: class_id must be a non-negative int, got {class_id!r}")
        self.top_k, self.class_id = top_k, class_id
        self._thr_list = thresholds
        self._thr = ember.tensor(thresholds, dtype=ember.float32)
        super().__init__(name, dtype)

    def _reset_parts(self) -> None:
        super()._reset_parts()
        self._cm: list[Tensor] | None = None

    def _state(self) -> Any:
        return self._cm

    def _restore(self, state: Any) -> None:
        self._cm = state

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch to the confusion counts.

        Args:
            y_true: labels (nonzero is positive), the shape of ``y_pred`` (or ``(N,)`` for an
                ``(N, 1)`` output).
            y_pred: probabilities (or logits with ``from_logits`` for ``AUC``).
            sample_weight: weights broadcastable to ``y_pred`` (one per sample or per entry).
        Raises:
            ValueError: mismatched shapes, or ``class_id`` out of range.
        """
        y_pred = _as_tensor(y_pred)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(ember.float32)
        w = None if sample_weight is None else _as_tensor(sample_weight)
        with no_grad():
            self._update(_as_tensor(y_true), y_pred, False, w)

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None) -> None:
        if logits:
            y_pred = _probabilities(y_pred, self._activation)
        elif self._from_logits:
            y_pred = _C.sigmoid(y_pred)
        counts = _confusion(y_true, y_pred, self._thr, sample_weight, self.top_k, self.class_id,
                            self._multi_label, self.name)
        self._cm = list(counts) if self._cm is None else [a + b for a, b in zip(self._cm, counts)]

    def _counts(self) -> tuple[np.ndarray, ...]:
        if self._cm is None:
            shape = (len(self._thr_list),)
            return tuple(np.zeros(shape) for _ in range(4))
        return tuple(np.asarray(t.numpy(), np.float64) for t in self._cm)

    def _single(self, values: np.ndarray) -> Any:
        return float(values[0]) if self._single_threshold else values


def _divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)


class Precision(_ConfusionMetric):
    """Precision ``tp / (tp + fp)``: the fraction of predicted positives (prediction ``>
    threshold``) that are positive (label nonzero), over all the data seen; 0 when nothing
    was predicted positive.

    Args:
        thresholds: a float in [0, 1] or a list of them (default 0.5, or no threshold when
            ``top_k`` is set); with a list, ``result()`` is an array, one value per threshold.
        top_k: only the ``top_k`` largest predictions of each sample count as predicted
            positive (default None).
        class_id: compute the metric for this class (last-axis index) only (default None).
        name, dtype: the metric's name (default ``'precision'``); dtype accepted for Keras
            compatibility.
    Raises:
        ValueError: a threshold outside [0, 1], a bad ``top_k`` or ``class_id``.
    Example:
        >>> m = keras.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        self.thresholds = thresholds
        default = 0.5 if top_k is None else _NEG_INF
        thr, self._single_threshold = _thresholds(thresholds, default, type(self).__name__)
        super().__init__(name, dtype, thr, top_k, class_id)

    def result(self) -> Any:
        """Precision per threshold (a float for a single threshold)."""
        tp, fp, _, _ = self._counts()
        return self._single(_divide_no_nan(tp, tp + fp))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(Precision):
    """Recall ``tp / (tp + fn)``: the fraction of positives (label nonzero) predicted positive
    (prediction ``> threshold``); 0 when there were no positives. Arguments as
    :class:`Precision` (default name ``'recall'``).

    Raises:
        ValueError: a threshold outside [0, 1], a bad ``top_k`` or ``class_id``.
    Example:
        >>> m = keras.metrics.Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    def result(self) -> Any:
        """Recall per threshold (a float for a single threshold)."""
        tp, _, _, fn = self._counts()
        return self._single(_divide_no_nan(tp, tp + fn))


class _Count(_ConfusionMetric):
    _index = 0

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        self.thresholds = thresholds
        thr, self._single_threshold = _thresholds(thresholds, 0.5, type(self).__name__)
        super().__init__(name, dtype, thr)

    def result(self) -> Any:
        """The (weighted) count per threshold (a float for a single threshold)."""
        return self._single(self._counts()[self._index])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "thresholds": self.thresholds}


class TruePositives(_Count):
    """The (weighted) number of positive labels predicted ``> threshold`` (default 0.5)."""

    _index = 0


class FalsePositives(_Count):
    """The (weighted) number of negative labels predicted ``> threshold`` (default 0.5)."""

    _index = 1


class TrueNegatives(_Count):
    """The (weighted) number of negative labels predicted ``<= threshold`` (default 0.5)."""

    _index = 2


class FalseNegatives(_Count):
    """The (weighted) number of positive labels predicted ``<= threshold`` (default 0.5)."""

    _index = 3


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, approximated by a Riemann sum over
    ``num_thresholds`` thresholds, as Keras computes it.

    The confusion counts are accumulated at thresholds ``[-1e-7, 1/(n-1), 2/(n-1), ...,
    (n-2)/(n-1), 1 + 1e-7]`` (or ``[-1e-7, *sorted(thresholds), 1 + 1e-7]``). ROC: ``x =``
    false-positive rate, ``y =`` recall; PR: ``x =`` recall, ``y =`` precision. The area is
    ``sum((x[i] - x[i+1]) * h[i])`` with ``h`` the mean (``'interpolation'``), minimum
    (``'minoring'``) or maximum (``'majoring'``) of ``y[i], y[i+1]``; for PR with
    ``'interpolation'`` Davis & Goadrich's interpolation of precision is integrated instead.

    Args:
        num_thresholds: number of thresholds (> 1, default 200).
        curve: ``'ROC'`` (default) or ``'PR'``.
        summation_method: ``'interpolation'`` (default), ``'minoring'`` or ``'majoring'``.
        name: default ``'auc'``; dtype accepted for Keras compatibility.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is their number + 2).
        multi_label: labels of shape ``(batch, L)`` are separate problems whose AUCs are
            averaged (weighted by ``label_weights``); otherwise all entries are pooled.
        num_labels: the number of labels with ``multi_label`` (inferred if None).
        label_weights: per-label weights (averaging weights with ``multi_label``, else
            weights of the entries).
        from_logits: ``y_pred`` are logits (a sigmoid is applied first).
    Raises:
        ValueError: ``num_thresholds`` <= 1, an unknown curve or summation method, or
            thresholds outside [0, 1].
    Reference: Davis & Goadrich, "The Relationship Between Precision-Recall and ROC Curves",
    ICML 2006.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        key = str(curve).lower()
        if key not in _CURVES:
            raise ValueError(f'AUC: invalid curve value "{curve}"; expected "ROC" or "PR"')
        summ = str(summation_method).lower()
        if summ not in _SUMMATIONS:
            raise ValueError(f'AUC: invalid summation_method "{summation_method}"; expected '
                             '"interpolation", "minoring" or "majoring"')
        self.curve, self.summation_method = _CURVES[key], summ
        eps = EPSILON
        if thresholds is not None:
            inner, _ = _thresholds(list(thresholds), 0.5, "AUC")
            inner = sorted(inner)
            self.num_thresholds = len(inner) + 2
            self._given_thresholds = inner
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
                    num_thresholds <= 1):
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got "
                                 f"{num_thresholds!r}")
            self.num_thresholds = num_thresholds
            self._given_thresholds = None
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self._multi_label = self.multi_label
        self.label_weights = None if label_weights is None else [float(v) for v in
                                                                 np.asarray(label_weights).ravel()]
        self.from_logits = self._from_logits = bool(from_logits)
        self._single_threshold = False
        super().__init__(name, dtype, [0.0 - eps] + inner + [1.0 + eps])

    @property
    def thresholds(self) -> list[float]:
        """The thresholds used, endpoints included."""
        return list(self._thr_list)

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None) -> None:
        if self.label_weights is not None and not self.multi_label:
            lw = ember.tensor(self.label_weights, dtype=ember.float64)
            base = (sample_weight if sample_weight is not None
                    else ember.ones(1, dtype=ember.float64))
            y_shape = _match_rank(y_true, y_pred).shape
            sample_weight = _weights_like(base, ember.zeros(*y_shape), self.name) * lw
        super()._update(y_true, y_pred, logits, sample_weight)

    def result(self) -> float:
        """The area (0.0 before any update)."""
        tp, fp, tn, fn = self._counts()
        n = self.num_thresholds
        if self._cm is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[: n - 1] - tp[1:]
            p = tp + fp
            dp = p[: n - 1] - p[1:]
            slope = _divide_no_nan(dtp, np.maximum(dp, 0))
            intercept = tp[1:] - slope * p[1:]
            both = np.logical_and(p[: n - 1] > 0, p[1:] > 0)
            ratio = np.where(both, _divide_no_nan(p[: n - 1], np.maximum(p[1:], 0)), 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
            terms = _divide_no_nan(slope * (dtp + intercept * log_ratio),
                                   np.maximum(tp[1:] + fn[1:], 0))
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                h = (y[: n - 1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                h = np.minimum(y[: n - 1], y[1:])
            else:
                h = np.maximum(y[: n - 1], y[1:])
            terms = (x[: n - 1] - x[1:]) * h
        if not self.multi_label:
            return float(terms.sum())
        by_label = terms.sum(0)
        if self.label_weights is None:
            return float(by_label.mean())
        lw = np.asarray(self.label_weights, np.float64)
        return float(_divide_no_nan(np.sum(by_label * lw), np.sum(lw)))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config: dict[str, Any] = {
            "name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "label_weights": self.label_weights,
            "from_logits": self.from_logits}
        if self._given_thresholds is not None:
            config["thresholds"] = self._given_thresholds
        return config


# ---- F-scores -----------------------------------------------------------------------------------


_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score ``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``
    per class, over all the data seen (Keras's formula, with 1e-7 in each denominator).

    A prediction counts as positive when ``> threshold``; with ``threshold=None`` only the
    largest prediction of each sample is positive (and only if nonzero).

    Args:
        average: None (one score per class, an array), ``'micro'`` (counts pooled over the
            classes), ``'macro'`` (mean of the per-class scores) or ``'weighted'`` (their mean
            weighted by each class's number of true instances).
        beta: > 0 (default 1.0).
        threshold: in (0, 1], or None (the arg-max rule above).
        name: default ``'fbeta_score'``; dtype accepted for Keras compatibility.
    Raises:
        ValueError: an unknown ``average``, ``beta`` <= 0, a threshold outside (0, 1]; at
            update, inputs that are not 2-D ``(batch, classes)``.
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        cls = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{cls}: invalid average argument {average!r}; expected one of "
                             "None, 'micro', 'macro', 'weighted'")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{cls}: beta must be a float > 0, got {beta!r}")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(
                threshold, (int, float)) or not 0 < threshold <= 1):
            raise ValueError(f"{cls}: threshold must be a float in (0, 1], got {threshold!r}")
        self.average, self.beta = average, float(beta)
        self.threshold = None if threshold is None else float(threshold)
        super().__init__(name, dtype)

    def _reset_parts(self) -> None:
        super()._reset_parts()
        self._sums: list[Tensor] | None = None

    def _state(self) -> Any:
        return self._sums

    def _restore(self, state: Any) -> None:
        self._sums = state

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch (``(batch, classes)`` one-hot or multi-hot labels and scores).

        Raises:
            ValueError: inputs that are not 2-D of one shape.
        """
        y_pred = _as_tensor(y_pred)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(ember.float32)
        w = None if sample_weight is None else _as_tensor(sample_weight)
        with no_grad():
            self._update(_as_tensor(y_true), y_pred, False, w)

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None) -> None:
        if logits:
            y_pred = _probabilities(y_pred, self._activation)
        if y_pred.dim() != 2 or tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                             f"output_dim), got y_true.shape={tuple(y_true.shape)} and "
                             f"y_pred.shape={tuple(y_pred.shape)}")
        y_pred = y_pred.to(ember.float32)
        if self.threshold is None:
            top = y_pred.amax(-1, keepdim=True)
            pred = _C.logical_and(y_pred >= top, _C.abs(y_pred) > 1e-9).to(ember.float64)
        else:
            pred = (y_pred > self.threshold).to(ember.float64)
        true = y_true.to(ember.float64)
        parts = [pred * true, pred * (1.0 - true), (1.0 - pred) * true, true]
        if sample_weight is not None:
            w = sample_weight.detach().to(ember.float64).reshape(-1, 1)
            parts = [p * w for p in parts]
        dims = [0, 1] if self.average == "micro" else [0]
        sums = [p.sum(dims) for p in parts]
        self._sums = sums if self._sums is None else [a + b for a, b in zip(self._sums, sums)]

    def result(self) -> Any:
        """The score: a float, or an array of per-class scores with ``average=None`` (0.0
        before any update)."""
        if self._sums is None:
            return 0.0
        tp, fp, fn, weights = (np.asarray(t.numpy(), np.float64) for t in self._sums)
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            return float(np.sum(score * weights / (np.sum(weights) + EPSILON)))
        if self.average is not None:
            return float(np.mean(score))
        return score.astype(np.float32)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score ``2 * precision * recall / (precision + recall)``: :class:`FBetaScore` with
    ``beta=1``.

    Args:
        average: None (per-class array, default), ``'micro'``, ``'macro'`` or ``'weighted'``.
        threshold: in (0, 1], or None (each sample's largest prediction is the positive one).
        name: default ``'f1_score'``.
    Raises:
        ValueError: as :class:`FBetaScore`.
    Example:
        >>> m = keras.metrics.F1Score(average="micro", threshold=0.5)
        >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.6, 0.4]]))
        >>> round(m.result(), 4)
        0.5
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "average": self.average, "threshold": self.threshold}


# ---- top-k accuracy ----------------------------------------------------------------------------


def _in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Tensor:
    # TensorFlow's in_top_k: the target is in the top k when fewer than k classes score
    # strictly higher (ties at the boundary count as in); non-finite scores never are.
    score = predictions.gather(-1, targets.unsqueeze(-1))
    higher = (predictions > score).sum(-1)
    finite = _C.logical_and(predictions.isfinite().all(-1), score.squeeze(-1).isfinite())
    return _C.logical_and(higher < k, finite)


class TopKCategoricalAccuracy(Metric):
    """Fraction of samples whose one-hot label's class is among the ``k`` highest predictions
    (ties at the k-th place count as in, as TensorFlow's ``in_top_k``).

    Args:
        k: default 5.
        name: default ``'top_k_categorical_accuracy'``; dtype accepted for Keras compatibility.
    Raises:
        ValueError: ``k`` not a positive int.
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"{type(self).__name__}: k must be a positive int, got {k!r}")
        self.k = k
        super().__init__(name, dtype)

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int | None]:
        return self._hits(y_true.argmax(-1), y_pred), None

    def _hits(self, labels: Tensor, y_pred: Tensor) -> Tensor:
        if y_pred.dim() > 2:
            c = y_pred.shape[-1]
            y_pred, labels = y_pred.reshape(-1, c), labels.reshape(-1)
        return _in_top_k(labels.to(ember.int64), y_pred, self.k)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Fraction of samples whose integer label is among the ``k`` highest predictions.

    Args:
        k: default 5.
        name: default ``'sparse_top_k_categorical_accuracy'``.
        from_sorted_ids: ``y_pred`` holds class ids sorted by score (best first), e.g. from a
            top-k search, instead of scores (default False).
    Raises:
        ValueError: ``k`` not a positive int.
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None, from_sorted_ids: bool = False) -> None:
        self.from_sorted_ids = bool(from_sorted_ids)
        super().__init__(k, name, dtype)

    def _batch(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> tuple[Tensor, int | None]:
        if y_true.dim() == y_pred.dim():
            y_true = y_true.squeeze(-1)
        labels = y_true.to(ember.int64)
        if self.from_sorted_ids:
            ids = y_pred.narrow(-1, 0, min(self.k, int(y_pred.shape[-1]))).to(ember.int64)
            return _C.eq(ids, labels.unsqueeze(-1)).any(-1), None
        return self._hits(labels, y_pred), None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "from_sorted_ids": self.from_sorted_ids}


# ---- MeanIoU ------------------------------------------------------------------------------------


class MeanIoU(Metric):
    """Mean intersection-over-union over the classes: from the confusion matrix ``cm`` (rows:
    true class, columns: predicted), ``IoU_c = cm[c, c] / (row_c + col_c - cm[c, c])``, averaged
    over the classes that occur (Keras's formula, with 1e-7 in the denominators).

    Args:
        num_classes: number of classes (positive int).
        name, dtype: the metric's name (default ``'mean_io_u'``); dtype accepted.
        ignore_class: a label value left out of the matrix (default None).
        sparse_y_true: labels are class indices (default True); False: one-hot/scores, arg-max
            along ``axis`` is taken.
        sparse_y_pred: predictions are class indices (default True); False: scores.
        axis: the class axis of non-sparse inputs (default -1).
    Raises:
        ValueError: ``num_classes`` not a positive int.
    Example:
        >>> m = keras.metrics.MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"MeanIoU: num_classes must be a positive int, got {num_classes!r}")
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = (bool(sparse_y_true),
                                                             bool(sparse_y_pred), int(axis))
        super().__init__(name, dtype)

    def _reset_parts(self) -> None:
        super()._reset_parts()
        self._matrix: Tensor | None = None

    def _state(self) -> Any:
        return self._matrix

    def _restore(self, state: Any) -> None:
        self._matrix = state

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds one batch to the confusion matrix.

        Raises:
            ValueError: labels or predictions outside ``[0, num_classes)``, or mismatched
                sizes.
        """
        y_pred = _as_tensor(y_pred)
        w = None if sample_weight is None else _as_tensor(sample_weight)
        with no_grad():
            self._update(_as_tensor(y_true), y_pred, False, w)

    def _update(self, y_true: Tensor, y_pred: Tensor, logits: bool,
                sample_weight: Tensor | None = None) -> None:
        if not self.sparse_y_true:
            y_true = y_true.argmax(self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(self.axis)
        t = y_true.to(ember.int64).reshape(-1)
        p = y_pred.to(ember.int64).reshape(-1)
        if t.numel() != p.numel():
            raise ValueError(f"{self.name}: y_true has {t.numel()} values but y_pred "
                             f"{p.numel()}")
        if sample_weight is None:
            w = ember.ones(t.numel(), dtype=ember.float64)
        else:
            w = _weights_like(sample_weight, y_true, self.name).reshape(-1)
        if self.ignore_class is not None:
            valid = _C.ne(t, int(self.ignore_class))
            t, p = t * valid, p * valid
            w = w * valid.to(ember.float64)
        c = self.num_classes
        if t.numel():
            lo = min(int(t.min().item()), int(p.min().item()))
            hi = max(int(t.max().item()), int(p.max().item()))
            if lo < 0 or hi >= c:
                raise ValueError(f"{self.name}: labels and predictions must be in [0, {c}), got "
                                 f"values in [{lo}, {hi}]")
        cm = ember.zeros(c * c, dtype=ember.float64).scatter_add(0, t * c + p, w)
        cm = cm.reshape(c, c)
        self._matrix = cm if self._matrix is None else self._matrix + cm

    def result(self) -> float:
        """The mean IoU (0.0 before any update)."""
        if self._matrix is None:
            return 0.0
        cm = np.asarray(self._matrix.numpy(), np.float64)
        tp = np.diag(cm)
        denom = cm.sum(0) + cm.sum(1) - tp
        valid = float(np.sum(denom > 1e-9))
        iou = tp / (denom + EPSILON)
        return float(np.sum(iou) / (valid + EPSILON))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"name": self.name, "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


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
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "true_positives": TruePositives,
    "false_positives": FalsePositives,
    "true_negatives": TrueNegatives,
    "false_negatives": FalseNegatives,
    "f1_score": F1Score,
    "fbeta_score": FBetaScore,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "root_mean_squared_error": RootMeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "logcosh": LogCoshError,
    "log_cosh_error": LogCoshError,
    "poisson": Poisson,
    "cosine_similarity": CosineSimilarity,
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
        f"{', '.join(_BY_NAME)} (or a keras.metrics.Metric, or a "
        "function (y_true, y_pred) -> per-sample values)"
    )
