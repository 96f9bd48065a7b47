"""Python state a traced graph bakes in (an optimizer's hyperparameters, a module's training
flag, whether ``.grad`` was None where the traced code looked): ``jit.function`` traces again
when it changes, so results stay those of eager calls; ``jit.trace`` raises instead."""

import warnings

import ember
import ember.nn as nn
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit


def _params(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def _assert_same_params(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


def _scalar_sgd_step():
    """(w, its SGD optimizer with lr 1, a jit.function step on w * x returning w)."""
    w = ember.zeros(1, requires_grad=True)
    opt = ember.optim.SGD([w], lr=1.0)

    @jit.function
    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        return w

    return w, opt, step


def _setup(dropout=0.0):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3)).double()
    xs = [ember.randn(5, 4, dtype=ember.float64) for _ in range(12)]
    ys = [ember.randint(0, 3, (5,)) for _ in range(12)]
    return model, xs, ys


def _run_with_scheduler(traced, opt_cls, **kw):
    model, xs, ys = _setup()
    opt = opt_cls(model.parameters(), **kw)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = jit.function(step) if traced else step
    losses = []
    for x, y in zip(xs, ys):
        losses.append(float(fn(x, y)))
        sched.step()
    return losses, _params(model), fn


@pytest.mark.parametrize("opt_cls,kw", [
    (ember.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (ember.optim.Adam, {"lr": 0.05}),
    (ember.optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
])
def test_learning_rate_schedule_is_followed(opt_cls, kw):
    eager_losses, eager_params, _ = _run_with_scheduler(False, opt_cls, **kw)
    jit_losses, jit_params, fn = _run_with_scheduler(True, opt_cls, **kw)
    np.testing.assert_allclose(jit_losses, eager_losses, rtol=1e-12)
    _assert_same_params(jit_params, eager_params)
    assert len(fn.traces) == 4  # lr 0.1, 0.05, 0.025, 0.0125 (or the Adam values)


def test_setting_lr_to_zero_stops_updates():
    w, opt, step = _scalar_sgd_step()

    step(ember.ones(1))
    step(ember.ones(1))
    assert w.item() == -2.0
    opt.param_groups[0]["lr"] = 0.0
    for _ in range(3):
        step(ember.ones(1))
    assert w.item() == -2.0
    opt.param_groups[0]["lr"] = 0.5
    step(ember.ones(1))
    assert w.item() == -2.5


def test_eval_mode_after_tracing_in_train_mode():
    model, xs, _ = _setup(dropout=0.5)

    @jit.function
    def forward(x):
        return model(x)

    x = xs[0]
    forward(x)  # traced in training mode
    model.eval()
    np.testing.assert_array_equal(forward(x).detach().numpy(), model(x).detach().numpy())
    np.testing.assert_array_equal(forward(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    out = forward(x).detach().numpy()
    dropped = (out != model.eval()(x).detach().numpy())
    assert dropped.any()  # dropout is active again in the training-mode graph
    assert len(forward.traces) == 2


def test_training_attribute_assignment_is_seen():
    model, xs, _ = _setup(dropout=0.5)

    @jit.function
    def forward(x):
        return model(x)

    forward(xs[0])
    model[2].training = False  # only the dropout layer, set directly
    expected = model(xs[0]).detach().numpy()
    np.testing.assert_array_equal(forward(xs[0]).detach().numpy(), expected)


def test_gradient_accumulation_with_grads_cleared_outside():
    def run(traced):
        w = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)

        def step(x):
            (w * x).sum().backward()
            return w.grad.clone()

        fn = jit.function(step) if traced else step
        grads = []
        for i in range(6):
            if i % 2 == 0:
                w.grad = None
            grads.append(fn(ember.tensor([1.0, 2.0], dtype=ember.float64)).numpy())
        return np.array(grads)

    np.testing.assert_array_equal(run(True), run(False))
    np.testing.assert_array_equal(run(True)[1], [2.0, 4.0])  # accumulated over two steps


def test_code_that_reads_grad_is_traced_again_when_it_changes():
    def run(traced):
        w = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)

        def step(x):
            if w.grad is not None:  # Python branch on the .grad state
                w.grad = None
            (w * x * x).sum().backward()
            return w.grad * 1

        fn = jit.function(step) if traced else step
        return [fn(ember.tensor([float(i), 1.0], dtype=ember.float64)).numpy() for i in range(5)]

    np.testing.assert_array_equal(np.array(run(True)), np.array(run(False)))


def test_jit_trace_raises_when_baked_state_changed():
    model, xs, _ = _setup(dropout=0.5)
    traced = jit.trace(model, xs[0])
    model.eval()
    with pytest.raises(jit.JitGuardError, match="traced in training mode"):
        traced(xs[0])
    model.train()
    traced(xs[0])  # the traced state again: runs


def test_jit_trace_raises_on_changed_grad_state():
    w = ember.ones(2, requires_grad=True)

    def step(x):
        if w.grad is None:
            (w * x).sum().backward()
        return w.grad * 1

    t = jit.trace(step, ember.ones(2))
    with pytest.raises(jit.JitGuardError, match=r"\.grad .* was None"):
        t(ember.ones(2))  # w.grad is set now
    w.grad = None
    np.testing.assert_array_equal(t(ember.full((2,), 3.0)).numpy(), [3.0, 3.0])


def _retrace_warnings(opt, step, n):
    """RuntimeWarning messages of `n` calls of `step`, each after a change of the lr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(n):
            opt.param_groups[0]["lr"] = 0.5 + i
            step(ember.ones(1))
    return [str(c.message) for c in caught if issubclass(c.category, RuntimeWarning)]


def test_repeated_retraces_warn_once():
    _, opt, step = _scalar_sgd_step()
    step(ember.ones(1))
    messages = _retrace_warnings(opt, step, 10)
    assert len(messages) == 1 and "traced again 8 times" in messages[0]
    assert len(step.traces) == 8  # the cache keeps the 8 most recent graphs


def test_fast_path_resumes_after_state_changes():
    model, xs, ys = _setup()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)

    @jit.function
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    step(xs[0], ys[0])
    assert len(step._table) == 1
    opt.param_groups[0]["lr"] = 0.1  # same value: the guard still holds, no retrace
    step(xs[1], ys[1])
    assert len(step.traces) == 1


def _sgd_run(traced, edit):
    """SGD with momentum on w = 0 for 6 steps; ``edit(opt, step_index)`` runs before each."""
    w = ember.zeros(2, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.SGD([w], lr=1.0, momentum=0.9)

    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        return w * 1

    fn = jit.function(step) if traced else step
    saved = None
    for i in range(6):
        saved = edit(opt, i, saved)
        fn(ember.tensor([1.0, 2.0], dtype=ember.float64))
    return w.detach().numpy().copy()


@pytest.mark.parametrize("name", ["load_state_dict", "state_clear", "replace_group",
                                  "replace_groups", "params_append"])
def test_optimizer_state_and_group_changes_are_seen(name):
    extra = {}

    def edit(opt, i, saved):
        import copy

        if name == "load_state_dict":
            if i == 1:
                return copy.deepcopy(opt.state_dict())
            if i == 3:
                opt.load_state_dict(saved)
        elif name == "state_clear" and i == 3:
            opt.state.clear()
        elif name == "replace_group" and i == 2:
            opt.param_groups[0] = dict(opt.param_groups[0], lr=0.0)
        elif name == "replace_groups" and i == 2:
            opt.param_groups = [dict(opt.param_groups[0], lr=0.25)]
        elif name == "params_append" and i == 2:
            v = extra.setdefault(id(opt), ember.ones(2, dtype=ember.float64, requires_grad=True))
            v.grad = ember.ones(2, dtype=ember.float64)
            opt.param_groups[0]["params"].append(v)
        return saved

    np.testing.assert_allclose(_sgd_run(True, edit), _sgd_run(False, edit), rtol=1e-12)


def test_training_flag_read_inside_a_method_is_guarded():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def encode(self, x):
            return F.dropout(self.lin(x), 0.5, self.training)

    ember.manual_seed(0)
    net = Net()

    @jit.function
    def f(x):
        return net.encode(x)  # a method, not net(x): only the flag read marks the guard

    x = ember.randn(3, 4)
    f(x)
    net.eval()
    with ember.no_grad():
        np.testing.assert_array_equal(f(x).numpy(), net.lin(x).numpy())


def test_type_error_inside_forward_is_not_blamed_on_tensor_inputs():
    class Bad(nn.Module):
        def forward(self, x):
            return ember.clamp(x, "zero", None)

    with pytest.raises(TypeError) as info:
        Bad()(ember.ones(2))
    assert "the module was called with" not in str(info.value)
    assert "clamp" in str(info.value)


@pytest.mark.parametrize("name", ["inner_clear", "inner_replace", "inner_del", "popitem"])
def test_edits_of_a_parameters_own_state_dict_are_seen(name):
    def edit(opt, i, saved):
        if i != 3:
            return saved
        (w,) = opt.param_groups[0]["params"]
        if name == "inner_clear":
            opt.state[w].clear()
        elif name == "inner_replace":
            opt.state[w]["momentum_buffer"] = ember.zeros(2, dtype=ember.float64)
        elif name == "inner_del":
            del opt.state[w]["momentum_buffer"]
        else:
            opt.state.popitem()
        return saved

    np.testing.assert_allclose(_sgd_run(True, edit), _sgd_run(False, edit), rtol=1e-12)


def test_created_tensors_the_program_keeps_are_made_anew_with_a_warning():
    kept = []

    def f(x):
        h = x.clone()
        h.mul_(2)
        kept.append(h)  # a per-call value the program keeps: must not become frozen state
        return h.sum()

    jf = jit.function(f)
    with pytest.warns(RuntimeWarning, match=r"still referenced after the call"):
        jf(ember.ones(3))
    outs = [jf(ember.full((3,), v)).item() for v in (2.0, 3.0)]
    assert outs == [12.0, 18.0]  # eager: 12 and 18 (a frozen h would give 24, 36)

    class Acc:
        total = None

    acc = Acc()

    def g(x):
        if acc.total is None:  # lazy state on an object: the graph cannot keep it
            acc.total = ember.zeros(())
        acc.total.add_(x.sum())
        return x * 2

    with pytest.warns(RuntimeWarning, match=r"made by zeros .*Create state before tracing"):
        jit.function(g)(ember.ones(2))


def test_returned_optimizer_state_and_custom_optimizers_keep_their_state():
    class Momentum(ember.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        def step(self):
            with ember.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        st = self.state[p]
                        if "buf" not in st:
                            st["buf"] = ember.zeros_like(p)
                        st["buf"].mul_(0.9).add_(p.grad)
                        p.sub_(group["lr"] * st["buf"])

    def run(traced, make_opt, returns_state):
        w = ember.zeros(2, dtype=ember.float64, requires_grad=True)
        opt = make_opt([w])

        def step(x):
            opt.zero_grad()
            (w * x).sum().backward()
            opt.step()
            st = opt.state[w]
            return st["momentum_buffer"] if returns_state else w * 1

        fn = jit.function(step) if traced else step
        for i in range(5):
            if i == 3:
                opt.param_groups[0]["lr"] = 0.5
            fn(ember.tensor([1.0, 2.0], dtype=ember.float64))
        return w.detach().numpy()

    sgd = lambda ps: ember.optim.SGD(ps, lr=1.0, momentum=0.9)  # noqa: E731
    custom = lambda ps: Momentum(ps, lr=1.0)  # noqa: E731
    np.testing.assert_allclose(run(True, sgd, True), run(False, sgd, True), rtol=1e-12)
    np.testing.assert_allclose(run(True, custom, False), run(False, custom, False), rtol=1e-12)


def test_training_flag_lives_in_the_instance_dict_like_torch():
    m = nn.Linear(2, 2)
    assert vars(m)["training"] is True
    m.eval()
    assert vars(m)["training"] is False and not m.training
    m.__dict__["training"] = True
    assert m.training

    class Frozen(nn.Module):
        training = False  # a class attribute: train() still sets the instance's flag

    f = Frozen()
    f.train()
    assert f.training is True


def test_custom_optimizer_rebinding_its_state_while_traced_warns():
    class Rebinding(ember.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self):
            with ember.no_grad():
                for p in self.param_groups[0]["params"]:
                    st = self.state[p]
                    st["buf"] = st["buf"] * 0.9 + p.grad if "buf" in st else p.grad.clone()
                    p.sub_(0.1 * st["buf"])

    w = ember.zeros(2, requires_grad=True)
    opt = Rebinding([w])

    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()

    step(ember.ones(2))  # eager: creates the buffer
    with pytest.warns(RuntimeWarning, match=r"optimizer state 'buf' \(a tensor\) is replaced"):
        jit.function(step)(ember.ones(2))


# ---- .grad tensors replaced outside the graph, requires_grad changes, -0.0 arguments -----------


@pytest.mark.parametrize("use_trace", [False, True])
def test_a_traced_optimizer_step_reads_the_current_grad_tensor(use_trace):
    # zero_grad() (set_to_none) and a new backward replace .grad between calls: the graph must
    # read the new tensor, not the one it saw when traced.
    def run(mode):
        w = nn.Parameter(ember.zeros(2))
        opt = ember.optim.Adam([w], lr=0.1)
        step = None if mode == "eager" else jit.function(lambda: opt.step())
        for i, x in enumerate(([1.0, 2.0], [-10.0, 20.0], [100.0, -200.0])):
            opt.zero_grad()
            (w * ember.tensor(x)).sum().backward()
            if mode == "eager":
                opt.step()
            elif mode == "trace":
                if step is None or i == 0:
                    step = jit.trace(lambda: opt.step(), ())  # tracing runs the step once
                else:
                    step()
            else:
                step()
        return w.detach().numpy()

    np.testing.assert_array_equal(run("trace" if use_trace else "function"), run("eager"))


def test_gradient_accumulation_with_a_traced_update_reads_each_new_grad():
    def run(traced):
        w = nn.Parameter(ember.zeros(2))
        opt = ember.optim.SGD([w], lr=1.0)

        def update():
            opt.step()
            opt.zero_grad()

        fn = jit.function(update) if traced else update
        for x in ([1.0, 2.0], [10.0, 20.0], [100.0, 200.0]):
            (w * ember.tensor(x)).sum().backward()
            fn()
        return w.detach().numpy()

    np.testing.assert_array_equal(run(True), [-111.0, -222.0])
    np.testing.assert_array_equal(run(False), [-111.0, -222.0])


@pytest.mark.parametrize("start_frozen", [False, True])
def test_freezing_or_unfreezing_a_parameter_after_tracing_is_seen(start_frozen):
    def run(traced):
        a, b = nn.Parameter(ember.ones(3)), nn.Parameter(ember.ones(3))
        a.requires_grad_(not start_frozen)
        opt = ember.optim.SGD([a, b], lr=0.1)

        def step(x):
            opt.zero_grad()
            (a * b * x).sum().backward()
            opt.step()

        fn = jit.function(step) if traced else step
        x = ember.ones(3)
        fn(x)
        fn(x)
        a.requires_grad_(start_frozen)
        fn(x)
        fn(x)
        return a.detach().numpy(), b.detach().numpy()

    for got, want in zip(run(True), run(False)):
        np.testing.assert_array_equal(got, want)


def test_jit_trace_raises_when_requires_grad_changed():
    w = nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()

    traced = jit.trace(step, (ember.ones(2),))
    w.requires_grad_(False)
    with pytest.raises(jit.JitGuardError, match="requires_grad=True; it is False now"):
        traced(ember.ones(2))


def test_zero_and_negative_zero_arguments_are_different_signatures():
    x = ember.ones(3)
    f = jit.function(lambda x, s: x / s)
    assert f(x, 0.0).numpy().tolist() == [np.inf] * 3
    assert f(x, -0.0).numpy().tolist() == [-np.inf] * 3
    assert np.isnan(f(x, float("nan")).numpy()).all() and np.isnan(f(x, float("nan")).numpy()).all()
    assert len(f.traces) == 3  # every NaN is the same argument
    traced = jit.trace(lambda x, s: x / s, (x, 0.0))
    with pytest.raises(ValueError, match="was traced for arguments"):
        traced(x, -0.0)


def test_namedtuple_arguments_are_flattened_and_cached():
    import collections

    Batch = collections.namedtuple("Batch", "x y")
    f = jit.function(lambda b: Batch(b.x * 2, b.y + 1))
    for i in range(12):
        out = f(Batch(ember.ones(3) * i, ember.zeros(2)))
    assert isinstance(out, Batch) and len(f.traces) == 1
    np.testing.assert_array_equal(out.x.numpy(), [22.0] * 3)


def test_a_step_that_sets_requires_grad_itself_is_traced_once():
    # The GAN pattern: the step freezes and unfreezes D around the two updates.
    ember.manual_seed(0)
    G, D = nn.Linear(3, 3), nn.Linear(3, 1)
    oG = ember.optim.SGD(G.parameters(), lr=0.1)
    oD = ember.optim.SGD(D.parameters(), lr=0.1)
    runs = []

    def step(z):
        runs.append(1)
        for p in D.parameters():
            p.requires_grad_(True)
        oD.zero_grad()
        D(G(z).detach()).sum().backward()
        oD.step()
        for p in D.parameters():
            p.requires_grad_(False)
        oG.zero_grad()
        D(G(z)).sum().backward()
        oG.step()

    f = jit.function(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "traced again" warning
        for _ in range(10):
            f(ember.ones(4, 3))
    assert len(runs) <= 2  # the first call starts with D trainable, the next ones frozen


def test_freezing_a_traced_inference_model_needs_no_retrace():
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    tm = jit.trace(m, (ember.ones(3, 4),))
    for p in m.parameters():
        p.requires_grad_(False)
    x = ember.randn(3, 4)
    with ember.no_grad():
        np.testing.assert_array_equal(tm(x).numpy(), m(x).numpy())


def test_numpy_float_arguments_key_like_python_floats():
    x = ember.ones(2)
    f = jit.function(lambda x, s: x / s)
    assert f(x, np.float64(0.0)).numpy().tolist() == [np.inf, np.inf]
    assert f(x, np.float64(-0.0)).numpy().tolist() == [-np.inf, -np.inf]
    for _ in range(3):
        f(x, np.float64("nan"))
    assert len(f.traces) == 3


def test_saved_graph_with_a_grad_param_holds_the_current_gradient(tmp_path):
    w = nn.Parameter(ember.zeros(2))
    opt = ember.optim.SGD([w], lr=1.0)
    (w * ember.tensor([1.0, 2.0])).sum().backward()
    traced = jit.trace(lambda: opt.step(), ())
    opt.zero_grad()
    (w * ember.tensor([3.0, 4.0])).sum().backward()
    jit.save(traced, tmp_path / "s.ejit")
    assert any(t.detach().numpy().tolist() == [3.0, 4.0] for t in traced.graph.params())


def test_occasional_retraces_do_not_warn():
    # An LR scheduler stepped once per epoch: retraces are rare next to the calls.
    _, opt, step = _scalar_sgd_step()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(120):
            if i % 10 == 0:
                opt.param_groups[0]["lr"] = 0.01 * (i + 1)
            step(ember.ones(1))
    assert not [c for c in caught if issubclass(c.category, RuntimeWarning)]


def test_inplace_activation_on_a_view_of_a_leaf_raises_as_torch():
    x = ember.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"relu\(inplace=True\): a view of a leaf tensor"):
        F.relu(x[0:1], inplace=True)


def test_a_burst_of_retraces_after_a_long_quiet_run_warns():
    _, opt, step = _scalar_sgd_step()
    for _ in range(300):
        step(ember.ones(1))
    assert _retrace_warnings(opt, step, 12)


def test_a_per_step_lr_change_falls_back_to_eager_calls_with_growing_pauses():
    # A scheduler that changes the lr every call (OneCycleLR stepped per batch): after a burst
    # of retraces the calls run eagerly for 64 calls, then tracing is tried again (a burst
    # again: 128 eager calls, ...). Weights follow the eager run exactly throughout.
    w, opt, step = _scalar_sgd_step()
    w_eager = ember.zeros(1, requires_grad=True)
    opt_eager = ember.optim.SGD([w_eager], lr=1.0)
    traces = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(300):
            lr = 0.001 * (i + 1)
            opt.param_groups[0]["lr"] = lr
            opt_eager.param_groups[0]["lr"] = lr
            before = step._guard_retraces
            step(ember.full((1,), 0.5))
            traces += step._guard_retraces - before
            opt_eager.zero_grad()
            (w_eager * 0.5).sum().backward()
            opt_eager.step()
    np.testing.assert_array_equal(w.detach().numpy(), w_eager.detach().numpy())
    # Bursts of 8 retraces at calls 2-9, 74-81 and 210-217; eager calls in between.
    assert traces == 24
    assert len([c for c in caught if issubclass(c.category, RuntimeWarning)]) == 1
