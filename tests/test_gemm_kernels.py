"""ember's own skinny-GEMM kernels (csrc/ember/cpu/gemm_avx2.cpp) against float64 numpy: the
shapes a small-batch MLP produces (linear forward A @ W.T with few rows, weight gradients
G.T @ X with a short inner dimension) take them by default; a subprocess with the limits
raised sends every float32 product of a grid through them (tails of rows, columns and the
inner dimension, transposed operands, strided rows)."""

import os
import subprocess
import sys
import textwrap

import ember
import numpy as np
import pytest


def _ref(a, b):
    return a.astype(np.float64) @ b.astype(np.float64)


def assert_matches(got, a, b):
    ref = _ref(a, b)
    k = a.shape[1]
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=2e-6 * np.sqrt(k) * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 16, 31, 32])
def test_linear_forward_shapes(batch):
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    w = rng.standard_normal((130, 784)).astype(np.float32)
    got = ember.matmul(ember.from_numpy(x), ember.from_numpy(w).t()).numpy()
    assert_matches(got, x, w.T)


@pytest.mark.parametrize("batch", [2, 7, 16, 32])
def test_weight_gradient_shapes(batch):
    rng = np.random.default_rng(batch)
    g = rng.standard_normal((batch, 128)).astype(np.float32)
    x = rng.standard_normal((batch, 789)).astype(np.float32)
    got = ember.matmul(ember.from_numpy(g).t(), ember.from_numpy(x)).numpy()
    assert_matches(got, g.T, x)


def test_linear_layer_grads_match_numpy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 50)).astype(np.float32)
    lin = ember.nn.Linear(50, 37)
    out = lin(ember.from_numpy(x))
    gy = rng.standard_normal((16, 37)).astype(np.float32)
    out.backward(ember.from_numpy(gy))
    w = lin.weight.detach().numpy()
    assert_matches(out.detach().numpy() - lin.bias.detach().numpy(), x, w.T)
    assert_matches(lin.weight.grad.numpy(), gy.T, x)
    np.testing.assert_allclose(lin.bias.grad.numpy(), gy.astype(np.float64).sum(0), rtol=1e-5, atol=1e-5)


def test_output_buffer_contents_are_never_read():
    # The result is written with beta = 0: a recycled buffer full of NaN must not leak into it.
    junk = ember.full((16, 128), float("nan"))
    del junk
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 784)).astype(np.float32)
    w = rng.standard_normal((128, 784)).astype(np.float32)
    got = ember.matmul(ember.from_numpy(x), ember.from_numpy(w).t()).numpy()
    assert np.isfinite(got).all()
    assert_matches(got, x, w.T)


def test_non_finite_values_propagate():
    x = np.ones((4, 20), np.float32)
    x[1, 3] = np.nan
    x[2, 5] = np.inf
    w = np.ones((9, 20), np.float32)
    got = ember.matmul(ember.from_numpy(x), ember.from_numpy(w).t()).numpy()
    assert np.isnan(got[1]).all() and np.isposinf(got[2]).all()
    np.testing.assert_array_equal(got[0], np.full(9, 20.0, np.float32))


def test_same_result_on_any_thread_count():
    rng = np.random.default_rng(5)
    x = ember.from_numpy(rng.standard_normal((16, 784)).astype(np.float32))
    w = ember.from_numpy(rng.standard_normal((512, 784)).astype(np.float32))
    g = ember.from_numpy(rng.standard_normal((16, 512)).astype(np.float32))
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = [ember.matmul(x, w.t()).numpy(), ember.matmul(g.t(), x).numpy()]
        ember.set_num_threads(2)
        two = [ember.matmul(x, w.t()).numpy(), ember.matmul(g.t(), x).numpy()]
    finally:
        ember.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


_GRID = textwrap.dedent("""
    import sys
    import numpy as np
    import ember
    rng = np.random.default_rng(0)
    failures = []
    for m in (1, 2, 3, 4, 5, 6, 7, 9, 13, 17):
        for n in (1, 3, 4, 5, 8, 9, 16, 17, 23, 24, 25, 50, 64, 65, 100):
            for k in (1, 2, 7, 8, 9, 16, 33):
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((k, n)).astype(np.float32)
                ref = a.astype(np.float64) @ b.astype(np.float64)
                A, B = ember.from_numpy(a), ember.from_numpy(b)
                Bt = ember.from_numpy(np.ascontiguousarray(b.T)).t()
                At = ember.from_numpy(np.ascontiguousarray(a.T)).t()
                # rows with a stride longer than their length
                Aw = ember.from_numpy(np.pad(a, ((0, 0), (0, 3))))[:, :k]
                Bw = ember.from_numpy(np.pad(b, ((0, 0), (0, 5))))[:, :n]
                for name, got in (("nn", A @ B), ("nt", A @ Bt), ("tn", At @ B),
                                  ("strided", Aw @ Bw), ("strided nt", Aw @ Bt)):
                    err = np.abs(got.numpy() - ref).max()
                    if not err <= 1e-5 * (1 + np.abs(ref).max()) * np.sqrt(k):
                        failures.append((name, m, n, k, float(err)))
    print(failures)
    sys.exit(1 if failures else 0)
""")


@pytest.mark.parametrize("packed_m", [None, "100000"], ids=["default", "no-packing"])
def test_every_shape_through_own_kernels(packed_m):
    # With packing off, short-k products with n > 64 run the dot kernel too.
    env = dict(os.environ, EMBER_SMALL_GEMM_DOT_M="100000", EMBER_SMALL_GEMM_BCAST_K="100000",
               EMBER_SMALL_GEMM_BCAST_M="0")
    if packed_m is not None:
        env["EMBER_SMALL_GEMM_PACKED_M"] = packed_m
    env.pop("EMBER_SMALL_GEMM", None)
    r = subprocess.run([sys.executable, "-c", _GRID], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_shape_through_own_avx2_kernels():
    # Where the CPU has AVX-512 the broadcast kernel uses it; EMBER_CPU_ISA=avx2 keeps the AVX2 one.
    env = dict(os.environ, EMBER_SMALL_GEMM_DOT_M="100000", EMBER_SMALL_GEMM_BCAST_K="100000",
               EMBER_SMALL_GEMM_BCAST_M="0", EMBER_CPU_ISA="avx2")
    env.pop("EMBER_SMALL_GEMM", None)
    r = subprocess.run([sys.executable, "-c", _GRID], env=env, check=False, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


_PRODUCTS = textwrap.dedent('''
    import sys
    import numpy as np
    import ember
    rng = np.random.default_rng(1)
    out = []
    for m, k, n in [(64, 64, 64), (128, 16, 784), (13, 7, 65), (37, 128, 100), (6, 2, 16),
                    (300, 40, 100), (17, 3, 1), (40, 600, 100), (70, 257, 65)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        at = ember.from_numpy(np.ascontiguousarray(a.T)).t()
        # rows 4 KB apart, which the packed kernel copies into panels rather than read in place
        a4k = ember.from_numpy(np.pad(a, ((0, 0), (0, 2048 - k))))[:, :k]
        for A in (ember.from_numpy(a), at, a4k):
            out.append(ember.matmul(A, ember.from_numpy(b)).numpy().ravel())
    np.save(sys.argv[1], np.concatenate(out))
''')


def _outputs_in_subprocesses(script, tmp_path, variants, drop=("EMBER_SMALL_GEMM",)):
    """Runs `script` (which saves its products to the .npy path it is given) once per entry of
    `variants` (environment variables to set) in a fresh interpreter, with the variables in
    `drop` removed from the inherited environment first; returns the saved arrays in order.
    Kernel limits are read once per process, so each setting needs its own process."""
    files = []
    for i, extra in enumerate(variants):
        path = tmp_path / f"out{i}.npy"
        env = dict(os.environ)
        for key in drop:
            env.pop(key, None)
        env.update(extra)
        r = subprocess.run([sys.executable, "-c", script, str(path)], env=env, check=False,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        files.append(np.load(path))
    return files


def test_avx512_and_avx2_broadcast_kernels_give_identical_bits(tmp_path):
    # Both sum each element as the same FMA chains over the same blocks of k, so the results
    # must be bit-identical (on a CPU without AVX-512 both runs take the AVX2 kernel). Inner
    # dimensions to 1024 go to the kernels on both (k = 600: three blocks of the sum).
    limits = {"EMBER_SMALL_GEMM_BCAST_M": "0", "EMBER_SMALL_GEMM_BCAST_K": "1024"}
    files = _outputs_in_subprocesses(_PRODUCTS, tmp_path,
                                     [limits, dict(limits, EMBER_CPU_ISA="avx2")],
                                     drop=("EMBER_SMALL_GEMM", "EMBER_CPU_ISA"))
    assert files[0].size == files[1].size > 10**5
    np.testing.assert_array_equal(files[0].view(np.uint32), files[1].view(np.uint32))


def test_isa_switch_moves_the_gemm_kernel_and_keeps_the_bits():
    from ember import _C

    before = _C._cpu_isa()
    rng = np.random.default_rng(2)
    a = ember.from_numpy(rng.standard_normal((64, 64)).astype(np.float32))
    b = ember.from_numpy(rng.standard_normal((64, 100)).astype(np.float32))
    try:
        _C._set_cpu_isa("avx2")
        assert _C._cpu_isa() == "avx2"
        two = (a @ b).numpy()
        try:
            _C._set_cpu_isa("avx512")
        except ValueError:  # no AVX-512 on this CPU: both runs take the AVX2 kernel
            pass
        again = (a @ b).numpy()
    finally:
        _C._set_cpu_isa(before)
    assert _C._cpu_isa() == before
    np.testing.assert_array_equal(two.view(np.uint32), again.view(np.uint32))
    assert_matches(again, a.numpy(), b.numpy())


def test_outer_products_match_the_fused_adam_gradient_bit_for_bit():
    # k = 1 products (batch-1 weight gradients) use one loop in gemm, gemm_rows and the fused
    # Adam step: zeros keep the same sign there too, underflow included.
    from ember import _C

    a_np = np.array([[1e-30], [0.0], [-0.0], [2.0], [-3.0]], np.float32)
    b_np = np.array([[-1e-40, -1.0, 3.0, 0.0, np.inf, -np.inf, np.nan, 1e-20]], np.float32)
    a, b = ember.from_numpy(a_np), ember.from_numpy(b_np)
    g = (a @ b).numpy()
    with np.errstate(invalid="ignore"):
        expected = np.float32(0.0) + a_np * b_np
    np.testing.assert_array_equal(g, expected)
    np.testing.assert_array_equal(np.signbit(g), np.signbit(expected))
    p = ember.zeros(5, 8)
    m, v, s = ember.zeros(5, 8), ember.zeros(5, 8), ember.zeros(())
    _C._adam_step_product(p, a, b, m, v, None, s, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    np.testing.assert_array_equal(p.grad.numpy(), g)
    np.testing.assert_array_equal(np.signbit(p.grad.numpy()), np.signbit(g))


def test_every_shape_through_openblas():
    env = dict(os.environ, EMBER_SMALL_GEMM="0")
    r = subprocess.run([sys.executable, "-c", _GRID], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("shape", [(300, 40, 100, "nn"), (200, 12, 784, "nt"), (64, 64, 64, "nn"),
                                   (97, 30, 77, "tn"), (256, 256, 256, "nn"), (128, 784, 256, "tn"),
                                   (512, 130, 512, "nn"), (40, 65, 500, "tn")])
def test_products_split_by_rows_match_and_do_not_depend_on_threads(shape):
    # Few columns and many rows: the threads take blocks of rows.
    m, n, k, layout = shape
    rng = np.random.default_rng(m + n + k)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    A = ember.from_numpy(a) if layout != "tn" else ember.from_numpy(np.ascontiguousarray(a.T)).t()
    B = ember.from_numpy(b) if layout != "nt" else ember.from_numpy(np.ascontiguousarray(b.T)).t()
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = ember.matmul(A, B).numpy()
        ember.set_num_threads(2)
        two = ember.matmul(A, B).numpy()
    finally:
        ember.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    assert_matches(two, a, b)


@pytest.mark.parametrize("batch", [1, 3])
def test_products_with_a_large_weight_split_while_the_pool_is_awake(batch):
    # A product of few multiply-adds whose weight is at least 256 KB runs on both threads when
    # the pool's workers are awake (right after a large op): the same bits as on one thread.
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    w = rng.standard_normal((128, 784)).astype(np.float32)
    X, W = ember.from_numpy(x), ember.from_numpy(w)
    big = ember.ones(1 << 21)
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = ember.matmul(X, W.t()).numpy()
        ember.set_num_threads(2)
        twos = []
        for _ in range(20):
            big.add_(1.0)  # leaves the workers spinning
            twos.append(ember.matmul(X, W.t()).numpy())
    finally:
        ember.set_num_threads(before)
    for two in twos:
        np.testing.assert_array_equal(one, two)
    assert_matches(one, x, w.T)


@pytest.mark.parametrize("shape", [(16, 784, 128), (17, 785, 130), (64, 1024, 256), (300, 150, 70),
                                   (40, 2050, 9), (256, 784, 128), (33, 203, 64)])
@pytest.mark.parametrize("strided", [False, True])
def test_products_with_a_transposed_weight_match_numpy_on_any_thread_count(shape, strided):
    # x @ W.T (a linear layer's forward): on AVX-512 CPUs from 16 rows of x on, W.T is packed
    # into 64-column panels and multiplied by the broadcast kernel; elsewhere the dot kernel or
    # OpenBLAS. Edges of the 8x8 transposes and the 64-column panels, and a weight whose rows
    # are strided (a slice of a wider matrix).
    m, k, n = shape
    rng = np.random.default_rng(m * k + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k + 5 if strided else k)).astype(np.float32)
    X = ember.from_numpy(x)
    W = ember.from_numpy(w)[:, :k] if strided else ember.from_numpy(w)
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = ember.matmul(X, W.t()).numpy()
        ember.set_num_threads(2)
        two = ember.matmul(X, W.t()).numpy()
        again = ember.matmul(X, W.t()).numpy()
    finally:
        ember.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(two, again)  # the packing buffer is reused
    assert_matches(two, x, w[:, :k].T)


@pytest.mark.parametrize("shape", [(16, 784, 128), (64, 1000, 100), (256, 1024, 64)])
def test_products_with_inner_dimensions_to_1024_match_numpy(shape):
    # C = A B with B's rows contiguous and k up to 1024: the AVX-512 broadcast kernel where the
    # CPU has it.
    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    got = ember.matmul(ember.from_numpy(a), ember.from_numpy(b)).numpy()
    assert_matches(got, a, b)


@pytest.mark.parametrize("layout", ["x @ W.T", "x @ W", "G.T @ X"])
def test_long_inner_dimensions_keep_blas_like_accuracy(layout):
    # Positive values make every rounding error of a long sum add up: summed in blocks of 256,
    # a 784- or 1000-term product of uniform [0, 1) values stays within 8e-7 relative of
    # float64 (one 784-term chain measured 1.5e-6; PyTorch 5.0e-7).
    rng = np.random.default_rng(3)
    if layout == "G.T @ X":  # a weight gradient over a batch of 1000
        g = rng.uniform(0, 1, (1000, 128)).astype(np.float32)
        x = rng.uniform(0, 1, (1000, 200)).astype(np.float32)
        got = ember.matmul(ember.from_numpy(g).t(), ember.from_numpy(x)).numpy()
        ref = g.T.astype(np.float64) @ x.astype(np.float64)
    else:
        a = rng.uniform(0, 1, (64, 784)).astype(np.float32)
        w = rng.uniform(0, 1, (128, 784)).astype(np.float32)
        B = ember.from_numpy(w).t() if layout == "x @ W.T" else ember.from_numpy(
            np.ascontiguousarray(w.T))
        got = ember.matmul(ember.from_numpy(a), B).numpy()
        ref = a.astype(np.float64) @ w.T.astype(np.float64)
    assert np.max(np.abs(got - ref) / ref) < 8e-7


_PACKED_GRID = textwrap.dedent("""
    import sys
    import numpy as np
    import ember
    rng = np.random.default_rng(7)
    failures = []
    checked = 0
    for m in (1, 2, 13, 14, 15, 29, 64, 113):
        for n in (1, 15, 16, 17, 32, 33, 70):
            for k in (129, 256, 257, 520):
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((k, n)).astype(np.float32)
                ref = a.astype(np.float64) @ b.astype(np.float64)
                A, B = ember.from_numpy(a), ember.from_numpy(b)
                At = ember.from_numpy(np.ascontiguousarray(a.T)).t()
                Bt = ember.from_numpy(np.ascontiguousarray(b.T)).t()
                Aw = ember.from_numpy(np.pad(a, ((0, 0), (0, 3))))[:, :k]
                Bw = ember.from_numpy(np.pad(b, ((0, 0), (0, 5))))[:, :n]
                Btw = ember.from_numpy(np.pad(np.ascontiguousarray(b.T), ((0, 0), (0, 2))))[:, :k].t()
                # rows 4 KB apart: copied into panels (others are read in place)
                A4k = ember.from_numpy(np.pad(a, ((0, 0), (0, 1024 - k))))[:, :k]
                tol = 2e-6 * np.sqrt(k) * (1 + np.abs(ref).max())
                for name, got in (("nn", A @ B), ("nt", A @ Bt), ("tn", At @ B), ("tt", At @ Bt),
                                  ("strided", Aw @ Bw), ("strided nt", Aw @ Btw),
                                  ("rows 4 KB apart", A4k @ B)):
                    checked += 1
                    err = np.abs(got.numpy() - ref).max()
                    if not err <= tol:
                        failures.append((name, m, n, k, float(err)))
    print(checked, failures)
    sys.exit(1 if failures or checked < 1000 else 0)
""")


def test_every_shape_through_the_packed_kernel():
    """Inner dimensions past 128 with both other dimensions of any size go to the packed
    AVX-512 product, in every layout, when its limits are lowered to 1 and the dot and packed
    broadcast kernels are turned off (on CPUs without AVX-512 to the kernels or OpenBLAS that
    take them there): every edge of its 14-row and 32-column tiles, blocks
    of 256 terms with a short last block, transposed and strided operands."""
    env = dict(os.environ, EMBER_SMALL_GEMM_PACKED_MN="1", EMBER_SMALL_GEMM_PACKED_B="1",
               EMBER_SMALL_GEMM_DOT_M="0", EMBER_SMALL_GEMM_PACKED_M="100000")
    env.pop("EMBER_SMALL_GEMM", None)
    r = subprocess.run([sys.executable, "-c", _PACKED_GRID], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


_PACKED_BITS = textwrap.dedent('''
    import sys
    import numpy as np
    import ember
    rng = np.random.default_rng(11)
    out = []
    for m, k, n in [(512, 512, 512), (100, 700, 400), (64, 1000, 300), (77, 257, 1025),
                    (256, 256, 256)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        at = ember.from_numpy(np.ascontiguousarray(a.T)).t()
        # rows 4 KB apart, which the packed kernel copies into panels rather than read in place
        a4k = ember.from_numpy(np.pad(a, ((0, 0), (0, 2048 - k))))[:, :k]
        for A in (ember.from_numpy(a), at, a4k):
            for threads in (1, 2):
                ember.set_num_threads(threads)
                out.append(ember.matmul(A, ember.from_numpy(b)).numpy().ravel())
    np.save(sys.argv[1], np.concatenate(out))
''')


def test_packed_kernel_gives_the_broadcast_kernels_bits(tmp_path):
    """The packed product sums each element as the broadcast kernel does (the FMA chain over
    each block of 256 terms, added to C), so sending these shapes to the broadcast kernel
    instead (the packed kernel's limits raised out of reach) must give the same bits, on one
    thread and on two. Each shape takes the packed kernel by default (a B of 2^18 elements or
    more, or m and n from 256) and fits the broadcast kernel's limits (k <= 1024, m * k <=
    2^18)."""
    limits = {"EMBER_SMALL_GEMM_BCAST_M": "0"}
    files = _outputs_in_subprocesses(
        _PACKED_BITS, tmp_path, [limits, dict(limits, EMBER_SMALL_GEMM_PACKED_MN="100000")])
    assert files[0].size == files[1].size > 10**6
    np.testing.assert_array_equal(files[0].view(np.uint32), files[1].view(np.uint32))
    # and within each run, one thread and two give the same bits (where ember's kernels run
    # these products: OpenBLAS, which takes them on CPUs without AVX-512, may round
    # differently on two threads)
    from ember import _C
    if _C._cpu_isa() != "avx512":
        return
    per = np.split(files[0], np.cumsum([m * n for m, _, n in
                                        [(512, 512, 512), (100, 700, 400), (64, 1000, 300),
                                         (77, 257, 1025), (256, 256, 256)]
                                        for _ in range(6)])[:-1])
    for i in range(0, len(per), 2):
        np.testing.assert_array_equal(per[i].view(np.uint32), per[i + 1].view(np.uint32))


@pytest.mark.parametrize("shape", [(512, 512, 512), (1024, 256, 300), (300, 700, 1000),
                                   (1000, 200, 130), (1200, 1100, 1250)])
@pytest.mark.parametrize("layout", ["nn", "nt", "tn", "tt"])
def test_large_products_match_numpy_on_any_thread_count(shape, layout):
    """Large products, most of which the packed kernel takes on AVX-512 CPUs (the others, and
    all of them elsewhere, go to the broadcast, packed broadcast or dot kernels or OpenBLAS;
    1200x1100x1250 is past 1.5G multiply-adds, where the packed kernel once stopped): values
    against numpy, and the same bits on one thread and two where ember's kernels run them."""
    m, k, n = shape
    rng = np.random.default_rng(m + 3 * k + 7 * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    A = ember.from_numpy(np.ascontiguousarray(a.T)).t() if layout[0] == "t" else ember.from_numpy(a)
    B = ember.from_numpy(np.ascontiguousarray(b.T)).t() if layout[1] == "t" else ember.from_numpy(b)
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = ember.matmul(A, B).numpy()
        ember.set_num_threads(2)
        two = ember.matmul(A, B).numpy()
    finally:
        ember.set_num_threads(before)
    assert_matches(two, a, b)
    from ember import _C
    if _C._cpu_isa() == "avx512":
        np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))



@pytest.mark.parametrize("shape", [(600, 700, 300), (300, 1000, 70), (1030, 300, 65),
                                   (300, 700, 130), (64, 64, 129), (29, 33, 257)])
@pytest.mark.parametrize("layout", ["nn", "nt", "tn", "tt"])
@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (0.5, -2.0), (-1.5, 0.0)])
def test_gemm_alpha_and_beta_match_numpy(shape, layout, alpha, beta):
    """C = alpha * op(A) op(B) + beta * C through the CPU dispatch (convolution's weight
    gradient adds its products to C with beta 1); every block of 256 terms after the first
    adds to C. The first three shapes (m * k over 2^18, m over 256) take the packed kernel in
    every layout on AVX-512 CPUs; the others take the broadcast, dot or packed broadcast
    kernels."""
    from ember import _C

    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((k, m) if layout[0] == "t" else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if layout[1] == "t" else (k, n)).astype(np.float32)
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    if beta == 0.0:
        c0[0, 0] = np.nan  # never read when beta is 0
    opa = a.T if layout[0] == "t" else a
    opb = b.T if layout[1] == "t" else b
    ref = alpha * (opa.astype(np.float64) @ opb.astype(np.float64))
    if beta != 0.0:
        ref += beta * c0.astype(np.float64)
    C = ember.from_numpy(c0.copy())
    _C._gemm_for_tests(ember.from_numpy(a), ember.from_numpy(b), C, layout[0] == "t",
                       layout[1] == "t", alpha, beta)
    got = C.numpy()
    assert np.isfinite(got).all()
    scale = np.abs(opa).max() * np.abs(opb).max() * abs(alpha) + abs(beta) * np.abs(c0[1:]).max()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=4e-7 * np.sqrt(k) * scale)


def test_gemm_for_tests_refuses_shapes_that_do_not_fit():
    """The test hook names itself and the shapes when they do not make a product."""
    from ember import _C

    a, b = ember.zeros(3, 4), ember.zeros(5, 6)
    with pytest.raises(ValueError, match=r"_gemm_for_tests: shapes \(3, 4\), \(5, 6\) and"):
        _C._gemm_for_tests(a, b, ember.zeros(3, 6), False, False, 1.0, 0.0)


_DOT_PRODUCTS = textwrap.dedent('''
    import sys
    import numpy as np
    import ember
    rng = np.random.default_rng(12)
    out = []
    for m, k, n in [(16, 784, 128), (1, 784, 128), (5, 100, 37), (31, 2050, 9), (3, 7, 2),
                    (17, 33, 64), (2, 9, 15), (13, 2, 8), (29, 255, 63), (8, 64, 10),
                    (4, 3, 17)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k + 3)).astype(np.float32)
        for W in (ember.from_numpy(np.ascontiguousarray(w[:, :k])), ember.from_numpy(w)[:, :k]):
            for threads in (1, 2):
                ember.set_num_threads(threads)
                got = ember.matmul(ember.from_numpy(a), W.t()).numpy()
                ref = a.astype(np.float64) @ w[:, :k].T.astype(np.float64)
                assert np.abs(got - ref).max() <= 2e-6 * np.sqrt(k) * (1 + np.abs(ref).max()), (m, k, n)
                out.append(got.ravel())
    # alpha and beta other than 1 and 0 (C = alpha * A B^T + beta * C through the test hook)
    from ember import _C
    for m, n, k in [(1, 5, 3), (40, 20, 600), (7, 9, 33)]:
        for alpha, beta in [(-1.5, 1.0), (0.5, -2.0)]:
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((n, k)).astype(np.float32)
            c = rng.standard_normal((m, n)).astype(np.float32)
            for threads in (1, 2):
                ember.set_num_threads(threads)
                C = ember.from_numpy(c.copy())
                _C._gemm_for_tests(ember.from_numpy(a), ember.from_numpy(b), C, False, True,
                                   alpha, beta)
                out.append(C.numpy().ravel())
    np.save(sys.argv[1], np.concatenate(out))
''')


def test_avx512_and_avx2_dot_kernels_give_identical_bits(tmp_path):
    """x @ W.T with few rows or at most 64 columns runs the dot kernel; its AVX-512 form keeps
    two elements' 8-lane accumulators in each register, so every element is the AVX2 kernel's
    FMA chains and horizontal sum, and the bits must match the AVX2 run (contiguous and strided
    weights, tails of k, 1 and 2 threads, alpha and beta through the test hook; values checked
    against float64 numpy in each run)."""
    files = _outputs_in_subprocesses(
        _DOT_PRODUCTS, tmp_path, [{}, {"EMBER_CPU_ISA": "avx2"}],
        drop=("EMBER_SMALL_GEMM", "EMBER_CPU_ISA", "EMBER_SMALL_GEMM_DOT_M"))
    assert files[0].size == files[1].size > 10**4
    np.testing.assert_array_equal(files[0].view(np.uint32), files[1].view(np.uint32))


@pytest.mark.parametrize("shape", [(64, 2, 512), (16, 8, 130), (4, 32, 512), (32, 100, 200),
                                   (33, 128, 65)])
def test_short_inner_dimension_products_match_numpy_on_any_thread_count(shape):
    """x @ W.T with an inner dimension of at most 32 from 4 rows, or of at most 128 from 32
    rows, packs W.T for the broadcast kernel (the dot kernel's horizontal sums cost more there);
    results match float64 numpy and do not depend on the thread count."""
    m, k, n = shape
    rng = np.random.default_rng(m * k)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    ref = x.astype(np.float64) @ w.astype(np.float64).T
    before = ember.get_num_threads()
    outs = []
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            y = ember.nn.functional.linear(ember.from_numpy(x), ember.from_numpy(w))
            outs.append(y.numpy())
    finally:
        ember.set_num_threads(before)
    np.testing.assert_allclose(outs[0], ref, rtol=1e-5, atol=1e-5 * np.sqrt(k))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_fused_adam_step_with_a_tiny_inner_dimension_gradient_equals_eager():
    """A weight used as W @ h has the gradient g @ h.T, a product whose second factor is
    transposed; with a batch of at most 32 the plain product packs h.T, so the traced step's
    fused update must not compute it in row blocks with the dot kernel (other sums): traced and
    eager weights agree bit for bit."""
    results = []
    for traced in (False, True):
        ember.manual_seed(3)
        w = ember.nn.Parameter(ember.randn(96, 200) * 0.05)
        opt = ember.optim.Adam([w], lr=1e-2)
        h = ember.randn(200, 8)
        target = ember.randn(96, 8)

        def step(h, target, w=w, opt=opt):
            opt.zero_grad()
            loss = ((w @ h - target) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = ember.jit.function(step) if traced else step
        for _ in range(4):
            fn(h, target)
        results.append(w.detach().numpy().copy())
    np.testing.assert_array_equal(results[0].view(np.uint32), results[1].view(np.uint32))
