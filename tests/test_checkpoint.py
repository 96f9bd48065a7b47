"""ember.utils.checkpoint (activation checkpointing) and ember.random (generator state): the
same values and gradients as without checkpointing and as PyTorch, dropout replayed, less peak
memory, and clear errors."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")


def _mlp(lib, widths, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        lin = lib.nn.Linear(a, b)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.standard_normal((b, a)).astype(np.float32) / np.sqrt(a)))
            lin.bias.copy_(lib.tensor(rng.standard_normal(b).astype(np.float32)))
        layers += [lin, lib.nn.Tanh()]
    return lib.nn.Sequential(*layers)


def _grads(model, *extra):
    return [p.grad.numpy().copy() for p in list(model.parameters()) + list(extra)]


def test_gradients_equal_the_direct_call_with_dropout_replayed():
    model = ember.nn.Sequential(ember.nn.Linear(6, 12), ember.nn.ReLU(), ember.nn.Dropout(0.5),
                                ember.nn.Linear(12, 3))
    x = ember.randn(7, 6, requires_grad=True)
    ember.manual_seed(5)
    y_ck = checkpoint(model, x, use_reentrant=False)
    y_ck.pow(2).sum().backward()
    ck = _grads(model, x)
    model.zero_grad()
    x.grad = None
    ember.manual_seed(5)
    y = model(x)
    y.pow(2).sum().backward()
    np.testing.assert_array_equal(y_ck.detach().numpy(), y.detach().numpy())
    for a, b in zip(ck, _grads(model, x)):
        np.testing.assert_array_equal(a, b)


def test_matches_torch_checkpoint_values_and_gradients():
    widths = [5, 9, 9, 4]
    xs = np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)
    res = {}
    for lib in (ember, torch):
        model = _mlp(lib, widths)
        x = lib.tensor(xs, requires_grad=True)
        ck = lib.utils.checkpoint.checkpoint
        h = ck(model[:2], x, use_reentrant=False)
        y = ck(model[2:], h, use_reentrant=False)
        (y * y).sum().backward()
        res[lib.__name__] = [y.detach().numpy()] + _grads(model, x)
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_parameters_get_gradients_when_no_argument_requires_grad():
    model = _mlp(ember, [4, 6, 2])
    x = ember.randn(3, 4)
    y = checkpoint(model, x, use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    ck = _grads(model)
    model.zero_grad()
    model(x).sum().backward()
    for a, b in zip(ck, _grads(model)):
        np.testing.assert_array_equal(a, b)


def test_several_outputs_non_tensor_arguments_and_keyword_arguments():
    w = ember.randn(4, 4, requires_grad=True)

    def region(a, scale, b, *, shift):
        h = (a @ w) * scale + shift
        return h.tanh(), (b * h).sum(1)

    a = ember.randn(3, 4, requires_grad=True)
    b = ember.randn(3, 4, requires_grad=True)
    p, q = checkpoint(region, a, 2.0, b, shift=0.5, use_reentrant=False)
    (p.sum() + (q * q).sum()).backward()
    got = [t.grad.numpy().copy() for t in (a, b, w)]
    for t in (a, b, w):
        t.grad = None
    p2, q2 = region(a, 2.0, b, shift=0.5)
    (p2.sum() + (q2 * q2).sum()).backward()
    for g, t in zip(got, (a, b, w)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-6)
    # An output whose gradient is not needed
    a.grad = None
    p, q = checkpoint(region, a, 2.0, b, shift=0.5)
    p.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ember.autograd.grad(region(a, 2.0, b, shift=0.5)[0].sum(), [a])[0].numpy(), rtol=1e-6)


def test_checkpoint_sequential_matches_the_plain_model_and_keeps_less_memory():
    model = _mlp(ember, [256] * 17)  # 16 Linear+Tanh layers, 32 modules
    x = ember.randn(512, 256, requires_grad=True)

    def measure(run):
        model.zero_grad()
        x.grad = None
        ember.reset_peak_memory_stats()
        base = ember.memory_stats()["allocated_bytes"]
        out = run()
        kept = ember.memory_stats()["allocated_bytes"] - base
        out.sum().backward()
        return kept, ember.memory_stats()["peak_allocated_bytes"] - base, out

    kept, peak, out = measure(lambda: model(x))
    plain = _grads(model, x)
    kept_ck, peak_ck, out_ck = measure(lambda: checkpoint_sequential(model, 4, x,
                                                                     use_reentrant=False))
    np.testing.assert_array_equal(out.detach().numpy(), out_ck.detach().numpy())
    for a, b in zip(plain, _grads(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Kept for backward: 16 activations of 512 KB without checkpointing; with 4 segments, the
    # 3 segment outputs and the last segment's 4 activations.
    assert kept >= 16 * 512 * 1024
    assert kept_ck <= 8 * 512 * 1024, (kept_ck, kept)
    assert peak_ck < 0.85 * peak, (peak_ck, peak)


def test_under_no_grad_it_is_a_plain_call():
    model = _mlp(ember, [3, 3])
    with ember.no_grad():
        y = checkpoint(model, ember.ones(2, 3))
    assert not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), model(ember.ones(2, 3)).detach().numpy())


def test_errors_name_the_problem():
    x = ember.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="checkpoint: the function must return a Tensor"):
        checkpoint(lambda t: {"y": t}, x)
    with pytest.raises(NotImplementedError, match="context_fn"):
        checkpoint(lambda t: t, x, context_fn=lambda: None)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda t: t, x, determinism_check="all")
    with pytest.raises(ValueError, match="segments must be at least 1"):
        checkpoint_sequential([lambda t: t], 0, x)
    calls = []

    def changes_shape(t):
        calls.append(1)
        return t * 2 if len(calls) == 1 else t[:1] * 2

    y = checkpoint(changes_shape, x)
    with pytest.raises(RuntimeError, match=r"recomputed outputs have shapes \[\(1,\)\], the first "
                                           r"run's were \[\(2,\)\]"):
        y.sum().backward()


def test_rng_state_round_trip_fork_and_bad_states():
    ember.manual_seed(11)
    s = ember.get_rng_state()
    assert s.dtype == ember.uint8 and s.dim() == 1
    a = ember.rand(5)
    ember.set_rng_state(s)
    np.testing.assert_array_equal(ember.rand(5).numpy(), a.numpy())
    ember.set_rng_state(s)
    with ember.random.fork_rng():
        ember.randn(100)
    np.testing.assert_array_equal(ember.rand(5).numpy(), a.numpy())
    g = ember.Generator().manual_seed(3)
    gs = g.get_state()
    b = ember.rand(4, generator=g)
    np.testing.assert_array_equal(ember.rand(4, generator=g.set_state(gs)).numpy(), b.numpy())
    ember.set_rng_state(s)
    with pytest.raises(ValueError, match="set_state: not a generator state"):
        ember.set_rng_state(ember.zeros(10, dtype=ember.uint8))
    with pytest.raises(TypeError, match="1-D uint8"):
        ember.set_rng_state(ember.zeros(10))
    with pytest.raises(TypeError, match="set_rng_state: expected the uint8 tensor"):
        ember.set_rng_state([1, 2])
    np.testing.assert_array_equal(ember.rand(5).numpy(), a.numpy())  # unchanged by the failures


def test_autograd_grad_and_second_derivatives_through_a_checkpointed_module_match_torch():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((4, 3))
    res = {}
    for lib in (ember, torch):
        seq = _mlp(lib, [3, 5, 3]).double()
        x = lib.tensor(xs, requires_grad=True)
        y = lib.utils.checkpoint.checkpoint(seq, x, use_reentrant=False)
        gw, gx = lib.autograd.grad((y ** 2).sum(), [seq[0].weight, x], create_graph=True)
        assert seq[0].weight.grad is None  # grad does not touch .grad
        (hx,) = lib.autograd.grad((gx ** 2).sum() + gw.sum(), [x])
        res[lib.__name__] = [t.detach().numpy() for t in (gw, gx, hx)]
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_frozen_module_with_inputs_not_requiring_grad_gives_an_output_without_grad():
    model = _mlp(ember, [3, 3])
    model.requires_grad_(False)
    assert not checkpoint(model, ember.ones(2, 3)).requires_grad


def test_plain_functions_raise_clearly_for_second_derivatives():
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(checkpoint(lambda t: t ** 3, x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), 3 * x.detach().numpy() ** 2, rtol=1e-14)
    with pytest.raises(RuntimeError, match="create_graph backward .* through a checkpointed "
                                           "plain function is not supported"):
        ember.autograd.grad(checkpoint(lambda t: t ** 3, x).sum(), [x], create_graph=True)


def test_checkpoint_in_a_traced_step_matches_eager():
    lin = _mlp(ember, [2, 3, 2])

    def step(x):
        y = checkpoint(lin, x, use_reentrant=False)
        y.pow(2).sum().backward()
        return x.grad

    fn = ember.jit.function(step)
    for seed in range(3):
        v = np.random.default_rng(seed).standard_normal((4, 2)).astype(np.float32)
        a = ember.tensor(v, requires_grad=True)
        b = ember.tensor(v, requires_grad=True)
        np.testing.assert_array_equal(fn(a).numpy(), step(b).numpy())


def test_a_truncated_or_edited_rng_state_is_refused():
    s = ember.get_rng_state()
    for bad in (s[:-1], s[:-2], ember.cat([s, ember.tensor([32], dtype=ember.uint8)])):
        with pytest.raises(ValueError, match="not a generator state"):
            ember.set_rng_state(bad)
