"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..._C import Tensor
from ..parameter import Parameter
from .module import Module, _addindent, _check_name

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]


def _index(idx: Any, n: int, cls: str) -> int:
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{cls}: index {idx} is out of range for length {n}")
    return idx + n if idx < 0 else idx


class Sequential(Module):
    """Runs its modules in order, feeding each output to the next.

    Built from modules (named ``"0"``, ``"1"``, ...) or one ``OrderedDict`` of name -> module.
    Supports ``len``, integer indexing, slicing (a new Sequential), iteration and ``append``.

    Example:
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> net(ember.randn(3, 4)).shape
        (3, 2)
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx: int, module: Module) -> None:
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx: Any) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            for k in keys[idx]:
                del self._modules[k]
        else:
            del self._modules[keys[_index(idx, len(keys), "Sequential")]]
        # keep the numbering compact, like PyTorch
        items = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Adds ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Appends every module of ``modules`` in order; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Inserts ``module`` before position ``index`` (negative counts from the end)."""
        items = list(self._modules.values())
        n = len(items)
        if not -n <= index <= n:
            raise IndexError(f"Sequential: index {index} is out of range for length {n}")
        items.insert(index + n if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self

    def forward(self, input: Any) -> Any:
        """Runs the contained modules; see :class:`Sequential`."""
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules, registered so that their parameters are visible.

    Supports indexing, slicing (a new ModuleList), ``len``, iteration, ``append``,
    ``extend``, ``insert`` and ``+=``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx: Any) -> None:
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(items), "ModuleList")]
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Appends ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Appends every module of ``modules`` in order; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(
                "ModuleList.extend should be called with an iterable, but got "
                + type(modules).__name__
            )
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts ``module`` before position ``index`` (negative counts from the end)."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __repr__(self) -> str:
        # Runs of identical modules are shown once, like PyTorch: "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self._modules.values()]
        if not reprs:
            return self._get_name() + "()"
        lines = []
        start = 0
        for i in range(1, len(reprs) + 1):
            if i < len(reprs) and reprs[i] == reprs[start]:
                continue
            body = _addindent(reprs[start], 2)
            if i - start == 1:
                lines.append(f"({start}): {body}")
            else:
                lines.append(f"({start}-{i - 1}): {i - start} x {body}")
            start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the contained modules; see :class:`ModuleList`."""
        raise NotImplementedError("ModuleList has no forward(); iterate over it instead")


class ModuleDict(Module):
    """An ordered dict of modules (string keys), registered as submodules."""

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Removes every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Removes the module under ``key`` and returns it (KeyError when absent)."""
        v = self[key]
        del self[key]
        return v

    def keys(self) -> Iterable[str]:
        """The module names, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(name, module) pairs, in insertion order."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Adds or replaces modules from a mapping or an iterable of (name, module) pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self[k] = m

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the contained modules; see :class:`ModuleDict`."""
        raise NotImplementedError("ModuleDict has no forward(); index it instead")


def _as_parameter(value: Any) -> Any:
    """A plain tensor becomes a :class:`Parameter` sharing its memory; anything else (a
    Parameter, None, another object) is kept as it is."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe_entry(value: Any, legacy_type: bool) -> str:
    """``Parameter containing: [ember.float32 of size 2x3]`` (PyTorch's container style), or
    ``Object of type: str`` for an entry that is not a tensor."""
    if not isinstance(value, Tensor):
        return "Object of type: " + type(value).__name__
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(int(n)) for n in value.shape)
    if legacy_type:
        dtype = "ember." + _LEGACY_TYPE_NAMES.get(str(value.dtype), str(value.dtype))
    else:
        dtype = str(value.dtype)
    return f"{kind} containing: [{dtype} of size {size}]"


# ParameterDict's repr names tensor types as PyTorch's does (torch.FloatTensor, ...).
_LEGACY_TYPE_NAMES = {
    "ember.float32": "FloatTensor",
    "ember.float64": "DoubleTensor",
    "ember.int64": "LongTensor",
    "ember.int32": "IntTensor",
    "ember.uint8": "ByteTensor",
    "ember.bool": "BoolTensor",
}


class ParameterList(Module):
    """A list of parameters, registered under the names ``"0"``, ``"1"``, ... so that
    ``parameters()``, ``state_dict()`` and optimizers see them.

    A plain tensor added to the list is wrapped in a :class:`Parameter` (sharing its memory);
    other objects are stored as they are, and are not parameters. Supports integer indexing
    (negative counts from the end), slicing (a new ParameterList of the same parameters),
    item assignment, ``len``, iteration, ``append``, ``extend`` and ``+=``.

    Args:
        values: an iterable of tensors (or other objects) to add, or None.
    Raises:
        IndexError: an index out of range.
        TypeError: ``extend`` with something that is not an iterable.
        RuntimeError: calling the list.
    Example:
        >>> pl = nn.ParameterList([ember.zeros(2), ember.ones(3)])
        >>> [name for name, _ in pl.named_parameters()]
        ['0', '1']
        >>> pl
        ParameterList(
            (0): Parameter containing: [ember.float32 of size 2]
            (1): Parameter containing: [ember.float32 of size 3]
        )
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return self.__class__([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, len(self), "ParameterList")))

    def __setitem__(self, idx: int, param: Any) -> None:
        i = _index(idx, len(self), "ParameterList")
        setattr(self, str(i), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:  # noqa: PYI034
        return self.extend(parameters)

    def __dir__(self) -> list[str]:
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Adds ``value`` at the end (a plain tensor becomes a Parameter); returns self."""
        self._size += 1
        try:
            self[self._size - 1] = value
        except BaseException:
            self._size -= 1
            raise
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Appends every element of ``values`` in order; returns self.

        Raises:
            TypeError: ``values`` is not an iterable, or is a single tensor.
        """
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                + type(values).__name__
            )
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        """One line per entry: ``(i): Parameter containing: [dtype of size AxB]``."""
        return "\n".join(
            f"  ({i}): " + _describe_entry(v, legacy_type=False) for i, v in enumerate(self)
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters (string keys), each registered under its key so that
    ``parameters()``, ``state_dict()`` and optimizers see it.

    A plain tensor stored in it is wrapped in a :class:`Parameter` (sharing its memory); other
    objects are stored as they are, and are not parameters. Built from (and ``update`` takes)
    a mapping or an iterable of ``(key, value)`` pairs; as in PyTorch, a plain ``dict`` is
    added in sorted key order, an ``OrderedDict``, ParameterDict or sequence of pairs in its
    own order.

    Args:
        parameters: a mapping or an iterable of ``(key, value)`` pairs, or None.
    Raises:
        TypeError: a key that is not a string.
        KeyError: a key that is empty or contains ``"."``; a missing key.
        RuntimeError: calling the dict.
    Example:
        >>> pd = nn.ParameterDict({"scale": ember.ones(2), "shift": ember.zeros(2)})
        >>> list(pd.state_dict())
        ['scale', 'shift']
        >>> pd
        ParameterDict(
            (scale): Parameter containing: [ember.FloatTensor of size 2]
            (shift): Parameter containing: [ember.FloatTensor of size 2]
        )
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _check_key(self, key: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(
                f"ParameterDict: keys must be strings, got {key!r} of type {type(key).__name__}"
            )
        _check_name(key, "parameter")
        if key not in self._keys and hasattr(self, key):
            raise KeyError(
                f"ParameterDict: key {key!r} would hide the ParameterDict attribute of that name"
            )

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        setattr(self, key, _as_parameter(value))
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        if key not in self._keys:
            raise KeyError(key)
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters (not copies), in the same order."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``self[key]``, first setting it to ``default`` when absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Removes every entry."""
        for k in list(self._keys):
            del self[k]

    def pop(self, key: str) -> Any:
        """Removes ``key`` and returns its value (KeyError when absent)."""
        v = self[key]
        del self[key]
        return v

    def popitem(self) -> tuple[str, Any]:
        """Removes and returns the last inserted ``(key, value)`` pair (KeyError when empty)."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        k = next(reversed(self._keys))
        return k, self.pop(k)

    def get(self, key: str, default: Any = None) -> Any:
        """``self[key]`` if present, else ``default``."""
        if key in self._keys:
            return self[key]
        return default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with every key of ``keys`` set to ``default``."""
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` pairs, in insertion order."""
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator[Any]:
        """The values, in insertion order."""
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Adds or replaces entries from a mapping or an iterable of ``(key, value)`` pairs
        (a plain ``dict`` in sorted key order, as PyTorch).

        Raises:
            TypeError: ``parameters`` is not iterable.
            ValueError: an element that is not a pair.
        """
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "ParameterDict.update should be called with an iterable of key/value pairs, "
                "but got " + type(parameters).__name__
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for k, v in parameters.items():
                self[k] = v
        elif isinstance(parameters, Mapping):
            for k, v in sorted(parameters.items()):
                self[k] = v
        else:
            for j, pair in enumerate(parameters):
                if not isinstance(pair, Iterable):
                    raise TypeError(
                        f"ParameterDict update sequence element #{j} should be Iterable; is "
                        + type(pair).__name__
                    )
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ParameterDict update sequence element #{j} has length {len(pair)}; "
                        "2 is required"
                    )
                self[pair[0]] = pair[1]

    def __or__(self, other: ParameterDict) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        out = other.copy()
        out.update(self)
        return out

    def __ior__(self, other: Any) -> ParameterDict:  # noqa: PYI034
        self.update(other)
        return self

    def extra_repr(self) -> str:
        """One line per entry: ``(key): Parameter containing: [ember.FloatTensor of size N]``."""
        return "\n".join(
            f"  ({k}): " + _describe_entry(v, legacy_type=True) for k, v in self.items()
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")
