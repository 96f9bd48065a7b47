"""ember.optim.LBFGS against torch.optim.LBFGS: trajectories, state and errors."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import optim
from ember.optim import lbfgs as lbfgs_module

# Rosenbrock amplifies rounding differences step by step (float64 runs agree to ~1e-12 after
# eight steps), so float64 keeps rtol 1e-7; float32 runs drift by a few 1e-4 over many steps and
# are compared over the first steps only.
TOLS = {
    np.float64: {"rtol": 1e-7, "atol": 1e-10},
    np.float32: {"rtol": 1e-4, "atol": 1e-5},
}


# ---- problems, written once for both frameworks -------------------------------------------


def rosenbrock(x):
    """Rosenbrock's function of a 1-D tensor (torch or ember): minimum 0 at all ones."""
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def logistic_data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4)).astype(dtype)
    w_true = np.array([[1.5], [-2.0], [0.5], [1.0]], dtype=dtype)
    y = (X @ w_true + 0.3 * rng.standard_normal((32, 1)) > 0).astype(dtype)
    return {
        "X": X,
        "y": y,
        "W": (0.1 * rng.standard_normal((4, 1))).astype(dtype),
        "b": np.zeros(1, dtype=dtype),
    }


def ember_logistic_loss(params, data):
    W, b = params
    logits = ember.matmul(ember.tensor(data["X"]), W) + b
    bce = ember.nn.functional.binary_cross_entropy_with_logits(logits, ember.tensor(data["y"]))
    return bce + 0.01 * (W * W).sum()


def torch_logistic_loss(params, data):
    W, b = params
    logits = torch.tensor(data["X"]) @ W + b
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(data["y"]))
    return bce + 0.01 * (W * W).sum()


def ember_least_squares(params, data):
    W, b = params
    r = ember.matmul(ember.tensor(data["X"]), W) + b - ember.tensor(data["y"])
    return (r * r).mean()


def torch_least_squares(params, data):
    W, b = params
    r = torch.tensor(data["X"]) @ W + b - torch.tensor(data["y"])
    return (r * r).mean()


def make_closure(opt, loss_fn):
    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    return closure


def run_pair(arrays, ember_loss, torch_loss, steps, **kw):
    """Runs both optimizers from the same start; returns per-step losses and weights."""
    pe = [ember.tensor(a, requires_grad=True) for a in arrays]
    pt = [torch.tensor(a, requires_grad=True) for a in arrays]
    oe = optim.LBFGS(pe, **kw)
    ot = torch.optim.LBFGS(pt, **kw)
    ce = make_closure(oe, lambda: ember_loss(pe))
    ct = make_closure(ot, lambda: torch_loss(pt))
    history = []
    for _ in range(steps):
        le = oe.step(ce)
        lt = ot.step(ct)
        history.append(
            (
                float(le.item()),
                float(lt.item()),
                [p.detach().numpy().copy() for p in pe],
                [p.detach().numpy().copy() for p in pt],
            )
        )
    return history, (oe, pe), (ot, pt)


def assert_same_trajectory(history, tol):
    for step, (le, lt, we, wt) in enumerate(history):
        np.testing.assert_allclose(le, lt, **tol, err_msg=f"loss at step {step}")
        for i, (a, b) in enumerate(zip(we, wt)):
            np.testing.assert_allclose(a, b, **tol, err_msg=f"params[{i}] after step {step}")


def to_numpy(value):
    """State values of either framework as numpy arrays / plain Python values."""
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return np.asarray(value.detach().numpy(), dtype=np.float64)
    if isinstance(value, list):
        return [to_numpy(v) for v in value]
    return value


def assert_same_state(ember_state, torch_state, tol):
    assert set(ember_state) == set(torch_state)
    for key in torch_state:
        e, t = to_numpy(ember_state[key]), to_numpy(torch_state[key])
        if isinstance(t, list):
            assert isinstance(e, list) and len(e) == len(t), key
            for a, b in zip(e, t):
                if b is None:
                    assert a is None, key
                else:
                    np.testing.assert_allclose(a, b, **tol, err_msg=key)
        elif (
            isinstance(t, (int, float))
            and not isinstance(t, bool)
            and key in ("n_iter", "func_evals")
        ):
            assert e == t, key
        else:
            np.testing.assert_allclose(
                np.asarray(e, np.float64), np.asarray(t, np.float64), **tol, err_msg=key
            )


def torch_state_to_ember(value):
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: torch_state_to_ember(v) for k, v in value.items()}
    if isinstance(value, list):
        return [torch_state_to_ember(v) for v in value]
    return value


# ---- trajectories ---------------------------------------------------------------------------


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_rosenbrock_matches_torch_float64(line_search_fn):
    x0 = np.array([-1.2, 1.0, -0.5, 0.8], dtype=np.float64)
    kw = {"max_iter": 4, "history_size": 5, "line_search_fn": line_search_fn}
    if line_search_fn is None:
        kw["lr"] = 0.2
    history, (oe, pe), (ot, pt) = run_pair(
        [x0], lambda p: rosenbrock(p[0]), lambda p: rosenbrock(p[0]), steps=8, **kw
    )
    assert_same_trajectory(history, TOLS[np.float64])
    # The run really optimizes (and the history filled past history_size pairs).
    assert history[-1][0] < 0.5 * history[0][0]
    assert len(oe.state[pe[0]]["old_dirs"]) == 5
    assert oe.state[pe[0]]["func_evals"] == ot.state[pt[0]]["func_evals"]
    assert oe.state[pe[0]]["n_iter"] == ot.state[pt[0]]["n_iter"]


def test_lbfgs_strong_wolfe_rosenbrock_converges_like_torch():
    x0 = np.array([-1.2, 1.0], dtype=np.float64)
    history, (oe, pe), (ot, pt) = run_pair(
        [x0],
        lambda p: rosenbrock(p[0]),
        lambda p: rosenbrock(p[0]),
        steps=3,
        line_search_fn="strong_wolfe",
        max_iter=30,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
    )
    assert_same_trajectory(history, {"rtol": 1e-6, "atol": 1e-9})
    np.testing.assert_allclose(pe[0].detach().numpy(), [1.0, 1.0], atol=1e-6)
    assert oe.state[pe[0]]["func_evals"] == ot.state[pt[0]]["func_evals"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_rosenbrock_matches_torch_float32(line_search_fn):
    x0 = np.array([-1.2, 1.0], dtype=np.float32)
    kw = {"max_iter": 4, "max_eval": 20, "line_search_fn": line_search_fn}
    if line_search_fn is None:
        kw["lr"] = 0.5
    history, (oe, pe), _ = run_pair(
        [x0], lambda p: rosenbrock(p[0]), lambda p: rosenbrock(p[0]), steps=3, **kw
    )
    assert_same_trajectory(history, TOLS[np.float32])
    assert pe[0].dtype == ember.float32
    assert oe.state[pe[0]]["d"].dtype == ember.float32


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_logistic_regression_matches_torch(line_search_fn):
    data = logistic_data(np.float64)
    history, (oe, pe), (ot, pt) = run_pair(
        [data["W"], data["b"]],
        lambda p: ember_logistic_loss(p, data),
        lambda p: torch_logistic_loss(p, data),
        steps=4,
        max_iter=5,
        history_size=3,
        line_search_fn=line_search_fn,
    )
    assert_same_trajectory(history, TOLS[np.float64])
    assert history[-1][0] < history[0][0]
    tol = {"rtol": 1e-6, "atol": 1e-10}
    assert_same_state(oe.state[pe[0]], ot.state[pt[0]], tol)
    assert oe.state[pe[0]]["d"].shape == (5,)  # 4 weights + 1 bias in one flat vector


def test_lbfgs_least_squares_reaches_the_solution_like_torch():
    data = logistic_data(np.float64, seed=3)
    history, (_, pe), _ = run_pair(
        [data["W"], data["b"]],
        lambda p: ember_least_squares(p, data),
        lambda p: torch_least_squares(p, data),
        steps=2,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
    )
    assert_same_trajectory(history, TOLS[np.float64])
    A = np.hstack([data["X"], np.ones((32, 1))])
    solution, *_ = np.linalg.lstsq(A, data["y"], rcond=None)
    got = np.concatenate([pe[0].detach().numpy().ravel(), pe[1].detach().numpy()])
    np.testing.assert_allclose(got, solution.ravel(), atol=1e-8)


def test_lbfgs_state_matches_torch_after_steps():
    x0 = np.array([-1.2, 1.0, 0.3], dtype=np.float64)
    _, (oe, pe), (ot, pt) = run_pair(
        [x0],
        lambda p: rosenbrock(p[0]),
        lambda p: rosenbrock(p[0]),
        steps=3,
        max_iter=3,
        history_size=4,
        line_search_fn="strong_wolfe",
    )
    es, ts = oe.state[pe[0]], ot.state[pt[0]]
    assert (
        sorted(es)
        == sorted(ts)
        == sorted(
            [
                "func_evals",
                "n_iter",
                "d",
                "t",
                "old_dirs",
                "old_stps",
                "ro",
                "H_diag",
                "prev_flat_grad",
                "prev_loss",
                "al",
            ]
        )
    )
    assert_same_state(es, ts, {"rtol": 1e-7, "atol": 1e-10})
    assert len(es["al"]) == 4
    assert isinstance(es["prev_loss"], float)


def test_lbfgs_param_without_grad_counts_as_zero_gradient():
    data = logistic_data(np.float64)
    unused = np.array([3.0, -1.0])
    history, (oe, pe), _ = run_pair(
        [data["W"], data["b"], unused],
        lambda p: ember_logistic_loss(p[:2], data),
        lambda p: torch_logistic_loss(p[:2], data),
        steps=2,
        max_iter=4,
    )
    assert_same_trajectory(history, TOLS[np.float64])
    np.testing.assert_array_equal(pe[2].detach().numpy(), unused)
    assert oe.state[pe[0]]["d"].shape == (7,)


def test_lbfgs_returns_first_loss_and_stops_at_optimum():
    w = ember.tensor([1.0, 1.0], dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(w)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 0.0
    assert len(calls) == 1  # gradient already below tolerance_grad: no iteration
    assert opt.state[w]["func_evals"] == 1 and opt.state[w]["n_iter"] == 0


# ---- state_dict --------------------------------------------------------------------------


def test_lbfgs_state_dict_round_trip_continues_identically():
    data = logistic_data(np.float64, seed=1)
    arrays = [data["W"], data["b"]]
    kw = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}

    pa = [ember.tensor(a, requires_grad=True) for a in arrays]
    oa = optim.LBFGS(pa, **kw)
    ca = make_closure(oa, lambda: ember_logistic_loss(pa, data))
    for _ in range(2):
        oa.step(ca)
    saved = oa.state_dict()

    pb = [p.detach().clone().requires_grad_(True) for p in pa]
    ob = optim.LBFGS(pb, **kw)
    ob.load_state_dict(saved)
    sb = ob.state[pb[0]]
    assert sb["old_dirs"][0] is not saved["state"][0]["old_dirs"][0]  # copied, not shared
    assert_same_state(sb, oa.state[pa[0]], {"rtol": 0, "atol": 0})
    cb = make_closure(ob, lambda: ember_logistic_loss(pb, data))
    for _ in range(2):
        la, lb = oa.step(ca).item(), ob.step(cb).item()
        assert la == lb
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert ob.state[pb[0]]["func_evals"] == oa.state[pa[0]]["func_evals"]


def test_lbfgs_loads_torch_state_and_continues_like_torch():
    x0 = np.array([-1.2, 1.0, 0.3], dtype=np.float64)
    kw = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}
    pt = [torch.tensor(x0, requires_grad=True)]
    ot = torch.optim.LBFGS(pt, **kw)
    ct = make_closure(ot, lambda: rosenbrock(pt[0]))
    for _ in range(2):
        ot.step(ct)
    saved = torch_state_to_ember(ot.state_dict())

    pe = [ember.tensor(pt[0].detach().numpy().copy(), requires_grad=True)]
    oe = optim.LBFGS(pe, **kw)
    oe.load_state_dict(saved)
    ce = make_closure(oe, lambda: rosenbrock(pe[0]))
    for _ in range(2):
        np.testing.assert_allclose(oe.step(ce).item(), ot.step(ct).item(), rtol=1e-9)
    np.testing.assert_allclose(pe[0].detach().numpy(), pt[0].detach().numpy(), rtol=1e-8)
    assert_same_state(oe.state[pe[0]], ot.state[pt[0]], {"rtol": 1e-7, "atol": 1e-10})


def test_lbfgs_state_dict_param_groups_match_torch():
    pe = [ember.zeros(2, requires_grad=True)]
    pt = [torch.zeros(2, requires_grad=True)]
    ge = optim.LBFGS(pe, lr=0.5, max_iter=7).state_dict()["param_groups"][0]
    gt = torch.optim.LBFGS(pt, lr=0.5, max_iter=7).state_dict()["param_groups"][0]
    assert ge == gt
    assert ge["max_eval"] == 8


# ---- errors -------------------------------------------------------------------------------


def test_lbfgs_two_param_groups_raise():
    a, b = ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1


def test_lbfgs_step_without_closure_raises():
    w = ember.zeros(2, requires_grad=True)
    opt = optim.LBFGS([w])
    with pytest.raises(TypeError, match=r"LBFGS.step: closure is required.*got NoneType"):
        opt.step()
    with pytest.raises(TypeError, match=r"LBFGS.step: closure is required.*got int"):
        opt.step(3)
    assert len(opt.state) == 0


def test_lbfgs_closure_returning_bad_loss_raises():
    w = ember.zeros(2, requires_grad=True)
    opt = optim.LBFGS([w])
    with pytest.raises(TypeError, match=r"LBFGS.step: the closure must return the loss.*NoneType"):
        opt.step(lambda: None)
    with pytest.raises(TypeError, match=r"closure must return the loss.*shape \(2,\)"):
        opt.step(lambda: w * 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, r"Invalid learning rate: -1.0"),
        ({"max_iter": 0}, r"LBFGS: max_iter must be an int >= 1, got 0"),
        ({"max_iter": 2.5}, r"LBFGS: max_iter must be an int >= 1, got 2.5"),
        ({"max_eval": 0}, r"LBFGS: max_eval must be an int >= 1, got 0"),
        ({"history_size": 0}, r"LBFGS: history_size must be an int >= 1, got 0"),
        ({"tolerance_grad": -1e-3}, r"LBFGS: tolerance_grad must be >= 0, got -0.001"),
        ({"tolerance_change": -1.0}, r"LBFGS: tolerance_change must be >= 0, got -1.0"),
        (
            {"line_search_fn": "armijo"},
            r"LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'",
        ),
    ],
)
def test_lbfgs_bad_hyperparameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.LBFGS([ember.zeros(1, requires_grad=True)], **kwargs)


def test_lbfgs_tensor_lr_matches_torch():
    x0 = np.array([-1.2, 1.0], dtype=np.float64)
    pe = [ember.tensor(x0, requires_grad=True)]
    pt = [torch.tensor(x0, requires_grad=True)]
    oe = optim.LBFGS(pe, lr=ember.tensor(0.3, dtype=ember.float64), max_iter=3)
    ot = torch.optim.LBFGS(pt, lr=torch.tensor(0.3, dtype=torch.float64), max_iter=3)
    ce = make_closure(oe, lambda: rosenbrock(pe[0]))
    ct = make_closure(ot, lambda: rosenbrock(pt[0]))
    for _ in range(3):
        np.testing.assert_allclose(oe.step(ce).item(), ot.step(ct).item(), **TOLS[np.float64])
    np.testing.assert_allclose(pe[0].detach().numpy(), pt[0].detach().numpy(), **TOLS[np.float64])
    with pytest.raises(ValueError, match=r"LBFGS: Tensor lr must be 1-element, got shape \(2,\)"):
        optim.LBFGS([ember.zeros(1, requires_grad=True)], lr=ember.tensor([0.1, 0.2]))


def test_lbfgs_step_inside_jit_trace_raises():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.LBFGS([w])

    def train(x):
        return opt.step(make_closure(opt, lambda: ((w - x) ** 2).sum()))

    with pytest.raises(RuntimeError, match=r"LBFGS.step cannot be traced by ember.jit"):
        ember.jit.trace(train, (ember.zeros(2),))
    assert w.tolist() == [1.0, 2.0]


# ---- the strong Wolfe line search on its own -------------------------------------------------


def line_objective(kind, x):
    """Value and gradient (numpy) of small test functions with several local minima."""
    if kind == "rosenbrock":
        f = ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()
        g = np.zeros_like(x)
        g[:-1] += -2 * (1 - x[:-1]) - 400 * x[:-1] * (x[1:] - x[:-1] ** 2)
        g[1:] += 200 * (x[1:] - x[:-1] ** 2)
        return float(f), g
    if kind == "wavy":
        return float((x * x).sum() + 3 * np.cos(2 * x).sum()), 2 * x - 6 * np.sin(2 * x)
    return (
        float((x * x).sum() + 2 * np.sin(8 * x).sum() + 0.01 * (x**6).sum()),
        2 * x + 16 * np.cos(8 * x) + 0.06 * x**5,
    )


def line_search_cases(n, seed=0):
    """Random (function, start, descent direction, first step, max_ls, tolerance_change)."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        kind = ("rosenbrock", "wavy", "sharp")[i % 3]
        x0 = rng.standard_normal(3) * 1.5
        _, g = line_objective(kind, x0)
        d0 = -g + 0.5 * rng.standard_normal(3) * np.abs(g).mean()
        if d0 @ g >= 0:
            d0 = -g
        t0 = float(10 ** rng.uniform(-4, 2))
        cases.append((kind, x0, d0, t0, int(rng.integers(1, 26)), float(10 ** rng.uniform(-9, 1))))
    return cases


def run_line_search(search, mod, case):
    """Runs ``search`` (ember's or torch's _strong_wolfe) on tensors of module ``mod``, the
    objective evaluated in numpy so both frameworks see the same numbers."""
    kind, x0, d0, t0, max_ls, tc = case
    x = mod.tensor(x0, dtype=mod.float64)
    d = mod.tensor(d0, dtype=mod.float64)
    f, g = line_objective(kind, x0)
    g = mod.tensor(g, dtype=mod.float64)
    gtd = g.dot(d)

    def objective(step):
        fx, gx = line_objective(kind, (x + step * d).numpy())
        return fx, mod.tensor(gx, dtype=mod.float64)

    if search is lbfgs_module._strong_wolfe:
        out = search(objective, d, t0, f, g, gtd, max_ls=max_ls, tolerance_change=tc)
    else:
        out = search(
            lambda _x, step, _d: objective(step),
            x,
            t0,
            d,
            f,
            g,
            gtd,
            max_ls=max_ls,
            tolerance_change=tc,
        )
    return float(out[0]), out[1].numpy(), float(out[2]), out[3]


def test_strong_wolfe_is_bit_identical_to_torch_on_torch_tensors():
    torch_search = pytest.importorskip("torch.optim.lbfgs")._strong_wolfe
    for case in line_search_cases(400):
        f_e, g_e, t_e, n_e = run_line_search(lbfgs_module._strong_wolfe, torch, case)
        f_t, g_t, t_t, n_t = run_line_search(torch_search, torch, case)
        assert (f_e, t_e, n_e) == (f_t, t_t, n_t), case
        np.testing.assert_array_equal(g_e, g_t)


def test_strong_wolfe_on_ember_tensors_matches_torch():
    torch_search = pytest.importorskip("torch.optim.lbfgs")._strong_wolfe
    # Cases that bracket by slope sign, zoom, and move trials away from the bracket's ends.
    for case in line_search_cases(200, seed=1):
        f_e, g_e, t_e, n_e = run_line_search(lbfgs_module._strong_wolfe, ember, case)
        f_t, g_t, t_t, n_t = run_line_search(torch_search, torch, case)
        assert n_e == n_t, case
        np.testing.assert_allclose([f_e, t_e], [f_t, t_t], rtol=1e-9, err_msg=str(case))
        np.testing.assert_allclose(g_e, g_t, rtol=1e-8, atol=1e-10)


def test_strong_wolfe_result_satisfies_the_wolfe_conditions():
    def objective(step):
        x = x0 + step * d
        return float(x.dot(x).item()), 2 * x

    x0 = ember.tensor([3.0, -4.0], dtype=ember.float64)
    d = ember.tensor([-1.0, 1.0], dtype=ember.float64)
    f0, g0 = objective(0.0)
    gtd = g0.dot(d)
    f, g, t, evals = lbfgs_module._strong_wolfe(objective, d, 20.0, f0, g0, gtd)
    assert f <= f0 + 1e-4 * float(t) * float(gtd)
    assert abs(float(g.dot(d))) <= 0.9 * abs(float(gtd))
    assert 1 < evals <= 26
    assert float(t) == pytest.approx(3.5)  # the exact minimizer of this quadratic


def test_lbfgs_cubic_minimizer_is_exact_for_a_cubic():
    # f(x) = (x - 1)**3 - 3 (x - 1) has its local minimum at x = 2.
    def f(x):
        return (x - 1) ** 3 - 3 * (x - 1)

    def g(x):
        return 3 * (x - 1) ** 2 - 3

    got = lbfgs_module._cubic_minimizer(1.5, f(1.5), g(1.5), 3.0, f(3.0), g(3.0))
    assert got == pytest.approx(2.0, rel=1e-12)
    # No real minimizer: the middle of the bounds.
    assert lbfgs_module._cubic_minimizer(0.0, 0.0, 3.0, 1.0, 2.0, 3.0, bounds=(0.0, 4.0)) == 2.0


def test_lbfgs_docstring_example_runs():
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(lbfgs_module, globs={"ember": ember})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0
