"""ember.set_flush_denormal: denormal results and inputs become zero on the calling thread, and
ember's worker threads follow the thread whose op they run."""

import platform
import threading

import numpy as np
import pytest

import ember

X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
TINY32 = np.float32(1e-39)  # a float32 denormal (finfo(float32).tiny is 1.18e-38)
TINY64 = 1e-310  # a float64 denormal


@pytest.fixture(autouse=True)
def _flush_off_afterwards():
    """Every test leaves the calling thread with IEEE gradual underflow, whatever it did."""
    yield
    ember.set_flush_denormal(False)


def _zeros(t):
    """How many elements of `t` are exactly zero."""
    return int(np.count_nonzero(t.numpy() == 0))


def test_results_and_inputs_that_are_denormal_become_zero():
    """Products that would be denormal come out as zero, and denormals read as zero, in
    float32 and float64; turning it off restores gradual underflow exactly."""
    x32 = ember.from_numpy(np.array([TINY32, 1.0, -TINY32], dtype=np.float32))
    x64 = ember.from_numpy(np.array([TINY64, 2.0], dtype=np.float64))
    big = ember.from_numpy(np.array([1e-30], dtype=np.float32))
    assert ember.set_flush_denormal(True) is X86
    if not X86:
        np.testing.assert_array_equal((x32 * 1.0).numpy(), x32.numpy())
        return
    np.testing.assert_array_equal((x32 * 1.0).numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal((x64 * 1.0).numpy(), [0.0, 2.0])
    assert (big * big).item() == 0.0  # 1e-60 underflows past float32's denormals anyway
    assert (big * 1e-9).item() == 0.0  # 1e-39 would be denormal: flushed
    assert ember.set_flush_denormal(False) is True
    np.testing.assert_array_equal((x32 * 1.0).numpy().view(np.uint32),
                                  x32.numpy().view(np.uint32))
    assert (x64 * 1.0).numpy()[0] == TINY64
    assert (big * 1e-9).item() == np.float32(1e-30) * np.float32(1e-9)


@pytest.mark.parametrize("threads", [1, 2])
def test_large_ops_flush_on_every_thread_that_runs_them(threads):
    """An op over 1M elements, split over the pool on two threads, flushes every chunk (the
    workers follow the caller), and keeps every denormal exactly once flushing is off."""
    n = 1 << 20
    x = ember.from_numpy(np.full(n, TINY32, dtype=np.float32))
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(threads)
        ember.set_flush_denormal(True)
        y = x * 1.0
        s = x.sum()
        ember.set_flush_denormal(False)
        z = x * 1.0
    finally:
        ember.set_num_threads(before)
    if X86:
        assert _zeros(y) == n
        assert s.item() == 0.0
    else:
        assert _zeros(y) == 0
    assert _zeros(z) == 0
    np.testing.assert_array_equal(z.numpy().view(np.uint32), x.numpy().view(np.uint32))


def test_each_thread_keeps_its_own_setting():
    """The setting is the calling thread's (as in PyTorch): a thread that did not turn it on
    gets exact denormals from a large op, on the same pool, while another thread flushes."""
    n = 1 << 20
    x = ember.from_numpy(np.full(n, TINY32, dtype=np.float32))
    go, done = threading.Event(), threading.Event()
    out = {}

    def plain():
        """Started before flushing is turned on, so it inherits IEEE underflow."""
        go.wait()
        out["plain"] = _zeros(x * 1.0)
        done.set()

    t = threading.Thread(target=plain)
    t.start()
    ember.set_flush_denormal(True)
    go.set()
    done.wait(60)
    t.join(60)
    flushed = _zeros(x * 1.0)
    assert out["plain"] == 0
    assert flushed == (n if X86 else 0)


def test_adam_state_that_is_denormal_is_flushed():
    """Adam's first moment of a parameter with zero gradient decays into denormals and then
    stays there (0.1 * m rounds to zero for the smallest ones); flushing zeroes it. The
    parameter itself is the same either way."""
    def run(flush):
        """One Adam step from a state holding the denormal m = 3 * 2^-149 and v = 1e-12."""
        p = ember.from_numpy(np.full((4, 4), 0.5, dtype=np.float32))
        p.requires_grad_(True)
        p.grad = ember.zeros(4, 4)
        opt = ember.optim.Adam([p], lr=1e-3)
        opt.step()
        state = opt.state[p]
        m = np.full((4, 4), 3, dtype=np.uint32).view(np.float32)
        state["exp_avg"].copy_(ember.from_numpy(m))
        state["exp_avg_sq"].copy_(ember.full((4, 4), 1e-12))
        ember.set_flush_denormal(flush)
        try:
            opt.step()
        finally:
            ember.set_flush_denormal(False)
        return state["exp_avg"].numpy(), p.detach().numpy()

    m_plain, p_plain = run(False)
    m_flush, p_flush = run(True)
    np.testing.assert_array_equal(m_plain.view(np.uint32), np.full((4, 4), 3, np.uint32))
    np.testing.assert_array_equal(m_flush, np.zeros((4, 4)) if X86 else m_plain)
    np.testing.assert_array_equal(p_plain, p_flush)
    np.testing.assert_array_equal(p_plain, np.full((4, 4), 0.5, dtype=np.float32))


@pytest.mark.parametrize("mode", [None, 0, 1, 1.0, "yes"])
def test_only_a_bool_is_accepted(mode):
    """None, numbers and strings raise TypeError naming the type (torch.set_flush_denormal
    refuses them too); nothing changes."""
    x = ember.from_numpy(np.array([TINY32], dtype=np.float32))
    with pytest.raises(TypeError, match="set_flush_denormal: expected mode to be a bool"):
        ember.set_flush_denormal(mode)
    assert (x * 1.0).item() == TINY32
