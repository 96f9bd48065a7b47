"""Saving and loading Keras models: one safetensors file holding the weights, with the
architecture (JSON, ``model.get_config()``) and the compile settings in its metadata.

* ``model.save(path)`` / ``keras.models.load_model(path)``: architecture + weights (+ compile
  settings; optimizer state is not saved).
* ``model.save_weights(path)`` / ``model.load_weights(path)``: weights only.

Weights are stored in Keras layout under their path in the layer tree (``"0/kernel"`` for the
first layer of a Sequential). Files are written to a temporary name and moved into place;
loading checks every name and shape before writing anything, so a corrupt or mismatched file
raises ``ValueError`` and leaves the model unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from ..autograd import no_grad
from ..utils._atomic import atomic_write

__all__ = [
    "custom_object_scope",
    "deserialize_layer",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_layer",
]

_FORMAT = "ember.keras"
_VERSION = 1
_REGISTRY: dict[str, Any] = {}
_SCOPES: list[dict[str, Any]] = []


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Decorator registering a custom layer/model class or function for loading by name."""

    def deco(obj: Any) -> Any:
        """Registers ``obj`` under its name (and ``package>name``) for load_model."""
        key = name or obj.__name__
        _REGISTRY[key] = obj
        _REGISTRY[f"{package}>{key}"] = obj
        return obj

    return deco


def get_registered_object(name: str) -> Any:
    """A registered (or in-scope ``custom_objects``) object by name, else None."""
    return _custom_object(name)


def _custom_object(name: str) -> Any:
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    return _REGISTRY.get(name)


class custom_object_scope:
    """``with custom_object_scope({'MyLayer': MyLayer}): ...`` makes names loadable."""

    def __init__(self, custom_objects: dict[str, Any] | None) -> None:
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self) -> custom_object_scope:
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPES.remove(self.custom_objects)


def _builtin_classes() -> dict[str, type]:
    from . import layers, models

    out: dict[str, type] = {}
    for name in layers.__all__:
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, layers.Layer):
            out[name] = obj
    out.update(Sequential=models.Sequential, Functional=models.Functional, Model=models.Model)
    return out


def serialize_layer(layer: Any) -> dict[str, Any]:
    """``{"class_name", "config"}`` for a layer or model."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config: dict[str, Any]) -> Any:
    """Rebuilds a layer or model from :func:`serialize_layer`'s output.

    Raises:
        ValueError: an unknown class name (register it or pass ``custom_objects``).
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"not a layer config: {config!r:.200}")
    name = config["class_name"]
    cls = _custom_object(name) or _builtin_classes().get(name)
    if cls is None:
        raise ValueError(
            f"Unknown layer class {name!r}; pass it via custom_objects={{'{name}': {name}}} or "
            "decorate it with keras.saving.register_keras_serializable()"
        )
    from .models import Functional

    if cls is Functional or (isinstance(cls, type) and issubclass(cls, Functional)):
        return Functional.from_config(config["config"])
    return cls.from_config(dict(config.get("config", {})))


def _atomic_write(path: str, data: bytes, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write(path, data)


def _weights_blob(model: Any, meta: dict[str, str]) -> bytes:
    from safetensors.numpy import save as st_save

    if not model.built:
        raise ValueError(f"model '{model.name}' is not built yet (no weights); give an input "
                         "shape, call it on data, or fit it before saving")
    # np.array(order='C') keeps 0-d weights 0-d (ascontiguousarray would make them 1-d).
    arrays = {k: np.array(t.detach().numpy(), order="C") for k, t in model._weight_items()}
    meta = {"format": _FORMAT, "version": str(_VERSION), **meta}
    return st_save(arrays, metadata=meta)


def save_model(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Writes architecture, compile settings and weights to one safetensors file.

    Raises:
        ValueError: the model is not built, or ``filepath`` ends in ``.h5``/``.hdf5`` (the legacy
            HDF5 format, which ember does not write).
        NotImplementedError: a subclassed model without ``get_config`` (use ``save_weights``).
    """
    from .models import Functional, Model, Sequential

    if os.fspath(filepath).lower().endswith((".h5", ".hdf5")):
        raise ValueError(
            f"save: {os.fspath(filepath)!r} names the legacy HDF5 format, which ember.keras does "
            "not write; use the .keras extension (one safetensors file: architecture, compile "
            "settings and weights)"
        )

    if not isinstance(model, (Sequential, Functional)) and type(model).get_config is Model.get_config:
        raise NotImplementedError(
            f"save: model '{model.name}' is a subclassed Model without get_config(); implement "
            "get_config/from_config and register the class, or use save_weights()"
        )
    meta = {"config": json.dumps(serialize_layer(model))}
    if model._compile_config is not None:
        meta["compile_config"] = json.dumps(model._compile_config)
    _atomic_write(os.fspath(filepath), _weights_blob(model, meta), overwrite)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Writes the weights (Keras layout, keyed by layer path) to a safetensors file."""
    _atomic_write(os.fspath(filepath), _weights_blob(model, {}), overwrite)


def _read(filepath: Any, what: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors.numpy import load as st_load

    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what}: no such file {path!r}")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        arrays = st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        meta = json.loads(raw[8 : 8 + header_len]).get("__metadata__") or {}
    except Exception as e:
        raise ValueError(f"{what}: {path!r} is not a valid ember.keras file "
                         f"(corrupt or not safetensors: {e})") from None
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{what}: {path!r} is a safetensors file but was not written by "
                         "ember.keras (no 'format': 'ember.keras' metadata)")
    if int(meta.get("version", "0")) > _VERSION:
        raise ValueError(f"{what}: {path!r} uses format version {meta['version']}; this ember "
                         f"reads up to {_VERSION}")
    return arrays, meta


def _assign(model: Any, arrays: dict[str, np.ndarray], what: str, path: str) -> None:
    items = model._weight_items()
    expected = {k for k, _ in items}
    missing = sorted(expected - set(arrays))
    extra = sorted(set(arrays) - expected)
    if missing or extra:
        raise ValueError(
            f"{what}: {path!r} does not match model '{model.name}': missing weights {missing}, "
            f"unexpected weights {extra}; nothing was loaded"
        )
    for k, t in items:
        a = arrays[k]
        if tuple(a.shape) != tuple(t.shape):
            raise ValueError(
                f"{what}: weight {k!r} has shape {tuple(a.shape)} in {path!r} but "
                f"{tuple(t.shape)} in model '{model.name}'; nothing was loaded"
            )
    with no_grad():
        for k, t in items:
            t.copy_(ember.from_numpy(np.array(arrays[k], order="C")).to(t.dtype))


def load_weights(model: Any, filepath: Any) -> None:
    """Loads weights written by ``save_weights`` or ``save`` into a built model.

    Raises:
        FileNotFoundError: no such file.
        ValueError: corrupt file, not an ember.keras file, the model is not built, or weight
            names/shapes that do not match (the model is left unchanged).
    """
    path = os.fspath(filepath)
    arrays, _ = _read(path, "load_weights")
    if not model.built:
        raise ValueError(f"load_weights: model '{model.name}' is not built; give an input shape "
                         "or call it on data first")
    _assign(model, arrays, "load_weights", path)


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None,
               compile: bool = True) -> Any:
    """Rebuilds a model saved by ``model.save``: architecture, weights and (if it was
    compiled, and ``compile`` is True) the compile settings.

    Raises:
        FileNotFoundError: no such file.
        ValueError: corrupt file, a weights-only file, or an unknown layer class.
    """
    path = os.fspath(filepath)
    arrays, meta = _read(path, "load_model")
    if "config" not in meta:
        raise ValueError(f"load_model: {path!r} holds weights only (written by save_weights); "
                         "build the model and call model.load_weights() instead")
    with custom_object_scope(custom_objects):
        try:
            config = json.loads(meta["config"])
        except json.JSONDecodeError as e:
            raise ValueError(f"load_model: {path!r} has a corrupt architecture ({e})") from None
        model = deserialize_layer(config)
    _assign(model, arrays, "load_model", path)
    if compile and meta.get("compile_config"):
        from . import losses, optimizers

        cc = json.loads(meta["compile_config"])
        loss = None
        if cc.get("loss"):
            loss_cls = losses._CLASSES.get(cc["loss"]["class_name"])
            if loss_cls is not None:
                loss = loss_cls(**cc["loss"]["config"])
        if loss is not None:
            with custom_object_scope(custom_objects):
                metrics = _saved_metrics(cc.get("metrics") or [], path)
                weighted = _saved_metrics(cc.get("weighted_metrics") or [], path)
            model.compile(optimizer=optimizers.get(cc["optimizer"]), loss=loss, metrics=metrics,
                          weighted_metrics=weighted)
    return model


def _saved_metrics(saved: list[Any], path: str) -> list[Any]:
    # Rebuilds the compiled metrics; one that cannot be rebuilt (a custom function not given
    # in custom_objects) is left out with a warning rather than failing the load.
    import warnings

    from . import metrics as metrics_mod

    out: list[Any] = []
    for m in saved:
        try:
            if isinstance(m, dict):
                cls = getattr(metrics_mod, str(m.get("class_name")), None)
                if not (isinstance(cls, type) and issubclass(cls, metrics_mod.Metric)):
                    raise ValueError(
                        f"unknown metric class {m.get('class_name')!r}")
                out.append(cls(**m.get("config", {})))
            elif isinstance(m, str) and _custom_object(m) is not None:
                out.append(metrics_mod.get(_custom_object(m)))
            else:
                if m not in metrics_mod._ACCURACY_NAMES:
                    metrics_mod.get(m)
                out.append(m)
        except (ValueError, TypeError) as e:
            warnings.warn(f"load_model: {path!r}: the compiled metric {m!r} cannot be rebuilt "
                          f"({e}); pass it in custom_objects to keep it", stacklevel=3)
    return out


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """A new (freshly initialized) model from ``model.to_json()``."""
    with custom_object_scope(custom_objects):
        return deserialize_layer(json.loads(json_string))
