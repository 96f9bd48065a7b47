"""The op table: one ``OpCase`` per elementwise op; ``test_ops.py`` runs the generic checks.

Each row names the op, a NumPy reference, the dtypes the op accepts (the others must raise
``TypeError`` naming the op), whether it is differentiable, and the input domain (``"positive"``
for log/sqrt, ...). The reference receives NumPy arrays already converted to the op's compute
dtype (PyTorch's promotion of the inputs; float32 for float-valued ops on integer inputs) and
returns the expected values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ember
import numpy as np

BOOL = ("bool",)
INTS = ("uint8", "int32", "int64")
FLOATS = ("float32", "float64")
NUMERIC = INTS + FLOATS
ALL = BOOL + NUMERIC

NP_DTYPES = {
    "bool": np.bool_,
    "uint8": np.uint8,
    "int32": np.int32,
    "int64": np.int64,
    "float32": np.float32,
    "float64": np.float64,
}

# Default tolerances per result dtype (STYLE.md section 7).
TOLS = {"float32": (1e-5, 1e-6), "float64": (1e-7, 1e-10)}

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu_erf(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    return 0.5 * x64 * (1.0 + _erf(x64 / math.sqrt(2.0)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    k = math.sqrt(2.0 / math.pi)
    return 0.5 * x64 * (1.0 + np.tanh(k * (x64 + 0.044715 * x64**3)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    return 1.0 / (1.0 + np.exp(-x64))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.zeros_like(x))


def _f64(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Evaluates ``fn`` in float64 (accurate reference for float32 results)."""

    def ref(*xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # log(0) = -inf etc. are expected values
            return fn(*(x.astype(np.float64) for x in xs))

    return ref


@dataclass
class OpCase:
    """One row of the op table.

    Attributes:
        name: the ``ember.<name>`` function (and ``Tensor.<name>`` method).
        ref: NumPy reference taking arrays in the compute dtype.
        dtypes: dtypes the op accepts; the rest of ``ALL`` must raise TypeError naming the op.
        grad: whether the op is differentiable (gradcheck + torch gradients).
        nargs: 1 (unary) or 2 (binary).
        domain: input domain: "real", "positive", "unit" (|x| < 1), "above1" (x > 1; integer
            inputs x >= 1), "nonzero" (second argument
            of division-like ops), "pow" (positive base, small exponent).
        float_op: the result is floating even for integer inputs (exp, div, ...).
        bool_out: the result is bool (comparisons, logical ops).
        kwargs: extra keyword arguments for both ember and torch.
        variant: label distinguishing rows of the same op (gelu "tanh").
        torch_name: the torch function when it differs (``torch.nn.functional.gelu``).
        tols: per-dtype (rtol, atol) overriding ``TOLS``; a row that loosens them says why.
        torch_grad_rtol: relative tolerance of float64 gradients against PyTorch's.
    """

    name: str
    ref: Callable[..., np.ndarray]
    dtypes: tuple[str, ...] = NUMERIC
    grad: bool = True
    nargs: int = 1
    domain: str = "real"
    float_op: bool = False
    bool_out: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)
    variant: str = ""
    torch_name: str = ""
    tols: dict[str, tuple[float, float]] = field(default_factory=dict)
    torch_grad_rtol: float = 1e-10

    @property
    def id(self) -> str:
        return self.name + (f"_{self.variant}" if self.variant else "")

    def fn(self) -> Callable[..., Any]:
        f = getattr(ember, self.name)
        return (lambda *a: f(*a, **self.kwargs)) if self.kwargs else f

    def torch_fn(self, torch: Any) -> Callable[..., Any]:
        if self.torch_name:
            mod, _, attr = self.torch_name.rpartition(".")
            obj = torch
            for part in mod.split(".")[1:]:
                obj = getattr(obj, part)
            f = getattr(obj, attr)
        else:
            f = getattr(torch, self.name)
        return (lambda *a: f(*a, **self.kwargs)) if self.kwargs else f

    def tol(self, dtype: str) -> tuple[float, float]:
        return self.tols.get(dtype, TOLS.get(dtype, (0.0, 0.0)))


def make_input(
    shape: tuple[int, ...], dtype: str, domain: str, rng: np.random.Generator, arg: int = 0
) -> np.ndarray:
    """Random NumPy array in ``domain`` for argument ``arg`` of an op."""
    np_dt = NP_DTYPES[dtype]
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if domain == "pow" and arg == 1:
        if dtype in FLOATS:
            return rng.uniform(-2.0, 2.0, shape).astype(np_dt)
        return rng.integers(0, 4, shape).astype(np_dt)
    if domain == "pow" and arg == 0:
        if dtype in FLOATS:
            return rng.uniform(0.5, 2.0, shape).astype(np_dt)
        return rng.integers(0, 5, shape).astype(np_dt)
    if dtype in FLOATS:
        if domain == "positive":
            return rng.uniform(0.2, 3.0, shape).astype(np_dt)
        if domain == "unit":
            return rng.uniform(-0.9, 0.9, shape).astype(np_dt)
        if domain == "above1":
            return rng.uniform(1.2, 3.0, shape).astype(np_dt)
        if domain == "nonzero" and arg == 1:
            mag = rng.uniform(0.5, 2.0, shape)
            return (mag * np.where(rng.random(shape) > 0.5, 1.0, -1.0)).astype(np_dt)
        return rng.uniform(-2.0, 2.0, shape).astype(np_dt)
    lo = 0 if dtype == "uint8" else -6
    if domain in ("positive", "above1"):
        lo = 1
    if domain == "nonzero" and arg == 1:
        vals = rng.integers(1, 5, shape)
        if dtype != "uint8":
            vals = vals * np.where(rng.random(shape) > 0.5, 1, -1)
        return vals.astype(np_dt)
    return rng.integers(lo, 7, shape).astype(np_dt)


def _mp(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """An mpmath function as a float64 reference (mpmath comes with PyTorch's sympy)."""

    def ref(x: np.ndarray) -> np.ndarray:
        import mpmath

        f = getattr(mpmath, name)

        def one(v: float) -> float:
            if name in ("digamma", "loggamma") and v == 0:
                return -math.inf if name == "digamma" else math.inf  # the pole at +0
            try:
                return float(mpmath.re(f(float(v))))
            except ValueError:  # outside the domain (erfinv of 3)
                return math.nan

        return np.vectorize(one, otypes=[np.float64])(x)

    return ref


def _copysign(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.copysign(a.astype(np.float64), b.astype(np.float64))


def _floordiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b)


UNARY = [
    OpCase("neg", np.negative, dtypes=NUMERIC),
    OpCase("exp", _f64(np.exp), dtypes=ALL, float_op=True),
    OpCase("log", _f64(np.log), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("log1p", _f64(np.log1p), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("sqrt", _f64(np.sqrt), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("rsqrt", _f64(lambda x: 1.0 / np.sqrt(x)), dtypes=ALL, float_op=True, domain="positive"),
    # |x| is not differentiable at 0; random floats never hit it.
    OpCase("abs", np.abs, dtypes=NUMERIC),
    OpCase("sign", lambda x: x if x.dtype == np.bool_ else np.sign(x), dtypes=ALL),
    OpCase("sin", _f64(np.sin), dtypes=ALL, float_op=True),
    OpCase("cos", _f64(np.cos), dtypes=ALL, float_op=True),
    OpCase("sigmoid", _sigmoid, dtypes=ALL, float_op=True),
    OpCase("tanh", _f64(np.tanh), dtypes=ALL, float_op=True),
    OpCase("relu", _relu, dtypes=NUMERIC),
    OpCase("erf", _f64(_erf), dtypes=ALL, float_op=True),
    OpCase("gelu", _gelu_erf, dtypes=FLOATS, torch_name="torch.nn.functional.gelu"),
    OpCase(
        "gelu",
        _gelu_tanh,
        dtypes=FLOATS,
        variant="tanh",
        kwargs={"approximate": "tanh"},
        torch_name="torch.nn.functional.gelu",
    ),
    OpCase(
        "silu",
        _f64(lambda x: x / (1.0 + np.exp(-x))),
        dtypes=FLOATS,
        torch_name="torch.nn.functional.silu",
    ),
    OpCase("erfc", _f64(np.vectorize(math.erfc, otypes=[np.float64])), dtypes=ALL, float_op=True),
    OpCase("erfinv", _mp("erfinv"), dtypes=ALL, float_op=True, domain="unit"),
    OpCase("tan", _f64(np.tan), dtypes=ALL, float_op=True, domain="unit"),
    OpCase("asin", _f64(np.arcsin), dtypes=ALL, float_op=True, domain="unit"),
    OpCase("acos", _f64(np.arccos), dtypes=ALL, float_op=True, domain="unit"),
    OpCase("atan", _f64(np.arctan), dtypes=ALL, float_op=True),
    OpCase("sinh", _f64(np.sinh), dtypes=ALL, float_op=True),
    OpCase("cosh", _f64(np.cosh), dtypes=ALL, float_op=True),
    OpCase("asinh", _f64(np.arcsinh), dtypes=ALL, float_op=True),
    OpCase("acosh", _f64(np.arccosh), dtypes=ALL, float_op=True, domain="above1"),
    OpCase("atanh", _f64(np.arctanh), dtypes=ALL, float_op=True, domain="unit"),
    OpCase("expm1", _f64(np.expm1), dtypes=ALL, float_op=True),
    OpCase("exp2", _f64(np.exp2), dtypes=ALL, float_op=True),
    OpCase("log2", _f64(np.log2), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("log10", _f64(np.log10), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("lgamma", _mp("loggamma"), dtypes=ALL, float_op=True, domain="positive"),
    # PyTorch's trigamma (digamma's gradient) is accurate to about 5e-10 relative; ember's is
    # checked against mpmath to 1e-15 in test_special_functions.py.
    OpCase("digamma", _mp("digamma"), dtypes=ALL, float_op=True, domain="positive",
           torch_grad_rtol=1e-9),
    OpCase("reciprocal", _f64(np.reciprocal), dtypes=ALL, float_op=True, domain="positive"),
    OpCase("square", lambda x: np.square(x.astype(np.int64) if x.dtype == np.bool_ else x),
           dtypes=ALL),
    OpCase("logical_not", np.logical_not, dtypes=ALL, grad=False, bool_out=True),
    OpCase(
        "clamp",
        lambda x: np.clip(x.astype(np.float64), -1, 2).astype(x.dtype),
        dtypes=ALL,
        kwargs={"min": -1, "max": 2},
    ),
    OpCase(
        "clamp",
        lambda x: np.clip(x, -0.5, 1.5),
        dtypes=ALL,
        variant="float_bounds",
        float_op=True,
        kwargs={"min": -0.5, "max": 1.5},
    ),
    OpCase(
        "clamp",
        lambda x: np.maximum(x, 0.25),
        dtypes=ALL,
        variant="min_only",
        float_op=True,
        kwargs={"min": 0.25},
    ),
]

BINARY = [
    OpCase("add", np.add, dtypes=ALL, nargs=2),
    OpCase(
        "add", lambda a, b: a + 2 * b, dtypes=ALL, nargs=2, variant="alpha", kwargs={"alpha": 2}
    ),
    OpCase("sub", np.subtract, dtypes=NUMERIC, nargs=2),
    OpCase("mul", np.multiply, dtypes=ALL, nargs=2),
    OpCase("div", _f64(np.divide), dtypes=ALL, nargs=2, float_op=True, domain="nonzero"),
    OpCase("fmod", np.fmod, dtypes=NUMERIC, nargs=2, domain="nonzero"),
    OpCase("atan2", _f64(np.arctan2), dtypes=ALL, nargs=2, float_op=True),
    OpCase("hypot", _f64(np.hypot), dtypes=FLOATS, nargs=2),
    OpCase("copysign", _copysign, dtypes=ALL, nargs=2, float_op=True),
    # Piecewise constant: no gradient in PyTorch.
    OpCase("floor_divide", _floordiv, dtypes=NUMERIC, nargs=2, domain="nonzero", grad=False),
    OpCase("remainder", np.remainder, dtypes=NUMERIC, nargs=2, domain="nonzero"),
    # float32 pow goes through powf; results are within 2 ulp, 1e-5 relative holds.
    OpCase("pow", np.power, dtypes=NUMERIC, nargs=2, domain="pow"),
    # Ties split the gradient; random floats have no ties.
    OpCase("maximum", np.maximum, dtypes=ALL, nargs=2),
    OpCase("minimum", np.minimum, dtypes=ALL, nargs=2),
    OpCase("eq", np.equal, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("ne", np.not_equal, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("lt", np.less, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("le", np.less_equal, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("gt", np.greater, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("ge", np.greater_equal, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("logical_and", np.logical_and, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("logical_or", np.logical_or, dtypes=ALL, nargs=2, grad=False, bool_out=True),
    OpCase("logical_xor", np.logical_xor, dtypes=ALL, nargs=2, grad=False, bool_out=True),
]

OPS = UNARY + BINARY
