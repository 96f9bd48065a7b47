"""Fused optimizer kernels against the update formulas written out in numpy.

Covers the contiguous fast path, non-contiguous parameters (updated through a dense copy),
float32 and float64, sizes with vector tails, and tensors large enough to be split over threads.
"""

from __future__ import annotations

import ember
import numpy as np
import pytest

# Sizes: a vector tail only, tails after full vectors, and one above the threading threshold.
SHAPES = [(3,), (7, 11), (300, 301)]
TOLS = {np.float32: {"rtol": 2e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-14}}

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.9)}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "maximize": True}),
]


def _lerp(a, b, w):
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def reference_step(name, kw, state, p, g, step):
    """One step of `name` on numpy arrays (in place on p and state), PyTorch's formulas."""
    dt = p.dtype.type
    lr = kw.get("lr")
    wd = kw.get("weight_decay", 0.0)
    if kw.get("maximize", False):
        g = -g
    if name == "SGD":
        mom, damp = kw.get("momentum", 0.0), kw.get("dampening", 0.0)
        if wd:
            g = g + dt(wd) * p
        if mom:
            if "buf" not in state:
                state["buf"] = g.copy()
            else:
                state["buf"] = state["buf"] * dt(mom) + dt(1 - damp) * g
            g = g + dt(mom) * state["buf"] if kw.get("nesterov", False) else state["buf"]
        p += dt(-lr) * g
    elif name in ("Adam", "AdamW"):
        b1, b2 = kw.get("betas", (0.9, 0.999))
        eps = kw.get("eps", 1e-8)
        if name == "AdamW":
            wd = kw.get("weight_decay", 0.01)
            p *= dt(1 - lr * wd)
        elif wd:
            g = g + dt(wd) * p
        m = state.setdefault("m", np.zeros_like(p))
        v = state.setdefault("v", np.zeros_like(p))
        m[...] = _lerp(m, g, dt(1 - b1))
        v[...] = v * dt(b2) + dt(1 - b2) * g * g
        second = v
        if kw.get("amsgrad", False):
            vmax = state.setdefault("vmax", np.zeros_like(p))
            vmax[...] = np.maximum(vmax, v)
            second = vmax
        bc1 = 1 - b1**step
        bc2 = 1 - b2**step
        denom = np.sqrt(second) / dt(np.sqrt(bc2)) + dt(eps)
        p += dt(-(lr / bc1)) * (m / denom)
    elif name == "RMSprop":
        alpha, eps, mom = kw.get("alpha", 0.99), kw.get("eps", 1e-8), kw.get("momentum", 0.0)
        if wd:
            g = g + dt(wd) * p
        sq = state.setdefault("sq", np.zeros_like(p))
        sq[...] = sq * dt(alpha) + dt(1 - alpha) * g * g
        if kw.get("centered", False):
            ga = state.setdefault("ga", np.zeros_like(p))
            ga[...] = _lerp(ga, g, dt(1 - alpha))
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + dt(eps)
        if mom > 0:
            buf = state.setdefault("buf", np.zeros_like(p))
            buf[...] = buf * dt(mom) + g / avg
            p += dt(-lr) * buf
        else:
            p += dt(-lr) * (g / avg)
    elif name == "Adagrad":
        eps, decay = kw.get("eps", 1e-10), kw.get("lr_decay", 0.0)
        if wd:
            g = g + dt(wd) * p
        clr = lr / (1 + (step - 1) * decay)
        s = state.setdefault("sum", np.zeros_like(p))
        s += g * g
        p += dt(-clr) * (g / (np.sqrt(s) + dt(eps)))
    else:  # pragma: no cover
        raise AssertionError(name)


def _param(arr, contiguous):
    if contiguous:
        return ember.from_numpy(arr.copy()).requires_grad_()
    # A transposed (column-major) leaf: the kernels see a non-contiguous tensor.
    t = ember.from_numpy(np.ascontiguousarray(arr.T).T)
    if arr.ndim >= 2:
        assert not t.is_contiguous()
    return t.requires_grad_()


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("contiguous", [True, False], ids=["contig", "strided"])
def test_step_matches_reference(name, kwargs, dtype, contiguous):
    rng = np.random.default_rng(1)
    ref = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    params = [_param(a, contiguous) for a in ref]
    opt = getattr(ember.optim, name)(params, **kwargs)
    states = [{} for _ in ref]
    for step in range(1, 4):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        for p, g in zip(params, grads):
            p.grad = ember.from_numpy(g.copy())
        opt.step()
        for a, g, st in zip(ref, grads, states):
            reference_step(name, kwargs, st, a, g, step)
        for p, a in zip(params, ref):
            got = p.detach().numpy()
            assert got.dtype == dtype
            np.testing.assert_allclose(got, a, **TOLS[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_threaded_step_equals_single_thread(dtype):
    """Chunks are independent: the result does not depend on the thread count."""
    rng = np.random.default_rng(2)
    init = rng.standard_normal((400, 300)).astype(dtype)
    grads = [rng.standard_normal((400, 300)).astype(dtype) for _ in range(3)]
    saved = ember.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            p = ember.from_numpy(init.copy()).requires_grad_()
            opt = ember.optim.Adam([p], lr=0.01, amsgrad=True)
            for g in grads:
                p.grad = ember.from_numpy(g.copy())
                opt.step()
            results.append(p.detach().numpy().copy())
    finally:
        ember.set_num_threads(saved)
    np.testing.assert_array_equal(results[0], results[1])


def test_special_values_propagate():
    """inf and NaN in gradients reach the parameters as in the formulas."""
    g = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0] * 5, dtype=np.float32)
    p = ember.zeros(25, requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.from_numpy(g.copy())
    opt.step()
    ref = np.zeros(25, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        reference_step("Adam", {"lr": 0.1}, {}, ref, g, 1)
    got = p.detach().numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=1e-6)
