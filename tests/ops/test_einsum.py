"""ember.einsum against torch.einsum: values, shapes, dtypes and float64 gradients for the common
equations, ellipses, diagonals, broadcasting, implicit outputs and the other call forms; its
errors; and traced graphs (one matrix product for the batched-matmul equations)."""

from __future__ import annotations

import zlib

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

# equation, operand shapes
EQUATIONS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij,jk->ki", [(3, 4), (4, 5)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("i,i->", [(5,)] * 2),
    ("i,i", [(5,)] * 2),
    ("i,j->ij", [(3,), (4,)]),
    ("i,j", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("iij->ji", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("iii->i", [(3, 3, 3)]),
    ("ijij->ij", [(2, 3, 2, 3)]),
    ("ii,jj->ij", [(3, 3), (2, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4), (4, 3)]),
    ("i,i,i->i", [(4,)] * 3),
    ("ijk,jkl->il", [(2, 3, 4), (3, 4, 5)]),
    ("ijk,ikl->ijl", [(2, 3, 4), (2, 4, 5)]),
    ("bi,bi->b", [(6, 4), (6, 4)]),
    ("bij,bj->bi", [(3, 4, 5), (3, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(3, 2, 4)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 5, 2)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...,...->...", [(2, 3), (3,)]),
    ("...", [(2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),  # size-1 broadcast of a kept label
    ("ij,j->i", [(2, 1), (3,)]),  # size-1 broadcast of a summed label
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("Ba,aA", [(2, 3), (3, 4)]),  # implicit output in ASCII order: upper case first
    ("bA,aB", [(2, 3), (3, 4)]),
    ("ba,ab", [(2, 3), (3, 2)]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("ij,jk->ik", [(2, 0), (0, 4)]),
    ("bij,bjk->bik", [(0, 3, 4), (0, 4, 5)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
]


def _arrays(shapes, eq):
    rng = np.random.default_rng(zlib.crc32(eq.encode()))
    return [np.asarray(rng.standard_normal(s)) for s in shapes]


@pytest.mark.parametrize("eq, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_torch_with_gradients(eq, shapes):
    arrays = _arrays(shapes, eq)
    es = [ember.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    e, t = ember.einsum(eq, *es), torch.einsum(eq, *ts)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype == ember.float64
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(tuple(t.shape))
    (e * ember.from_numpy(w)).sum().backward()
    (t * torch.from_numpy(w)).sum().backward()
    for a, b in zip(es, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_einsum_float32_list_operands_and_sublist_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    ea, eb, ta, tb = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    want = torch.einsum("ij,jk->ik", ta, tb).numpy()
    for got in (ember.einsum("ij,jk->ik", [ea, eb]), ember.einsum("ij,jk->ik", (ea, eb)),
                ember.einsum(ea, [0, 1], eb, [1, 2], [0, 2]), ember.einsum(ea, [0, 1], eb, [1, 2])):
        assert got.dtype == ember.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    got = ember.einsum(ea, [Ellipsis, 1], [Ellipsis])
    np.testing.assert_allclose(got.numpy(), torch.einsum(ta, [Ellipsis, 1], [Ellipsis]).numpy(),
                               rtol=1e-6)


def test_einsum_promotes_dtypes_and_handles_integers_like_torch():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4) - 5
    for eq, x in (("ij,jk", (a, b)), ("ij,ij->", (a, a)), ("ij->j", (a,)), ("bj,bj->b", (a, a)),
                  ("ii->i", (b[:, :3],))):
        got = ember.einsum(eq, *[ember.from_numpy(v.copy()) for v in x])
        want = torch.einsum(eq, *[torch.from_numpy(v.copy()) for v in x])
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    f32 = ember.ones(2, 3)
    f64 = ember.ones(3, 2, dtype=ember.float64)
    # (PyTorch raises here unless no matrix product is needed; ember promotes, as other ops)
    assert ember.einsum("ij,jk", f32, f64).dtype == ember.float64


def test_einsum_integer_products_are_exact_for_large_int64():
    a = np.array([[2**62, 3, -(2**61)], [1, -1, 2**40]], dtype=np.int64)
    b = np.array([[1, 0], [5, 2**50], [1, 3]], dtype=np.int64)
    for eq, x in (("ij,jk", (a, b)), ("bij,bjk->bik", (a[None], b[None])),
                  ("bij,bjk->bik", (np.stack([a, -a]), np.stack([b, b // 3])))):
        got = ember.einsum(eq, *[ember.from_numpy(v.copy()) for v in x])
        want = torch.einsum(eq, *[torch.from_numpy(v.copy()) for v in x])
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("block", [1 << 20, 7, 1])
@pytest.mark.parametrize("eq, shapes", [("ij,jk", [(3, 5), (5, 4)]),
                                        ("bij,bjk->bik", [(2, 3, 5), (2, 5, 4)]),
                                        ("ij,jk", [(2, 0), (0, 3)])])
def test_traced_integer_einsum_sums_blocks_of_products(monkeypatch, block, eq, shapes):
    from ember import _composites_more

    # In a trace (no numpy), the contracted dim is summed in blocks of at most `block` elements.
    monkeypatch.setattr(_composites_more, "_INT_MM_BLOCK", block)
    rng = np.random.default_rng(0)

    def draw():
        return [rng.integers(-(2**28), 2**28, s) for s in shapes]  # sums near 2**58

    traced = ember.jit.trace(lambda *t: ember.einsum(eq, *t),
                             tuple(ember.from_numpy(v) for v in draw()))
    for _ in range(2):
        x = draw()
        got = traced(*[ember.from_numpy(v.copy()) for v in x])
        want = torch.einsum(eq, *[torch.from_numpy(v.copy()) for v in x])
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("eq, shapes, match", [
    ("ij,jk", [(2, 3)], r"einsum: equation 'ij,jk' names 2 operands but 1 were given"),
    ("ij", [(2, 3, 4)], r"einsum: operand 0 has 2 subscripts in equation 'ij' but the operand has 3"),
    ("ij,jk->ik", [(2, 3), (4, 5)], (r"einsum: subscript 'j' has size 4 for operand 1, which "
                                     "does not broadcast with size 3")),
    ("ii->i", [(2, 3)], r"einsum: subscript 'i' is repeated for operand 0 but its sizes differ"),
    ("ij->k", [(2, 3)], r"einsum: output subscript 'k' .* does not appear in any operand"),
    ("ij->ii", [(2, 2)], r"einsum: an output subscript is repeated"),
    ("i1", [(2, 3)], r"einsum: invalid subscript '1'"),
    ("i..j", [(2, 3)], r"einsum: operand 0 in equation 'i..j' has a '.' that is not part"),
    ("...i...", [(2, 3)], r"einsum: operand 0 .* has a '.' that is not part of a single '...'"),
    ("ij...k", [(2, 3)], r"einsum: operand 0 has 3 subscripts and '...'"),
    ("i->i->i", [(2,)], r"einsum: equation 'i->i->i' has more than one '->'"),
])
def test_einsum_errors_name_the_problem(eq, shapes, match):
    with pytest.raises(ValueError, match=match):
        ember.einsum(eq, *[ember.ones(*s) for s in shapes])


def test_einsum_rejects_non_tensors():
    with pytest.raises(TypeError, match="einsum: each operand must be a Tensor, got list"):
        ember.einsum("i,i", ember.ones(2), [1.0, 2.0])
    with pytest.raises(TypeError, match="einsum: expected an equation"):
        ember.einsum()


@pytest.mark.parametrize("eq, shapes, want_ops", [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], 1),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)], 1),
    ("ij,jk", [(3, 4), (4, 5)], 1),
])
def test_einsum_batched_matmuls_trace_to_one_product(eq, shapes, want_ops):
    ops = [ember.randn(*s) for s in shapes]
    traced = ember.jit.trace(lambda *a: ember.einsum(eq, *a), tuple(ops))
    names = traced.graph.ops()
    assert sum(n in ("matmul", "bmm", "mm") for n in names) == want_ops, names
    assert not any(n in ("mul", "sum", "expand") for n in names), names
    new = [ember.randn(*s) for s in shapes]
    np.testing.assert_allclose(traced(*new).numpy(), ember.einsum(eq, *new).numpy(), rtol=1e-6)


@pytest.mark.parametrize("eq, shapes", [("ii->i", [(3, 3)]), ("ii", [(4, 4)]), ("i,i->", [(5,), (5,)]),
                                        ("...ij,...jk", [(2, 3, 4), (4, 2)]),
                                        ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)])])
def test_einsum_traces_and_matches_eager(eq, shapes):
    ops = [ember.randn(*s) for s in shapes]
    traced = ember.jit.trace(lambda *a: ember.einsum(eq, *a), tuple(ops))
    for _ in range(2):
        new = [ember.randn(*s) for s in shapes]
        np.testing.assert_allclose(traced(*new).numpy(), ember.einsum(eq, *new).numpy(),
                                   rtol=1e-6, atol=1e-6)
