"""``Optimizer``: the base class of ember's optimizers (PyTorch's ``torch.optim.Optimizer``)."""

from __future__ import annotations

import copy
import functools
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

from .. import _guards
from .._C import Tensor
from .._C import dtype as _dtype
from .._creation import full, full_like, zeros_like
from ..autograd import enable_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter every param group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()
_float32 = _dtype.float32


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


def _copy_value(value: Any) -> Any:
    """A deep copy of a state or hyperparameter value; tensors are cloned."""
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return copy.deepcopy(value)


class Optimizer:
    """Base class of all optimizers.

    Holds ``param_groups`` (a list of dicts: ``"params"`` plus every hyperparameter, each group
    taking the constructor's values as defaults) and ``state`` (a per-parameter dict keyed by the
    parameter tensor itself; tensors hash by identity). Subclasses implement :meth:`step`: SGD,
    Adam, AdamW, RMSprop and Adagrad as one fused C++ call per param group; Adamax, NAdam, RAdam
    and Adadelta as a few in-place ember ops per parameter.

    Args:
        params: an iterable of tensors (leaves, usually with ``requires_grad=True``) or of dicts
            with a ``"params"`` entry and per-group hyperparameters.
        defaults: hyperparameter defaults for groups that do not set them.
    Raises:
        TypeError: ``params`` is a single tensor, or holds something that is not a tensor.
        ValueError: empty parameter list, non-leaf tensors, a parameter in two groups, or a group
            missing a required hyperparameter.
    """

    # Whether state["step"] is a tensor (Adam, AdamW, RMSprop, Adagrad): a plain number loaded by
    # load_state_dict is then converted, as PyTorch does.
    _tensor_step = False

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        # Both report changes to ember.jit graphs, which hold the state tensors and bake in the
        # hyperparameters (see ember._guards).
        self.state: dict[Tensor, Any] = _guards.StateDict()
        self.param_groups: list[dict[str, Any]] = _guards.GroupList()
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- groups -------------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own hyperparameters.

        Missing hyperparameters take the optimizer's defaults. Useful when fine-tuning: unfrozen
        layers join the optimizer as training goes on.

        Args:
            param_group: a dict with ``"params"`` (a tensor or an ordered iterable of tensors)
                and optional hyperparameters.
        Raises:
            TypeError: not a dict, ``params`` is a set, or an entry is not a tensor.
            ValueError: a non-leaf tensor, a parameter already in another group, or a missing
                required hyperparameter.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            group["params"] = list(params)

        names = [p[0] for p in group["params"] if isinstance(p, tuple)]
        if names:
            if len(names) != len(group["params"]):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            group["param_names"] = names
            group["params"] = [p[1] for p in group["params"]]

        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    + name
                )
            group.setdefault(name, default)

        params = group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error",
                stacklevel=3,
            )

        param_set: set[Tensor] = set()
        for existing in self.param_groups:
            param_set.update(existing["params"])
            if ("param_names" in group) != ("param_names" in existing):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {kind} to the optimizer"
                )
        if not param_set.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(_guards.ParamGroup(group))

    # ---- gradients and steps ------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors.

        Args:
            set_to_none: ``True`` (default) sets ``.grad`` to None (a parameter whose grad stays
                None is skipped by the next step); ``False`` fills the existing gradients with
                zeros (they then take part in the next step, e.g. through momentum or decay).
        """
        if set_to_none and _guards.state.sink is not None:
            # While tracing, every gradient is cleared without reading it first: the graph then
            # clears them on each run, whatever they hold (reading .grad would tie the graph to
            # whether each one was None when traced).
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None
            return
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step (implemented by subclasses).

        Args:
            closure: optional callable that re-evaluates the model and returns the loss; it runs
                with gradients enabled before the update.
        Returns:
            The closure's loss, or None.
        """
        raise NotImplementedError

    @staticmethod
    def _run_closure(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _with_grads(group: dict[str, Any]) -> tuple[list[Tensor], list[Tensor]]:
        """The group's params that have a gradient, and those gradients."""
        params: list[Tensor] = []
        grads: list[Tensor] = []
        for p in group["params"]:
            g = p.grad
            if g is not None:
                params.append(p)
                grads.append(g)
        return params, grads

    def _groups_with_grads(self) -> Iterator[tuple[dict[str, Any], list[Tensor], list[Tensor]]]:
        """(group, params with a gradient, their gradients) for each group that has any."""
        _guards.note_optimizer(self)
        for group in self.param_groups:
            params, grads = self._with_grads(group)
            if params:
                yield group, params, grads

    def _checked_groups_with_grads(
        self, name: str
    ) -> list[tuple[dict[str, Any], list[Tensor], list[Tensor]]]:
        """:meth:`_groups_with_grads` as a list, after checking every parameter is floating, so
        a bad parameter fails the step before any state changes (the fused steps check in C++).

        Raises:
            TypeError: a parameter with an integer or bool dtype.
        """
        groups = list(self._groups_with_grads())
        i = 0
        for _, params, _ in groups:
            for p in params:
                if not p.is_floating_point():
                    raise TypeError(
                        f"{name}.step: params[{i}] has dtype {p.dtype}; expected float32 or float64"
                    )
                i += 1
        return groups

    def _states_of(
        self, params: list[Tensor], new_state: Callable[[Tensor], dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The state of each of ``params``, made by ``new_state(p)`` (PyTorch's keys, in its
        order) for a parameter that has none yet."""
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state.update(new_state(p))
            states.append(state)
        return states

    # ---- serialization ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's format.

        Returns:
            dict with ``"state"`` (per-parameter state dicts keyed by the parameter's integer
            index, counting through the groups in order; the tensors are the optimizer's own, not
            copies) and ``"param_groups"`` (each group's hyperparameters, with ``"params"`` the
            list of its parameters' indices).
        """
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): (
                dict(v) if isinstance(v, dict) else v
            )
            for k, v in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state produced by :meth:`state_dict` (of an optimizer over the same params).

        State tensors are copied (floating ones converted to their parameter's dtype, step
        counters kept as they are), so the loaded optimizer does not share memory with
        ``state_dict``. Hyperparameters come from the saved groups.

        Args:
            state_dict: a dict with ``"state"`` and ``"param_groups"``.
        Raises:
            ValueError: a different number of groups, or a group of a different size. On any
                error the optimizer is left unchanged.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(
                "load_state_dict: expected a dict with 'state' and 'param_groups' (the result of "
                "Optimizer.state_dict())"
            )
        groups = self.param_groups
        saved_groups = [_copy_value(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param: Tensor, value: Any, key: Any = None) -> Any:
            """A loaded state value moved to the parameter's dtype (floating tensors except ``step``)."""
            if (
                key == "step"
                and self._tensor_step
                and isinstance(value, numbers.Real)
                and not isinstance(value, bool)
            ):
                # A plain-number step (older checkpoints, hand-written state): a tensor, as
                # PyTorch converts it.
                return _step_counter(value)
            if isinstance(value, Tensor):
                if key != "step" and param.is_floating_point() and value.dtype != param.dtype:
                    return value.detach()._to_dtype(param.dtype, True)
                return value.detach().clone()
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return copy.deepcopy(value)

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = _copy_value(v)

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            self._fix_loaded_group(saved)
            new_groups.append(_guards.ParamGroup(saved))
        self.state = state
        self.param_groups = new_groups

    def _fix_loaded_group(self, group: dict[str, Any]) -> None:
        """Hook for subclasses to normalize a group read by :meth:`load_state_dict`."""

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.param_groups = self.param_groups  # wrapped by __setattr__
        self.state = self.state

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every optimizer's step, user-defined ones included, tells a running ember.jit trace
        # that the graph bakes in its hyperparameters and holds its state.
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None or getattr(step, "_notes_trace", False):
            return

        @functools.wraps(step)
        def noted_step(self: Optimizer, *args: Any, **kw: Any) -> Any:
            """The subclass's step, noted first by a running ember.jit trace."""
            if _guards.state.sink is not None:
                _guards.note_optimizer(self)
            return step(self, *args, **kw)

        noted_step._notes_trace = True  # type: ignore[attr-defined]
        cls.step = noted_step

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "param_groups" and not isinstance(value, _guards.GroupList):
            value = _guards.GroupList(value)
        elif name == "state" and not isinstance(value, _guards.StateDict):
            value = _guards.StateDict(value)
        object.__setattr__(self, name, value)
        if name in ("param_groups", "state"):
            _guards.changed()

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"


def _check_implementation_flags(
    foreach: bool | None = None,
    fused: bool | None = None,
    differentiable: bool = False,
    capturable: bool = False,
) -> None:
    """Accepts PyTorch's implementation switches: ``foreach`` and ``fused`` change nothing
    (each optimizer has one implementation); ``differentiable`` and ``capturable`` are not
    supported."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported by ember.optim")
    if capturable:
        raise NotImplementedError(
            "capturable=True is not supported by ember.optim (no CUDA graphs)"
        )


def _validate(**values: Any) -> None:
    """Checks constructor hyperparameters in the order given, raising PyTorch's ValueError for
    the first bad one: ``betas`` must have both entries in [0, 1) ("Invalid beta parameter at
    index 1: 1.0"), ``rho`` must lie in [0, 1] ("Invalid rho value: 1.5"), every other value must
    be non-negative ("Invalid learning rate: -0.1" for ``lr``, "Invalid epsilon value: -1e-08"
    for ``eps``, "Invalid weight_decay value: -1" for any other name).
    """
    for name, value in values.items():
        if name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        elif name == "rho":
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Invalid rho value: {value}")
        elif not 0.0 <= value:
            what = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {what}: {value}")


def _betas_as_tuple(self: Optimizer, group: dict[str, Any]) -> None:
    """``_fix_loaded_group`` of the optimizers with ``betas``: loaded ``betas`` given as a list
    become a tuple again."""
    if isinstance(group.get("betas"), list):
        group["betas"] = tuple(group["betas"])


def _number(value: Any) -> float:
    """A hyperparameter as a Python float (accepts one-element tensors)."""
    return float(value)


def _zeros_like(p: Tensor) -> Tensor:
    """Zeros with ``p``'s shape and dtype, never requiring grad (optimizer state)."""
    return zeros_like(p)


def _full_like(p: Tensor, value: float) -> Tensor:
    return full_like(p, value)


def _float32_scalar(value: float) -> Tensor:
    """A 0-d float32 tensor holding ``value`` (optimizer state such as NAdam's ``mu_product``)."""
    return full((), float(value), dtype=_float32)


def _step_counter(value: float = 0.0) -> Tensor:
    """A 0-d float32 step count, like PyTorch's ``state["step"]``."""
    return _float32_scalar(value)
