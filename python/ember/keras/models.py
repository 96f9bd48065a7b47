"""Keras models: :class:`Model` (subclass it with ``call``, or ``Model(inputs, outputs)`` for
the functional API) and :class:`Sequential`. Training lives in ``_trainer.py``, saving in
``saving.py``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import ember

from ..autograd import no_grad
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from .layers.base import InputLayer, KerasTensor, Layer, _Node, shape_str

__all__ = ["Functional", "Model", "Sequential", "clone_model"]


def clone_model(model: Any, custom_objects: dict[str, Any] | None = None) -> Model:
    """A new model with the same architecture (and names) as ``model`` and freshly initialized
    weights, as Keras's ``clone_model``; copy the weights with
    ``clone.set_weights(model.get_weights())``. The clone is not compiled.

    Raises:
        NotImplementedError: a subclassed model without ``get_config``.
        ValueError: a layer class that cannot be rebuilt from its config.
    """
    from .saving import custom_object_scope, deserialize_layer, serialize_layer

    if not isinstance(model, (Sequential, Functional)) and type(model).get_config is Model.get_config:
        raise NotImplementedError(
            f"clone_model: model '{model.name}' is a subclassed Model without get_config(); "
            "create a new instance of its class instead")
    with custom_object_scope(custom_objects):
        return deserialize_layer(serialize_layer(model))

_COMPILE_KWARGS_IGNORED = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss",
                           "loss_weights")


class Model(Layer):
    """A model: layers plus ``compile``/``fit``/``evaluate``/``predict``/``summary``/``save``.

    Three ways to make one, as in Keras:

    * ``keras.Sequential([...])`` (see :class:`Sequential`);
    * functional: ``inputs = keras.Input(shape=(784,))``, ``outputs = Dense(10)(inputs)``,
      ``keras.Model(inputs, outputs)``;
    * subclassing: define ``__init__`` (create layers as attributes after
      ``super().__init__()``) and ``call(self, inputs, training=None)``.

    Attributes:
        optimizer: the Keras optimizer after ``compile``.
        loss: the Keras loss after ``compile``.
        stop_training (bool): set by a callback to end ``fit`` after the current epoch.
        history: the :class:`~ember.keras.callbacks.History` of the last ``fit``.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            raise TypeError("Model(...) with positional arguments builds a functional model: "
                            "Model(inputs, outputs)")
        super().__init__(**kwargs)
        self._init_model_state()

    def _init_model_state(self) -> None:
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.loss: Any = None
        self._metric_ids: list[Any] = []
        self.compiled_metrics: list[metrics_mod.Metric] = []
        self.stop_training = False
        self.history: Any = None
        self._compile_config: dict[str, Any] | None = None

    # ---- structure ------------------------------------------------------------------------

    @property
    def layers(self) -> list[Layer]:
        """The model's layers, in order."""
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index.

        Raises:
            ValueError: no such layer, or neither/both arguments given.
        """
        if (name is None) == (index is None):
            raise ValueError("get_layer: give exactly one of name or index")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model with "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: "
                         f"{[l.name for l in layers]}")

    def _maybe_build(self, input_shape: Any) -> None:
        # Sublayers build themselves on the first real call.
        if not self.built:
            self.built = True
            self._build_input_shape = input_shape

    def build(self, input_shape: Any) -> None:
        """Builds the model for ``input_shape`` (batch dim first) by running it once on zeros.

        Raises:
            ValueError: a non-batch dimension is None.
        """
        if isinstance(input_shape, (list, tuple)) and input_shape and not isinstance(
            input_shape[0], (list, tuple)
        ):
            input_shape = tuple(input_shape)
        self.built = True
        self._build_input_shape = input_shape
        self._output_shape = self._run_on_zeros(input_shape, self._input_dtype())[0]

    def _input_dtype(self) -> Any:
        return ember.float32

    def _output_layer(self) -> Layer | None:
        return None

    def _final_activation(self) -> str | None:
        layer = self._output_layer()
        if layer is None:
            return None
        if isinstance(layer, Model):
            return layer._final_activation()
        return getattr(layer, "_final_activation", None)

    def _fit_forward_plan(self, fuse: bool) -> Callable[[Any, bool], Any]:
        """A function ``(x, training) -> output`` used by fit; with ``fuse`` it returns the
        final layer's logits (pre-softmax/sigmoid) instead of its probabilities."""
        if fuse:
            raise NotImplementedError
        return lambda x, training: self(x, training=training)

    def _call_logits(self, inputs: Any, training: bool | None = None) -> Any:
        # A nested model ending the outer one: its output before the final softmax/sigmoid
        # (only called when `_final_activation()` names one). `training` defaults to the
        # enclosing call's mode.
        from .layers.base import _CONTEXT, _MASKS, _input_masks

        if training is None:
            training = _CONTEXT.training
        if _MASKS and hasattr(self, "_masked_forward_plan") and _input_masks(inputs) is not None:
            # A masked input (from the enclosing model's layers): run the layers through
            # their __call__ so the mask reaches them, as a plain call of this model would.
            return self._masked_forward_plan(True)(inputs, bool(training))
        return self._fit_forward_plan(True)(inputs, bool(training))

    # ---- compile / fit / evaluate / predict -----------------------------------------------

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                weighted_metrics: Any = None, **kwargs: Any) -> None:
        """Configures training.

        Args:
            optimizer: name (``'sgd'``, ``'adam'``, ``'adamw'``, ``'rmsprop'``, ``'adagrad'``,
                ``'adamax'``, ``'nadam'``, ``'adadelta'``) or a ``keras.optimizers`` instance.
                Default ``'rmsprop'`` (Keras's).
            loss: name (``'mse'``, ``'mae'``, ``'binary_crossentropy'``,
                ``'categorical_crossentropy'``, ``'sparse_categorical_crossentropy'``,
                ``'huber'``, ``'hinge'``, ``'kld'``, ``'binary_focal_crossentropy'``, ... see
                ``keras.losses.get``), a ``keras.losses.Loss`` or a callable ``(y_true,
                y_pred) -> Tensor``.
            metrics: list of names (``'accuracy'``, ``'sparse_categorical_accuracy'``,
                ``'mae'``, ``'mse'``, ``'binary_crossentropy'``, ``'precision'``, ``'recall'``,
                ``'auc'``, ``'f1_score'``, ``'top_k_categorical_accuracy'``, ...),
                ``keras.metrics.Metric`` objects or classes, or functions ``(y_true, y_pred) ->
                per-sample values``.
                They ignore ``sample_weight``/``class_weight`` (Keras's rule).
            weighted_metrics: metrics as in ``metrics``, weighted by ``sample_weight`` or
                ``class_weight``. Each is logged under its own name, or as ``weighted_<name>``
                when ``metrics`` already holds that name.
        Raises:
            ValueError: an unknown optimizer, loss or metric name.
            TypeError: an unknown keyword argument.
        """
        unknown = [k for k in kwargs if k not in _COMPILE_KWARGS_IGNORED]
        if unknown:
            raise TypeError(f"compile: unexpected keyword argument(s) {unknown}")
        self.optimizer = optimizers_mod.get(optimizer)
        self.loss = losses_mod.get(loss) if loss is not None else None
        metrics = _metric_list(metrics, "metrics")
        weighted = _metric_list(weighted_metrics, "weighted_metrics")
        self._metric_ids = metrics
        self._weighted_metric_ids = weighted
        self.compiled_metrics = []
        self._compile_config = {
            "optimizer": {"class_name": type(self.optimizer).__name__,
                          "config": self.optimizer.get_config()},
            "loss": {"class_name": type(self.loss).__name__, "config": self.loss.get_config()}
            if self.loss is not None and not isinstance(self.loss, losses_mod._FunctionLoss)
            else None,
            "metrics": [_metric_config(m) for m in metrics],
            "weighted_metrics": [_metric_config(m) for m in weighted],
        }

    def _resolve_metrics(self, output_units: int | None, y_true_ndim: int | None = None,
                         y_pred_ndim: int | None = None) -> list[metrics_mod.Metric]:
        # Metrics then weighted metrics; each gets `_weighted` and its log name `_log_name`
        # (Keras: a repeated name takes `_1`, `_2`; a weighted one first tries `weighted_`).
        weighted_ids = getattr(self, "_weighted_metric_ids", [])
        if not self.compiled_metrics and (self._metric_ids or weighted_ids):
            used: dict[str, int] = {}
            out = []
            for ids, weighted in ((self._metric_ids, False), (weighted_ids, True)):
                for mid in ids:
                    m = metrics_mod.get(mid, self.loss, output_units, y_true_ndim, y_pred_ndim)
                    name = m.name
                    if weighted and name in used:
                        name = f"weighted_{m.name}"
                    if name in used:
                        used[name] += 1
                        name = f"{name}_{used[name] - 1}"
                    used.setdefault(name, 1)
                    m._weighted, m._log_name = weighted, name
                    out.append(m)
            self.compiled_metrics = out
        return self.compiled_metrics

    @property
    def metrics_names(self) -> list[str]:
        """``['loss', <metric names>]`` (weighted metrics last, under their log names once
        resolved by ``fit``/``evaluate``)."""
        if self.compiled_metrics:
            return ["loss"] + [m._log_name for m in self.compiled_metrics]
        return ["loss"] + [m.name if isinstance(m, metrics_mod.Metric) else m
                           for m in self._metric_ids + getattr(self, "_weighted_metric_ids", [])]

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, steps_per_epoch: int | None = None, **kwargs: Any) -> Any:
        """Trains the model for ``epochs`` epochs; see :func:`ember.keras._trainer.fit`."""
        from . import _trainer

        return _trainer.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                            validation_data, shuffle, initial_epoch, steps_per_epoch, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Sequence[Any] | None = None, return_dict: bool = False,
                 **kwargs: Any) -> Any:
        """Loss and metrics on ``(x, y)``; see :func:`ember.keras._trainer.evaluate`."""
        from . import _trainer

        return _trainer.evaluate(self, x, y, batch_size, verbose, sample_weight, steps, callbacks,
                                 return_dict, **kwargs)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Sequence[Any] | None = None,
                **kwargs: Any) -> Any:
        """Model outputs for ``x`` as a numpy array (a list of them for several outputs); see
        :func:`ember.keras._trainer.predict`."""
        from . import _trainer

        return _trainer.predict(self, x, batch_size, verbose, steps, callbacks, **kwargs)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False) -> Any:
        """One gradient step on one batch; returns the loss (and metrics) of that batch. See
        :func:`ember.keras._trainer.train_on_batch`."""
        from . import _trainer

        return _trainer.train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """Loss (and metrics) of one batch, without training; ``sample_weight`` as in ``fit``."""
        from . import _trainer

        n = _trainer._num_samples(self, x)
        return self.evaluate(x, y, batch_size=max(1, n), verbose=0, sample_weight=sample_weight,
                             return_dict=return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch as a numpy array (a list of them for several outputs)."""
        from . import _trainer

        return self.predict(x, batch_size=max(1, _trainer._num_samples(self, x)), verbose=0)

    # ---- summary -------------------------------------------------------------------------------

    def summary(self, line_length: int = 65, positions: Sequence[float] | None = None,
                print_fn: Callable[[str], Any] | None = None) -> None:
        """Prints the layer table: name (type), output shape, parameter count, then totals.

        Args:
            line_length: total width (default 65).
            positions: relative (or absolute) right edges of the columns.
            print_fn: called with the whole text (default ``print``).
        Raises:
            ValueError: the model is not built (no input shape given and never called).
        """
        from .utils import _summary_text

        text = _summary_text(self, line_length, positions)
        (print_fn or print)(text)

    # ---- weights and saving --------------------------------------------------------------------

    def _weight_items(self) -> list[tuple[str, Any]]:
        """``(path, tensor)`` for every weight in Keras layout; paths follow the layer tree."""
        out: list[tuple[str, Any]] = []
        seen: set[int] = set()

        def visit(layer: Layer, prefix: str) -> None:
            """Walks ``layer`` and its sublayers once each, naming weights by their path in the layer tree."""
            if id(layer) in seen:
                return
            seen.add(id(layer))
            for n in layer._weight_names:
                out.append((f"{prefix}{n}", getattr(layer, n)))
            for key, sub in layer._modules.items():
                if isinstance(sub, Layer):
                    visit(sub, f"{prefix}{key}/")

        visit(self, "")
        return out

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves architecture (JSON) and weights (safetensors) in one file; see
        :func:`ember.keras.saving.save_model`."""
        from .saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Saves the weights to a safetensors file; see :func:`ember.keras.saving.save_weights`."""
        from .saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, **kwargs: Any) -> None:
        """Loads weights saved by :meth:`save_weights` or :meth:`save`; the model is unchanged
        if the file is corrupt or does not match. See :func:`ember.keras.saving.load_weights`."""
        from .saving import load_weights

        load_weights(self, filepath)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (``keras.models.model_from_json`` reads it)."""
        from .saving import serialize_layer

        return json.dumps(serialize_layer(self), **kwargs)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        if type(self).get_config is Model.get_config and not isinstance(self, (Sequential, Functional)):
            return {"name": self.name, "trainable": self.trainable}
        return super().get_config()


def _metric_list(metrics: Any, what: str) -> list[Any]:
    # compile's `metrics`/`weighted_metrics` as a list; names are checked now ('accuracy' is
    # resolved at fit time from the shapes), classes and functions made into metrics.
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_mod.Metric)) or (
            callable(metrics) and not isinstance(metrics, (list, tuple))):
        metrics = [metrics]
    if isinstance(metrics, dict):
        raise ValueError(f"compile: {what} must be a list (dict metrics for multi-output "
                         "models are not supported)")
    metrics = list(metrics)
    for i, m in enumerate(metrics):
        if isinstance(m, str):
            if m not in metrics_mod._ACCURACY_NAMES:
                metrics_mod.get(m)
        elif not isinstance(m, metrics_mod.Metric):
            metrics[i] = metrics_mod.get(m)
    return metrics


def _metric_config(m: Any) -> Any:
    """A compiled metric as saved by ``model.save``: its name, or ``{"class_name", "config"}``
    for a built-in Metric object; a custom function is saved by its ``__name__`` (loading
    needs it in ``custom_objects``)."""
    if isinstance(m, str):
        return m
    cls = type(m).__name__
    if getattr(metrics_mod, cls, None) is type(m) and type(m) is not metrics_mod.MeanMetricWrapper:
        return {"class_name": cls, "config": m.get_config()}
    if isinstance(m, metrics_mod.MeanMetricWrapper):
        return getattr(m._fn, "__name__", m.name)
    return m.name


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(10, activation='relu',
    input_shape=(784,)), Dense(10, activation='softmax')])``.

    The model is built as soon as the input shape is known: from ``input_shape=`` on the
    first layer, a leading ``keras.Input``/``InputLayer``, or the first call / ``fit``.

    Args:
        layers: list of layers (optional; see :meth:`add`).
        name: model name (default ``sequential``, ``sequential_1``, ...).
    Raises:
        TypeError: something that is not a Keras layer.
    """

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None,
                 trainable: bool = True) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        self._init_model_state()
        self._layers_list: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The layers (without the input layer)."""
        return list(self._layers_list)

    def add(self, layer: Any) -> None:
        """Appends a layer (a ``keras.Input(...)`` tensor or ``InputLayer`` sets the input shape).

        Raises:
            TypeError: not a Keras layer.
            ValueError: a second input layer, or a layer whose input shape does not fit.
        """
        if isinstance(layer, KerasTensor) and getattr(layer, "_input_layer", None) is not None:
            layer = layer._input_layer
        if isinstance(layer, InputLayer):
            if self._layers_list or self._input_layer is not None:
                raise ValueError("Sequential: an Input/InputLayer can only be the first layer")
            self._input_layer = layer
            self._build_from(layer._batch_input_shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add: expected a keras layer (e.g. keras.layers.Dense), got "
                f"{type(layer).__name__}"
            )
        self.add_module(str(len(self._layers_list)), layer)
        self._layers_list.append(layer)
        if len(self._layers_list) == 1 and layer._batch_input_shape is not None:
            self._build_from(layer._batch_input_shape)
        elif self.built and self._build_input_shape is not None:
            prev = self._layers_list[-2] if len(self._layers_list) > 1 else None
            shape = prev._output_shape if prev is not None else self._build_input_shape
            # the previous layer's output dtype (float32 after an Embedding of int64 inputs)
            dtype = prev.__dict__.get("_spec_dtype") if prev is not None else None
            self._build_layers([layer], shape, dtype)

    def pop(self) -> Layer:
        """Removes and returns the last layer.

        Raises:
            IndexError: no layers.
        """
        if not self._layers_list:
            raise IndexError("Sequential.pop: there are no layers to remove")
        layer = self._layers_list.pop()
        del self._modules[str(len(self._layers_list))]
        self._output_shape = self._layers_list[-1]._output_shape if self._layers_list else None
        return layer

    def _build_from(self, batch_input_shape: Any) -> None:
        shape = tuple(batch_input_shape)
        self.built = True
        self._build_input_shape = shape
        self._build_layers(self._layers_list, shape)

    def _build_layers(self, layers: list[Layer], shape: Any, dtype: Any = None) -> None:
        if dtype is None:
            dtype = self._input_dtype()
        for layer in layers:
            layer._maybe_build(shape)
            shape, dtype = layer._output_spec(shape, dtype)
            layer._output_shape = shape
            layer.__dict__["_spec_dtype"] = dtype
        self._output_shape = shape

    def build(self, input_shape: Any = None) -> None:
        """Builds every layer for ``input_shape`` (batch dim first).

        Raises:
            ValueError: no input shape given or known.
        """
        if input_shape is None:
            if self._build_input_shape is None:
                raise ValueError("Sequential.build: give input_shape (e.g. (None, 784))")
            input_shape = self._build_input_shape
        self._build_from(input_shape)

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self._build_from(input_shape)

    def _input_dtype(self) -> Any:
        if self._input_layer is not None:
            return self._input_layer._dtype
        from .layers.core import Embedding

        if self._layers_list and isinstance(self._layers_list[0], Embedding):
            return ember.int64
        if self._layers_list and self._layers_list[0]._dtype == ember.float64:
            return ember.float64  # float64 layers take float64 inputs
        return ember.float32

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Applies the layers in order (runs of spatial layers channels-first, converted once;
        see ``keras.layers.convolutional``)."""
        from .layers.convolutional import run_chain

        return run_chain(self._layers_list, inputs, training)

    def _output_layer(self) -> Layer | None:
        return self._layers_list[-1] if self._layers_list else None

    def _fit_forward_plan(self, fuse: bool) -> Callable[[Any, bool], Any]:
        # Calls layers' `call` directly (the model is built), with `training` only where taken.
        # A model that may make Keras masks (Masking, Embedding(mask_zero=True), a nested model
        # holding one, a user layer with its own compute_mask) runs each layer through its
        # __call__ instead, so masks reach the next layers as in predict (see _may_make_masks).
        from .layers.base import _may_make_masks

        if any(_may_make_masks(layer) for layer in self._layers_list):
            return self._masked_forward_plan(fuse)
        from .layers.convolutional import chain_plan

        plan = chain_plan(self._layers_list, fuse)
        leaves = all(not layer._sublayers() for layer in self._layers_list)
        if leaves and all(not t for _, t in plan) and len(plan) == 2:
            f0, f1 = plan[0][0], plan[1][0]
            return lambda x, training: f1(f0(x))
        from .layers.base import _CONTEXT

        def forward(x: Any, training: bool) -> Any:
            # Layers' `call` run directly, so set the mode nested layers inherit.
            """Runs the planned layer calls on ``x`` with ``training`` set for nested layers."""
            outer = _CONTEXT.training
            _CONTEXT.training = training
            try:
                for fn, takes in plan:
                    x = fn(x, training=training) if takes else fn(x)
            finally:
                _CONTEXT.training = outer
            return x

        return forward

    def _masked_forward_plan(self, fuse: bool) -> Callable[[Any, bool], Any]:
        # A model that may make Keras masks: every layer runs through its __call__, which
        # passes the masks on (see Layer.compute_mask); a fused last layer's logits get the
        # mask its full output would have, for the loss and metrics.
        from .layers.base import _CONTEXT, _set_fused_mask

        layers = list(self._layers_list)

        def forward(x: Any, training: bool) -> Any:
            """Runs the layers on ``x`` one call at a time, masks passed along."""
            outer = _CONTEXT.training
            _CONTEXT.training = training
            try:
                for i, layer in enumerate(layers):
                    if fuse and i == len(layers) - 1:
                        inp = x
                        x = (layer._call_logits(x, training=training)
                             if hasattr(layer, "_fit_forward_plan") else layer._call_logits(x))
                        _set_fused_mask(layer, inp, x)
                    else:
                        x = layer(x, training=training)
            finally:
                _CONTEXT.training = outer
            return x

        return forward

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        from .saving import serialize_layer

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers += [serialize_layer(l) for l in self._layers_list]
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._build_input_shape is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """Rebuilds the object from :meth:`get_config`'s output."""
        from .saving import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for lc in config.get("layers", []):
            model.add(deserialize_layer(lc))
        if not model.built and config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model


class Functional(Model):
    """A model defined by a graph of layer calls: ``Model(inputs, outputs)`` (made through
    :class:`Model`). Inputs and outputs are :class:`KerasTensor`\\ s (or lists of them).

    Raises:
        ValueError: an output does not depend on the given inputs, or inputs are not
            ``keras.Input`` tensors.
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        self._init_model_state()
        self._nested_inputs = isinstance(inputs, (list, tuple))
        self._nested_outputs = isinstance(outputs, (list, tuple))
        self._inputs = list(inputs) if self._nested_inputs else [inputs]
        self._outputs = list(outputs) if self._nested_outputs else [outputs]
        for t in self._inputs:
            if not isinstance(t, KerasTensor) or getattr(t, "_input_layer", None) is None:
                raise ValueError(f"Model: inputs must be keras.Input(...) tensors, got {t!r}")
        for t in self._outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model: outputs must be tensors made by calling layers on "
                                 f"keras.Input tensors, got {t!r}")
        self._nodes = self._topological_nodes()
        layers: list[Layer] = [t._input_layer for t in self._inputs]
        for node in self._nodes:
            if all(node.layer is not l for l in layers):
                layers.append(node.layer)
        self._layers_list = layers
        for i, layer in enumerate(layers):
            self.add_module(str(i), layer)
        self.built = True
        shapes = [t.shape for t in self._inputs]
        self._build_input_shape = shapes if self._nested_inputs else shapes[0]
        out_shapes = [t.shape for t in self._outputs]
        self._output_shape = out_shapes if self._nested_outputs else out_shapes[0]

    def _topological_nodes(self) -> list[_Node]:
        order: list[_Node] = []
        state: dict[int, int] = {}
        input_ids = {id(t) for t in self._inputs}

        def visit(t: KerasTensor) -> None:
            """Visits the producers of ``t`` depth first, so nodes come out in execution order."""
            if id(t) in input_ids:
                return
            node = t._node
            if node is None:
                raise ValueError(
                    f"Model: output depends on {t!r}, which is not among the model's inputs"
                )
            if state.get(id(node)) == 2:
                return
            state[id(node)] = 1
            for src in node.flat_inputs:
                visit(src)
            state[id(node)] = 2
            order.append(node)

        for t in self._outputs:
            visit(t)
        return order

    @property
    def layers(self) -> list[Layer]:
        """All layers, input layers first, in the order they run."""
        return list(self._layers_list)

    @property
    def inputs(self) -> list[KerasTensor]:
        """The input KerasTensors."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The output KerasTensors."""
        return list(self._outputs)

    def _input_dtype(self) -> Any:
        return self._inputs[0].dtype

    def _run(self, inputs: Any, training: bool | None, fuse: bool) -> Any:
        xs = list(inputs) if self._nested_inputs else [inputs]
        if len(xs) != len(self._inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self._inputs)} inputs, got {len(xs)}")
        # Runs of spatial layers work channels-first, converted once (keras.layers.convolutional).
        from .layers.convolutional import LayoutValues, run_node

        values = LayoutValues()
        for k, v in zip(self._inputs, xs):
            values.put(id(k), v)
        last = self._nodes[-1] if self._nodes else None
        for node in self._nodes:
            run_node(values, node, training, fuse and node is last)
        result = [values.last(id(t)) for t in self._outputs]
        return result if self._nested_outputs else result[0]

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Runs the layer graph on ``inputs`` (a tensor, or a list for several inputs)."""
        return self._run(inputs, training, False)

    def _output_layer(self) -> Layer | None:
        if self._nested_outputs or not self._nodes or self._outputs[0]._node is not self._nodes[-1]:
            return None
        return self._nodes[-1].layer

    def _fit_forward_plan(self, fuse: bool) -> Callable[[Any, bool], Any]:
        return lambda x, training: self._run(x, training, fuse)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        from .saving import serialize_layer

        index = {id(l): i for i, l in enumerate(self._layers_list)}
        tensor_ref: dict[int, list] = {}
        for i, t in enumerate(self._inputs):
            tensor_ref[id(t)] = ["input", index[id(t._input_layer)]]
        nodes = []
        for ni, node in enumerate(self._nodes):
            for oi, kt in enumerate(node.outputs):
                tensor_ref[id(kt)] = ["node", ni, oi]
            args = node.inputs
            refs = ([tensor_ref[id(t)] for t in args] if isinstance(args, (list, tuple))
                    else tensor_ref[id(args)])
            nodes.append({"layer": index[id(node.layer)], "inputs": refs,
                          "nested": isinstance(args, (list, tuple)), "kwargs": node.kwargs})
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [serialize_layer(l) for l in self._layers_list],
            "nodes": nodes,
            "inputs": [tensor_ref[id(t)] for t in self._inputs],
            "outputs": [tensor_ref[id(t)] for t in self._outputs],
            "nested_inputs": self._nested_inputs,
            "nested_outputs": self._nested_outputs,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Functional:
        """Rebuilds the object from :meth:`get_config`'s output."""
        from .saving import deserialize_layer

        layers = [deserialize_layer(lc) for lc in config["layers"]]
        tensors: dict[tuple, KerasTensor] = {}
        for ref in config["inputs"]:
            layer = layers[ref[1]]
            if not isinstance(layer, InputLayer):
                raise ValueError(
                    "load_model: corrupt functional config (input is not an InputLayer)")
            tensors[("input", ref[1])] = layer.output

        def get(ref: list) -> KerasTensor:
            """The symbolic tensor a saved config refers to; ValueError for an unknown reference."""
            key = tuple(ref)
            if key not in tensors:
                raise ValueError(f"load_model: corrupt functional config (unknown tensor {ref})")
            return tensors[key]

        for ni, nc in enumerate(config["nodes"]):
            layer = layers[nc["layer"]]
            args = [get(r) for r in nc["inputs"]] if nc.get("nested") else get(nc["inputs"])
            out = layer(args, **nc.get("kwargs", {}))
            outs = out if isinstance(out, (list, tuple)) else [out]
            for oi, kt in enumerate(outs):
                tensors[("node", ni, oi)] = kt
        ins = [get(r) for r in config["inputs"]]
        outs = [get(r) for r in config["outputs"]]
        return cls(ins if config.get("nested_inputs") else ins[0],
                   outs if config.get("nested_outputs") else outs[0],
                   name=config.get("name"), trainable=config.get("trainable", True))


del no_grad, shape_str
