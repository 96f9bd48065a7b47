"""DataLoader: batches of samples from a dataset, and the default collate function."""

from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

import ember

from ._utils import to_numpy_array
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def _scalar_tensor(values: list, dtype: Any) -> ember.Tensor:
    return ember.from_numpy(np.array(values, dtype=dtype))


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch (PyTorch's ``default_collate`` rules).

    By the type of the first sample:

    - ``Tensor``: stacked along a new dimension 0 (all samples must have the same shape).
    - ``numpy.ndarray``: stacked with numpy, then wrapped as a tensor (numeric dtypes only).
    - numpy scalar: a 1-D tensor of those scalars.
    - ``float``: float64 tensor of shape ``(B,)``; ``int``: int64; ``bool``: bool.
    - ``str`` / ``bytes``: the list unchanged.
    - mapping: a dict with each key collated over the samples.
    - namedtuple: the same namedtuple of collated fields.
    - other sequences (tuple, list): a list with element ``j`` collated over the samples'
      ``j``-th elements (all samples must have the same length).

    Args:
        batch: a non-empty list of samples of the same structure.
    Returns:
        The collated batch.
    Raises:
        RuntimeError: sequences of unequal length in the batch.
        ValueError: tensors or arrays of different shapes.
        TypeError: elements of a type it cannot collate.
    Example:
        >>> default_collate([(ember.zeros(2), 1), (ember.ones(2), 0)])[1]
        tensor([1, 0])
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        batch = list(batch)
    if len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty batch")
    elem = batch[0]
    if isinstance(elem, ember.Tensor):
        for i, b in enumerate(batch):
            if not isinstance(b, ember.Tensor):
                raise TypeError(
                    f"default_collate: element 0 of the batch is a Tensor but element {i} is "
                    f"{type(b).__name__}"
                )
        return ember.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSUV":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found numpy array of dtype {elem.dtype}"
            )
        shapes = {np.shape(b) for b in batch}
        if len(shapes) != 1:
            raise ValueError(
                f"default_collate: numpy arrays in a batch must have the same shape, got "
                f"{sorted(shapes)}"
            )
        return ember.from_numpy(to_numpy_array(np.stack(batch)))
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return ember.from_numpy(to_numpy_array(np.array(batch)))
    if isinstance(elem, bool):
        return _scalar_tensor(batch, np.bool_)
    if isinstance(elem, numbers.Integral):
        return _scalar_tensor(batch, np.int64)
    if isinstance(elem, numbers.Real):
        return _scalar_tensor(batch, np.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def default_convert(data: Any) -> Any:
    """Convert numpy arrays (recursively inside dicts and sequences) to tensors; no batching.

    Used by :class:`DataLoader` when ``batch_size=None``.
    """
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return ember.from_numpy(to_numpy_array(data))
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return ember.from_numpy(to_numpy_array(np.asarray(data)))
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, tuple):
        return [default_convert(v) for v in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(v) for v in data]
    return data


def get_worker_info() -> None:
    """Always None: loading runs in the calling process (see :class:`DataLoader`)."""
    return


class DataLoader:
    """Iterates over a dataset in batches.

    Map-style datasets are visited in the order of ``sampler`` (sequential, or random with
    ``shuffle=True``), grouped by ``batch_sampler`` and merged by ``collate_fn``. When
    ``collate_fn`` is the default and the dataset has ``__getbatch__(indices)`` (TensorDataset,
    Subset, ConcatDataset, ``ember.datasets.MNIST``), a whole batch is gathered with one numpy
    fancy-indexing call per array: no per-sample Python work. Otherwise a dataset with
    ``__getitems__(indices)`` returns the list of samples in one call, else ``dataset[i]`` is
    called per index. Iterable datasets are read in order and grouped into batches.

    ``num_workers`` is accepted for compatibility but loading always runs in the calling
    process (no subprocesses are started): in-memory batches are single numpy gathers, which
    worker processes would only slow down. ``pin_memory``, ``timeout``, ``worker_init_fn``,
    ``prefetch_factor`` and ``persistent_workers`` are accepted and have no effect.

    Args:
        dataset: a map-style :class:`Dataset` or an :class:`IterableDataset`.
        batch_size: samples per batch, default 1; ``None`` disables batching (each sample is
            passed through ``default_convert`` or ``collate_fn``).
        shuffle: a new random order every epoch (``RandomSampler``); default False.
        sampler: a :class:`Sampler` or iterable of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: >= 0; runs in-process whatever the value.
        collate_fn: merges a list of samples into a batch; default :func:`default_collate`.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: ``ember.Generator`` for the shuffle order; default the global generator,
            so epochs are reproducible under ``ember.manual_seed``.
    Raises:
        ValueError: conflicting options (``shuffle`` with ``sampler``, ``batch_sampler`` with
            the options it replaces, ``shuffle``/``sampler`` with an IterableDataset),
            negative ``num_workers`` or a non-positive ``batch_size``.
    Example:
        >>> from ember.utils.data import TensorDataset
        >>> ds = TensorDataset(ember.arange(10).float(), ember.arange(10))
        >>> [tuple(x.shape) for x, y in DataLoader(ds, batch_size=4)]
        [(4,), (4,), (2,)]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        generator: ember.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if (
            isinstance(num_workers, bool)
            or not isinstance(num_workers, numbers.Integral)
            or (num_workers < 0)
        ):
            raise ValueError(
                f"DataLoader: num_workers option should be a non-negative integer, got "
                f"{num_workers!r}"
            )
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or batch_size <= 0
        ):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value or None, got "
                f"{batch_size!r}"
            )
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)

        if self._is_iterable:
            if shuffle:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option"
                )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )

        if sampler is None and not self._is_iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))

        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (
            self._is_iterable and batch_size is not None
        )
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self._is_iterable:
            return self._iter_iterable()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)  # type: ignore
        return self._iter_batches()

    def _iter_batches(self) -> Iterator[Any]:
        dataset = self.dataset
        getbatch = getattr(dataset, "__getbatch__", None) if self._default_collate else None
        getitems = getattr(dataset, "__getitems__", None)
        bs = self.batch_sampler
        if isinstance(bs, BatchSampler) and (getbatch is not None or getitems is not None):
            batches: Iterable[Any] = bs._iter_arrays()
        else:
            batches = bs  # type: ignore[assignment]
        for indices in batches:
            if getbatch is not None:
                yield getbatch(np.asarray(indices, dtype=np.int64))
            elif getitems is not None:
                idx = indices.tolist() if isinstance(indices, np.ndarray) else list(indices)
                yield self.collate_fn(getitems(idx))
            else:
                yield self.collate_fn([dataset[i] for i in indices])

    def _iter_iterable(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:  # type: ignore[attr-defined]
                yield self.collate_fn(sample)
            return
        batch: list = []
        for sample in self.dataset:  # type: ignore[attr-defined]
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
