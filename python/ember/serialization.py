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
from typing import Any

import numpy as np

from .utils._atomic import atomic_write

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
    interrupted save never leaves a half-written file and an existing file stays intact. A
    symbolic link is written through, and an existing file keeps its permissions.

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
    atomic_write(f, data)


def _with_bf16_as_u16(raw: bytes, header: dict) -> tuple[bytes, list[str]]:
    """The file with its BF16 entries relabelled U16 (same width, which numpy can hold), and
    their names: safetensors' numpy loader then reads and checks the whole file."""
    names = [k for k, v in header.items() if isinstance(v, dict) and v.get("dtype") == "BF16"]
    if not names:
        return raw, names
    header_len = int.from_bytes(raw[:8], "little")
    header = {k: ({**v, "dtype": "U16"} if k in names else v) for k, v in header.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data stays 8-byte aligned
    return len(text).to_bytes(8, "little") + text + raw[8 + header_len :], names


def load(f: str | os.PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Loads what :func:`save` wrote (or any safetensors file, as ``dict[str, Tensor]``).

    ``map_location`` and ``weights_only`` are accepted for PyTorch compatibility: the files hold
    data only (never code to run), and tensors load on the CPU.

    Tensors of dtypes ember has no counterpart for are converted: float16 and bfloat16 become
    float32; int8, int16 and unsigned integers other than uint8 become int64.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a valid safetensors file, its ember structure is damaged, or
            it was written by a newer ember.
    """
    from safetensors.numpy import load as st_load

    from . import _C
    from .utils.data._utils import to_numpy_array

    path = os.fspath(f)
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + header_len])
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        raw, bf16 = _with_bf16_as_u16(raw, header)
        arrays = st_load(raw)
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise ValueError(f"load: {path!r} is not a valid ember/safetensors file ({e})") from None
    for name in bf16:  # bfloat16 is the top half of a float32
        arrays[name] = (arrays[name].astype(np.uint32) << 16).view(np.float32)
    meta = header.get("__metadata__") or {}
    tensors = {k: _C.from_numpy(np.array(to_numpy_array(v))) for k, v in arrays.items()}
    if "ember_structure" not in meta:
        return tensors
    try:
        version = int(meta.get("ember_format", "1"))
    except ValueError:
        raise ValueError(f"load: {path!r} has a damaged ember_format entry "
                         f"{meta.get('ember_format')!r} (expected an integer)") from None
    if version > _FORMAT_VERSION:
        raise ValueError(f"load: {path!r} was written in ember format {version}; this ember "
                         f"reads up to format {_FORMAT_VERSION} (upgrade ember)")
    try:
        return _decode(json.loads(meta["ember_structure"]), tensors)
    except KeyError as e:
        raise ValueError(f"load: {path!r} has a damaged ember structure: it names a tensor {e} "
                         "that the file does not hold") from None
    except (ValueError, TypeError) as e:
        raise ValueError(f"load: {path!r} has a damaged ember structure ({e})") from None
