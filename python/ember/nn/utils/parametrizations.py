"""Ready-made parametrizations (PyTorch's ``torch.nn.utils.parametrizations``): weight
normalization and spectral normalization, built on :mod:`ember.nn.utils.parametrize`.

``orthogonal`` is not provided: its maps need ``matrix_exp``, ``linalg.solve``,
``linalg.householder_product`` and a QR decomposition (``geqrf``), which ember does not have.
"""

from __future__ import annotations

from ..._C import Tensor
from ..modules.module import Module
from . import parametrize
from .spectral_norm import (
    _check_power_iterations,
    _check_spectral_dim,
    _default_dim,
    _weight_matrix,
)
from .weight_norm import _check_weight_norm_dim, _norm_except_dim, _weight_norm

__all__ = ["spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """``w = g * v / ||v||`` as a parametrization: ``forward(g, v)`` returns ``w`` and
    ``right_inverse(w)`` returns ``(||w||, w)``, the norm over every dim but ``dim`` (all dims
    for ``dim`` -1 or None)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Applies weight normalization to a parameter as a parametrization.

    Rewrites ``w = g * v / ||v||``, decoupling the magnitude ``g`` from the direction ``v``.
    ``module.<name>`` becomes parametrized (see
    :func:`~ember.nn.utils.parametrize.register_parametrization`) by two tensors:
    ``module.parametrizations.<name>.original0`` is ``g`` (initialised to ``||w||``) and
    ``original1`` is ``v`` (initialised to ``w``). The norm is the 2-norm over every dim except
    ``dim``, so ``g`` has shape ``(1, ..., w.shape[dim], ..., 1)``; with ``dim=None`` (or
    ``dim=-1``, which PyTorch reads the same way) it is the norm of the whole tensor and ``g`` is
    0-d. Other negative dims count from the end. As the originals are new Parameters, build the
    optimizer after calling this.

    Args:
        module: the module holding the tensor.
        name: the parameter's (or buffer's) name. Default ``"weight"``.
        dim: the dim kept by the norm (0, the output channel, by default); None for the whole
            tensor.
    Returns:
        ``module`` (now a ``Parametrized<Class>``).
    Raises:
        TypeError: ``module`` is not a Module, or ``dim`` is neither an int nor None.
        ValueError: ``module`` has no parameter or buffer named ``name``.
        IndexError: ``dim`` is outside ``[-w.dim(), w.dim() - 1]``.
    Reference:
        Salimans & Kingma, "Weight Normalization: A Simple Reparameterization to Accelerate
        Training of Deep Neural Networks", NeurIPS 2016; PyTorch's
        ``torch.nn.utils.parametrizations.weight_norm``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils.parametrizations import weight_norm
        >>> m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        ((40, 1), (40, 20))
    """
    weight = _tensor_of("weight_norm", module, name)
    dim = _check_weight_norm_dim("weight_norm", dim, weight, name)
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """``W / sigma(W)`` as a parametrization, ``sigma`` estimated by power iteration.

    The buffers ``_u`` (rows) and ``_v`` (columns) start as random unit vectors refined by 15
    power-iteration steps; each evaluation in training mode runs ``n_power_iterations`` more
    (``u`` first, then ``v``), in place and without recording gradients. A 1-D weight is just
    divided by its 2-norm.
    """

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        from ... import empty
        from .. import functional as F

        super().__init__()
        _check_power_iterations("spectral_norm", n_power_iterations)
        self.dim = _check_spectral_dim("spectral_norm", dim, weight, "weight")
        self.eps = eps
        if weight.dim() > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = _weight_matrix(weight.detach(), self.dim)
            h, w = weight_mat.shape
            u = empty(h, dtype=weight.dtype).normal_(0, 1)
            v = empty(w, dtype=weight.dtype).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """``n_power_iterations`` steps ``u = normalize(W v)``, ``v = normalize(W^T u)``,
        written into the buffers in place."""
        from ... import mv, no_grad
        from .. import functional as F

        with no_grad():
            for _ in range(n_power_iterations):
                F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)
                F.normalize(mv(weight_mat.t(), self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        from ... import mv, vdot
        from .. import functional as F

        if weight.dim() == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = _weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Clones: the buffers change in place at the next evaluation, which would invalidate
        # the tensors saved for this evaluation's backward.
        u = self._u.clone()
        v = self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        # Any W / sigma(W) is its own preimage: assigning sets the original to the value.
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Applies spectral normalization to a tensor as a parametrization.

    ``W_SN = W / sigma(W)``, where ``sigma(W)``, the largest singular value of the tensor seen
    as a matrix (``dim`` becomes the rows, the other dims are flattened into the columns), is
    estimated as ``u^H W v`` by power iteration. ``module.<name>`` becomes parametrized (see
    :func:`~ember.nn.utils.parametrize.register_parametrization`); the original tensor is
    ``module.parametrizations.<name>.original`` (the same Parameter object) and the vectors are
    the buffers ``module.parametrizations.<name>[0]._u`` (shape ``(rows,)``) and ``._v`` (shape
    ``(columns,)``), initialised to random unit vectors followed by 15 power-iteration steps.
    Every read of ``module.<name>`` in training mode first runs ``n_power_iterations`` steps
    ``u = normalize(W v)``, ``v = normalize(W^H u)``, updating the buffers in place; in eval
    mode they are used as they are. A 1-D tensor is divided by its 2-norm instead.

    Args:
        module: the module holding the tensor.
        name: the parameter's (or buffer's) name. Default ``"weight"``.
        n_power_iterations: power-iteration steps per read in training mode. Default 1.
        eps: lower bound of the norms when normalizing ``u`` and ``v``. Default 1e-12.
        dim: the dim that becomes the matrix's rows; None (default) means 1 for
            ``ConvTranspose1d/2d/3d`` and 0 otherwise.
    Returns:
        ``module`` (now a ``Parametrized<Class>``).
    Raises:
        TypeError: ``module`` is not a Module, or ``dim`` or ``n_power_iterations`` is not an
            int.
        ValueError: ``module`` has no tensor named ``name``, or ``n_power_iterations`` is not
            positive.
        IndexError: ``dim`` is outside ``[-w.dim(), w.dim() - 1]``.
    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018;
        PyTorch's ``torch.nn.utils.parametrizations.spectral_norm``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils.parametrizations import spectral_norm
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight[0]._u.shape, m.parametrizations.weight[0]._v.shape
        ((40,), (20,))
    """
    weight = _tensor_of("spectral_norm", module, name)
    if weight.dim() < 1:
        raise ValueError(f"spectral_norm: '{name}' must have at least 1 dim, got a 0-d tensor")
    if dim is None:
        dim = _default_dim(module)
    _check_spectral_dim("spectral_norm", dim, weight, name)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


def _tensor_of(fn: str, module: Module, name: str) -> Tensor:
    """``module.<name>`` (a parameter, buffer or parametrized tensor), checked."""
    if not isinstance(module, Module):
        raise TypeError(f"{fn}: module must be an ember.nn.Module, got {type(module).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"{fn}: name must be a str, got {type(name).__name__}")
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(  # noqa: TRY004 (a missing tensor, as PyTorch)
            f"{fn}: module {module._get_name()} has no parameter or buffer named '{name}' "
            f"(name); expected one of "
            f"{sorted(list(module._parameters) + list(module._buffers))}"
        )
    return weight
