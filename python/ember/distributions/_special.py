"""Samplers and special functions the distributions need, written with ember ops.

- Gamma sampling (Marsaglia & Tsang 2000, with the ``alpha < 1`` boost), done in log space so
  that tiny shapes do not underflow, with an implicitly reparameterized gradient
  (Figurnov et al. 2018): ``d log x / d alpha = -(dP/dalpha)(x) / (x p(x))`` where ``P`` is the
  regularized lower incomplete gamma function and ``p`` the Gamma(alpha, 1) density.
- The regularized lower incomplete gamma function ``gammainc`` (series and continued fraction,
  Numerical Recipes 6.2) with its derivative in ``x``.
- Poisson sampling: inversion for rates < 10, PTRS (Hormann 1993) above.
- Binomial sampling: inversion for ``n * min(p, 1 - p) < 10``, BTRS (Hormann 1993) above.

Rejection samplers loop over rounds, each round drawing for all still-pending elements at once
(the pending set shrinks geometrically); series loop over terms, for all elements at once.
Nothing loops over elements. All internal arithmetic is float64; random numbers come from ember's generator.
"""

from __future__ import annotations

import ember
from ember import Tensor
from ember.autograd import Function

_F64 = ember.float64
_MAX_ROUNDS = 10000


def _pending(mask: Tensor) -> Tensor:
    """1-D int64 indices of the True entries of a 1-D bool tensor."""
    return mask.nonzero().reshape(-1)


# ---- Gamma ---------------------------------------------------------------------------------


def _log_standard_gamma_sample(alpha: Tensor) -> Tensor:
    """``log`` of Gamma(alpha, 1) samples, float64, same shape as ``alpha`` (float64, > 0).

    Marsaglia & Tsang (2000): for ``a >= 1`` with ``d = a - 1/3``, ``c = 1/sqrt(9 d)``, draw
    ``x ~ N(0, 1)``, ``v = (1 + c x)^3``, ``u ~ U(0, 1)``; accept ``d v`` when ``v > 0`` and
    ``log u < x^2/2 + d - d v + d log v``. For ``a < 1``: ``G(a) = G(a + 1) U^(1/a)``, i.e.
    ``log G(a) = log G(a + 1) + log(U) / a``.
    """
    shape = tuple(alpha.shape)
    a = alpha.reshape(-1)
    n = a.numel()
    boost = a < 1
    a1 = ember.where(boost, a + 1, a)
    d = a1 - 1.0 / 3.0
    c = (9.0 * d).rsqrt()
    out = ember.zeros(n, dtype=_F64)
    idx = ember.arange(n, dtype=ember.int64)
    for _ in range(_MAX_ROUNDS):
        m = idx.numel()
        if m == 0:
            break
        dd, cc = d[idx], c[idx]
        x = ember.randn(m, dtype=_F64)
        u = ember.rand(m, dtype=_F64)
        t = 1.0 + cc * x
        ok_t = t > 0
        v = ember.where(ok_t, t, 1.0) ** 3
        ok = ok_t & (u.log() < 0.5 * x * x + dd - dd * v + dd * v.log())
        acc = _pending(ok)
        out[idx[acc]] = (dd[acc] * v[acc]).log()
        idx = idx[_pending(ok.logical_not())]
    else:  # pragma: no cover - probability ~0
        raise RuntimeError("Gamma sampling: rejection sampler did not finish")
    u = 1.0 - ember.rand(n, dtype=_F64)  # in (0, 1]
    out = ember.where(boost, out + u.log() / a, out)
    return out.reshape(shape)


def _dlogx_dalpha_series(logx: Tensor, a: Tensor) -> Tensor:
    """``d log x / d a`` for Gamma(a, 1) at ``x = exp(logx)`` by the series of ``dP/da``.

    With ``P(a, x) = x^a e^-x sum_n x^n / Gamma(a + n + 1)``,
    ``(dP/da) / (x p(x)) = sum_n t_n (log x - digamma(a + n + 1))`` where
    ``t_n = x^n Gamma(a) / Gamma(a + n + 1)``, and ``d log x / d a = -(dP/da) / (x p(x))``.
    The terms follow ``t_n = t_(n-1) x / (a + n)`` and
    ``digamma(a + n + 1) = digamma(a + n) + 1 / (a + n)``; they grow until ``n ~ x - a`` and
    then fall geometrically. The loop runs over terms for all elements at once; every 8 terms
    the elements whose tail is below 1e-16 of their sum are retired. Inputs are 1-D float64.
    """
    out = ember.zeros_like(a)
    idx = ember.arange(a.numel(), dtype=ember.int64)
    x = logx.exp()
    lx = logx
    t = a.reciprocal()
    psi = ember.digamma(a) + t
    acc = t * (lx - psi)
    n = 0
    for _ in range(_MAX_ROUNDS):
        for _ in range(8):
            n += 1
            an = a + n
            t = t * x / an
            psi = psi + an.reciprocal()
            term = t * (lx - psi)
            acc = acc + term
        # Remaining tail <= |term| r / (1 - r) (times a slowly growing log) for r < 0.9.
        done = (x < 0.9 * (a + n + 1)) & (term.abs() * 10.0 <= 1e-16 * acc.abs() + 1e-300)
        fin = _pending(done)
        if fin.numel():
            out[idx[fin]] = acc[fin]
            keep = _pending(done.logical_not())
            if keep.numel() == 0:
                break
            idx, a, x, lx, t, psi, acc = (v[keep] for v in (idx, a, x, lx, t, psi, acc))
    return -out


def _dlogx_dalpha_wilson_hilferty(logx: Tensor, a: Tensor) -> Tensor:
    """``d log x / d a`` for large ``a`` from the Wilson-Hilferty map ``x = a w^3``,
    ``w = 1 - 1/(9a) + z/(3 sqrt(a))`` at fixed normal quantile ``z``."""
    w = ((logx - a.log()) / 3.0).exp()
    z = (w - 1.0 + 1.0 / (9.0 * a)) * 3.0 * a.sqrt()
    dw = 1.0 / (9.0 * a * a) - z / (6.0 * a * a.sqrt())
    return 1.0 / a + 3.0 * dw / w


_WH_THRESHOLD = 1000.0


def _dlogx_dalpha(logx: Tensor, alpha: Tensor) -> Tensor:
    """``d log x / d alpha`` of Gamma(alpha, 1) samples (implicit reparameterization), float64,
    same shape as the inputs: the series for ``alpha <= 1000``, Wilson-Hilferty above."""
    shape = tuple(alpha.shape)
    lx, a = logx.reshape(-1).to(_F64), alpha.reshape(-1).to(_F64)
    out = ember.zeros_like(a)
    small = _pending(a <= _WH_THRESHOLD)
    big = _pending(a > _WH_THRESHOLD)
    if small.numel():
        out[small] = _dlogx_dalpha_series(lx[small], a[small])
    if big.numel():
        out[big] = _dlogx_dalpha_wilson_hilferty(lx[big], a[big])
    return out.reshape(shape)


class _LogStandardGamma(Function):
    """``log`` of a Gamma(alpha, 1) sample with the implicit reparameterization gradient."""

    @staticmethod
    def forward(ctx, alpha):
        """log of Gamma(alpha, 1) samples; saves what the backward reads."""
        logx = _log_standard_gamma_sample(alpha.to(_F64))
        ctx.save_for_backward(logx, alpha)
        return logx.to(alpha.dtype)

    @staticmethod
    def backward(ctx, grad):
        """The gradient of alpha by implicit reparameterization (see the class docstring)."""
        logx, alpha = ctx.saved_tensors
        return grad * _dlogx_dalpha(logx, alpha).to(grad.dtype)


def _log_standard_gamma(alpha: Tensor) -> Tensor:
    """``log`` of Gamma(alpha, 1) samples (differentiable in ``alpha``), dtype of ``alpha``."""
    return _LogStandardGamma.apply(alpha.contiguous())


def _standard_gamma_grad(x: Tensor, alpha: Tensor) -> Tensor:
    """``dx/dalpha`` of a Gamma(alpha, 1) sample ``x`` held at its CDF level (as
    ``torch._standard_gamma_grad``); float64."""
    x64 = x.to(_F64)
    return x64 * _dlogx_dalpha(x64.log(), alpha.to(_F64))


# ---- regularized incomplete gamma ------------------------------------------------------------


def _gammainc_forward(a: Tensor, x: Tensor) -> Tensor:
    """``P(a, x)`` for float64 ``a`` and ``x`` of one shape: series for ``x < a + 1``, Lentz's
    continued fraction for ``Q = 1 - P`` otherwise (Numerical Recipes, 6.2).

    Edge cases follow PyTorch's ``igamma``: NaN where ``x < 0`` or ``a < 0``; for ``a = 0``,
    1 where ``x > 0`` and NaN otherwise; 0 at ``x = 0``; for ``a = inf``, 0 (NaN at
    ``x = inf``); 1 at ``x = inf``; NaN where ``x`` is NaN (or ``a`` is NaN and ``x != 0``).
    """
    eps, tiny = 1e-16, 1e-300
    nan, inf = float("nan"), float("inf")
    a_in = a
    regular = (x > 0) & (a > 0) & ember.isfinite(x) & ember.isfinite(a)
    # Series and fraction run on safe stand-ins where the entry is decided below.
    a = ember.where(regular, a, 1.0)
    xs = ember.where(regular, x, 1.0)
    use_series = xs < a + 1
    log_pre = a * xs.log() - xs
    # series: P = e^-x x^a / Gamma(a+1) * sum_n x^n / ((a+1)...(a+n))
    term = ember.ones_like(a)
    total = ember.ones_like(a)
    ap = a.clone()
    xser = ember.where(use_series, xs, 0.0)
    for _ in range(_MAX_ROUNDS):
        ap = ap + 1.0
        term = term * xser / ap
        total = total + term
        if not bool((term > eps * total).any()):
            break
    p_series = (log_pre - ember.lgamma(a + 1.0)).exp() * total
    # continued fraction for Q (modified Lentz)
    xcf = ember.where(use_series, a + 2.0, xs)
    b = xcf + 1.0 - a
    cc = ember.full_like(a, 1.0 / tiny)
    dd = 1.0 / b
    h = dd.clone()
    for i in range(1, _MAX_ROUNDS):
        an = -i * (i - a)
        b = b + 2.0
        dd = an * dd + b
        dd = ember.where(dd.abs() < tiny, tiny, dd)
        cc = b + an / cc
        cc = ember.where(cc.abs() < tiny, tiny, cc)
        dd = 1.0 / dd
        delta = dd * cc
        h = h * delta
        if not bool(((delta - 1.0).abs() > eps).any()):
            break
    q_cf = (log_pre - ember.lgamma(a)).exp() * h
    p = ember.where(use_series, p_series, 1.0 - q_cf)
    # The special cases, in the reverse order of igamma's checks (the last where wins).
    p = ember.where(regular, p, nan)
    p = ember.where(x == inf, 1.0, p)
    p = ember.where(a_in == inf, ember.where(x == inf, nan, 0.0), p)
    p = ember.where(x == 0, 0.0, p)
    p = ember.where(a_in == 0, ember.where(x > 0, 1.0, nan), p)
    return ember.where((x < 0) | (a_in < 0), nan, p)


class _GammaInc(Function):
    """Regularized lower incomplete gamma ``P(a, x)`` with ``dP/dx = x^(a-1) e^-x / Gamma(a)``."""

    @staticmethod
    def forward(ctx, a, x):
        """P(a, x) elementwise (series or continued fraction), 1 at x = inf and NaN for NaN."""
        ctx.save_for_backward(a, x)
        return _gammainc_forward(a.to(_F64), x.to(_F64)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        """The gradient of x, dP/dx = x^(a-1) e^-x / Gamma(a); none to a."""
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("gammainc: the derivative with respect to the first "
                                      "argument (the concentration) is not implemented")
        # The density x^(a-1) e^-x / Gamma(a): 0 at x <= 0 and at x = inf, NaN at x = NaN.
        inside = (x > 0) & ember.isfinite(x)
        xs = ember.where(inside, x, 1.0)
        dens = ((a - 1.0) * xs.log() - xs - ember.lgamma(a)).exp()
        dens = ember.where(inside, dens, ember.where(ember.isnan(x), float("nan"), 0.0))
        return None, grad * dens


def _gammainc(a: Tensor, x: Tensor) -> Tensor:
    """``P(a, x)`` (broadcast), differentiable in ``x``; dtype of ``x``."""
    a, x = ember.broadcast_tensors(a, x)
    return _GammaInc.apply(a.contiguous(), x.contiguous())


# ---- Poisson ---------------------------------------------------------------------------------


def _sample_poisson(rate: Tensor) -> Tensor:
    """Poisson(rate) samples as float64 of ``rate``'s shape (``rate`` float64, >= 0).

    Rates below 10: sequential inversion, one round per count value. Rates from 10: PTRS,
    Hormann (1993), "The transformed rejection method for generating Poisson random variables",
    Insurance: Mathematics and Economics 12, 39-45.
    """
    shape = tuple(rate.shape)
    lam_all = rate.reshape(-1)
    n = lam_all.numel()
    out = ember.zeros(n, dtype=_F64)
    small = _pending((lam_all < 10) & (lam_all > 0))
    if small.numel():
        lam = lam_all[small]
        u = ember.rand(small.numel(), dtype=_F64)
        k = ember.zeros_like(lam)
        p = (-lam).exp()
        cdf = p.clone()
        for _ in range(_MAX_ROUNDS):
            active = (u > cdf) & (p > 1e-17)
            if not bool(active.any()):
                break
            k = k + active.to(_F64)
            p = ember.where(active, p * lam / k.clamp(min=1.0), p)
            cdf = ember.where(active, cdf + p, cdf)
        out[small] = k
    big = _pending(lam_all >= 10)
    if big.numel():
        lam = lam_all[big]
        slam = lam.sqrt()
        loglam = lam.log()
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        log_invalpha = (1.1239 + 1.1328 / (b - 3.4)).log()
        vr = 0.9277 - 3.6224 / (b - 2)
        idx = ember.arange(big.numel(), dtype=ember.int64)
        res = ember.zeros_like(lam)
        for _ in range(_MAX_ROUNDS):
            m = idx.numel()
            if m == 0:
                break
            lm, ll, bb, aa = lam[idx], loglam[idx], b[idx], a[idx]
            vv, li = vr[idx], log_invalpha[idx]
            uu = ember.rand(m, dtype=_F64) - 0.5
            v = ember.rand(m, dtype=_F64)
            us = 0.5 - uu.abs()
            k = ((2 * aa / us + bb) * uu + lm + 0.43).floor()
            fast = (us >= 0.07) & (v <= vv)
            kk = k.clamp(min=0.0)
            slow = ((k >= 0) & ((us >= 0.013) | (v <= us))
                    & (v.log() + li - (aa / (us * us) + bb).log()
                       <= -lm + kk * ll - ember.lgamma(kk + 1)))
            ok = fast | slow
            acc = _pending(ok)
            res[idx[acc]] = k[acc]
            idx = idx[_pending(ok.logical_not())]
        out[big] = res
    return out.reshape(shape)


# ---- Binomial --------------------------------------------------------------------------------


def _sample_binomial(count: Tensor, prob: Tensor) -> Tensor:
    """Binomial(count, prob) samples as float64 (inputs float64, same shape, ``count`` a
    nonnegative integer, ``prob`` in [0, 1]).

    With ``q = min(p, 1 - p)`` (the result reflected as ``n - k`` when ``p > 1/2``): inversion
    for ``n q < 10``, one round per count value; BTRS otherwise, Hormann (1993), "The
    generation of binomial random variates", J. Statist. Comput. Simul. 46, 101-110.
    """
    shape = tuple(count.shape)
    n_all = count.reshape(-1)
    p_all = prob.reshape(-1)
    flip = p_all > 0.5
    q_all = ember.where(flip, 1.0 - p_all, p_all)
    out = ember.zeros_like(n_all)
    mean = n_all * q_all
    small = _pending((mean < 10) & (q_all > 0) & (n_all > 0))
    if small.numel():
        n, q = n_all[small], q_all[small]
        u = ember.rand(small.numel(), dtype=_F64)
        r = q / (1.0 - q)
        k = ember.zeros_like(n)
        pk = (n * (-q).log1p()).exp()
        cdf = pk.clone()
        for _ in range(_MAX_ROUNDS):
            active = (u > cdf) & (k < n) & (pk > 1e-17)
            if not bool(active.any()):
                break
            k = k + active.to(_F64)
            pk = ember.where(active, pk * (n - k + 1.0) / k.clamp(min=1.0) * r, pk)
            cdf = ember.where(active, cdf + pk, cdf)
        out[small] = k
    big = _pending(mean >= 10)
    if big.numel():
        n, p = n_all[big], q_all[big]
        q = 1.0 - p
        spq = (n * p * q).sqrt()
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * p
        c = n * p + 0.5
        vr = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        lpq = (p / q).log()
        m = ((n + 1) * p).floor()
        h = ember.lgamma(m + 1) + ember.lgamma(n - m + 1)
        idx = ember.arange(big.numel(), dtype=ember.int64)
        res = ember.zeros_like(n)
        for _ in range(_MAX_ROUNDS):
            cnt = idx.numel()
            if cnt == 0:
                break
            nn_, aa, bb, cc, vv = n[idx], a[idx], b[idx], c[idx], vr[idx]
            al, lp, mm, hh = alpha[idx], lpq[idx], m[idx], h[idx]
            uu = ember.rand(cnt, dtype=_F64) - 0.5
            v = ember.rand(cnt, dtype=_F64)
            us = 0.5 - uu.abs()
            k = ((2 * aa / us + bb) * uu + cc).floor()
            inside = (k >= 0) & (k <= nn_)
            fast = inside & (us >= 0.07) & (v <= vv)
            kk = k.clamp(min=0.0)
            kk = ember.minimum(kk, nn_)
            lv = (v * al / (aa / (us * us) + bb)).log()
            slow = inside & (lv <= hh - ember.lgamma(kk + 1) - ember.lgamma(nn_ - kk + 1)
                             + (kk - mm) * lp)
            ok = fast | slow
            acc = _pending(ok)
            res[idx[acc]] = k[acc]
            idx = idx[_pending(ok.logical_not())]
        out[big] = res
    out = ember.where(flip, n_all - out, out)
    return out.reshape(shape)
