"""``parameters_to_vector`` / ``vector_to_parameters`` (PyTorch's
``torch.nn.utils.convert_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..._C import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-D tensor (differentiable).

    Args:
        parameters: an iterable of tensors (a module's ``parameters()``).
    Returns:
        Tensor of shape ``(sum of numel,)``.
    Raises:
        TypeError: ``parameters`` is a single tensor (PyTorch's rule: pass an iterable).
    Example:
        >>> m = ember.nn.Linear(3, 2)
        >>> parameters_to_vector(m.parameters()).shape
        (8,)
    """
    from ... import cat

    if isinstance(parameters, Tensor):
        raise TypeError("parameters_to_vector: expected an iterable of tensors, got a Tensor")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of ``vec`` into the parameters (in place, no autograd), the
    inverse of :func:`parameters_to_vector`.

    Args:
        vec: 1-D tensor with exactly as many elements as the parameters hold together.
        parameters: an iterable of tensors.
    Raises:
        TypeError: ``vec`` is not a tensor.
        ValueError: ``vec`` is not 1-D or its length differs from the parameters' total.
    """
    from ... import no_grad

    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}; expected "
                         f"({total},), the parameters' total size")
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec[offset:offset + n].reshape(tuple(p.shape)))
            offset += n
