"""``ember.save`` / ``ember.load``: tensors and state dicts in the safetensors format."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

__all__ = ["save", "load"]


def save(obj: Any, f: str | os.PathLike) -> None:
    """Saves a tensor or a flat ``dict[str, Tensor]`` (a state dict) to ``f`` (safetensors).

    The file is written to a temporary name and moved into place, so an interrupted save never
    leaves a half-written file.

    Raises:
        TypeError: ``obj`` is not a tensor or a dict of tensors.
    """
    from safetensors.numpy import save as st_save

    from ._C import Tensor

    if isinstance(obj, Tensor):
        tensors, meta = {"__tensor__": obj}, {"ember_kind": "tensor"}
    elif isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()):
        tensors, meta = obj, {"ember_kind": "dict"}
    else:
        raise TypeError("save: expected a Tensor or a dict[str, Tensor] (e.g. model.state_dict()), "
                        f"got {type(obj).__name__}")
    # np.asarray(order="C") keeps 0-d tensors 0-d (np.ascontiguousarray would make them 1-d).
    arrays = {k: np.asarray(v.detach().numpy(), order="C") for k, v in tensors.items()}
    data = st_save(arrays, metadata=meta)
    path = os.fspath(f)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".ember-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(f: str | os.PathLike) -> Any:
    """Loads what :func:`save` wrote: a tensor or a ``dict[str, Tensor]``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a valid safetensors file.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    from . import _C

    path = os.fspath(f)
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        arrays = st_load(raw)
    except (SafetensorError, Exception) as e:
        raise ValueError(f"load: {path!r} is not a valid ember/safetensors file ({e})") from None
    out = {k: _C.from_numpy(np.array(v)) for k, v in arrays.items()}
    if set(out) == {"__tensor__"}:
        return out["__tensor__"]
    return out
