"""The in-place functional activations (``F.relu_``, ``F.elu_``, ...), ``rms_norm``, ``pdist``,
``gumbel_softmax`` and ``rrelu``: compositions of ember ops, so autograd and ember.jit follow
them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _C
from .._C import Tensor

__all__ = [
    "celu_", "elu_", "gumbel_softmax", "hardtanh_", "leaky_relu_", "pdist", "relu_", "rms_norm",
    "rrelu", "rrelu_", "selu_", "threshold_",
]


def _F() -> Any:
    from . import functional

    return functional


def relu_(input: Tensor) -> Tensor:
    """``F.relu(input, inplace=True)``: writes ``max(input, 0)`` into ``input`` and returns it."""
    return _F().relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``F.elu(input, alpha, inplace=True)``."""
    return _F().elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """``F.selu(input, inplace=True)``."""
    return _F().selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``F.celu(input, alpha, inplace=True)``."""
    return _F().celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``F.leaky_relu(input, negative_slope, inplace=True)``."""
    return _F().leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``F.hardtanh(input, min_val, max_val, inplace=True)``."""
    return _F().hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``F.threshold(input, threshold, value, inplace=True)``."""
    return _F().threshold(input, threshold, value, inplace=True)


def rms_norm(
    input: Tensor,
    normalized_shape: Sequence[int] | int,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims.

    ``y = x / sqrt(mean(x**2) + eps) * weight``, the mean over the normalized dims (no centering,
    no bias).

    Args:
        input: ``(*, *normalized_shape)``, floating.
        normalized_shape: the trailing dims to normalize (int or sequence).
        weight: optional scale of shape ``normalized_shape``.
        eps: added to the mean square; default the dtype's machine epsilon (1.19e-7 for float32,
            2.22e-16 for float64), as PyTorch.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        ValueError: ``input``'s trailing dims differ from ``normalized_shape``, or ``weight``
            has another shape.
        TypeError: a non-floating ``input``.
    Reference:
        Zhang & Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
    Example:
        >>> F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(
        int(s) for s in normalized_shape)
    if not input.is_floating_point():
        raise TypeError(f"rms_norm: expected a floating input, got {input.dtype}")
    k = len(shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise ValueError(f"rms_norm: normalized_shape {shape} does not match the trailing dims "
                         f"of the input of shape {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(f"rms_norm: weight has shape {tuple(weight.shape)}; expected {shape}")
    if eps is None:
        eps = 2.220446049250313e-16 if input.dtype == _C.dtype.float64 else 1.1920928955078125e-07
    dims = list(range(input.dim() - k, input.dim()))
    y = input * _C.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return y * weight if weight is not None else y


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """Distances between every pair of rows ``i < j`` of a matrix, as one vector.

    The order is row-major over the upper triangle: (0, 1), (0, 2), ..., (1, 2), ...; the p-norm
    of ``input[i] - input[j]`` each.

    Args:
        input: ``(N, M)``, floating.
        p: the norm's order, ``p >= 0`` (``inf`` included). Default 2.
    Returns:
        Tensor of shape ``(N * (N - 1) / 2,)``.
    Raises:
        ValueError: ``input`` not 2-D, or ``p`` negative.
    Example:
        >>> F.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
        tensor([ 5., 10.,  5.])
    """
    if input.dim() != 2:
        raise ValueError(f"pdist: expected a 2-D input (N, M), got shape {tuple(input.shape)}")
    if p < 0:
        raise ValueError(f"pdist: p must be >= 0, got {p}")
    n = input.shape[0]
    from .. import arange, float64, int64, norm

    # Row and column of the k-th pair, in closed form from k (ember ops, so ember.jit records
    # them): i = n - 2 - floor(sqrt(4 n (n - 1) - 8 k - 7) / 2 - 1/2), and j from the count of
    # pairs before row i. Exact in float64 far beyond any n whose distances fit in memory.
    k = arange(n * (n - 1) // 2, dtype=float64)
    i = (n - 2) - _C.floor(_C.sqrt(k * -8.0 + (4.0 * n * (n - 1) - 7.0)) * 0.5 - 0.5)
    j = k + i + (1.0 - n * (n - 1) / 2.0) + (n - i) * (n - i - 1.0) * 0.5
    diff = input.index_select(0, i.to(int64)) - input.index_select(0, j.to(int64))
    return norm(diff, p=p, dim=1)


def gumbel_softmax(
    logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """Samples from the Gumbel-softmax (concrete) distribution, optionally one-hot.

    ``y = softmax((logits + g) / tau)`` with ``g = -log(E)``, ``E ~ Exponential(1)``; with
    ``hard``, the one-hot vector of ``argmax y`` whose gradient is that of ``y``
    (straight-through).

    Args:
        logits: ``(*, num_classes)`` unnormalized log-probabilities.
        tau: temperature, > 0. Default 1.
        hard: return one-hot samples (straight-through gradient). Default False.
        eps: unused; kept for PyTorch compatibility.
        dim: the class dim. Default -1.
    Returns:
        Tensor of ``logits``' shape: a sample whose entries along ``dim`` sum to 1.
    Raises:
        ValueError: ``tau <= 0``.
    Reference:
        Jang et al., "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017; Maddison et
        al., "The Concrete Distribution", ICLR 2017.
    """
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be > 0, got {tau}")
    from .. import rand_like, zeros_like

    u = rand_like(logits)
    # -log(-log(U)) with U in (0, 1]; U = 1 gives -log(0) = inf, which softmax turns into a
    # one-hot at that class (a probability-zero event for a continuous U).
    gumbels = -_C.log(-_C.log(u))
    y = _F().softmax((logits + gumbels) / tau, dim=dim)
    if not hard:
        return y
    index = y.detach().argmax(dim, keepdim=True)
    y_hard = zeros_like(y).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: ``x`` for ``x >= 0``, ``a * x`` below.

    In training ``a ~ Uniform(lower, upper)`` per element; in evaluation ``a = (lower + upper) /
    2``.

    Args:
        input: any shape, floating.
        lower, upper: the slope range. Defaults 1/8 and 1/3.
        training: draw random slopes. Default False.
        inplace: write the result into ``input`` (see ``F.elu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        ValueError: ``lower > upper``.
    Reference:
        Xu et al., "Empirical Evaluation of Rectified Activations in Convolutional Network",
        2015.
    """
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if not training:
        return _F().leaky_relu(input, (lower + upper) / 2.0, inplace=inplace)
    from .. import rand_like

    slope = rand_like(input) * (upper - lower) + lower
    fn = lambda x: _C.where(x >= 0, x, x * slope)  # noqa: E731
    if inplace:
        from ._functional_activation import _inplace

        return _inplace(input, "rrelu", fn)
    return fn(input)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """``F.rrelu(input, lower, upper, training, inplace=True)``."""
    return rrelu(input, lower, upper, training, inplace=True)

