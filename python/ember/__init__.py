"""ember: a small, fast deep-learning framework.

A C++ tensor and autograd engine with PyTorch-style ``nn``/``optim``/``utils.data`` and a
Keras-style ``ember.keras`` on top.
"""

from __future__ import annotations

import os as _os
from typing import Any

import numpy as _np

# OpenBLAS's threaded calls run on ember's own thread pool, so OpenBLAS's own threads have no
# work; with their default timeout they still spin for long stretches and take a core from the
# pool (SGEMM 512 ran at half speed). OpenBLAS reads this setting once, when it loads (importing
# scipy_openblas32 loads it): set it for that moment only, unless the user chose a value.
_timeout_was = _os.environ.get("OPENBLAS_THREAD_TIMEOUT")
if _timeout_was is None:
    _os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"
try:
    try:  # load OpenBLAS from its wheel before the engine that links it
        import scipy_openblas32 as _openblas
    except ImportError:  # pragma: no cover - the engine's RPATH may still find it
        _openblas = None
    from . import _C
finally:
    if _timeout_was is None:
        del _os.environ["OPENBLAS_THREAD_TIMEOUT"]
from ._C import Generator, Tensor, device, dtype
from ._tensor import _install, _to_dtype, as_tensor, from_numpy, is_tensor, tensor

_install()

__version__ = "0.1.0"

# dtypes (PyTorch's names and aliases)
float32 = float = dtype.float32
float64 = double = dtype.float64
int32 = int = dtype.int32
int64 = long = dtype.int64
uint8 = dtype.uint8
bool = dtype.bool

_builtin_int = type(0)

# Every op bound with def_op/def_fn in csrc/python is listed in _C._op_names.
for _name in _C._op_names:
    globals()[_name] = getattr(_C, _name)
del _name
from ._C import initial_seed, manual_seed
from ._composites import *  # noqa: F401,F403  (flip, sort, isnan, tril, ...; also Tensor methods)
from ._composites import _install as _install_composites

_install_composites()
from ._composites_more import *  # noqa: F401,F403  (einsum, amax, unique, cdist, ...)
from ._composites_more import _install as _install_composites_more

_install_composites_more()
from ._dtype_info import finfo, iinfo, seed
from ._inplace import *  # noqa: F401,F403  (addcmul, addcdiv; in-place forms such as exp_)
from ._inplace import _install as _install_inplace

_install_inplace()
from ._composites_extra import *  # noqa: F401,F403  (index_add, diff, rot90, stacks, windows, ...)
from ._composites_extra import _install as _install_composites_extra

_install_composites_extra()
from . import linalg
from .linalg import _install as _install_linalg

_install_linalg()
for _name, _fn in linalg._TOP_LEVEL:  # ember.det, ember.inverse, ember.svd, ...
    globals()[_name] = _fn
del _name, _fn

from ._creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import autograd
from .serialization import load, save
from . import random
from .random import get_rng_state, set_rng_state


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any object implementing ``__dlpack__`` (CPU)."""
    return _C.from_numpy(_np.from_dlpack(ext_tensor))


def numel(input: Tensor) -> _builtin_int:
    """Number of elements of ``input`` (the product of its shape), as an int."""
    return input.numel()


def clone(input: Tensor) -> Tensor:
    """A contiguous copy of ``input`` with its own memory; differentiable (gradients flow back)."""
    return input.clone()


def get_default_dtype() -> dtype:
    """The dtype Python floats become: ``ember.float32``."""
    return float32


def is_floating_point(input: Tensor) -> __builtins__[bool] if isinstance(__builtins__, dict) else object:  # type: ignore[valid-type]
    """True when ``input``'s dtype is float32 or float64."""
    return input.is_floating_point()


def __getattr__(name: str) -> Any:
    # Heavier front ends load on first use so `import ember` stays fast.
    if name in ("nn", "optim", "utils", "datasets", "keras", "jit", "cuda", "distributions",
                "special", "testing"):
        import importlib

        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ember' has no attribute {name!r}")
