"""Guards of ember.jit traces: the Python state a traced graph was recorded under.

While a trace records on this thread, modules and optimizers report the state their traced code
depended on to ``state.sink`` (a list): a module's ``training`` flag when it is called, an
optimizer's hyperparameters when it steps. The graph bakes that state in, so
``ember.jit.function`` checks it again before running a graph and traces anew when it changed;
``TracedFunction`` raises instead. Changing such state calls :func:`changed`, which tells the
C++ call tables to stop running graphs until their guards have been checked again.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from . import _C


class _State(threading.local):
    sink: list[Any] | None = None  # guards of the trace recording on this thread, or None


state = _State()


def changed() -> None:
    """Notes that state some trace may depend on changed (a training flag, a hyperparameter)."""
    _C._jit_state_changed()


def _frozen(v: Any) -> Any:
    """A comparable snapshot of a hyperparameter value (tensors and other objects by identity)."""
    if isinstance(v, (bool, int, float, str, type(None))):
        return (type(v), v)
    if isinstance(v, (tuple, list)):
        return (type(v),) + tuple(_frozen(x) for x in v)
    return ("id", id(v))


def optimizer_snapshot(opt: Any) -> tuple:
    """Every group's hyperparameters and parameter identities, in order."""
    return tuple(
        tuple(sorted((k, _frozen(v)) for k, v in g.items() if k != "params"))
        + (tuple(id(p) for p in g["params"]),)
        for g in opt.param_groups
    )


class Guard:
    """One piece of Python state a trace depended on: ``what`` describes it for messages."""

    __slots__ = ("ref", "kind", "value")

    def __init__(self, obj: Any, kind: str, value: Any) -> None:
        self.ref = weakref.ref(obj)
        self.kind = kind
        self.value = value

    def current(self) -> Any:
        obj = self.ref()
        if obj is None:
            return None
        if self.kind == "training":
            return obj.training
        return optimizer_snapshot(obj)

    def holds(self) -> bool:
        """Whether the state still has the traced value (a collected object counts as holding:
        the graph keeps what it needs by reference)."""
        obj = self.ref()
        return obj is None or self.current() == self.value

    def describe(self) -> str:
        obj = self.ref()
        name = type(obj).__name__ if obj is not None else "object"
        if self.kind == "training":
            mode = "training" if self.value else "eval"
            return f"{name} was traced in {mode} mode"
        return f"{name}'s hyperparameters (param_groups) were those of the trace"


def note_module(module: Any) -> None:
    """Called by Module.__call__ while tracing: the graph depends on ``module.training``."""
    sink = state.sink
    if sink is not None and not any(g.kind == "training" and g.ref() is module for g in sink):
        sink.append(Guard(module, "training", module.training))


def note_optimizer(opt: Any) -> None:
    """Called by an optimizer's step while tracing: the graph bakes in its hyperparameters."""
    sink = state.sink
    if sink is not None and not any(g.kind == "optimizer" and g.ref() is opt for g in sink):
        sink.append(Guard(opt, "optimizer", optimizer_snapshot(opt)))


class ParamGroup(dict):
    """An optimizer's parameter group: a dict that reports writes (an LR scheduler setting
    ``group["lr"]``) to traces, which baked the old values in."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """dict.update, reported to traces."""
        super().update(*args, **kwargs)
        changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """dict.setdefault, reported to traces."""
        out = super().setdefault(key, default)
        changed()
        return out

    def pop(self, key: Any, *default: Any) -> Any:
        """dict.pop, reported to traces."""
        out = super().pop(key, *default)
        changed()
        return out

    def clear(self) -> None:
        """dict.clear, reported to traces."""
        super().clear()
        changed()

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))
