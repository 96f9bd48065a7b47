"""Elementwise fusion: chains of elementwise ops become one fused_elementwise node with the same
results (bit for bit: the fused kernel uses the same scalar formulas), gradients included."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn


def _np(t):
    return t.detach().numpy().copy()


def _fused_only(fn, example):
    tf = jit.trace(fn, example, optimize=False)
    tf.run_passes(memory=False)
    return tf


def _same(got, want):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(_np(a), _np(b))


def test_chain_becomes_one_node_with_identical_values():
    def f(x, y):
        return ember.relu(x * y + 1.0).sigmoid() * 2.0 - x

    x, y = ember.randn(64, 32), ember.randn(64, 32)
    raw = jit.trace(f, (x, y), optimize=False)
    tf = _fused_only(f, (x, y))
    assert raw.graph.ops() == ["mul", "add", "relu", "sigmoid", "mul", "sub"]
    assert tf.graph.ops() == ["fused_elementwise"]
    assert tf.pass_stats["fused_groups"] == 1 and tf.pass_stats["fused_nodes"] == 6
    text = str(tf.graph)
    assert "Relu(" in text and "Sigmoid(" in text and '"f32;in=2;' in text
    for _ in range(3):
        a, b = ember.randn(64, 32), ember.randn(64, 32)
        _same(tf(a, b), f(a, b))
        _same(jit.trace(f, (x, y))(a, b), f(a, b))


def test_float64_unary_zoo_matches_torch():
    torch = pytest.importorskip("torch")

    def f(x):
        a = F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x) + F.leaky_relu(x, 0.2)
        b = ember.clamp(x, -0.5, 0.7) + ember.tanh(x).abs() + ember.exp(-x * x) + ember.sin(x)
        c = ember.log1p(x.abs()) + ember.sqrt(x * x + 1.0) + ember.cos(x) * ember.sign(x)
        return a * b - c / 3.0 + ember.erf(x) + ember.maximum(x, c) - ember.minimum(a, 0.1)

    x = ember.randn(17, 9, dtype=ember.float64)
    tf = _fused_only(f, x)
    assert tf.graph.ops() == ["fused_elementwise"]
    _same(tf(x), f(x))
    t = torch.tensor(_np(x))
    tF = torch.nn.functional
    a = tF.gelu(t) + tF.gelu(t, approximate="tanh") + tF.silu(t) + tF.leaky_relu(t, 0.2)
    b = torch.clamp(t, -0.5, 0.7) + torch.tanh(t).abs() + torch.exp(-t * t) + torch.sin(t)
    c = torch.log1p(t.abs()) + torch.sqrt(t * t + 1.0) + torch.cos(t) * torch.sign(t)
    want = (
        a * b
        - c / 3.0
        + torch.erf(t)
        + torch.maximum(t, c)
        - torch.minimum(a, torch.tensor(0.1, dtype=torch.float64))
    )
    np.testing.assert_allclose(_np(tf(x)), want.numpy(), rtol=1e-12, atol=1e-12)


def test_intermediate_used_outside_is_an_extra_output():
    def f(x, y):
        a = x * y
        b = (a.exp() + 1.0).log()
        return b, a.sum(1)

    x, y = ember.randn(8, 16), ember.randn(8, 16)
    tf = _fused_only(f, (x, y))
    assert tf.graph.ops() == ["fused_elementwise", "sum"]
    fused_line = next(ln for ln in str(tf.graph).splitlines() if "fused_elementwise" in ln)
    assert fused_line.split("=")[0].count(":") == 2  # two outputs
    a, b = ember.randn(8, 16), ember.randn(8, 16)
    _same(tf(a, b), f(a, b))


def test_comparisons_where_and_bool_output():
    def f(x, y):
        m = x > y
        r = ember.where(m, x * 2.0, y.exp()) * 3.0
        return r, m, ember.where(x < 0.5, -x, x) / y + r

    x, y = ember.randn(32, 8), ember.randn(32, 8)
    tf = _fused_only(f, (x, y))
    assert tf.graph.ops() == ["fused_elementwise"]
    assert ":b" in str(tf.graph)
    a, b = ember.randn(32, 8), ember.randn(32, 8)
    _same(tf(a, b), f(a, b))


def test_broadcast_operands_are_not_fused_and_zero_dim_ones_are():
    w = ember.randn(16)
    s = ember.tensor(0.5)

    def f(x):
        return ((x + w).exp() * s).tanh()

    x = ember.randn(8, 16)
    tf = _fused_only(f, x)
    # x + w broadcasts a (16,) vector: it stays; exp, * s (0-d param) and tanh fuse.
    assert tf.graph.ops() == ["add", "fused_elementwise"]
    _same(tf(x), f(x))
    s.fill_(2.0)  # 0-d params are read at run time
    _same(tf(x), f(x))


def test_small_tensors_and_single_ops_stay_as_they_are():
    tf = _fused_only(lambda x: ember.relu(x) * 2, ember.randn(2, 3))
    assert tf.graph.ops() == ["relu", "mul"]
    tf = _fused_only(lambda x: x.exp().sum(), ember.randn(64, 64))
    assert tf.graph.ops() == ["exp", "sum"]
    tf = _fused_only(lambda x: ember.relu(x) * 2, ember.randn(2, 3))
    assert tf.graph.fuse_elementwise(min_numel=1) == 1
    assert tf.graph.ops() == ["fused_elementwise"]
    x = ember.randn(2, 3)
    np.testing.assert_array_equal(_np(tf(x)), np.maximum(_np(x), 0) * 2)


def test_non_contiguous_inputs():
    def f(x, y):
        return (x * y).sigmoid() + x

    x, y = ember.randn(24, 40), ember.randn(24, 40)
    tf = _fused_only(f, (x, y))
    assert tf.graph.ops() == ["fused_elementwise"]
    a, b = ember.randn(40, 24).t(), ember.randn(24, 40)
    assert not a.is_contiguous()
    _same(tf(a, b), f(a, b))


def test_save_load_round_trip(tmp_path):
    def f(x):
        # clamp with one bound stores an infinite constant
        return F.gelu(x * 1.5 - 0.25) * ember.sigmoid(x) + ember.clamp(x, None, 0.3)

    x = ember.randn(16, 32)
    tf = jit.trace(f, x)
    assert tf.graph.ops() == ["fused_elementwise"] and "inf" in str(tf.graph)
    path = tmp_path / "fused.ember"
    jit.save(tf, path)
    loaded = jit.load(path)
    assert "fused_elementwise" in loaded.graph.ops()
    x2 = ember.randn(16, 32)
    _same(loaded(x2), tf(x2))
    _same(loaded(x2), f(x2))


def test_fused_op_is_registered():
    assert "fused_elementwise" in ember._C._jit_registered_ops()


def _grad_fn(x, w):
    h = x @ w
    y = (ember.tanh(h) * ember.sigmoid(h) + F.silu(h) * 0.5 - h * h / 4.0).sum()
    (g,) = ember.autograd.grad(y, [w])
    return y, g


def test_gradients_through_fused_backward_match_torch():
    torch = pytest.importorskip("torch")
    x = ember.randn(32, 8, dtype=ember.float64)
    w = ember.randn(8, 16, dtype=ember.float64, requires_grad=True)
    raw = jit.trace(_grad_fn, (x, w), optimize=False)
    tf = jit.trace(_grad_fn, (x, w))
    assert tf.pass_stats["fused_groups"] >= 2  # forward and backward chains
    y, g = tf(x, w)
    yr, gr = raw(x, w)
    np.testing.assert_array_equal(_np(y), _np(yr))
    np.testing.assert_array_equal(_np(g), _np(gr))
    tw = torch.tensor(_np(w), requires_grad=True)
    th = torch.tensor(_np(x)) @ tw
    ty = (
        torch.tanh(th) * torch.sigmoid(th) + torch.nn.functional.silu(th) * 0.5 - th * th / 4.0
    ).sum()
    ty.backward()
    np.testing.assert_allclose(_np(y), ty.item(), rtol=1e-12)
    np.testing.assert_allclose(_np(g), tw.grad.numpy(), rtol=1e-10)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.fc2 = nn.Linear(64, 5)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(F.gelu(h) * ember.sigmoid(h))


def test_training_step_with_fused_activations_matches_eager():
    eager, traced = _Net(), _Net()
    with ember.no_grad():
        for a, b in zip(eager.parameters(), traced.parameters()):
            b.copy_(a)
    opt_e = ember.optim.Adam(eager.parameters(), lr=1e-2)
    opt_t = ember.optim.Adam(traced.parameters(), lr=1e-2)

    def step(model, opt, x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    jstep = jit.function(lambda x, y: step(traced, opt_t, x, y))
    for _ in range(5):
        x, y = ember.randn(16, 20), ember.randint(0, 5, (16,))
        np.testing.assert_allclose(_np(jstep(x, y)), _np(step(eager, opt_e, x, y)), rtol=1e-6)
    assert jstep.traces[0].pass_stats["fused_groups"] >= 2
    for a, b in zip(eager.parameters(), traced.parameters()):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-5, atol=1e-6)


def _fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def _rewrite_program(path, old, new):
    """Edits the saved graph JSON (same length) and fixes the file checksum."""
    import struct

    data = bytearray(path.read_bytes())
    body = bytes(data[28:])
    assert body.count(old) == 1 and len(old) == len(new)
    body = body.replace(old, new)
    data[20:28] = struct.pack("<Q", _fnv1a(body))
    data[28:] = body
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "old, new, match",
    [
        (
            b"in=1;",
            b"in=3;",
            r"fused_elementwise: malformed program \(instruction 0 must set r3=\)",
        ),
        (b"Relu(", b"Relx(", r"fused_elementwise: malformed program \(unknown op 'Relx'\)"),
        (b"Relu(r0", b"Relu(r7", r"fused_elementwise: malformed program \(register r7 is read"),
    ],
)
def test_malformed_program_in_a_file_gives_a_clear_error(tmp_path, old, new, match):
    tf = jit.trace(lambda x: ember.relu(x).exp(), ember.randn(8, 8))
    assert tf.graph.ops() == ["fused_elementwise"]
    path = tmp_path / "f.ember"
    jit.save(tf, path)
    _rewrite_program(path, old, new)
    loaded = jit.load(path)
    with pytest.raises(RuntimeError, match=match):
        loaded(ember.randn(8, 8))


_UNARY = ["neg", "exp", "tanh", "sigmoid", "relu", "abs", "sin", "silu", "erf", "gelu"]
_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"]


def _random_program(draw_ops, n_inputs):
    """A function of n_inputs tensors running `draw_ops`: ("u", name, i), ("b", name, i, j),
    ("s", name, i, scalar), ("w", i, j, k) (where(v_i > v_j, v_j, v_k)); indices wrap."""

    def fn(*xs):
        vals = list(xs)
        for op in draw_ops:
            pick = lambda k: vals[k % len(vals)]
            if op[0] == "u":
                v = F.gelu(pick(op[2])) if op[1] == "gelu" else getattr(ember, op[1])(pick(op[2]))
            elif op[0] == "b":
                v = getattr(ember, op[1])(pick(op[2]), pick(op[3]))
            elif op[0] == "s":
                v = getattr(ember, op[1])(pick(op[2]), op[3])
            else:
                v = ember.where(pick(op[1]) > pick(op[2]), pick(op[2]), pick(op[3]))
            vals.append(v)
        return tuple(vals[n_inputs:][-2:])

    return fn


def test_random_elementwise_programs_match_eager_bit_for_bit():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    idx = st.integers(0, 50)
    op = st.one_of(
        st.tuples(st.just("u"), st.sampled_from(_UNARY), idx),
        st.tuples(st.just("b"), st.sampled_from(_BINARY), idx, idx),
        st.tuples(
            st.just("s"),
            st.sampled_from(["add", "mul", "sub"]),
            idx,
            st.sampled_from([0.5, -2.0, 3, 1.0]),
        ),
        st.tuples(st.just("w"), idx, idx, idx),
    )

    @hypothesis.settings(max_examples=40, deadline=None)
    @hypothesis.given(
        ops=st.lists(op, min_size=2, max_size=10),
        shape=st.sampled_from([(16,), (5, 7), (3, 4, 5), (1030,)]),
        dtype=st.sampled_from([ember.float32, ember.float64]),
        n_inputs=st.integers(1, 3),
    )
    def check(ops, shape, dtype, n_inputs):
        fn = _random_program(ops, n_inputs)
        xs = tuple(ember.randn(*shape, dtype=dtype) for _ in range(n_inputs))
        tf = jit.trace(fn, xs)
        assert tf.graph.num_nodes <= len(ops)
        ys = tuple(ember.randn(*shape, dtype=dtype) for _ in range(n_inputs))
        got, want = tf(*ys), fn(*ys)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(_np(a), _np(b))

    check()


def test_optimize_false_turns_the_passes_off():
    def f(x):
        return (ember.relu(x * 1.0) + ember.ones(64, 8) * 2.0).sigmoid()

    x = ember.randn(64, 8)
    off = jit.function(f, optimize=False)
    on = jit.function(f)
    _same(off(x), f(x))
    _same(on(x), f(x))
    assert off.traces[0].pass_stats is None
    assert off.traces[0].graph.ops() == ["mul", "relu", "ones", "mul", "add", "sigmoid"]
    assert on.traces[0].graph.ops() == ["fused_elementwise"]
    stats = on.traces[0].pass_stats
    assert stats["simplified"] >= 1 and stats["folded_constants"] == 2
    assert stats["fused_groups"] == 1 and stats["nodes_after"] == 1


@pytest.mark.parametrize("n", [1000, 70_000, 300_001])
def test_large_fused_chains_match_eager_on_any_thread_count(n):
    # Above 64K elements the blocks of a fused kernel run on the pool; results are the same
    # bits as eager for 1 and 2 threads, NaN and signed zeros included.
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    a[::97] = np.nan
    a[::89] = -0.0
    x, g = ember.from_numpy(a), ember.from_numpy(rng.standard_normal(n).astype(np.float32))

    def f(x, g):
        return ember.where(ember.le(x, 0.0), ember.zeros_like(g), g * 2.0 + x), (x * 3.0).tanh()

    want = [t.numpy() for t in f(x, g)]
    before = ember.get_num_threads()
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            tf = jit.trace(f, (x, g))
            assert "fused_elementwise" in tf.graph.ops()
            for got, w in zip(tf(x, g), want):
                np.testing.assert_array_equal(got.numpy(), w)
    finally:
        ember.set_num_threads(before)
