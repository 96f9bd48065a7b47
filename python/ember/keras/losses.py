"""Keras losses (``keras.losses``), computed with ember ops.

Losses follow Keras's argument order ``loss(y_true, y_pred)`` and its default reduction
``'sum_over_batch_size'`` (the mean of the per-sample losses). Probability inputs
(``from_logits=False``) are clipped to ``[1e-7, 1 - 1e-7]`` before the log, as in Keras.
Inside ``fit``, a final softmax (or sigmoid) layer is fused with the cross entropy: the loss
is computed from the layer's logits with ember's fused ``cross_entropy`` (or
``binary_cross_entropy_with_logits``), mathematically the same loss without the clipping.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .. import _C
from .._C import Tensor
from ..nn import functional as F

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

EPSILON = 1e-7
_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "sum": "sum", "none": "none",
               None: "none", "auto": "mean"}


def _as_tensor(x: Any, dtype: Any = None) -> Tensor:
    if not isinstance(x, Tensor):
        x = ember.from_numpy(np.ascontiguousarray(np.asarray(x)))
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    return x


def _match_rank(y_true: Tensor, y_pred: Tensor) -> Tensor:
    # Keras aligns (N,) targets with (N, 1) outputs and vice versa.
    if y_true.dim() == y_pred.dim() - 1 and y_pred.shape[-1] == 1:
        return y_true.unsqueeze(-1)
    if y_true.dim() == y_pred.dim() + 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1)
    return y_true


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> a 0-d tensor (with the
    default reduction).

    Write your own loss as in Keras: subclass it and implement ``call(y_true, y_pred)``
    returning the loss per sample (or per element); ``__call__`` converts the inputs to
    tensors (integer predictions become float32), applies ``sample_weight`` and reduces as
    ``reduction`` says. ``fit``/``evaluate`` use the same protocol.

    Args:
        name: the loss's name (default the snake-case class name).
        reduction: ``'sum_over_batch_size'`` (default; the mean over every element of the
            per-sample losses), ``'sum'`` or ``'none'``.
        dtype: accepted for Keras compatibility (losses are computed in the dtype of
            ``y_pred``).
    Raises:
        ValueError: an unknown reduction.
    Example:
        >>> class L2(keras.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 2).sum(-1)
        >>> float(L2()([[0.0, 1.0]], [[1.0, 3.0]]))
        5.0
    """

    _fused_activation: str | None = None  # final activation this loss can fuse ("softmax", ...)
    _target_dtype: Any = None

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: unknown reduction {reduction!r}; accepted: "
                "'sum_over_batch_size', 'sum', 'none'"
            )
        self.reduction = reduction
        self.name = name or _snake_name(type(self).__name__)
        self.from_logits = getattr(self, "from_logits", False)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The loss of a batch.

        Args:
            y_true: targets; y_pred: predictions (arrays or tensors; integers are cast to
                float32, targets to the dtype of the predictions).
            sample_weight: optional weights, one per sample (broadcast over the remaining
                axes of the per-sample losses, e.g. over timesteps): the losses are
                multiplied by them, then ``'sum_over_batch_size'`` divides the sum by the
                number of loss values (not by the weights' sum), ``'sum'`` sums, ``'none'``
                returns them.
        Returns:
            0-d tensor (per-sample tensor with ``reduction='none'``).
        Raises:
            ValueError: ``sample_weight`` that does not broadcast to the per-sample losses.
        """
        y_pred = _as_tensor(y_pred)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(ember.float32)
        y_true = _as_tensor(y_true, self._target_dtype or y_pred.dtype)
        return self._apply(y_true, y_pred, self.from_logits, sample_weight)

    def _apply(self, y_true: Tensor, y_pred: Tensor, logits: bool, sample_weight: Any = None,
               reduction: str | None = None) -> Tensor:
        # The loss with Keras's weighting and `reduction` (default: this loss's own).
        reduction = _REDUCTIONS[self.reduction] if reduction is None else reduction
        if sample_weight is None:
            return self._compute(y_true, y_pred, logits, reduction)
        per = self._compute(y_true, y_pred, logits, "none")
        if per.dim() == 0:
            raise ValueError(f"loss '{self.name}' returned one value per batch; sample_weight "
                             "and class_weight need per-sample values")
        w = _as_tensor(sample_weight, per.dtype)
        if w.dim() > per.dim() and all(d == 1 for d in w.shape[per.dim():]):
            w = w.reshape(tuple(w.shape[:per.dim()]))
        if w.dim() < per.dim():
            w = w.reshape(*w.shape, *([1] * (per.dim() - w.dim())))
        if w.dim() != per.dim() or any(a != b and a != 1 for a, b in zip(w.shape, per.shape)):
            raise ValueError(
                f"loss '{self.name}': sample_weight of shape {tuple(w.shape)} does not broadcast "
                f"to the per-sample losses of shape {tuple(per.shape)}; expected one weight per "
                f"sample, shape ({per.shape[0]},)")
        weighted = per * w
        if reduction == "none":
            return weighted
        return weighted.sum() if reduction == "sum" else weighted.sum() / per.numel()

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        """The loss per sample (or per element) of tensors ``y_true``, ``y_pred``; subclasses
        written as in Keras override it.

        Raises:
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__}: a keras.losses.Loss subclass must implement "
            "call(self, y_true, y_pred) returning the loss per sample")

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        # Built-in losses override this; user subclasses implement `call`.
        out = _as_tensor(self.call(y_true, y_pred))
        return _reduce(out, reduction) if out.dim() > 0 else out

    def check_targets(self, y: np.ndarray, output_shape: tuple) -> None:
        """Checks a whole label array against the model's output shape before training.

        Raises:
            ValueError: labels in a format this loss would silently mis-train on.
        """

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"reduction": self.reduction, "name": self.name}


def _snake_name(cls_name: str) -> str:
    from .layers.base import _snake

    return _snake(cls_name)


class MeanSquaredError(Loss):
    """``mean((y_true - y_pred) ** 2)`` over the last axis, then over the batch."""

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        y_true = _match_rank(y_true, y_pred)
        d = y_pred - y_true
        if reduction == "none":
            return (d * d).mean(-1)
        return _reduce(d * d, reduction) if reduction == "mean" else (d * d).mean(-1).sum()


class MeanAbsoluteError(Loss):
    """``mean(|y_true - y_pred|)`` over the last axis, then over the batch."""

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        y_true = _match_rank(y_true, y_pred)
        a = _C.abs(y_pred - y_true)
        if reduction == "none":
            return a.mean(-1)
        return a.mean() if reduction == "mean" else a.mean(-1).sum()


def _check_width(name: str, y: np.ndarray, output_shape: tuple) -> None:
    width = output_shape[-1] if output_shape else None
    if y.ndim >= 2 and width is not None and y.shape[-1] != width:
        raise ValueError(
            f"{name}: labels have shape {y.shape} but the model outputs shape "
            f"{_shape_txt(output_shape)}; the last dimensions ({y.shape[-1]} vs {width}) must match"
        )


def _shape_txt(shape: tuple) -> str:
    from .layers.base import shape_str

    return shape_str(tuple(shape))


class BinaryCrossentropy(Loss):
    """Binary cross entropy ``-(y log p + (1 - y) log(1 - p))``, averaged.

    Args:
        from_logits: ``y_pred`` are logits (no sigmoid applied) instead of probabilities.
        label_smoothing: in [0, 1]; targets become ``y * (1 - s) + 0.5 * s``.
    Raises (at ``fit``):
        ValueError: labels outside [0, 1], or one label per sample for a model with several
            outputs per sample.
    """

    _fused_activation = "sigmoid"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction: str = "sum_over_batch_size", name: str = "binary_crossentropy") -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        y_true = _match_rank(y_true, y_pred)
        if y_true.dtype != y_pred.dtype:
            y_true = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if logits:
            if reduction == "mean":
                return F.binary_cross_entropy_with_logits(y_pred, y_true)
            per = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
        else:
            p = _C.clamp(y_pred, EPSILON, 1.0 - EPSILON)
            per = -(y_true * _C.log(p) + (1.0 - y_true) * _C.log(1.0 - p))
            if reduction == "mean":
                return per.mean()
        per = per.mean(-1)
        return per.sum() if reduction == "sum" else per

    def check_targets(self, y: np.ndarray, output_shape: tuple) -> None:
        """Checks the whole label array against the model's output shape (see :meth:`Loss.check_targets`)."""
        if y.size and (float(y.min()) < 0 or float(y.max()) > 1):
            raise ValueError(
                f"binary_crossentropy: labels must be in [0, 1], got values in "
                f"[{y.min()}, {y.max()}]; for integer class labels use "
                "'sparse_categorical_crossentropy' with a softmax output"
            )
        width = output_shape[-1] if output_shape else None
        if output_shape and y.ndim == len(output_shape) - 1 and width not in (None, 1):
            raise ValueError(
                f"binary_crossentropy: labels of shape {y.shape} hold one value per sample, but "
                f"the model outputs shape {_shape_txt(output_shape)} ({width} values per "
                "sample); for one 0/1 label per sample end the model with Dense(1, "
                "activation='sigmoid'), or keep the softmax output and use "
                "loss='sparse_categorical_crossentropy'"
            )
        _check_width("binary_crossentropy", y, output_shape)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(Loss):
    """Cross entropy with one-hot (or probability) targets: ``-sum(y * log p)`` over the last
    axis, averaged over the batch.

    Args:
        from_logits: ``y_pred`` are logits instead of probabilities (softmax applied inside).
        label_smoothing: in [0, 1]; targets become ``y * (1 - s) + s / C``.
    Raises (at ``fit``):
        ValueError: integer class labels instead of one-hot ones, a width that differs from
            the output's, or a 1-unit output (the loss would always be 0).
    """

    _fused_activation = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "sum_over_batch_size",
                 name: str = "categorical_crossentropy") -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        if axis != -1:
            raise NotImplementedError("CategoricalCrossentropy: only axis=-1 is supported")
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        if y_true.dtype != y_pred.dtype:
            y_true = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            c = y_pred.shape[-1]
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / c
        if logits:
            if y_pred.dim() == 2:
                return F.cross_entropy(y_pred, y_true, reduction=reduction)
            logp = _C.log_softmax(y_pred, -1)
        else:
            p = y_pred / y_pred.sum(-1, keepdim=True)
            logp = _C.log(_C.clamp(p, EPSILON, 1.0 - EPSILON))
        return _reduce(-(y_true * logp).sum(-1), reduction)

    def check_targets(self, y: np.ndarray, output_shape: tuple) -> None:
        """Checks the whole label array against the model's output shape (see :meth:`Loss.check_targets`)."""
        width = output_shape[-1] if output_shape else None
        if width == 1:
            raise ValueError(
                f"categorical_crossentropy needs an output with one unit per class, but the "
                f"model outputs shape {_shape_txt(output_shape)}: with a single class the loss "
                "is always 0 and nothing trains; for two classes use a Dense(1, "
                "activation='sigmoid') output with loss='binary_crossentropy', or Dense(2, "
                "activation='softmax') with one-hot labels"
            )
        if (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)) and width is not None:
            raise ValueError(
                f"categorical_crossentropy expects one-hot labels of shape (N, {width}), but got "
                f"integer class labels of shape {y.shape}; use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them with "
                "keras.utils.to_categorical(y, num_classes)"
            )
        _check_width("categorical_crossentropy", y, output_shape)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(Loss):
    """Cross entropy with integer class labels: ``-log p[y]``, averaged over the batch.

    Args:
        from_logits: ``y_pred`` are logits instead of probabilities.
        ignore_class: a label value that contributes nothing (default None).
    Raises (at ``fit``):
        ValueError: one-hot labels, labels outside ``[0, C)`` or non-integer labels.
    """

    _fused_activation = "softmax"
    _target_dtype = ember.int64

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy") -> None:
        self.from_logits = bool(from_logits)
        self.ignore_class = ignore_class
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        if y_true.dtype != ember.int64:
            y_true = y_true.to(ember.int64)
        if y_true.dim() == y_pred.dim():  # (N, 1) labels
            y_true = y_true.squeeze(-1)
        ignore = -100 if self.ignore_class is None else int(self.ignore_class)
        lead = tuple(y_pred.shape[:-1])  # (N,) or (N, T, ...): the shape of the 'none' result
        if y_pred.dim() != 2:
            if y_true.numel() != y_pred.numel() // max(int(y_pred.shape[-1]), 1):
                raise ValueError(
                    f"{self.name}: labels of shape {tuple(y_true.shape)} do not match "
                    f"predictions of shape {tuple(y_pred.shape)}; expected labels of shape "
                    f"{lead}")
            c = y_pred.shape[-1]
            y_pred = y_pred.reshape(-1, c)
            y_true = y_true.reshape(-1)
        if logits:
            out = F.cross_entropy(y_pred, y_true, ignore_index=ignore, reduction=reduction)
        else:
            p = y_pred / y_pred.sum(-1, keepdim=True)
            logp = _C.log(_C.clamp(p, EPSILON, 1.0 - EPSILON))
            out = F.nll_loss(logp, y_true, ignore_index=ignore, reduction=reduction)
        return out.reshape(lead) if reduction == "none" and len(lead) != 1 else out

    def check_targets(self, y: np.ndarray, output_shape: tuple) -> None:
        """Checks the whole label array against the model's output shape (see :meth:`Loss.check_targets`)."""
        width = output_shape[-1] if output_shape else None
        expected_rank = len(output_shape) - 1 if output_shape else 1
        if (y.ndim == expected_rank + 1 and y.shape[-1] == width and width not in (None, 1)):
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape "
                f"{(y.shape[0],) + tuple(y.shape[1:-1])}, but got labels of shape {y.shape} that "
                f"look one-hot encoded; use loss='categorical_crossentropy', or pass the class "
                f"indices (y.argmax(axis=-1))"
            )
        if y.size == 0:
            return
        if y.dtype.kind == "f" and not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(
                "sparse_categorical_crossentropy expects integer class labels, got non-integer "
                "values; for probability targets use 'categorical_crossentropy'"
            )
        lo, hi = int(y.min()), int(y.max())
        if self.ignore_class is not None:
            valid = y[y != self.ignore_class]
            lo, hi = (int(valid.min()), int(valid.max())) if valid.size else (0, 0)
        if width is not None and (lo < 0 or hi >= width):
            raise ValueError(
                f"sparse_categorical_crossentropy: labels must be in [0, {width}) for a model "
                f"with {width} outputs, got labels in [{lo}, {hi}]"
            )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample ``mean((y_true - y_pred) ** 2, axis=-1)``."""
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample ``mean(|y_true - y_pred|, axis=-1)``."""
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Per-sample binary cross entropy (mean over the last axis)."""
    return BinaryCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Per-sample categorical cross entropy with one-hot targets."""
    return CategoricalCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Per-sample cross entropy with integer labels."""
    return SparseCategoricalCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)


# ---- more losses (Keras 3's formulas) --------------------------------------------------------


class _PerSample(Loss):
    """A built-in loss defined by its per-sample values (``_per_sample``), reduced as
    ``reduction`` says; ``(N,)`` targets are aligned with ``(N, 1)`` outputs."""

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        raise NotImplementedError

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        y_true = _match_rank(y_true, y_pred)
        if y_true.dtype != y_pred.dtype:
            y_true = y_true.to(y_pred.dtype)
        return _reduce(self._per_sample(y_true, y_pred, logits), reduction)


class Huber(_PerSample):
    """Huber loss, quadratic near zero and linear beyond ``delta``: per element ``0.5 * e **
    2`` if ``|e| <= delta`` else ``delta * |e| - 0.5 * delta ** 2`` (``e = y_pred -
    y_true``), averaged over the last axis, then over the batch.

    Args:
        delta: the switch point (> 0, default 1.0).
        reduction, name, dtype: as :class:`Loss` (default name ``'huber_loss'``).
    Raises:
        ValueError: ``delta`` <= 0, or an unknown reduction.
    Reference: Huber, "Robust Estimation of a Location Parameter", 1964.
    """

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None) -> None:
        if not float(delta) > 0:
            raise ValueError(f"Huber: delta must be > 0, got {delta}")
        self.delta = float(delta)
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        e = y_pred - y_true
        a = _C.abs(e)
        d = self.delta
        return _C.where(a <= d, e * e * 0.5, a * d - 0.5 * d * d).mean(-1)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "delta": self.delta}


def _hinge_labels(y_true: Tensor) -> Tensor:
    # Keras: labels that are all 0/1 are mapped to -1/1; others are used as given.
    binary = _C.all(_C.logical_or(y_true == 0, y_true == 1))
    return _C.where(binary, y_true * 2.0 - 1.0, y_true)


class Hinge(_PerSample):
    """Hinge loss ``mean(max(1 - y_true * y_pred, 0))`` over the last axis; labels are -1/1
    (0/1 labels are mapped to -1/1).

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'hinge'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        return _C.relu(1.0 - _hinge_labels(y_true) * y_pred).mean(-1)


class SquaredHinge(_PerSample):
    """Squared hinge loss ``mean(max(1 - y_true * y_pred, 0) ** 2)`` over the last axis;
    labels are -1/1 (0/1 labels are mapped to -1/1).

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'squared_hinge'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "squared_hinge",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        h = _C.relu(1.0 - _hinge_labels(y_true) * y_pred)
        return (h * h).mean(-1)


class CategoricalHinge(_PerSample):
    """Categorical hinge loss with one-hot targets: ``max(neg - pos + 1, 0)`` with ``pos =
    sum(y_true * y_pred)`` and ``neg = max((1 - y_true) * y_pred)`` over the last axis.

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'categorical_hinge'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "categorical_hinge",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        pos = (y_true * y_pred).sum(-1)
        neg = ((1.0 - y_true) * y_pred).amax(-1)
        return _C.relu(neg - pos + 1.0)


class KLDivergence(_PerSample):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis,
    both clipped to ``[1e-7, 1]`` first.

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'kl_divergence'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "kl_divergence",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        t = _C.clamp(y_true, EPSILON, 1.0)
        p = _C.clamp(y_pred, EPSILON, 1.0)
        return (t * _C.log(t / p)).sum(-1)


class LogCosh(_PerSample):
    """``mean(log(cosh(y_pred - y_true)))`` over the last axis, computed stably as ``x +
    softplus(-2 x) - log(2)``; about ``x ** 2 / 2`` for small errors and ``|x| - log(2)`` for
    large ones.

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'log_cosh'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "log_cosh",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        x = y_pred - y_true
        return (x + F.softplus(x * -2.0) - float(np.log(2.0))).mean(-1)


class Poisson(_PerSample):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + 1e-7))`` over the last axis
    (``y_pred`` is the predicted rate).

    Args:
        reduction, name, dtype: as :class:`Loss` (default name ``'poisson'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "poisson",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        return (y_pred - y_true * _C.log(y_pred + EPSILON)).mean(-1)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    # Keras's ops.normalize: x / max(||x||, epsilon).
    return x / _C.clamp((x * x).sum(axis, keepdim=True).sqrt(), EPSILON, None)


class CosineSimilarity(_PerSample):
    """The negative cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``
    along ``axis``: -1 for predictions in the targets' direction, 1 opposite (Keras's sign,
    so minimizing it aligns the vectors). Norms below 1e-7 count as 1e-7.

    Args:
        axis: the axis of the vectors (default -1).
        reduction, name, dtype: as :class:`Loss` (default name ``'cosine_similarity'``).
    """

    def __init__(self, axis: int = -1, reduction: str = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        self.axis = int(axis)
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        return -(_l2_normalize(y_true, self.axis) * _l2_normalize(y_pred, self.axis)).sum(
            self.axis)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "axis": self.axis}


class MeanAbsolutePercentageError(_PerSample):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, 1e-7)|)`` over the last axis.

    Args:
        reduction, name, dtype: as :class:`Loss` (default name
            ``'mean_absolute_percentage_error'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        d = _C.abs((y_true - y_pred) / _C.clamp(_C.abs(y_true), EPSILON, None))
        return d.mean(-1) * 100.0


class MeanSquaredLogarithmicError(_PerSample):
    """``mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2)`` over the last
    axis.

    Args:
        reduction, name, dtype: as :class:`Loss` (default name
            ``'mean_squared_logarithmic_error'``).
    """

    def __init__(self, reduction: str = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        d = _C.log(_C.clamp(y_pred, EPSILON, None) + 1.0) - _C.log(
            _C.clamp(y_true, EPSILON, None) + 1.0)
        return (d * d).mean(-1)


class BinaryFocalCrossentropy(_PerSample):
    """Binary focal cross entropy: the binary cross entropy of each element, scaled by
    ``(1 - p_t) ** gamma`` (``p_t = y p + (1 - y)(1 - p)``, the probability given to the true
    label) so that well-classified examples count less; with ``apply_class_balancing`` also by
    ``alpha`` for positives and ``1 - alpha`` for negatives. Averaged over ``axis``, then over
    the batch. Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` inside the log, as Keras;
    with ``from_logits`` the cross entropy is computed from the logits ``z`` without clipping,
    ``max(z, 0) - z y + log1p(exp(-|z|))`` (so ``gamma=0`` gives
    ``BinaryCrossentropy(from_logits=True)``), and ``p = sigmoid(z)``.

    Args:
        apply_class_balancing: weigh positives by ``alpha`` (default False).
        alpha: class-balancing weight in [0, 1] (default 0.25).
        gamma: focusing parameter >= 0 (default 2.0; 0 gives the plain cross entropy).
        from_logits: ``y_pred`` are logits (a sigmoid is applied first).
        label_smoothing: in [0, 1]; targets become ``y * (1 - s) + 0.5 * s``.
        axis: the axis averaged per sample (default -1).
        reduction, name, dtype: as :class:`Loss` (default name ``'binary_focal_crossentropy'``).
    Raises:
        ValueError: ``gamma`` < 0, or an unknown reduction.
    Reference: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str = "sum_over_batch_size",
                 name: str = "binary_focal_crossentropy", dtype: Any = None) -> None:
        if float(gamma) < 0:
            raise ValueError(f"BinaryFocalCrossentropy: gamma must be >= 0, got {gamma}")
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing, self.axis = float(label_smoothing), int(axis)
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if logits:
            # From the logits, unclipped: max(z, 0) - z y + log1p(exp(-|z|)), as
            # BinaryCrossentropy(from_logits=True); 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z)
            # keeps its size (and gradient) where sigmoid(z) rounds to 0 or 1.
            bce = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
            miss = y_true * _C.sigmoid(-y_pred) + (1.0 - y_true) * _C.sigmoid(y_pred)
        else:
            pc = _C.clamp(y_pred, EPSILON, 1.0 - EPSILON)
            bce = -(y_true * _C.log(pc) + (1.0 - y_true) * _C.log(1.0 - pc))
            miss = 1.0 - (y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred))
        focal = _C.pow(miss, self.gamma) * bce if self.gamma else bce
        if self.apply_class_balancing:
            focal = (y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)) * focal
        return focal.mean(self.axis)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "apply_class_balancing": self.apply_class_balancing,
                "alpha": self.alpha, "gamma": self.gamma, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class CategoricalFocalCrossentropy(_PerSample):
    """Categorical focal cross entropy with one-hot targets: ``sum(-alpha * (1 - p) ** gamma
    * y * log(p))`` over ``axis``, where ``p`` are the predictions renormalized to sum to 1
    and clipped to ``[1e-7, 1 - 1e-7]``; averaged over the batch. With ``from_logits``,
    ``log(p)`` is ``log_softmax(y_pred)``, unclipped (Keras clips the softmax, which caps the
    loss of a confident wrong logit at ``-log(1e-7)`` and zeroes its gradient).

    Args:
        alpha: weighting factor (default 0.25).
        gamma: focusing parameter >= 0 (default 2.0).
        from_logits: ``y_pred`` are logits (a softmax is applied first).
        label_smoothing: in [0, 1]; targets become ``y * (1 - s) + s / C``.
        axis: the class axis (default -1).
        reduction, name, dtype: as :class:`Loss` (default name
            ``'categorical_focal_crossentropy'``).
    Raises:
        ValueError: ``gamma`` < 0, or an unknown reduction.
    Reference: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: Any = None) -> None:
        if float(gamma) < 0:
            raise ValueError(f"CategoricalFocalCrossentropy: gamma must be >= 0, got {gamma}")
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing, self.axis = float(label_smoothing), int(axis)
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool) -> Tensor:
        if self.label_smoothing:
            c = y_pred.shape[self.axis]
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / c
        if logits:
            # log_softmax, unclipped: a confident wrong logit costs its full size (and keeps
            # its gradient); 1 - p = -expm1(log p) stays exact near p = 1.
            logp = _C.log_softmax(y_pred, self.axis)
            miss = -_C.expm1(logp)
        else:
            p = _C.clamp(y_pred / y_pred.sum(self.axis, keepdim=True), EPSILON, 1.0 - EPSILON)
            logp, miss = _C.log(p), 1.0 - p
        cce = -y_true * logp
        weight = _C.pow(miss, self.gamma) * self.alpha if self.gamma else self.alpha
        return (weight * cce).sum(self.axis)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma,
                "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Per-sample Huber loss (see :class:`Huber`)."""
    return Huber(delta=delta, reduction="none")(y_true, y_pred)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample hinge loss (see :class:`Hinge`)."""
    return Hinge(reduction="none")(y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample squared hinge loss (see :class:`SquaredHinge`)."""
    return SquaredHinge(reduction="none")(y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample categorical hinge loss (see :class:`CategoricalHinge`)."""
    return CategoricalHinge(reduction="none")(y_true, y_pred)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample Kullback-Leibler divergence (see :class:`KLDivergence`)."""
    return KLDivergence(reduction="none")(y_true, y_pred)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample log-cosh loss (see :class:`LogCosh`)."""
    return LogCosh(reduction="none")(y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample Poisson loss (see :class:`Poisson`)."""
    return Poisson(reduction="none")(y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Per-sample negative cosine similarity (see :class:`CosineSimilarity`)."""
    return CosineSimilarity(axis=axis, reduction="none")(y_true, y_pred)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample mean absolute percentage error (see :class:`MeanAbsolutePercentageError`)."""
    return MeanAbsolutePercentageError(reduction="none")(y_true, y_pred)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample mean squared logarithmic error (see :class:`MeanSquaredLogarithmicError`)."""
    return MeanSquaredLogarithmicError(reduction="none")(y_true, y_pred)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Per-sample binary focal cross entropy (see :class:`BinaryFocalCrossentropy`)."""
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
                                   label_smoothing, axis, reduction="none")(y_true, y_pred)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Per-sample categorical focal cross entropy (see :class:`CategoricalFocalCrossentropy`)."""
    return CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis,
                                        reduction="none")(y_true, y_pred)


_BY_NAME: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "huber": Huber,
    "huber_loss": Huber,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "log_cosh": LogCosh,
    "logcosh": LogCosh,
    "poisson": Poisson,
    "cosine_similarity": CosineSimilarity,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: Any) -> Loss:
    """Resolves a loss from a name (``'mse'``, ``'mae'``, ``'binary_crossentropy'``,
    ``'categorical_crossentropy'``, ``'sparse_categorical_crossentropy'``, ``'huber'``,
    ``'hinge'``, ``'squared_hinge'``, ``'categorical_hinge'``, ``'kl_divergence'``/``'kld'``,
    ``'log_cosh'``, ``'poisson'``, ``'cosine_similarity'``, ``'mape'``, ``'msle'``,
    ``'binary_focal_crossentropy'``, ``'categorical_focal_crossentropy'``, or a class name),
    a :class:`Loss` instance or class, or a callable ``(y_true, y_pred) -> Tensor``.

    Raises:
        ValueError: an unknown name (the message lists the accepted names).
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown loss {identifier!r}; accepted names: {', '.join(_BY_NAME)} "
                "(or a keras.losses.Loss, or a callable (y_true, y_pred) -> tensor)"
            )
        return cls()
    if callable(identifier):
        return _FunctionLoss(identifier)
    raise ValueError(f"Unknown loss {identifier!r}: expected a name, a Loss or a callable")


class _FunctionLoss(Loss):
    def __init__(self, fn: Any) -> None:
        self.fn = fn
        super().__init__(name=getattr(fn, "__name__", "loss"))

    def _compute(self, y_true: Tensor, y_pred: Tensor, logits: bool, reduction: str) -> Tensor:
        out = self.fn(y_true, y_pred)
        return _reduce(out, reduction) if out.dim() > 0 else out
