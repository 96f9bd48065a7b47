"""Optimizer fusion: a weight gradient `a @ b` read only by an Adam step is computed inside the
step (`adam_step_product`), in blocks of rows. The graph changes; parameters, gradients and
optimizer state stay bit-identical to the unfused graph, and match eager and PyTorch."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import _C, jit, nn


def _np(t):
    return t.detach().numpy().copy()


def _mlp(seed, dtype=ember.float32, hidden=128):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10)).to(dtype)


OPTIMIZERS = {
    "adam": lambda ps: ember.optim.Adam(ps, lr=1e-2),
    "adamw": lambda ps: ember.optim.AdamW(ps, lr=1e-2, weight_decay=0.05),
    "adam_l2": lambda ps: ember.optim.Adam(ps, lr=1e-2, weight_decay=0.01),
    "amsgrad": lambda ps: ember.optim.Adam(ps, lr=1e-2, amsgrad=True),
    "maximize": lambda ps: ember.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.99), maximize=True),
}


def _step_fn(model, opt, zero=True):
    def step(x, y):
        if zero:
            opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _traced_pair(batch, opt_name, dtype=ember.float32, zero=True, hidden=128):
    """Two identical models and optimizers, each with a traced step: one graph with optimizer
    fusion, one without (every other pass on in both)."""
    out = []
    for fuse in (True, False):
        model = _mlp(0, dtype, hidden)
        opt = OPTIMIZERS[opt_name](model.parameters())
        x = ember.randn(batch, 784).to(dtype)
        y = ember.randint(0, 10, (batch,))
        tf = jit.trace(_step_fn(model, opt, zero), (x, y), optimize=False)
        tf.run_passes(optimizer=fuse)
        out.append((model, opt, tf))
    return out


def assert_state_equal(a, b):
    """Parameters, gradients and optimizer state of two (model, opt) pairs are bit-identical."""
    (ma, oa), (mb, ob) = a, b
    for (name, pa), pb in zip(ma.named_parameters(), mb.parameters()):
        np.testing.assert_array_equal(_np(pa), _np(pb), err_msg=name)
        np.testing.assert_array_equal(_np(pa.grad), _np(pb.grad), err_msg=name + ".grad")
        np.testing.assert_array_equal(np.signbit(_np(pa.grad)), np.signbit(_np(pb.grad)))
        for key, sa in oa.state[pa].items():
            sb = ob.state[pb][key]
            np.testing.assert_array_equal(np.asarray(_np(sa)), np.asarray(_np(sb)),
                                          err_msg=f"{name} {key}")


def test_graph_before_and_after():
    (_, _, fused), (_, _, plain) = _traced_pair(16, "adam")
    assert fused.pass_stats["optimizer_products"] == 2
    assert plain.pass_stats["optimizer_products"] == 0
    ops_f, ops_p = fused.graph.ops(), plain.graph.ops()
    assert ops_f.count("adam_step_product") == 2 and ops_p.count("adam_step_product") == 0
    # The two weight-gradient products and their accumulations are gone; the biases keep one
    # adam_step node (with 2 params) and their accumulate_grad nodes.
    assert ops_p.count("matmul") - ops_f.count("matmul") == 2
    assert ops_p.count("accumulate_grad") == 4 and ops_f.count("accumulate_grad") == 2
    assert ops_f.count("adam_step") == 1
    # fc2's step runs as soon as its gradient is accumulated and nothing reads fc2.weight any
    # more: before the ReLU backward (the last fused_elementwise) that fc1's gradient needs.
    first_fused_step = ops_f.index("adam_step_product")
    last_relu_backward = len(ops_f) - 1 - ops_f[::-1].index("fused_elementwise")
    assert first_fused_step < last_relu_backward
    assert ops_f[-2:] == ["adam_step_product", "adam_step"]
    text = str(fused.graph)
    adam_line = next(line for line in text.splitlines() if " adam_step(" in line)
    assert ", 2, 2, 2, 2, 0, 2, " in adam_line
    fused.graph.lint()


@pytest.mark.parametrize("batch", [1, 5, 16, 64, 200])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_fused_equals_unfused_bitwise_over_10_steps(batch, opt_name):
    (mf, of, tf), (mp, op, tp) = _traced_pair(batch, opt_name)
    assert tf.pass_stats["optimizer_products"] == 2
    rng = np.random.default_rng(batch)
    for _ in range(10):
        x = ember.from_numpy(rng.standard_normal((batch, 784)).astype(np.float32))
        y = ember.from_numpy(rng.integers(0, 10, batch))
        lf, lp = tf(x, y), tp(x, y)
        np.testing.assert_array_equal(_np(lf), _np(lp))
    assert_state_equal((mf, of), (mp, op))


@pytest.mark.parametrize("batch", [1, 16])
def test_fused_step_matches_eager(batch):
    # ember.jit.function traces on the first call, taking that call's step as eager does.
    mf = _mlp(0)
    tf = jit.function(_step_fn(mf, OPTIMIZERS["adam"](mf.parameters())))
    me = _mlp(0)
    oe = OPTIMIZERS["adam"](me.parameters())
    eager = _step_fn(me, oe)
    rng = np.random.default_rng(7)
    for _ in range(10):
        x = ember.from_numpy(rng.standard_normal((batch, 784)).astype(np.float32))
        y = ember.from_numpy(rng.integers(0, 10, batch))
        np.testing.assert_allclose(_np(tf(x, y)), _np(eager(x, y)), rtol=1e-5, atol=1e-6)
    assert tf.traces[0].pass_stats["optimizer_products"] == 2
    for (name, pe), pf in zip(me.named_parameters(), mf.parameters()):
        np.testing.assert_allclose(_np(pf), _np(pe), rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(_np(pf.grad), _np(pe.grad), rtol=1e-4, atol=1e-7,
                                   err_msg=name)


def test_float64_takes_the_unblocked_path_with_equal_results():
    (mf, of, tf), (mp, op, tp) = _traced_pair(8, "adamw", dtype=ember.float64)
    assert tf.pass_stats["optimizer_products"] == 2
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = ember.from_numpy(rng.standard_normal((8, 784)))
        y = ember.from_numpy(rng.integers(0, 10, 8))
        tf(x, y)
        tp(x, y)
    assert_state_equal((mf, of), (mp, op))


def test_accumulating_gradients_are_not_fused():
    # Without zero_grad the step adds into existing .grad: the pattern does not apply.
    model = _mlp(0)
    opt = OPTIMIZERS["adam"](model.parameters())
    x, y = ember.randn(4, 784), ember.randint(0, 10, (4,))
    F.cross_entropy(model(x), y).backward()  # .grad exists when traced
    tf = jit.trace(_step_fn(model, opt, zero=False), (x, y))
    assert tf.pass_stats["optimizer_products"] == 0
    assert "adam_step_product" not in tf.graph.ops()


def test_sgd_is_left_alone():
    model = _mlp(0)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    tf = jit.trace(_step_fn(model, opt), (ember.randn(4, 784), ember.randint(0, 10, (4,))))
    assert tf.pass_stats["optimizer_products"] == 0


def test_fused_step_matches_torch():
    torch = pytest.importorskip("torch")
    batch = 16
    mf = _mlp(0)
    tf = jit.function(_step_fn(mf, OPTIMIZERS["adamw"](mf.parameters())))
    tm = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    fresh = _mlp(0)
    with torch.no_grad():
        for pt, pe in zip(tm.parameters(), fresh.parameters()):
            pt.copy_(torch.from_numpy(_np(pe)))
    topt = torch.optim.AdamW(tm.parameters(), lr=1e-2, weight_decay=0.05)
    rng = np.random.default_rng(11)
    for _ in range(10):
        xn = rng.standard_normal((batch, 784)).astype(np.float32)
        yn = rng.integers(0, 10, batch)
        tf(ember.from_numpy(xn), ember.from_numpy(yn))
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tm(torch.from_numpy(xn)), torch.from_numpy(yn)).backward()
        topt.step()
    assert "adam_step_product" in tf.traces[0].graph.ops()
    for pe, pt in zip(mf.parameters(), tm.parameters()):
        # float32 rounding of gradients near zero moves a few Adam updates (m / sqrt(v) is
        # sensitive there) by up to ~lr / 100; nearly all weights agree to rounding.
        diff = np.abs(_np(pe) - pt.detach().numpy())
        assert diff.max() < 1e-4, diff.max()
        assert np.median(diff) < 1e-7


# ---- the op itself, for layouts and cases the traced MLP does not produce -------------------


def _direct(p0, a, b, amsgrad=False, wd=0.0, decoupled=False, maximize=False, steps=3):
    """(param, state) after `steps` fused steps and after `steps` plain ones (grad = a @ b, then
    the group step), from the same start."""
    results = []
    for fused in (True, False):
        p = ember.from_numpy(p0.copy())
        m, v = ember.zeros_like(p), ember.zeros_like(p)
        vmax = ember.zeros_like(p) if amsgrad else None
        step = ember.zeros(())
        for _ in range(steps):
            if fused:
                _C._adam_step_product(p, a, b, m, v, vmax, step, 0.01, 0.9, 0.999, 1e-8, wd,
                                      amsgrad, decoupled, maximize)
            else:
                g = a @ b
                _C._adam_step([p], [g], [m], [v], [vmax] if amsgrad else [], [step], 0.01, 0.9,
                              0.999, 1e-8, wd, amsgrad, decoupled, maximize)
                p.grad = g
        results.append([_np(p), _np(p.grad), _np(m), _np(v), float(step)]
                       + ([_np(vmax)] if amsgrad else []))
    return results


def assert_direct_equal(results):
    """The fused and plain results of `_direct` are bit-identical."""
    fused, plain = results
    for x, y in zip(fused, plain):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        np.testing.assert_array_equal(np.signbit(x), np.signbit(y))  # zeros keep their sign


@pytest.mark.parametrize("layout", ["aT", "a", "bT", "both_T", "k1", "k1_bT", "k1_a"])
@pytest.mark.parametrize("shape", [(128, 784, 16), (37, 50, 3), (200, 9, 64), (5, 1000, 2)])
def test_op_layouts_match_plain_step(layout, shape):
    m, n, k = shape
    if layout.startswith("k1"):
        k = 1
    rng = np.random.default_rng(m * n + k)
    an = rng.standard_normal((m, k)).astype(np.float32)
    bn = rng.standard_normal((k, n)).astype(np.float32)
    a_t = layout in ("aT", "both_T", "k1", "k1_bT")
    b_t = layout in ("bT", "both_T", "k1_bT")
    a = ember.from_numpy(an.T.copy()).mT if a_t else ember.from_numpy(an)
    b = ember.from_numpy(bn.T.copy()).mT if b_t else ember.from_numpy(bn)
    p0 = rng.standard_normal((m, n)).astype(np.float32)
    results = _direct(p0, a, b)
    assert_direct_equal(results)
    np.testing.assert_allclose(results[0][1], an.astype(np.float64) @ bn, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", [(129, 600, 1), (300, 257, 4), (65, 1024, 8), (4, 20000, 2),
                                   (8, 20000, 2), (1, 80000, 1), (3, 70000, 1)])
def test_op_blocks_over_threads_match_plain_step(threads, shape):
    # Large enough for the pool: with two threads the blocks are claimed from both ends
    # (parallel_blocks_affine); every block must be updated exactly once, whatever the count.
    m, n, k = shape
    rng = np.random.default_rng(m + n + k)
    a = ember.from_numpy(rng.standard_normal((m, k)).astype(np.float32))
    b = ember.from_numpy(rng.standard_normal((k, n)).astype(np.float32))
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(threads)
        assert_direct_equal(_direct(rng.standard_normal((m, n)).astype(np.float32), a, b))
    finally:
        ember.set_num_threads(before)


@pytest.mark.parametrize("opts", [{"amsgrad": True}, {"wd": 0.1}, {"wd": 0.1, "decoupled": True},
                                  {"maximize": True}])
def test_op_options_match_plain_step(opts):
    rng = np.random.default_rng(5)
    a = ember.from_numpy(rng.standard_normal((64, 8)).astype(np.float32))
    b = ember.from_numpy(rng.standard_normal((8, 300)).astype(np.float32))
    assert_direct_equal(_direct(rng.standard_normal((64, 300)).astype(np.float32), a, b, **opts))


def test_op_with_factor_sharing_memory_with_the_param():
    # The product reads the parameter itself: the op computes the whole product first.
    rng = np.random.default_rng(2)
    p = ember.from_numpy(rng.standard_normal((32, 32)).astype(np.float32))
    a = ember.from_numpy(rng.standard_normal((32, 32)).astype(np.float32))
    p_ref = p.clone()
    m, v, s = ember.zeros_like(p), ember.zeros_like(p), ember.zeros(())
    g_ref = a @ p_ref
    _C._adam_step_product(p, a, p, m, v, None, s, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    m2, v2, s2 = ember.zeros_like(p), ember.zeros_like(p), ember.zeros(())
    _C._adam_step([p_ref], [g_ref], [m2], [v2], [], [s2], 0.01, 0.9, 0.999, 1e-8, 0.0, False,
                  False, False)
    np.testing.assert_array_equal(_np(p), _np(p_ref))
    np.testing.assert_array_equal(_np(p.grad), _np(g_ref))


def test_op_outer_product_zeros_match_plain_step():
    # k == 1 with zero rows times negative values: -0 products come out as gemm gives them.
    a = ember.from_numpy(np.array([[0.0], [1.0], [-0.0]] * 10, np.float32))
    b = ember.from_numpy(np.linspace(-1, 1, 40).astype(np.float32)[None, :])
    assert_direct_equal(_direct(np.zeros((30, 40), np.float32), a, b))


def test_op_with_factor_over_the_params_numpy_buffer():
    # Two tensors made from one numpy array share memory but not a storage object: the op must
    # still see that the factor overlaps the parameter.
    rng = np.random.default_rng(0)
    arr = rng.standard_normal((512, 64)).astype(np.float32)
    results = []
    for fused in (True, False):
        buf = arr.copy()
        p = ember.from_numpy(buf)
        b = ember.from_numpy(buf[:8])
        a = ember.from_numpy(np.ones((512, 8), np.float32))
        m, v, s = ember.zeros_like(p), ember.zeros_like(p), ember.zeros(())
        if fused:
            _C._adam_step_product(p, a, b, m, v, None, s, 0.01, 0.9, 0.999, 1e-8, 0.0, False,
                                  False, False)
        else:
            g = a @ b
            _C._adam_step([p], [g], [m], [v], [], [s], 0.01, 0.9, 0.999, 1e-8, 0.0, False, False,
                          False)
            p.grad = g
        results.append([_np(p), _np(p.grad)])
    assert_direct_equal(results)


def _param_product_graphs():
    """Traced steps where both factors of each weight gradient are the other parameter."""
    out = []
    for fuse in (True, False):
        ember.manual_seed(0)
        A, B = nn.Parameter(ember.randn(6, 4)), nn.Parameter(ember.randn(4, 5))
        opt = ember.optim.Adam([A, B], lr=0.1)

        def step(x, A=A, B=B, opt=opt):
            opt.zero_grad()
            loss = ((x @ (A @ B)) ** 2).sum()
            loss.backward()
            opt.step()
            return loss

        tf = jit.trace(step, (ember.randn(3, 6),), optimize=False)
        tf.run_passes(optimizer=fuse)
        out.append((A, B, tf))
    return out


def test_factors_that_are_updated_parameters_are_not_fused():
    (af, bf, tf), (ap, bp, tp) = _param_product_graphs()
    assert tf.pass_stats["optimizer_products"] == 0
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = ember.from_numpy(rng.standard_normal((3, 6)).astype(np.float32))
        np.testing.assert_array_equal(_np(tf(x)), _np(tp(x)))
    np.testing.assert_array_equal(_np(af), _np(ap))
    np.testing.assert_array_equal(_np(bf), _np(bp))


def test_factor_written_in_place_after_backward_is_not_fused():
    results = []
    for fuse in (True, False):
        ember.manual_seed(0)
        W = nn.Parameter(ember.randn(5, 6))
        opt = ember.optim.Adam([W], lr=0.1)

        def step(x, W=W, opt=opt):
            opt.zero_grad()
            h = x * 1.0
            loss = (h @ W.mT).sum()
            loss.backward()
            h.mul_(0.0)  # writes a factor of W's gradient after backward computed it
            r = W.sum()
            opt.step()
            return loss, r

        tf = jit.trace(step, (ember.randn(3, 6),), optimize=False)
        tf.run_passes(optimizer=fuse)
        assert tf.pass_stats["optimizer_products"] == 0
        tf(ember.ones(3, 6))
        results.append((_np(W), _np(W.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], np.full((5, 6), 3.0, np.float32))


def test_op_non_contiguous_param_and_nonfinite_values():
    rng = np.random.default_rng(4)
    base = ember.from_numpy(rng.standard_normal((40, 60)).astype(np.float32))
    p = base.mT  # (60, 40), not contiguous
    an = rng.standard_normal((60, 4)).astype(np.float32)
    an[3, 1] = np.inf
    an[7, 0] = np.nan
    a = ember.from_numpy(an)
    b = ember.from_numpy(rng.standard_normal((4, 40)).astype(np.float32))
    p_ref = ember.from_numpy(_np(p))
    m, v, s = ember.zeros(60, 40), ember.zeros(60, 40), ember.zeros(())
    m2, v2, s2 = ember.zeros(60, 40), ember.zeros(60, 40), ember.zeros(())
    _C._adam_step_product(p, a, b, m, v, None, s, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    g = a @ b
    _C._adam_step([p_ref], [g], [m2], [v2], [], [s2], 0.01, 0.9, 0.999, 1e-8, 0.0, False, False,
                  False)
    np.testing.assert_array_equal(_np(p), _np(p_ref))
    np.testing.assert_array_equal(_np(base), _np(p_ref).T)
    assert np.isnan(_np(p)[7]).all() and np.isnan(_np(p)[3]).any()


@pytest.mark.parametrize("case, match", [
    ("shape", (r"Adam.step: the gradient \(\(4, 3\) @ \(3, 5\)\) does not match params\[0\] of "
               r"shape \(4, 6\)")),
    ("inner", r"Adam.step: gradient factors of shapes \(4, 3\) and \(2, 6\) cannot be multiplied"),
    ("dim", r"Adam.step: the gradient's factors must be 2-D tensors, got \(4,\)"),
    ("dtype", r"Adam.step: the gradient has dtype float64 but params\[0\] has dtype float32"),
    ("vmax", r"Adam.step: amsgrad is False but a max_exp_avg_sq was given"),
])
def test_op_errors_name_the_shapes(case, match):
    p = ember.zeros(4, 6)
    a = {"dim": ember.zeros(4),
         "dtype": ember.zeros(4, 3, dtype=ember.float64)}.get(case, ember.zeros(4, 3))
    b = {"shape": ember.zeros(3, 5), "inner": ember.zeros(2, 6),
         "dtype": ember.zeros(3, 6, dtype=ember.float64)}.get(case, ember.zeros(3, 6))
    before = _np(p)
    with pytest.raises((ValueError, TypeError), match=match):
        vmax = ember.zeros(4, 6) if case == "vmax" else None
        _C._adam_step_product(p, a, b, ember.zeros(4, 6), ember.zeros(4, 6), vmax, ember.zeros(()),
                              0.01, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    np.testing.assert_array_equal(_np(p), before)
    assert p.grad is None


def test_saved_fused_graph_loads_and_runs(tmp_path):
    # The loaded graph holds its own copies of the weights and optimizer state; from the same
    # starting point it trains like the unfused graph.
    (_, _, tf), (_, _, tp) = _traced_pair(4, "adam")
    path = tmp_path / "step.ember"
    jit.save(tf, path)
    loaded = jit.load(path)
    assert loaded.graph.ops().count("adam_step_product") == 2
    rng = np.random.default_rng(9)
    for _ in range(3):
        x = ember.from_numpy(rng.standard_normal((4, 784)).astype(np.float32))
        y = ember.from_numpy(rng.integers(0, 10, 4))
        np.testing.assert_array_equal(_np(loaded(x, y)), _np(tp(x, y)))
