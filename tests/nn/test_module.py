"""Module: registration, traversal, modes, state_dict, hooks, repr, error paths."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn

from ._util import to_np


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 10)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(10, 10)
        self.register_buffer("steps", ember.zeros(1))
        self.register_buffer("scratch", ember.ones(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameter_is_tensor_sharing_data():
    data = ember.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.data_ptr() == data.data_ptr()
    data.fill_(2.0)
    np.testing.assert_array_equal(to_np(p), [2.0, 2.0, 2.0])
    assert not nn.Parameter(ember.zeros(2), requires_grad=False).requires_grad
    assert repr(nn.Parameter(ember.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    )
    with pytest.raises(TypeError, match="Parameter: data must be a Tensor"):
        nn.Parameter([1.0])


def test_parameter_works_in_ops_and_autograd():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    np.testing.assert_array_equal(to_np(p.grad), [2.0, 4.0])


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(net.children())[0] is net.fc1
    assert len(list(net.modules())) == 4
    assert net.get_submodule("fc2") is net.fc2
    assert [n for n, _ in net.fc1.named_parameters(prefix="x")] == ["x.weight", "x.bias"]
    assert list(net.named_parameters(recurse=False)) == []


def test_shared_parameters_listed_once():
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    net[1].weight = net[0].weight
    assert len(list(net.parameters())) == 3


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = ember.zeros(2)
    m.w = None
    assert m.w is None
    m.register_buffer("b", ember.zeros(1))
    m.b = ember.ones(1)
    assert m._buffers["b"].item() == 1.0
    with pytest.raises(TypeError, match="buffer"):
        m.b = 3
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("training", ember.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="ember.nn.Parameter or None required"):
        m.register_parameter("q", ember.zeros(1))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        m.nothing
    del m.b
    assert "b" not in m._buffers


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing"):
        nn.Module()(1)


def test_train_eval_and_dropout_mode():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert net.training and net[1].training
    assert net.eval() is net
    assert not net.training and not net[1].training
    x = ember.ones(4, 2)
    np.testing.assert_array_equal(to_np(net[1](x)), to_np(x))
    net.train()
    assert net[1].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(ember.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(to_np(p.grad) == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]


def test_to_dtype_converts_floating_parameters_and_buffers():
    net = Net()
    net.register_buffer("count", ember.zeros(1, dtype=ember.int64))
    before = to_np(net.fc1.weight)
    assert net.to(ember.float64) is net
    assert all(p.dtype == ember.float64 for p in net.parameters())
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    assert net.steps.dtype == ember.float64 and net.count.dtype == ember.int64
    np.testing.assert_allclose(to_np(net.fc1.weight), before, rtol=1e-7)
    out = net(ember.randn(2, 4, dtype=ember.float64))
    assert out.dtype == ember.float64
    net.float()
    assert net.fc2.bias.dtype == ember.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(ember.int64)


def test_state_dict_round_trip():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] or list(
        sd
    ) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "steps"]
    assert "scratch" not in sd
    assert not sd["fc1.weight"].requires_grad
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    x = ember.randn(3, 4)
    np.testing.assert_array_equal(to_np(a(x)), to_np(b(x)))
    # loaded values are copies, not aliases
    a.fc1.weight.detach().fill_(0.0)
    assert not np.all(to_np(b.fc1.weight) == 0)


def test_state_dict_key_order_matches_torch():
    torch = pytest.importorskip("torch")

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 10)
            self.act = torch.nn.ReLU()
            self.fc2 = torch.nn.Linear(10, 10)
            self.register_buffer("steps", torch.zeros(1))
            self.register_buffer("scratch", torch.ones(2), persistent=False)

    assert list(Net().state_dict()) == list(TNet().state_dict())


def test_load_state_dict_errors_leave_module_unchanged():
    net = Net()
    before = {k: to_np(v) for k, v in net.state_dict().items()}
    sd = Net().state_dict()
    del sd["fc2.bias"]
    sd["extra.weight"] = ember.zeros(1)
    sd["fc1.weight"] = ember.zeros(3, 4)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for fc1.weight" in msg and "[3, 4]" in msg and "[10, 4]" in msg
    after = net.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(to_np(after[k]), v)


def test_load_state_dict_non_strict():
    net = Net()
    sd = Net().state_dict()
    del sd["fc2.bias"]
    sd["extra"] = ember.zeros(1)
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc2.bias"] and res.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(to_np(net.fc1.weight), to_np(sd["fc1.weight"]))


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 0.0,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1.0

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    out = lin(ember.randn(3, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(to_np(out), np.tile(to_np(lin.bias) + 1.0, (3, 1)), rtol=1e-6)
    h1.remove()
    h2.remove()
    x = ember.randn(3, 2)
    np.testing.assert_array_equal(to_np(lin(x)), to_np(F.linear(x, lin.weight, lin.bias)))
    assert calls == ["pre", "post"]


def test_hook_returning_none_keeps_output_and_sees_inputs():
    seen = {}
    net = Net()
    net.fc1.register_forward_hook(lambda m, a, o: seen.update(shape=tuple(o.shape)))
    net(ember.randn(5, 4))
    assert seen["shape"] == (5, 10)


def test_repr_matches_torch_for_small_sequential():
    torch = pytest.importorskip("torch")
    e = nn.Sequential(
        nn.Linear(4, 8),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.LayerNorm(8),
        nn.Linear(8, 2, bias=False),
        nn.GELU(),
        nn.Softmax(dim=1),
        nn.Embedding(10, 3, padding_idx=0),
        nn.Flatten(),
        nn.LeakyReLU(0.2),
        nn.Identity(),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.SiLU(),
        nn.LogSoftmax(dim=-1),
    )
    t = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.1),
        torch.nn.LayerNorm(8),
        torch.nn.Linear(8, 2, bias=False),
        torch.nn.GELU(),
        torch.nn.Softmax(dim=1),
        torch.nn.Embedding(10, 3, padding_idx=0),
        torch.nn.Flatten(),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Identity(),
        torch.nn.Tanh(),
        torch.nn.Sigmoid(),
        torch.nn.SiLU(),
        torch.nn.LogSoftmax(dim=-1),
    )
    assert repr(e) == repr(t)
    assert repr(Net()) == (
        "Net(\n  (fc1): Linear(in_features=4, out_features=10, bias=True)\n"
        "  (act): ReLU()\n  (fc2): Linear(in_features=10, out_features=10, bias=True)\n)"
    )
    ml_e = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    ml_t = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()])
    assert repr(ml_e) == repr(ml_t)
    nested_e = nn.Sequential(nn.Sequential(nn.Linear(1, 1)), nn.ReLU())
    nested_t = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(1, 1)), torch.nn.ReLU())
    assert repr(nested_e) == repr(nested_t)


def test_error_in_submodule_is_prefixed_once():
    class Net2(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 12)
            self.fc2 = nn.Linear(10, 10)

        def forward(self, x):
            return self.fc2(self.fc1(x))

    net = Net2()
    with pytest.raises(ValueError) as info:
        net(ember.randn(2, 4))
    msg = str(info.value)
    assert msg.startswith(
        "in Net2.fc2 (Linear(in_features=10, out_features=10, bias=True)): "
        "linear: input.shape[-1] (12) must equal in_features (10)"
    )
    assert msg.count(" in ") == 0 or msg.count("in Net2") == 1


def test_error_prefix_nested_containers_and_type_kept():
    net = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), nn.Linear(5, 2)))
    with pytest.raises(
        ValueError,
        match=r"^in Sequential\.1\.1 \(Linear\(in_features=5, "
        r"out_features=2, bias=True\)\): linear: ",
    ):
        net(ember.randn(2, 3))
    emb = nn.Sequential(nn.Embedding(3, 2))
    with pytest.raises(IndexError, match=r"^in Sequential\.0 \(Embedding\(3, 2\)\): embedding"):
        emb(ember.tensor([5]))


def test_error_directly_in_module():
    with pytest.raises(ValueError, match=r"^in Linear \(Linear\(in_features=2, "):
        nn.Linear(2, 2)(ember.randn(1, 3))


def test_hook_with_kwargs_and_prepend_order():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"factor": 3.0}), with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, a, kw, o: seen.update(kw), with_kwargs=True)
    out = m(ember.ones(2), factor=2.0)
    np.testing.assert_array_equal(to_np(out), [3.0, 3.0])
    assert order == ["first", "second"] and seen == {"factor": 3.0}


def test_to_converts_existing_grads():
    lin = nn.Linear(2, 2)
    lin(ember.randn(1, 2)).sum().backward()
    lin.double()
    assert lin.weight.grad.dtype == ember.float64


def test_load_state_dict_converts_dtype_and_rejects_non_tensor():
    a = nn.Linear(2, 2).double()
    b = nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_allclose(to_np(b.weight), to_np(a.weight).astype(np.float32))
    sd = a.state_dict()
    sd["bias"] = [0.0, 0.0]
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        b.load_state_dict(sd)


def test_non_persistent_buffer_and_register_parameter():
    m = nn.Module()
    m.register_buffer("tmp", ember.zeros(1), persistent=False)
    m.register_parameter("w", nn.Parameter(ember.ones(2)))
    assert list(m.state_dict()) == ["w"]
    assert [n for n, _ in m.named_buffers()] == ["tmp"]


def test_numpy_or_list_input_error_names_the_op_and_types_without_dumping_values():
    lin = nn.Linear(784, 10)
    with pytest.raises(TypeError) as info:
        lin(np.zeros((2, 784), np.float32))
    msg = str(info.value)
    assert msg.startswith("in Linear (")
    assert "linear: expected ember.Tensor inputs" in msg
    assert "numpy.ndarray(2, 784) float32" in msg
    assert "ember.from_numpy" in msg
    assert "_linear" not in msg and "array([" not in msg and "Parameter containing" not in msg
    assert len(msg) < 600
    with pytest.raises(TypeError, match=r"in Sequential\.0 .*called with \(list\)"):
        nn.Sequential(nn.Linear(3, 2))([1.0, 2.0, 3.0])


def test_dtype_conversion_keeps_tied_parameters_and_buffers_tied():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 3)
            self.out = nn.Linear(3, 5, bias=False)
            self.out.weight = self.emb.weight
            self.a = nn.Module()
            self.b = nn.Module()
            shared = ember.zeros(2)
            self.a.register_buffer("s", shared)
            self.b.register_buffer("s", shared)

    m = Tied()
    m.emb.weight.grad = ember.ones(5, 3)
    m.double()
    assert m.out.weight is m.emb.weight and m.emb.weight.dtype == ember.float64
    assert m.emb.weight.grad.dtype == ember.float64
    assert len(list(m.parameters())) == 1
    assert m.a.s is m.b.s and m.a.s.dtype == ember.float64
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m.out(ember.ones(1, 3, dtype=ember.float64)).sum().backward()
    opt.step()
    np.testing.assert_array_equal(m.out.weight.detach().numpy(), m.emb.weight.detach().numpy())
