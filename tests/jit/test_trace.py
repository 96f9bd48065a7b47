"""ember.jit.trace / function: traced graphs compute what eager code computes."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn


class MLP(nn.Module):
    def __init__(self, d_in=784, hidden=128, d_out=10):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def _np(t):
    return t.detach().numpy().copy()


def test_trace_function_matches_eager():
    def f(x, y):
        return (x * y + ember.exp(x)).sum(1), x - 2.0

    x, y = ember.randn(3, 4), ember.randn(3, 4)
    tf = jit.trace(f, (x, y))
    a, b = ember.randn(3, 4), ember.randn(3, 4)
    got = tf(a, b)
    want = f(a, b)
    np.testing.assert_allclose(_np(got[0]), _np(want[0]), rtol=1e-6)
    np.testing.assert_allclose(_np(got[1]), _np(want[1]), rtol=1e-6)


def test_trace_module_names_params_and_matches():
    m = MLP(8, 5, 3)
    x = ember.randn(4, 8)
    tm = jit.trace(m, x)
    assert isinstance(tm, jit.TracedModule)
    text = str(tm.graph)
    assert "%fc1.weight" in text and "linear(" in text
    x2 = ember.randn(4, 8)
    np.testing.assert_allclose(_np(tm(x2)), _np(m(x2)), rtol=1e-6)


def test_params_are_captured_by_reference():
    m = MLP(4, 3, 2)
    x = ember.randn(2, 4)
    tm = jit.trace(m, x)
    with ember.no_grad():
        m.fc2.bias.add_(1.0)
    np.testing.assert_allclose(_np(tm(x)), _np(m(x)), rtol=1e-6)


def test_graph_text_and_dot():
    tf = jit.trace(lambda x: ember.relu(x) * 2, ember.randn(2, 3))
    text = str(tf.graph)
    assert text.startswith("graph(%x0 : f32[2, 3]")
    assert "relu(%x0)" in text and "return" in text
    dot = tf.graph.to_dot()
    assert dot.startswith("digraph") and "relu" in dot


def test_python_control_flow_is_taken_at_trace_time():
    def f(x):
        if x.shape[0] > 2:
            return x * 2
        return x - 1

    tf = jit.trace(f, ember.ones(3))
    assert tf.graph.ops() == ["mul"]
    np.testing.assert_allclose(_np(tf(ember.tensor([1.0, 2.0, 3.0]))), [2.0, 4.0, 6.0])


def test_wrong_shape_names_both_signatures():
    tf = jit.trace(lambda x: x + 1, ember.ones(2, 3))
    with pytest.raises(
        ValueError, match=r"takes inputs \(f32\[2, 3\]\) but was called with \(f32\[4, 3\]\)"
    ):
        tf(ember.ones(4, 3))
    with pytest.raises(ValueError, match=r"f64\[2, 3\]"):
        tf(ember.ones(2, 3, dtype=ember.float64))


def test_non_tensor_argument_must_match_trace():
    tf = jit.trace(lambda x, k: x * k, (ember.ones(2), 3.0))
    np.testing.assert_allclose(_np(tf(ember.ones(2), 3.0)), [3.0, 3.0])
    with pytest.raises(ValueError, match="non-tensor arguments are baked"):
        tf(ember.ones(2), 4.0)


def test_item_during_trace_raises():
    def f(x):
        if x.sum().item() > 0:
            return x
        return -x

    with pytest.raises(
        RuntimeError,
        match=r"Tensor.item\(\) \(in f at .*test_trace\.py:96\) reads a tensor's values while tracing",
    ):
        jit.trace(f, ember.ones(2))
    assert not jit.is_tracing()


def test_bool_of_tensor_during_trace_raises():
    def f(x):
        return x if x.sum() > 0 else -x

    with pytest.raises(RuntimeError, match=r"bool\(tensor\)"):
        jit.trace(f, ember.ones(2))


def test_tensor_from_python_data_during_trace_raises():
    def f(x):
        return x * ember.tensor([1.0, 2.0])

    with pytest.raises(RuntimeError, match=r"mul received a tensor of shape \(2,\)"):
        jit.trace(f, ember.ones(2))


def test_tensor_made_before_trace_is_captured():
    w = ember.tensor([1.0, 2.0])
    tf = jit.trace(lambda x: x * w, ember.ones(2))
    w.mul_(3.0)
    np.testing.assert_allclose(_np(tf(ember.ones(2))), [3.0, 6.0])


def test_function_caches_and_retraces_on_new_signature():
    calls = []

    @jit.function
    def f(x, scale):
        calls.append(1)
        return x * scale

    a = f(ember.ones(2), 2.0)
    b = f(ember.ones(2), 2.0)
    assert len(calls) == 1
    np.testing.assert_allclose(_np(a), _np(b))
    f(ember.ones(3), 2.0)  # new shape
    f(ember.ones(2), 5.0)  # new Python value
    assert len(calls) == 3 and len(f.traces) == 3
    np.testing.assert_allclose(_np(f(ember.ones(2), 5.0)), [5.0, 5.0])
    assert len(calls) == 3


def test_function_tensor_only_calls_take_the_table_path():
    # Calls of positional tensors only are looked up in C++ (dtype, device, requires_grad and
    # shape); each change of one of them traces again, and the right graph runs.
    calls = []

    @jit.function
    def f(x, y):
        calls.append(1)
        return {"s": x + y, "pair": (x * y, [x - y])}

    x, y = ember.ones(2), ember.full((2,), 3.0)
    first = f(x, y)
    again = f(x, y)
    assert len(calls) == 1 and len(f._table) == 1
    for out in (first, again):
        assert set(out) == {"s", "pair"}
        np.testing.assert_array_equal(_np(out["s"]), [4.0, 4.0])
        np.testing.assert_array_equal(_np(out["pair"][0]), [3.0, 3.0])
        np.testing.assert_array_equal(_np(out["pair"][1][0]), [-2.0, -2.0])
    variants = [
        (ember.ones(3), ember.full((3,), 3.0)),                                 # shape
        (ember.ones(2, dtype=ember.float64), ember.full((2,), 3.0, dtype=ember.float64)),  # dtype
        (ember.ones(2).requires_grad_(), ember.full((2,), 3.0)),                # requires_grad
    ]
    for a, b in variants:
        out = f(a, b)
        assert out["s"].dtype == a.dtype
        np.testing.assert_array_equal(_np(out["s"]), np.full(a.shape, 4.0))
    # The requires_grad variant's outputs backpropagate: its entry sends such calls (grad
    # enabled) to the Python path, which records their backward.
    assert len(calls) == 4 and len(f._table) == 4
    assert f(*variants[2])["s"].requires_grad
    for a, b in variants:
        np.testing.assert_array_equal(_np(f(a, b)["pair"][0]), np.full(a.shape, 3.0))
    assert len(calls) == 4
    # A Parameter (a Tensor subclass) is not a table key; the Python path finds its graph.
    p = nn.Parameter(ember.ones(2))
    np.testing.assert_array_equal(_np(f(p, y)["s"]), [4.0, 4.0])
    np.testing.assert_array_equal(_np(f(p, y)["s"]), [4.0, 4.0])
    assert len(calls) == 5 and len(f._table) == 4


def test_function_that_sets_requires_grad_on_its_argument_retraces():
    # The call changes its argument's requires_grad: the graph is filed under the flags the
    # call came with, so the next call (with the new flags) traces again, as eager runs it.
    def f(x):
        if x.requires_grad:
            return x * 2.0
        x.requires_grad_()
        return x * 3.0

    fn = jit.function(f)
    x = ember.ones(3)
    np.testing.assert_array_equal(_np(fn(x)), [3.0, 3.0, 3.0])
    assert x.requires_grad
    np.testing.assert_array_equal(_np(fn(x)), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(_np(fn(x)), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(_np(fn(ember.ones(3))), [3.0, 3.0, 3.0])
    assert len(fn.traces) == 2


def test_function_in_a_reference_cycle_through_its_output_is_collected():
    # The C++ call table holds its graphs weakly: a cycle through a returned Python object
    # (f -> traced graph -> output structure -> holder -> f) is still found by the collector.
    import gc
    import weakref

    class Holder:
        pass

    holder = Holder()

    @jit.function
    def f(x):
        return x + 1.0, holder

    holder.fn = f
    out, same = f(ember.ones(2))
    out, same = f(ember.ones(2))  # the table path
    assert same is holder
    np.testing.assert_array_equal(_np(out), [2.0, 2.0])
    ref = weakref.ref(f)
    del f, holder, same
    gc.collect()
    assert ref() is None


def test_traces_on_several_threads_at_once():
    # Each thread traces on its own; a trace that ended must leave nothing behind on its thread
    # (it once left a stale pointer that recorded the thread's next ops into a freed graph
    # whenever another thread was tracing).
    import sys
    import threading

    def g(a):
        return (a * 2.0 + 1.0).sum(0)

    errors = []

    def tracer(tid):
        try:
            for i in range(150):
                n = (i + tid) % 9 + 1
                traced = jit.trace(g, ember.ones(n, 3))
                got = traced(ember.full((n, 3), 2.0))
                np.testing.assert_array_equal(_np(got), np.full(3, 5.0 * n))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    def eager(tid):
        try:
            for i in range(600):
                n = i % 9 + 1
                got = (ember.ones(n, 3) * 2.0 + 1.0).sum(0).numpy()
                np.testing.assert_array_equal(got, np.full(3, 3.0 * n))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=tracer, args=(i,)) for i in range(3)]
        threads += [threading.Thread(target=eager, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    assert errors == []


def test_function_table_runs_the_graph_after_new_passes():
    @jit.function(optimize=False)
    def f(x):
        return (x * 1.0 + 0.0).relu()

    x = ember.tensor([-1.0, 2.0])
    f(x)
    traced = f.traces[0]
    traced.run_passes()  # replaces the executor: the table must run the new one
    np.testing.assert_array_equal(_np(f(x)), [0.0, 2.0])
    np.testing.assert_array_equal(_np(f(ember.tensor([3.0, -4.0]))), [3.0, 0.0])


def test_jit_call_rejects_bad_arguments():
    from ember import _C

    with pytest.raises(TypeError, match="_jit_call"):
        _C._jit_call(None)


def test_grad_inside_trace_matches_eager():
    def f(x, w):
        y = (ember.tanh(x @ w) ** 2).sum()
        (g,) = ember.autograd.grad(y, [w])
        return y, g

    x = ember.randn(3, 4)
    w = ember.randn(4, 2, requires_grad=True)
    tf = jit.trace(f, (x, w))
    x2 = ember.randn(3, 4)
    w2 = ember.randn(4, 2, requires_grad=True)
    y, g = tf(x2, w2)
    ye, ge = f(x2, w2)
    np.testing.assert_allclose(_np(y), _np(ye), rtol=1e-5)
    np.testing.assert_allclose(_np(g), _np(ge), rtol=1e-5)


def _copy_model(src, dst):
    with ember.no_grad():
        for a, b in zip(src.parameters(), dst.parameters()):
            b.copy_(a)


@pytest.mark.parametrize("opt_name", ["adam", "sgd_momentum", "rmsprop", "adagrad"])
def test_training_step_matches_eager_after_10_steps(opt_name):
    def make_opt(params):
        if opt_name == "adam":
            return ember.optim.Adam(params, lr=1e-3)
        if opt_name == "sgd_momentum":
            return ember.optim.SGD(params, lr=0.05, momentum=0.9)
        if opt_name == "rmsprop":
            return ember.optim.RMSprop(params, lr=1e-3)
        return ember.optim.Adagrad(params, lr=0.05)

    eager, traced = MLP(), MLP()
    _copy_model(eager, traced)
    opt_e, opt_t = make_opt(eager.parameters()), make_opt(traced.parameters())

    def step(model, opt, x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    jstep = jit.function(lambda x, y: step(traced, opt_t, x, y))
    for i in range(10):
        x = ember.randn(16, 784)
        y = ember.randint(0, 10, (16,))
        le = step(eager, opt_e, x, y)
        lt = jstep(x, y)
        np.testing.assert_allclose(_np(lt), _np(le), rtol=1e-5, atol=1e-6)
    assert len(jstep.traces) == 1
    for (name, a), b in zip(eager.named_parameters(), traced.parameters()):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-5, atol=1e-6, err_msg=name)


def test_assigning_grad_tensor_during_trace_raises():
    w = ember.ones(2, requires_grad=True)

    def f(x):
        w.grad = x * 2
        return x

    with pytest.raises(RuntimeError, match=r"assigning a tensor to .grad"):
        jit.trace(f, ember.ones(2))


def test_nested_trace_raises():
    def inner(x):
        return x + 1

    def outer(x):
        return jit.trace(inner, x)(x)

    with pytest.raises(RuntimeError, match="already tracing"):
        jit.trace(outer, ember.ones(2))
    assert not jit.is_tracing()


def test_accumulating_grad_mode_is_kept():
    # .grad is not cleared inside the traced function: each run adds into it, like eager.
    w = ember.ones(3, requires_grad=True)
    (w * 2).sum().backward()

    def f(x):
        (w * x).sum().backward()
        return w.grad * 1.0

    tf = jit.trace(f, ember.ones(3))  # .grad = 2 + 1
    np.testing.assert_allclose(_np(tf(ember.ones(3))), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(_np(w.grad), [4.0, 4.0, 4.0])


def test_traced_function_releases_the_gil_and_runs_in_threads():
    import threading

    tf = jit.trace(lambda x: (x @ x).sum(1), ember.randn(64, 64))
    x = ember.randn(64, 64)
    want = _np(tf(x))
    results = []

    def work():
        results.append(_np(tf(x)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_allclose(r, want, rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"ignore_index": 2},
                                    {"weight": "w"}, {"reduction": "none"}])
def test_cross_entropy_backward_is_traced_op_by_op(kwargs):
    # Its backward reads only traced values (the target through cross_entropy_grad_terms), so
    # the graph needs no replay of eager autograd.
    lin = nn.Linear(6, 5)
    kw = dict(kwargs)
    if kw.get("weight") == "w":
        kw["weight"] = ember.tensor([1.0, 2.0, 0.5, 1.5, 3.0])

    def f(x, y):
        lin.zero_grad()
        loss = F.cross_entropy(lin(x), y, **kw)
        loss.sum().backward()
        return loss, lin.weight.grad * 1.0, lin.bias.grad * 1.0

    x, y = ember.randn(8, 6), ember.tensor([0, 2, 4, 1, 2, 3, 2, 0])
    tf = jit.trace(f, (x, y))
    ops = tf.graph.ops()
    # (the optimized graph runs the chain as one cross_entropy_backward node: loss fusion)
    assert "autograd_backward" not in ops and "cross_entropy_backward" in ops
    raw_ops = jit.trace(f, (x, y), optimize=False).graph.ops()
    assert "autograd_backward" not in raw_ops and "cross_entropy_grad_terms" in raw_ops
    x2, y2 = ember.randn(8, 6), ember.tensor([4, 2, 2, 1, 0, 3, 2, 1])
    for got, want in zip(tf(x2, y2), f(x2, y2)):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_cross_entropy_with_every_target_ignored_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for kw in ({}, {"weight": np.array([1.0, 2.0, 0.5, 1.5, 3.0], np.float32)}):
        ex = ember.from_numpy(x).requires_grad_(True)
        tx = torch.from_numpy(x).requires_grad_(True)
        ew = {"weight": ember.from_numpy(kw["weight"])} if kw else {}
        tw = {"weight": torch.from_numpy(kw["weight"])} if kw else {}
        el = F.cross_entropy(ex, ember.tensor([-100] * 4), **ew)
        tl = torch.nn.functional.cross_entropy(tx, torch.tensor([-100] * 4), **tw)
        assert np.isnan(el.item()) and np.isnan(tl.item())
        el.backward()
        tl.backward()
        np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


def test_clone_written_in_place_is_a_result_not_captured_state():
    # Written in place after a clone, returned or saved by autograd: made again by every run.
    w = ember.randn(3, 2, requires_grad=True)
    idx = ember.tensor([0, 2])

    def returned(x):
        y = x.clone()
        y[idx] = 5.0
        return y

    def returned_view(x):
        y = x.clone()
        y[[0, 2]] = 5.0  # a list index is a constant of the code
        return y[1:]

    def saved(x):
        y = x.clone()
        y[idx] = 5.0
        return (y * w).sum()

    for f in (returned, returned_view, saved):
        t = jit.trace(f, ember.randn(3, 2))
        assert "clone" in t.graph.ops()
        for _ in range(2):
            x = ember.randn(3, 2)
            with ember.no_grad():
                np.testing.assert_array_equal(_np(t(x)), _np(f(x)))


def test_call_with_more_tensors_than_traced_says_so():
    t = jit.trace(nn.Linear(3, 2), ember.ones(2, 3))
    with pytest.raises(ValueError, match=r"traced for 1 tensor argument\(s\).*called with 2"):
        t(ember.ones(2, 3), ember.ones(2, 3))


def test_tolist_while_tracing_names_the_users_line():
    def f(x):
        values = x.tolist()  # the line to name, not ember's own wrapper
        return x * len(values)

    with pytest.raises(RuntimeError, match=r"\(in f at .*test_trace\.py:\d+\)"):
        jit.trace(f, ember.ones(2))
