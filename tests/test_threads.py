"""ember.set_num_threads / get_num_threads and the kernels that run on several threads: results
do not depend on the thread count, concurrent callers are safe, BLAS still works after them."""

import threading

import ember
import numpy as np
import pytest


@pytest.fixture
def restore_threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


def test_set_get(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(3)
    assert ember.get_num_threads() == 3


@pytest.mark.parametrize("n", [0, -2])
def test_set_rejects_non_positive(n, restore_threads):
    with pytest.raises(ValueError, match="set_num_threads"):
        ember.set_num_threads(n)


def _ops(x, y, m):
    return {
        "add": (x + y).numpy(),
        "mul_scalar": (x * 3.0).numpy(),
        "exp": x.exp().numpy(),
        "relu": x.relu().numpy(),
        "sum": x.sum().numpy(),
        "mean": x.mean().numpy(),
        "max": x.max().numpy(),
        "min": x.min().numpy(),
        "row_sum": m.sum(1).numpy(),
        "row_max": m.max(1)[0].numpy(),
        "double_add": (x.double() + 1).numpy(),
        "int_mul": (x.to(ember.int32) * 2).numpy(),
        "copy": x.clone().numpy(),
        "fill": ember.full((x.numel(),), 2.5).numpy(),
        "contiguous": m.t().contiguous().numpy(),
    }


@pytest.mark.parametrize("n", [(1 << 16) - 1, (1 << 16) + 3, (1 << 20) + 7, (1 << 22) + 9])
def test_results_independent_of_threads(n, restore_threads):
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal(n).astype(np.float32))
    y = ember.from_numpy(rng.standard_normal(n).astype(np.float32))
    m = ember.from_numpy(rng.standard_normal((n // 97, 97)).astype(np.float32))
    ember.set_num_threads(1)
    one = _ops(x, y, m)
    for t in (2, 4):
        ember.set_num_threads(t)
        many = _ops(x, y, m)
        for k in one:
            np.testing.assert_array_equal(one[k], many[k], err_msg=f"{k} with {t} threads")
    xn = x.numpy().astype(np.float64)
    np.testing.assert_allclose(one["sum"], xn.sum(), rtol=1e-6)
    np.testing.assert_array_equal(one["add"], x.numpy() + y.numpy())
    assert one["max"] == xn.max()


def test_concurrent_callers(restore_threads):
    ember.set_num_threads(2)
    rng = np.random.default_rng(1)
    data = [rng.standard_normal(300000).astype(np.float32) for _ in range(4)]
    errors = []

    def work(a):
        t = ember.from_numpy(a)
        for _ in range(20):
            s = (t * 2.0 + 1.0).sum().item()
            if not np.isclose(s, (a.astype(np.float64) * 2 + 1).sum(), rtol=1e-5):
                errors.append(s)

    threads = [threading.Thread(target=work, args=(a,)) for a in data]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors


def test_matmul_between_threaded_kernels(restore_threads):
    ember.set_num_threads(2)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((256, 300)).astype(np.float32)
    b = rng.standard_normal((300, 256)).astype(np.float32)
    ta, tb = ember.from_numpy(a), ember.from_numpy(b)
    for _ in range(3):
        c = ember.matmul(ta.relu(), tb.exp()).numpy()
        ref = np.maximum(a, 0).astype(np.float64) @ np.exp(b.astype(np.float64))
        np.testing.assert_allclose(c, ref, rtol=1e-4, atol=1e-3)


def test_inplace_large(restore_threads):
    ember.set_num_threads(2)
    x = np.random.default_rng(3).standard_normal(1 << 18).astype(np.float32)
    t = ember.from_numpy(x.copy())
    t.add_(1.0).mul_(2.0)
    np.testing.assert_array_equal(t.numpy(), (x + np.float32(1)) * np.float32(2))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_fork_after_threaded_work(restore_threads):
    import os

    ember.set_num_threads(2)
    x = np.random.default_rng(4).standard_normal(1 << 18).astype(np.float32)
    t = ember.from_numpy(x)
    want = float((t * 2.0).sum().item())
    pid = os.fork()
    if pid == 0:  # child: the parent's workers do not exist here
        ok = False
        try:
            got = float((t * 2.0).sum().item())
            ember.set_num_threads(3)
            got3 = float((t * 2.0).sum().item())
            ok = got == want and got3 == want
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert float((t * 2.0).sum().item()) == want


def _matmul_ref(a, b):
    return a.astype(np.float64) @ b.astype(np.float64)


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_concurrent_matmuls_on_shared_pool(threads, restore_threads):
    # OpenBLAS's threaded calls run on ember's pool; callers that find it busy (another Python
    # thread's product or kernel) run their jobs on threads of their own. Every result is right
    # and nothing deadlocks, with more threads configured than cores too.
    ember.set_num_threads(threads)
    rng = np.random.default_rng(5)
    pairs = [(rng.standard_normal((192, 160)).astype(np.float32),
              rng.standard_normal((160, 224)).astype(np.float32)) for _ in range(4)]
    errors = []

    def work(a, b):
        ta, tb = ember.from_numpy(a), ember.from_numpy(b)
        ref = _matmul_ref(a, b)
        for _ in range(15):
            got = ember.matmul(ta, tb).numpy()
            big = (ta.relu() * 2.0).sum().item()  # a pool kernel between products
            if not np.allclose(got, ref, rtol=1e-4, atol=1e-3):
                errors.append(float(np.abs(got - ref).max()))
            if not np.isclose(big, 2 * np.maximum(a, 0).astype(np.float64).sum(), rtol=1e-4):
                errors.append(big)

    ths = [threading.Thread(target=work, args=p) for p in pairs]
    for th in ths:
        th.start()
    for th in ths:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in ths), "a product did not finish"
    assert not errors


def test_products_inside_convolution_workers(restore_threads):
    # Convolution runs a product per image on the pool's workers (nested in a pool region).
    ember.set_num_threads(2)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    y = ember.nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w)).numpy()
    ref = np.zeros((4, 5, 10, 10))
    for i in range(3):
        for j in range(3):
            ref += np.einsum("nchw,oc->nohw", x[:, :, i:i + 10, j:j + 10].astype(np.float64),
                             w[:, :, i, j].astype(np.float64))
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    # A big threaded product right after still uses the pool correctly.
    a = rng.standard_normal((300, 400)).astype(np.float32)
    b = rng.standard_normal((400, 200)).astype(np.float32)
    np.testing.assert_allclose(ember.matmul(ember.from_numpy(a), ember.from_numpy(b)).numpy(),
                               _matmul_ref(a, b), rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_fork_after_threaded_matmul(restore_threads):
    import os

    ember.set_num_threads(2)
    rng = np.random.default_rng(7)
    a = rng.standard_normal((256, 256)).astype(np.float32)
    ta = ember.from_numpy(a)
    want = ember.matmul(ta, ta).numpy()
    pid = os.fork()
    if pid == 0:  # child: a fresh pool runs OpenBLAS's jobs
        ok = False
        try:
            ok = bool(np.array_equal(ember.matmul(ta, ta).numpy(), want))
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_workers_that_never_spin_give_the_same_results():
    # EMBER_POOL_SPIN_US=0: workers sleep right after each job, so every region wakes them.
    import subprocess
    import sys

    code = (
        "import numpy as np, ember\n"
        "ember.set_num_threads(2)\n"
        "x = ember.from_numpy(np.arange(1 << 18, dtype=np.float32) / 1000)\n"
        "w = ember.from_numpy(np.ones((64, 784), np.float32))\n"
        "a = ember.from_numpy(np.full((16, 784), 0.5, np.float32))\n"
        "out = [float((x * 2.0).sum().item()) for _ in range(50)]\n"
        "mm = [float(ember.matmul(a, w.t()).sum().item()) for _ in range(50)]\n"
        "print(len(set(out)), out[0], len(set(mm)), mm[0])\n"
    )
    env = dict(__import__("os").environ, EMBER_POOL_SPIN_US="0")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    n_sum, total, n_mm, mm = r.stdout.split()
    want = float(np.float32(2) * (np.arange(1 << 18, dtype=np.float64) / 1000).sum())
    assert n_sum == "1" and abs(float(total) - want) <= 1e-6 * want
    assert n_mm == "1" and float(mm) == 16 * 64 * 784 * 0.5


def test_regions_of_every_size_and_thread_count_keep_their_results(restore_threads):
    """Regions of 2 to 64 chunks, back to back, while the pool is resized between 2, 3, 4 and 2
    threads: every chunk runs exactly once (an elementwise result equal to numpy's) and the
    chunk-ordered sums equal the one-thread ones bit for bit."""
    rng = np.random.default_rng(9)
    sizes = [1 << 16, (1 << 16) + 1, 3 << 15, 1 << 17, 5 << 16, 1 << 20, (1 << 20) + 77]
    data = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    ember.set_num_threads(1)
    want_sums = [ember.from_numpy(d).sum().numpy() for d in data]
    for threads in (2, 3, 4, 2):
        ember.set_num_threads(threads)
        for _ in range(20):
            for d, s in zip(data, want_sums):
                x = ember.from_numpy(d)
                np.testing.assert_array_equal((x * 3.0 + 1.0).numpy(), d * np.float32(3) + 1)
                np.testing.assert_array_equal(x.sum().numpy(), s)


def _seen(call, want, seconds=20.0):
    """Whether `want(call())` holds in some call within `seconds` (at least 3 calls), and the
    last three results for the message. The timing-dependent cases below hold whenever both
    threads run at once, which a loaded machine can prevent for a while."""
    import time

    last, start, calls = [], time.monotonic(), 0
    while calls < 3 or time.monotonic() - start < seconds:
        r = call()
        calls += 1
        last = (last + [r])[-3:]
        if want(r):
            return True, last
    return False, last


def _mostly_seen(call, want, n=20, k=15, seconds=20.0):
    """Whether some batch of `n` consecutive calls within `seconds` has `want` hold in `k` or
    more of them, and the last batch's results for the message: a rule that holds whenever both
    threads run at once, told apart from timing that only happens to give the same result now
    and then."""
    import time

    start, batch = time.monotonic(), []
    while not batch or time.monotonic() - start < seconds:
        batch = [call() for _ in range(n)]
        if sum(bool(want(r)) for r in batch) >= k:
            return True, batch
    return False, batch


def test_affine_blocks_run_once_and_keep_their_halves(restore_threads):
    """parallel_blocks_affine on two threads: every block runs exactly once, whatever the delays
    (the hook throws otherwise); each thread runs its own half (blocks [0, n // 2) on the
    caller) when the other keeps up or is one block behind; a slow worker has its blocks taken
    while it has two or more unclaimed, and one that claims nothing for 20 us has its last
    unclaimed block taken."""
    ember.set_num_threads(2)
    hook = ember._C._blocks_affine_for_tests
    rng = np.random.default_rng(3)
    for n in (3, 4, 5, 8, 13, 16, 40):
        for _ in range(10):
            caller = list(rng.uniform(0, 30, n) * (rng.random(n) < 0.5))
            worker = list(rng.uniform(0, 30, n) * (rng.random(n) < 0.5))
            sides = hook(n, caller, worker)
            assert len(sides) == n and set(sides) <= {0, 1}, sides

    for n in (4, 8, 16):
        halves = [0] * (n // 2) + [1] * (n - n // 2)
        ok, last = _seen(lambda: hook(n, [100.0] * n, [100.0] * n), lambda r: r == halves)
        assert ok, last
    # The worker's blocks take 8 us, the caller's 5: when the caller is done with its half, the
    # worker is one block behind, and the caller waits for it instead of taking its block.
    # (Most of a batch of calls, not just one: a caller that took the block at once would also
    # leave the halves whole whenever it happened to be late.)
    ok, last = _mostly_seen(lambda: hook(8, [5.0] * 8, [8.0] * 8),
                            lambda r: r == [0] * 4 + [1] * 4)
    assert ok, last
    # The worker takes 1 ms a block, the caller nothing: the caller takes worker blocks while
    # the worker has two or more unclaimed, so it runs more than its half but not all.
    ok, last = _seen(lambda: hook(16, [0.0] * 16, [1000.0] * 16),
                     lambda r: 8 < r.count(0) < 16)
    assert ok, last
    # Taken blocks come from the far end of the other's half: the caller, done at once with its
    # four, takes the worker's lowest blocks while the worker runs down from the top, so the
    # worker's blocks stay one run at the top ([0] * 6 + [1] * 2 here, not interleaved).
    ok, last = _mostly_seen(lambda: hook(8, [0.0] * 4 + [30.0] * 4, [40.0] * 8),
                            lambda r: r == [0] * 6 + [1] * 2)
    assert ok, last
    # Four blocks, 50 us each on the caller and 1 ms on the worker: when the caller is done
    # with its two, the worker is inside its first (block 3) with one block unclaimed, too few
    # to take at once; the worker claims nothing for 20 us, so the caller takes block 2 rather
    # than waiting the rest of the millisecond.
    ok, last = _seen(lambda: hook(4, [50.0] * 4, [1000.0] * 4), lambda r: r == [0, 0, 0, 1])
    assert ok, last


def test_an_exception_in_a_block_reaches_the_caller_after_every_block_ran(restore_threads):
    """A block that throws, on the calling thread or on the worker: the caller gets the
    exception (ValueError here) after the region is over, no block has run twice (the hook
    checks before rethrowing; blocks not yet claimed may be skipped, as in a loop), the process
    survives a worker's exception, and the pool keeps working afterwards."""
    ember.set_num_threads(2)
    hook = ember._C._blocks_affine_for_tests
    sides_seen = set()
    for n in (3, 8, 16):
        for throw_block in range(n):
            for caller, worker in ((5.0, 5.0), (0.0, 50.0), (50.0, 0.0)):
                sides_seen.add(_raised_by(hook, n, [caller] * n, [worker] * n, throw_block))
    # Some of those blocks threw on the caller; the worker's first block (the last one) throws
    # on the worker whenever the worker starts while the caller is still busy.
    assert "caller" in sides_seen
    ok, last = _seen(lambda: _raised_by(hook, 8, [200.0] * 8, [0.0] * 8, 7),
                     lambda s: s == "worker")
    assert ok, last
    assert sorted(set(hook(8, [5.0] * 8, [5.0] * 8))) in ([0], [0, 1], [1])
    x = np.arange(1 << 18, dtype=np.float32) / 1000
    np.testing.assert_array_equal((ember.from_numpy(x) * 2.0).numpy(), x * np.float32(2))


def _raised_by(hook, n, caller_us, worker_us, throw_block):
    """Runs the hook with block `throw_block` throwing; checks that its ValueError arrives, and
    returns which side ran that block ("caller" or "worker")."""
    with pytest.raises(ValueError, match=f"block {throw_block} throws") as err:
        hook(n, caller_us, worker_us, throw_block)
    return "worker" if "run by the worker" in str(err.value) else "caller"
