"""no_grad / enable_grad / set_grad_enabled: context managers, decorators, thread-locality."""

from __future__ import annotations

import threading

import ember
import pytest


def test_no_grad_context_manager() -> None:
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad() -> None:
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        with ember.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_decorators() -> None:
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad()
    def f(t):
        return t * 2, ember.is_grad_enabled()

    @ember.enable_grad()
    def g(t):
        return t * 2

    y, enabled = f(x)
    assert not enabled and not y.requires_grad
    assert f.__name__ == "f"
    with ember.no_grad():
        assert g(x).requires_grad
    assert ember.is_grad_enabled()


def test_set_grad_enabled_forms() -> None:
    x = ember.ones(1, requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)
    assert ember.is_grad_enabled()

    @ember.set_grad_enabled(False)
    def h():
        return ember.is_grad_enabled()

    assert ember.is_grad_enabled()  # decorating does not change the mode
    assert h() is False
    assert ember.is_grad_enabled()


def test_mode_restored_after_exception() -> None:
    with pytest.raises(ZeroDivisionError), ember.no_grad():
        1 / 0  # noqa: B018
    assert ember.is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    seen = {}
    ready = threading.Event()
    done = threading.Event()

    def worker() -> None:
        ready.wait()
        x = ember.ones(1, requires_grad=True)
        seen["enabled"] = ember.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad
        with ember.no_grad():
            seen["inner"] = ember.is_grad_enabled()
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    with ember.no_grad():
        ready.set()
        done.wait(timeout=30)
        assert not ember.is_grad_enabled()
    t.join()
    assert seen == {"enabled": True, "requires_grad": True, "inner": False}
    assert ember.is_grad_enabled()


def test_inference_mode() -> None:
    x = ember.ones(1, requires_grad=True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()


def test_bare_decorators() -> None:
    x = ember.ones(1, requires_grad=True)

    @ember.no_grad
    def f(t):
        return t * 2

    @ember.enable_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with ember.no_grad():
        assert g(x).requires_grad
    assert ember.is_grad_enabled()
