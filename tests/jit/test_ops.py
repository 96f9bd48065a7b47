"""Traced == eager for a broad set of ops: values and gradients (float64), the graph run on
fresh inputs of the traced shapes. Elementwise ops draw their shapes with hypothesis."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit
from hypothesis import given, settings
from hypothesis import strategies as st

f64 = ember.float64


def _assert_traced_matches(fn, make_inputs, grad=True, rtol=1e-10, atol=1e-12):
    """Traces out = fn(*xs) (+ grads of a weighted sum) and compares a graph run on new inputs."""

    def traced_body(*xs):
        out = fn(*xs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if not grad or not any(o.dtype == f64 for o in outs):
            return outs
        diff = [x for x in xs if x.requires_grad]
        floats = [o for o in outs if o.dtype == f64]
        loss = sum(((o * o).sum() if o.numel() else o.sum()) for o in floats)
        grads = ember.autograd.grad(loss, diff, allow_unused=True)
        return outs + [g if g is not None else ember.zeros(()) for g in grads]

    tf = jit.trace(traced_body, tuple(make_inputs()))
    xs = make_inputs()
    got = tf(*xs)
    want = traced_body(*xs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=rtol, atol=atol)


def _rand(shape, positive=False, requires_grad=True):
    x = ember.rand(*shape, dtype=f64) + 0.5 if positive else ember.randn(*shape, dtype=f64)
    return x.requires_grad_(requires_grad)


_IDX = ember.tensor([2, 0])
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)

UNARY = {
    "neg": ember.neg,
    "exp": ember.exp,
    "tanh": ember.tanh,
    "sigmoid": ember.sigmoid,
    "relu": ember.relu,
    "abs": ember.abs,
    "sin": ember.sin,
    "cos": ember.cos,
    "erf": ember.erf,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "softplus_like": lambda x: ember.log1p(ember.exp(x)),
    "clamp": lambda x: ember.clamp(x, -0.5, 0.5),
    "sign": ember.sign,
    "pow_scalar": lambda x: x**3,
    "rsub": lambda x: 1.0 - x,
}
POSITIVE_UNARY = {"log": ember.log, "sqrt": ember.sqrt, "rsqrt": ember.rsqrt}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=5, deadline=None)
@given(shape=shapes)
def test_unary(name, shape):
    _assert_traced_matches(UNARY[name], lambda: [_rand(shape)])


@pytest.mark.parametrize("name", sorted(POSITIVE_UNARY))
@settings(max_examples=5, deadline=None)
@given(shape=shapes)
def test_unary_positive(name, shape):
    _assert_traced_matches(POSITIVE_UNARY[name], lambda: [_rand(shape, positive=True)])


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": ember.maximum,
    "minimum": ember.minimum,
    "add_alpha": lambda a, b: ember.add(a, b, alpha=2.5),
    "pow": lambda a, b: (a * a + 1) ** b,
    "where": lambda a, b: ember.where(a > b, a, b * 2),
    "compare_mix": lambda a, b: (a < b).to(f64) * a + (a >= b).to(f64) * b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=5, deadline=None)
@given(shape=shapes, drop=st.integers(0, 3))
def test_binary_broadcasting(name, shape, drop):
    other = shape[drop:] if drop <= len(shape) else ()
    _assert_traced_matches(BINARY[name], lambda: [_rand(shape), _rand(other)])


OTHER = {
    "sum_dim": (lambda x: x.sum(1, keepdim=True), [(3, 4)]),
    "mean": (lambda x: x.mean((0, 1)), [(3, 4)]),
    "prod": (lambda x: ember.prod(x, 1), [(3, 4)]),
    "var_std": (lambda x: (x.var(1), x.std(0)), [(3, 4)]),
    "logsumexp": (lambda x: ember.logsumexp(x, 1), [(3, 4)]),
    "softmax": (lambda x: F.softmax(x, 1), [(3, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, 0), [(3, 4)]),
    "max_dim": (lambda x: ember.max(x, 1), [(3, 4)]),
    "max_all": (lambda x: ember.max(x), [(3, 4)]),
    "argmax": (lambda x: ember.argmax(x, 1), [(3, 4)]),
    "cumsum": (lambda x: ember.cumsum(x, 1), [(3, 4)]),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(5, 4), (3, 4), (3,)]),
    "reshape_transpose": (lambda x: x.reshape(4, 3).transpose(0, 1).permute(1, 0), [(3, 4)]),
    "views": (lambda x: x.unsqueeze(0).expand(2, 3, 4).flatten(1).squeeze(), [(3, 4)]),
    "getitem": (lambda x: x[1:, ::2] * x[0, ::2], [(3, 4)]),
    "cat_stack": (
        lambda a, b: ember.cat([a, b], 0).sum(0) + ember.stack([a, b[:2]], 1).sum((1, 2)).sum(),
        [(2, 4), (3, 4)],
    ),
    "split_chunk": (
        lambda x: [s * (i + 1) for i, s in enumerate(ember.split(x, 2, 1) + ember.chunk(x, 3, 0))],
        [(3, 4)],
    ),
    "narrow_select": (
        lambda x: ember.narrow(x, 1, 1, 2) * ember.select(x, 1, 0).unsqueeze(1),
        [(3, 4)],
    ),
    "index_select_gather": (
        lambda x: (
            ember.index_select(x, 0, _IDX).sum()
            + ember.gather(x, 1, ember.zeros(3, 2, dtype=ember.int64))
        ),
        [(3, 4)],
    ),
    "masked_fill": (lambda x: ember.masked_fill(x, x > 0, 0.5), [(3, 4)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "mse": (lambda a, b: F.mse_loss(a, b), [(3, 4), (3, 4)]),
    "bce_logits": (
        lambda a, b: F.binary_cross_entropy_with_logits(a, ember.sigmoid(b)),
        [(3, 4), (3, 4)],
    ),
    "to_float32": (lambda x: x.to(ember.float32).sum().to(f64), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_ops(name):
    fn, shapes_ = OTHER[name]
    _assert_traced_matches(fn, lambda: [_rand(s) for s in shapes_], rtol=1e-6 if name == "to_float32" else 1e-10)


def test_classification_losses():
    def make():
        return [_rand((4, 5)), ember.randint(0, 5, (4,))]

    _assert_traced_matches(lambda x, y: F.cross_entropy(x, y), make)
    _assert_traced_matches(lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), make)
    _assert_traced_matches(lambda x, y: F.nll_loss(F.log_softmax(x, 1), y), make)
    _assert_traced_matches(lambda x, y: F.cross_entropy(x, y, reduction="none"), make)


def test_embedding():
    w = _rand((6, 3))
    _assert_traced_matches(lambda i: F.embedding(i, w), lambda: [ember.randint(0, 6, (2, 3))], grad=False)


def test_creation_ops_in_graph():
    def f(x):
        return x + ember.ones(3, dtype=f64) + ember.zeros_like(x) + ember.arange(3).to(f64)

    _assert_traced_matches(f, lambda: [_rand((3,))])


def test_dropout_draws_new_masks_each_run():
    tf = jit.trace(lambda x: F.dropout(x, 0.5, training=True), ember.ones(1000))
    a, b = tf(ember.ones(1000)).numpy(), tf(ember.ones(1000)).numpy()
    assert set(np.unique(a)) <= {0.0, 2.0} and not np.array_equal(a, b)
