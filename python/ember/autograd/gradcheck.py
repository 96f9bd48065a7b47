"""Numerical gradient checks by central differences."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from .._C import Tensor

__all__ = ["gradcheck"]


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compares autograd's gradients of ``fn`` with central differences.

    For every input tensor with ``requires_grad=True`` (float64 recommended), each element is
    perturbed by ``±eps`` and ``(f(x+eps) - f(x-eps)) / (2 eps)`` is compared with the
    analytical Jacobian-vector products, output by output.

    Args:
        fn: function of ``inputs`` returning a tensor or a tuple of tensors.
        inputs: a tensor or a sequence of arguments.
        eps: finite-difference step. Default 1e-6.
        atol, rtol: tolerances of ``|numeric - analytic| <= atol + rtol * |numeric|``.
        raise_exception: raise on mismatch instead of returning False.
    Returns:
        bool: True when every gradient matches.
    Raises:
        RuntimeError: a mismatch (with the input, output and element index), when
            ``raise_exception``.
    """
    from . import grad as autograd_grad
    from .. import no_grad

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck: no input has requires_grad=True")

    def outputs_of(args: Sequence[Any]) -> list[Tensor]:
        """The tensor outputs of ``fn(*args)`` as a list (non-tensor outputs dropped)."""
        out = fn(*args)
        return [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]

    outs = outputs_of(inputs)
    for oi, out in enumerate(outs):
        if not out.requires_grad:
            continue
        n_out = out.numel()
        for i in diff_idx:
            x = inputs[i]
            # Analytical Jacobian: one backward per output element.
            analytic = np.zeros((n_out, x.numel()))
            for k in range(n_out):
                g = np.zeros(n_out)
                g[k] = 1.0
                gt = _like(out, g)
                outs_k = outputs_of(inputs)
                (gx,) = autograd_grad([outs_k[oi]], [x], [gt], allow_unused=True)
                if gx is not None:
                    analytic[k] = gx.detach().numpy().reshape(-1)
            numeric = np.zeros((n_out, x.numel()))
            flat = x.detach().numpy().reshape(-1) if x.is_contiguous() else None
            if flat is None:
                raise ValueError("gradcheck: inputs must be contiguous")
            with no_grad():
                for j in range(x.numel()):
                    orig = flat[j]
                    flat[j] = orig + eps
                    plus = outputs_of(inputs)[oi].detach().numpy().reshape(-1).astype(np.float64)
                    flat[j] = orig - eps
                    minus = outputs_of(inputs)[oi].detach().numpy().reshape(-1).astype(np.float64)
                    flat[j] = orig
                    numeric[:, j] = (plus - minus) / (2 * eps)
            bad = np.abs(numeric - analytic) > atol + rtol * np.abs(numeric)
            if bad.any():
                k, j = np.argwhere(bad)[0]
                msg = (
                    f"gradcheck: Jacobian mismatch for output {oi} with respect to input {i}, "
                    f"output element {k}, input element {j}: numerical {numeric[k, j]!r} vs "
                    f"analytical {analytic[k, j]!r}"
                )
                if raise_exception:
                    raise RuntimeError(msg)
                return False
    return True


def _like(t: Tensor, values: np.ndarray) -> Tensor:
    from .. import _C

    np_dtype = np.float64 if t.dtype == _C.dtype.float64 else np.float32
    return _C.from_numpy(values.reshape(tuple(t.shape)).astype(np_dtype))
