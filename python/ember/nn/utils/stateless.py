"""``functional_call``: call a module with other parameter and buffer values
(PyTorch's ``torch.nn.utils.stateless``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..._C import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()


def _merge(dicts: Any) -> dict[str, Any]:
    """One ``{name: tensor}`` dict from a mapping or a sequence of mappings."""
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if isinstance(dicts, Sequence) and all(isinstance(d, Mapping) for d in dicts):
        seen: dict[str, int] = {}
        for d in dicts:
            for k in d:
                seen[k] = seen.get(k, 0) + 1
        repeated = sorted(k for k, c in seen.items() if c > 1)
        if repeated:
            raise ValueError(
                f"functional_call: {repeated} appeared in multiple dictionaries; behavior of "
                "functional call is ambiguous"
            )
        return {k: v for d in dicts for k, v in d.items()}
    raise TypeError(
        "functional_call: parameter_and_buffer_dicts must be a dict of {name: Tensor} or a "
        f"sequence of such dicts, got {type(dicts).__name__}"
    )


def _untie(module: Module, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` plus, for each given name of a tied tensor, every other name of that tensor.

    Raises:
        ValueError: different values given for names of one tied tensor.
    """
    named: dict[str, Tensor] = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    by_tensor: dict[int, list[str]] = {}
    for name, t in named.items():
        by_tensor.setdefault(id(t), []).append(name)
    out = dict(given)
    for names in by_tensor.values():
        if len(names) < 2:
            continue
        values = [given[n] for n in names if n in given]
        if not values:
            continue
        if any(v is not values[0] for v in values[1:]):
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are "
                "tied. Consider using tie_weights=False"
            )
        for n in names:
            out[n] = values[0]
    return out


def _swap(module: Module, name: str, value: Any) -> Any:
    """Puts ``value`` (``_MISSING``: removes) under the dotted ``name``; returns what was
    there (``_MISSING`` if nothing). Parameters are replaced in ``_parameters`` directly, so a
    plain (non-leaf) tensor may stand in for one."""
    prefix, _, attr = name.rpartition(".")
    sub = module.get_submodule(prefix)
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(
            f"functional_call: the value for {name!r} must be a Tensor, got {type(value).__name__}"
        )
    for store in (sub._parameters, sub._buffers):
        if attr in store:
            old = store[attr]
            if value is _MISSING:
                del store[attr]
            else:
                store[attr] = value
            return old
    old = sub.__dict__.get(attr, _MISSING)
    if value is _MISSING:
        sub.__dict__.pop(attr, None)
    else:
        object.__setattr__(sub, attr, value)
    return old


@contextlib.contextmanager
def _reparametrize(
    module: Module, values: dict[str, Any], tie_weights: bool, strict: bool, write_back: Any
) -> Iterator[None]:
    """Swaps ``values`` in for the call; afterwards restores the originals and writes the
    values the call left under the given names into ``write_back`` (a dict or None)."""
    if tie_weights:
        values = _untie(module, values)
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs)
            )
    originals: dict[str, Any] = {}
    try:
        for name, value in values.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        current = {name: _swap(module, name, old) for name, old in originals.items()}
        if write_back is not None:
            for name in write_back:
                if current.get(name, _MISSING) is not _MISSING:
                    write_back[name] = current[name]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Calls ``module(*args, **kwargs)`` with some parameters and buffers replaced.

    The given tensors stand in for the module's parameters and buffers (by dotted name, as in
    ``named_parameters()``) for this one call; the originals are restored afterwards, even if
    the call raises. Gradients flow to the given tensors, not to the module's parameters, so
    this computes a model's output as a function of its weights (meta-learning, ensembles,
    per-sample gradients). A name the module lacks is set as a plain attribute for the call.
    If the module assigns a new value to a replaced buffer during the call, the new value is
    written back into the given dict (PyTorch's behaviour).

    Args:
        module: the module to call.
        parameter_and_buffer_dicts: ``{name: Tensor}``, or a sequence of such dicts (merged;
            as ``torch.func.functional_call``).
        args: the positional arguments; a non-tuple is one argument. Default none.
        kwargs: the keyword arguments. Default none.
        tie_weights: (keyword) a tensor registered under several names (tied weights) is
            replaced under all of them when one of its names is given. Default True.
        strict: (keyword) the given names must be exactly the module's parameters and
            buffers. Default False.
    Returns:
        Whatever ``module`` returns.
    Raises:
        ValueError: different values for the names of one tied tensor (with ``tie_weights``),
            or a name repeated across the dicts.
        RuntimeError: missing or unexpected names with ``strict``.
        TypeError: a value that is not a Tensor (or None).
        AttributeError: a dotted name whose submodule does not exist.
    Example:
        >>> lin = nn.Linear(2, 1)
        >>> w = {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}
        >>> functional_call(lin, w, (ember.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    values = _merge(parameter_and_buffer_dicts)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    write_back = (
        parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, dict) else None
    )
    with _reparametrize(module, values, tie_weights, strict, write_back):
        return module(*args, **kwargs)
