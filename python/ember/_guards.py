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
        """The guarded state as it is now: a training flag, or (hyperparameters, state tensor
        ids) of an optimizer; None when the object was collected."""
        obj = self.ref()
        if obj is None:
            return None
        if self.kind == "training":
            return training_of(obj)
        return optimizer_snapshot(obj), optimizer_state_ids(obj)

    def holds(self) -> bool:
        """Whether the state still has the traced value (a collected object counts as holding:
        the graph keeps what it needs by reference)."""
        obj = self.ref()
        return obj is None or self.current() == self.value

    def describe(self) -> str:
        """What the trace depended on, in words, for the JitGuardError message."""
        obj = self.ref()
        name = type(obj).__name__ if obj is not None else "object"
        if self.kind == "training":
            mode = "training" if self.value else "eval"
            return f"{name} was traced in {mode} mode"
        return f"{name}'s hyperparameters (param_groups) were those of the trace"


def training_of(module: Any) -> bool:
    """A module's training flag, read without noting a guard."""
    return module.__dict__.get("training", True)


def note_module(module: Any) -> None:
    """Called while tracing when a module is called or its ``training`` flag is read: the graph
    depends on that flag."""
    sink = state.sink
    if sink is not None and not any(g.kind == "training" and g.ref() is module for g in sink):
        sink.append(Guard(module, "training", training_of(module)))


def note_optimizer(opt: Any) -> None:
    """Called by an optimizer's step while tracing: the graph bakes in its hyperparameters (as
    they are now) and holds its state tensors (as they are when the trace ends: see finish)."""
    sink = state.sink
    if sink is not None and not any(g.kind == "optimizer" and g.ref() is opt for g in sink):
        sink.append(Guard(opt, "optimizer", (optimizer_snapshot(opt), None)))


def optimizer_state_ids(opt: Any) -> tuple:
    """Which tensors hold the optimizer's state, per parameter: the graph captured these by
    reference, so a load_state_dict or state.clear() (new or no tensors) makes it stale."""
    out = []
    for g in opt.param_groups:
        for p in g["params"]:
            st = opt.state.get(p)
            if isinstance(st, dict):
                out.append(tuple((k, id(v)) for k, v in st.items() if isinstance(v, _C.Tensor)))
            else:
                out.append(None)
    return tuple(out)


def finish(guards: list[Guard]) -> None:
    """Completes the guards of a finished trace: each optimizer's state as the graph holds it."""
    for g in guards:
        obj = g.ref()
        if g.kind == "optimizer" and obj is not None:
            g.value = (g.value[0], optimizer_state_ids(obj))


class _ReportingList(list):
    """A list that reports changes to traces (see :func:`changed`)."""

    def __setitem__(self, i: Any, v: Any) -> None:
        super().__setitem__(i, self._wrap_item(v) if not isinstance(i, slice) else
                            [self._wrap_item(x) for x in v])
        changed()

    def __iadd__(self, other: Any) -> Any:
        self.extend(other)
        return self

    def append(self, v: Any) -> None:
        """list.append, reported to traces."""
        super().append(self._wrap_item(v))
        changed()

    def extend(self, vs: Any) -> None:
        """list.extend, reported to traces."""
        super().extend(self._wrap_item(v) for v in vs)
        changed()

    def insert(self, i: Any, v: Any) -> None:
        """list.insert, reported to traces."""
        super().insert(i, self._wrap_item(v))
        changed()

    @staticmethod
    def _wrap_item(v: Any) -> Any:
        return v

    def __reduce__(self) -> Any:
        return (list, (list(self),))


def _reporting(cls: type, names: tuple[str, ...]) -> None:
    """Gives ``cls`` versions of its base's mutating methods ``names`` that report to traces
    (methods that take no new values, so nothing needs wrapping)."""
    base = cls.__mro__[1]
    for name in names:
        method = getattr(base, name)

        def reported(self: Any, *args: Any, _method: Any = method) -> Any:
            """The base method, then a report to traces (the docstring is set per name below)."""
            out = _method(self, *args)
            changed()
            return out

        reported.__name__ = name
        reported.__doc__ = f"{base.__name__}.{name}, reported to traces."
        setattr(cls, name, reported)


_reporting(_ReportingList, ("__delitem__", "pop", "remove", "clear"))


class GroupList(_ReportingList):
    """An optimizer's ``param_groups``: adding, removing or replacing a group is reported."""

    def __init__(self, groups: Any = ()) -> None:
        super().__init__(self._wrap_item(g) for g in groups)

    @staticmethod
    def _wrap_item(v: Any) -> Any:
        return v if isinstance(v, ParamGroup) else ParamGroup(v)


class _ReportingDict(dict):
    """A dict that reports changes to traces (see :func:`changed`)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, self._wrap_value(value))
        changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """dict.setdefault, reported to traces."""
        out = super().setdefault(key, self._wrap_value(default))
        changed()
        return out

    def update(self, *args: Any, **kwargs: Any) -> None:
        """dict.update, reported to traces."""
        for k, v in dict(*args, **kwargs).items():
            super().__setitem__(k, self._wrap_value(v))
        changed()

    @staticmethod
    def _wrap_value(v: Any) -> Any:
        return v

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


_reporting(_ReportingDict, ("__delitem__", "clear", "pop", "popitem"))


class _ParamState(_ReportingDict):
    """One parameter's optimizer state. While a trace records, replacing an entry that already
    holds a value is flagged: a graph keeps state only by updating its tensors in place, and
    cannot rebind a dict entry (or advance a Python number) on later runs."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if state.sink is not None and key in self:
            import warnings

            kind = "tensor" if isinstance(self[key], _C.Tensor) else type(self[key]).__name__
            warnings.warn(
                f"jit.trace: optimizer state {key!r} (a {kind}) is replaced while tracing; the "
                "graph cannot replace it again on later runs, so that state stops advancing. "
                "Update state tensors in place (buf.mul_(m).add_(g)) and keep counts in tensors",
                RuntimeWarning,
                stacklevel=2,
            )
        super().__setitem__(key, value)


class StateDict(_ReportingDict):
    """An optimizer's ``state`` (parameter -> its state dict, made on first use): every change,
    to it or to a parameter's own state dict, is reported (a graph holds the old tensors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for k, v in dict(*args, **kwargs).items():
            dict.__setitem__(self, k, self._wrap_value(v))

    def __missing__(self, key: Any) -> dict:
        value = _ParamState()
        dict.__setitem__(self, key, value)
        return value

    @staticmethod
    def _wrap_value(v: Any) -> Any:
        if type(v) is dict:
            out = _ParamState()
            dict.update(out, v)
            return out
        return v


class ParamGroup(_ReportingDict):
    """An optimizer's parameter group: a dict that reports writes (an LR scheduler setting
    ``group["lr"]``, parameters added to ``group["params"]``) to traces, which baked the old
    values in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for k, v in dict(*args, **kwargs).items():
            dict.__setitem__(self, k, self._wrap_value(v))

    @staticmethod
    def _wrap_value(v: Any) -> Any:
        return _ReportingList(v) if type(v) is list else v
