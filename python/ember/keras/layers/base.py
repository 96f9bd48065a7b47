"""``Layer``: the base class of every Keras layer and model, plus the symbolic tensors of the
functional API (``keras.Input``).

A Keras layer is an :class:`ember.nn.Module` (its weights are ember Parameters, so everything
``ember.nn``/``ember.optim`` offers applies) with Keras's life cycle:

* ``__init__`` stores the hyperparameters only;
* ``build(input_shape)`` creates the weights once the input shape is known (from
  ``input_shape=``, ``keras.Input`` or the first call), using :meth:`Layer.add_weight`;
* ``call(inputs, training=None)`` computes the output with ember ops;
* ``compute_output_shape(input_shape)`` (optional: by default the layer is run once on zeros
  to find it) and ``get_config()`` (the constructor arguments, for saving).

Writing a new layer is a small class, e.g. a layer scaling its input by a learned vector::

    class Scale(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

``call`` may take a ``training`` argument (True inside ``fit``, False in ``evaluate``,
``predict`` and plain calls); layers whose ``call`` does not name it are not passed it. A
layer called inside another layer's ``call`` without its own ``training`` argument inherits
the outer call's mode, as in Keras, so ``self.dropout(x)`` in a subclassed model's ``call``
drops units during ``fit``.
Register the class with ``keras.saving.register_keras_serializable`` (or pass it through
``custom_objects``) to load saved models using it.

Masks (Keras's ``_keras_mask``): ``Masking`` and ``Embedding(mask_zero=True)`` attach a bool
mask ``(batch, timesteps)`` to their output (:func:`get_keras_mask` reads it). A layer call
passes its input's mask to ``call(..., mask=...)`` when ``call`` takes ``mask``, and sets the
output's mask from :meth:`Layer.compute_mask` (layers with ``supports_masking = True`` pass
it on unchanged); other layers drop it with a warning, as Keras 3 does. ``fit``, ``evaluate``
and ``predict`` compute the same masked function, and the loss and metrics of ``fit`` and
``evaluate`` skip the masked steps of the model's output (Keras's loss masking).
"""

from __future__ import annotations

import inspect
import itertools
import re
import threading
import warnings
import weakref
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember

from ..._C import Tensor
from ...autograd import no_grad
from ...nn.modules.module import Module
from ...nn.parameter import Parameter
from .. import initializers

__all__ = ["Input", "InputLayer", "KerasTensor", "Layer", "get_keras_mask", "set_keras_mask"]

_name_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)


class _CallContext(threading.local):
    """The ``training`` flag of the enclosing layer call (None outside any call that set it).
    Keras passes it down: a layer called inside another layer's ``call`` without its own
    ``training`` argument runs in the mode of the outer call (so a subclassed model's
    Dropout/BatchNormalization train inside ``fit``)."""

    training: bool | None = None
    depth: int = 0  # nesting of non-symbolic layer calls (0: outside any call)
    pass_id: int = 0  # counts forward passes; losses added by add_loss belong to one


_CONTEXT = _CallContext()
# Layers that have called add_loss (so fit/evaluate only look for losses when there are some).
_LOSS_LAYERS: weakref.WeakSet = weakref.WeakSet()


def begin_pass() -> None:
    """Starts a new forward pass: losses added with ``Layer.add_loss`` from now on replace
    those of earlier passes. Called by every outermost layer call, and by ``fit``/``evaluate``
    before each batch (they call the layers' ``call`` directly)."""
    _CONTEXT.pass_id += 1


def pass_losses() -> list[Tensor]:
    """The losses added with ``Layer.add_loss`` during the current forward pass."""
    if not _LOSS_LAYERS:
        return []
    pid = _CONTEXT.pass_id
    out: list[Tensor] = []
    for layer in list(_LOSS_LAYERS):
        if layer.__dict__.get("_loss_pass") == pid:
            out.extend(layer.__dict__.get("_call_losses", ()))
    return out
# ---- Keras masks ---------------------------------------------------------------------------
# Keras attaches a bool mask ``(batch, timesteps)`` to the tensors made by ``Masking`` and
# ``Embedding(mask_zero=True)`` (``tensor._keras_mask``) and passes it from layer to layer.
# ember Tensors take no Python attributes, so the masks live here, keyed by the tensor's id
# and dropped (weakref callback) when the tensor is freed.
_MASKS: dict[int, tuple[weakref.ref, Tensor]] = {}


def get_keras_mask(x: Any) -> Tensor | None:
    """The Keras mask attached to tensor ``x`` (bool, ``(batch, timesteps)``), or None.

    Args:
        x: a tensor (anything else has no mask).
    Returns:
        The mask tensor, or None.
    """
    entry = _MASKS.get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return entry[1]


def set_keras_mask(x: Tensor, mask: Tensor | None) -> None:
    """Attaches ``mask`` to tensor ``x`` (None removes it), as Keras's ``x._keras_mask = mask``.

    Args:
        x: the tensor.
        mask: bool tensor or array ``(batch, timesteps)`` (other dtypes are compared with 0),
            or None.
    """
    key = id(x)
    if mask is None:
        entry = _MASKS.get(key)
        if entry is not None and entry[0]() is x:
            del _MASKS[key]
        return
    if not isinstance(mask, Tensor):  # a numpy/list mask given by the caller
        mask = ember.from_numpy(np.array(mask, dtype=bool, order="C"))
    if mask.dtype != ember.bool:
        mask = mask != 0
    mask = mask.detach()

    def drop(ref: weakref.ref, key: int = key) -> None:
        """Forgets the mask of a freed tensor."""
        entry = _MASKS.get(key)
        if entry is not None and entry[0] is ref:
            del _MASKS[key]

    _MASKS[key] = (weakref.ref(x, drop), mask)


def _input_masks(inputs: Any) -> Any:
    """The mask of ``inputs`` (a list of masks for a list of inputs; None when none has one)."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(t) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return get_keras_mask(inputs)


def _propagate_masks(layer: Layer, inputs: Any, mask: Any, out: Any) -> None:
    """Sets the masks of a layer call's outputs from ``layer.compute_mask`` (Keras's mask
    propagation); a layer that does not support masking drops an input mask with a warning,
    as Keras 3 does. Models are skipped: their layers set the masks."""
    if hasattr(layer, "_fit_forward_plan"):
        return
    if mask is None:
        mask = _input_masks(inputs)
    if not layer.supports_masking and type(layer).compute_mask is Layer.compute_mask:
        if mask is not None:
            warnings.warn(
                f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with "
                "a mask attached to it. However, this layer does not support masking and will "
                "therefore destroy the mask information. Downstream layers will not see the mask.",
                stacklevel=3,
            )
        return
    out_mask = layer.compute_mask(inputs, mask)
    if isinstance(out, (list, tuple)):
        masks = (list(out_mask) if isinstance(out_mask, (list, tuple))
                 else [out_mask] + [None] * (len(out) - 1))
        for o, m in zip(out, masks):
            if isinstance(o, Tensor):
                set_keras_mask(o, m)
    elif isinstance(out, Tensor):
        set_keras_mask(out, out_mask)


_KERAS_PACKAGE = __package__.rsplit(".", 1)[0] + "."  # "ember.keras."


def _may_make_masks(layer: Layer) -> bool:
    """Whether calling ``layer`` may attach a Keras mask to its output when its input has none:
    it (or a layer inside it, nested models included) is ``Masking``, ``Embedding(mask_zero=
    True)`` or a layer whose ``compute_mask`` comes from outside ``ember.keras`` (a user layer
    that may make masks). Conservative: a model whose layers all answer False runs fit/evaluate
    through the layers' ``call`` directly, without mask bookkeeping (see
    ``Sequential._fit_forward_plan``)."""
    seen: set[int] = set()

    def visit(lay: Layer) -> bool:
        """True when ``lay`` or one of its sublayers may make a mask."""
        if id(lay) in seen:
            return False
        seen.add(id(lay))
        if getattr(lay, "_makes_masks", False):
            return True
        owner = next((c for c in type(lay).__mro__ if "compute_mask" in c.__dict__), Layer)
        if owner is not Layer and not owner.__module__.startswith(_KERAS_PACKAGE):
            return True  # a user's compute_mask: it may make a mask from nothing
        return any(visit(sub) for sub in lay._sublayers())

    return visit(layer)


def _set_fused_mask(layer: Layer, inputs: Any, out: Any) -> None:
    """Sets the mask of ``out``, the output of ``layer._call_logits(inputs)`` (a final layer run
    without its softmax/sigmoid inside fit/evaluate), as ``layer(inputs)`` would, so the loss
    and metrics see it. Nested models set their own."""
    if _MASKS and not hasattr(layer, "_fit_forward_plan"):
        _propagate_masks(layer, inputs, None, out)


def _mask_like(mask: Any, values: Tensor) -> Tensor | None:
    """``mask`` reshaped to broadcast against ``values`` (per-entry loss or metric values): a
    ``(batch, steps)`` mask against ``(batch, steps)`` or ``(batch, steps, k)`` values gets
    trailing axes of size 1; trailing mask axes of size 1 are dropped; flattened values take the
    flattened mask. None when the shapes do not fit (the mask is then not used, as the values
    are not per step)."""
    if not isinstance(mask, Tensor) or mask.dim() == 0 or values.dim() == 0:
        return None
    ms, vs = tuple(mask.shape), tuple(values.shape)
    while len(ms) > len(vs) and ms[-1] == 1:
        ms = ms[:-1]
    if len(ms) <= len(vs) and all(a == b or a == 1 for a, b in zip(ms, vs)):
        return mask.reshape(*ms, *([1] * (len(vs) - len(ms))))
    if len(vs) == 1 and mask.numel() == vs[0]:
        return mask.reshape(-1)
    return None


_has_training_arg: dict[type, bool] = {}
_has_mask_arg: dict[type, bool] = {}
_DTYPES = {"float32": ember.float32, "float64": ember.float64, "int32": ember.int32,
           "int64": ember.int64, "bool": ember.bool, "uint8": ember.uint8}


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique_name(base: str) -> str:
    n = next(_name_counters[base])
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Restarts automatic layer naming (``dense``, ``dense_1``, ...); used by
    ``keras.backend.clear_session``."""
    _name_counters.clear()


def dtype_name(dtype: Any) -> str:
    """``'float32'`` for ``ember.float32`` or ``'float32'``; used in configs and messages."""
    if isinstance(dtype, str):
        return dtype
    return str(dtype).replace("ember.", "")


def to_dtype(dtype: Any) -> Any:
    """An ember dtype from a Keras dtype name (``'float32'``) or an ember dtype."""
    if dtype is None:
        return ember.float32
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise ValueError(f"Unknown dtype {dtype!r}; accepted: {', '.join(_DTYPES)}")
        return _DTYPES[dtype]
    return dtype


def shape_str(shape: Any) -> str:
    """Keras's rendering of a shape: ``(None, 10)``."""
    if isinstance(shape, list):
        return "[" + ", ".join(shape_str(s) for s in shape) + "]"
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (batch dim None), a dtype, and the
    layer call that produced it. Made by :func:`Input` and by calling layers on KerasTensors.

    Attributes:
        shape: tuple with None for the batch dimension.
        dtype: ember dtype.
    """

    def __init__(self, shape: tuple, dtype: Any, node: Any = None, index: int = 0,
                 name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self._node = node  # _Node that produced this tensor (None for an Input)
        self._index = index
        self.name = name

    @property
    def ndim(self) -> int:
        """Number of dimensions, including the batch dimension."""
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={shape_str(self.shape)}, dtype={dtype_name(self.dtype)}, name={self.name}>"


class _Node:
    """One call of a layer in a functional graph: the layer, its input KerasTensors (in the
    structure they were passed: one tensor or a list) and its output KerasTensors."""

    def __init__(self, layer: Layer, inputs: Any, kwargs: dict, outputs: list[KerasTensor]) -> None:
        self.layer = layer
        self.inputs = inputs
        self.kwargs = kwargs
        self.outputs = outputs

    @property
    def flat_inputs(self) -> list[KerasTensor]:
        """The input KerasTensors as a flat list."""
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


def _is_symbolic(x: Any) -> bool:
    if isinstance(x, KerasTensor):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(t, KerasTensor) for t in x)


def _batch_shape(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_batch_shape(t) for t in x]
    return (None,) + tuple(x.shape[1:])


def _name_error(e: Exception, layer: Layer) -> Exception:
    # Re-raise a layer's error once, same type, prefixed with the innermost layer's name.
    if getattr(e, "_keras_layer_named", False):
        return e
    try:
        named = type(e)(f"Exception encountered when calling layer '{layer.name}' "
                        f"({type(layer).__name__}): {e}")
        named._keras_layer_named = True  # type: ignore[attr-defined]
    except Exception:
        return e
    return named.with_traceback(e.__traceback__)


class Layer(Module):
    """Base class of Keras layers (an :class:`ember.nn.Module`).

    Args:
        name: unique name; default the snake-case class name with a counter (``dense_1``).
        trainable: whether the weights are updated by ``fit`` (default True).
        dtype: weight dtype, ``'float32'`` (default) or ``'float64'``.
        input_shape: shape of one sample (without the batch dim); given on the first layer of
            a ``Sequential`` it builds the model at once. ``input_dim=n`` means ``(n,)``.
        batch_input_shape: the full input shape with the batch dim (usually None first).
    Raises:
        TypeError: an unknown keyword argument.

    Attributes:
        built (bool): whether :meth:`build` has run.
        trainable (bool): setting it to False freezes the layer's weights.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        input_shape: Sequence[int] | None = None,
        input_dim: int | None = None,
        batch_input_shape: Sequence[Any] | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) "
                f"{', '.join(repr(k) for k in sorted(kwargs))}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {name!r}")
        self.name = name or _unique_name(_snake(type(self).__name__))
        self.built = False
        self._trainable = bool(trainable)
        self._dtype = to_dtype(dtype)
        self._weight_names: list[str] = []
        self._build_input_shape: Any = None
        self._output_shape: Any = None
        self._inbound_nodes: list[_Node] = []
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self._batch_input_shape = (
            tuple(batch_input_shape) if batch_input_shape is not None else None
        )

    # ---- the life cycle subclasses implement --------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Creates the layer's weights for ``input_shape`` (batch dim first, may be None).
        The base version creates nothing."""

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation on ember tensors; subclasses override it."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None). By default the layer runs once on
        zeros of that shape (batch of 1) under no_grad and reports what comes out.

        Raises:
            ValueError: a non-batch dimension is None (no way to run the layer).
        """
        shape, _ = self._run_on_zeros(input_shape, ember.float32)
        return shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able) that rebuild this layer with ``from_config``.
        Subclasses extend ``super().get_config()`` with their own arguments."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                                  "dtype": dtype_name(self._dtype)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds a layer from :meth:`get_config`'s output."""
        return cls(**config)

    # Whether the layer passes the mask of its input on to its output (Keras's
    # ``supports_masking``); a layer that does not drops the mask with a warning.
    supports_masking: bool = False

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the output (Keras's ``compute_mask``): a bool tensor ``(batch,
        timesteps)`` marking the steps later layers use, or None.

        The base version passes ``mask`` on when :attr:`supports_masking` is True and returns
        None otherwise; layers that make or change masks (``Masking``, ``Embedding(mask_zero=
        True)``, recurrent layers) override it. Masks travel with the tensors between layer
        calls (see :func:`get_keras_mask`).

        Args:
            inputs: the layer's input tensor (or list of them).
            mask: the input's mask (or list of masks), or None.
        Returns:
            A bool tensor, a list of them for several outputs, or None.
        """
        return mask if self.supports_masking else None

    # ---- calling --------------------------------------------------------------------------

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_symbolic(inputs):
            return self._symbolic_call(inputs, *args, **kwargs)
        inputs = self._convert_inputs(inputs)
        first = not self.built
        if first:
            self._maybe_build(_batch_shape(inputs))
        outer = _CONTEXT.training
        training = kwargs.get("training")
        if training is None:  # inherit the enclosing call's mode (Keras's propagation)
            training = outer
        if self._call_takes_training():
            if training is not None:
                kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        _CONTEXT.training = training
        if _CONTEXT.depth == 0:
            _CONTEXT.pass_id += 1  # an outermost call: a new forward pass (see add_loss)
        if _MASKS and kwargs.get("mask") is None and self._call_takes_mask():
            in_mask = _input_masks(inputs)  # Keras passes the inputs' masks to `call(mask=)`
            if in_mask is not None:
                kwargs["mask"] = in_mask
        _CONTEXT.depth += 1
        try:
            out = self.call(inputs, *args, **kwargs)
        except Exception as e:
            named = _name_error(e, self)
            if named is e:
                raise
            raise named from None
        finally:
            _CONTEXT.training = outer
            _CONTEXT.depth -= 1
        if _MASKS or type(self).compute_mask is not Layer.compute_mask:
            _propagate_masks(self, inputs, kwargs.get("mask"), out)
        if first and self._output_shape is None:  # known from now on (summary, output_shape)
            self._output_shape = _batch_shape(out) if isinstance(out, (Tensor, list, tuple)) else None
        return out

    def _convert_inputs(self, inputs: Any, index: int | None = None) -> Any:
        # numpy arrays (and lists of them, for several inputs) become ember tensors, as Keras
        # converts them. A model casts them to its input dtype (float32, or int64 when it
        # starts with an Embedding; per input for several inputs); a layer casts floating
        # arrays to its dtype (float64 -> float32) and keeps integers as int64.
        if isinstance(inputs, (np.ndarray, np.floating, np.integer)):
            a = np.ascontiguousarray(inputs)
            if a.dtype.kind not in "fiub":
                raise TypeError(f"{type(self).__name__} '{self.name}': expected a numeric array, "
                                f"got a numpy array of dtype {a.dtype}")
            target = self._model_input_dtype(index)
            if target is not None:
                return ember.from_numpy(a).to(target)
            if a.dtype.kind == "f":
                return ember.from_numpy(a).to(self._dtype)
            return ember.from_numpy(a.astype(np.int64) if a.dtype.kind != "b" else a)
        if isinstance(inputs, (list, tuple)) and any(isinstance(t, np.ndarray) for t in inputs):
            return type(inputs)(self._convert_inputs(t, i) for i, t in enumerate(inputs))
        return inputs

    def _model_input_dtype(self, index: int | None) -> Any:
        inputs = getattr(self, "_inputs", None)  # a functional model's keras.Input tensors
        if index is not None and isinstance(inputs, list) and index < len(inputs):
            return inputs[index].dtype
        getter = getattr(self, "_input_dtype", None)
        return getter() if getter is not None else None

    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """``ember.nn`` entry point: the same as calling the layer."""
        return self(inputs, *args, **kwargs)

    def _call_takes_mask(self) -> bool:
        cls = type(self)
        has = _has_mask_arg.get(cls)
        if has is None:
            has = "mask" in inspect.signature(cls.call).parameters
            _has_mask_arg[cls] = has
        return has

    def _call_takes_training(self) -> bool:
        cls = type(self)
        has = _has_training_arg.get(cls)
        if has is None:
            params = inspect.signature(cls.call).parameters
            has = "training" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
            )
            _has_training_arg[cls] = has
        return has

    def _maybe_build(self, input_shape: Any) -> None:
        if self.built:
            return
        if self._batch_input_shape is not None and not isinstance(input_shape, list):
            self._check_input_shape(input_shape)
        with no_grad():
            self.build(input_shape)
        self.built = True
        self._build_input_shape = input_shape
        if not self._trainable:
            self._set_requires_grad(False)

    def _check_input_shape(self, input_shape: Any) -> None:
        expected = self._batch_input_shape
        ok = len(expected) == len(input_shape) and all(
            e is None or g is None or e == g for e, g in zip(expected[1:], input_shape[1:])
        )
        if not ok:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected shape="
                f"{shape_str(expected)}, found shape={shape_str(input_shape)}"
            )

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        # What a built layer accepts, as Keras's InputSpec: (ndim or None, {axis: size});
        # None accepts any shape.
        return None

    def _check_input_spec(self, input_shape: tuple) -> None:
        """Checks a built layer's new input shape against :meth:`_input_spec`, as Keras does
        when a layer is called again in a functional graph.

        Raises:
            ValueError: the rank or a fixed axis size differs.
        """
        spec = self._input_spec()
        if spec is None:
            return
        ndim, axes = spec
        shape = tuple(input_shape)
        head = f"Input 0 of layer '{self.name}' is incompatible with the layer: "
        if ndim is not None and len(shape) != ndim:
            raise ValueError(f"{head}expected ndim={ndim}, found ndim={len(shape)}. Full shape "
                             f"received: {shape_str(shape)}")
        for axis, size in axes.items():
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {shape_str(shape)}")
            got = shape[axis]
            if got is not None and got != size:
                raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {shape_str(shape)}")

    def _run_on_zeros(self, input_shape: Any, dtype: Any) -> tuple[Any, Any]:
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dtypes = dtype if isinstance(dtype, list) else [dtype] * len(shapes)
        xs = []
        for s, dt in zip(shapes, dtypes):
            if any(d is None for d in s[1:]):
                raise ValueError(
                    f"layer '{self.name}' cannot infer its output shape from input shape "
                    f"{shape_str(s)} (a non-batch dimension is None); implement "
                    "compute_output_shape"
                )
            xs.append(ember.zeros(1, *[int(d) for d in s[1:]], dtype=dt))
        with no_grad():
            out = self(xs if isinstance(input_shape, list) else xs[0])
        if isinstance(out, (list, tuple)):
            return [(None,) + tuple(o.shape[1:]) for o in out], [o.dtype for o in out]
        return (None,) + tuple(out.shape[1:]), out.dtype

    def _output_spec(self, input_shape: Any, dtype: Any) -> tuple[Any, Any]:
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shape = self.compute_output_shape(input_shape)
            return shape, self._output_dtype(dtype)
        return self._run_on_zeros(input_shape, dtype)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return self._dtype

    def _symbolic_call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise TypeError(f"layer '{self.name}': extra positional arguments are not supported "
                            "in the functional API")
        kwargs.pop("training", None)
        in_shape = _batch_shape(inputs)
        dtypes = [t.dtype for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.dtype
        if self.built and not isinstance(in_shape, list):
            self._check_input_spec(in_shape)
        self._maybe_build(in_shape)
        out_shape, out_dtype = self._output_spec(in_shape, dtypes)
        node = _Node(self, inputs, kwargs, [])
        if isinstance(out_shape, list):
            outs = [KerasTensor(s, d, node, i, f"{self.name}/out{i}")
                    for i, (s, d) in enumerate(zip(out_shape, out_dtype))]
            node.outputs = outs
            self._inbound_nodes.append(node)
            self._output_shape = out_shape
            return outs
        out = KerasTensor(out_shape, out_dtype, node, 0, self.name)
        node.outputs = [out]
        self._inbound_nodes.append(node)
        self._output_shape = out_shape
        return out

    # ---- weights ------------------------------------------------------------------------------

    def add_weight(
        self,
        name: str,
        shape: Sequence[int] = (),
        initializer: Any = "glorot_uniform",
        trainable: bool = True,
        dtype: Any = None,
        regularizer: Any = None,
    ) -> Tensor:
        """Creates a weight, registers it (a Parameter if trainable, else a buffer) and returns it.

        Args:
            name: attribute name (``self.<name>`` gives the weight).
            shape: tuple of ints.
            initializer: name, Initializer or callable ``(shape, dtype) -> Tensor``.
            trainable: False for state updated outside gradients (e.g. moving averages).
            dtype: default the layer's dtype.
            regularizer: name, ``keras.regularizers.Regularizer`` or callable; its penalty on
                this weight joins :attr:`losses` (added to the loss by ``fit``/``evaluate``).
        """
        from .. import regularizers

        reg = regularizers.get(regularizer)
        if reg is not None:
            self.__dict__.setdefault("_weight_regularizers", {})[name] = reg
        init = initializers.get(initializer)
        dt = to_dtype(dtype) if dtype is not None else self._dtype
        with no_grad():
            value = init(tuple(int(s) for s in shape), dt)
            if not isinstance(value, Tensor):
                value = ember.tensor(np.asarray(value), dtype=dt)
            value = value.to(dt).contiguous()
        if trainable:
            self.register_parameter(name, Parameter(value))
        else:
            self.register_buffer(name, value.detach())
        self._weight_names.append(name)
        return getattr(self, name)

    def _sublayers(self) -> list[Layer]:
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def _collect(self, which: bool | None) -> list[Tensor]:
        # Layer by layer (a shared layer once): its own weights, then its sublayers'. Within a
        # layer, weights created trainable come first. A frozen layer's weights (and its
        # sublayers') count as non-trainable.
        seen: set[int] = set()
        out: list[Tensor] = []

        def visit(layer: Layer, frozen: bool) -> None:
            """Collects the weights of ``layer`` and its sublayers once each (shared layers counted once)."""
            if id(layer) in seen:
                return
            seen.add(id(layer))
            frozen = frozen or not layer._trainable
            created_tr = [getattr(layer, n) for n in layer._weight_names if n in layer._parameters]
            created_nt = [getattr(layer, n) for n in layer._weight_names
                          if n not in layer._parameters]
            if which is None:
                out.extend(created_tr + created_nt)
            elif which:
                if not frozen:
                    out.extend(created_tr)
            else:
                out.extend(created_tr + created_nt if frozen else created_nt)
            for sub in layer._sublayers():
                visit(sub, frozen)

        visit(self, False)
        return out

    def _regularized(self) -> list[tuple[Any, Tensor]]:
        # (regularizer, weight) for the trainable weights that have one, over the layer tree.
        out: list[tuple[Any, Tensor]] = []
        seen: set[int] = set()

        def visit(layer: Layer, frozen: bool) -> None:
            """Collects the weights of ``layer`` and its sublayers once each (shared layers counted once)."""
            if id(layer) in seen:
                return
            seen.add(id(layer))
            frozen = frozen or not layer._trainable
            if not frozen:
                for n, reg in layer.__dict__.get("_weight_regularizers", {}).items():
                    if n in layer._parameters:
                        out.append((reg, layer._parameters[n]))
            for sub in layer._sublayers():
                visit(sub, frozen)

        visit(self, False)
        return out

    def add_loss(self, loss: Any) -> None:
        """Adds a loss term (a 0-d tensor depending on the inputs, e.g. an activity penalty)
        from inside ``call``; ``fit`` and ``evaluate`` add the terms of each batch's forward
        pass to its loss, as Keras does. Terms belong to one forward pass: those of an earlier
        call are dropped when the layer adds a term in a new one.

        Raises:
            ValueError: ``loss`` is not a single number.
        """
        if not isinstance(loss, Tensor):
            loss = ember.tensor(float(loss), dtype=ember.float32)
        if loss.numel() != 1:
            raise ValueError(f"layer '{self.name}': add_loss expects a single number (0-d "
                             f"tensor), got a tensor of shape {tuple(loss.shape)}")
        d = self.__dict__
        pid = _CONTEXT.pass_id
        if d.get("_loss_pass") != pid:
            d["_call_losses"] = []
            d["_loss_pass"] = pid
        d["_call_losses"].append(loss.reshape(()))
        _LOSS_LAYERS.add(self)

    @property
    def losses(self) -> list[Tensor]:
        """The regularization penalties (0-d tensors) of the trainable weights of this layer
        and its sublayers, computed now from the current weights, then the terms added with
        :meth:`add_loss` during the last call of each layer."""
        out = [reg(w) for reg, w in self._regularized()]
        seen: set[int] = set()

        def visit(layer: Layer) -> None:
            """Adds the call losses of ``layer`` and its sublayers, each layer once."""
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.extend(layer.__dict__.get("_call_losses", ()))
            for sub in layer._sublayers():
                visit(sub)

        visit(self)
        return out

    @property
    def weights(self) -> list[Tensor]:
        """All weights, layer by layer (each layer: trainable then non-trainable), in Keras
        layout (a Dense kernel is ``(input_dim, units)``)."""
        return self._collect(None)

    @property
    def trainable_weights(self) -> list[Tensor]:
        """Weights updated by ``fit``."""
        return self._collect(True)

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        """Weights not updated by gradients (frozen layers, BatchNormalization statistics)."""
        return self._collect(False)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def trainable(self) -> bool:
        """Whether ``fit`` updates this layer's weights; False freezes them (and sublayers')."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Sets whether this layer and its sublayers train; frozen weights get no updates."""
        self._trainable = bool(value)
        for sub in self._sublayers():
            sub.trainable = value
        self._set_requires_grad(bool(value))

    def _set_requires_grad(self, value: bool) -> None:
        for p in self._parameters.values():
            if p is not None:
                p.requires_grad_(value)

    def get_weights(self) -> list[np.ndarray]:
        """The weights as numpy arrays (copies), in the order of :attr:`weights`."""
        return [np.array(w.detach().numpy()) for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the weights from numpy arrays in the order of :attr:`weights`.

        All shapes are checked before anything is written, so a mismatch leaves the layer
        unchanged.

        Raises:
            ValueError: wrong number of arrays or a shape mismatch.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"layer '{self.name}' expects {len(own)} weight arrays, but set_weights was "
                f"given {len(weights)}"
            )
        arrays = []
        for i, (w, v) in enumerate(zip(own, weights)):
            a = np.asarray(v.detach().numpy() if isinstance(v, Tensor) else v)
            if tuple(a.shape) != tuple(w.shape):
                raise ValueError(
                    f"layer '{self.name}' weight {i} has shape {shape_str(tuple(w.shape))}, but "
                    f"set_weights was given an array of shape {shape_str(tuple(a.shape))}"
                )
            arrays.append(a)
        with no_grad():
            for w, a in zip(own, arrays):
                # np.array keeps 0-d weights 0-d (ascontiguousarray makes them 1-d)
                w.copy_(ember.from_numpy(np.array(a, order="C")).to(w.dtype))

    def count_params(self) -> int:
        """Number of scalars in all weights.

        Raises:
            ValueError: the layer is not built yet.
        """
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: layer.build(input_shape)."
            )
        return int(sum(w.numel() for w in self.weights))

    # ---- shapes -----------------------------------------------------------------------------

    @property
    def input_shape(self) -> Any:
        """The input shape the layer was built with (batch dim None).

        Raises:
            AttributeError: the layer has not been built or called.
        """
        if self._build_input_shape is None:
            if self._batch_input_shape is not None:
                return self._batch_input_shape
            raise AttributeError(f"The layer '{self.name}' has never been called and thus has "
                                 "no defined input shape.")
        return self._build_input_shape

    @property
    def output_shape(self) -> Any:
        """The output shape (batch dim None), known once the layer is built.

        Raises:
            AttributeError: the layer is not built.
        """
        if self._output_shape is None:
            if not self.built:
                raise AttributeError(f"The layer '{self.name}' has never been called and thus "
                                     "has no defined output shape.")
            self._output_shape = self.compute_output_shape(self._build_input_shape)
        return self._output_shape

    @property
    def dtype(self) -> str:
        """The weights' dtype name (``'float32'``)."""
        return dtype_name(self._dtype)

    def extra_repr(self) -> str:
        """The layer name, shown in the module repr."""
        return f"name={self.name!r}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputLayer(Layer):
    """The entry of a model: holds the input shape and dtype; the identity when called.

    Args:
        shape: shape of one sample (without the batch dim).
        batch_size: fixed batch size or None.
        dtype: ``'float32'`` (default), or an integer dtype for Embedding inputs.
        name: layer name.
    """

    def __init__(self, shape: Sequence[int] | None = None, batch_size: int | None = None,
                 dtype: Any = None, name: str | None = None, batch_input_shape: Any = None,
                 **kwargs: Any) -> None:
        if shape is None and batch_input_shape is None:
            shape = kwargs.pop("input_shape", None)
        if shape is None and batch_input_shape is None:
            raise ValueError("InputLayer: give shape= (the shape of one sample)")
        if isinstance(shape, int):
            shape = (shape,)
        if batch_input_shape is None:
            batch_input_shape = (batch_size,) + tuple(shape)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_input_shape, **kwargs)
        self.built = True
        self._build_input_shape = self._batch_input_shape
        self._output_shape = self._batch_input_shape
        self.output = KerasTensor(self._batch_input_shape, self._dtype, None, 0, self.name)
        self.output._input_layer = self

    def call(self, inputs: Any) -> Any:
        """Returns ``inputs`` unchanged."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "name": self.name}


def Input(shape: Sequence[int] | None = None, batch_size: int | None = None,
          dtype: Any = None, name: str | None = None,
          batch_shape: Sequence[Any] | None = None) -> KerasTensor:
    """The symbolic input of a functional model: ``x = keras.Input(shape=(784,))``.

    Args:
        shape: shape of one sample, without the batch dim (e.g. ``(784,)``).
        batch_size: optional fixed batch size.
        dtype: ``'float32'`` (default) or an integer dtype (for Embedding).
        name: name of the input layer.
        batch_shape: the full shape with the batch dim, instead of ``shape``.
    Returns:
        A :class:`KerasTensor` of shape ``(batch_size, *shape)``.
    Raises:
        ValueError: neither ``shape`` nor ``batch_shape`` given.
    Example:
        >>> inputs = keras.Input(shape=(784,))
        >>> outputs = keras.layers.Dense(10, activation="softmax")(inputs)
        >>> model = keras.Model(inputs, outputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_input_shape=batch_shape)
    return layer.output
