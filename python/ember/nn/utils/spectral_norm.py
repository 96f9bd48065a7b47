"""Spectral normalization through a forward pre-hook (PyTorch's
``torch.nn.utils.spectral_norm``; :func:`ember.nn.utils.parametrizations.spectral_norm` is the
newer form)."""

from __future__ import annotations

from typing import Any

from ..._C import Tensor
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]


def _check_power_iterations(fn: str, n_power_iterations: Any) -> None:
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int):
        raise TypeError(
            f"{fn}: n_power_iterations must be an int, got {type(n_power_iterations).__name__}"
        )
    if n_power_iterations <= 0:
        raise ValueError(
            f"{fn}: n_power_iterations must be positive, got n_power_iterations="
            f"{n_power_iterations}"
        )


def _check_spectral_dim(fn: str, dim: Any, weight: Tensor, name: str) -> int:
    """``dim`` wrapped into ``[0, weight.dim())``."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fn}: dim must be an int or None, got {type(dim).__name__}")
    ndim = weight.dim()
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{fn}: dim {dim} is out of range for '{name}' of shape {tuple(weight.shape)}; "
            f"expected an int in [{-ndim}, {ndim - 1}]"
        )
    return dim + ndim if dim < 0 else dim


def _default_dim(module: Module) -> int:
    """1 for transposed convolutions (whose weight is (in, out, *kernel)), 0 otherwise."""
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def _weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a matrix of ``weight.shape[dim]`` rows: ``dim`` moved to the front, the
    other dims flattened into the columns."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.dim()) if d != dim])
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook that :func:`spectral_norm` installs.

    Before each forward call it sets ``module.<name>`` to ``W / sigma`` with
    ``sigma = u^T W v``, ``W`` being ``<name>_orig`` seen as a matrix, after (in training mode)
    ``n_power_iterations`` power-iteration steps that update the buffers ``<name>_u`` and
    ``<name>_v`` in place (``v`` first, then ``u``).

    Args:
        name: the weight's name. Default ``"weight"``.
        n_power_iterations: power-iteration steps per forward call in training mode. Default 1.
        dim: the dim that becomes the matrix's rows. Default 0.
        eps: lower bound of the norms when normalizing ``u`` and ``v``. Default 1e-12.
    Raises:
        TypeError: ``n_power_iterations`` is not an int.
        ValueError: ``n_power_iterations`` is not positive.
    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018;
        PyTorch's ``torch.nn.utils.spectral_norm.SpectralNorm``.
    """

    _version: int = 1

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        _check_power_iterations("SpectralNorm", n_power_iterations)
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` as a ``(weight.shape[dim], -1)`` matrix."""
        return _weight_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """``<name>_orig / sigma``; with ``do_power_iteration`` the buffers ``<name>_u`` and
        ``<name>_v`` are first updated in place (without recording gradients)."""
        from ... import dot, mv, no_grad
        from .. import functional as F

        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v = F.normalize(mv(weight_mat.t(), u), dim=0, eps=self.eps, out=v)
                    u = F.normalize(mv(weight_mat, v), dim=0, eps=self.eps, out=u)
                # Clones: the buffers change in place at the next call, which would invalidate
                # the tensors saved for this call's backward.
                u = u.clone()
                v = v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        """Replaces parameter ``name`` by ``<name>_orig`` plus buffers ``<name>_u`` and
        ``<name>_v`` and installs the hook; see :func:`spectral_norm`."""
        from ... import empty, no_grad
        from .. import functional as F

        fn = "spectral_norm"
        if not isinstance(module, Module):
            raise TypeError(f"{fn}: module must be an ember.nn.Module, got {type(module).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"{fn}: name must be a str, got {type(name).__name__}")
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"{fn}: cannot register two spectral_norm hooks on the same parameter {name}"
                )
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(
                f"{fn}: module {module._get_name()} has no parameter named '{name}' (name); "
                f"expected one of {[k for k, p in module._parameters.items() if p is not None]}"
            )
        if weight.dim() < 1:
            raise ValueError(f"{fn}: '{name}' must have at least 1 dim, got a 0-d tensor")
        dim = _check_spectral_dim(fn, dim, weight, name)
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        with no_grad():
            h, w = hook.reshape_weight_to_matrix(weight).shape
            u = F.normalize(empty(h, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
            v = F.normalize(empty(w, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        # module.<name> stays readable (initializers read it) as a plain tensor attribute; a
        # Parameter would be registered.
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module: Module) -> None:
        """Puts back ``module.<name>`` as one Parameter holding the current ``W / sigma``
        (without a power-iteration step)."""
        from ... import no_grad

        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Applies spectral normalization to a parameter with a forward pre-hook.

    ``W_SN = W / sigma(W)``, where ``sigma(W)``, the largest singular value of the weight seen
    as a matrix (``dim`` becomes the rows, the other dims are flattened into the columns), is
    estimated as ``u^T W v`` by power iteration. The parameter ``name`` is renamed
    ``<name>_orig``; the buffers ``<name>_u`` (shape ``(rows,)``) and ``<name>_v`` (shape
    ``(columns,)``) start as random unit vectors. Before every forward call in training mode
    ``n_power_iterations`` steps ``v = normalize(W^T u)``, ``u = normalize(W v)`` update them in
    place; in eval mode they are used as they are. ``module.<name>`` is then set to ``W / sigma``
    (before the first forward call it holds the unnormalized weight). ``state_dict()`` holds
    ``<name>_orig``, ``<name>_u`` and ``<name>_v``.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default ``"weight"``.
        n_power_iterations: power-iteration steps per forward call. Default 1.
        eps: lower bound of the norms when normalizing ``u`` and ``v``. Default 1e-12.
        dim: the dim that becomes the matrix's rows; None (default) means 1 for
            ``ConvTranspose1d/2d/3d`` and 0 otherwise.
    Returns:
        ``module``.
    Raises:
        TypeError: ``module`` is not a Module, ``name`` is not a str, or ``dim`` or
            ``n_power_iterations`` is not an int.
        ValueError: ``module`` has no parameter named ``name``, the parameter is 0-d, or
            ``n_power_iterations`` is not positive.
        IndexError: ``dim`` is outside ``[-w.dim(), w.dim() - 1]``.
        RuntimeError: ``name`` already carries a spectral_norm hook.
    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018;
        PyTorch's ``torch.nn.utils.spectral_norm``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import spectral_norm
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape, m.weight_v.shape
        ((40,), (20,))
    """
    fn = "spectral_norm"
    _check_power_iterations(fn, n_power_iterations)
    if dim is None:
        dim = _default_dim(module) if isinstance(module, Module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Removes the spectral-normalization hook that :func:`spectral_norm` installed.

    ``module.<name>`` becomes one Parameter again, holding the current ``W / sigma`` (computed
    from the stored ``u`` and ``v``, without a power-iteration step); ``<name>_orig``,
    ``<name>_u`` and ``<name>_v`` are removed.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default ``"weight"``.
    Returns:
        ``module``.
    Raises:
        ValueError: no spectral_norm hook on ``name``.
    Reference:
        PyTorch's ``torch.nn.utils.remove_spectral_norm``.
    Example:
        >>> from ember import nn
        >>> from ember.nn.utils import remove_spectral_norm, spectral_norm
        >>> m = remove_spectral_norm(spectral_norm(nn.Linear(2, 3)))
        >>> sorted(m.state_dict())
        ['bias', 'weight']
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(
        f"remove_spectral_norm: spectral_norm of '{name}' (name) not found in {module}"
    )
