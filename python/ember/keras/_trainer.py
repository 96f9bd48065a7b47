"""The training, evaluation and prediction loops behind ``Model.fit``/``evaluate``/``predict``.

Per-step work is kept to what an ``ember.nn`` loop does: numpy data is converted to ember
tensors once, each epoch is shuffled with one ``index_select`` and batches are ``narrow``
views; the model runs through a prepared call plan (no per-call shape checks); a final
softmax/sigmoid is fused into the cross entropy; metrics keep per-batch tensors and are
reduced (``.item()``) only when the progress bar refreshes (at most every 0.5 s) and at the
end of the epoch.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import ember

from .. import _C
from .._C import Tensor
from ..autograd import no_grad
from ..utils.data import DataLoader, Dataset
from . import activations as activations_mod
from . import callbacks as callbacks_mod
from . import losses as losses_mod
from .layers.base import (
    _CONTEXT,
    _LOSS_LAYERS,
    _MASKS,
    Layer,
    _mask_like,
    begin_pass,
    get_keras_mask,
    pass_losses,
    set_keras_mask,
)
from .metrics import _BatchMean, _get_state, _probabilities, _set_state

__all__ = ["evaluate", "fit", "predict", "train_on_batch"]

_REFRESH_S = 0.5  # metrics shown on the progress bar are recomputed at most this often
_BAR_S = 0.1  # the bar's counter is advanced at most this often


# ---- data ---------------------------------------------------------------------------------


def _to_tensor(a: Any, dtype: Any, what: str) -> Tensor:
    if isinstance(a, Tensor):
        t = a.detach()
    else:
        try:
            arr = np.asarray(a)
        except Exception as e:
            raise ValueError(f"{what}: expected a numpy array or ember tensor, got "
                             f"{type(a).__name__} ({e})") from None
        if arr.dtype == object:
            raise ValueError(f"{what}: expected a numeric array, got an object array "
                             f"(ragged lists?) of shape {arr.shape}")
        t = ember.from_numpy(np.ascontiguousarray(arr))
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)
    return t.contiguous()


def _np_view(a: Any) -> np.ndarray:
    return a.detach().numpy() if isinstance(a, Tensor) else np.asarray(a)


def _len(a: Any) -> int:
    return int(a.shape[0]) if hasattr(a, "shape") and len(a.shape) else len(a)


def _slice(a: Any, start: int | None, stop: int | None) -> Any:
    """Samples ``start:stop`` of an array, or of each array of a multi-input list."""
    if isinstance(a, list):
        return [_slice(t, start, stop) for t in a]
    return a[start:stop]


class _ArrayData:
    """Whole arrays as ember tensors. Batches are gathered with ``index_select`` along a
    per-epoch permutation (no copy of the whole data set), or are ``narrow`` views in order."""

    def __init__(self, x: Tensor, y: Tensor | None, batch_size: int, shuffle: bool,
                 w: Tensor | None = None) -> None:
        self.x, self.y, self.w = x, y, w
        self.n = int((x[0] if isinstance(x, list) else x).shape[0])
        self.batch_size, self.shuffle = batch_size, shuffle
        self.steps = math.ceil(self.n / batch_size) if self.n else 0

    def __iter__(self) -> Iterator[tuple[Any, Tensor | None, Tensor | None, int]]:
        x, y, w, n, bs = self.x, self.y, self.w, self.n, self.batch_size
        several = isinstance(x, list)  # one tensor per model input
        if self.shuffle:
            perm = ember.randperm(n)
            take = ember.index_select
            for i in range(0, n, bs):
                m = bs if i + bs <= n else n - i
                idx = perm.narrow(0, i, m)
                xb = [take(t, 0, idx) for t in x] if several else take(x, 0, idx)
                yield (xb, (take(y, 0, idx) if y is not None else None),
                       (take(w, 0, idx) if w is not None else None), m)
            return
        for i in range(0, n, bs):
            m = bs if i + bs <= n else n - i
            xb = [t.narrow(0, i, m) for t in x] if several else x.narrow(0, i, m)
            yield (xb, (y.narrow(0, i, m) if y is not None else None),
                   (w.narrow(0, i, m) if w is not None else None), m)


class _LoaderData:
    """Batches from a DataLoader (or a Dataset wrapped in one)."""

    def __init__(self, loader: Any, x_dtype: Any, y_dtype: Any) -> None:
        self.loader, self.x_dtype, self.y_dtype = loader, x_dtype, y_dtype
        try:
            self.steps = len(loader)
        except TypeError:
            self.steps = None

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor | None, Tensor | None, int]]:
        for batch in self.loader:
            wb = None
            if isinstance(batch, (list, tuple)) and len(batch) == 3:
                xb, yb, wb = batch
            elif isinstance(batch, (list, tuple)) and len(batch) == 2:
                xb, yb = batch
            elif isinstance(batch, (list, tuple)) and len(batch) == 1:
                xb, yb = batch[0], None
            elif isinstance(batch, (list, tuple)):
                raise ValueError(f"fit: a data loader batch must be (x, y) or (x, y, "
                                 f"sample_weight), got {len(batch)} items")
            else:
                xb, yb = batch, None
            xb = _to_tensor(xb, self.x_dtype, "x batch")
            if yb is not None:
                yb = _to_tensor(yb, self.y_dtype, "y batch")
            if wb is not None:
                wb = _to_tensor(wb, ember.float32, "sample_weight batch").reshape(-1)
            yield xb, yb, wb, int(xb.shape[0])


def _dtypes(model: Any, loss: Any, x: Any = None) -> tuple[Any, Any]:
    x_dtype = model._input_dtype()
    if x_dtype is None or x_dtype == ember.float32:
        x_dtype = ember.float32
        if x is not None and not model.built:
            kind = _np_view(x).dtype.kind if not isinstance(x, Tensor) else (
                "f" if x.is_floating_point() else "i")
            if kind in "iu" and _first_is_embedding(model):
                x_dtype = ember.int64
    if isinstance(loss, losses_mod.SparseCategoricalCrossentropy):
        return x_dtype, ember.int64
    out_layer = model._output_layer()  # targets take the output's float dtype (float64 layers)
    y_dtype = getattr(out_layer, "_dtype", ember.float32)
    return x_dtype, y_dtype if y_dtype == ember.float64 else ember.float32


def _first_is_embedding(model: Any) -> bool:
    from .layers.core import Embedding

    layers = getattr(model, "_layers_list", None) or []
    return bool(layers) and isinstance(layers[0], Embedding)


def _check_lengths(x: Any, y: Any, what: str) -> None:
    if y is not None and _len(x) != _len(y):
        raise ValueError(
            f"{what}: x and y must have the same number of samples, got x with {_len(x)} and y "
            f"with {_len(y)} (x shape {tuple(np.shape(x)) if not isinstance(x, Tensor) else tuple(x.shape)}, "
            f"y shape {tuple(np.shape(y)) if not isinstance(y, Tensor) else tuple(y.shape)})"
        )


def _ensure_built(model: Any, sample_shape: tuple, dtype: Any) -> None:
    """Builds an unbuilt model from the data, or checks the data against its input shape."""
    from .layers.base import shape_str

    if not model.built:
        if hasattr(model, "_build_from"):
            model._build_from((None,) + tuple(sample_shape))
        else:
            model.build((None,) + tuple(sample_shape))
        return
    expected = model._build_input_shape
    if expected is None or isinstance(expected, list):
        return
    got = (None,) + tuple(sample_shape)
    ok = len(expected) == len(got) and all(
        e is None or g is None or e == g for e, g in zip(expected[1:], got[1:]))
    if not ok:
        raise ValueError(
            f"Input 0 of model '{model.name}' is incompatible: the model expects inputs of shape "
            f"{shape_str(tuple(expected))}, but the data has shape "
            f"{shape_str((None,) + tuple(sample_shape))} (samples of shape {tuple(sample_shape)})"
        )


def _sample_weights(y: Any, sample_weight: Any, class_weight: Any, n: int,
                    what: str) -> Tensor | None:
    """Per-sample weights (float32, shape (n,)) from ``sample_weight`` or ``class_weight``."""
    if sample_weight is None and class_weight is None:
        return None
    if sample_weight is not None and class_weight is not None:
        raise ValueError(f"{what}: give sample_weight or class_weight, not both")
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise ValueError(f"{what}: class_weight must be a dict {{class index: weight}}, got "
                             f"{type(class_weight).__name__}")
        if y is None:
            raise ValueError(f"{what}: class_weight needs y")
        labels = _np_view(y)
        if labels.ndim > 1:  # Keras: one-hot rows by argmax, (N, 1) columns squeezed
            labels = labels.argmax(-1) if labels.shape[-1] != 1 else labels[..., 0]
        labels = np.round(labels).astype(np.int64).reshape(len(labels), -1)[:, 0]
        w = np.array([float(class_weight.get(int(c), 1.0)) for c in labels], np.float32)
    else:
        w = np.asarray(_np_view(sample_weight), dtype=np.float32)
        if w.ndim > 1 and all(d == 1 for d in w.shape[1:]):
            w = w.reshape(len(w))
        if w.shape != (n,):
            raise ValueError(f"{what}: sample_weight must have one weight per sample, shape "
                             f"({n},), got shape {w.shape}")
    return ember.from_numpy(np.ascontiguousarray(w))


def _prepare_several(model: Any, x: Any, y: Any, batch_size: int, shuffle: bool, what: str,
                     need_y: bool, sample_weight: Any, class_weight: Any) -> _ArrayData:
    """Arrays for a functional model with several inputs: ``x`` is a list, one array each."""
    from .layers.base import shape_str

    inputs = model._inputs
    if not isinstance(x, (list, tuple)) or len(x) != len(inputs):
        raise ValueError(
            f"{what}: model '{model.name}' has {len(inputs)} inputs, so x must be a list of "
            f"{len(inputs)} arrays (one per keras.Input, in order), got "
            f"{len(x) if isinstance(x, (list, tuple)) else type(x).__name__}"
            f"{' arrays' if isinstance(x, (list, tuple)) else ''}")
    xs = []
    for i, (a, kt) in enumerate(zip(x, inputs)):
        t = _to_tensor(a, kt.dtype, f"{what}: x[{i}]")
        got = (None,) + tuple(t.shape[1:])
        if len(got) != len(kt.shape) or any(
                e is not None and g != e for e, g in zip(kt.shape[1:], got[1:])):
            raise ValueError(
                f"{what}: input {i} of model '{model.name}' expects shape {shape_str(kt.shape)}, "
                f"but x[{i}] has shape {shape_str(got)}")
        xs.append(t)
    sizes = [int(t.shape[0]) for t in xs]
    if len(set(sizes)) != 1:
        raise ValueError(f"{what}: the input arrays must have the same number of samples, got "
                         f"{sizes}")
    n = sizes[0]
    if n == 0 and need_y:
        raise ValueError(f"{what}: x has no samples")
    loss = model.loss
    if need_y and y is None and loss is not None:
        raise ValueError(f"{what}: y is required with numpy/tensor inputs")
    yt = None
    if y is not None:
        if _len(y) != n:
            raise ValueError(f"{what}: x and y must have the same number of samples, got x with "
                             f"{n} and y with {_len(y)}")
        _, y_dtype = _dtypes(model, loss)
        if loss is not None and model._output_shape is not None:
            loss.check_targets(_np_view(y), tuple(model._output_shape))
        yt = _to_tensor(y, y_dtype, f"{what}: y")
        if isinstance(loss, losses_mod.SparseCategoricalCrossentropy) and yt.dim() == 2 and yt.shape[1] == 1:
            yt = yt.reshape(-1)
    wt = _sample_weights(y, sample_weight, class_weight, n, what)
    return _ArrayData(xs, yt, batch_size, shuffle, wt)


def _prepare(model: Any, x: Any, y: Any, batch_size: int, shuffle: bool, what: str,
             need_y: bool = True, sample_weight: Any = None, class_weight: Any = None) -> Any:
    loss = model.loss
    if isinstance(x, Dataset) and not isinstance(x, DataLoader):
        x = DataLoader(x, batch_size=batch_size, shuffle=shuffle)
    if isinstance(x, DataLoader) or (hasattr(x, "__iter__") and hasattr(x, "__len__")
                                     and not isinstance(x, (np.ndarray, Tensor, list, tuple))):
        if y is not None or sample_weight is not None or class_weight is not None:
            raise ValueError(f"{what}: y must not be given when x is a DataLoader/Dataset (it "
                             "yields (x, y) or (x, y, sample_weight) batches), nor "
                             "sample_weight or class_weight")
        x_dtype, y_dtype = _dtypes(model, loss)
        if not model.built:
            first = next(iter(x))
            xb = first[0] if isinstance(first, (list, tuple)) else first
            _ensure_built(model, tuple(np.shape(_np_view(xb)))[1:], x_dtype)
        return _LoaderData(x, x_dtype, y_dtype)
    if x is None:
        raise ValueError(f"{what}: x is required")
    if getattr(model, "_nested_outputs", False) and need_y:
        raise NotImplementedError(
            f"{what}: models with several outputs cannot be trained or evaluated by "
            "fit/evaluate/predict yet; call the model on tensors in an ember.nn-style loop"
        )
    if getattr(model, "_nested_inputs", False):
        return _prepare_several(model, x, y, batch_size, shuffle, what, need_y, sample_weight,
                                class_weight)
    if need_y and y is None and loss is not None:
        raise ValueError(f"{what}: y is required with numpy/tensor inputs")
    _check_lengths(x, y, what)
    x_dtype, y_dtype = _dtypes(model, loss, x)
    xt = _to_tensor(x, x_dtype, f"{what}: x")
    if xt.dim() == 0 or (xt.shape[0] == 0 and need_y):
        raise ValueError(f"{what}: x has no samples (shape {tuple(xt.shape)}); expected an array "
                         "whose first dimension counts the samples")
    _ensure_built(model, tuple(xt.shape[1:]), x_dtype)
    yt = None
    if y is not None:
        y_np = _np_view(y)
        if loss is not None:
            out_shape = model._output_shape if not isinstance(model._output_shape, list) else None
            if out_shape is not None:
                loss.check_targets(y_np, tuple(out_shape))
        yt = _to_tensor(y, y_dtype, f"{what}: y")
        if isinstance(loss, losses_mod.SparseCategoricalCrossentropy) and yt.dim() == 2 and yt.shape[1] == 1:
            yt = yt.reshape(-1)
    wt = _sample_weights(y, sample_weight, class_weight, int(xt.shape[0]), what)
    return _ArrayData(xt, yt, batch_size, shuffle, wt)


# ---- compiled pieces -----------------------------------------------------------------------


def _check_compiled(model: Any, what: str) -> None:
    if model.optimizer is None or model.loss is None:
        raise RuntimeError(f"You must call compile(optimizer, loss) on model '{model.name}' "
                           f"before {what}")


def _fusion(model: Any) -> bool:
    """Whether the final activation is fused into the loss; raises on logits traps."""
    loss = model.loss
    act = model._final_activation()
    _check_output_activation(model, loss, act)
    if act is None or loss is None:
        return False
    if getattr(loss, "from_logits", False) and act in ("softmax", "sigmoid"):
        layer = model._output_layer()
        raise ValueError(
            f"loss '{loss.name}' was given from_logits=True, but the model's output layer "
            f"'{layer.name}' applies activation='{act}', so its outputs are probabilities, not "
            f"logits; remove activation='{act}' from the last layer (keep from_logits=True) or "
            "use from_logits=False"
        )
    return loss._fused_activation == act and not loss.from_logits


def _check_output_activation(model: Any, loss: Any, act: str | None) -> None:
    """Output-layer traps: a softmax over one unit, and a linear output fed to a cross
    entropy that expects probabilities."""
    from .layers.core import Activation, Dense

    layer = model._output_layer()
    while isinstance(layer, Layer) and hasattr(layer, "_output_layer"):
        layer = layer._output_layer()
    out_shape = model._output_shape if not isinstance(model._output_shape, list) else None
    if act == "softmax" and out_shape and out_shape[-1] == 1:
        raise ValueError(
            f"the model's output layer '{layer.name}' applies softmax over a single unit, so "
            "it always outputs 1.0 and nothing can be learned; for a binary problem use "
            "Dense(1, activation='sigmoid') with loss='binary_crossentropy', or Dense(2, "
            "activation='softmax') with 'sparse_categorical_crossentropy'"
        )
    if (isinstance(loss, (losses_mod.BinaryCrossentropy, losses_mod.CategoricalCrossentropy,
                          losses_mod.SparseCategoricalCrossentropy))
            and not loss.from_logits and isinstance(layer, (Dense, Activation))
            and layer.activation is activations_mod.linear):
        warnings.warn(
            f"loss '{loss.name}' expects probabilities (from_logits=False), but the model's "
            f"output layer '{layer.name}' has no activation, so it outputs logits; use "
            f"{type(loss).__name__}(from_logits=True), or add activation="
            f"'{'sigmoid' if isinstance(loss, losses_mod.BinaryCrossentropy) else 'softmax'}' "
            "to the last layer",
            stacklevel=4,
        )


def _forward_plan(model: Any, fused: bool) -> Any:
    """``model._fit_forward_plan(fused)`` run as one forward pass (``Layer.add_loss`` terms
    added during it are the batch's; see :func:`_loss_fn`)."""
    forward = model._fit_forward_plan(fused)

    def run(x: Any, training: bool) -> Any:
        """Starts a new forward pass, then runs the model's plan on ``x``."""
        begin_pass()
        _CONTEXT.depth += 1  # layers called inside belong to this pass
        try:
            return forward(x, training)
        finally:
            _CONTEXT.depth -= 1

    return run


def _output_mask(out: Any) -> Tensor | None:
    """The Keras mask of the model output ``out`` (None without one, or for several outputs)."""
    return get_keras_mask(out) if _MASKS and isinstance(out, Tensor) else None


def _loss_fn(loss: Any, fused: bool, model: Any = None) -> Any:
    """``(y, out, sample_weight=None) -> 0-d loss``: the compiled loss with its reduction,
    weighted as Keras does (``sum(w_i * loss_i) / number of loss values``), plus the weights'
    regularization penalties and the terms layers added with ``add_loss`` during the batch's
    forward pass (e.g. ``ActivityRegularization``). When ``out`` carries a Keras mask (a
    sequence model after ``Embedding(mask_zero=True)`` or ``Masking``), the masked steps count
    for nothing: see :func:`_masked_loss`."""
    reduction = _reduction(loss)
    base = _base_loss_fn(loss, fused, reduction)
    logits = fused or loss.from_logits
    regularized = model._regularized() if model is not None else []

    def data_loss(y: Tensor, out: Tensor, w: Tensor | None) -> Tensor:
        """The compiled loss of a batch: masked, weighted, or plain."""
        mask = _output_mask(out)
        if mask is not None:
            return _masked_loss(loss, y, out, logits, w, reduction, mask)
        return base(y, out) if w is None else loss._apply(y, out, logits, w, reduction)

    def compute(y: Tensor, out: Tensor, w: Tensor | None = None) -> Tensor:
        """Loss of a batch, weighted by the per-sample weights ``w`` when given."""
        total = data_loss(y, out, w)
        for reg, wt in regularized:
            total = total + reg(wt)
        for term in pass_losses():
            total = total + term
        return total

    if not regularized:
        def plain(y: Tensor, out: Tensor, w: Tensor | None = None) -> Tensor:
            """Loss of a batch (plus any add_loss terms of its forward pass)."""
            total = data_loss(y, out, w)
            if _LOSS_LAYERS:
                for term in pass_losses():
                    total = total + term
            return total

        return plain
    return compute


_MASK_EPSILON = 1e-7  # Keras's backend epsilon, added to the count of unmasked entries


def _masked_loss(loss: Any, y: Tensor, out: Tensor, logits: bool, w: Tensor | None,
                 reduction: str, mask: Tensor) -> Tensor:
    """The loss of a batch whose output carries the Keras mask ``mask`` (``(batch, steps)``).

    As Keras 3 (``Loss.__call__`` and ``losses.loss.apply_mask``), the mask joins the sample
    weights: with the per-entry losses ``l`` (``reduction='none'``), weights ``w`` (1 without
    ``sample_weight``, one per sample, broadcast over the steps) and mask ``m`` (1 unmasked,
    0 masked), ``'sum'`` gives ``sum(l * w * m)`` and the mean reductions
    ``sum(l * w * m) / size(l) * size(m) / (sum(m) + 1e-7)``, the mean over the unmasked
    entries (``sum(l * w * m) / sum(m)`` when ``l`` has the mask's shape). Labels equal to a
    sparse cross entropy's ``ignore_class`` are masked too. A loss without per-step values
    (shapes that do not fit the mask) ignores the mask.

    Raises:
        ValueError: sample weights that are not one per sample.
    """
    per = loss._compute(y, out, logits, "none")
    m = _mask_like(mask, per) if isinstance(per, Tensor) else None
    if m is None:
        return _unmasked_loss(loss, y, out, logits, w, reduction)
    ignore = getattr(loss, "ignore_class", None)
    if ignore is not None and y.numel() == per.numel():
        # Keras: the labels equal to ignore_class are masked too (their losses are 0 here).
        m = _C.logical_and(m, (y != ignore).reshape(*per.shape))
    weights = m.to(per.dtype)
    if w is not None:
        n = int(per.shape[0])
        if w.numel() != n:
            raise ValueError(f"loss '{loss.name}': sample_weight must have one weight per sample, "
                             f"shape ({n},), got shape {tuple(w.shape)}")
        weights = weights * w.to(per.dtype).reshape(n, *([1] * (per.dim() - 1)))
    total = (per * weights).sum()
    if reduction == "sum":
        return total
    valid = m.to(per.dtype).sum() + _MASK_EPSILON
    return total * (float(m.numel()) / float(per.numel())) / valid


def _unmasked_loss(loss: Any, y: Tensor, out: Tensor, logits: bool, w: Tensor | None,
                   reduction: str) -> Tensor:
    """The compiled loss of a batch without a mask (weighted by ``w`` when given)."""
    if w is None:
        return loss._compute(y, out, logits, reduction)
    return loss._apply(y, out, logits, w, reduction)


def _reduction(loss: Any) -> str:
    # A loss compiled with reduction='none' still trains on one number: the mean (Keras).
    r = losses_mod._REDUCTIONS[loss.reduction]
    return "mean" if r == "none" else r


def _base_loss_fn(loss: Any, fused: bool, reduction: str = "mean") -> Any:
    logits = fused or loss.from_logits
    if isinstance(loss, losses_mod.SparseCategoricalCrossentropy) and loss.ignore_class is None:
        def sparse(y: Tensor, out: Tensor) -> Tensor:
            """Sparse categorical cross-entropy; logits with class-index labels take the fused kernel."""
            if logits and out.dim() == 2 and y.dim() == 1:
                return _C._cross_entropy(out, y, None, reduction, -100, 0.0)
            return loss._compute(y, out, logits, reduction)

        return sparse
    return lambda y, out: loss._compute(y, out, logits, reduction)


def _metrics(model: Any, fused: bool, data: Any = None) -> list[Any]:
    out_shape = model._output_shape if not isinstance(model._output_shape, list) else None
    units = out_shape[-1] if out_shape else None
    y_ndim = y_pred_ndim = None
    y = getattr(data, "y", None)
    if y is not None and out_shape:
        y_ndim, y_pred_ndim = y.dim(), len(out_shape)
        if y_ndim > 1 and y.shape[-1] == 1 and units not in (None, 1):
            y_ndim -= 1  # (N, 1) integer labels
    ms = model._resolve_metrics(units, y_ndim, y_pred_ndim)
    act = model._final_activation() if fused else None
    for m in ms:
        m._activation = act
        m._public = m._uses_public_protocol()
    return ms


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def _fmt(logs: dict[str, Any]) -> str:
    def one(v: Any) -> str:
        """A log value: a float to 4 decimals, an array as a bracketed list of them."""
        if isinstance(v, np.ndarray):
            return "[" + ", ".join(f"{float(e):.4f}" for e in v.reshape(-1)) + "]"
        return f"{v:.4f}"

    return " - ".join(f"{k}: {one(v)}" for k, v in logs.items())


# ---- fit -----------------------------------------------------------------------------------


def fit(model: Any, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
        verbose: Any = "auto", callbacks: Sequence[Any] | None = None,
        validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
        initial_epoch: int = 0, steps_per_epoch: int | None = None, **kwargs: Any) -> Any:
    """Trains ``model`` for ``epochs - initial_epoch`` epochs.

    Args:
        x: inputs (numpy array or ember tensor, first dim = samples; a list of them, one per
            ``keras.Input``, for a functional model with several inputs), or a
            ``DataLoader``/``Dataset`` yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches.
        y: targets (numpy array or tensor); None with a loader.
        batch_size: samples per gradient step (default 32; ignored for loaders).
        epochs: index of the last epoch (training runs ``initial_epoch .. epochs-1``).
        verbose: ``'auto'``/1 a progress bar per epoch, 2 one line per epoch, 0 silent.
        callbacks: ``keras.callbacks.Callback`` instances.
        validation_split: fraction in [0, 1) of the samples, taken from the end before
            shuffling, held out for validation (arrays only).
        validation_data: ``(x_val, y_val)`` or a loader, evaluated after each epoch.
        validation_freq (keyword): validate every n-th epoch (an int, default 1) or after the
            listed 1-based epochs (e.g. ``[1, 5, 10]``).
        shuffle: reshuffle the training samples every epoch (default True).
        initial_epoch: epoch to start at (to resume training).
        steps_per_epoch: end each epoch after this many batches (default None: all).
        sample_weight (keyword): one weight per training sample (broadcast over further
            loss axes, e.g. timesteps); each batch's loss is ``sum(w_i * loss_i) / number of
            loss values``. Only ``weighted_metrics`` (see ``compile``) are weighted, as weighted
            means; ``metrics`` ignore the weights (Keras's rule). Split with
            ``validation_split`` like ``x`` and ``y``. When the model's output carries a Keras
            mask (after ``Embedding(mask_zero=True)`` or ``Masking``, with
            ``return_sequences``), the mask joins the weights as in Keras: the loss and the
            mean metrics (accuracy, mse, cross entropies, ...) average over the unmasked steps
            only (the loss divides by their count).
        class_weight (keyword): ``{class index: weight}``; a sample's weight is that of its
            label (integer label, or the arg-max of a one-hot row; classes not listed weigh
            1), used like ``sample_weight``. Training data only; not together with
            ``sample_weight``.
    Returns:
        :class:`~ember.keras.callbacks.History` whose ``history`` maps ``loss``, each metric,
        and ``val_*`` to per-epoch lists.
    Raises:
        RuntimeError: the model is not compiled.
        ValueError: mismatched x/y lengths, data not matching the model's input shape, labels
            in the wrong format for the loss, an output layer that cannot train with the loss
            (softmax over one unit, softmax/sigmoid with ``from_logits=True``), bad
            ``validation_split``/``validation_freq``/``batch_size``/``verbose``.
        NotImplementedError: a model with several outputs.
        TypeError: an unknown keyword argument.
    Warns:
        UserWarning: a cross entropy expecting probabilities after a linear output layer.
    """
    _check_compiled(model, "fit")
    for k in kwargs:
        if k not in ("class_weight", "sample_weight", "validation_steps", "validation_batch_size",
                     "validation_freq", "max_queue_size", "workers", "use_multiprocessing"):
            raise TypeError(f"fit: unexpected keyword argument {k!r}")
    sample_weight, class_weight = kwargs.get("sample_weight"), kwargs.get("class_weight")
    batch_size = 32 if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"fit: batch_size must be a positive int, got {batch_size!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    verbose = _verbose(verbose)
    val_freq = kwargs.get("validation_freq", 1)
    if isinstance(val_freq, bool) or not (
            (isinstance(val_freq, int) and val_freq >= 1)
            or (isinstance(val_freq, (list, tuple, set, range))
                and all(isinstance(e, int) for e in val_freq))):
        raise ValueError(f"fit: validation_freq must be a positive int or a collection of "
                         f"epoch numbers (1-based), got {val_freq!r}")

    if validation_split and validation_data is None:
        if isinstance(x, (Dataset, DataLoader)):
            raise ValueError("fit: validation_split is only supported for array inputs; pass "
                             "validation_data instead")
        if not getattr(model, "_nested_inputs", False):
            if isinstance(x, (list, tuple)):  # rows of one input, not one array per input
                x = np.asarray(x)
            _check_lengths(x, y, "fit")
        if isinstance(y, (list, tuple)):
            y = np.asarray(y)
        n = _len(x[0] if getattr(model, "_nested_inputs", False) else x)
        split = int(n * (1.0 - validation_split))
        if split == 0 or split == n:
            raise ValueError(f"fit: validation_split={validation_split} leaves an empty training "
                             f"or validation set for {n} samples")
        validation_data = (_slice(list(x) if isinstance(x, tuple) else x, split, None),
                           y[split:])
        if sample_weight is not None:
            sw = _np_view(sample_weight)
            if len(sw) != n:
                raise ValueError(f"fit: sample_weight must have one weight per sample, shape "
                                 f"({n},), got shape {sw.shape}")
            validation_data += (sw[split:],)
            sample_weight = sw[:split]
        x, y = _slice(list(x) if isinstance(x, tuple) else x, None, split), y[:split]

    data = _prepare(model, x, y, batch_size, shuffle, "fit", sample_weight=sample_weight,
                    class_weight=class_weight)
    val = None
    if validation_data is not None:
        if isinstance(validation_data, (list, tuple)):
            if len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be (x_val, y_val), (x_val, y_val, "
                                 "sample_weight_val) or a data loader, got a sequence of "
                                 f"{len(validation_data)} items")
            val = _prepare(model, validation_data[0], validation_data[1],
                           kwargs.get("validation_batch_size") or batch_size, False,
                           "fit (validation_data)",
                           sample_weight=validation_data[2] if len(validation_data) == 3 else None)
        else:
            val = _prepare(model, validation_data, None, batch_size, False, "fit (validation_data)")

    fused = _fusion(model)
    forward = _forward_plan(model, fused)
    loss_fn = _loss_fn(model.loss, fused, model)
    metrics = _metrics(model, fused, data)
    opt = model.optimizer
    opt.build([p for p in model.parameters() if p.requires_grad])
    impl = opt._impl
    if impl is None:
        raise ValueError(f"fit: model '{model.name}' has no trainable weights")
    zero_grad, step = impl.zero_grad, opt._step_fn()

    history = callbacks_mod.History()
    cbs = callbacks_mod.CallbackList(
        list(callbacks or []) + [history], model,
        {"epochs": epochs, "steps": data.steps, "verbose": verbose})
    if any(isinstance(cb, callbacks_mod.ProgbarLogger) for cb in cbs.callbacks):
        verbose = 0  # the given ProgbarLogger shows the progress instead
    batch_cbs = cbs.wants_train_batch
    loss_tracker = _BatchMean(name="loss")
    model.stop_training = False
    model.history = history
    model._initial_epoch = None
    cbs.call("on_train_begin", {})
    # A callback (BackupAndRestore) may resume an interrupted run at a later epoch; as in
    # Keras, its epoch replaces initial_epoch.
    resumed, model._initial_epoch = model._initial_epoch, None
    if resumed:
        initial_epoch = int(resumed)
    for epoch in range(initial_epoch, epochs):
        cbs.call("on_epoch_begin", epoch, {})
        loss_tracker.reset_state()
        for m in metrics:
            m.reset_state()
        bar = None
        if verbose == 1:
            from tqdm import tqdm

            print(f"Epoch {epoch + 1}/{epochs}", file=sys.stdout, flush=True)
            bar = tqdm(total=data.steps, file=sys.stdout, unit="step", leave=True,
                       mininterval=_BAR_S,
                       bar_format="{n_fmt}/{total_fmt} |{bar:20}| {elapsed} {rate_fmt}{postfix}")
        t0 = last = last_bar = time.perf_counter()
        step_i = 0
        opt._iterations = opt.iterations
        for xb, yb, wb, n in data:
            if batch_cbs:
                cbs.call("on_train_batch_begin", step_i, {})
            out = forward(xb, True)
            loss = loss_fn(yb, out, wb)
            zero_grad()
            loss.backward()
            step()
            opt._iterations += 1  # read by callbacks (and a scheduled learning_rate) mid-epoch
            loss_tracker._add(loss, n)
            if metrics:
                od, om = out.detach(), _output_mask(out)
                for m in metrics:
                    _update_metric(m, yb, od, fused, wb, om)
            step_i += 1
            if bar is not None:
                now = time.perf_counter()
                if now - last_bar >= _BAR_S:
                    last_bar = now
                    if now - last >= _REFRESH_S:
                        last = now
                        bar.set_postfix_str(_fmt(_results(loss_tracker, metrics)), refresh=False)
                    bar.update(step_i - bar.n)
            if batch_cbs:
                cbs.call("on_train_batch_end", step_i - 1, _results(loss_tracker, metrics))
            if steps_per_epoch is not None and step_i >= steps_per_epoch:
                break
        logs = _results(loss_tracker, metrics)
        if val is not None and _validate_now(epoch, val_freq):
            val_logs = _evaluate_data(model, val, fused, cbs if cbs.callbacks else None)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        seconds = time.perf_counter() - t0
        if bar is not None:
            bar.set_postfix_str(_fmt(logs), refresh=False)
            bar.update(step_i - bar.n)
            bar.close()
        elif verbose == 2:
            print(f"Epoch {epoch + 1}/{epochs} - {seconds:.0f}s - {_fmt(logs)}", flush=True)
        cbs.call("on_epoch_end", epoch, logs)
        if model.stop_training:
            break
    cbs.call("on_train_end", {})
    return history


def _validate_now(epoch: int, freq: Any) -> bool:
    # Keras: an int n validates every n-th epoch, a collection lists the (1-based) epochs.
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _results(loss_tracker: Any, metrics: list[Any]) -> dict[str, Any]:
    logs: dict[str, Any] = {"loss": loss_tracker.result()}
    for m in metrics:
        r = m.result()
        if isinstance(r, Tensor):
            r = r.detach().numpy() if r.numel() != 1 else r.item()
        if isinstance(r, (np.ndarray, list, tuple)) and np.size(r) != 1:
            # A per-class or per-threshold result (F1Score(average=None), Precision with
            # several thresholds) is logged as an array, as Keras does.
            logs[getattr(m, "_log_name", m.name)] = np.asarray(r, dtype=np.float64)
        else:
            logs[getattr(m, "_log_name", m.name)] = float(np.asarray(r).reshape(-1)[0])
    return logs


def _update_metric(m: Any, y: Tensor, out: Tensor, fused: bool, w: Tensor | None,
                   mask: Tensor | None = None) -> None:
    # Keras: `metrics` ignore sample weights, `weighted_metrics` take them. A user metric
    # is driven through update_state, with probabilities when the activation is fused. The
    # output's Keras mask (`mask`) goes with y_pred: mean metrics (accuracy, mse, ...) skip
    # the masked steps, as Keras's MeanMetricWrapper does; confusion-matrix metrics ignore it.
    if not getattr(m, "_weighted", False):
        w = None
    if getattr(m, "_public", False):
        pred = _probabilities(out, m._activation) if fused else out
        if mask is not None:
            set_keras_mask(pred, mask)
        m.update_state(y, pred, sample_weight=w)
    elif mask is not None and m._uses_mask():
        m._update(y, out, fused, w, mask)
    else:
        m._update(y, out, fused, w)


def _evaluate_data(model: Any, data: Any, fused: bool, cbs: Any = None,
                   steps: int | None = None) -> dict[str, float]:
    forward = _forward_plan(model, fused)
    loss_fn = _loss_fn(model.loss, fused, model)
    metrics = _metrics(model, fused, data)
    tracker = _BatchMean(name="loss")
    saved = [None if m._public else _get_state(m) for m in metrics]
    for m in metrics:
        m.reset_state()
    batch_cbs = cbs is not None and cbs.wants_test_batch
    if cbs is not None:
        cbs.call("on_test_begin", {})
    with no_grad():
        for i, (xb, yb, wb, n) in enumerate(data):
            if steps is not None and i >= steps:
                break
            if batch_cbs:
                cbs.call("on_test_batch_begin", i, {})
            out = forward(xb, False)
            tracker._add(loss_fn(yb, out, wb), n)
            om = _output_mask(out) if metrics else None
            for m in metrics:
                _update_metric(m, yb, out, fused, wb, om)
            if batch_cbs:
                cbs.call("on_test_batch_end", i, _results(tracker, metrics))
    logs = _results(tracker, metrics)
    if cbs is not None:
        cbs.call("on_test_end", dict(logs))
    for m, state in zip(metrics, saved):
        if not m._public:
            _set_state(m, state)
    return logs


def _check_steps(steps: Any, what: str) -> None:
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0):
        raise ValueError(f"{what}: steps must be None or a positive int, got {steps!r}")


def _check_kwargs(kwargs: dict[str, Any], accepted: tuple[str, ...], what: str) -> None:
    for k in kwargs:
        if k not in accepted:
            raise TypeError(f"{what}: unexpected keyword argument {k!r}; accepted keyword "
                            f"arguments are {', '.join(accepted)}")


def evaluate(model: Any, x: Any = None, y: Any = None, batch_size: int | None = None,
             verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
             callbacks: Sequence[Any] | None = None, return_dict: bool = False,
             **kwargs: Any) -> Any:
    """Loss and metrics of ``model`` on ``(x, y)`` (inference mode, no gradients).

    Args:
        x, y: as in :func:`fit` (or a loader as ``x``).
        batch_size: default 32.
        verbose: 0 silent, 1/'auto'/2 prints one summary line.
        sample_weight: one weight per sample, as in :func:`fit`.
        steps: stop after this many batches (default None: all of them).
        callbacks: ``keras.callbacks.Callback`` instances (``on_test_*`` hooks).
        return_dict: return ``{'loss': ..., 'accuracy': ...}`` instead of a list.
        **kwargs: accepted for Keras compatibility: ``max_queue_size``, ``workers``,
            ``use_multiprocessing`` (ignored).
    Returns:
        The loss (a float) when no metrics were compiled, else ``[loss, metric, ...]``; or a
        dict with ``return_dict=True``.
    Raises:
        RuntimeError: not compiled.  ValueError: as in :func:`fit`, or bad ``steps``.
        TypeError: an unknown keyword argument.
    """
    _check_compiled(model, "evaluate")
    _check_kwargs(kwargs, ("max_queue_size", "workers", "use_multiprocessing"), "evaluate")
    _check_steps(steps, "evaluate")
    batch_size = 32 if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"evaluate: batch_size must be a positive int, got {batch_size!r}")
    verbose = _verbose(verbose)
    data = _prepare(model, x, y, batch_size, False, "evaluate", sample_weight=sample_weight)
    fused = _fusion(model)
    cbs = callbacks_mod.CallbackList(list(callbacks or []), model, {"verbose": verbose})
    logs = _evaluate_data(model, data, fused, cbs if cbs.callbacks else None, steps)
    if verbose:
        print(_fmt(logs), flush=True)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model: Any, x: Any, batch_size: int | None = None, verbose: Any = "auto",
            steps: int | None = None, callbacks: Sequence[Any] | None = None,
            **kwargs: Any) -> Any:
    """Outputs of ``model`` for ``x`` in inference mode, as numpy arrays.

    Args:
        x: numpy array, ember tensor, a list of them (one per input of a functional model with
            several inputs), or a loader (its ``y``, if any, is ignored).
        batch_size: default 32.
        verbose: accepted for Keras compatibility (nothing is printed).
        steps: stop after this many batches (default None: all of them).
        callbacks: ``keras.callbacks.Callback`` instances (``on_predict_*`` hooks).
        **kwargs: accepted for Keras compatibility: ``max_queue_size``, ``workers``,
            ``use_multiprocessing`` (ignored).
    Returns:
        numpy array with one row per sample predicted; a list of such arrays, one per output,
        for a model with several outputs.
    Raises:
        ValueError: ``x`` does not match the model's input shape, or bad ``steps``.
        TypeError: an unknown keyword argument.
    """
    _check_kwargs(kwargs, ("max_queue_size", "workers", "use_multiprocessing"), "predict")
    _check_steps(steps, "predict")
    batch_size = 32 if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"predict: batch_size must be a positive int, got {batch_size!r}")
    _verbose(verbose)
    data = _prepare(model, x, None, batch_size, False, "predict", need_y=False)
    cbs = callbacks_mod.CallbackList(list(callbacks or []), model, {})
    cbs.call("on_predict_begin", {})
    outs: list[Any] = []
    with no_grad():
        for i, (xb, _, _, _) in enumerate(data):
            if steps is not None and i >= steps:
                break
            out = model(xb, training=False)
            outs.append(out)
            if cbs.wants_predict_batch:
                cbs.call("on_predict_batch_end", i, {"outputs": out})
    cbs.call("on_predict_end", {})
    if not outs:  # no samples: empty arrays of the outputs' sample shapes
        shapes = model._output_shape if isinstance(model._output_shape, list) else [
            model._output_shape]
        empty = [np.zeros((0,) + tuple(s[1:]), np.float32)
                 if isinstance(s, tuple) and all(d is not None for d in s[1:])
                 else np.zeros((0,), np.float32) for s in shapes]
        return empty if isinstance(model._output_shape, list) else empty[0]
    if isinstance(outs[0], (list, tuple)):
        return [np.array(ember.cat([o[k] for o in outs]).numpy()) for k in range(len(outs[0]))]
    return np.array(ember.cat(outs).numpy()) if len(outs) > 1 else np.array(outs[0].numpy())


def _num_samples(model: Any, x: Any) -> int:
    """Samples in ``x``: the first array's length for a list of model inputs."""
    if getattr(model, "_nested_inputs", False) and isinstance(x, (list, tuple)) and x:
        return _len(x[0])
    return _len(x)


def train_on_batch(model: Any, x: Any, y: Any = None, sample_weight: Any = None,
                   class_weight: Any = None, return_dict: bool = False) -> Any:
    """One optimizer step on one batch (however many samples it holds).

    Args:
        x, y: one batch, as in :func:`fit` (a list of arrays for several model inputs).
        sample_weight: one weight per sample, as in :func:`fit`.
        class_weight: ``{class index: weight}``, as in :func:`fit`.
        return_dict: return ``{'loss': ..., <metric>: ...}`` instead of a list.
    Returns:
        The loss of the batch (a float) when no metrics were compiled, else ``[loss, metric,
        ...]``; or a dict with ``return_dict=True``. Metrics are those of this batch alone.
    Raises:
        RuntimeError: not compiled.  ValueError: as in :func:`fit`.
    """
    _check_compiled(model, "train_on_batch")
    n = _num_samples(model, x)
    data = _prepare(model, x, y, max(1, n), False, "train_on_batch",
                    sample_weight=sample_weight, class_weight=class_weight)
    fused = _fusion(model)
    forward = _forward_plan(model, fused)
    loss_fn = _loss_fn(model.loss, fused, model)
    metrics = _metrics(model, fused, data)
    opt = model.optimizer
    opt.build([p for p in model.parameters() if p.requires_grad])
    tracker = _BatchMean(name="loss")
    for m in metrics:
        m.reset_state()
    for xb, yb, wb, nb in data:
        out = forward(xb, True)
        loss = loss_fn(yb, out, wb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tracker._add(loss, nb)
        od, om = out.detach(), _output_mask(out)
        for m in metrics:
            _update_metric(m, yb, od, fused, wb, om)
        break  # one batch holds every sample: exactly one update
    logs = _results(tracker, metrics)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
