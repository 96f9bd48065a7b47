"""ember.nn.utils.parametrizations.orthogonal: orthogonality of every map (with and without the
trivialization, square, tall, wide and batched, float32 and float64), initial values,
assignment, optimizer steps, gradients, errors, and PyTorch (torch 2.13 CPU) as the oracle for
values, gradients and state_dict keys when both start from the same originals."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import nn
from ember.autograd import gradcheck
from ember.nn.utils import parametrize
from ember.nn.utils.parametrizations import orthogonal

from ._util import to_np

MAPS = ["matrix_exp", "cayley", "householder"]
SHAPES = [(4, 4), (6, 3), (3, 6), (2, 5, 3), (2, 3, 4, 4)]
DTYPES = [ember.float32, ember.float64]
F64 = {"rtol": 1e-7, "atol": 1e-10}
# float32: the gradient through householder_product (k rank-1 updates, summed in another order
# than LAPACK's orgqr backward in PyTorch) differs by up to ~2e-6 on O(1) entries.
# float32: gradient entries are sums of terms up to ~10 in size; where they cancel, a few ulps
# of those terms (~2e-6) remain, in another order than PyTorch's kernels.
F32 = {"rtol": 1e-5, "atol": 5e-6}


def _tol(dtype):
    return F64 if dtype == ember.float64 else F32


def assert_orthogonal(Q, atol=None):
    """``Q`` ``(*, m, n)`` has orthonormal columns (``m >= n``) or rows (``m < n``)."""
    q = to_np(Q).astype(np.float64)
    if q.shape[-2] < q.shape[-1]:
        q = np.swapaxes(q, -1, -2)
    if atol is None:
        atol = 1e-12 if Q.dtype == ember.float64 else 2e-6
    gram = np.swapaxes(q, -1, -2) @ q
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(q.shape[-1]), gram.shape), atol=atol)


def assert_matches_torch(e, t, tol):
    """An ember tensor equals a torch tensor (shape and values)."""
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **tol)


def _holder(shape, dtype=ember.float64, values=None):
    """A module with one Parameter ``weight``."""
    m = nn.Module()
    w = ember.randn(*shape, dtype=dtype) if values is None else ember.tensor(values, dtype=dtype)
    m.weight = nn.Parameter(w)
    return m


def _q_factor(a):
    """numpy's Q of ``a = Q R`` (``a`` tall), columns signed so that ``diag(R) >= 0``."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


# ---- orthogonality ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_weight_is_orthogonal(shape, dtype, orthogonal_map, use_trivialization):
    m = _holder(shape, dtype)
    orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    Q = m.weight
    assert tuple(Q.shape) == shape and Q.dtype == dtype
    assert_orthogonal(Q)


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6)], ids=str)
def test_weight_stays_orthogonal_for_any_original(shape, orthogonal_map, use_trivialization):
    m = _holder(shape)
    orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    original = m.parametrizations.weight.original
    noise = 3.0 * ember.randn(*shape, dtype=ember.float64)
    if orthogonal_map == "householder":  # the diagonal holds the signs (+1/-1): keep it
        noise = noise.tril(-1) + noise.triu(1)
    with ember.no_grad():
        original.add_(noise)
    assert_orthogonal(m.weight)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((4, 4), "matrix_exp"),
        ((2, 3, 3), "matrix_exp"),
        ((5, 2), "householder"),
        ((2, 5), "householder"),
    ],
)
def test_default_map_is_matrix_exp_for_square_else_householder(shape, expected):
    m = orthogonal(_holder(shape))
    assert m.parametrizations.weight[0].orthogonal_map.name == expected


# ---- initial values and assignment -----------------------------------------------------------


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_orthogonal_square_weight_is_kept(orthogonal_map):
    q0 = _q_factor(np.random.randn(5, 5))
    m = orthogonal(_holder((5, 5), values=q0), orthogonal_map=orthogonal_map)
    np.testing.assert_allclose(to_np(m.weight), q0, atol=1e-12)
    np.testing.assert_allclose(to_np(m.parametrizations.weight.original), -np.eye(5))
    np.testing.assert_allclose(to_np(m.parametrizations.weight[0].base), q0)


@pytest.mark.parametrize(
    ("orthogonal_map", "use_trivialization"),
    [("matrix_exp", True), ("cayley", True), ("householder", True), ("householder", False)],
)
def test_non_orthogonal_weight_starts_as_its_q_factor(orthogonal_map, use_trivialization):
    w = np.random.randn(2, 4, 4)
    m = orthogonal(
        _holder((2, 4, 4), values=w),
        orthogonal_map=orthogonal_map,
        use_trivialization=use_trivialization,
    )
    np.testing.assert_allclose(to_np(m.weight), _q_factor(w), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_tall_and_wide_weights_start_as_their_q_factor(orthogonal_map):
    w = np.random.randn(6, 3)
    tall = orthogonal(_holder((6, 3), values=w), orthogonal_map=orthogonal_map)
    wide = orthogonal(_holder((3, 6), values=w.T), orthogonal_map=orthogonal_map)
    base = to_np(tall.parametrizations.weight[0].base)
    assert base.shape == (6, 6)
    np.testing.assert_allclose(to_np(tall.weight), _q_factor(w), atol=1e-12)
    np.testing.assert_allclose(to_np(wide.weight), _q_factor(w).T, atol=1e-12)


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 5, 3)], ids=str)
def test_assigning_an_orthogonal_matrix_sets_the_weight(shape, orthogonal_map, use_trivialization):
    m = orthogonal(
        _holder(shape), orthogonal_map=orthogonal_map, use_trivialization=use_trivialization
    )
    q = np.random.randn(*shape)
    q = (
        np.swapaxes(_q_factor(np.swapaxes(q, -1, -2)), -1, -2)
        if shape[-2] < shape[-1]
        else _q_factor(q)
    )
    original = m.parametrizations.weight.original
    if orthogonal_map != "householder" and not use_trivialization:
        with pytest.raises(NotImplementedError, match="orthogonal: it is not possible to assign"):
            m.weight = ember.tensor(q)
        return
    m.weight = ember.tensor(q)
    np.testing.assert_allclose(to_np(m.weight), q, atol=1e-12)
    assert m.parametrizations.weight.original is original  # written in place


def test_assigning_a_non_orthogonal_matrix_gives_its_q_factor():
    m = orthogonal(_holder((4, 4)))
    w = np.random.randn(4, 4)
    m.weight = ember.tensor(w)
    np.testing.assert_allclose(to_np(m.weight), _q_factor(w), atol=1e-12)


def test_zero_weight_gives_an_orthogonal_matrix():
    # Deviation from PyTorch, whose sgn(diag(R)) = 0 zeroes the columns and returns 0.
    for triv in (True, False):
        m = orthogonal(
            _holder((4, 3), values=np.zeros((4, 3))),
            orthogonal_map="householder",
            use_trivialization=triv,
        )
        assert_orthogonal(m.weight)
    m = orthogonal(_holder((3, 3), values=np.zeros((3, 3))))
    np.testing.assert_allclose(to_np(m.weight), np.eye(3))


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley"])
def test_without_trivialization_exp_and_cayley_start_from_the_map_of_the_weight(orthogonal_map):
    w = np.random.randn(4, 4)
    m = orthogonal(
        _holder((4, 4), values=w), orthogonal_map=orthogonal_map, use_trivialization=False
    )
    np.testing.assert_allclose(to_np(m.parametrizations.weight.original), w)
    a = np.tril(w) - np.tril(w).T
    eye = np.eye(4)
    if orthogonal_map == "cayley":
        expected = np.linalg.solve(eye - a / 2, eye + a / 2)
    else:  # exp(A) of a skew-symmetric A = V exp(i L) V^H from its eigen-decomposition
        lam, vec = np.linalg.eig(a)
        expected = (vec @ np.diag(np.exp(lam)) @ np.linalg.inv(vec)).real
    np.testing.assert_allclose(to_np(m.weight), expected, atol=1e-12)


def test_orthogonal_on_a_parametrized_tensor_needs_an_assignment_first():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

        def right_inverse(self, y):
            return y / 2

    m = parametrize.register_parametrization(_holder((3, 3)), "weight", Double())
    orthogonal(m)
    with pytest.raises(RuntimeError, match="orthogonal: the trivialization's base is not set"):
        m.weight  # noqa: B018
    q = _q_factor(np.random.randn(3, 3))
    m.weight = ember.tensor(q)
    np.testing.assert_allclose(to_np(m.weight), q, atol=1e-12)


# ---- training --------------------------------------------------------------------------------


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("dims", [(5, 5), (3, 6), (6, 3)], ids=str)
def test_optimizer_steps_keep_the_weight_orthogonal(dims, orthogonal_map, use_trivialization):
    in_f, out_f = dims
    lin = orthogonal(
        nn.Linear(in_f, out_f), orthogonal_map=orthogonal_map, use_trivialization=use_trivialization
    )
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    x, y = ember.randn(8, in_f), ember.randn(8, out_f)
    w0 = to_np(lin.weight)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((lin(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        assert_orthogonal(lin.weight, atol=1e-5)
    assert not np.allclose(to_np(lin.weight), w0)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)], ids=str)
def test_gradient_of_the_original_matches_finite_differences(
    shape, orthogonal_map, use_trivialization
):
    m = orthogonal(
        _holder(shape), orthogonal_map=orthogonal_map, use_trivialization=use_trivialization
    )
    orth = m.parametrizations.weight[0]
    x = (0.5 * ember.randn(*shape, dtype=ember.float64)).requires_grad_(True)
    if orthogonal_map == "householder":
        # The diagonal holds the signs, truncated to int and not differentiated: 1.5 keeps
        # the truncation constant under the finite-difference steps (1 - eps would give 0).
        x = x.tril(-1) + x.triu(1) + 1.5 * ember.eye(*shape[-2:], dtype=ember.float64)
        x = x.detach()
        x.requires_grad_(True)
    assert gradcheck(orth, (x,))


def test_remove_parametrizations_keeps_the_orthogonal_weight():
    m = orthogonal(nn.Linear(3, 5))
    q = to_np(m.weight)
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear
    np.testing.assert_allclose(to_np(m.weight), q)
    assert_orthogonal(m.weight)


@pytest.mark.parametrize(
    ("use_trivialization", "keys"),
    [
        (True, ["bias", "parametrizations.weight.0.base", "parametrizations.weight.original"]),
        (False, ["bias", "parametrizations.weight.original"]),
    ],
)
def test_state_dict_keys(use_trivialization, keys):
    m = orthogonal(nn.Linear(3, 4), use_trivialization=use_trivialization)
    assert sorted(m.state_dict()) == keys
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]


def test_state_dict_round_trip_restores_the_weight():
    a = orthogonal(nn.Linear(3, 5))
    b = orthogonal(nn.Linear(3, 5))
    b.load_state_dict(a.state_dict())
    np.testing.assert_allclose(to_np(b.weight), to_np(a.weight))


# ---- errors ----------------------------------------------------------------------------------


def test_bad_orthogonal_map_raises():
    with pytest.raises(
        ValueError,
        match=r"orthogonal: orthogonal_map has to be one of "
        r'"matrix_exp", "cayley", "householder", got \'qr\'',
    ):
        orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        orthogonal(nn.Linear(3, 3), orthogonal_map="__class__")
    with pytest.raises(
        TypeError, match="orthogonal: orthogonal_map must be a str or None, got int"
    ):
        orthogonal(nn.Linear(3, 3), orthogonal_map=1)


def test_non_floating_weight_raises():
    m = nn.Module()
    m.register_buffer("weight", ember.ones(3, 3, dtype=ember.int64))
    with pytest.raises(
        TypeError, match="orthogonal: 'weight' must be a float32 or float64 tensor, got int64"
    ):
        orthogonal(m)


def test_one_dim_tensor_raises():
    with pytest.raises(
        ValueError,
        match=r"orthogonal: expected a matrix or batch of matrices "
        r"for 'bias', got a tensor of 1 dimensions \(shape "
        r"\(3,\)\)",
    ):
        orthogonal(nn.Linear(2, 3), name="bias")


def test_missing_tensor_and_bad_module_raise():
    with pytest.raises(
        ValueError, match="orthogonal: module Linear has no parameter or buffer named 'w'"
    ):
        orthogonal(nn.Linear(2, 3), name="w")
    with pytest.raises(TypeError, match="orthogonal: module must be an ember.nn.Module"):
        orthogonal("not a module")


def test_assigning_a_wrong_shape_or_dtype_raises():
    m = orthogonal(nn.Linear(3, 4))
    with pytest.raises(
        ValueError,
        match=r"orthogonal: expected a matrix or batch of matrices "
        r"of shape \(4, 3\), got a tensor of shape \(3, 4\)",
    ):
        m.weight = ember.randn(3, 4)
    with pytest.raises(
        TypeError,
        match="orthogonal: the assigned value must be a float32 or float64 tensor, got int64",
    ):
        m.weight = ember.ones(4, 3, dtype=ember.int64)


# ---- PyTorch as the oracle -------------------------------------------------------------------


def _torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)  # the autouse fixture seeds ember and numpy only
    return torch


def _torch_pair(in_f, out_f, orthogonal_map, use_trivialization, dtype):
    """A torch and an ember Linear, both orthogonal, the ember one loaded with torch's
    state dict (originals, base and bias)."""
    torch = _torch()
    from torch.nn.utils.parametrizations import orthogonal as t_orthogonal

    tdtype = torch.float64 if dtype == ember.float64 else torch.float32
    t_lin = torch.nn.Linear(in_f, out_f).to(tdtype)
    t_orthogonal(t_lin, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    e_lin = orthogonal(
        nn.Linear(in_f, out_f).to(dtype),
        orthogonal_map=orthogonal_map,
        use_trivialization=use_trivialization,
    )
    e_lin.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t_lin.state_dict().items()}
    )
    return torch, t_lin, e_lin


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("dims", [(5, 5), (3, 6), (6, 3)], ids=str)
def test_linear_matches_torch_values_and_gradients(dims, dtype, orthogonal_map, use_trivialization):
    torch, t_lin, e_lin = _torch_pair(*dims, orthogonal_map, use_trivialization, dtype)
    # Move the original away from -I so the maps are exercised off their starting point;
    # householder's diagonal holds the column signs (truncated to int): it is left alone.
    with torch.no_grad():
        t_orig = t_lin.parametrizations.weight.original
        noise = 0.3 * torch.randn(t_orig.shape, dtype=t_orig.dtype)
        if orthogonal_map == "householder":
            noise = noise.tril(-1) + noise.triu(1)
        t_orig.add_(noise)
    e_lin.parametrizations.weight.original.detach().copy_(
        ember.from_numpy(t_orig.detach().numpy().copy())
    )
    x = np.random.randn(7, dims[0])
    g = np.random.randn(7, dims[1])
    tdt = t_orig.dtype
    t_out = t_lin(torch.tensor(x, dtype=tdt))
    e_out = e_lin(ember.tensor(x, dtype=dtype))
    tol = _tol(dtype)
    assert_matches_torch(e_lin.weight, t_lin.weight, tol)
    assert_matches_torch(e_out, t_out, tol)
    (t_out * torch.tensor(g, dtype=tdt)).sum().backward()
    (e_out * ember.tensor(g, dtype=dtype)).sum().backward()
    assert_matches_torch(
        e_lin.parametrizations.weight.original.grad,
        t_lin.parametrizations.weight.original.grad,
        tol,
    )
    assert_matches_torch(e_lin.bias.grad, t_lin.bias.grad, tol)


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_state_dict_keys_match_torch(orthogonal_map, use_trivialization):
    _, t_lin, e_lin = _torch_pair(3, 4, orthogonal_map, use_trivialization, ember.float32)
    assert sorted(e_lin.state_dict()) == sorted(t_lin.state_dict())
    assert [n for n, _ in e_lin.named_parameters()] == [n for n, _ in t_lin.named_parameters()]


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 5, 3)], ids=str)
def test_registration_matches_torch_where_deterministic(shape, use_trivialization):
    """The registered weight equals PyTorch's; square weights with either setting, and
    householder without the trivialization, also start from the same originals (and base)."""
    torch = _torch()
    from torch.nn.utils.parametrizations import orthogonal as t_orthogonal

    w = np.random.randn(*shape)
    square = shape[-2] == shape[-1]
    orthogonal_map = "householder" if not use_trivialization else None
    t_mod = torch.nn.Module()
    t_mod.weight = torch.nn.Parameter(torch.tensor(w))
    t_orthogonal(t_mod, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    e_mod = orthogonal(
        _holder(shape, values=w),
        orthogonal_map=orthogonal_map,
        use_trivialization=use_trivialization,
    )
    # The weight is deterministic in every case (a non-square one is the leading columns of
    # the QR of the original, whatever random columns complete the square base).
    assert_matches_torch(e_mod.weight, t_mod.weight, {"rtol": 1e-7, "atol": 1e-12})
    if use_trivialization and not square:
        return  # the base's completion columns are random in both
    for k, v in t_mod.state_dict().items():
        assert_matches_torch(e_mod.state_dict()[k], v, {"rtol": 1e-7, "atol": 1e-12})


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_conv_weight_batch_matches_torch(orthogonal_map):
    """A Conv2d weight (out, in, kh, kw) is a batch of kh x kw matrices, as in PyTorch."""
    torch = _torch()
    from torch.nn.utils.parametrizations import orthogonal as t_orthogonal

    t_conv = torch.nn.Conv2d(2, 3, 3).double()
    t_orthogonal(t_conv, orthogonal_map=orthogonal_map)
    e_conv = orthogonal(nn.Conv2d(2, 3, 3).to(ember.float64), orthogonal_map=orthogonal_map)
    e_conv.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t_conv.state_dict().items()}
    )
    assert tuple(e_conv.parametrizations.weight[0].base.shape) == (3, 2, 3, 3)
    assert_orthogonal(e_conv.weight)
    x = np.random.randn(2, 2, 5, 5)
    assert_matches_torch(e_conv(ember.tensor(x)), t_conv(torch.tensor(x)), F64)


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_sgd_steps_match_torch(orthogonal_map):
    torch, t_lin, e_lin = _torch_pair(4, 4, orthogonal_map, True, ember.float64)
    t_opt = torch.optim.SGD(t_lin.parameters(), lr=0.05)
    e_opt = ember.optim.SGD(e_lin.parameters(), lr=0.05)
    x, y = np.random.randn(6, 4), np.random.randn(6, 4)
    for _ in range(3):
        for lin, opt, mod in ((t_lin, t_opt, torch), (e_lin, e_opt, ember)):
            opt.zero_grad()
            ((lin(mod.tensor(x)) - mod.tensor(y)) ** 2).mean().backward()
            opt.step()
    assert_matches_torch(e_lin.weight, t_lin.weight, {"rtol": 1e-7, "atol": 1e-9})
    assert_orthogonal(e_lin.weight)
