"""Image transforms (torchvision's names), applied to one image or to a whole batch at once.

Every transform accepts:

- an ember tensor ``(C, H, W)`` (one image) or ``(N, C, H, W)`` (a batch), any dtype;
- a numpy ``uint8`` array ``(H, W)`` (one grayscale image), ``(N, H, W)`` (a batch of
  grayscale images) or ``(N, H, W, C)`` (a batch of channels-last images).

and returns the same kind of object in the same layout (except :class:`ToTensor`, which turns
numpy images into float32 ember tensors ``(C, H, W)`` / ``(N, C, H, W)`` in [0, 1]).

Random transforms draw independent parameters for every image of a batch in one call
(vectorized with numpy, no per-pixel Python). The random numbers come from ember's generator:
the ``generator`` given to the transform, else the default one, so ``ember.manual_seed(s)``
makes them reproducible (numpy's global seed does not affect them).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _C
from .._C import Generator, Tensor

__all__ = [
    "Compose",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "ToTensor",
]


# ---- layout helpers -------------------------------------------------------------------------


class _Batch:
    """An input canonicalized to a numpy (N, C, H, W) array, with the way back."""

    def __init__(self, img: Any, name: str) -> None:
        self.is_tensor = isinstance(img, Tensor)
        if self.is_tensor:
            if img.dim() not in (3, 4):
                raise ValueError(
                    f"{name}: expected a tensor image (C, H, W) or batch (N, C, H, W), got shape "
                    f"{tuple(img.shape)}"
                )
            self.single = img.dim() == 3
            arr = img.detach().contiguous().numpy()
            self.array = arr[None] if self.single else arr
            self.dtype = img.dtype
        elif isinstance(img, np.ndarray):
            if img.ndim not in (2, 3, 4):
                raise ValueError(
                    f"{name}: expected a numpy image (H, W) or batch (N, H, W) / (N, H, W, C), "
                    f"got shape {img.shape}"
                )
            self.ndim = img.ndim
            self.single = img.ndim == 2
            if img.ndim == 2:
                self.array = img[None, None]
            elif img.ndim == 3:
                self.array = img[:, None]
            else:
                self.array = img.transpose(0, 3, 1, 2)
        else:
            raise TypeError(
                f"{name}: expected an ember tensor or a numpy array, got {type(img).__name__}"
            )

    def back(self, arr: np.ndarray) -> Any:
        """Converts a (N, C, H, W) result back to the caller's type and layout (tensor or array, single image or batch)."""
        if self.is_tensor:
            out = arr[0] if self.single else arr
            return _C.from_numpy(np.ascontiguousarray(out))
        if self.ndim == 2:
            return np.ascontiguousarray(arr[0, 0])
        if self.ndim == 3:
            return np.ascontiguousarray(arr[:, 0])
        return np.ascontiguousarray(arr.transpose(0, 2, 3, 1))


def _uniform(n: int, generator: Generator | None) -> np.ndarray:
    """``n`` float64 draws uniform on [0, 1) from ember's generator."""
    from .. import float64, rand

    if n == 0:
        return np.zeros(0)
    return rand(n, generator=generator, dtype=float64).numpy()


def _randint(high: np.ndarray, generator: Generator | None) -> np.ndarray:
    """One integer uniform on ``[0, high[i]]`` for each entry of ``high``."""
    u = _uniform(len(high), generator)
    return np.minimum((u * (high + 1)).astype(np.int64), high)


# ---- transforms ------------------------------------------------------------------------------


class Compose:
    """Applies ``transforms`` one after the other.

    Args:
        transforms: list of callables.
    Example:
        >>> t = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        """Applies each transform in order to ``img``; returns the last result."""
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class ToTensor:
    """Converts numpy ``uint8`` images to float32 ember tensors in [0, 1] (pixel / 255).

    ``(H, W)`` -> ``(1, H, W)``; ``(N, H, W)`` -> ``(N, 1, H, W)``; ``(N, H, W, C)`` ->
    ``(N, C, H, W)``. An ember tensor passes through: uint8 is divided by 255, other integer
    dtypes are converted to float32, floating tensors are returned unchanged.

    Raises:
        TypeError: neither an ember tensor nor a numpy array.
        ValueError: an array with fewer than 2 or more than 4 dims.
    """

    def __call__(self, pic: Any) -> Tensor:
        """Converts ``pic``; see the class docstring."""
        from .. import float32, uint8

        if isinstance(pic, Tensor):
            if pic.dtype == uint8:
                return pic.to(float32) / 255.0
            return pic if pic.is_floating_point() else pic.to(float32)
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: expected a numpy array or tensor, got {type(pic).__name__}")
        b = _Batch(pic, "ToTensor")
        arr = b.array
        out = arr.astype(np.float32) / np.float32(255.0) if arr.dtype == np.uint8 else arr
        if not np.issubdtype(out.dtype, np.floating):
            out = out.astype(np.float32)
        out = out[0] if b.single else out
        return _C.from_numpy(np.ascontiguousarray(out))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for every channel ``c`` (dim -3).

    Args:
        mean: one value per channel (or one for all).
        std: one nonzero value per channel (or one for all).
        inplace: accepted for compatibility; a new tensor is returned.
    Input:
        floating ember tensor ``(C, H, W)`` or ``(N, C, H, W)``.
    Raises:
        ValueError: a zero std, or ``mean``/``std`` lengths not 1 or ``C``.
        TypeError: not a floating ember tensor.
    """

    def __init__(
        self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False
    ) -> None:
        self.mean = tuple(mean) if isinstance(mean, Sequence) else (float(mean),)
        self.std = tuple(std) if isinstance(std, Sequence) else (float(std),)
        if any(s == 0 for s in self.std):
            raise ValueError(
                f"Normalize: std evaluated to zero, leading to division by zero: {self.std}"
            )
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        """Normalizes ``tensor``; see the class docstring."""
        from .. import tensor as make_tensor

        if not isinstance(tensor, Tensor) or not tensor.is_floating_point():
            raise TypeError(
                "Normalize: expected a floating ember tensor, got "
                + (str(tensor.dtype) if isinstance(tensor, Tensor) else type(tensor).__name__)
            )
        if tensor.dim() not in (3, 4):
            raise ValueError(
                f"Normalize: expected a tensor (C, H, W) or (N, C, H, W), got shape "
                f"{tuple(tensor.shape)}"
            )
        c = tensor.shape[-3]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if len(v) not in (1, c):
                raise ValueError(
                    f"Normalize: {name} has {len(v)} values but the input of shape "
                    f"{tuple(tensor.shape)} has {c} channels"
                )
        mean = make_tensor(self.mean, dtype=tensor.dtype).reshape(-1, 1, 1)
        std = make_tensor(self.std, dtype=tensor.dtype).reshape(-1, 1, 1)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"{name}: size must be an int or a pair (h, w), got {size}")
    return size


class RandomCrop:
    """Crops a random ``size`` window of every image, after optional padding.

    Each image of a batch gets its own window, uniform over all positions.

    Args:
        size: int or ``(h, w)``.
        padding: None, an int (all sides), ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)`` (torchvision's order).
        pad_if_needed: pad images smaller than ``size`` up to it.
        fill: value of the padded pixels for ``padding_mode="constant"``.
        padding_mode: ``"constant"`` (default), ``"edge"``, ``"reflect"`` or ``"symmetric"``.
        generator: ember generator for the offsets (default: ember's default generator).
    Raises:
        ValueError: a crop larger than the padded image, bad ``size``/``padding``/mode.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: Any = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        generator: Generator | None = None,
    ) -> None:
        self.size = _pair(size, "RandomCrop")
        if min(self.size) <= 0:
            raise ValueError(f"RandomCrop: size must be positive, got {self.size}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                "RandomCrop: padding_mode must be 'constant', 'edge', 'reflect' or 'symmetric', "
                f"got {padding_mode!r}"
            )
        if padding is None:
            self.padding = None
        elif isinstance(padding, numbers.Number):
            self.padding = (int(padding),) * 4
        else:
            p = tuple(int(v) for v in padding)
            if len(p) == 2:
                p = (p[0], p[1], p[0], p[1])
            if len(p) != 4:
                raise ValueError(
                    f"RandomCrop: padding must be an int or 2 or 4 ints, got {padding}"
                )
            self.padding = p
        if self.padding is not None and min(self.padding) < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def _pad(self, arr: np.ndarray, left: int, top: int, right: int, bottom: int) -> np.ndarray:
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if self.padding_mode == "constant":
            return np.pad(arr, widths, mode="constant", constant_values=self.fill)
        return np.pad(arr, widths, mode=self.padding_mode)

    def __call__(self, img: Any) -> Any:
        """Crops ``img`` (one image or a batch); see the class docstring."""
        b = _Batch(img, "RandomCrop")
        arr = b.array
        if self.padding is not None:
            arr = self._pad(arr, *self.padding)
        h, w = self.size
        if self.pad_if_needed:
            ph, pw = max(h - arr.shape[2], 0), max(w - arr.shape[3], 0)
            if ph or pw:
                arr = self._pad(arr, pw, ph, pw, ph)
        n, c, hp, wp = arr.shape
        if h > hp or w > wp:
            raise ValueError(
                f"RandomCrop: crop size {(h, w)} is larger than the (padded) image size {(hp, wp)}"
            )
        top = _randint(np.full(n, hp - h), self.generator)
        left = _randint(np.full(n, wp - w), self.generator)
        rows = top[:, None] + np.arange(h)  # (N, h)
        cols = left[:, None] + np.arange(w)  # (N, w)
        out = arr[
            np.arange(n)[:, None, None, None],
            np.arange(c)[None, :, None, None],
            rows[:, None, :, None],
            cols[:, None, None, :],
        ]
        return b.back(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirrors each image left-right with probability ``p`` (one draw per image).

    Args:
        p: flip probability in [0, 1]. Default 0.5.
        generator: ember generator (default: ember's default generator).
    Raises:
        ValueError: ``p`` outside [0, 1].
    """

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        """Flips ``img`` (one image or a batch); see the class docstring."""
        b = _Batch(img, "RandomHorizontalFlip")
        arr = b.array
        flip = _uniform(arr.shape[0], self.generator) < self.p
        out = np.where(flip[:, None, None, None], arr[..., ::-1], arr)
        return b.back(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomRotation:
    """Rotates each image by its own angle drawn uniformly from ``degrees`` (counter-clockwise,
    in degrees) about the image center ``((W - 1) / 2, (H - 1) / 2)``.

    Output pixel ``(y, x)`` samples the input at the rotated coordinates (nearest or bilinear);
    positions outside the input get ``fill``. One vectorized sampling for the whole batch.

    Args:
        degrees: a number ``d`` (range ``[-d, d]``) or ``(min, max)``, in degrees.
        interpolation: ``"nearest"`` (default) or ``"bilinear"``.
        expand: must be False (the output keeps the input size).
        center: ``(x, y)`` rotation center in pixels, or None for the image center.
        fill: value of pixels sampled from outside the image. Default 0.
        generator: ember generator (default: ember's default generator).
    Raises:
        ValueError: a negative single ``degrees``, an unknown interpolation.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: str = "nearest",
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: float = 0,
        generator: Generator | None = None,
    ) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(
                    f"RandomRotation: a single degrees value must be >= 0, got {degrees}"
                )
            degrees = (-float(degrees), float(degrees))
        else:
            degrees = tuple(float(d) for d in degrees)
            if len(degrees) != 2:
                raise ValueError(
                    f"RandomRotation: degrees must be a number or (min, max), got {degrees}"
                )
        self.degrees = degrees
        interpolation = getattr(interpolation, "value", interpolation)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"RandomRotation: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
            )
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not supported")
        self.interpolation = interpolation
        self.expand = expand
        self.center = center
        self.fill = fill
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        """Rotates ``img`` (one image or a batch); see the class docstring."""
        b = _Batch(img, "RandomRotation")
        arr = b.array
        n, c, h, w = arr.shape
        lo, hi = self.degrees
        angles = np.deg2rad(lo + (hi - lo) * _uniform(n, self.generator))
        cx, cy = ((w - 1) / 2.0, (h - 1) / 2.0) if self.center is None else self.center
        cos = np.cos(angles)[:, None, None]
        sin = np.sin(angles)[:, None, None]
        ys, xs = np.meshgrid(
            np.arange(h, dtype=np.float64) - cy, np.arange(w, dtype=np.float64) - cx, indexing="ij"
        )
        # Inverse of a counter-clockwise rotation in image coordinates (y pointing down).
        sx = cos * xs - sin * ys + cx  # (N, H, W)
        sy = sin * xs + cos * ys + cy
        nidx = np.arange(n)[:, None, None]
        work = arr.astype(np.float64) if self.interpolation == "bilinear" else arr

        def sample(yi: np.ndarray, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Pixels at integer source coordinates ``(yi, xi)`` (clipped) and a mask of those inside the image."""
            valid = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            vals = work[nidx, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, H, W, C)
            return vals, valid

        if self.interpolation == "nearest":
            vals, valid = sample(np.rint(sy).astype(np.int64), np.rint(sx).astype(np.int64))
            out = np.where(valid[..., None], vals, np.asarray(self.fill, dtype=arr.dtype))
        else:
            x0 = np.floor(sx).astype(np.int64)
            y0 = np.floor(sy).astype(np.int64)
            fx = (sx - x0)[..., None]
            fy = (sy - y0)[..., None]
            out = np.zeros((n, h, w, c), dtype=np.float64)
            for dy, wy in ((0, 1 - fy), (1, fy)):
                for dx, wx in ((0, 1 - fx), (1, fx)):
                    vals, valid = sample(y0 + dy, x0 + dx)
                    out += wy * wx * np.where(valid[..., None], vals, float(self.fill))
            if np.issubdtype(arr.dtype, np.integer):
                info = np.iinfo(arr.dtype)
                out = np.clip(np.rint(out), info.min, info.max)
            out = out.astype(arr.dtype)
        return b.back(np.ascontiguousarray(out.transpose(0, 3, 1, 2)))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(degrees={list(self.degrees)}, "
            f"interpolation={self.interpolation}, expand={self.expand}, fill={self.fill})"
        )
