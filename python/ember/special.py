"""Special functions under PyTorch's ``torch.special`` names.

Most are the elementwise ops ember has at the top level (``ember.special.expit`` is
``ember.sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``, ...); ``entr``, ``ndtr``,
``log_ndtr``, ``ndtri``, ``xlog1py`` and ``i0e`` are written here with ember ops, so they are
differentiable and ember.jit traces them. Floating inputs keep their dtype; integer inputs
compute in float32.
"""

from __future__ import annotations

import math
from typing import Any

from . import _C
from ._C import Tensor

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0",
    "i0e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
    "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy",
]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _float(x: Any, op: str) -> Tensor:
    """``x`` as a floating tensor (integers become float32); TypeError naming ``op`` for a non-tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"special.{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.is_floating_point() else x.float()


def _top(name: str) -> Any:
    """The top-level ``ember`` function ``name`` (imported late: ``ember`` imports this module lazily)."""
    import ember

    return getattr(ember, name)


def digamma(input: Tensor) -> Tensor:
    """``d/dx log Gamma(x)``, elementwise (``ember.digamma``); same shape, floating dtype."""
    return _top("digamma")(input)


def psi(input: Tensor) -> Tensor:
    """Alias of :func:`digamma`."""
    return _top("digamma")(input)


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * int_0^x exp(-t^2) dt``, elementwise."""
    return _top("erf")(input)


def erfc(input: Tensor) -> Tensor:
    """``1 - erf(x)``, computed without cancellation, elementwise."""
    return _top("erfc")(input)


def erfinv(input: Tensor) -> Tensor:
    """The inverse of erf on (-1, 1) (``+-inf`` at ``+-1``, NaN outside), elementwise."""
    return _top("erfinv")(input)


def exp2(input: Tensor) -> Tensor:
    """``2 ** x``, elementwise."""
    return _top("exp2")(input)


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, elementwise (``ember.sigmoid``)."""
    return _top("sigmoid")(input)


def expm1(input: Tensor) -> Tensor:
    """``exp(x) - 1``, accurate near 0, elementwise."""
    return _top("expm1")(input)


def log1p(input: Tensor) -> Tensor:
    """``log(1 + x)``, accurate near 0, elementwise."""
    return _top("log1p")(input)


def gammaln(input: Tensor) -> Tensor:
    """``log |Gamma(x)|``, elementwise (``ember.lgamma``)."""
    return _top("lgamma")(input)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p`` (``ember.mvlgamma``)."""
    return _top("mvlgamma")(input, p)


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma, elementwise (``ember.polygamma``)."""
    return _top("polygamma")(n, input)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0, elementwise."""
    return _top("i0")(input)


def i0e(input: Tensor) -> Tensor:
    """The exponentially scaled ``i0``: ``exp(-|x|) * i0(x)``, elementwise.

    Computed as the product, so it overflows where ``i0`` does (``|x|`` above about 88 in
    float32 and 709 in float64), where PyTorch's dedicated series does not.
    """
    import ember

    x = _float(input, "i0e")
    finite = ~x.isinf()
    xf = ember.where(finite, x, ember.zeros((), dtype=x.dtype))
    return ember.where(finite, xf.abs().neg().exp() * _top("i0")(xf),
                       ember.zeros((), dtype=x.dtype))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, elementwise; with ``eps`` the input is clamped to
    ``[eps, 1 - eps]`` first (``ember.logit``)."""
    return _top("logit")(input, eps)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably (``ember.logsumexp``)."""
    return _top("logsumexp")(input, dim, keepdim)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Softmax over ``dim``; with ``dtype`` the input is converted to it first."""
    x = input if dtype is None else input.to(dtype)
    return _C.softmax(x, dim)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Log-softmax over ``dim``; with ``dtype`` the input is converted to it first."""
    x = input if dtype is None else input.to(dtype)
    return _C.log_softmax(x, dim)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Rounds half to even, to ``decimals`` decimal places (``ember.round``)."""
    return _top("round")(input, decimals=decimals)


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc ``sin(pi x) / (pi x)`` (1 at 0), elementwise."""
    return _top("sinc")(input)


def xlogy(input: Any, other: Any) -> Tensor:
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN); broadcast."""
    return _top("xlogy")(input, other)


def xlog1py(input: Any, other: Any) -> Tensor:
    """``x * log1p(y)``, and 0 where ``x == 0`` (unless ``y`` is NaN); broadcast.

    Args:
        input, other: tensors or numbers (at least one a tensor).
    Returns:
        Tensor: the broadcast shape, floating.
    Raises:
        TypeError: neither argument is a tensor.
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("special.xlog1py: at least one argument must be a Tensor")
    import ember

    x = input if isinstance(input, Tensor) else ember.tensor(input)
    y = other if isinstance(other, Tensor) else ember.tensor(other)
    dt = ember.result_type(x, y)
    if not dt.is_floating_point:
        dt = ember.float32
    x, y = x.to(dt), y.to(dt)
    prod = x * y.log1p()
    keep = (x != 0) | y.isnan()
    return ember.where(keep, prod, ember.zeros((), dtype=dt))


def entr(input: Tensor) -> Tensor:
    """The entropy term ``-x log(x)`` elementwise: 0 at 0, ``-inf`` for negative ``x``, NaN for
    NaN. Gradient ``-(log(x) + 1)`` (``-inf`` at 0, as PyTorch).

    Returns:
        Tensor: same shape; floating dtype.
    """
    import ember

    x = _float(input, "entr")
    pos = x > 0
    safe = ember.where(pos, x, ember.ones((), dtype=x.dtype))
    val = -x * safe.log()
    out = ember.where(pos, val, ember.zeros((), dtype=x.dtype))
    neg = ember.full((), -math.inf, dtype=x.dtype)
    out = ember.where(x < 0, neg, out)
    return ember.where(x.isnan(), x, out)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF ``Phi(x) = erfc(-x / sqrt(2)) / 2``, elementwise (accurate in
    the lower tail, where ``(1 + erf)`` would cancel)."""
    x = _float(input, "ndtr")
    return 0.5 * (x * -_SQRT1_2).erfc()


def log_ndtr(input: Tensor) -> Tensor:
    """``log Phi(x)``, elementwise, accurate in both tails.

    It is ``log1p(-Phi(-x))`` or ``log(Phi(x))``, whichever does not cancel, as long as
    ``Phi(x)`` is a normal number (``x`` above -37 in float64, -13 in float32); below, the
    asymptotic series ``-x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6
    + 105/x^8)`` (Abramowitz & Stegun 26.2.12), whose next term is below the dtype's rounding
    there. (PyTorch's float64 ``ndtr`` is 0 from about -8.5 on; this one is not.)
    """
    import ember

    x = _float(input, "log_ndtr")
    cut = -37.0 if x.dtype == ember.float64 else -13.0
    zero = ember.zeros((), dtype=x.dtype)
    # Each branch reads only inputs it is meant for (others replaced by harmless values), so
    # no branch makes an infinite derivative that the selection would turn into NaN.
    far = x < cut
    xm = ember.where(far, ember.full((), cut, dtype=x.dtype), x)
    pos = xm > 0
    upper = (-ndtr(-ember.where(pos, xm, zero))).log1p()
    lower = ndtr(ember.where(pos, zero, xm)).log()
    mid = ember.where(pos, upper, lower)
    t = ember.where(far, x, ember.full((), cut, dtype=x.dtype))
    z = 1.0 / (t * t)
    series = 1 - z + 3 * z * z - 15 * z * z * z + 105 * z * z * z * z
    tail = -0.5 * t * t - (-t).log() - _LOG_SQRT_2PI + series.log()
    return ember.where(far, tail, mid)


def ndtri(input: Tensor) -> Tensor:
    """The inverse of the standard normal CDF, elementwise: ``-inf`` at 0, ``inf`` at 1, NaN
    outside [0, 1].

    ``sqrt(2) * erfinv(2p - 1)`` for tail probabilities ``min(p, 1 - p)`` of 0.02 and above;
    below, the tail is solved in log space, where it keeps its precision down to the smallest
    positive ``p``: Newton's method on ``log_ndtr(x) = log(p)`` (four steps, quadratic) from
    the asymptotic start ``-sqrt(-2 log p - log(-2 log p) - log(2 pi))``. Differentiable
    (``1 / pdf(ndtri(p))``); ember.jit traces it.
    """
    import ember

    p = _float(input, "ndtri")
    low = p < 0.5
    q = ember.where(low, p, 1 - p)
    tail = (q < 0.02) & (q > 0)
    # The central formula reads only the probabilities it is used for (2p - 1 rounds to -1 for
    # tiny p, where erfinv's infinite derivative would turn into NaN through the selection).
    central = math.sqrt(2.0) * (2 * ember.where(tail, ember.full((), 0.5, dtype=p.dtype), p)
                                - 1).erfinv()
    lq = ember.where(tail, q, ember.full((), 0.01, dtype=p.dtype)).log()
    s = -2 * lq
    x = -(s - s.log() - math.log(2 * math.pi)).sqrt()
    for _ in range(4):
        ln = log_ndtr(x)
        x = x - (ln - lq) * (ln + 0.5 * x * x + _LOG_SQRT_2PI).exp()
    return ember.where(tail, ember.where(low, x, -x), central)
