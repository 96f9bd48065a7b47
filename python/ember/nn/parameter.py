"""``Parameter``: a tensor that a :class:`~ember.nn.Module` registers as learnable; ``Buffer``: one
it registers as a buffer; ``UninitializedParameter``/``UninitializedBuffer``: the placeholders of
lazy modules until their first forward infers the shapes (PyTorch's ``torch.nn.parameter``)."""

from __future__ import annotations

from typing import Any

from .._C import Tensor

__all__ = [
    "Buffer",
    "Parameter",
    "UninitializedBuffer",
    "UninitializedParameter",
    "UninitializedTensorMixin",
    "is_lazy",
]


class Parameter(Tensor):
    """A tensor that is a module parameter.

    Assigning a ``Parameter`` as a module attribute registers it, so it appears in
    ``parameters()`` and ``state_dict()``. It shares memory with ``data`` (no copy).

    Args:
        data: the initial value (a Tensor); default an empty float32 tensor.
        requires_grad: whether the parameter records gradients. Default True.
    Example:
        >>> p = Parameter(ember.zeros(2))
        >>> p.requires_grad
        True
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            from .. import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        super().__init__(data.detach())
        if requires_grad:
            Tensor.requires_grad_(self, True)
        if isinstance(data, UninitializedTensorMixin) and type(self) is Parameter:
            # An uninitialized tensor stays one: Module.to() rewraps converted parameters.
            self.__class__ = UninitializedParameter

    def requires_grad_(self, requires_grad: bool = True) -> Parameter:  # type: ignore[override]
        """Sets ``requires_grad`` in place and returns the parameter itself."""
        Tensor.requires_grad_(self, requires_grad)
        return self

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self.detach().clone(), self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an :class:`UninitializedParameter` or :class:`UninitializedBuffer`
    (a lazy module's placeholder whose shape is not known yet)."""
    return isinstance(param, UninitializedTensorMixin)


# What an uninitialized tensor still allows: metadata, autograd flags, dtype conversion and
# detaching (Module.to() and state_dict() need them). Everything else raises.
_UNINIT_ALLOWED = frozenset(
    {
        "materialize",
        "cls_to_become",
        "dtype",
        "device",
        "requires_grad",
        "requires_grad_",
        "grad",
        "is_floating_point",
        "is_complex",
        "is_cuda",
        "detach",
        "to",
        "float",
        "double",
        "cpu",
        "data_ptr",
        "persistent",
    }
)


class _UninitializedSaveError(ValueError, TypeError):
    """Converting an uninitialized (lazy) placeholder to NumPy, as ``ember.save`` does: a
    ValueError like the placeholder's other errors, and a TypeError like ``ember.save``'s
    other "cannot store this object" errors."""


# Conversions to NumPy: what ember.save (safetensors) needs of every tensor it stores.
_TO_NUMPY = frozenset({"numpy", "__array__"})


def _uninit_error(obj: Any, what: str) -> ValueError:
    kind = type(obj).__name__
    if what in _TO_NUMPY and not obj.__dict__.get("_uninit_materialized", False):
        return _UninitializedSaveError(
            f"{kind}.{what}: this is an uninitialized (lazy) parameter or buffer (or a detached "
            "copy of one), which holds no data yet, so it has no NumPy value and ember.save "
            "cannot store it: ember's safetensors files cannot hold uninitialized tensors "
            "(PyTorch pickles them). It comes from a module with uninitialized (lazy) "
            "parameters (e.g. nn.LazyLinear before its first forward): run a dry forward on a "
            "sample batch first (model(sample)), then call state_dict() and save"
        )
    if obj.__dict__.get("_uninit_materialized", False):
        return ValueError(
            f"{kind}.{what}: this {kind} was materialized: its lazy module replaced it with a new "
            "tensor of the inferred shape (ember cannot reshape a tensor in place). Read the "
            "parameter or buffer again from its module (e.g. module.weight)"
        )
    return ValueError(
        f"{kind}.{what}: attempted to use an uninitialized parameter or buffer, whose shape is "
        "not known yet. This happens when using a lazy module (e.g. nn.LazyLinear) before its "
        "first forward: call the model once on a sample batch (a dry run) first, and build "
        "optimizers after that dry run (the first forward replaces each uninitialized parameter "
        "with a new Parameter, so an optimizer built before it would hold stale ones)"
    )


def _uninit_op(name: str) -> Any:
    def op(self: Any, *args: Any, **kwargs: Any) -> Any:
        """Raises ValueError: the operation needs data, which an uninitialized tensor lacks."""
        raise _uninit_error(self, name)

    op.__name__ = name
    return op


class UninitializedTensorMixin:
    """Behaviour shared by :class:`UninitializedParameter` and :class:`UninitializedBuffer`.

    The tensor holds no data and its shape is unknown: reading ``shape``, calling methods that
    touch data and operators raise ValueError with a hint about dry runs. Allowed: ``dtype``,
    ``device``, ``requires_grad``/``requires_grad_``, ``grad`` (None), ``is_floating_point``,
    ``detach``, ``to``/``float``/``double``/``cpu`` (a dtype conversion gives another
    uninitialized tensor), ``materialize``, ``repr``, ``copy.deepcopy`` and pickling.

    Free functions (``ember.add(p, 1)``, ``F.linear(x, p)``) receive the empty placeholder
    tensor and fail with their own shape errors.

    Attributes:
        cls_to_become: the class of the tensor ``materialize`` returns.
    Raises:
        ValueError: any other attribute or operator, naming it and how to fix the code.
    """

    cls_to_become: type = Tensor

    def __getattribute__(self, name: str) -> Any:
        if name in _UNINIT_ALLOWED or name.startswith("_"):
            return object.__getattribute__(self, name)
        raise _uninit_error(self, name)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> Tensor:
        """Creates the tensor this placeholder stands for, with uninitialized values.

        PyTorch changes the placeholder in place; ember cannot change a tensor's shape in place,
        so the new tensor (of class ``cls_to_become``) is returned and the caller stores it
        (``module.weight = module.weight.materialize((3, 4))``). Using this placeholder
        afterwards raises ValueError.

        Args:
            shape: int or sequence of ints.
            device: accepted for PyTorch compatibility (CPU only).
            dtype: the dtype; default this placeholder's dtype.
        Returns:
            A :class:`Parameter` (for an :class:`UninitializedParameter`, keeping its
            ``requires_grad``) or a plain Tensor (for an :class:`UninitializedBuffer`).
        Raises:
            ValueError: a negative size.
        """
        from .. import empty

        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if any(s < 0 for s in shape):
            raise ValueError(f"{type(self).__name__}.materialize: negative size in shape {shape}")
        data = empty(*shape, dtype=dtype if dtype is not None else Tensor.dtype.__get__(self))
        requires_grad = Tensor.requires_grad.__get__(self)
        self.__dict__["_uninit_materialized"] = True
        if self.cls_to_become is Parameter:
            return Parameter(data, requires_grad)
        return data.requires_grad_(requires_grad) if requires_grad else data

    def detach(self) -> UninitializedBuffer:
        """An :class:`UninitializedBuffer` of the same dtype (no autograd)."""
        return _make_uninit(UninitializedBuffer, Tensor.detach(self), False)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """The same kind of uninitialized tensor with the requested dtype (``to(dtype)``,
        ``to(device)``, ``to(tensor)``); ``self`` when the dtype does not change."""
        from .._tensor import _check_device, _to_dtype

        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        for a in args:
            if isinstance(a, Tensor):
                dtype = Tensor.dtype.__get__(a)
            elif isinstance(a, str) or type(a).__name__ == "device":
                device = a
            else:
                dtype = a
        _check_device(device)
        dt = _to_dtype(dtype)
        current = Tensor.dtype.__get__(self)
        if dt is None or dt == current:
            return self
        requires_grad = Tensor.requires_grad.__get__(self)
        data = Tensor.to(Tensor.detach(self), dt)
        return _make_uninit(type(self), data, requires_grad, self._persistent())

    def float(self) -> Any:
        """``to(float32)``."""
        from .. import float32

        return self.to(float32)

    def double(self) -> Any:
        """``to(float64)``."""
        from .. import float64

        return self.to(float64)

    def cpu(self) -> Any:
        """Returns ``self`` (CPU is the only device)."""
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        dtype = str(Tensor.dtype.__get__(self))
        args = (type(self), Tensor.requires_grad.__get__(self), dtype, self._persistent())
        return (_rebuild_uninit, args)

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        data = Tensor.detach(self).clone()
        requires_grad = Tensor.requires_grad.__get__(self)
        out = _make_uninit(type(self), data, requires_grad, self._persistent())
        memo[id(self)] = out
        return out

    def _persistent(self) -> bool:
        return bool(self.__dict__.get("persistent", True))

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return self is other

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return self is not other


_DATA_DUNDERS = (
    "__add__ __radd__ __iadd__ __sub__ __rsub__ __isub__ __mul__ __rmul__ __imul__ __truediv__ "
    "__rtruediv__ __itruediv__ __floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ "
    "__matmul__ __rmatmul__ __neg__ __pos__ __abs__ __lt__ __le__ __gt__ __ge__ __getitem__ "
    "__setitem__ __len__ __iter__ __bool__ __float__ __int__ __index__ __array__ __and__ __or__ "
    "__xor__ __invert__"
)
for _name in _DATA_DUNDERS.split():  # operators bypass __getattribute__: each raises itself
    setattr(UninitializedTensorMixin, _name, _uninit_op(_name))
del _name


def _make_uninit(cls: type, data: Tensor, requires_grad: bool, persistent: bool = True) -> Any:
    """An instance of ``cls`` (an uninitialized class) wrapping the empty tensor ``data``."""
    obj = Tensor.__new__(cls)
    Tensor.__init__(obj, data)
    if requires_grad:
        Tensor.requires_grad_(obj, True)
    if not persistent:
        obj.__dict__["persistent"] = False
    return obj


def _rebuild_uninit(cls: type, requires_grad: bool, dtype: str, persistent: bool = True) -> Any:
    from .. import empty
    from .._tensor import _to_dtype

    data = empty(0, dtype=_to_dtype(dtype.replace("ember.", "")))
    return _make_uninit(cls, data, requires_grad, persistent)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet: the placeholder of lazy modules
    (``nn.LazyLinear`` etc.) until their first forward infers the shape.

    It holds no data; see :class:`UninitializedTensorMixin` for what it allows. ``materialize``
    returns a regular :class:`Parameter` (``cls_to_become``).

    Args:
        requires_grad: whether the materialized parameter records gradients. Default True.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: dtype of the materialized parameter; default float32.
    Example:
        >>> p = nn.UninitializedParameter()
        >>> p
        <UninitializedParameter>
        >>> p.materialize((2, 3)).shape
        (2, 3)
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        from .. import empty

        Tensor.__init__(self, empty(0, dtype=dtype, device=device))
        if requires_grad:
            Tensor.requires_grad_(self, True)


class Buffer(Tensor):
    """A tensor that registers itself as a buffer when assigned as a module attribute
    (PyTorch 2.x ``nn.Buffer``): ``module.stats = nn.Buffer(ember.zeros(3))`` is
    ``module.register_buffer("stats", ember.zeros(3))``.

    It shares memory with ``data`` (no copy) and keeps its ``requires_grad``. Assigning a plain
    Tensor to a new attribute does not register it; assigning one to an existing buffer's name
    replaces that buffer (as in PyTorch).

    Args:
        data: the buffer's value (a Tensor); default an empty float32 tensor.
        persistent: (keyword) whether the buffer is part of the module's ``state_dict()``.
            Default True.
    Raises:
        TypeError: ``data`` is not a Tensor.
    Example:
        >>> m = nn.Module()
        >>> m.steps = nn.Buffer(ember.zeros(2), persistent=False)
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['steps'], [])
    """

    persistent = True  # the default; instances set their own

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            from .. import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        if isinstance(data, UninitializedTensorMixin):
            raise TypeError("Buffer: data must be an initialized Tensor, got an uninitialized one")
        requires_grad = data.requires_grad
        super().__init__(data.detach())
        if requires_grad:
            Tensor.requires_grad_(self, True)
        self.persistent = bool(persistent)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_buffer, (self.detach().clone(), self.requires_grad, self.persistent))

    def __deepcopy__(self, memo: dict) -> Buffer:
        if id(self) in memo:
            return memo[id(self)]
        data = self.detach().clone()
        if self.requires_grad:
            data.requires_grad_(True)
        out = Buffer(data, persistent=self.persistent)
        memo[id(self)] = out
        return out


def _rebuild_buffer(data: Tensor, requires_grad: bool, persistent: bool) -> Buffer:
    if requires_grad:
        data.requires_grad_(True)
    return Buffer(data, persistent=persistent)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape is not known yet (e.g. the running statistics of
    ``nn.LazyBatchNorm1d`` before its first forward).

    It holds no data; see :class:`UninitializedTensorMixin` for what it allows. ``materialize``
    returns a plain Tensor (``cls_to_become``).

    It is a :class:`Buffer`: assigning it as a module attribute registers it (with
    ``persistent``), as in PyTorch.

    Args:
        requires_grad: whether the materialized tensor requires grad. Default False.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: dtype of the materialized tensor; default float32.
        persistent: whether the buffer is part of the module's ``state_dict()``. Default True.
    """

    cls_to_become = Tensor

    def __init__(
        self,
        requires_grad: bool = False,
        device: Any = None,
        dtype: Any = None,
        persistent: bool = True,
    ) -> None:
        from .. import empty

        Tensor.__init__(self, empty(0, dtype=dtype, device=device))
        if requires_grad:
            Tensor.requires_grad_(self, True)
        self.persistent = bool(persistent)
