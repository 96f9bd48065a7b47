"""Activation modules: ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softmax, LogSoftmax, the
ELU family (ELU, SELU, CELU), Softplus, Softsign, Hardtanh, ReLU6, Hardswish, Hardsigmoid, Mish,
LogSigmoid, GLU and PReLU."""

from __future__ import annotations

from typing import Any

from ... import empty, no_grad
from ..._C import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "SELU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "PReLU",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Softsign",
    "Tanh",
]


class ReLU(Module):
    """``max(x, 0)`` elementwise. Shape: any -> same."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`ReLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (default slope 0.01)."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LeakyReLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """GELU ``x * Phi(x)``; ``approximate`` is ``"none"`` (default) or ``"tanh"``."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`GELU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`SiLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Sigmoid` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Tanh` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.tanh(input)


class Softmax(Module):
    """Softmax along ``dim`` (see :func:`ember.nn.functional.softmax`)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softmax` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LogSoftmax` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"


def _inplace_str(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ELU(Module):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    See :func:`ember.nn.functional.elu`.

    Args:
        alpha: the negative saturation value is ``-alpha``. Default 1.0.
        inplace: overwrite the input. Default False.
    Shape:
        any -> the same.
    Reference:
        Clevert et al., "Fast and Accurate Deep Network Learning by Exponential Linear Units
        (ELUs)", ICLR 2016.
    Example:
        >>> nn.ELU()(ember.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`ELU`; see the class docstring."""
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"alpha={self.alpha}" + _inplace_str(self.inplace)


class SELU(Module):
    """Scaled ELU with the fixed self-normalizing constants; see
    :func:`ember.nn.functional.selu`.

    Args:
        inplace: overwrite the input. Default False.
    Shape:
        any -> the same.
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> nn.SELU()(ember.tensor([-1.0, 2.0]))
        tensor([-1.1113,  2.1014])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`SELU`; see the class docstring."""
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return _inplace_str(self.inplace, first=True)


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; see
    :func:`ember.nn.functional.celu`.

    Args:
        alpha: nonzero; the negative saturation value is ``-alpha``. Default 1.0.
        inplace: overwrite the input. Default False.
    Shape:
        any -> the same.
    Raises:
        ValueError: (when called) ``alpha == 0``.
    Reference:
        Barron, "Continuously Differentiable Exponential Linear Units", 2017.
    Example:
        >>> nn.CELU(2.0)(ember.tensor([-1.0, 2.0]))
        tensor([-0.7869,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`CELU`; see the class docstring."""
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"alpha={self.alpha}" + _inplace_str(self.inplace)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``; see
    :func:`ember.nn.functional.softplus`.

    Args:
        beta: sharpness. Default 1.0.
        threshold: where the result becomes linear, in units of ``beta * x``. Default 20.0.
    Shape:
        any -> the same.
    Example:
        >>> nn.Softplus()(ember.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softplus`; see the class docstring."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``; see :func:`ember.nn.functional.softsign`.

    Shape:
        any -> the same.
    Example:
        >>> nn.Softsign()(ember.tensor([-3.0, 1.0]))
        tensor([-0.7500,  0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softsign`; see the class docstring."""
        return F.softsign(input)


class Hardtanh(Module):
    """Clamps to ``[min_val, max_val]``; see :func:`ember.nn.functional.hardtanh`.

    Args:
        min_val: lower bound. Default -1.0.
        max_val: upper bound, greater than ``min_val``. Default 1.0.
        inplace: overwrite the input. Default False.
        min_value: deprecated name of ``min_val`` (overrides it when given).
        max_value: deprecated name of ``max_val`` (overrides it when given).
    Shape:
        any -> the same.
    Raises:
        ValueError: ``max_val <= min_val``.
    Example:
        >>> nn.Hardtanh(-2.0, 2.0)(ember.tensor([-3.0, 1.0, 3.0]))
        tensor([-2.,  1.,  2.])
    """

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        if min_value is not None:
            _warn_renamed("min_value", "min_val")
            min_val = min_value
        if max_value is not None:
            _warn_renamed("max_value", "max_val")
            max_val = max_value
        if not max_val > min_val:
            raise ValueError(
                f"{type(self).__name__}: max_val ({max_val}) must be greater than "
                f"min_val ({min_val})"
            )
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Hardtanh`; see the class docstring."""
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_str(self.inplace)


def _warn_renamed(old: str, new: str) -> None:
    import warnings

    warnings.warn(
        f"keyword argument `{old}` is deprecated and renamed to `{new}`",
        DeprecationWarning,
        stacklevel=3,
    )


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``; see :func:`ember.nn.functional.relu6`.

    Args:
        inplace: overwrite the input. Default False.
    Shape:
        any -> the same.
    Example:
        >>> nn.ReLU6()(ember.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`ReLU6`; see the class docstring."""
        return F.relu6(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return _inplace_str(self.inplace, first=True)


class Hardsigmoid(Module):
    """``0`` below -3, ``1`` above 3, ``(x + 3) / 6`` between; see
    :func:`ember.nn.functional.hardsigmoid`.

    Args:
        inplace: overwrite the input. Default False (not shown in the repr, as PyTorch).
    Shape:
        any -> the same.
    Reference:
        Howard et al., "Searching for MobileNetV3", ICCV 2019.
    Example:
        >>> nn.Hardsigmoid()(ember.tensor([-4.0, 1.5]))
        tensor([0.0000, 0.7500])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Hardsigmoid`; see the class docstring."""
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """``x * hardsigmoid(x)``; see :func:`ember.nn.functional.hardswish`.

    Args:
        inplace: overwrite the input. Default False (not shown in the repr, as PyTorch).
    Shape:
        any -> the same.
    Reference:
        Howard et al., "Searching for MobileNetV3", ICCV 2019.
    Example:
        >>> nn.Hardswish()(ember.tensor([1.0, 4.0]))
        tensor([0.6667, 4.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Hardswish`; see the class docstring."""
        return F.hardswish(input, self.inplace)


class Mish(Module):
    """``x * tanh(softplus(x))``; see :func:`ember.nn.functional.mish`.

    Args:
        inplace: overwrite the input. Default False.
    Shape:
        any -> the same.
    Reference:
        Misra, "Mish: A Self Regularized Non-Monotonic Neural Activation Function", 2019.
    Example:
        >>> nn.Mish()(ember.tensor([-1.0, 1.0]))
        tensor([-0.3034,  0.8651])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Mish`; see the class docstring."""
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return _inplace_str(self.inplace, first=True)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, stable for any ``x``; see :func:`ember.nn.functional.logsigmoid`.

    Shape:
        any -> the same.
    Example:
        >>> nn.LogSigmoid()(ember.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LogSigmoid`; see the class docstring."""
        return F.logsigmoid(input)


class GLU(Module):
    """Gated linear unit: ``a * sigmoid(b)`` for the halves ``a``, ``b`` of the input along
    ``dim``; see :func:`ember.nn.functional.glu`.

    Args:
        dim: the halved dim. Default -1.
    Shape:
        ``(*, 2 * M, *)`` -> ``(*, M, *)``.
    Reference:
        Dauphin et al., "Language Modeling with Gated Convolutional Networks", ICML 2017.
    Example:
        >>> nn.GLU()(ember.randn(4, 6)).shape
        (4, 3)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`GLU`; see the class docstring."""
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"


class PReLU(Module):
    """Parametric ReLU: ``x`` for ``x > 0``, ``weight * x`` otherwise, with a learned slope
    per channel (dim 1) or one shared slope; see :func:`ember.nn.functional.prelu`.

    Args:
        num_parameters: 1 (one slope for all channels) or the number of channels. Default 1.
        init: initial value of every slope. Default 0.25.
        device: accepted for compatibility (CPU).
        dtype: the weight's dtype (default: the default dtype).
    Attributes:
        weight: ``Parameter`` of shape ``(num_parameters,)``, filled with ``init``.
    Shape:
        ``(N, C, *)`` or any shape with fewer than 2 dims -> the same.
    Raises:
        TypeError: a non-int ``num_parameters``.
        ValueError: ``num_parameters < 1``.
    Reference:
        He et al., "Delving Deep into Rectifiers", ICCV 2015.
    Example:
        >>> nn.PReLU()(ember.tensor([-2.0, 3.0]))
        tensor([-0.5000,  3.0000], grad_fn=<WhereBackward0>)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
            raise TypeError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        kw = {} if dtype is None else {"dtype": dtype}
        self.weight = Parameter(empty(num_parameters, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fills the weight with ``init``."""
        with no_grad():
            self.weight.fill_(self.init)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`PReLU`; see the class docstring."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"num_parameters={self.num_parameters}"
