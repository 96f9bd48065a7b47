"""Module.register_full_backward_hook / register_full_backward_pre_hook: what the hooks see and
what replacing gradients does, against PyTorch."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
W = rng.standard_normal((3, 4)).astype(np.float32)
X = rng.standard_normal((2, 4)).astype(np.float32)
H = rng.standard_normal((2, 3)).astype(np.float32)


class Mix:
    """A module of two tensor inputs (one may not require grad) and two outputs."""

    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(4, 3)
                with lib.no_grad():
                    self.lin.weight.copy_(lib.tensor(W))
                    self.lin.bias.zero_()

            def forward(self, x, h, scale=1.0):
                y = self.lin(x) * scale
                return y + h, (y * h).sum(1)

        return M()


def _run(lib, h_grad, replace):
    m = Mix.make(lib)
    seen = []
    m.register_full_backward_pre_hook(
        lambda mod, go: seen.append(("pre", [g.numpy().copy() for g in go])))

    def full(mod, gi, go):
        seen.append(("full", [None if g is None else g.numpy().copy() for g in gi],
                      [g.numpy().copy() for g in go]))
        if replace:
            return tuple(None if g is None else g * 3 for g in gi)
        return None

    m.register_full_backward_hook(full)
    x = lib.tensor(X, requires_grad=True)
    h = lib.tensor(H, requires_grad=h_grad)
    a, b = m(x, h, scale=2.0)
    (a.sum() + (b * b).sum()).backward()
    return seen, x.grad.numpy(), None if not h_grad else h.grad.numpy()


@pytest.mark.parametrize("h_grad", [True, False])
@pytest.mark.parametrize("replace", [False, True])
def test_hooks_see_and_replace_gradients_as_torch(h_grad, replace):
    se, gxe, ghe = _run(ember, h_grad, replace)
    st, gxt, ght = _run(torch, h_grad, replace)
    assert [s[0] for s in se] == [s[0] for s in st] == ["pre", "full"]
    for (ke, *ve), (kt, *vt) in zip(se, st):
        for le, lt in zip(ve, vt):
            assert len(le) == len(lt)
            for a, b in zip(le, lt):
                # An input that does not require grad: ember gives None, PyTorch zeros.
                if a is None and b is not None:
                    np.testing.assert_array_equal(b, np.zeros_like(b))
                    continue
                assert (a is None) == (b is None)
                if b is not None:
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gxe, gxt, rtol=1e-5, atol=1e-6)
    if h_grad:
        np.testing.assert_allclose(ghe, ght, rtol=1e-5, atol=1e-6)


def test_a_pre_hook_can_replace_the_output_gradient_and_handles_remove():
    lin = ember.nn.Linear(4, 3)
    h = lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    x = ember.tensor(X, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(X))
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.zeros((3, 4), np.float32))
    h.remove()
    x.grad = None
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.tile(lin.weight.detach().numpy().sum(0), (2, 1)),
                               rtol=1e-6)


def test_hook_with_inputs_not_requiring_grad_fires_with_none():
    lin = ember.nn.Linear(4, 3)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    lin(ember.tensor(X)).sum().backward()
    assert len(seen) == 1 and seen[0][0] == (None,)
    np.testing.assert_array_equal(seen[0][1][0].numpy(), np.ones((2, 3), np.float32))


def test_a_hook_returning_the_wrong_number_of_gradients_is_named():
    lin = ember.nn.Linear(4, 3)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="backward hook of Linear: returned 2 gradients for 1"):
        lin(ember.tensor(X, requires_grad=True)).sum().backward()


def test_tuple_outputs_with_nested_elements_give_one_entry_per_element_as_torch():
    res = []
    for lib in (ember, torch):
        class M(lib.nn.Module):
            def forward(self, x):
                return x * 2, (x * 3, x * 4)

        m = M()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, (b, c) = m(x)
        (a.sum() + b.sum() * 0).backward()
        gi, go = seen[0]
        res.append((len(go), go[0].numpy().tolist(), go[1] is None, gi[0].numpy().tolist()))
        lstm = lib.nn.LSTM(3, 4)
        got = []
        lstm.register_full_backward_hook(lambda mod, gi, go: got.append(len(go)))
        out, _ = lstm(lib.ones(2, 1, 3, requires_grad=True))
        out.sum().backward()
        res.append(got)
    assert res[0] == res[2] and res[1] == res[3]
