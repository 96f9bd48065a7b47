"""Lazy modules of ``ember.nn``: ``LazyLinear``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d/3d``, ``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d``, and the
``LazyModuleMixin`` they share (PyTorch's ``torch.nn.modules.lazy``).

A lazy module is built without its input size. Its parameters (and running-statistics buffers)
start as :class:`~ember.nn.UninitializedParameter` / :class:`~ember.nn.UninitializedBuffer`
placeholders; the first forward infers ``in_features`` / ``in_channels`` / ``num_features`` from
the input, creates the tensors, initializes them exactly as the eager module does and turns the
module into the eager class (``LazyLinear`` becomes ``Linear``: ``cls_to_become``).

Difference from PyTorch: ember cannot change a tensor's shape in place, so materializing puts
*new* :class:`~ember.nn.Parameter` objects into the module. Anything holding the placeholders
from before (an optimizer, a list of ``parameters()``) would hold stale objects; so, as PyTorch's
documentation recommends, run a dry run (one forward on a sample batch) before building the
optimizer. Building an optimizer over uninitialized parameters raises a ValueError that says so
(PyTorch accepts it because it materializes in place).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ... import _guards, int64, no_grad, tensor
from ..._C import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
]


_SIZE_ATTRS = ("in_features", "in_channels", "num_features")


class LazyModuleMixin:
    """Mixin of the modules whose parameter shapes come from their first input.

    Until the first forward the module holds uninitialized placeholders; a forward pre-hook
    (registered at construction, so it runs before hooks registered later) calls
    :meth:`initialize_parameters` with the forward's arguments, checks that nothing is left
    uninitialized, removes itself and sets ``__class__`` to ``cls_to_become``.

    * ``state_dict()`` of an uninitialized module holds the placeholders themselves;
      ``ember.save`` cannot store them (safetensors files hold only initialized tensors) and
      raises an error that asks for a dry forward first.
    * ``load_state_dict()`` of an initialized state into an uninitialized module materializes
      the placeholders with the checkpoint's shapes before copying (and sets the inferred size
      attribute); the module stays lazy until its first forward, which then keeps the loaded
      values. Non-tensor values raise the error an ordinary module gives.
    * ``to(dtype)`` / ``double()`` before the dry run converts the placeholders' dtype.

    Attributes:
        cls_to_become: the class the module becomes after its first forward (None: keep it).
    Raises:
        ValueError: using a placeholder before the dry run (see
            :class:`~ember.nn.parameter.UninitializedTensorMixin`), including building an
            optimizer over it.
        RuntimeError: ``initialize_parameters`` left a placeholder uninitialized.
    """

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # While the eager __init__ runs, its reset_parameters() call must not draw random
        # numbers for the throw-away tensors it builds (see _building).
        self.__dict__["_lazy_building"] = True
        super().__init__(*args, **kwargs)
        del self.__dict__["_lazy_building"]
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module (not its children) is a placeholder."""
        return any(
            is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Infers the shapes from the forward's arguments and materializes the placeholders;
        each lazy class overrides it.

        Raises:
            NotImplementedError: not overridden.
        """
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def _infer_parameters(self, module: Any, args: tuple, kwargs: dict | None = None) -> None:
        """The forward pre-hook: initializes, then turns the module into ``cls_to_become``.
        If initialization fails the placeholders are put back, so the module stays lazy."""
        if _guards.state.sink is not None:
            raise RuntimeError(
                f"{module._get_name()}: a lazy module cannot infer its parameters while "
                "ember.jit traces; call the model once on a sample batch (a dry run) before "
                "tracing it"
            )
        restore = module._lazy_snapshot()
        try:
            module.initialize_parameters(*args, **(kwargs or {}))
        except BaseException:
            restore()
            raise
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        handle = module.__dict__.pop("_initialize_hook")
        handle.remove()
        module._hooks_with_kwargs.discard(handle.id)
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _lazy_snapshot(self) -> Callable[[], None]:
        """A function that puts back this module's current parameters, buffers and inferred
        size attribute (used when an initialization or a load fails)."""
        params, buffers = self._parameters.copy(), self._buffers.copy()
        sizes = {k: self.__dict__[k] for k in _SIZE_ATTRS if k in self.__dict__}

        def restore() -> None:
            """Puts the saved parameters, buffers and size attributes back."""
            self._parameters.update(params)
            self._buffers.update(buffers)
            self.__dict__.update(sizes)
            for t in itertools.chain(params.values(), buffers.values()):
                if is_lazy(t):  # usable again: the tensors made from it were dropped
                    t.__dict__.pop("_uninit_materialized", None)

        return restore

    def _lazy_load_hook(self, state_dict: Any, prefix: str) -> Callable[[], None]:
        """Called by ``load_state_dict`` before it checks shapes: each placeholder whose key holds
        an initialized tensor is materialized with that tensor's shape (the values are copied
        afterwards), then the inferred size attribute is set from the new shapes. Returns the
        function that undoes this if the load fails."""
        restore = self._lazy_snapshot()
        changed = False
        with no_grad():
            for store in (self._parameters, self._buffers):
                for name, current in list(store.items()):
                    key = prefix + name
                    if not is_lazy(current) or key not in state_dict:
                        continue
                    value = state_dict[key]
                    if isinstance(value, Tensor) and not is_lazy(value):
                        store[name] = current.materialize(tuple(value.shape))
                        changed = True
        if changed:
            self._sizes_from_materialized()
        return restore

    def _sizes_from_materialized(self) -> None:
        """Sets the inferred size attribute from materialized tensors (loaded from a
        checkpoint); each lazy class overrides it."""

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """As :meth:`Module.state_dict`, but placeholders are stored themselves (PyTorch's
        lazy ``_save_to_state_dict``): ``{'weight': <UninitializedParameter>, ...}``."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars or is_lazy(p) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars or is_lazy(b) else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _building(self) -> bool:
        """True while the eager base class's ``__init__`` runs."""
        return self.__dict__.get("_lazy_building", False)


# ---- Linear -----------------------------------------------------------------------------------


class LazyLinear(LazyModuleMixin, Linear):
    """:class:`~ember.nn.Linear` whose ``in_features`` is inferred from the first input
    (``input.shape[-1]``).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_features`` is 0; the first forward creates them with Linear's
    initialization (U(-1/sqrt(in_features), 1/sqrt(in_features)) for both) and turns the module
    into a :class:`~ember.nn.Linear`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter dtype (default float32).
    Shape:
        ``(*, H_in)`` -> ``(*, out_features)``; ``H_in`` fixed by the first call.
    Raises:
        ValueError: a negative or non-integer ``out_features``; a 0-d first input; using the
            placeholders before the first forward.
    Example:
        >>> m = nn.LazyLinear(3)
        >>> m
        LazyLinear(in_features=0, out_features=3, bias=True)
        >>> m(ember.ones(2, 5)).shape, m
        ((2, 3), Linear(in_features=5, out_features=3, bias=True))
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(0, 0, False, device=device, dtype=dtype)
        if isinstance(out_features, bool) or not isinstance(out_features, int) or out_features < 0:
            raise ValueError(
                f"LazyLinear: out_features must be a non-negative int, got {out_features!r}"
            )
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Linear's initialization once the parameters exist; nothing before."""
        if not self._building() and not self.has_uninitialized_params() and self.in_features:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        """Sets ``in_features = input.shape[-1]``, materializes ``weight``
        ``(out_features, in_features)`` and ``bias`` and initializes them.

        Raises:
            ValueError: a 0-d input, or an input whose last dim differs from the loaded weight's.
        """
        if not isinstance(input, Tensor) or input.dim() == 0:
            raise ValueError(
                "LazyLinear: expected an input tensor of shape (*, in_features) with at least "
                f"one dim, got {_describe(input)}"
            )
        n = int(input.shape[-1])
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = n
                self.weight = self.weight.materialize((self.out_features, n))
                if self.bias is not None:
                    self.bias = self.bias.materialize((self.out_features,))
                self.reset_parameters()
        elif n != int(self.weight.shape[-1]):
            raise ValueError(
                f"LazyLinear: the in_features inferred from the input ({n}) differ from the "
                f"loaded weight's ({int(self.weight.shape[-1])}); input shape {tuple(input.shape)}"
            )

    def _sizes_from_materialized(self) -> None:
        if not is_lazy(self.weight):
            self.in_features = int(self.weight.shape[-1])


def _describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"input of shape {tuple(x.shape)}"
    return type(x).__name__


# ---- convolutions -----------------------------------------------------------------------------


class _LazyConvXdMixin(LazyModuleMixin):
    """Shared by the lazy convolutions: infers ``in_channels`` from the channel dim."""

    _n = 2
    _transposed = False

    def _lazy_conv_init(self, out_channels: int, groups: int, bias: bool, factory: dict) -> None:
        name = type(self).__name__
        if isinstance(out_channels, bool) or not isinstance(out_channels, int) or out_channels <= 0:
            raise ValueError(f"{name}: out_channels must be a positive int, got {out_channels!r}")
        if out_channels % groups != 0:
            raise ValueError(
                f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})"
            )
        self.in_channels = 0
        self.out_channels = out_channels
        self.weight = UninitializedParameter(**factory)
        if bias:
            self.bias = UninitializedParameter(**factory)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """The eager convolution's initialization once the parameters exist; nothing before."""
        if not self._building() and not self.has_uninitialized_params() and self.in_channels:
            super().reset_parameters()

    def _get_in_channels(self, input: Any) -> int:
        name = type(self).__name__
        unbatched = self._n + 1
        if not isinstance(input, Tensor) or input.dim() not in (unbatched, unbatched + 1):
            raise ValueError(
                f"{name}: expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input, "
                f"got {_describe(input)}"
            )
        return int(input.shape[1] if input.dim() == unbatched + 1 else input.shape[0])

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        """Sets ``in_channels`` from the input's channel dim, materializes ``weight`` and
        ``bias`` and initializes them as the eager convolution does.

        Raises:
            ValueError: wrong input rank, or ``in_channels`` not divisible by ``groups``.
        """
        name = type(self).__name__
        c = self._get_in_channels(input)
        if not self.has_uninitialized_params():
            return
        if c % self.groups != 0:
            raise ValueError(
                f"{name}: in_channels ({c}) inferred from input of shape {tuple(input.shape)} "
                f"must be divisible by groups ({self.groups})"
            )
        with no_grad():
            self.in_channels = c
            if self._transposed:
                shape = (c, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, c // self.groups, *self.kernel_size)
            self.weight = self.weight.materialize(shape)
            if self.bias is not None:
                self.bias = self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _sizes_from_materialized(self) -> None:
        if not is_lazy(self.weight):
            w = tuple(self.weight.shape)
            self.in_channels = int(w[0] if self._transposed else w[1] * self.groups)


class _LazyConv(_LazyConvXdMixin):
    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        # The eager __init__ validates the hyperparameters on a throw-away groups-channel layer.
        g = groups if isinstance(groups, int) and not isinstance(groups, bool) and groups > 0 else 1
        super().__init__(
            g,
            g,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            False,
            padding_mode,
            device=device,
            dtype=dtype,
        )
        self._lazy_conv_init(out_channels, groups, bias, {"device": device, "dtype": dtype})


class _LazyConvTranspose(_LazyConvXdMixin):
    _transposed = True

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        g = groups if isinstance(groups, int) and not isinstance(groups, bool) and groups > 0 else 1
        super().__init__(
            g,
            g,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            device=device,
            dtype=dtype,
        )
        self._lazy_conv_init(out_channels, groups, bias, {"device": device, "dtype": dtype})


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.Conv1d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as
        :class:`~ember.nn.Conv1d`.
    Shape:
        as :class:`~ember.nn.Conv1d`: ``3``-D batched or ``2``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    """

    _n = 1
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.Conv2d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as
        :class:`~ember.nn.Conv2d`.
    Shape:
        as :class:`~ember.nn.Conv2d`: ``4``-D batched or ``3``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    Example:
        >>> m = nn.LazyConv2d(4, 3)
        >>> m
        LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))
        >>> m(ember.ones(1, 2, 5, 5)).shape, m
        ((1, 4, 3, 3), Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1)))
    """

    _n = 2
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.Conv3d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype: as
        :class:`~ember.nn.Conv3d`.
    Shape:
        as :class:`~ember.nn.Conv3d`: ``5``-D batched or ``4``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    """

    _n = 3
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """ConvTranspose1d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.ConvTranspose1d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype: as
        :class:`~ember.nn.ConvTranspose1d`.
    Shape:
        as :class:`~ember.nn.ConvTranspose1d`: ``3``-D batched or ``2``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    """

    _n = 1
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """ConvTranspose2d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.ConvTranspose2d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype: as
        :class:`~ember.nn.ConvTranspose2d`.
    Shape:
        as :class:`~ember.nn.ConvTranspose2d`: ``4``-D batched or ``3``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    """

    _n = 2
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """ConvTranspose3d whose ``in_channels`` is inferred from the first input's channel dim
    (``input.shape[1]``, or ``input.shape[0]`` for an unbatched input).

    Until the first forward ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`
    placeholders and ``in_channels`` is 0; the first forward creates them with the eager layer's
    initialization (kaiming-uniform with ``a = sqrt(5)``, bias U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) and turns the module into a :class:`~ember.nn.ConvTranspose3d`. See
    :class:`LazyModuleMixin` (build optimizers after a dry run).

    Args:
        out_channels: channels of the output.
        kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype: as
        :class:`~ember.nn.ConvTranspose3d`.
    Shape:
        as :class:`~ember.nn.ConvTranspose3d`: ``5``-D batched or ``4``-D unbatched input.
    Raises:
        ValueError: bad hyperparameters (as the eager layer; ``out_channels`` must be divisible
            by ``groups``); at the first call an input of another rank or with ``in_channels``
            not divisible by ``groups``; using the placeholders before the first forward.
    """

    _n = 3
    cls_to_become = ConvTranspose3d


# ---- normalization ----------------------------------------------------------------------------


class _LazyNormBase(LazyModuleMixin):
    """Shared by the lazy batch and instance norms: infers ``num_features`` from the channel
    dim. PyTorch's defaults for all of them: ``affine=True``, ``track_running_stats=True``."""

    _channel_from_end = 0  # instance norms: spatial dims + 1, to find the channel dim unbatched

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        # The eager __init__ checks eps and momentum on a one-feature layer without tensors.
        super().__init__(1, eps, momentum, False, False, device=device, dtype=dtype, bias=False)
        factory = {"device": device, "dtype": dtype}
        self.num_features = 0
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(**factory)
            if bias:
                self.bias = UninitializedParameter(**factory)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**factory)
            self.running_var = UninitializedBuffer(**factory)
            self.num_batches_tracked = tensor(0, dtype=int64)

    def reset_parameters(self) -> None:
        """The eager layer's reset (running statistics, weight ones, bias zeros) once the
        tensors exist; nothing before."""
        if not self._building() and not self.has_uninitialized_params() and self.num_features:
            super().reset_parameters()

    def _channels(self, input: Any) -> int:
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.dim() < 2:
            raise ValueError(
                f"{name}: expected an input of shape (N, C, *) with at least 2 dims, got "
                f"{_describe(input)}"
            )
        if self._channel_from_end and input.dim() == self._channel_from_end:  # unbatched
            return int(input.shape[0])
        return int(input.shape[1])

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        """Sets ``num_features`` from the input's channel dim, materializes ``weight``,
        ``bias``, ``running_mean`` and ``running_var`` (shape ``(C,)``) and resets them (ones,
        zeros, zeros, ones)."""
        c = self._channels(input)
        if not self.has_uninitialized_params():
            if not self.num_features:  # no tensors to infer (affine and tracking both off)
                self.num_features = c
            return
        with no_grad():
            self.num_features = c
            for store in (self._parameters, self._buffers):
                for name, t in list(store.items()):
                    if is_lazy(t):
                        store[name] = t.materialize((c,))
            self.reset_parameters()

    def _sizes_from_materialized(self) -> None:
        for t in itertools.chain(self._parameters.values(), self._buffers.values()):
            if t is not None and not is_lazy(t) and t.dim() == 1:
                self.num_features = int(t.shape[0])
                return


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """BatchNorm1d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.BatchNorm1d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C)`` or ``(N, C, L)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    Example:
        >>> m = nn.LazyBatchNorm1d()
        >>> m(ember.randn(4, 3)).shape, m.num_features, type(m).__name__
        ((4, 3), 3, 'BatchNorm1d')
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """BatchNorm2d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.BatchNorm2d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, H, W)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """BatchNorm3d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.BatchNorm3d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, D, H, W)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    """

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """InstanceNorm1d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.InstanceNorm1d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    As in PyTorch 2.13 the defaults are those of the lazy batch norms (``affine=True``,
    ``track_running_stats=True``), not the eager instance norm's (both False). For an unbatched
    input the channel dim is ``input.shape[0]`` (PyTorch reads ``input.shape[1]`` there).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, L)`` or ``(C, L)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    """

    _channel_from_end = 2
    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """InstanceNorm2d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.InstanceNorm2d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    As in PyTorch 2.13 the defaults are those of the lazy batch norms (``affine=True``,
    ``track_running_stats=True``), not the eager instance norm's (both False). For an unbatched
    input the channel dim is ``input.shape[0]`` (PyTorch reads ``input.shape[1]`` there).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    """

    _channel_from_end = 3
    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """InstanceNorm3d whose ``num_features`` is inferred from the first input's channel dim.

    Until the first forward ``weight``/``bias`` are :class:`~ember.nn.UninitializedParameter`
    and ``running_mean``/``running_var`` :class:`~ember.nn.UninitializedBuffer` placeholders
    (``num_batches_tracked`` is a real int64 0) and ``num_features`` is 0; the first forward
    creates them of shape ``(C,)``, resets them as the eager layer does and turns the module into
    a :class:`~ember.nn.InstanceNorm3d`. See :class:`LazyModuleMixin` (build optimizers after a dry
    run).

    As in PyTorch 2.13 the defaults are those of the lazy batch norms (``affine=True``,
    ``track_running_stats=True``), not the eager instance norm's (both False). For an unbatched
    input the channel dim is ``input.shape[0]`` (PyTorch reads ``input.shape[1]`` there).

    Args:
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked``. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter and buffer dtype (default float32).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> same.
    Raises:
        ValueError: bad ``eps``/``momentum``; as the eager layer at call time; using the
            placeholders before the first forward.
    """

    _channel_from_end = 4
    cls_to_become = InstanceNorm3d
