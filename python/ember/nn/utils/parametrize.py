"""Parametrizations of module tensors (PyTorch's ``torch.nn.utils.parametrize``).

A parametrization turns a parameter or buffer ``module.weight`` into a function of other
tensors: after ``register_parametrization(module, "weight", p)`` reading ``module.weight``
returns ``p(original)``, where ``original`` is the tensor that now lives at
``module.parametrizations.weight.original`` (or ``original0``, ``original1``, ... when
``p.right_inverse`` returns several tensors). ``parameters()``, ``state_dict()`` and optimizers
see the originals; the forward pass and autograd see the parametrized value.

As in PyTorch, the module's class is swapped for a generated subclass
``Parametrized<Class>`` that holds one property per parametrized tensor, and swapped back when
the last parametrization is removed.
"""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..._C import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

# Depth of nested ``cached()`` blocks, and the values computed while one is open, keyed by
# (id(module), tensor_name). Module-level, like PyTorch's: one cache for every thread.
_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Context manager that computes each parametrized tensor once and reuses it.

    Inside the block the first read of ``module.weight`` (for any parametrized module) evaluates
    the parametrization and stores the result; later reads return the same tensor. The stored
    values are dropped when the outermost ``cached()`` block exits. Useful when a parametrized
    tensor is read several times in one forward pass (shared weights, an RNN's recurrent
    kernel). Blocks may be nested.

    Raises:
        RuntimeError: (on reading a parametrized tensor inside the block) an ``ember.jit`` trace
            is recording: a cached value would be baked into the graph as a constant.
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.cached``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import parametrize
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Double())
        >>> with parametrize.cached():
        ...     m.weight is m.weight
        True
        >>> m.weight is m.weight
        False
    """
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _assign_into(dest: Tensor, src: Tensor) -> bool:
    """Writes ``src``'s values into ``dest`` in place, keeping ``dest``'s identity (so an
    optimizer holding it keeps working). ember has no ``Tensor.set_``, so this is a copy; it is
    possible only when shape and dtype agree. Returns whether it was done."""
    from ... import no_grad

    if src is dest:
        return True
    if tuple(src.shape) != tuple(dest.shape) or src.dtype != dest.dtype:
        return False
    with no_grad():
        src = src.detach()
        if src.untyped_storage_ptr() == dest.untyped_storage_ptr():
            src = src.clone()  # a view of dest (e.g. its transpose): copy from a snapshot
        dest.detach().copy_(src)
    return True


def _replacement(old: Tensor, value: Tensor, fn: str, stacklevel: int) -> Tensor:
    """A new tensor holding ``value``, of the same kind as ``old`` (Parameter or buffer), for a
    ``value`` of another shape, with a warning: ember cannot resize ``old`` in place (it has no
    ``Tensor.set_``), so whoever holds ``old`` (an optimizer built before) no longer sees the
    module's tensor."""
    kind = "Parameter" if isinstance(old, Parameter) else "buffer"
    warnings.warn(
        f"{fn}: the original tensor changes shape from {tuple(old.shape)} to "
        f"{tuple(value.shape)}; ember cannot resize a tensor in place (there is no "
        f"Tensor.set_), so the module now holds a new {kind} instead of the one it had, and an "
        "optimizer built before does not update it: build the optimizer after this call",
        UserWarning,
        stacklevel=stacklevel + 1,
    )
    if isinstance(old, Parameter):
        return Parameter(value.detach(), old.requires_grad)
    return value.detach()


def _type_name(x: Any) -> str:
    return type(x).__name__


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, and the original tensor(s) they are applied to.

    ``module.parametrizations[tensor_name]`` is a ``ParametrizationList`` once
    ``module.<tensor_name>`` is parametrized. Element 0 receives the original tensor(s); each
    later element receives the output of the one before it. Calling the list evaluates the whole
    chain and returns the parametrized tensor.

    The originals are found by running ``right_inverse`` of each parametrization, last to first,
    on the tensor being parametrized (a parametrization without ``right_inverse``, or whose
    ``right_inverse`` raises ``NotImplementedError``, counts as the identity). If the result is
    one tensor of the original's shape it is written into the original tensor in place and
    registered as ``original`` (the same Parameter object, so an optimizer built before keeps
    updating it). One tensor of another shape (``unsafe=True`` only) cannot be written in place:
    ember has no ``Tensor.set_``, so ``original`` is then a new Parameter (or buffer) and a
    ``UserWarning`` says so (PyTorch keeps the object through ``set_``). If it is a sequence of
    tensors they are registered as ``original0``, ``original1``, ... (new Parameters when the
    original was one, with its ``requires_grad``).

    Args:
        modules: the parametrizations (``Module``\\ s), at least one.
        original: the Parameter or buffer being parametrized.
        unsafe: skip the check that the parametrization keeps the tensor's shape and dtype.
            Default False.
    Attributes:
        original (Tensor): the unconstrained tensor, when ``right_inverse`` gives one tensor.
        original0, original1, ... (Tensor): the unconstrained tensors otherwise.
        is_tensor (bool): whether there is a single ``original``.
        ntensors (int): the number of original tensors.
        unsafe (bool): whether the shape and dtype checks are skipped.
    Raises:
        ValueError: ``modules`` is empty; ``right_inverse`` returns something other than a
            tensor or a sequence of tensors; a single returned tensor has another dtype than
            ``original``; or, without ``unsafe``, the parametrized tensor's shape or dtype
            differs from ``original``'s.
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.ParametrizationList``.
    """

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        from ... import no_grad

        if len(modules) == 0:
            raise ValueError("ParametrizationList: modules must hold at least one module, got 0")
        if not isinstance(original, Tensor):
            raise TypeError(
                f"ParametrizationList: original must be a Tensor, got {_type_name(original)}"
            )
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape = tuple(original.shape)
        original_dtype = original.dtype

        with no_grad():
            new: Any = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass

        if not isinstance(new, (Tensor, Sequence)) or isinstance(new, str):
            raise ValueError(  # noqa: TRY004 (PyTorch raises ValueError)
                "ParametrizationList: right_inverse must return a Tensor or a sequence of "
                f"tensors (list, tuple...), got {_type_name(new)}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)

        if self.is_tensor:
            if new.dtype != original_dtype:
                raise ValueError(
                    "ParametrizationList: when right_inverse returns one tensor it may not "
                    f"change the dtype; original.dtype is {original_dtype}, "
                    f"right_inverse(original).dtype is {new.dtype}"
                )
            if not _assign_into(original, new):
                # Only with unsafe=True can the shape change (the dtype was checked above).
                original = _replacement(original, new, "register_parametrization", 3)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, orig_i in enumerate(new):
                if not isinstance(orig_i, Tensor):
                    raise ValueError(  # noqa: TRY004
                        "ParametrizationList: right_inverse must return a Tensor or a sequence "
                        f"of tensors, got element {i} of type {_type_name(orig_i)}"
                    )
                if isinstance(original, Parameter):
                    orig_i = Parameter(orig_i, original.requires_grad)
                else:
                    orig_i = orig_i.detach()
                    orig_i.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", orig_i)

        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(
                    f"ParametrizationList: a parametrization must return a Tensor, got "
                    f"{_type_name(z)}"
                )
            if z.dtype != original_dtype:
                raise ValueError(
                    "ParametrizationList: registering a parametrization may not change the "
                    f"dtype of the tensor unless unsafe=True; unparametrized dtype "
                    f"{original_dtype}, parametrized dtype {z.dtype}"
                )
            if tuple(z.shape) != original_shape:
                raise ValueError(
                    "ParametrizationList: registering a parametrization may not change the "
                    f"shape of the tensor unless unsafe=True; unparametrized shape "
                    f"{original_shape}, parametrized shape {tuple(z.shape)}"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Sets the originals so that the chain evaluates to ``value`` (``module.weight = value``).

        Runs the ``right_inverse`` of each parametrization, last to first, without recording
        gradients, and writes the result into ``original`` (or ``original0``, ...) in place. A
        result of another shape (``unsafe=True``) replaces the tensor by a new one, with a
        ``UserWarning`` (see the class docstring).

        Args:
            value: the new value of the parametrized tensor.
        Raises:
            RuntimeError: a parametrization in the chain has no ``right_inverse``.
            ValueError: ``right_inverse`` returns the wrong kind, number or dtype of tensors.
        """
        from ... import no_grad

        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"ParametrizationList.right_inverse: parametrization "
                        f"{_type_name(module)} does not implement right_inverse, so the "
                        "parametrized tensor cannot be assigned"
                    )
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(
                        "ParametrizationList.right_inverse: right_inverse must return a Tensor, "
                        f"got {_type_name(value)}"
                    )
                original = self.original
                if value.dtype != original.dtype:
                    raise ValueError(
                        "ParametrizationList.right_inverse: right_inverse returned dtype "
                        f"{value.dtype}, while original has dtype {original.dtype}"
                    )
                if not _assign_into(original, value):
                    _register_parameter_or_buffer(
                        self,
                        "original",
                        _replacement(original, value, "ParametrizationList.right_inverse", 3),
                    )
                return
            if not isinstance(value, Sequence) or isinstance(value, str):
                raise ValueError(  # noqa: TRY004
                    "ParametrizationList.right_inverse: right_inverse must return a sequence "
                    f"of tensors, got {_type_name(value)}"
                )
            if len(value) != self.ntensors:
                raise ValueError(
                    "ParametrizationList.right_inverse: right_inverse must return a sequence "
                    f"of {self.ntensors} tensors, got {len(value)}"
                )
            for i, tensor in enumerate(value):
                original_i = getattr(self, f"original{i}")
                if not isinstance(tensor, Tensor):
                    raise ValueError(  # noqa: TRY004
                        "ParametrizationList.right_inverse: right_inverse must return a "
                        f"sequence of tensors, got element {i} of type {_type_name(tensor)}"
                    )
                if tensor.dtype != original_i.dtype:
                    raise ValueError(
                        f"ParametrizationList.right_inverse: tensor {i} returned by "
                        f"right_inverse has dtype {tensor.dtype}, while original{i} has dtype "
                        f"{original_i.dtype}"
                    )
                if not _assign_into(original_i, tensor):
                    _register_parameter_or_buffer(
                        self,
                        f"original{i}",
                        _replacement(original_i, tensor, "ParametrizationList.right_inverse", 3),
                    )

    def forward(self) -> Tensor:
        """The parametrized tensor: the chain of parametrizations applied to the original(s)."""
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for i in range(1, len(self)):
            x = self[i](x)
        return x


def _fresh_class(cls: type) -> type:
    """A new generated class with the name, base and members (properties, hooks) of the
    generated class ``cls``: each parametrized instance owns its class, whose properties
    ``register_parametrization`` and ``remove_parametrizations`` add and delete."""
    namespace = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
    return type(cls.__name__, cls.__bases__, namespace)


def _deepcopy(self: Module, memo: dict) -> Module:
    """``copy.deepcopy`` of a parametrized module: the copy gets its own generated class, so
    adding or removing a parametrization on it leaves the original alone (PyTorch shares the
    class, and removing a parametrization from a copy breaks the original there)."""
    if id(self) in memo:
        return memo[id(self)]
    replica = object.__new__(_fresh_class(type(self)))
    memo[id(self)] = replica
    replica.__dict__ = copy.deepcopy(self.__dict__, memo)
    return replica


def _getstate(self: Module) -> Any:
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(): "
        "save module.state_dict() and load it into a module parametrized the same way"
    )


_MISSING = object()  # "no such key" for undoing a rename


def _rename_legacy_keys(module: Module, state_dict: Any, prefix: str) -> list[tuple]:
    """Renames, in ``state_dict``, the keys of a legacy layout that a parametrization declares
    through ``_legacy_state_dict_keys(tensor_name)`` (``{old name: original's name}``, e.g.
    ``weight_g``/``weight_v`` of the hook-based weight_norm) to the originals' keys, when all
    of the old keys are present, as PyTorch's load-state-dict pre-hooks. Returns the renames
    ``(old key, new key, value the new key had or _MISSING)`` for undoing them."""
    done: list[tuple] = []
    for tensor_name, plist in module.parametrizations.items():
        declare = getattr(plist[0], "_legacy_state_dict_keys", None)
        if declare is None:
            continue
        names = {
            prefix + old: f"{prefix}parametrizations.{tensor_name}.{new}"
            for old, new in declare(tensor_name).items()
        }
        if not names or not all(old in state_dict for old in names):
            continue
        for old, new in names.items():
            done.append((old, new, state_dict.get(new, _MISSING)))
            state_dict[new] = state_dict.pop(old)
    return done


def _load_hook(self: Module, state_dict: Any, prefix: str) -> Callable[[], None]:
    """Called by ``Module.load_state_dict`` for each submodule before it matches keys (ember's
    hook point, named for lazy modules): renames legacy keys (see ``_rename_legacy_keys``) and
    runs the base class's own hook. Returns the function that undoes both if the load fails.

    ``Module.load_state_dict`` passes its own copy of the caller's mapping; a failed load puts
    the keys back, in order, all the same."""
    base_hook = getattr(type(self).__bases__[0], "_lazy_load_hook", None)
    base_undo = base_hook(self, state_dict, prefix) if base_hook is not None else None
    order = list(state_dict)
    renamed = _rename_legacy_keys(self, state_dict, prefix)

    def undo() -> None:
        """Puts the renamed keys back, in their order."""
        for old, new, previous in reversed(renamed):
            state_dict[old] = state_dict.pop(new)
            if previous is not _MISSING:
                state_dict[new] = previous
        if renamed:
            items = [(k, state_dict.pop(k)) for k in order]
            state_dict.update(items)
        if base_undo is not None:
            base_undo()

    return undo


def _load_state_dict(
    self: Module, state_dict: Any, strict: bool = True, assign: bool = False
) -> Any:
    """``Module.load_state_dict`` on a copy of ``state_dict``, so that renaming legacy keys does
    not change the caller's mapping (as PyTorch, which copies it too)."""
    if hasattr(state_dict, "keys"):
        state_dict = OrderedDict((k, state_dict[k]) for k in state_dict)
    return type(self).__bases__[0].load_state_dict(self, state_dict, strict, assign)


def _inject_new_class(module: Module) -> None:
    """Swaps ``module``'s class for a fresh subclass ``Parametrized<Class>`` that will hold the
    properties; only this instance changes."""
    cls = module.__class__
    namespace: dict[str, Any] = {
        "__getstate__": _getstate,
        "_lazy_load_hook": _load_hook,
        "load_state_dict": _load_state_dict,
    }
    if not hasattr(cls, "__deepcopy__"):
        # deepcopy would otherwise call __getstate__; copying a parametrized module is fine.
        namespace["__deepcopy__"] = _deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module: Module, tensor_name: str) -> None:
    """Adds to ``module``'s (generated) class a property ``tensor_name`` that evaluates the
    parametrization when read and calls its ``right_inverse`` when assigned."""

    def get_parametrized(self: Module) -> Tensor:
        """The parametrized tensor (cached inside ``cached()``)."""
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        from ... import _guards

        if _guards.state.sink is not None:
            raise RuntimeError(
                f"parametrize.cached: cannot trace a model while caching parametrizations "
                f"(reading '{tensor_name}'); leave the cached() block before tracing"
            )
        key = (id(self), tensor_name)
        tensor = _cache.get(key)
        if tensor is None:
            tensor = parametrization()
            _cache[key] = tensor
        return tensor

    def set_original(self: Module, value: Tensor) -> None:
        """Assigns ``value`` through the parametrizations' ``right_inverse``."""
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Parametrizes ``module.<tensor_name>`` by ``parametrization``.

    Afterwards reading ``module.<tensor_name>`` returns ``parametrization(original)``, computed
    anew at each read (see :func:`cached`), and differentiable with respect to the original.
    The original Parameter or buffer moves to
    ``module.parametrizations[tensor_name].original``: ``parameters()``, ``named_parameters()``
    and ``state_dict()`` list it as ``parametrizations.<tensor_name>.original``. Assigning
    ``module.<tensor_name> = value`` sets the original through ``right_inverse``.

    ``parametrization`` is a ``Module`` whose ``forward`` maps the original tensor(s) to the
    parametrized one. It may define ``right_inverse(X)`` returning one tensor or a sequence of
    tensors: the originals are initialised to ``right_inverse(module.<tensor_name>)``, and with a
    sequence ``forward`` receives them as separate arguments and they are registered as
    ``original0``, ``original1``, .... Without ``right_inverse`` the originals start equal to
    the tensor. With one output tensor the original keeps its identity (its values are
    overwritten), so an optimizer built before still updates it; with several, add the new
    tensors to the optimizer after registering. With ``unsafe=True`` a ``right_inverse`` that
    changes the shape also gives a new tensor: ember cannot resize one in place (there is no
    ``Tensor.set_``), and a ``UserWarning`` says to build the optimizer afterwards.

    Registering again on the same tensor appends to the chain: the new parametrization is
    applied to the output of the ones registered before. The parametrization is put in the
    module's training mode.

    Args:
        module: the module whose tensor is parametrized.
        tensor_name: name of a parameter, a buffer, or an already parametrized tensor of
            ``module``.
        parametrization: a ``Module``; ``forward`` takes and returns tensors.
        unsafe: skip the checks that the parametrization (and its ``right_inverse``) keep the
            tensor's shape and dtype. Keyword-only; default False.
    Returns:
        ``module``, whose class is now ``Parametrized<Class>``.
    Raises:
        TypeError: ``module`` or ``parametrization`` is not a Module, or ``tensor_name`` is not
            a string.
        ValueError: ``module`` has no parameter, buffer or parametrized tensor named
            ``tensor_name``; without ``unsafe``, the parametrization or its ``right_inverse``
            changes the tensor's shape or dtype or returns a non-tensor; ``right_inverse``
            returns something other than tensors.
    Reference:
        Lezcano-Casado, "Trivializations for Gradient-Based Optimization on Manifolds",
        NeurIPS 2019; PyTorch's ``torch.nn.utils.parametrize.register_parametrization``.
    Example:
        >>> import ember
        >>> from ember import nn
        >>> from ember.nn.utils import parametrize
        >>> class Symmetric(nn.Module):
        ...     def forward(self, x):
        ...         return x.triu() + x.triu(1).mT
        >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
        >>> type(m).__name__
        'ParametrizedLinear'
        >>> bool((m.weight == m.weight.mT).all())
        True
        >>> [name for name, _ in m.named_parameters()]
        ['bias', 'parametrizations.weight.original']
    """
    fn = "register_parametrization"
    if not isinstance(module, Module):
        raise TypeError(f"{fn}: module must be an ember.nn.Module, got {_type_name(module)}")
    if not isinstance(tensor_name, str):
        raise TypeError(f"{fn}: tensor_name must be a str, got {_type_name(tensor_name)}")
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"{fn}: parametrization must be an ember.nn.Module (with forward and optionally "
            f"right_inverse), got {_type_name(parametrization)}"
        )
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(
                    f"{fn}: a parametrization must return a Tensor, got {_type_name(x)}"
                )
            if x.dtype != y.dtype:
                raise ValueError(
                    f"{fn}: the parametrization changes the dtype of module.{tensor_name} from "
                    f"{y.dtype} to {x.dtype}; pass unsafe=True to allow it"
                )
            if tuple(x.shape) != tuple(y.shape):
                raise ValueError(
                    f"{fn}: the parametrization changes the shape of module.{tensor_name} from "
                    f"{tuple(y.shape)} to {tuple(x.shape)}; pass unsafe=True to allow it"
                )
            if hasattr(parametrization, "right_inverse"):
                try:
                    z = parametrization.right_inverse(x)
                except NotImplementedError:
                    pass
                else:
                    if not isinstance(z, Tensor):
                        raise ValueError(  # noqa: TRY004
                            f"{fn}: parametrization.right_inverse must return a Tensor, got "
                            f"{_type_name(z)}"
                        )
                    if z.dtype != y.dtype:
                        raise ValueError(
                            f"{fn}: parametrization.right_inverse returns dtype {z.dtype}, "
                            f"expected module.{tensor_name}'s dtype {y.dtype}; pass unsafe=True "
                            "to allow it"
                        )
                    if tuple(z.shape) != tuple(y.shape):
                        raise ValueError(
                            f"{fn}: parametrization.right_inverse returns shape "
                            f"{tuple(z.shape)}, expected module.{tensor_name}'s shape "
                            f"{tuple(y.shape)}; pass unsafe=True to allow it"
                        )
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe  # once unsafe, the chain stays unsafe
        return module
    if tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(
                f"{fn}: module.{tensor_name} is None; expected a Tensor to parametrize"
            )
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
        return module
    raise ValueError(
        f"{fn}: module {module._get_name()} has no parameter, buffer or parametrized tensor "
        f"named '{tensor_name}' (tensor_name); expected one of "
        f"{sorted(list(module._parameters) + list(module._buffers))}"
    )


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, or on any tensor).

    Args:
        module: the module to inspect.
        tensor_name: the tensor's name, or None (default) for "any tensor".
    Returns:
        True if ``module.<tensor_name>`` is parametrized (for None: if any tensor is).
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.is_parametrized``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import parametrize
        >>> parametrize.is_parametrized(nn.Linear(2, 2))
        False
    """
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Removes every parametrization of ``module.<tensor_name>``, leaving a plain tensor.

    With ``leave_parametrized=True`` the tensor keeps its current parametrized value: when
    there is a single ``original`` that value is written into it, so the Parameter object (and
    the optimizer's reference to it) stays the same; with several originals the value becomes a
    new Parameter (a plain tensor when it does not require grad). With
    ``leave_parametrized=False`` the tensor becomes ``original`` itself. When no parametrized
    tensor remains the module gets its original class back.

    Args:
        module: the parametrized module.
        tensor_name: the parametrized tensor's name.
        leave_parametrized: keep the parametrized value (default True) instead of the original.
    Returns:
        ``module``.
    Raises:
        ValueError: ``module.<tensor_name>`` is not parametrized, or ``leave_parametrized`` is
            False while the tensor is parametrized by several original tensors.
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.remove_parametrizations``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import parametrize
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
        >>> m = parametrize.remove_parametrizations(m, "weight")
        >>> type(m).__name__, sorted(m.state_dict())
        ('Linear', ['bias', 'weight'])
    """
    from ... import no_grad

    fn = "remove_parametrizations"
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"{fn}: module {_type_name(module)} has no parametrization on tensor_name "
            f"'{tensor_name}'"
        )
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            if not _assign_into(original, t):
                original = _replacement(original, t, fn, 2)
    else:
        if not leave_parametrized:
            raise ValueError(
                f"{fn}: cannot use leave_parametrized=False for '{tensor_name}', which is "
                "parametrized by a sequence of tensors (original0, original1, ...)"
            )
        # Not under no_grad: whether the result requires grad says whether it is a Parameter.
        t = getattr(module, tensor_name)
        original = Parameter(t.detach(), True) if t.requires_grad else t.detach()

    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before it was parametrized (its class when it is not).

    Args:
        module: any module.
    Returns:
        ``Linear`` for a ``ParametrizedLinear``; ``type(module)`` otherwise.
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.type_before_parametrizations``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import parametrize
        >>> parametrize.type_before_parametrizations(nn.Linear(2, 2)).__name__
        'Linear'
    """
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Registers ``from_module``'s parametrizations on ``to_module`` and copies the originals.

    For each parametrized tensor of ``from_module`` (only ``tensor_name`` when given),
    ``to_module`` gets the same parametrization objects, in the same order, and its originals
    become ``from_module``'s original tensors (shared, not copied). A tensor ``to_module``
    lacks is first created as a Parameter holding ``from_module``'s parametrized value. Does
    nothing when ``from_module`` is not parametrized.

    Args:
        from_module: the parametrized module to take from.
        to_module: the module to parametrize.
        tensor_name: the one tensor to transfer, or None (default) for all.
    Returns:
        ``to_module``.
    Raises:
        ValueError: ``tensor_name`` is not parametrized on ``from_module``.
    Reference:
        PyTorch's ``torch.nn.utils.parametrize.transfer_parametrizations_and_params``.
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not is_parametrized(from_module, name):
            raise ValueError(
                f"transfer_parametrizations_and_params: from_module has no parametrization on "
                f"tensor_name '{name}'"
            )
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        src = from_module.parametrizations[name]
        for param in src:
            register_parametrization(to_module, name, param)
        dst = to_module.parametrizations[name]
        if src.is_tensor:
            dst.original = src.original
        else:
            for i in range(src.ntensors):
                setattr(dst, f"original{i}", getattr(src, f"original{i}"))
    return to_module
