"""Weight initializations (PyTorch's ``torch.nn.init``), filled in place without autograd."""

from __future__ import annotations

import math

from .._C import Generator, Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity.

    linear/conv*/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope**2))
    (slope = ``param``, default 0.01); selu: 3/4.

    Raises:
        ValueError: unknown nonlinearity or bad ``param``.
    """
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            f"{op}: fan in and fan out can not be computed for a tensor with fewer "
            f"than 2 dimensions (shape {tuple(tensor.shape)})"
        )
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= int(s)
    return int(tensor.shape[1]) * receptive, int(tensor.shape[0]) * receptive


def _raw(tensor: Tensor) -> Tensor:
    return tensor.detach()


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fills ``tensor`` with U(a, b) samples; returns it."""
    _raw(tensor).uniform_(a, b, generator=generator)
    return tensor


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fills ``tensor`` with N(mean, std**2) samples; returns it."""
    _raw(tensor).normal_(mean, std, generator=generator)
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills ``tensor`` with ``val``; returns it."""
    _raw(tensor).fill_(val)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` with 0 in place (no gradient recorded); returns it."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` with 1 in place (no gradient recorded); returns it."""
    return constant_(tensor, 1.0)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Reference: Glorot & Bengio, "Understanding the difficulty of training deep feedforward
    neural networks", 2010.
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, op)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        return 0.0
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """U(-b, b) with ``b = gain * sqrt(3 / fan)``, ``gain = calculate_gain(nonlinearity, a)``.

    Args:
        a: negative slope of the following leaky_relu (used only for that nonlinearity).
        mode: ``"fan_in"`` (default, preserves forward variance) or ``"fan_out"``.
    Reference: He et al., "Delving Deep into Rectifiers", 2015.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """N(0, std**2) with ``std = gain / sqrt(fan)`` (He et al. 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fills ``tensor`` with N(mean, std**2) samples truncated to ``[a, b]``; returns it.

    Inverse-CDF sampling: ``u ~ U(Phi(alpha), Phi(beta))`` with ``alpha = (a - mean) / std``,
    ``beta = (b - mean) / std``, then ``mean + std * sqrt(2) * erfinv(2u - 1)``, clamped to
    ``[a, b]`` against rounding. ``a`` and ``b`` are absolute bounds, as in PyTorch.

    Args:
        tensor: the tensor to fill (floating).
        mean, std: the normal distribution before truncation (defaults 0 and 1).
        a, b: the bounds (defaults -2 and 2).
        generator: random source; default the global generator.
    Returns:
        ``tensor``.
    Raises:
        ValueError: ``a >= b`` or ``std <= 0``.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: a ({a}) must be less than b ({b})")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")

    def cdf(x: float) -> float:
        """The standard normal CDF."""
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    raw = _raw(tensor)
    raw.uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)
    raw.copy_(raw.erfinv().mul_(std * math.sqrt(2.0)).add_(mean).clamp_(a, b))
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` with a (semi-)orthogonal matrix times ``gain``; returns it.

    The tensor is viewed as ``(rows, cols)`` with ``rows = shape[0]``; its rows (if fewer) or
    columns are orthonormal: the Q of a QR decomposition of a standard normal matrix, with
    the signs of R's diagonal folded in so that Q is uniformly distributed.

    Args:
        tensor: at least 2-D.
        gain: multiplier (default 1).
        generator: random source; default the global generator.
    Returns:
        ``tensor``.
    Raises:
        ValueError: fewer than 2 dims.
    Reference:
        Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep linear
        neural networks", ICLR 2014.
    """
    import numpy as np

    if tensor.dim() < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = int(tensor.shape[0])
    cols = tensor.numel() // rows
    raw = _raw(tensor)
    from .. import empty

    flat = empty(rows, cols, dtype=_float64())
    flat.normal_(0.0, 1.0, generator=generator)
    m = flat.numpy()
    if rows < cols:
        m = m.T
    q, r = np.linalg.qr(m)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    from .. import tensor as make

    raw.copy_(make(q * gain).reshape(tuple(tensor.shape)))
    return tensor


def _float64():
    from .. import float64

    return float64


def eye_(tensor: Tensor) -> Tensor:
    """Fills a 2-D ``tensor`` with the identity (ones on the main diagonal); returns it.

    Raises:
        ValueError: ``tensor`` is not 2-D.
    """
    if tensor.dim() != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    from .. import eye

    n, m = (int(s) for s in tensor.shape)
    _raw(tensor).copy_(eye(n, m, dtype=tensor.dtype))
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills a 3-5-D convolution weight with the Dirac delta, so the convolution copies its
    input channels (per group); returns it.

    Args:
        tensor: ``(out_channels, in_channels, *kernel)`` with 1-3 kernel dims.
        groups: the convolution's groups; ``out_channels`` must be divisible by it.
    Returns:
        ``tensor``.
    Raises:
        ValueError: a tensor not 3-, 4- or 5-D, or ``out_channels`` not divisible by ``groups``.
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3, 4 or 5-D tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    shape = tuple(int(s) for s in tensor.shape)
    if shape[0] % groups:
        raise ValueError(f"dirac_: out_channels ({shape[0]}) must be divisible by groups "
                         f"({groups})")
    import numpy as np

    out_per_group = shape[0] // groups
    w = np.zeros(shape)
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + centre] = 1.0
    from .. import tensor as make

    _raw(tensor).copy_(make(w, dtype=tensor.dtype))
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Generator | None = None) -> Tensor:
    """Fills a 2-D ``tensor`` with N(0, std**2) values and zeros a ``sparsity`` fraction of each
    column (``ceil(sparsity * rows)`` entries at random rows); returns it.

    Args:
        tensor: 2-D.
        sparsity: fraction of each column set to zero, in [0, 1].
        std: standard deviation of the nonzero values (default 0.01).
        generator: random source; default the global generator.
    Returns:
        ``tensor``.
    Raises:
        ValueError: ``tensor`` not 2-D.
    Reference:
        Martens, "Deep learning via Hessian-free optimization", ICML 2010.
    """
    if tensor.dim() != 2:
        raise ValueError(f"sparse_: only 2-D tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    rows, cols = (int(s) for s in tensor.shape)
    zeros_per_col = int(math.ceil(sparsity * rows))
    raw = _raw(tensor)
    raw.normal_(0.0, std, generator=generator)
    from .. import randperm

    for c in range(cols):
        idx = randperm(rows, generator=generator)[:zeros_per_col]
        raw[idx, c] = 0.0
    return tensor
