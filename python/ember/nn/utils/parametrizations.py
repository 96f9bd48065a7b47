"""Ready-made parametrizations (PyTorch's ``torch.nn.utils.parametrizations``): orthogonal
matrices, weight normalization and spectral normalization, built on
:mod:`ember.nn.utils.parametrize`.
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

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

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- orthogonal --------------------------------------------------------------------------------


def _is_orthogonal(Q: Tensor) -> bool:
    """Whether every matrix of the tall batch ``Q`` ``(*, n, k)`` has orthonormal columns:
    ``Q^T Q`` within ``10 n eps`` (absolute) of the identity, as PyTorch."""
    from ... import allclose, eye, finfo

    n, k = Q.size(-2), Q.size(-1)
    eps = 10.0 * n * finfo(Q.dtype).eps
    return allclose(Q.mT @ Q, eye(k, dtype=Q.dtype, device=Q.device), atol=eps)


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q factor of ``A = Q R`` (``A`` tall, ``(*, n, k)``) with ``diag(R) >= 0``: LAPACK's
    Householder QR with each column of Q multiplied by the sign of ``R``'s diagonal entry. A
    zero entry (rank-deficient ``A``) counts as positive, so Q stays orthogonal (PyTorch's
    ``sgn`` zeroes that column instead)."""
    from ... import linalg, where

    Q, R = linalg.qr(A)
    signs = R.diagonal(dim1=-2, dim2=-1).sign()
    signs = where(signs == 0, 1.0, signs)
    return Q * signs.unsqueeze(-2)


def _householder_right_inverse(Q: Tensor) -> Tensor:
    """The original of the ``"householder"`` map for the tall batch ``Q`` ``(*, n, k)``: the
    packed reflectors of its QR decomposition (LAPACK ``geqrf``, what ``torch.geqrf`` returns)
    with the diagonal replaced by the signs (+1 or -1) that make the map give the Q factor
    whose ``R`` has a non-negative diagonal. Where ``tau`` is 0 LAPACK applied no reflection,
    while the map always reflects (``tau = 2 / (1 + |v|^2)``): the sign is flipped there."""
    from ... import from_numpy

    a = Q.detach().numpy()
    h, tau = np.linalg.qr(a, mode="raw")  # h is the transpose of geqrf's packed output
    packed = np.ascontiguousarray(np.swapaxes(h, -1, -2))
    k = packed.shape[-1]
    idx = np.arange(k)
    signs = np.where(packed[..., idx, idx] < 0, -1.0, 1.0)  # sign(0) counts as +1
    signs = np.where(tau == 0.0, -signs, signs)
    packed[..., idx, idx] = signs
    return from_numpy(packed.astype(a.dtype, copy=False))


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained tensor ``(*, m, n)`` to a batch of matrices with orthonormal
    columns (``m >= n``) or rows (``m < n``); see :func:`orthogonal`.

    Wide matrices are transposed on the way in and out, so the maps below see a tall
    ``X`` ``(*, n, k)``, ``n >= k``:

    * ``matrix_exp`` / ``cayley``: the lower triangle of ``X``, padded with zero columns to
      ``(*, n, n)``, gives the skew-symmetric ``A = L - L^T``; ``Q = exp(A)`` or
      ``Q = (I - A/2)^{-1} (I + A/2)``, and its first ``k`` columns are kept.
    * ``householder``: the strict lower triangle holds the reflectors ``v_i`` (unit first
      entry implied), ``tau_i = 2 / (1 + |v_i|^2)``; ``Q = H_1 ... H_k`` times the (truncated,
      not differentiated) diagonal of ``X``, whose entries are +1 or -1.

    With ``use_trivialization`` the result is ``base @ Q``: ``base`` is a buffer ``(*, n, n)``
    holding an orthogonal matrix, set by :meth:`right_inverse`.
    """

    base: Tensor | None

    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        """The orthogonal matrix (*, m, n) that X stands for, by the chosen map (times base with the trivialization)."""
        from ... import add, cat, eye, linalg

        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # n k - k (k - 1) / 2 free entries: the lower triangle
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:
                Id = eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(add(Id, A, alpha=-0.5), add(Id, A, alpha=0.5))
            if n != k:
                Q = Q.narrow(-1, 0, k)
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            # The diagonal of X holds +1 and -1: a sign per column, neither differentiated
            # nor updated (the cast to int cuts the gradient), as PyTorch.
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            if self.base is None:
                raise RuntimeError(
                    "orthogonal: the trivialization's base is not set, which happens when "
                    "orthogonal() is registered on an already parametrized tensor; assign an "
                    "orthogonal matrix to the parametrized tensor (module.<name> = Q) first"
                )
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """An original tensor for which :meth:`forward` gives ``Q`` (or, when ``Q`` is not
        orthogonal, the Q factor of its QR decomposition).

        With the trivialization, ``base`` becomes ``Q`` (orthogonalized by QR when it is not
        orthogonal; a tall or wide ``Q`` is first completed to a square matrix with random
        normal columns) and the original is ``-I`` (of ``Q``'s shape), which every map sends
        to the first columns of the identity. Without it only ``householder`` can be inverted.

        Raises:
            TypeError: ``Q`` is not a floating-point tensor.
            ValueError: ``Q`` does not have the parametrized tensor's shape.
            NotImplementedError: ``matrix_exp`` or ``cayley`` without the trivialization.
        """
        from ... import cat, eye, no_grad, randn, zeros_like

        if not isinstance(Q, Tensor) or not Q.is_floating_point():
            got = Q.dtype.name if isinstance(Q, Tensor) else type(Q).__name__
            raise TypeError(
                f"orthogonal: the assigned value must be a float32 or float64 tensor, got {got}"
            )
        if tuple(Q.shape) != self.shape:
            raise ValueError(
                f"orthogonal: expected a matrix or batch of matrices of shape {self.shape}, "
                f"got a tensor of shape {tuple(Q.shape)}"
            )
        with no_grad():
            Q = Q.detach()
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transposed = n < k
            if transposed:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    # Finding X with cayley(A(X))[:, :k] == Q has no known closed form.
                    raise NotImplementedError(
                        "orthogonal: it is not possible to assign to the matrix exponential "
                        "or the Cayley parametrizations when use_trivialization=False."
                    )
                A = _householder_right_inverse(Q)
                return A.mT if transposed else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q to a square orthogonal matrix
                N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            # -I: the maps send it to the identity's first columns (householder(0) = I too).
            rows, cols = Q_init.size(-2), Q_init.size(-1)
            return zeros_like(Q_init) - eye(rows, cols, dtype=Q.dtype, device=Q.device)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Applies an orthogonal parametrization to a matrix or a batch of matrices.

    The parametrized ``Q`` ``(*, m, n)`` has orthonormal columns, ``Q^T Q = I_n``, when
    ``m >= n``, and orthonormal rows, ``Q Q^T = I_m``, when ``m < n``. A tensor with more than
    two dims is a batch of matrices over its last two dims (a Conv weight ``(out, in, kh, kw)``
    is ``out * in`` matrices ``kh x kw``). Wide matrices are handled by transposing them, so
    ``n`` below is the larger and ``k`` the smaller of the two sizes. ``orthogonal_map``
    chooses how the original tensor ``X`` becomes ``Q``:

    * ``"matrix_exp"``: ``Q = exp(A)`` (:func:`ember.linalg.matrix_exp`), where
      ``A = L - L^T`` is the skew-symmetric matrix built from ``L``, the lower triangle of
      ``X`` padded with zero columns to ``n x n``; the first ``k`` columns are kept.
    * ``"cayley"``: the Cayley transform ``Q = (I + A/2)(I - A/2)^{-1}`` of the same ``A``
      (:func:`ember.linalg.solve`), also orthogonal for every skew-symmetric ``A``.
    * ``"householder"``: ``Q = H_1 ... H_k D``, ``H_i = I - tau_i v_i v_i^T`` the reflection
      whose vector ``v_i`` has 1 at position ``i`` and the strict lower triangle of column
      ``i`` of ``X`` below it, ``tau_i = 2 / |v_i|^2`` (:func:`ember.linalg.householder_product`),
      and ``D`` the diagonal of ``X`` truncated to integers (+1 or -1, not differentiated).

    ``"matrix_exp"`` and ``"cayley"`` often converge faster; ``"householder"`` is cheaper for
    very thin or very wide matrices.

    With ``use_trivialization=True`` (default) the dynamic trivialization is used: an
    orthogonal ``B`` ``(*, n, n)`` is kept in the buffer ``module.parametrizations.<name>[0].base``
    and ``Q = B @ map(X)``. The original is then ``-I`` (``X`` of the tensor's shape with -1 on
    the diagonal), which every map sends to the identity's first columns, so ``Q`` starts as
    ``B``'s first columns. ``B`` is the tensor itself when it is square and orthogonal
    (``|Q^T Q - I| <= 10 n eps`` entrywise, checked over the whole batch), otherwise the Q factor
    of its QR decomposition with ``diag(R) >= 0``; a non-square tensor is first completed to
    ``n x n`` with random normal columns. Assigning ``module.<name> = Q`` does this again.
    Without the trivialization, ``"householder"`` starts from the Q factor of the tensor (the
    original holds LAPACK ``geqrf``'s reflectors and signs on the diagonal), while
    ``"matrix_exp"`` and ``"cayley"`` start from the map applied to the tensor as it is and
    cannot be assigned to (``NotImplementedError``).

    The parametrization is registered with ``unsafe=True``, as PyTorch. The original (and
    ``base``) are what an optimizer updates and what ``state_dict`` holds:
    ``parametrizations.<name>.original`` and ``parametrizations.<name>.0.base``. CPU tensors
    only (the QR decompositions and the ``"matrix_exp"``/``"cayley"`` solves run in LAPACK
    through numpy); a module using ``"householder"`` can be traced by ``ember.jit``, the other
    two maps raise ``RuntimeError`` inside a trace.

    Args:
        module: the module holding the tensor.
        name: the parameter's (or buffer's) name, a float32 or float64 tensor of shape
            ``(*, m, n)``. Default ``"weight"``.
        orthogonal_map: ``"matrix_exp"``, ``"cayley"`` or ``"householder"``; None (default)
            means ``"matrix_exp"`` for square matrices and ``"householder"`` otherwise.
        use_trivialization: whether to keep the ``base`` buffer (dynamic trivialization).
            Keyword-only; default True.
    Returns:
        ``module`` (now a ``Parametrized<Class>``).
    Raises:
        TypeError: ``module`` is not a Module, ``name`` or ``orthogonal_map`` is not a str, or
            the tensor is not float32 or float64.
        ValueError: ``module`` has no tensor named ``name``, the tensor has fewer than 2 dims,
            or ``orthogonal_map`` is not one of the three names.
    Reference:
        Lezcano-Casado & Martinez-Rubio, "Cheap Orthogonal Constraints in Neural Networks: A
        Simple Parametrization of the Orthogonal and Unitary Group", ICML 2019 (matrix
        exponential and Cayley maps of skew-symmetric matrices); Lezcano-Casado,
        "Trivializations for Gradient-Based Optimization on Manifolds", NeurIPS 2019 (the
        dynamic trivialization); Cayley, "Sur quelques propriétés des déterminants gauches",
        1846 (the Cayley transform); PyTorch's ``torch.nn.utils.parametrizations.orthogonal``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils.parametrizations import orthogonal
        >>> m = orthogonal(nn.Linear(20, 40))
        >>> m.parametrizations.weight[0].orthogonal_map.name, tuple(m.weight.shape)
        ('householder', (40, 20))
        >>> Q = m.weight
        >>> bool(ember.allclose(Q.mT @ Q, ember.eye(20), atol=1e-5))
        True
    """
    weight = _tensor_of("orthogonal", module, name)
    if weight.dim() < 2:
        raise ValueError(
            f"orthogonal: expected a matrix or batch of matrices for '{name}', got a tensor "
            f"of {weight.dim()} dimensions (shape {tuple(weight.shape)})"
        )
    if not weight.is_floating_point():
        raise TypeError(
            f"orthogonal: '{name}' must be a float32 or float64 tensor, got {weight.dtype.name}"
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) else "householder"
    if not isinstance(orthogonal_map, str):
        raise TypeError(
            f"orthogonal: orthogonal_map must be a str or None, got {type(orthogonal_map).__name__}"
        )
    orth_enum = _OrthMaps.__members__.get(orthogonal_map)
    if orth_enum is None:
        raise ValueError(
            'orthogonal: orthogonal_map has to be one of "matrix_exp", "cayley", "householder", '
            f"got {orthogonal_map!r}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """``w = g * v / ||v||`` as a parametrization: ``forward(g, v)`` returns ``w`` and
    ``right_inverse(w)`` returns ``(||w||, w)``, the norm over every dim but ``dim`` (all dims
    for ``dim`` -1 or None)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        """w = g * v / ||v||, the norm over every dim but dim."""
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        """(g, v) for a given weight: g its norm over every dim but dim, v the weight."""
        return _norm_except_dim(weight, self.dim), weight

    def _legacy_state_dict_keys(self, tensor_name: str) -> dict[str, str]:
        """The keys of the hook-based :func:`ember.nn.utils.weight_norm` (``<name>_g``,
        ``<name>_v``) and the originals they load into, read by ``parametrize`` when a
        state dict is loaded (PyTorch's ``_weight_norm_compat_hook``)."""
        return {f"{tensor_name}_g": "original0", f"{tensor_name}_v": "original1"}


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
    optimizer after calling this. A state dict saved with the hook-based
    :func:`ember.nn.utils.weight_norm` (keys ``<name>_g`` and ``<name>_v``) loads into the
    module, its keys read as ``parametrizations.<name>.original0`` and ``original1``, as
    PyTorch (``load_state_dict`` renames them in its own copy of the mapping).

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
        """weight / sigma, sigma estimated by power iteration (u and v updated in training mode)."""
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
        """The original to store when a weight is assigned: the value itself (any W / sigma(W)
        is its own preimage)."""
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
