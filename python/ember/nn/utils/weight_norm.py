"""Weight normalization through a forward pre-hook (PyTorch's ``torch.nn.utils.weight_norm``,
deprecated there in favour of :func:`ember.nn.utils.parametrizations.weight_norm`).

Also holds the two formulas both weight-norm APIs share: ``_norm_except_dim`` (PyTorch's
``torch.norm_except_dim``) and ``_weight_norm`` (``torch._weight_norm``).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..._C import Tensor
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


def _check_weight_norm_dim(fn: str, dim: Any, weight: Tensor, name: str) -> int:
    """``dim`` as the formulas take it: None becomes -1 (the norm over the whole tensor)."""
    if dim is None:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fn}: dim must be an int or None, got {type(dim).__name__}")
    ndim = weight.dim()
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"{fn}: dim {dim} is out of range for '{name}' of shape {tuple(weight.shape)}; "
            f"expected None or an int in [{-max(ndim, 1)}, {max(ndim, 1) - 1}]"
        )
    return dim


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim``, kept with size 1 (PyTorch's
    ``torch.norm_except_dim(v, 2, dim)``): shape ``(1, ..., v.shape[dim], ..., 1)``. ``dim`` -1
    means the norm of the whole tensor, a 0-d tensor; other negative dims count from the end."""
    from ... import norm

    if dim == -1:
        return norm(v)
    nd = v.dim()
    if nd == 0:
        return norm(v)
    if dim < 0:
        dim += nd
    sizes = [1] * nd
    sizes[dim] = v.shape[dim]
    if dim == 0:
        return norm(v.reshape(v.shape[0], -1), 2, 1).reshape(sizes)
    if dim == nd - 1:
        return norm(v.reshape(-1, v.shape[-1]), 2, 0).reshape(sizes)
    return _norm_except_dim(v.transpose(0, dim), 0).transpose(0, dim)


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``v * (g / ||v||)``, the norm taken as in :func:`_norm_except_dim` (PyTorch's
    ``torch._weight_norm(v, g, dim)``); differentiable in ``v`` and ``g``."""
    return v * (g / _norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that :func:`weight_norm` installs.

    Before each forward call it sets ``module.<name>`` to ``g * v / ||v||`` from the
    parameters ``<name>_g`` and ``<name>_v``.

    Args:
        name: the weight's name.
        dim: the dim kept by the norm; None (stored as -1) for the whole tensor.
    Reference:
        Salimans & Kingma, "Weight Normalization: A Simple Reparameterization to Accelerate
        Training of Deep Neural Networks", NeurIPS 2016; PyTorch's
        ``torch.nn.utils.weight_norm.WeightNorm``.
    """

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        """``g * v / ||v||`` from ``module.<name>_g`` and ``module.<name>_v``."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        """Replaces parameter ``name`` of ``module`` by ``<name>_g`` and ``<name>_v`` and
        installs the hook; see :func:`weight_norm`."""
        fn = "weight_norm"
        if not isinstance(module, Module):
            raise TypeError(f"{fn}: module must be an ember.nn.Module, got {type(module).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"{fn}: name must be a str, got {type(name).__name__}")
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"{fn}: cannot register two weight_norm hooks on the same parameter {name}"
                )
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(
                f"{fn}: module {module._get_name()} has no parameter named '{name}' (name); "
                f"expected one of {[k for k, p in module._parameters.items() if p is not None]}"
            )
        dim = _check_weight_norm_dim(fn, dim, weight, name)
        warnings.warn(
            "ember.nn.utils.weight_norm is deprecated in favor of "
            "ember.nn.utils.parametrizations.weight_norm.",
            FutureWarning,
            stacklevel=3,
        )
        hook = WeightNorm(name, dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, hook.compute_weight(module))
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module: Module) -> None:
        """Puts back ``module.<name>`` as one Parameter holding the current ``g * v / ||v||``."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Applies weight normalization to a parameter with a forward pre-hook (deprecated API).

    Rewrites ``w = g * v / ||v||``: the parameter ``name`` is replaced by the magnitude
    ``<name>_g`` (initialised to ``||w||``) and the direction ``<name>_v`` (initialised to
    ``w``), and before every forward call ``module.<name>`` is recomputed from them as a plain
    tensor attribute. The norm is the 2-norm over every dim except ``dim``, so ``<name>_g`` has
    shape ``(1, ..., w.shape[dim], ..., 1)``; with ``dim=None`` (or ``dim=-1``, which PyTorch
    reads the same way) it is the norm of the whole tensor and ``<name>_g`` is 0-d. Other
    negative dims count from the end. ``state_dict()`` holds ``<name>_g`` and ``<name>_v``.
    Emits a ``FutureWarning``, as PyTorch: prefer
    :func:`ember.nn.utils.parametrizations.weight_norm`.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default ``"weight"``.
        dim: the dim kept by the norm (0, the output channel, by default); None for the whole
            tensor.
    Returns:
        ``module``.
    Raises:
        TypeError: ``module`` is not a Module, or ``name`` is not a str, or ``dim`` is neither
            an int nor None.
        ValueError: ``module`` has no parameter named ``name``.
        IndexError: ``dim`` is outside ``[-w.dim(), w.dim() - 1]``.
        RuntimeError: ``name`` already carries a weight_norm hook.
    Reference:
        Salimans & Kingma, "Weight Normalization: A Simple Reparameterization to Accelerate
        Training of Deep Neural Networks", NeurIPS 2016; PyTorch's
        ``torch.nn.utils.weight_norm``.
    Example:
        >>> import warnings
        >>> from ember import nn
        >>> from ember.nn.utils import weight_norm
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.weight_g.shape, m.weight_v.shape
        ((40, 1), (40, 20))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Removes the weight-normalization hook that :func:`weight_norm` installed.

    ``module.<name>`` becomes one Parameter again, holding the current ``g * v / ||v||``;
    ``<name>_g`` and ``<name>_v`` are removed.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default ``"weight"``.
    Returns:
        ``module``.
    Raises:
        ValueError: no weight_norm hook on ``name``.
    Reference:
        PyTorch's ``torch.nn.utils.remove_weight_norm``.
    Example:
        >>> import warnings
        >>> from ember import nn
        >>> from ember.nn.utils import remove_weight_norm, weight_norm
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = remove_weight_norm(weight_norm(nn.Linear(2, 3)))
        >>> sorted(m.state_dict())
        ['bias', 'weight']
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"remove_weight_norm: weight_norm of '{name}' (name) not found in {module}")
