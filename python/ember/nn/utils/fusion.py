"""Folding an eval-mode BatchNorm into the preceding convolution or linear layer
(PyTorch's ``torch.nn.utils.fusion``)."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from ..._C import Tensor
from ..parameter import Parameter

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]

ConvT = TypeVar("ConvT")
LinearT = TypeVar("LinearT")


def fuse_conv_bn_eval(conv: ConvT, bn: Any, transpose: bool = False) -> ConvT:
    """A new convolution equal to ``bn(conv(x))`` in eval mode.

    ``conv`` is deep-copied and its weight and bias replaced by :func:`fuse_conv_bn_weights`;
    the originals are unchanged.

    Args:
        conv: a ``Conv1d/2d/3d`` (or ``ConvTranspose*d`` with ``transpose=True``) in eval mode.
        bn: a ``BatchNorm*d`` in eval mode with running statistics, ``num_features`` equal to
            the convolution's ``out_channels``.
        transpose: ``conv`` is transposed (its weight is ``(C_in, C_out / groups, *k)``).
    Returns:
        The fused convolution (same class as ``conv``, always with a bias).
    Raises:
        AssertionError: either module in training mode, or ``bn`` without running statistics
            (PyTorch raises AssertionError too).
    Example:
        >>> conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4).eval()
        >>> fused = fuse_conv_bn_eval(conv, bn)
        >>> x = ember.randn(1, 3, 5, 5)
        >>> bool((fused(x) - bn(conv(x))).abs().max() < 1e-5)
        True
    """
    if conv.training or bn.training:
        raise AssertionError(
            "fuse_conv_bn_eval: Fusion only for eval! Call .eval() on both modules first "
            f"(conv.training={conv.training}, bn.training={bn.training})"
        )
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError(
            "fuse_conv_bn_eval: bn.running_mean and bn.running_var must not be None (a "
            "BatchNorm with track_running_stats=False cannot be folded)"
        )
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight,
        fused.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused


def fuse_conv_bn_weights(
    conv_w: Tensor,
    conv_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
    transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """Convolution weight and bias with an eval-mode BatchNorm folded in.

    With ``s = bn_w / sqrt(bn_rv + bn_eps)`` per output channel: ``w' = conv_w * s`` (along
    dim 0, or dim 1 when ``transpose``) and ``b' = (conv_b - bn_rm) * s + bn_b``.

    Args:
        conv_w: ``(C_out, C_in / groups, *k)`` (``(C_in, C_out / groups, *k)`` if
            ``transpose``).
        conv_b: ``(C_out,)`` or None (zeros).
        bn_rm, bn_rv: running mean and variance, ``(C_out,)``.
        bn_eps: the BatchNorm's eps.
        bn_w: ``(C_out,)`` or None (ones).
        bn_b: ``(C_out,)`` or None (zeros).
        transpose: the weight belongs to a transposed convolution.
    Returns:
        ``(Parameter(w'), Parameter(b'))`` in ``conv_w``'s and ``conv_b``'s dtypes (``conv_w``'s
        for a missing bias), with their ``requires_grad``.
    Raises:
        ValueError: shapes that do not broadcast (from the ops).
    """
    from ... import ones_like, rsqrt, zeros_like

    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    if conv_b is None:
        conv_b = zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ones_like(bn_rm)
    if bn_b is None:
        bn_b = zeros_like(bn_rm)
    var_rsqrt = rsqrt(bn_rv + bn_eps)
    rest = [1] * (conv_w.dim() - 2)
    shape = [1, -1, *rest] if transpose else [-1, 1, *rest]
    fused_w = (conv_w * (bn_w * var_rsqrt).reshape(shape)).to(w_dtype)
    fused_b = ((conv_b - bn_rm) * var_rsqrt * bn_w + bn_b).to(b_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear: LinearT, bn: Any) -> LinearT:
    """A new ``Linear`` equal to ``bn(linear(x))`` in eval mode.

    ``linear`` is deep-copied and its weight and bias replaced by
    :func:`fuse_linear_bn_weights`; the originals are unchanged.

    Args:
        linear: a ``Linear`` in eval mode.
        bn: a ``BatchNorm*d`` in eval mode with running statistics and ``num_features`` equal
            to ``linear.out_features`` (or 1).
    Returns:
        The fused ``Linear`` (always with a bias).
    Raises:
        AssertionError: either module in training mode, mismatched feature counts, or ``bn``
            without running statistics (PyTorch raises AssertionError too).
    """
    if linear.training or bn.training:
        raise AssertionError(
            "fuse_linear_bn_eval: Fusion only for eval! Call .eval() on both modules first "
            f"(linear.training={linear.training}, bn.training={bn.training})"
        )
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "fuse_linear_bn_eval: To fuse, linear.out_features == bn.num_features or "
            f"bn.num_features == 1, got linear.out_features={linear.out_features} and "
            f"bn.num_features={bn.num_features}"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError(
            "fuse_linear_bn_eval: bn.running_mean and bn.running_var must not be None (a "
            "BatchNorm with track_running_stats=False cannot be folded)"
        )
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused


def fuse_linear_bn_weights(
    linear_w: Tensor,
    linear_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor,
    bn_b: Tensor,
) -> tuple[Parameter, Parameter]:
    """Linear weight and bias with an eval-mode BatchNorm folded in.

    With ``s = bn_w / sqrt(bn_rv + bn_eps)``: ``w' = linear_w * s[:, None]`` and
    ``b' = (linear_b - bn_rm) * s + bn_b``.

    Args:
        linear_w: ``(out_features, in_features)``.
        linear_b: ``(out_features,)`` or None (zeros).
        bn_rm, bn_rv: running mean and variance, ``(out_features,)`` or ``(1,)``.
        bn_eps: the BatchNorm's eps.
        bn_w, bn_b: the BatchNorm's weight and bias (tensors, as in PyTorch).
    Returns:
        ``(Parameter(w'), Parameter(b'))`` in the linear weight's and bias's dtypes, with their
        ``requires_grad``.
    Raises:
        ValueError: shapes that do not broadcast (from the ops).
    """
    from ... import rsqrt, zeros_like

    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    if linear_b is None:
        linear_b = zeros_like(bn_rm)
    scale = bn_w * rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(w_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(b_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
