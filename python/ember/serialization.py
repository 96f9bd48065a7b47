"""``ember.save`` / ``ember.load``: tensors and nested containers of them, in safetensors files.

Tensors are stored as safetensors entries; the container structure (dicts with any
JSON-representable keys, lists, tuples, numbers, strings, booleans, None) is stored as JSON in
the file's metadata under ``"ember_structure"``, so key order and key types (e.g. the integer
keys of an optimizer's state dict) survive a round trip. Any safetensors file written by other
tools loads as a ``dict[str, Tensor]``.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

__all__ = ["load", "save"]

_FORMAT_VERSION = 1


def _encode(obj: Any, tensors: dict, path: str) -> Any:
    from ._C import Tensor

    if isinstance(obj, Tensor):
        key = path or "tensor"
        if key in tensors:
            # Distinct paths can flatten to one name ({"a.b": t} and {"a": {"b": u}}, or the keys
            # 1 and "1"): later tensors get a numbered name, so none is overwritten.
            n = 1
            while f"{key}#{n}" in tensors:
                n += 1
            key = f"{key}#{n}"
        tensors[key] = np.asarray(obj.detach().numpy(), order="C")  # keeps 0-d tensors 0-d
        return {"__tensor__": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"save: dict keys must be str, int, float, bool or None, got "
                                f"{type(k).__name__} at {path or 'top level'}")
            items.append([k, _encode(v, tensors, f"{path}.{k}" if path else str(k))])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, tensors, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
        return {"__tuple__": enc} if isinstance(obj, tuple) else enc
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} (at "
                    f"{path or 'top level'}); expected tensors, dicts, lists, tuples, numbers, "
                    "strings or None")


def _decode(obj: Any, tensors: dict) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__dict__" in obj:
            return {k: _decode(v, tensors) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    return obj


def save(obj: Any, f: str | os.PathLike) -> None:
    """Saves a tensor, a state dict, or a nested structure of them to ``f``.

    The file is written to a temporary name in the same folder and moved into place, so an
    interrupted save never leaves a half-written file and an existing file stays intact.

    Args:
        obj: a Tensor, or dicts/lists/tuples of tensors, numbers, strings, booleans and None
            (e.g. ``model.state_dict()`` or ``optimizer.state_dict()``).
        f: destination path.
    Raises:
        TypeError: ``obj`` holds something that cannot be stored.
    Example:
        >>> ember.save(model.state_dict(), "model.safetensors")
    """
    from safetensors.numpy import save as st_save

    tensors: dict[str, np.ndarray] = {}
    structure = _encode(obj, tensors, "")
    meta = {"ember_format": str(_FORMAT_VERSION), "ember_structure": json.dumps(structure)}
    data = st_save(tensors, metadata=meta)
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ember-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(f: str | os.PathLike) -> Any:
    """Loads what :func:`save` wrote (or any safetensors file, as ``dict[str, Tensor]``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a valid safetensors file, or was written by a newer ember.
    """
    from safetensors.numpy import load as st_load

    from . import _C

    path = os.fspath(f)
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        arrays = st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + header_len])
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise ValueError(f"load: {path!r} is not a valid ember/safetensors file ({e})") from None
    meta = header.get("__metadata__") or {}
    tensors = {k: _C.from_numpy(np.array(v)) for k, v in arrays.items()}
    if "ember_structure" not in meta:
        return tensors
    version = int(meta.get("ember_format", "1"))
    if version > _FORMAT_VERSION:
        raise ValueError(f"load: {path!r} was written in ember format {version}; this ember "
                         f"reads up to format {_FORMAT_VERSION} (upgrade ember)")
    return _decode(json.loads(meta["ember_structure"]), tensors)
