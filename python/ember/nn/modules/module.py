"""``Module``: the base class of every layer and model."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ... import _guards
from ..._C import Tensor
from ...autograd.function import Function
from ..parameter import Buffer, Parameter, is_lazy

__all__ = ["Module", "RemovableHandle"]

_hook_ids = itertools.count()
_call_state = threading.local()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = next(_hook_ids)

    def remove(self) -> None:
        """Unregisters the hook; calling it again does nothing."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _check_name(name: Any, kind: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')


class Module:
    """Base class for neural-network layers and models (PyTorch's ``nn.Module``).

    Subclasses call ``super().__init__()`` first, assign :class:`Parameter`\\ s, buffers
    (``register_buffer``) and submodules as attributes, and implement ``forward``. Calling the
    module runs forward pre-hooks, ``forward`` and forward hooks. An exception raised inside a
    submodule's ``forward`` is re-raised once, with the same type, prefixed with the module
    path and its repr, e.g. ``in Net.fc2 (Linear(in_features=10, out_features=10)): ...``.

    Attributes:
        training (bool): True in training mode (default), False after ``eval()``.
    """

    @property
    def training(self) -> bool:
        """True in training mode (default), False after ``eval()``. Read while ember.jit traces,
        it becomes one of the graph's guards."""
        if _guards.state.sink is not None:
            _guards.note_module(self)
        return _guards.training_of(self)

    @training.setter
    def training(self, mode: bool) -> None:
        """Sets this module's flag only (``train()``/``eval()`` set the descendants' too); kept
        in the instance dict under its own name, as in PyTorch (``vars(m)["training"]``)."""
        self.__dict__["training"] = mode
        _guards.changed()

    def __init__(self) -> None:
        self.__dict__["training"] = True
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())

    # ---- forward and calling ------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Computes the module's output; subclasses override it. Call the module, not forward,
        so hooks run and errors name the module.
        """
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stack = getattr(_call_state, "stack", None)
        if stack is None:
            stack = _call_state.stack = []
        stack.append(self)
        if _guards.state.sink is not None:
            _guards.note_module(self)
        try:
            for hid, hook in list(self._forward_pre_hooks.items()):
                if hid in self._hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        args, kwargs = res
                    continue
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
            bw = None
            if (self.__dict__.get("_backward_hooks") or self.__dict__.get("_backward_pre_hooks")) \
                    and _is_grad_enabled():
                bw = _BackwardHooks(self)
                args = bw.wrap_inputs(args)
            out = self.forward(*args, **kwargs)
            if bw is not None:
                out = bw.wrap_outputs(out)
            for hid, hook in list(self._forward_hooks.items()):
                res = (
                    hook(self, args, kwargs, out)
                    if hid in self._hooks_with_kwargs
                    else hook(self, args, out)
                )
                if res is not None:
                    out = res
            return out
        except Exception as e:
            if getattr(e, "_ember_module_path", False):
                raise
            if (isinstance(e, TypeError) and "incompatible function arguments" in str(e)
                    and any(_array_like(a) for a in list(args) + list(kwargs.values()))):
                e = _binding_type_error(e, args, kwargs)
            annotated = _annotate(e, stack)
            if annotated is None:
                raise
            raise annotated.with_traceback(e.__traceback__) from None
        finally:
            stack.pop()

    # ---- registration ---------------------------------------------------------------------

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a None placeholder) under ``name``.

        Raises:
            TypeError: ``param`` is neither a Parameter nor None.
            KeyError: bad name, or the name is already a non-parameter attribute.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(ember.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state that is not a parameter (e.g. running statistics).

        Args:
            name: attribute name.
            tensor: the buffer, or None.
            persistent: whether it is part of ``state_dict()``. Default True.
        Raises:
            TypeError: ``tensor`` is neither a Tensor nor None.
            KeyError: bad name, or the name is already another kind of attribute.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(ember.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under ``name`` (None is a placeholder)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(ember.nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, params, self._buffers)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(ember.nn.Module or None expected)"
                )
            modules[name] = None
            return
        if isinstance(value, Buffer):  # nn.Buffer registers itself, with its persistence
            self.register_buffer(name, value, value.persistent)
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(ember.Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts: Any) -> None:
        for d in dicts:
            if d is not None and name in d:
                del d[name]

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    # ---- traversal ------------------------------------------------------------------------

    def _named_members(
        self, get: Callable[[Module], Any], prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        memo: set[int] = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mod_prefix, mod in mods:
            for k, v in get(mod):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k, v)

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yields ``(dotted_name, parameter)``, each shared parameter once."""
        yield from self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yields the parameters of this module (and its submodules when ``recurse``)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yields ``(dotted_name, buffer)``."""
        yield from self._named_members(
            lambda m: m._buffers.items(), prefix, recurse, remove_duplicate
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yields the buffers of this module (and its submodules when ``recurse``)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, child)`` for the direct children, each module once."""
        memo: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """Yields the direct child modules."""
        for _, m in self.named_children():
            yield m

    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yields ``(dotted_name, module)`` for this module and all descendants (pre-order)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Yields this module and all descendants, each once (pre-order)."""
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``""`` is self); AttributeError if absent."""
        mod: Module = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    # ---- modes and gradients -------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Sets training mode on this module and all descendants; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        _guards.changed()
        return self

    def eval(self) -> Module:
        """Same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets ``requires_grad`` on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears parameter gradients: sets them to None (default) or fills them with zeros."""
        from ... import no_grad

        tracing = _guards.state.sink is not None
        for p in self.parameters():
            if set_to_none and tracing:
                p.grad = None  # without reading it: see Optimizer.zero_grad
                continue
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    g = p.grad
                    g.zero_()
                    p.grad = g

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Calls ``fn`` on every submodule (children first) and then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- conversion ----------------------------------------------------------------------

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Applies ``fn`` to every parameter (in place: the Parameter objects stay), gradient
        and buffer of this module and its children; tied tensors are converted once."""
        from ... import no_grad

        # A tensor held by several modules (tied weights) is converted once, so they stay tied.
        # The memo keeps the old tensors alive: their ids cannot be reused while it exists.
        done: dict[int, tuple[Tensor, Tensor]] = {}
        for m in self.modules():
            for name, p in m._parameters.items():
                if p is None:
                    continue
                if id(p) in done:
                    m._parameters[name] = done[id(p)][1]
                    continue
                with no_grad():
                    new = fn(p.detach())
                done[id(p)] = (p, p)
                if new is p or (new.dtype == p.dtype and new.data_ptr() == p.data_ptr()):
                    continue
                # As PyTorch: the Parameter object stays (an optimizer built earlier keeps
                # updating it); its data and gradient are converted.
                grad = p.grad
                if grad is not None:
                    p.grad = None
                p.data = new
                if grad is not None:
                    with no_grad():
                        p.grad = fn(grad)
            for name, b in m._buffers.items():
                if b is None:
                    continue
                if id(b) not in done:
                    with no_grad():
                        done[id(b)] = (b, fn(b))
                m._buffers[name] = done[id(b)][1]
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Converts floating parameters and buffers: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(tensor)``. Integer buffers keep their dtype.

        Parameters stay the same objects, as in PyTorch (their data and gradients are
        converted), so an optimizer built before ``to`` still updates them. State an optimizer
        made in earlier steps (moments, momentum buffers) keeps the old dtype, and its next
        step raises TypeError naming the mismatch (PyTorch's Adam does too): convert with
        ``to`` before the first step, or rebuild the optimizer. Returns self.

        Raises:
            TypeError: a non-floating dtype.
        """
        from ... import _C
        from ..._tensor import _check_device, _to_dtype

        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _C.device)):
                device = a
            else:
                dtype = a
        _check_device(device)
        dt = _to_dtype(dtype)
        if dt is None:
            return self
        if not dt.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dt}"
            )
        return self._apply(lambda t: t.to(dt) if t.is_floating_point() else t)

    def float(self) -> Module:
        """Converts floating parameters and buffers to float32."""
        from ... import float32

        return self.to(float32)

    def double(self) -> Module:
        """Converts floating parameters and buffers to float64."""
        from ... import float64

        return self.to(float64)

    def cpu(self) -> Module:
        """No-op (CPU is the only device in this build); returns self."""
        return self

    # ---- state ---------------------------------------------------------------------------

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (detached unless ``keep_vars``)."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _own_state(self) -> OrderedDict:
        return self.state_dict(keep_vars=True)

    def load_state_dict(
        self, state_dict: Any, strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copies values from ``state_dict`` into parameters and buffers.

        Everything is checked before anything is copied, so a failed load leaves the module
        unchanged.

        Args:
            state_dict: mapping of dotted names to tensors (as from ``state_dict()``).
            strict: require the keys to match exactly. Default True.
            assign: accepted for compatibility; values are always copied.
        Returns:
            NamedTuple ``(missing_keys, unexpected_keys)``.
        Raises:
            RuntimeError: missing or unexpected keys (when ``strict``), shape mismatches or
                non-tensor values; the message lists every problem.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        undo = []  # lazy modules materialize from state_dict; undone if the load fails
        hooks = [(p, m._lazy_load_hook) for p, m in self.named_modules()
                 if getattr(m, "_lazy_load_hook", None) is not None]
        if hooks:
            # Hooks may rename keys (legacy weight_norm checkpoints): on a copy, never the
            # caller's dict.
            state_dict = dict(state_dict)
        for mod_prefix, hook in hooks:
            undo.append(hook(state_dict, mod_prefix + "." if mod_prefix else ""))
        own = self._own_state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        if strict:
            if unexpected:
                errors.append(
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". "
                )
            if missing:
                errors.append(
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". "
                )
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if not isinstance(v, Tensor):  # checked for placeholders too: no silent skip
                errors.append(
                    f'While copying the parameter named "{k}", expected ember.Tensor '
                    f"in state_dict, got {type(v).__name__}."
                )
                continue
            if is_lazy(target):  # nothing to copy into a placeholder
                continue
            if is_lazy(v):
                errors.append(
                    f'While copying the parameter named "{k}", the state_dict holds an '
                    "uninitialized (lazy) parameter or buffer, which has no shape or values: "
                    "run a dry forward on the lazy module it comes from before its state_dict()."
                )
                continue
            if tuple(v.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {k}: copying a param with shape "
                    f"{_shape_str(v.shape)} from checkpoint, the shape in current "
                    f"model is {_shape_str(target.shape)}."
                )
        if errors:
            for restore in undo:
                restore()
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors)
            )
        from ... import no_grad

        with no_grad():
            for k, target in own.items():
                if k in state_dict and not is_lazy(target):
                    dst = target.detach()
                    dst.copy_(state_dict[k].detach())
        return _IncompatibleKeys(missing, unexpected)

    # ---- hooks ---------------------------------------------------------------------------

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces the
        positional args (a non-tuple is wrapped in a tuple). With ``with_kwargs`` the hook is
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``. ``prepend`` runs it
        before the hooks already registered. Returns a handle whose ``remove()`` unregisters it.
        """
        handle = _add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a non-None result replaces
        the output. With ``with_kwargs`` it is ``hook(module, args, kwargs, output)``.
        Returns a handle whose ``remove()`` unregisters it."""
        handle = _add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        this module's tensor inputs have been computed in backward. ``grad_input`` and
        ``grad_output`` are tuples (None for an input that does not require grad); a non-None
        result (a tuple like ``grad_input``) replaces the gradients passed on. Only positional
        tensor arguments count as inputs, and only tensor outputs (or tuples of them) as
        outputs. ``prepend`` runs it before the hooks already registered.

        Returns:
            RemovableHandle: ``remove()`` unregisters it.
        """
        return _add_hook(self.__dict__.setdefault("_backward_hooks", OrderedDict()), hook,
                         prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to this module's
        outputs reach it in backward, before the module's own backward; a non-None result (a
        tuple like ``grad_output``) replaces them.

        Returns:
            RemovableHandle: ``remove()`` unregisters it.
        """
        return _add_hook(self.__dict__.setdefault("_backward_pre_hooks", OrderedDict()), hook,
                         prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """The older name of :meth:`register_full_backward_hook` (PyTorch deprecates it, and
        its results differ for modules of several ops; ember gives the full hook's)."""
        return self.register_full_backward_hook(hook)

    # ---- printing ------------------------------------------------------------------------

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """Extra text inside this module's repr (override in subclasses)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + _addindent(repr(m), 2) for k, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"


def _is_grad_enabled() -> bool:
    """Whether grad mode is on (ember's global flag)."""
    from ... import _C

    return _C.is_grad_enabled()


class _BackwardHooks:
    """One module call's backward hooks: identity autograd Functions around the inputs and the
    outputs catch the gradients flowing through them."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.grad_outputs: tuple[Any, ...] = ()
        self.slots: list[int] = []
        self.n_inputs = 0

    def wrap_inputs(self, args: tuple) -> tuple:
        """Routes the positional tensor arguments through one node that runs the full backward
        hooks on their gradients."""
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        # Which tensor inputs (by position among them) go through the node: those requiring grad.
        self.live = [k for k, i in enumerate(tensors) if args[i].requires_grad]
        self.slots_live = bool(self.live) and bool(self.module.__dict__.get("_backward_hooks"))
        if not self.slots_live:
            return args
        wrapped = _HookInputs.apply(self, *(args[tensors[k]] for k in self.live))
        wrapped = (wrapped,) if isinstance(wrapped, Tensor) else tuple(wrapped)
        out = list(args)
        for k, w in zip(self.live, wrapped):
            out[tensors[k]] = w
        return tuple(out)

    def wrap_outputs(self, out: Any) -> Any:
        """Routes the output's tensors (the output itself, or the tensors among the elements of
        a tuple output, as PyTorch) that require grad through one node that records (and lets
        pre-hooks replace) their gradients; other elements get None in ``grad_output``."""
        single = isinstance(out, Tensor)
        if not single and not isinstance(out, tuple):
            return out
        outs = (out,) if single else out
        self.n_outputs = len(outs)
        self.out_live = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not self.out_live:
            return out
        wrapped = _HookOutputs.apply(self, *(outs[k] for k in self.out_live))
        wrapped = (wrapped,) if isinstance(wrapped, Tensor) else tuple(wrapped)
        new = list(outs)
        for k, w in zip(self.out_live, wrapped):
            new[k] = w
        return new[0] if single else tuple(new)

    def run_full_hooks(self, grad_input: tuple) -> tuple:
        """Calls the module's full backward hooks; returns the (possibly replaced) gradients."""
        for hook in list(self.module._backward_hooks.values()):
            res = hook(self.module, grad_input, self.grad_outputs)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook of {self.module._get_name()}: returned {len(res)} "
                        f"gradients for {len(grad_input)} inputs")
                grad_input = res
        return grad_input


class _HookIdentity(Function):
    """Identity on tensors that require grad, keeping the hooks' state for its backward."""

    @staticmethod
    def forward(ctx: Any, state: _BackwardHooks, *ts: Tensor) -> Any:
        """Returns ``ts`` unchanged (new handles on the same values)."""
        ctx.state = state
        return ts[0] if len(ts) == 1 else ts


class _HookOutputs(_HookIdentity):
    """Identity on the module's outputs; its backward runs the backward pre-hooks."""

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        """Runs the pre-hooks on the output gradients (None for the output's elements that are
        not tensors requiring grad) and keeps them for the full hooks."""
        state = ctx.state
        module = state.module
        full: list[Any] = [None] * state.n_outputs
        for k, g in zip(state.out_live, grads):
            full[k] = g
        grad_output = tuple(full)
        for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
            res = hook(module, grad_output)
            if res is not None:
                grad_output = res if isinstance(res, tuple) else (res,)
        state.grad_outputs = grad_output
        grads = tuple(grad_output[k] for k in state.out_live)
        if not getattr(state, "slots_live", False) and module.__dict__.get("_backward_hooks"):
            state.run_full_hooks((None,) * state.n_inputs)  # no input needs a gradient
        return (None,) + tuple(grads)


class _HookInputs(_HookIdentity):
    """Identity on the module's tensor inputs; its backward runs the full backward hooks."""

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        """Runs the full hooks on the gradients of all tensor inputs (None for those without
        grad) and passes on the (possibly replaced) ones of the inputs that require grad."""
        state = ctx.state
        grad_input: list[Any] = [None] * state.n_inputs
        for k, g in zip(state.live, grads):
            grad_input[k] = g
        res = state.run_full_hooks(tuple(grad_input))
        return (None,) + tuple(res[k] for k in state.live)


def _shape_str(shape: Any) -> str:
    return "ember.Size([" + ", ".join(str(int(s)) for s in shape) + "])"


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _short_repr(m: Module) -> str:
    if any(True for _ in m.children()):
        return f"{m._get_name()}({m.extra_repr()})"
    return repr(m)


def _describe_arg(a: Any) -> str:
    """``Tensor(2, 784) float32``, ``numpy.ndarray(2, 784) float32``, ``list``: for messages."""
    if isinstance(a, Tensor):
        return f"Tensor{tuple(a.shape)} {str(a.dtype).replace('ember.', '')}"
    shape = getattr(a, "shape", None)
    if shape is not None:
        return f"{type(a).__module__}.{type(a).__name__}{tuple(shape)} {getattr(a, 'dtype', '')}"
    return type(a).__name__


def _array_like(a: Any) -> bool:
    """A numpy array, list or tuple passed where a tensor belongs."""
    return not isinstance(a, Tensor) and (hasattr(a, "__array__") or isinstance(a, (list, tuple)))


def _binding_type_error(e: TypeError, args: tuple, kwargs: dict) -> TypeError:
    """pybind11's 'incompatible function arguments' error, which prints every argument in full
    (whole weight matrices), rewritten to name the op and the module's argument types."""
    msg = str(e)
    op = msg.split("(", 1)[0].lstrip("_").strip() or "op"
    given = ", ".join([_describe_arg(a) for a in args]
                      + [f"{k}={_describe_arg(v)}" for k, v in kwargs.items()])
    hint = ("; convert numpy arrays and lists to tensors first with ember.from_numpy(a) or "
            "ember.tensor(a)")
    expected = msg.split("supported:", 1)[1].split("Invoked with", 1)[0] if "supported:" in msg else ""
    expected = " ".join(expected.split()).replace("ember._C.", "ember.")
    if expected.startswith("1. ") and " 2. " not in expected:
        expected = expected[3:]
    text = f"{op}: expected ember.Tensor inputs, but the module was called with ({given}){hint}"
    if expected:
        text += f" (the op takes {expected})"
    return TypeError(text)


def _annotate(e: Exception, stack: list) -> Exception | None:
    """The same exception type with ``in Root.a.b (repr): `` prefixed, or None if it can't be
    rebuilt that way."""
    parts = [stack[0]._get_name()]
    for parent, child in zip(stack, stack[1:]):
        name = next((k for k, m in parent._modules.items() if m is child), None)
        if name is None:  # called without being a registered child
            name = child._get_name()
        parts.append(name)
    msg = str(e.args[0]) if len(e.args) == 1 else str(e)
    if isinstance(e, KeyError) and len(e.args) == 1:
        msg = str(e.args[0])
    text = f"in {'.'.join(parts)} ({_short_repr(stack[-1])}): {msg}"
    try:
        new = type(e)(text)
    except Exception:
        return None
    try:
        new._ember_module_path = True
    except Exception:
        return None
    return new
