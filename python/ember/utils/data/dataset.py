"""Datasets: map-style and iterable, plus tensor-backed, subset and concatenated datasets.

Map-style datasets implement ``__getitem__(i)`` and ``__len__``. A dataset may also implement
``__getbatch__(indices)``: given a 1-D ``numpy.int64`` array of indices it returns the whole
batch already collated, equal to ``default_collate([self[i] for i in indices])``. The
:class:`~ember.utils.data.DataLoader` uses it (when ``collate_fn`` is the default) so that
in-memory datasets gather a batch with one numpy fancy-indexing call per array instead of one
Python call per sample. :class:`TensorDataset`, :class:`Subset`, :class:`ConcatDataset` and
``ember.datasets.MNIST`` implement it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

import ember

from ._utils import as_index_array, to_numpy_array, tree_cat_reorder

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Base class of map-style datasets (samples addressed by an integer key).

    Subclasses implement ``__getitem__(index)`` and usually ``__len__`` (samplers need it).
    In-memory subclasses may add ``__getbatch__(indices)`` (see the module docstring) to let the
    :class:`~ember.utils.data.DataLoader` build whole batches without per-sample Python work.

    ``a + b`` concatenates two datasets into a :class:`ConcatDataset`.
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """Base class of datasets that are a stream of samples (``__iter__`` instead of indexing).

    With a :class:`~ember.utils.data.DataLoader`, samples are taken in the order ``__iter__``
    yields them and grouped into batches of ``batch_size``; samplers and ``shuffle`` do not
    apply.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """A dataset wrapping tensors (or numpy arrays) that share their first dimension.

    Sample ``i`` is ``tuple(t[i] for t in tensors)`` (views sharing memory with the data).
    Batches are gathered with numpy fancy indexing over whole arrays (``__getbatch__``, new
    memory), so a DataLoader over a TensorDataset does no per-sample Python work. Samples and
    batches are plain data: they do not carry the autograd history of the wrapped tensors.

    Args:
        *tensors: ember tensors or numpy arrays, all with the same size ``N`` in dimension 0.
            numpy arrays are wrapped without copying where ember supports their dtype
            (bool, uint8, int32, int64, float32, float64); other integer dtypes become int64,
            other float dtypes float32.
    Attributes:
        tensors: the wrapped data as a tuple of ember tensors (sharing memory with the inputs).
    Raises:
        ValueError: no tensors, a 0-d tensor, or sizes in dimension 0 that differ.
        TypeError: an argument that is neither a tensor nor a numpy array.
    Example:
        >>> ds = TensorDataset(ember.zeros(4, 2), ember.arange(4))
        >>> len(ds), ds[1][1].item()
        (4, 1)
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        arrays = []
        for i, t in enumerate(tensors):
            if not isinstance(t, (ember.Tensor, np.ndarray)):
                raise TypeError(
                    f"TensorDataset: argument {i} must be an ember.Tensor or numpy.ndarray, "
                    f"got {type(t).__name__}"
                )
            arr = to_numpy_array(t)
            if arr.ndim == 0:
                raise ValueError(
                    f"TensorDataset: argument {i} is 0-d; every tensor needs a first "
                    "(sample) dimension"
                )
            arrays.append(arr)
        n = arrays[0].shape[0]
        if any(a.shape[0] != n for a in arrays):
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors; got shapes {shapes}, "
                f"expected the same size in dimension 0 (the first tensor has {n})"
            )
        self._arrays = tuple(arrays)
        self.tensors = tuple(
            t if isinstance(t, ember.Tensor) else ember.from_numpy(a)
            for t, a in zip(tensors, arrays)
        )

    def __len__(self) -> int:
        return self._arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple:
        idx = _check_index(index, len(self), "TensorDataset")
        # a[idx, ...]: a view even for 1-D data (a[idx] would be a numpy scalar, a copy)
        return tuple(ember.from_numpy(a[idx, ...]) for a in self._arrays)

    def __getbatch__(self, indices: Any) -> list:
        idx = as_index_array(indices, len(self), "TensorDataset")
        return [ember.from_numpy(a[idx]) for a in self._arrays]


def _check_index(index: Any, n: int, name: str) -> int:
    """An integer index in ``[0, n)`` from ints, numpy integers or 1-element integer tensors."""
    if isinstance(index, ember.Tensor):
        if index.numel() != 1 or index.is_floating_point():
            raise TypeError(
                f"{name}: index must be an integer or a one-element integer tensor, got a "
                f"tensor of shape {tuple(index.shape)} and dtype {index.dtype}"
            )
        index = index.item()
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{name}: index must be an integer, got {type(index).__name__}")
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"{name}: index {index} is out of range for a dataset of size {n}")
    return index + n if index < 0 else index


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at positions ``indices``, in that order.

    Args:
        dataset: a map-style dataset.
        indices: a sequence of integers (list, numpy array or 1-D integer tensor).
    Attributes:
        dataset, indices: as given (``indices`` as a list of ints).
    Example:
        >>> s = Subset(TensorDataset(ember.arange(10)), [7, 2])
        >>> s[0][0].item(), len(s)
        (7, 2)
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        idx = as_index_array(indices, None, "Subset")
        self._index_array = idx
        self.indices = idx.tolist()

    def __len__(self) -> int:
        return len(self._index_array)

    def __getitem__(self, index: Any) -> T_co:
        if isinstance(index, (list, tuple)):
            return [self[i] for i in index]  # type: ignore[return-value]
        i = _check_index(index, len(self), "Subset")
        return self.dataset[int(self._index_array[i])]

    def __getbatch__(self, indices: Any) -> Any:
        idx = as_index_array(indices, len(self), "Subset")
        inner = self._index_array[idx]
        getbatch = getattr(self.dataset, "__getbatch__", None)
        if getbatch is not None:
            return getbatch(inner)
        from .dataloader import default_collate

        return default_collate([self.dataset[int(i)] for i in inner])


class ConcatDataset(Dataset[T_co]):
    """Several map-style datasets one after another.

    Args:
        datasets: an iterable of map-style datasets (not empty, no IterableDataset).
    Attributes:
        datasets: the list of datasets; cumulative_sizes: running totals of their lengths.
    Raises:
        ValueError: an empty iterable.
        TypeError: an IterableDataset among ``datasets``.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def _locate(self, index: int) -> tuple[int, int]:
        k = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return k, index - start

    def __getitem__(self, index: Any) -> T_co:
        i = _check_index(index, len(self), "ConcatDataset")
        k, j = self._locate(i)
        return self.datasets[k][j]

    def __getbatch__(self, indices: Any) -> Any:
        from .dataloader import default_collate

        idx = as_index_array(indices, len(self), "ConcatDataset")
        which = np.searchsorted(self.cumulative_sizes, idx, side="right")
        starts = np.concatenate([[0], self.cumulative_sizes[:-1]]).astype(np.int64)
        parts, order = [], []
        for k in np.unique(which).tolist():
            sel = np.nonzero(which == k)[0]
            local = idx[sel] - starts[k]
            getbatch = getattr(self.datasets[k], "__getbatch__", None)
            if getbatch is None:
                parts.append(default_collate([self.datasets[k][int(j)] for j in local]))
            else:
                parts.append(getbatch(local))
            order.append(sel)
        if len(parts) == 1:
            return parts[0]
        # parts hold the samples grouped by dataset; put them back in request order.
        positions = np.concatenate(order)
        inverse = np.empty_like(positions)
        inverse[positions] = np.arange(len(positions))
        return tree_cat_reorder(parts, inverse)


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another, as one stream.

    The datasets are chained lazily on each ``iter()``. ``a + b`` of two iterable datasets makes
    one.

    Args:
        datasets: an iterable of :class:`IterableDataset`.
    Raises:
        TypeError: (on iteration or ``len``) an element that is not an IterableDataset.
    Example:
        >>> class Count(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n))
        >>> list(ChainDataset([Count(2), Count(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _checked(self) -> Iterator[IterableDataset]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset: only IterableDataset can be chained, got {type(d).__name__}"
                )
            yield d

    def __iter__(self) -> Iterator[Any]:
        for d in self._checked():
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self._checked())  # type: ignore[arg-type]


class StackDataset(Dataset[Any]):
    """Datasets of one length side by side: sample ``i`` gathers sample ``i`` of each.

    Pass the datasets positionally for tuple samples, or by keyword for dict samples.

    Args:
        *args: map-style datasets; a sample is ``(args[0][i], args[1][i], ...)``.
        **kwargs: map-style datasets; a sample is ``{name: kwargs[name][i], ...}``.
    Raises:
        ValueError: both or neither of ``args`` and ``kwargs`` given, or datasets of different
            lengths.
    Example:
        >>> images, labels = TensorDataset(ember.ones(3, 2)), [7, 8, 9]
        >>> StackDataset(image=images, label=labels)[1]["label"]
        8
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if bool(args) == bool(kwargs):
            raise ValueError(
                "StackDataset: give the datasets either positionally (tuple samples) or by "
                "keyword (dict samples), not both and not neither"
            )
        self.datasets: tuple | dict = args if args else kwargs
        items = args if args else tuple(kwargs.values())
        lengths = [len(d) for d in items]
        if len(set(lengths)) != 1:
            raise ValueError(f"StackDataset: the datasets have different lengths {lengths}")
        self._length = lengths[0]

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        i = _check_index(index, self._length, "StackDataset")
        if isinstance(self.datasets, dict):
            return {k: d[i] for k, d in self.datasets.items()}
        return tuple(d[i] for d in self.datasets)


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: ember.Generator | None = None,
) -> list[Subset[T_co]]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    Args:
        dataset: a map-style dataset with ``__len__``.
        lengths: integer lengths summing to ``len(dataset)``, or fractions in [0, 1] summing to
            1; fractions give ``floor(frac * len(dataset))`` samples each, and the remainder is
            handed out one by one to the subsets in order (PyTorch's rule).
        generator: an ``ember.Generator`` for the permutation; default the global generator
            (so the split is reproducible under ``ember.manual_seed``).
    Returns:
        list of :class:`Subset`, one per length.
    Raises:
        ValueError: negative lengths, fractions not summing to 1, or integer lengths not summing
            to ``len(dataset)``.
    Example:
        >>> a, b = random_split(TensorDataset(ember.arange(10)), [0.7, 0.3])
        >>> len(a), len(b)
        (7, 3)
    """
    n = len(dataset)  # type: ignore[arg-type]
    lengths = list(lengths)
    if lengths and all(
        isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths
    ):
        sizes = [int(x) for x in lengths]
    elif (
        lengths
        and all(isinstance(x, numbers.Real) for x in lengths)
        and math.isclose(sum(lengths), 1.0, abs_tol=1e-6)
    ):
        if any(not 0.0 <= x <= 1.0 for x in lengths):
            raise ValueError(f"random_split: fractions must be in [0, 1], got {lengths}")
        sizes = [math.floor(n * x) for x in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, s in enumerate(sizes):
            if s == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; that subset is empty",
                    stacklevel=2,
                )
    else:
        raise ValueError(
            f"random_split: lengths must be integers summing to the dataset size ({n}) or "
            f"fractions summing to 1, got {lengths}"
        )
    if any(s < 0 for s in sizes):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if sum(sizes) != n:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(sizes)}) does not equal the length of "
            f"the input dataset ({n})"
        )
    perm = ember.randperm(n, generator=generator).numpy()
    out, offset = [], 0
    for s in sizes:
        out.append(Subset(dataset, perm[offset : offset + s]))
        offset += s
    return out
