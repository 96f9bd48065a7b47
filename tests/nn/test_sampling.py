"""F.affine_grid and F.grid_sample against PyTorch: values, input/grid/theta gradients, float64
finite differences, warnings and error messages."""

from __future__ import annotations

import doctest
import itertools
import warnings
import zlib

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn
from ember.autograd import gradcheck
from ember.nn import _functional_sampling

from ._util import et, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODES_4D = ("bilinear", "nearest", "bicubic")
MODES_5D = ("bilinear", "nearest")
PADDINGS = ("zeros", "border", "reflection")
DTYPES = (np.float32, np.float64)


def _seed(*parts) -> int:
    """A seed that is the same in every process (``hash`` of a str is not)."""
    return zlib.crc32(repr(parts).encode())


def _tols(dtype, grad=False):
    if dtype == np.float64:
        return {"rtol": 1e-7, "atol": 1e-10}
    # float32 is loosened: the composition rounds differently from PyTorch's fused kernel (a
    # reflected coordinate is off by an ulp of its size, times the image's slope), and the grid
    # gradient, scaled by size / 2, cancels over up to 16 taps (max seen over 300 seeds: 3e-5).
    return {"rtol": 1e-5, "atol": 1e-4 if grad else 1e-5}


def assert_matches_torch(rng, input_shape, grid_shape, mode, padding, align, dtype, spread=1.6):
    """Runs ember's and PyTorch's grid_sample on the same random input and grid (coordinates
    uniform in ``[-spread, spread]``, so some fall outside the image) and asserts the output,
    the input gradient and the grid gradient agree for a random output gradient."""
    x = rng.standard_normal(input_shape).astype(dtype)
    g = rng.uniform(-spread, spread, grid_shape).astype(dtype)
    ex, eg = et(x).requires_grad_(True), et(g).requires_grad_(True)
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    eo = F.grid_sample(ex, eg, mode=mode, padding_mode=padding, align_corners=align)
    to = TF.grid_sample(tx, tg, mode=mode, padding_mode=padding, align_corners=align)
    assert eo.dtype == ex.dtype
    assert tuple(eo.shape) == tuple(to.shape)
    np.testing.assert_allclose(to_np(eo), to.detach().numpy(), **_tols(dtype))
    go = rng.standard_normal(tuple(to.shape)).astype(dtype)
    eo.backward(et(go))
    to.backward(torch.tensor(go))
    np.testing.assert_allclose(to_np(ex.grad), tx.grad.numpy(), **_tols(dtype))
    assert eg.grad is not None
    np.testing.assert_allclose(to_np(eg.grad), tg.grad.numpy(), **_tols(dtype, grad=True))


# ---- grid_sample vs PyTorch --------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", MODES_4D)
def test_grid_sample_4d_matches_torch(mode, padding, align, dtype):
    rng = np.random.default_rng(_seed(mode, padding, align, dtype.__name__))
    for _ in range(6):
        n, c = (int(v) for v in rng.integers(1, 4, 2))
        h, w = (int(v) for v in rng.integers(1, 7, 2))
        ho, wo = (int(v) for v in rng.integers(1, 6, 2))
        assert_matches_torch(rng, (n, c, h, w), (n, ho, wo, 2), mode, padding, align, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", MODES_5D)
def test_grid_sample_5d_matches_torch(mode, padding, align, dtype):
    rng = np.random.default_rng(_seed(mode, padding, align, dtype.__name__, 5))
    for _ in range(4):
        n, c = (int(v) for v in rng.integers(1, 3, 2))
        d, h, w = (int(v) for v in rng.integers(1, 5, 3))
        do, ho, wo = (int(v) for v in rng.integers(1, 4, 3))
        shape_in, shape_grid = (n, c, d, h, w), (n, do, ho, wo, 3)
        assert_matches_torch(rng, shape_in, shape_grid, mode, padding, align, dtype)


@pytest.mark.parametrize("mode,padding", list(itertools.product(MODES_4D, PADDINGS)))
def test_grid_sample_far_outside_points_match_torch(mode, padding):
    # Points up to 25 image widths away: several reflections, clamped borders, zeros.
    rng = np.random.default_rng(7)
    for align in (False, True):
        assert_matches_torch(
            rng, (2, 3, 5, 4), (2, 6, 7, 2), mode, padding, align, np.float64, spread=50.0
        )


@pytest.mark.parametrize("mode", MODES_4D)
def test_grid_sample_exact_pixel_and_border_points_match_torch(mode):
    # Grid points exactly on pixel centres, on the borders and on the half-way points.
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5) ** 1.5
    coords = np.array([-1.0, -0.75, -0.5, 0.0, 0.5, 0.75, 1.0, -1.25, 1.25])
    gx, gy = np.meshgrid(coords, coords[::-1])
    g = np.stack([gx, gy], -1)[None].repeat(2, 0)
    for padding, align in itertools.product(PADDINGS, (False, True)):
        eo = F.grid_sample(et(x), et(g), mode=mode, padding_mode=padding, align_corners=align)
        to = TF.grid_sample(
            torch.tensor(x), torch.tensor(g), mode=mode, padding_mode=padding, align_corners=align
        )
        np.testing.assert_allclose(to_np(eo), to.numpy(), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dims", [4, 5])
def test_grid_sample_non_finite_grid_matches_torch(dims):
    # inf, -inf and NaN coordinates (and huge finite ones where PyTorch is well defined): the
    # same values (NaN where PyTorch gives NaN) in every mode and padding.
    k = dims - 2
    bad = [np.inf, -np.inf, np.nan, 1e20, -1e20]
    g = np.full((1,) + (1,) * (k - 1) + (len(bad), k), 0.1)
    g[..., 0] = bad
    spatial = (2, 3, 4)[3 - k :]
    x = np.arange(float(np.prod(spatial))).reshape((1, 1) + spatial)
    for mode, padding in itertools.product(MODES_4D if k == 2 else MODES_5D, PADDINGS):
        cols = slice(None) if padding != "reflection" else slice(0, 3)  # 1e20 is UB there
        for align in (False, True):
            eo = F.grid_sample(et(x), et(g), mode=mode, padding_mode=padding, align_corners=align)
            to = TF.grid_sample(
                torch.tensor(x),
                torch.tensor(g),
                mode=mode,
                padding_mode=padding,
                align_corners=align,
            )
            np.testing.assert_allclose(
                to_np(eo)[..., cols], to.numpy()[..., cols], rtol=1e-12, atol=1e-12
            )


@pytest.mark.parametrize("mode", MODES_4D)
def test_grid_sample_single_pixel_input_matches_torch(mode):
    rng = np.random.default_rng(_seed("single", mode))
    for padding, align in itertools.product(PADDINGS, (False, True)):
        assert_matches_torch(rng, (2, 3, 1, 1), (2, 3, 4, 2), mode, padding, align, np.float64)
        assert_matches_torch(rng, (1, 2, 1, 5), (1, 2, 3, 2), mode, padding, align, np.float64)
        if mode != "bicubic":
            assert_matches_torch(
                rng, (1, 2, 1, 1, 1), (1, 2, 2, 2, 3), mode, padding, align, np.float64
            )


def test_grid_sample_noncontiguous_inputs_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 3, 4))
    g = rng.uniform(-1.2, 1.2, (2, 2, 6, 3))
    ex = et(x).permute(0, 3, 2, 1)  # (2, 4, 3, 5), not contiguous
    eg = et(g).transpose(1, 2)[..., :2]  # (2, 6, 2, 2), not contiguous
    tx = torch.tensor(x).permute(0, 3, 2, 1)
    tg = torch.tensor(g).transpose(1, 2)[..., :2]
    assert not ex.is_contiguous() and not eg.is_contiguous()
    for mode in MODES_4D:
        eo = F.grid_sample(ex, eg, mode=mode, align_corners=False)
        to = TF.grid_sample(tx, tg, mode=mode, align_corners=False)
        np.testing.assert_allclose(to_np(eo), to.numpy(), rtol=1e-7, atol=1e-10)
        assert eo.is_contiguous()


def test_grid_sample_empty_grid_and_batch_match_torch():
    cases = [
        ((2, 3, 4, 5), (2, 0, 4, 2)),
        ((0, 3, 4, 5), (0, 2, 4, 2)),
        ((2, 0, 4, 5), (2, 2, 4, 2)),
    ]
    for shape_in, shape_grid in cases:
        eo = F.grid_sample(ember.ones(*shape_in), ember.zeros(*shape_grid), align_corners=False)
        to = TF.grid_sample(torch.ones(shape_in), torch.zeros(shape_grid), align_corners=False)
        assert tuple(eo.shape) == tuple(to.shape)


@pytest.mark.parametrize("dims", [4, 5])
def test_grid_sample_nearest_grid_gradient_is_zero(dims):
    x = ember.randn(*((2, 3) + (4,) * (dims - 2)), requires_grad=True)
    g = (ember.rand(*((2,) + (3,) * (dims - 2) + (dims - 2,))) * 2 - 1).requires_grad_(True)
    out = F.grid_sample(x, g, mode="nearest", align_corners=True)
    (out * out).sum().backward()
    assert g.grad is not None
    assert float(g.grad.abs().sum().item()) == 0.0
    assert float(x.grad.abs().sum().item()) > 0.0


def test_grid_sample_grid_only_requires_grad_flows():
    x = ember.randn(1, 2, 4, 4)
    g = (ember.rand(1, 3, 3, 2) * 2 - 1).requires_grad_(True)
    F.grid_sample(x, g, align_corners=False).sum().backward()
    tg = torch.tensor(to_np(g), requires_grad=True)
    TF.grid_sample(torch.tensor(to_np(x)), tg, align_corners=False).sum().backward()
    np.testing.assert_allclose(to_np(g.grad), tg.grad.numpy(), rtol=1e-5, atol=2e-5)


def test_grid_sample_identity_affine_grid_reproduces_input():
    x = ember.randn(2, 3, 5, 7, dtype=ember.float64)
    theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2, dtype=ember.float64)
    for align in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 7), align_corners=align)
        for mode in MODES_4D:
            out = F.grid_sample(x, grid, mode=mode, align_corners=align)
            np.testing.assert_allclose(to_np(out), to_np(x), rtol=1e-12, atol=1e-12)


def test_grid_sample_and_affine_grid_trace_with_jit():
    def fn(x, theta):
        grid = F.affine_grid(theta, (2, 3, 5, 6), align_corners=False)
        return F.grid_sample(
            x, grid, mode="bicubic", padding_mode="reflection", align_corners=False
        )

    traced = ember.jit.trace(fn, (ember.randn(2, 3, 4, 5), ember.randn(2, 2, 3)))
    x, theta = ember.randn(2, 3, 4, 5), ember.randn(2, 2, 3)
    np.testing.assert_allclose(to_np(traced(x, theta)), to_np(fn(x, theta)), rtol=1e-6, atol=1e-6)


# ---- finite differences (float64) ----------------------------------------------------------


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_4d_gradcheck(mode, padding, align):
    x = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    g = (ember.rand(1, 2, 3, 2, dtype=ember.float64) * 3 - 1.5).requires_grad_(True)

    def fn(a, b):
        return F.grid_sample(a, b, mode=mode, padding_mode=padding, align_corners=align)

    assert gradcheck(fn, (x, g), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
def test_grid_sample_5d_gradcheck(padding, align):
    x = ember.randn(1, 2, 2, 3, 3, dtype=ember.float64, requires_grad=True)
    g = (ember.rand(1, 2, 1, 2, 3, dtype=ember.float64) * 3 - 1.5).requires_grad_(True)

    def fn(a, b):
        return F.grid_sample(a, b, padding_mode=padding, align_corners=align)

    assert gradcheck(fn, (x, g), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 2, 4)])
def test_affine_grid_gradcheck(size):
    rows = len(size) - 2
    theta = ember.randn(2, rows, rows + 1, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: F.affine_grid(t, size, align_corners=False), (theta,))


# ---- affine_grid vs PyTorch ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize(
    "size", [(2, 3, 4, 5), (1, 1, 1, 6), (3, 2, 7, 1), (2, 3, 3, 4, 5), (1, 2, 1, 2, 3)]
)
def test_affine_grid_matches_torch(size, align, dtype):
    rows = len(size) - 2
    rng = np.random.default_rng(len(size) * 10 + int(align))
    th = rng.standard_normal((size[0], rows, rows + 1)).astype(dtype)
    et_, tt = et(th).requires_grad_(True), torch.tensor(th, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size dims with align_corners warn in both
        eg = F.affine_grid(et_, size, align_corners=align)
        tg = TF.affine_grid(tt, size, align_corners=align)
    assert eg.dtype == et_.dtype
    np.testing.assert_allclose(to_np(eg), tg.detach().numpy(), **_tols(dtype))
    go = rng.standard_normal(tuple(tg.shape)).astype(dtype)
    eg.backward(et(go))
    tg.backward(torch.tensor(go))
    np.testing.assert_allclose(to_np(et_.grad), tt.grad.numpy(), **_tols(dtype, grad=True))


def test_affine_grid_then_grid_sample_rotation_matches_torch():
    rng = np.random.default_rng(11)
    a = 0.4
    th = np.array([[[np.cos(a), -np.sin(a), 0.1], [np.sin(a), np.cos(a), -0.2]]] * 2)
    x = rng.standard_normal((2, 3, 8, 9))
    ex, tx = et(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    eth, tth = et(th).requires_grad_(True), torch.tensor(th, requires_grad=True)
    eo = F.grid_sample(
        ex, F.affine_grid(eth, (2, 3, 6, 7), align_corners=False), align_corners=False
    )
    to = TF.grid_sample(
        tx, TF.affine_grid(tth, (2, 3, 6, 7), align_corners=False), align_corners=False
    )
    np.testing.assert_allclose(to_np(eo), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    eo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(to_np(ex.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(eth.grad), tth.grad.numpy(), rtol=1e-10, atol=1e-10)


# ---- align_corners=None --------------------------------------------------------------------


def test_grid_sample_align_corners_none_warns_and_means_false():
    x, g = ember.randn(1, 2, 4, 4), ember.rand(1, 3, 3, 2) * 2 - 1
    with pytest.warns(UserWarning, match="align_corners=False"):
        out = F.grid_sample(x, g)
    np.testing.assert_array_equal(to_np(out), to_np(F.grid_sample(x, g, align_corners=False)))


def test_affine_grid_align_corners_none_warns_and_means_false():
    theta = ember.randn(1, 2, 3)
    with pytest.warns(UserWarning, match="align_corners=False"):
        grid = F.affine_grid(theta, (1, 1, 3, 4))
    expected = F.affine_grid(theta, (1, 1, 3, 4), align_corners=False)
    np.testing.assert_array_equal(to_np(grid), to_np(expected))


def test_affine_grid_unit_size_with_align_corners_warns():
    with pytest.warns(UserWarning, match="unit-size grids"):
        grid = F.affine_grid(ember.randn(1, 2, 3), (1, 1, 1, 4), align_corners=True)
    assert tuple(grid.shape) == (1, 1, 4, 2)


def test_explicit_align_corners_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = F.affine_grid(ember.randn(1, 2, 3), (1, 1, 3, 4), align_corners=False)
        out = F.grid_sample(ember.randn(1, 1, 3, 4), grid, align_corners=True)
    assert tuple(out.shape) == (1, 1, 3, 4)


# ---- errors --------------------------------------------------------------------------------


def _gs(input_shape, grid_shape, **kw):
    kw.setdefault("align_corners", False)
    return F.grid_sample(ember.zeros(*input_shape), ember.zeros(*grid_shape), **kw)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (
            lambda: _gs((1, 1, 2, 2), (1, 2, 2, 2), mode="linear"),
            ValueError,
            r"grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic', got 'linear'",
        ),
        (
            lambda: _gs((1, 1, 2, 2), (1, 2, 2, 2), padding_mode="wrap"),
            ValueError,
            r"grid_sample: expected padding_mode .* got 'wrap'",
        ),
        (
            lambda: _gs((1, 1, 2, 2), (1, 2, 2, 3)),
            ValueError,
            (
                r"grid_sample: expected grid to have size 2 in its last dim .* grid of shape "
                r"\(1, 2, 2, 3\)"
            ),
        ),
        (
            lambda: _gs((1, 1, 2, 2, 2), (1, 2, 2, 2, 2)),
            ValueError,
            r"grid_sample: expected grid to have size 3 in its last dim",
        ),
        (
            lambda: _gs((2, 1, 2, 2), (3, 2, 2, 2)),
            ValueError,
            (
                r"grid_sample: expected grid and input to have the same batch size, got input of "
                r"shape \(2, 1, 2, 2\) and grid of shape \(3, 2, 2, 2\)"
            ),
        ),
        (
            lambda: _gs((1, 1, 2, 2), (1, 2, 2, 2, 2)),
            ValueError,
            r"grid_sample: expected a 4-D grid for a 4-D input",
        ),
        (
            lambda: _gs((1, 2, 2), (1, 2, 2)),
            ValueError,
            (
                r"grid_sample: expected a 4-D \(N, C, H_in, W_in\) or 5-D .* got input of shape "
                r"\(1, 2, 2\)"
            ),
        ),
        (
            lambda: _gs((1, 1, 0, 2), (1, 2, 2, 2)),
            ValueError,
            (
                r"grid_sample: expected input to have non-empty spatial dims, got input of shape "
                r"\(1, 1, 0, 2\)"
            ),
        ),
        (
            lambda: _gs((1, 1, 2, 2, 2), (1, 2, 2, 2, 3), mode="bicubic"),
            ValueError,
            r"grid_sample: mode 'bicubic' supports only 4-D input",
        ),
        (
            lambda: F.grid_sample(
                ember.zeros(1, 1, 2, 2),
                ember.zeros(1, 2, 2, 2, dtype=ember.float64),
                align_corners=False,
            ),
            TypeError,
            r"grid_sample: expected grid to have input's dtype float32, got float64",
        ),
        (
            lambda: F.grid_sample(
                ember.zeros(1, 1, 2, 2, dtype=ember.int64),
                ember.zeros(1, 2, 2, 2),
                align_corners=False,
            ),
            TypeError,
            r"grid_sample: expected input to be float32 or float64, got int64",
        ),
        (
            lambda: F.grid_sample(
                np.zeros((1, 1, 2, 2)), ember.zeros(1, 2, 2, 2), align_corners=False
            ),
            TypeError,
            r"grid_sample: expected input to be a Tensor, got ndarray",
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 3, 3), (2, 1, 4, 4), align_corners=False),
            ValueError,
            (
                r"affine_grid: expected a batch of 2D affine matrices of shape \(N, 2, 3\) "
                r"for size \(2, 1, 4, 4\), got theta of shape \(2, 3, 3\)"
            ),
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 2, 3), (2, 1, 4, 4, 4), align_corners=False),
            ValueError,
            r"affine_grid: expected a batch of 3D affine matrices of shape \(N, 3, 4\)",
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 2, 3), (3, 1, 4, 4), align_corners=False),
            ValueError,
            r"affine_grid: theta has batch size 2 .* size\[0\] is 3",
        ),
        (
            lambda: F.affine_grid(
                ember.zeros(2, 2, 3, dtype=ember.int64), (2, 1, 4, 4), align_corners=False
            ),
            ValueError,
            r"affine_grid: expected theta to have a floating point dtype .* got int64",
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 2, 3), (2, 1, 0, 4), align_corners=False),
            ValueError,
            (
                r"affine_grid: expected a non-zero, positive output size, got size "
                r"\(2, 1, 0, 4\)"
            ),
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 2, 3), (2, 4, 4), align_corners=False),
            NotImplementedError,
            r"affine_grid: only 4-D .* and 5-D .* got size \(2, 4, 4\)",
        ),
        (
            lambda: F.affine_grid(ember.zeros(2, 2, 3), (2, 1, 4.5, 4), align_corners=False),
            TypeError,
            r"affine_grid: size must be a sequence of ints",
        ),
    ],
)
def test_sampling_bad_input_raises(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ---- exports and docstrings ----------------------------------------------------------------


def test_sampling_functions_are_exported_from_functional():
    for name in ("affine_grid", "grid_sample", "max_unpool1d", "max_unpool2d", "max_unpool3d"):
        assert name in F.__all__
        assert getattr(F, name) is getattr(_functional_sampling, name)
        doc = getattr(F, name).__doc__
        assert "Raises:" in doc and "Returns:" in doc


def test_docstring_examples():
    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(_functional_sampling, globs=globs)
    assert sum(len(t.examples) for t in tests) >= 5
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
