"""Spatial sampling and max unpooling (re-exported by ``ember.nn.functional``): ``affine_grid``,
``grid_sample``, ``max_unpool1d``, ``max_unpool2d`` and ``max_unpool3d``.

Each is a composition of ember tensor ops, so autograd (input, grid and theta gradients) and
``ember.jit`` follow it; there is no Python loop over elements, rows or samples.

* ``affine_grid`` multiplies a base grid of normalized coordinates by ``theta``.
* ``grid_sample`` turns every grid point into a few taps per spatial dim (2 for bilinear, 4 for
  bicubic, 1 for nearest), each an integer coordinate and a weight. The taps of all dims are
  combined by broadcasting into flat row indices of a channels-last copy of ``input`` that ends
  in one zero row per sample; taps outside the input read that zero row. One row lookup
  (the embedding op: its backward scatter-adds into ``input``) and a weighted sum give the
  output. The weights are differentiable functions of the grid, so the grid gradient is the
  derivative of the interpolation formula, PyTorch's.
* ``max_unpool*d`` scatters the values into a zero tensor at the flat per-plane indices that
  ``max_pool*d(return_indices=True)`` returns; its backward gathers at the same indices.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

from .. import _C, arange, cat, floor, int64, isfinite, isnan, linspace, ones, stack, where, zeros
from .._C import Tensor

__all__ = ["affine_grid", "grid_sample", "max_unpool1d", "max_unpool2d", "max_unpool3d"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
# Keys' cubic convolution parameter; PyTorch's bicubic grid_sample and interpolate use -0.75.
_CUBIC_A = -0.75


def _dt(t: Tensor) -> str:
    return str(t.dtype).replace("ember.", "")


def _shape(t: Tensor) -> tuple[int, ...]:
    return tuple(int(s) for s in t.shape)


def _check_tensor(x: Any, name: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")


def _align_corners(align_corners: bool | None) -> bool:
    """``align_corners`` as a bool: None warns (PyTorch's UserWarning) and means False."""
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False "
            "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
            "See the documentation of grid_sample for details.",
            UserWarning,
            stacklevel=3,
        )
        return False
    return bool(align_corners)


# ---- affine_grid -------------------------------------------------------------------------


def _normalized_steps(steps: int, align_corners: bool, dtype: Any) -> Tensor:
    """``steps`` evenly spaced coordinates in [-1, 1]: pixel corners with ``align_corners``,
    else pixel centres (``linspace(-1, 1) * (steps - 1) / steps``); a single step is 0."""
    if steps <= 1:
        return zeros(max(steps, 0), dtype=dtype)
    r = linspace(-1.0, 1.0, steps, dtype=dtype)
    return r if align_corners else r * ((steps - 1) / steps)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """Sampling grid of an affine transform, for :func:`grid_sample` (spatial transformers).

    Each output location gets normalized coordinates ``(x, y)`` (2-D) or ``(x, y, z)`` (3-D)
    in [-1, 1] (``x`` runs along the width); the grid holds ``theta[n] @ (x, y, 1)`` (or
    ``(x, y, z, 1)``). With ``align_corners`` the extremes -1 and 1 are the centres of the
    corner pixels, ``linspace(-1, 1, W)``; without, they are the corners' outer edges, so the
    coordinates are ``linspace(-1, 1, W) * (W - 1) / W``. A size-1 dim has the coordinate 0.

    Args:
        theta: affine matrices, ``(N, 2, 3)`` for a 4-D ``size`` or ``(N, 3, 4)`` for a 5-D
            ``size``, float32 or float64. Differentiable.
        size: target output size ``(N, C, H, W)`` or ``(N, C, D, H, W)`` (ints); ``C`` is not
            used.
        align_corners: see above. Default None, which warns (UserWarning) and means False, as
            PyTorch.
    Returns:
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)`` grid of ``theta``'s dtype.
    Raises:
        TypeError: ``theta`` not a Tensor, or ``size`` not a sequence of ints.
        ValueError: non-floating ``theta``; ``theta`` not ``(N, 2, 3)`` / ``(N, 3, 4)``, or
            its batch size not ``size[0]``; a non-positive entry of ``size`` (PyTorch allows
            size-1 spatial dims with ``align_corners=True`` with a warning; so does this).
        NotImplementedError: ``size`` of length other than 4 or 5.
    Reference:
        Jaderberg et al., "Spatial Transformer Networks", NeurIPS 2015 (the grid generator).
    Example:
        >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(theta, (1, 1, 1, 2), align_corners=False)
        tensor([[[[-0.5000,  0.0000],
                  [ 0.5000,  0.0000]]]])
    """
    op = "affine_grid"
    _check_tensor(theta, "theta", op)
    align = _align_corners(align_corners)
    if not theta.is_floating_point():
        raise ValueError(
            f"{op}: expected theta to have a floating point dtype (float32 or float64), got "
            f"{_dt(theta)}"
        )
    try:
        size = tuple(operator.index(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}: size must be a sequence of ints, got {size!r}") from None
    if len(size) == 4:
        rows, kind = 2, "2D"
    elif len(size) == 5:
        rows, kind = 3, "3D"
    else:
        raise NotImplementedError(
            f"{op}: only 4-D (N, C, H, W) and 5-D (N, C, D, H, W) sizes are supported, for 2-D "
            f"and 3-D affine transforms respectively; got size {size}"
        )
    if theta.dim() != 3 or _shape(theta)[1:] != (rows, rows + 1):
        raise ValueError(
            f"{op}: expected a batch of {kind} affine matrices of shape (N, {rows}, {rows + 1}) "
            f"for size {size}, got theta of shape {_shape(theta)}"
        )
    spatial = size[2:]
    if align and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    if min(size) < 0 or (min(size) == 0 and not (align and min(spatial) == 1)):
        raise ValueError(f"{op}: expected a non-zero, positive output size, got size {size}")
    if int(theta.shape[0]) != size[0]:
        raise ValueError(
            f"{op}: theta has batch size {int(theta.shape[0])} (shape {_shape(theta)}) but "
            f"size[0] is {size[0]}; they must be equal"
        )
    n = size[0]
    # Coordinates listed x (width) first: reversed spatial order.
    axes = [_normalized_steps(s, align, theta.dtype) for s in reversed(spatial)]
    k = len(spatial)
    cols = []
    for i, ax in enumerate(axes):
        shape = [1] * k
        shape[k - 1 - i] = int(ax.shape[0])
        cols.append(ax.reshape(shape).expand(*spatial))
    cols.append(ones(*spatial, dtype=theta.dtype))
    base = stack(cols, -1).reshape([1, math.prod(spatial), k + 1])
    grid = _C.matmul(base, theta.transpose(1, 2))
    return grid.reshape([n, *spatial, k])


# ---- grid_sample -------------------------------------------------------------------------


def _unnormalize(coord: Tensor, size: int, align: bool, vectorized_form: bool) -> Tensor:
    """Normalized [-1, 1] coordinate to pixel units: ``(c + 1) / 2 * (size - 1)`` with
    ``align``, else ``((c + 1) * size - 1) / 2``. ``vectorized_form`` groups the products as
    PyTorch's 2-D CPU kernel does (equal up to rounding)."""
    if vectorized_form:
        if align:
            return (coord + 1) * ((size - 1) / 2)
        return (coord + 1) * (size / 2) - 0.5
    if align:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _connected_zeros(t: Tensor) -> Tensor:
    """Zeros shaped like ``t`` whose gradient with respect to ``t`` is zero rather than absent,
    so that ``grid.grad`` is a zero tensor (as PyTorch's) instead of None."""
    return where(isfinite(t), t, 0.0) * 0


def _clip(coord: Tensor, size: int) -> Tensor:
    """``coord`` clamped to ``[0, size - 1]``; the gradient is 0 at and beyond the borders
    (PyTorch counts the borders as outside for the gradient)."""
    hi = float(size - 1)
    return where(coord <= 0, 0.0, where(coord >= hi, hi, coord))


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """``coord`` mirrored back and forth into ``[twice_low / 2, twice_high / 2]``; each
    reflection flips the sign of the gradient."""
    if twice_low == twice_high:
        return _connected_zeros(coord)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    t = coord - low
    t = where(t < 0, -t, t)
    flips = floor(t / span)
    extra = t - flips * span
    odd = _C.remainder(flips, 2) == 1
    return where(odd, span - extra, extra) + low


def _pad_coord(
    coord: Tensor, size: int, padding_mode: str, align: bool, five_d: bool = False
) -> Tensor:
    """PyTorch's ``compute_coordinates``: nothing for ``zeros``, a clip for ``border``, a
    reflection about the border pixels' centres (``align``) or outer edges, then a clip, for
    ``reflection``.

    A NaN left by the clip (a NaN coordinate, or an infinite one reflected) becomes PyTorch's
    result: 0 in its 2-D kernel, ``size - 1`` in its 3-D one. With ``five_d`` a remaining
    non-finite coordinate becomes -100 (outside), as PyTorch's 3-D kernel does."""
    if padding_mode in ("border", "reflection"):
        if padding_mode == "reflection":
            if align:
                coord = _reflect(coord, 0, 2 * (size - 1))
            else:
                coord = _reflect(coord, -1, 2 * size - 1)
        coord = _clip(coord, size)
        coord = where(isnan(coord), float(size - 1) if five_d else 0.0, coord)
    if five_d:
        coord = where(isfinite(coord), coord, -100.0)
    return coord


def _cubic_weights(t: Tensor) -> Tensor:
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 for a fractional
    position ``t`` in [0, 1), ``A = -0.75``: ``W(x) = (A + 2)|x|^3 - (A + 3)|x|^2 + 1`` for
    ``|x| <= 1``, ``A|x|^3 - 5A|x|^2 + 8A|x| - 4A`` for ``1 < |x| < 2``. Shape ``t.shape + (4,)``.
    """
    a = _CUBIC_A

    def near(x: Tensor) -> Tensor:
        """The kernel for ``|x| <= 1``."""
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Tensor) -> Tensor:
        """The kernel for ``1 < |x| < 2``."""
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return stack([far(t + 1), near(t), near(1 - t), far(2 - t)], -1)


def _taps(
    coord: Tensor, size: int, mode: str, padding_mode: str, align: bool, five_d: bool
) -> tuple[Tensor, Tensor | None]:
    """Tap coordinates (float, no gradient, already padded) and weights (differentiable in
    ``coord``; None for nearest) along one spatial dim; both shaped ``coord.shape + (taps,)``."""
    if mode == "bicubic":
        # The taps around the unpadded position are padded one by one (PyTorch's 2-D kernel).
        base = floor(coord).detach()
        w = _cubic_weights(coord - base)
        offsets = [-1.0, 0.0, 1.0, 2.0]
        taps = stack([_pad_coord(base + o, size, padding_mode, align) for o in offsets], -1)
        # A reflected integer may come back a rounding error off an integer.
        taps = _C.round(taps)
        return taps, w
    coord = _pad_coord(coord, size, padding_mode, align, five_d)
    if mode == "nearest":
        return _C.round(coord).detach().unsqueeze(-1), None
    lo = floor(coord).detach()
    hi = lo + 1
    if five_d:
        w = stack([hi - coord, coord - lo], -1)
    else:
        frac = coord - lo
        w = stack([1 - frac, frac], -1)
    return stack([lo, hi], -1), w


def _check_grid_sample(input: Any, grid: Any, mode: str, op: str) -> None:
    _check_tensor(input, "input", op)
    _check_tensor(grid, "grid", op)
    if input.dim() not in (4, 5):
        raise ValueError(
            f"{op}: expected a 4-D (N, C, H_in, W_in) or 5-D (N, C, D_in, H_in, W_in) input, "
            f"got input of shape {_shape(input)}"
        )
    k = input.dim() - 2
    if grid.dim() != input.dim():
        raise ValueError(
            f"{op}: expected a {input.dim()}-D grid for a {input.dim()}-D input, got input of "
            f"shape {_shape(input)} and grid of shape {_shape(grid)}"
        )
    if int(grid.shape[-1]) != k:
        raise ValueError(
            f"{op}: expected grid to have size {k} in its last dim (one coordinate per spatial "
            f"dim of input {_shape(input)}), got grid of shape {_shape(grid)}"
        )
    if int(grid.shape[0]) != int(input.shape[0]):
        raise ValueError(
            f"{op}: expected grid and input to have the same batch size, got input of shape "
            f"{_shape(input)} and grid of shape {_shape(grid)}"
        )
    if not input.is_floating_point():
        raise TypeError(f"{op}: expected input to be float32 or float64, got {_dt(input)}")
    if grid.dtype != input.dtype:
        raise TypeError(f"{op}: expected grid to have input's dtype {_dt(input)}, got {_dt(grid)}")
    if any(int(s) == 0 for s in input.shape[2:]):
        raise ValueError(
            f"{op}: expected input to have non-empty spatial dims, got input of shape "
            f"{_shape(input)}"
        )
    if mode == "bicubic" and k == 3:
        raise ValueError(
            f"{op}: mode 'bicubic' supports only 4-D input, got input of shape {_shape(input)}"
        )


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Samples ``input`` at the normalized locations in ``grid`` (spatial transformer sampler).

    ``grid[n, h, w]`` holds ``(x, y)`` (4-D input) or ``grid[n, d, h, w]`` holds ``(x, y, z)``
    (5-D input): normalized coordinates in which -1 and 1 are the left/top(/front) and
    right/bottom(/back) extremes of ``input``'s width, height (and depth). A coordinate ``c``
    of a dim of size ``S`` is the pixel position ``(c + 1) / 2 * (S - 1)`` with
    ``align_corners`` (extremes at the corner pixels' centres), else ``((c + 1) * S - 1) / 2``
    (extremes at their outer edges). Positions outside are handled by ``padding_mode``:
    ``"zeros"`` reads 0 outside the input; ``"border"`` clamps the position to
    ``[0, S - 1]``; ``"reflection"`` mirrors it about the border pixels' centres
    (``align_corners``) or outer edges, then clamps. Then ``mode`` interpolates:

    * ``"bilinear"``: the ``2^k`` neighbours ``floor(p)`` and ``floor(p) + 1`` in each dim,
      weighted by ``(1 - f)`` and ``f`` with ``f = p - floor(p)`` (trilinear for 5-D input).
    * ``"nearest"``: the pixel at ``round(p)``, halves to even.
    * ``"bicubic"`` (4-D only): 4 x 4 taps ``floor(p) - 1 .. floor(p) + 2`` weighted by Keys'
      cubic convolution with ``A = -0.75``; the padding mode is applied to each tap.

    Gradients flow to ``input`` (a scatter-add of the weighted output gradient) and ``grid``
    (the derivative of the weights; zero for ``"nearest"``, and zero where a clamp is active,
    including exactly at the border, as PyTorch).

    Args:
        input: ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``, float32 or float64,
            non-empty spatial dims.
        grid: ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``, ``input``'s dtype.
        mode: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        padding_mode: ``"zeros"`` (default), ``"border"`` or ``"reflection"``.
        align_corners: see above. Default None, which warns (UserWarning) and means False, as
            PyTorch.
    Returns:
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, ``input``'s dtype.
    Raises:
        TypeError: a non-Tensor argument, non-floating input, or a grid of another dtype.
        ValueError: an unknown ``mode`` or ``padding_mode``; input not 4-D or 5-D; a grid of
            another rank, batch size, or last dim not 2 (4-D) / 3 (5-D); an empty spatial dim;
            ``"bicubic"`` with 5-D input.
    Reference:
        Jaderberg et al., "Spatial Transformer Networks", NeurIPS 2015 (bilinear sampling);
        Keys, "Cubic Convolution Interpolation for Digital Image Processing", IEEE Trans.
        ASSP 1981 (bicubic, with PyTorch's ``A = -0.75``).
    Example:
        >>> img = ember.arange(4.0).reshape(1, 1, 2, 2)
        >>> grid = ember.tensor([[[[0.0, 0.0], [-1.0, -1.0]]]])
        >>> F.grid_sample(img, grid, align_corners=True)
        tensor([[[[1.5000, 0.0000]]]])
    """
    op = "grid_sample"
    if mode not in _MODES:
        raise ValueError(
            f"{op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', got {mode!r}"
        )
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"{op}: expected padding_mode to be 'zeros', 'border' or 'reflection', got "
            f"{padding_mode!r}"
        )
    align = _align_corners(align_corners)
    _check_grid_sample(input, grid, mode, op)

    k = input.dim() - 2
    n, c = int(input.shape[0]), int(input.shape[1])
    sizes = [int(s) for s in input.shape[2:]]  # (D,) H, W
    out_sizes = [int(s) for s in grid.shape[1:-1]]
    p = math.prod(out_sizes)
    plane = math.prod(sizes)
    g = grid.reshape([n, p, k])

    # Per spatial dim (D, H, W order), tap coordinates and weights shaped (N, P, taps).
    taps_per_dim = []
    for d in range(k):
        coord = _unnormalize(g.select(-1, k - 1 - d), sizes[d], align, vectorized_form=k == 2)
        taps_per_dim.append(_taps(coord, sizes[d], mode, padding_mode, align, k == 3))

    # Broadcast the dims' taps against each other: dim d occupies axis 2 + d of (N, P, t...).
    index = valid = weight = None
    stride = plane
    for d, (taps, w) in enumerate(taps_per_dim):
        stride //= sizes[d]
        shape = [n, p] + [1] * k
        shape[2 + d] = int(taps.shape[-1])
        ok = (taps >= 0) & (taps <= sizes[d] - 1)
        pos = where(ok, taps, 0.0).to(int64).reshape(shape) * stride
        ok = ok.reshape(shape)
        index = pos if index is None else index + pos
        valid = ok if valid is None else valid & ok
        if w is not None:
            w = w.reshape(shape)
            weight = w if weight is None else weight * w

    # Rows of a channels-last copy of input with one zero row per sample at position `plane`.
    rows = input.reshape([n, c, plane]).transpose(1, 2)
    table = cat([rows, zeros(n, 1, c, dtype=input.dtype)], 1).reshape([n * (plane + 1), c])
    offset = (arange(n, dtype=int64) * (plane + 1)).reshape([n] + [1] * (k + 1))
    index = where(valid, index, plane) + offset
    n_taps = math.prod(int(s) for s in index.shape[2:])
    values = _C._embedding(table, index.reshape([n, p, n_taps]), -1)  # (N, P, taps, C)

    if weight is None:  # nearest
        out = values.squeeze(2)
        if grid.requires_grad and _C.is_grad_enabled():
            out = out + _connected_zeros(g).sum(-1, keepdim=True)
    else:
        out = (values * weight.reshape([n, p, n_taps, 1])).sum(2)
    return out.transpose(1, 2).reshape([n, c, *out_sizes]).contiguous()


# ---- max_unpool --------------------------------------------------------------------------


def _int_tuple(v: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """``v`` (an int, or a sequence of 1 or ``n`` ints) as an n-tuple of ints."""
    msg = f"{op}: {name} must be an int or a sequence of {n} ints, got {v!r}"
    if isinstance(v, bool):
        raise TypeError(msg)
    try:
        return (operator.index(v),) * n
    except TypeError:
        pass
    try:
        t = tuple(v)
    except TypeError:
        raise TypeError(msg) from None
    if len(t) == 1:
        t = t * n
    if len(t) != n or any(isinstance(e, bool) for e in t):
        raise ValueError(msg)
    try:
        return tuple(operator.index(e) for e in t)
    except TypeError:
        raise TypeError(msg) from None


def _unpool_output_size(
    op: str,
    input: Tensor,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_size: Any,
) -> list[int]:
    """PyTorch's unpooling output size: ``(in - 1) * stride - 2 * padding + kernel`` per dim,
    or ``output_size`` (its spatial part), which must lie strictly within ``stride`` of it."""
    n = len(kernel)
    in_sizes = _shape(input)[-n:]
    default = [(in_sizes[d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        out = default
    else:
        try:
            out = [operator.index(s) for s in output_size]
        except TypeError:
            raise TypeError(
                f"{op}: output_size must be a sequence of ints, got {output_size!r}"
            ) from None
        if len(out) == n + 2:
            out = out[2:]
        if len(out) != n:
            raise ValueError(
                f"{op}: output_size should be a sequence containing {n} or {n + 2} elements, "
                f"got {tuple(output_size)} of length {len(out)}"
            )
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < out[d] < hi:
                raise ValueError(
                    f"{op}: invalid output_size {tuple(output_size)} (dim {d} must be between "
                    f"{lo} and {hi}, exclusive, for input of shape {_shape(input)})"
                )
    for d in range(n):
        if out[d] < 0:
            raise ValueError(
                f"{op}: output_size must contain non-negative spatial dims, got "
                f"output_size[{d}]={out[d]} for input of shape {_shape(input)}"
            )
    return out


def _max_unpool(
    n_dims: int,
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
) -> Tensor:
    op = f"max_unpool{n_dims}d"
    _check_tensor(input, "input", op)
    _check_tensor(indices, "indices", op)
    if input.dim() not in (n_dims + 1, n_dims + 2):
        raise ValueError(
            f"{op}: expected a {n_dims + 1}-D or {n_dims + 2}-D input, got input of shape "
            f"{_shape(input)}"
        )
    if not input.is_floating_point():
        raise TypeError(f"{op}: expected input to be float32 or float64, got {_dt(input)}")
    if indices.dtype != int64:
        raise TypeError(f"{op}: expected indices to be int64, got {_dt(indices)}")
    if _shape(indices) != _shape(input):
        raise ValueError(
            f"{op}: expected indices of the input's shape {_shape(input)}, got indices of shape "
            f"{_shape(indices)}"
        )
    kernel = _int_tuple(kernel_size, n_dims, "kernel_size", op)
    step = kernel if stride is None else _int_tuple(stride, n_dims, "stride", op)
    pad = _int_tuple(padding, n_dims, "padding", op)
    if any(v <= 0 for v in kernel + step):
        raise ValueError(
            f"{op}: kernel_size and stride must be positive, got kernel_size {kernel} and "
            f"stride {step}"
        )
    if any(v < 0 for v in pad):
        raise ValueError(f"{op}: padding must be non-negative, got {pad}")
    out_sizes = _unpool_output_size(op, input, kernel, step, pad, output_size)

    batched = input.dim() == n_dims + 2
    x = input if batched else input.unsqueeze(0)
    idx = indices if batched else indices.unsqueeze(0)
    nb, c = int(x.shape[0]), int(x.shape[1])
    plane = math.prod(out_sizes)
    k = math.prod(int(s) for s in x.shape[2:])  # not -1: an empty batch or channel dim is valid
    flat_idx = idx.reshape([nb, c, k])
    if _C._jit_is_tracing():
        # A trace cannot read the indices; scatter rejects those past the end, and negative
        # ones (which scatter would count from the end) are sent past the end too.
        flat_idx = where(flat_idx < 0, plane, flat_idx)
    elif flat_idx.numel() > 0:
        lo, hi = int(flat_idx.min().item()), int(flat_idx.max().item())
        if lo < 0 or hi >= plane:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"{op}: found an invalid max index {bad}: output planes are of size "
                f"{'x'.join(str(s) for s in out_sizes)}, so indices must be in [0, {plane}) "
                f"(input of shape {_shape(input)})"
            )
    out = zeros(nb, c, plane, dtype=input.dtype).scatter(2, flat_idx, x.reshape([nb, c, k]))
    out = out.reshape([nb, c, *out_sizes])
    return out if batched else out.squeeze(0)


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Partial inverse of :func:`max_pool1d`: puts each value at its index, zeros elsewhere.

    ``out[n, c, indices[n, c, l]] = input[n, c, l]``; where an index repeats, one of its values
    is kept (equal values when the indices come from a max pooling).

    Args:
        input: ``(N, C, L_in)`` or ``(C, L_in)``, float32 or float64.
        indices: int64 positions in ``[0, L_out)``, ``input``'s shape, as returned by
            ``max_pool1d(..., return_indices=True)``.
        kernel_size: the pooling window, int or 1-sequence.
        stride: int or 1-sequence; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or 1-sequence. Default 0.
        output_size: ``(L_out,)`` or ``(N, C, L_out)``; default ``(L_in - 1) * stride -
            2 * padding + kernel_size``. Needed when several input sizes pool to the same size;
            it must lie strictly within ``stride`` of the default.
    Returns:
        ``(N, C, L_out)`` (or ``(C, L_out)``), ``input``'s dtype; differentiable in ``input``.
    Raises:
        TypeError: non-Tensor arguments, non-floating input, non-int64 indices, or bad
            ``kernel_size``/``stride``/``padding`` types.
        ValueError: input not 2-D or 3-D, ``indices`` of another shape, non-positive kernel or
            stride, negative padding, or a bad ``output_size``.
        IndexError: an index outside ``[0, L_out)`` (inside an ``ember.jit`` trace, which
            cannot read the indices, the message comes from the scatter).
    Example:
        >>> F.max_unpool1d(ember.tensor([[[5.0, 7.0]]]), ember.tensor([[[1, 2]]]), 2)
        tensor([[[0., 5., 7., 0.]]])
    """
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Partial inverse of :func:`max_pool2d`: puts each value at its index, zeros elsewhere.

    ``out[n, c].flatten()[indices[n, c, h, w]] = input[n, c, h, w]``: the indices are flat
    positions ``h * W_out + w`` within each channel plane, PyTorch's (and ember's max pooling)
    convention. Where an index repeats, one of its values is kept.

    Args:
        input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``, float32 or float64.
        indices: int64 in ``[0, H_out * W_out)``, ``input``'s shape, as returned by
            ``max_pool2d(..., return_indices=True)``.
        kernel_size: the pooling window, int or pair.
        stride: int or pair; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or pair. Default 0.
        output_size: ``(H_out, W_out)`` or ``(N, C, H_out, W_out)``; default
            ``(in - 1) * stride - 2 * padding + kernel_size`` per dim. Each entry must lie
            strictly within ``stride`` of the default.
    Returns:
        ``(N, C, H_out, W_out)`` (or unbatched), ``input``'s dtype; differentiable in
        ``input`` (the gradient is the output gradient gathered at ``indices``).
    Raises:
        TypeError: non-Tensor arguments, non-floating input, non-int64 indices, or bad
            ``kernel_size``/``stride``/``padding`` types.
        ValueError: input not 3-D or 4-D, ``indices`` of another shape, non-positive kernel or
            stride, negative padding, or a bad ``output_size``.
        IndexError: an index outside ``[0, H_out * W_out)`` (inside an ``ember.jit`` trace,
            which cannot read the indices, the message comes from the scatter).
    Example:
        >>> x = ember.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> v, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(v, i, 2)
        tensor([[[[0., 0.],
                  [0., 4.]]]])
    """
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Partial inverse of :func:`max_pool3d`: puts each value at its index, zeros elsewhere.

    The indices are flat positions ``d * H_out * W_out + h * W_out + w`` within each channel
    volume (as ``max_pool3d(return_indices=True)`` returns); otherwise as :func:`max_unpool2d`.

    Args:
        input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``, float32 or float64.
        indices: int64 in ``[0, D_out * H_out * W_out)``, ``input``'s shape.
        kernel_size: the pooling window, int or triple.
        stride: int or triple; default (None) is ``kernel_size``.
        padding: the pooling's padding, int or triple. Default 0.
        output_size: ``(D_out, H_out, W_out)`` or with ``(N, C)`` in front; default
            ``(in - 1) * stride - 2 * padding + kernel_size`` per dim.
    Returns:
        ``(N, C, D_out, H_out, W_out)`` (or unbatched), ``input``'s dtype; differentiable in
        ``input``.
    Raises:
        TypeError: non-Tensor arguments, non-floating input, non-int64 indices, or bad
            ``kernel_size``/``stride``/``padding`` types.
        ValueError: input not 4-D or 5-D, ``indices`` of another shape, non-positive kernel or
            stride, negative padding, or a bad ``output_size``.
        IndexError: an index outside the output volume (inside an ``ember.jit`` trace, which
            cannot read the indices, the message comes from the scatter).
    Example:
        >>> x = ember.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> v, i = F.max_pool3d(x, 2, return_indices=True)
        >>> F.max_unpool3d(v, i, 2).flatten()
        tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)
