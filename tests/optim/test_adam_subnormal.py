"""Adam with first moments stuck in the subnormal range (a dead unit's weights: zero gradient,
m shrunk by beta1 until m + (1 - beta1) * (0 - m) rounds back to m). The update takes a
shortcut for such elements that avoids subnormal arithmetic; every result must still have the
bits of the plain formula, computed here with numpy one IEEE operation at a time."""

import math

import numpy as np
import pytest

import ember

STEP = 2  # the state below is written after one step, so the update checked is the second


def _formula(dtype, p, g, m, v, vmax, *, lr, beta1, beta2, eps, wd, amsgrad, decoupled,
             maximize):
    """ember's Adam update (PyTorch's single-tensor order of operations) in numpy."""
    t = np.dtype(dtype).type
    w1 = t(1.0 - beta1)
    omw1 = t(1) - w1
    b2, c2 = t(beta2), t(1.0 - beta2)
    bc1 = 1.0 - beta1 ** STEP
    neg_step = t(-(lr / bc1))
    inv = t(1.0 / float(t(math.sqrt(1.0 - beta2 ** STEP))))
    gi = -g if maximize else g.copy()
    pi = p * t(1.0 - lr * wd) if (wd and decoupled) else p.copy()
    if wd and not decoupled:
        gi = gi + t(wd) * pi
    d = gi - m
    m2 = m + w1 * d if abs(w1) < 0.5 else gi - d * omw1
    v2 = v * b2 + c2 * gi * gi
    second = v2
    if amsgrad:
        second = np.where(np.isnan(vmax) | (vmax > v2), vmax, v2)
    denom = np.sqrt(second) * inv + t(eps)
    p2 = pi + neg_step * (m2 / denom)
    return p2, m2, v2


def _state(dtype, n, seed):
    """Parameters, gradients and moments mixing stuck lanes with every neighbouring case."""
    t = np.dtype(dtype).type
    tiny = np.finfo(dtype).smallest_subnormal
    rng = np.random.default_rng(seed)
    p = (rng.standard_normal(n) * 0.05).astype(dtype)
    g = (rng.standard_normal(n) * 1e-2).astype(dtype)
    m = (rng.standard_normal(n) * 1e-3).astype(dtype)
    v = (rng.random(n) * 1e-4).astype(dtype)
    kind = rng.integers(0, 10, n)
    # Dead rows: long runs of zero gradient with stuck moments, and scattered lanes.
    dead = np.zeros(n, bool)
    dead[100:400] = True
    dead[n - 37:] = True
    dead |= kind == 0
    g[dead] = 0
    ks = rng.integers(-6, 7, n)
    m[dead] = (ks[dead] * tiny).astype(dtype)  # 0 and +-1..6 smallest subnormals
    m[dead & (kind == 1)] = t(-0.0)
    # Neighbours of the shortcut's conditions: a tiny m with a small nonzero gradient, a zero
    # or subnormal parameter, a subnormal v, larger subnormal m, NaN and infinity.
    m[kind == 2] = (ks[kind == 2] * tiny).astype(dtype)
    p[dead & (kind == 3)] = 0
    p[dead & (kind == 4)] = t(3 * tiny)
    v[dead & (kind == 5)] = t(5 * tiny)
    m[dead & (kind == 6)] = t(1000 * tiny)
    g[kind == 7] = np.array([np.nan, np.inf, -np.inf])[rng.integers(0, 3, (kind == 7).sum())]
    p[dead & (kind == 8)] = np.inf
    # A small normal parameter with v = 0 (denominator eps): the step moves it.
    p[dead & (kind == 9)] = t(1e-36 if dtype == np.float32 else 1e-305)
    v[dead & (kind == 9)] = 0
    vmax = np.maximum(v, (rng.random(n) * 1e-4).astype(dtype))
    return p, g, m, v, vmax


CASES = [
    dict(cls="Adam"),
    dict(cls="Adam", amsgrad=True),
    dict(cls="Adam", weight_decay=0.01),
    dict(cls="AdamW", weight_decay=0.01),
    dict(cls="Adam", maximize=True),
    dict(cls="Adam", betas=(0.99, 0.999)),
    dict(cls="Adam", betas=(0.4, 0.9)),  # 1 - beta1 >= 1/2: the other lerp form, no shortcut
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("n", [5, 256, 1000, 4099])
def test_adam_with_stuck_subnormal_moments_matches_the_formula_bit_for_bit(dtype, case, n):
    case = dict(case)
    cls = getattr(ember.optim, case.pop("cls"))
    hyper = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False)
    if cls is ember.optim.AdamW:
        hyper["weight_decay"] = 0.01
    hyper.update(case)
    _check_step(dtype, cls, hyper, *_state(dtype, n, seed=n))


def _check_step(dtype, cls, hyper, p, g, m, v, vmax):
    """One step of `cls` from the given state, compared bit for bit with _formula."""
    hyper = dict(dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                      maximize=False), **hyper)
    param = ember.nn.Parameter(ember.from_numpy(p.copy()))
    opt = cls([param], **hyper)
    param.grad = ember.zeros_like(param)
    with ember.no_grad():
        opt.step()
        param.copy_(ember.from_numpy(p.copy()))
    state = opt.state[param]
    state["exp_avg"].copy_(ember.from_numpy(m.copy()))
    state["exp_avg_sq"].copy_(ember.from_numpy(v.copy()))
    if hyper["amsgrad"]:
        state["max_exp_avg_sq"].copy_(ember.from_numpy(vmax.copy()))
    param.grad = ember.from_numpy(g.copy())
    opt.step()

    with np.errstate(all="ignore"):
        want_p, want_m, want_v = _formula(
            dtype, p, g, m, v, vmax, lr=hyper["lr"], beta1=hyper["betas"][0],
            beta2=hyper["betas"][1], eps=hyper["eps"], wd=hyper["weight_decay"],
            amsgrad=hyper["amsgrad"], decoupled=cls is ember.optim.AdamW,
            maximize=hyper["maximize"])
    for name, got, want in (("param", param.detach().numpy(), want_p),
                            ("exp_avg", state["exp_avg"].numpy(), want_m),
                            ("exp_avg_sq", state["exp_avg_sq"].numpy(), want_v)):
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(got), nan, err_msg=name)
        bits = np.uint32 if dtype == np.float32 else np.uint64
        np.testing.assert_array_equal(got[~nan].view(bits), want[~nan].view(bits),
                                      err_msg=name)


def test_stuck_lanes_next_to_the_smallest_normal_parameter():
    """Large steps (lr 0.252, beta1 0.8: |lr / (1 - beta1^2)| = 0.7) on parameters a few ulps
    above the smallest normal number: the subnormal quotient m / denom rounds up to the
    smallest subnormal, and the step moves p by an ulp, so the shortcut must not be taken."""
    f32, f64 = np.float32, np.float64
    tiny32, tiny64 = np.finfo(f32).smallest_subnormal, np.finfo(f64).smallest_subnormal
    hyper = dict(lr=0.252, betas=(0.8, 0.999))
    p = np.array([0x01400001, 0x01400000, 0x00800001, 0x02000003], np.uint32).view(f32)
    _check_step(f32, ember.optim.Adam, hyper, p, np.zeros(4, f32), np.full(4, 2 * tiny32, f32),
                np.full(4, 0.0285, f32), np.zeros(4, f32))
    p = np.array([0x0028000000000001, 0x0010000000000001], np.uint64).view(f64)
    _check_step(f64, ember.optim.Adam, hyper, p, np.zeros(2), np.full(2, 2 * tiny64),
                np.full(2, 0.0245), np.zeros(2))
    # A float64 bound below the smallest normal double (lr 0.0171, v = 0, eps 2^-322).
    _check_step(f64, ember.optim.Adam, dict(lr=0.0171, eps=2.0 ** -322 * 1.0001),
                np.array([2.0 ** -700, -(2.0 ** -995)]), np.zeros(2), np.full(2, 5 * tiny64),
                np.zeros(2), np.zeros(2))


def test_infinite_parameter_with_an_infinite_step_is_left_to_the_formula():
    """inf + (-inf) is NaN in the formula; keeping p would give inf."""
    tiny = np.finfo(np.float32).smallest_subnormal
    _check_step(np.float32, ember.optim.Adam,
                dict(lr=1e38, betas=(0.8, 0.999), eps=1.4e-45),
                np.array([np.inf, -np.inf], np.float32), np.zeros(2, np.float32),
                np.array([2 * tiny, -2 * tiny], np.float32), np.zeros(2, np.float32),
                np.zeros(2, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_hyperparameters_with_parameters_near_the_smallest_normal(dtype):
    """Random beta1, lr (1e-4 .. 100), eps (0, 1e-8, tiny) and variants, with stuck moments,
    parameters spread over the binades around the smallest normal and denominators from
    1e-3 to 1e3: every lane has the formula's bits."""
    fi = np.finfo(dtype)
    tiny = fi.smallest_subnormal
    t = np.dtype(dtype).type
    rng = np.random.default_rng(0)
    for _ in range(60):
        beta1 = float(rng.choice([0.5001, 0.51, 0.6, 0.75, 0.8, 0.9, 0.95, 0.99, 0.999]))
        beta2 = float(rng.choice([0.9, 0.99, 0.999]))
        lr = float(10 ** rng.uniform(-4, 2))
        eps = float(rng.choice([0.0, 1e-8, 10 ** rng.uniform(-40, 0)]))
        n = 512
        k = max(1, int(0.5 / (1 - beta1)))
        m = (rng.integers(-k - 1, k + 2, n) * tiny).astype(dtype)
        low = rng.random() < 0.7
        e = rng.integers(fi.minexp - 3, fi.minexp + 8, n) if low else rng.integers(fi.minexp, 10, n)
        p = (rng.uniform(1, 2, n) * 2.0 ** e).astype(dtype) * rng.choice([-1, 1], n).astype(dtype)
        inv = float(t(1.0 / float(t(math.sqrt(1 - beta2 ** STEP)))))
        v = (((10 ** rng.uniform(-3, 3, n)) / inv) ** 2 / beta2).astype(dtype)
        hyper = dict(lr=lr, betas=(beta1, beta2), eps=eps)
        cls = ember.optim.Adam
        r = rng.random()
        if r < 0.2:
            hyper["amsgrad"] = True
        elif r < 0.4:
            hyper["maximize"] = True
        elif r < 0.55:
            cls = ember.optim.AdamW
            hyper["weight_decay"] = float(rng.choice([1e-2, 0.5]))
        _check_step(dtype, cls, hyper, p, np.zeros(n, dtype), m, v, v * t(1.5))


def test_stuck_moments_stay_put_over_many_steps_and_live_ones_keep_training():
    """A dead unit's moments stop at a subnormal and stay there step after step, as the plain
    formula leaves them; a unit whose gradient comes back leaves the shortcut at once."""
    tiny = np.finfo(np.float32).smallest_subnormal
    n = 2048
    p0 = np.full(n, 0.05, np.float32)
    param = ember.nn.Parameter(ember.from_numpy(p0.copy()))
    opt = ember.optim.Adam([param], lr=1e-3)
    g = np.zeros(n, np.float32)
    g[:1024] = 1e-3
    param.grad = ember.from_numpy(g)
    opt.step()
    param.grad = ember.zeros_like(param)
    for _ in range(1000):  # m: 1e-4 * 0.9^1000 is far below the smallest subnormal
        opt.step()
    m = opt.state[param]["exp_avg"].numpy().copy()
    assert np.all((m[:1024] > 0) & (m[:1024] <= 4 * tiny))  # stuck, not zero
    assert np.all(m[1024:] == 0)
    before = param.detach().numpy().copy()
    for _ in range(10):
        opt.step()
    np.testing.assert_array_equal(opt.state[param]["exp_avg"].numpy(), m)
    np.testing.assert_array_equal(param.detach().numpy(), before)
    g2 = np.zeros(n, np.float32)
    g2[:512] = 2e-3
    param.grad = ember.from_numpy(g2)
    opt.step()
    m2 = opt.state[param]["exp_avg"].numpy()
    np.testing.assert_array_equal(m2[:512], (m[:512] + np.float32(0.1) * (g2[:512] - m[:512])))
    assert np.all(m2[:512] > 1e-5)
    np.testing.assert_array_equal(m2[512:], m[512:])


def _dead_unit_model(seed):
    ember.manual_seed(seed)
    model = ember.nn.Sequential(ember.nn.Linear(40, 24), ember.nn.ReLU(), ember.nn.Linear(24, 5))
    with ember.no_grad():
        bias = model[0].bias.detach().numpy().copy()
        bias[::3] = -100.0  # units 0, 3, 6, ... never fire: zero gradient rows
        model[0].bias.copy_(ember.from_numpy(bias))
    return model


def test_traced_batch1_step_with_stuck_rows_equals_eager_and_keeps_them():
    """At batch 1 a traced step updates a weight from the outer product of its factors inside
    the Adam loop (adam_step_product), where dead rows are found from the zero factor; the
    weights and moments must equal the eager step's bit for bit."""
    tiny = np.finfo(np.float32).smallest_subnormal
    x = ember.randn(1, 40)
    y = ember.tensor([3])
    results = []
    for traced in (False, True):
        model = _dead_unit_model(0)
        opt = ember.optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = ember.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        step(x, y)  # creates the state
        rng = np.random.default_rng(1)
        for p in model.parameters():
            m = opt.state[p]["exp_avg"].numpy()
            stuck = (rng.integers(-4, 5, m.shape) * tiny).astype(np.float32)
            if p.dim() == 2 and p.shape[0] == 24:
                m[::3] = stuck[::3]  # the dead rows' moments are stuck
            else:
                m[...] = np.where(rng.random(m.shape) < 0.3, stuck, m)
        fn = ember.jit.function(step) if traced else step
        for _ in range(3):
            fn(x, y)
        results.append([(p.detach().numpy().copy(), opt.state[p]["exp_avg"].numpy().copy(),
                         opt.state[p]["exp_avg_sq"].numpy().copy())
                        for p in model.parameters()])
    for (pe, me, ve), (pt, mt, vt) in zip(*results):
        for a, b in ((pe, pt), (me, mt), (ve, vt)):
            np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    w_m = results[1][0][1]
    assert np.all(np.abs(w_m[::3]) <= 4 * tiny)  # the dead rows stayed stuck
    assert np.count_nonzero(w_m[::3]) > 0
