"""Functional forms of the layers and losses (PyTorch's ``torch.nn.functional``).

Every function here is one or a few calls into ``ember._C``; no Python loops over elements.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import _C
from .._C import Generator, Tensor
from .._creation import full_like, ones_like

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "tanh",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: target shape {tuple(target.shape)} must equal input shape "
            f"{tuple(input.shape)} (broadcasting a loss target is almost always a bug)"
        )


# ---- layers ------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    Args:
        input: shape ``(*, in_features)``, float32/float64.
        weight: shape ``(out_features, in_features)``.
        bias: shape ``(out_features,)`` or None.
    Returns:
        Tensor of shape ``(*, out_features)``.
    Raises:
        ValueError: ``input.shape[-1]`` differs from ``in_features`` or bad weight/bias shape.
    """
    return _C._linear(input, weight, bias)


def _writable(input: Tensor, op: str) -> bool:
    """Whether ``inplace=True`` can write into ``input``: RuntimeError (naming ``op``) for a leaf
    that requires grad or a view of one, as PyTorch; True otherwise (a view that autograd
    records is written too, and its base's history is rewritten to include the write)."""
    if not (input.requires_grad and _C.is_grad_enabled()):
        return True
    if input.is_leaf or input._view_of_leaf:
        what = "a leaf tensor" if input.is_leaf else "a view of a leaf tensor"
        raise RuntimeError(
            f"{op}(inplace=True): {what} that requires grad cannot be changed in place; "
            "use inplace=False, or work on a .clone()"
        )
    return True


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Elementwise ``max(input, 0)``; with ``inplace``, written into ``input``, which is returned
    (written through a view, the view's base sees the write and its gradient, as in PyTorch).

    Raises:
        RuntimeError: ``inplace`` on a leaf that requires grad (as for any in-place op).
    """
    if inplace and _writable(input, "relu"):
        # Differentiable in place: the gradient is 1 where input > 0 (and NaN), else 0.
        input.masked_fill_(input <= 0, 0)
        return input
    return _C.relu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU ``x * Phi(x)``; ``approximate`` is ``"none"`` (erf) or ``"tanh"``.

    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """
    return _C.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU / swish: ``x * sigmoid(x)``; with ``inplace``, written into ``input``, which is returned.

    Raises:
        RuntimeError: ``inplace`` on a leaf that requires grad (as for any in-place op).
    """
    if inplace and _writable(input, "silu"):
        # SiLU's gradient reads its input: under autograd it reads a copy, which stays unchanged.
        src = input.clone() if input.requires_grad and _C.is_grad_enabled() else input
        input.copy_(_C.silu(src))
        return input
    return _C.silu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``; with ``inplace``, written into
    ``input``, which is returned.

    Raises:
        RuntimeError: ``inplace`` on a leaf that requires grad (as for any in-place op).
    """
    if inplace and _writable(input, "leaky_relu"):
        # Differentiable in place: a multiplication by 1 or negative_slope, its own gradient.
        input.mul_(full_like(input, negative_slope).masked_fill_(input > 0, 1))
        return input
    return _C.leaky_relu(input, negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return _C.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _C.tanh(input)


def _softmax_dim(input: Tensor, dim: int | None, op: str) -> int:
    if dim is not None:
        return dim
    import warnings

    warnings.warn(
        f"Implicit dimension choice for {op} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if input.dim() in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: object = None) -> Tensor:
    """Softmax along ``dim`` (entries along ``dim`` are positive and sum to 1).

    Computed stably as ``exp(x - max) / sum(exp(x - max))``.

    Args:
        input: floating tensor.
        dim: the normalized dim. None picks PyTorch's legacy default (with a warning).
        dtype: if given, ``input`` is converted to it first.
    """
    if dtype is not None:
        input = input.to(dtype)
    return _C.softmax(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: object = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed as ``x - logsumexp(x)`` (stable)."""
    if dtype is not None:
        input = input.to(dtype)
    return _C.log_softmax(input, _softmax_dim(input, dim, "log_softmax"))


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Args:
        input: floating tensor.
        p: drop probability in [0, 1]. Default 0.5.
        training: identity when False.
        inplace: write the result into ``input`` and return it (the same mask and values).
        generator: random source; the default (seeded by ``ember.manual_seed``) when None.
    Raises:
        ValueError: ``p`` outside [0, 1].
        RuntimeError: ``inplace`` on a leaf that requires grad (as for any in-place op).
    Reference: Srivastava et al., "Dropout", JMLR 2014.
    """
    if inplace:
        return _dropout_inplace(_C._dropout, input, p, training, generator)
    return _C._dropout(input, float(p), bool(training), generator)


def _dropout_inplace(op, input: Tensor, p: float, training: bool, generator) -> Tensor:
    """``input`` multiplied in place by the mask ``op`` draws for it (0 or ``1 / (1 - p)``):
    the draws, and so the mask, are those of ``op(input)``, and the product rounds the same."""
    if not training:
        _C._dropout(input, float(p), False, generator)  # checks p as the out-of-place form does
        return input
    if not _writable(input, op.__name__.lstrip("_")):
        return op(input, float(p), True, generator)
    input.mul_(op(ones_like(input), float(p), True, generator))
    return input


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Looks up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: int64 (or int32) indices of any shape, values in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: the row whose gradient stays zero (negative counts from the end).
    Returns:
        Tensor of shape ``input.shape + (embedding_dim,)``.
    Raises:
        IndexError: an index out of range.  NotImplementedError: ``max_norm``/``sparse``.
    """
    if max_norm is not None or sparse or scale_grad_by_freq:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    pad = -1
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise ValueError(
                f"embedding: padding_idx ({padding_idx}) must be within num_embeddings ({n})"
            )
        pad = padding_idx + n if padding_idx < 0 else padding_idx
    return _C._embedding(weight, input, pad)


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes over the trailing ``normalized_shape`` dims: ``(x - mean) / sqrt(var + eps)``
    (biased variance), then ``* weight + bias``.

    Reference: Ba et al., "Layer Normalization", 2016.
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _C._layer_norm(input, [int(s) for s in normalized_shape], weight, bias, float(eps))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``.

    Args:
        tensor: int64 class indices.
        num_classes: number of classes; -1 infers ``tensor.max() + 1``.
    Raises:
        TypeError: non-int64 input.  ValueError: an index outside ``[0, num_classes)``.
    """
    from .. import arange, int64

    if tensor.dtype != int64:
        raise TypeError(f"one_hot: expected an int64 tensor of class indices, got {tensor.dtype}")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(tensor.detach().numpy().max()) + 1
    if tensor.numel() > 0:
        arr = tensor.detach().numpy()
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"one_hot: class values must be in [0, {num_classes}), got values in [{lo}, {hi}]"
            )
    classes = arange(num_classes, dtype=int64)
    return _C.eq(tensor.unsqueeze(-1), classes).to(int64)


# ---- losses ------------------------------------------------------------------------------


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target) ** 2``, averaged or summed.

    Args:
        input: predictions, shape ``(*)``, floating.
        target: same shape as ``input``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Raises:
        ValueError: unknown ``reduction`` or shape mismatch.
    """
    _check_reduction(reduction, "mse_loss")
    _check_same_shape(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``."""
    _check_reduction(reduction, "l1_loss")
    _check_same_shape(input, target, "l1_loss")
    return _reduce(_C.abs(input - target), reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    ``beta = 0`` gives the L1 loss.

    Raises:
        ValueError: ``beta < 0``, unknown reduction or shape mismatch.
    Reference: Girshick, "Fast R-CNN", 2015.
    """
    _check_reduction(reduction, "smooth_l1_loss")
    _check_same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    a = _C.abs(input - target)
    if beta == 0:
        return _reduce(a, reduction)
    loss = _C.where(a < beta, a * a * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Huber: ``0.5 d**2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``.

    Raises:
        ValueError: ``delta <= 0``, unknown reduction or shape mismatch.
    """
    _check_reduction(reduction, "huber_loss")
    _check_same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    a = _C.abs(input - target)
    loss = _C.where(a <= delta, a * a * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    ignore_index: int = -100,
    reduce: None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy between logits and targets (log_softmax + nll_loss, computed stably).

    Args:
        input: logits ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)``, floating.
        target: class indices (int64) of shape ``()``, ``(N)`` or ``(N, d1, ...)`` with values
            in ``[0, C)`` or ``ignore_index``; or class probabilities with ``input``'s shape.
        weight: per-class weights ``(C,)``. The ``"mean"`` reduction divides by the sum of the
            weights of the non-ignored targets (PyTorch's weighted mean).
        ignore_index: target value that contributes nothing (index targets). Default -100.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.
    Raises:
        IndexError: a class index outside ``[0, C)`` (the message names the value and C).
        ValueError: bad shapes, reduction or label_smoothing.  TypeError: bad dtypes.
    Reference: Szegedy et al., "Rethinking the Inception Architecture", 2016 (smoothing).
    """
    return _C._cross_entropy(
        input, target, weight, reduction, int(ignore_index), float(label_smoothing)
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    ignore_index: int = -100,
    reduce: None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood ``-weight[t] * input[n, t]`` of log-probabilities ``input``.

    Shapes and the weighted-mean rule are those of :func:`cross_entropy` with index targets.
    """
    return _C._nll_loss(input, target, weight, reduction, int(ignore_index))


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    reduce: None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities: ``-(t log p + (1 - t) log(1 - p))``.

    Each log is clamped at -100 (like PyTorch), so ``p`` of exactly 0 or 1 gives a finite loss,
    and the gradient is PyTorch's ``(p - t) / max(p (1 - p), 1e-12)``: finite (0 where ``p`` equals
    ``t``) for saturated probabilities. The target's gradient uses the same clamped logs, so it
    is -100 rather than PyTorch's -inf where ``p`` is exactly 0 or 1. It can be traced by
    ``ember.jit``.

    Args:
        input: probabilities in [0, 1], any shape.
        target: same shape, values in [0, 1].
        weight: rescaling weight broadcast to ``input``.
    Raises:
        ValueError: shape mismatch, unknown reduction or input values outside [0, 1].
    """
    _check_reduction(reduction, "binary_cross_entropy")
    _check_same_shape(input, target, "binary_cross_entropy")
    return _C._binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    reduce: None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross entropy in one stable formula:
    ``(1 - t) x + (1 + (pos_weight - 1) t) * log(1 + exp(-x))``, never overflowing.

    Args:
        input: logits, any shape.
        target: same shape, values in [0, 1].
        weight: rescaling weight broadcast to ``input``.
        pos_weight: weight of positive examples, broadcast along the last (class) dim.
    Raises:
        ValueError: shape mismatch or unknown reduction.
    """
    return _C._binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


# Convolution/pooling, normalization/padding/resampling, the further activations, distances and
# their losses, pixel shuffling, attention, and grid sampling/unpooling live in their own files.
from . import (
    _functional_activation,
    _functional_activation_more,
    _functional_attention,
    _functional_conv,
    _functional_conv_more,
    _functional_extra,
    _functional_extra2,
    _functional_layers,
    _functional_loss,
    _functional_loss_more,
    _functional_norm,
    _functional_sampling,
    _functional_vision,
)
from ._functional_activation import *
from ._functional_activation_more import *
from ._functional_attention import *
from ._functional_conv import *
from ._functional_conv_more import *
from ._functional_extra import *
from ._functional_extra2 import *
from ._functional_layers import *
from ._functional_loss import *
from ._functional_loss_more import *
from ._functional_norm import *
from ._functional_sampling import *
from ._functional_vision import *

__all__ += (
    _functional_activation.__all__
    + _functional_activation_more.__all__
    + _functional_attention.__all__
    + _functional_conv.__all__
    + _functional_conv_more.__all__
    + _functional_extra.__all__
    + _functional_layers.__all__
    + _functional_loss.__all__
    + _functional_loss_more.__all__
    + _functional_norm.__all__
    + _functional_sampling.__all__
    + _functional_vision.__all__
)
__all__ += [n for n in _functional_extra2.__all__ if n not in __all__]

# _functional_extra2's pad (adds 3-D reflect/replicate and circular padding) and upsample (adds
# PyTorch's deprecation warning) replace _functional_norm's, whatever the import order above.
pad = _functional_extra2.pad
upsample = _functional_extra2.upsample
