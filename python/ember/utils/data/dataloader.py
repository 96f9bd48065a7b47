"""DataLoader: batches of samples from a dataset, and the default collate function."""

from __future__ import annotations

import collections.abc
import itertools
import multiprocessing
import multiprocessing.context
import numbers
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

import ember

from ._utils import to_numpy_array
from ._worker import (
    _MapFetcher,
    _MultiProcessingIter,
    _WorkerSpec,
    get_worker_info,
)
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


class DataLoader:
    """Iterates over a dataset in batches, in the calling process or in worker processes.

    Map-style datasets are visited in the order of ``sampler`` (sequential, or random with
    ``shuffle=True``), grouped by ``batch_sampler`` and merged by ``collate_fn``. When
    ``collate_fn`` is the default and the dataset has ``__getbatch__(indices)`` (TensorDataset,
    Subset, ConcatDataset, ``ember.datasets.MNIST``), a whole batch is gathered with one numpy
    fancy-indexing call per array: no per-sample Python work. Otherwise a dataset with
    ``__getitems__(indices)`` returns the list of samples in one call, else ``dataset[i]`` is
    called per index. Iterable datasets are read in order and grouped into batches.

    **Worker processes** (PyTorch's semantics). With ``num_workers=0`` (default) batches are
    built in the calling process when they are asked for. With ``num_workers > 0`` each
    ``iter(loader)`` starts that many processes (start method from ``multiprocessing_context``;
    default ``'fork'`` on Linux, ``'spawn'`` elsewhere); the main process sends each worker lists
    of indices, the worker builds and collates the batch, and the batch comes back pickled.
    ``prefetch_factor`` batches per worker are requested ahead, so loading overlaps the training
    step; batches are yielded in sampler order unless ``in_order=False``.

    - In a worker, :func:`get_worker_info` gives its ``id``, ``num_workers``, ``seed`` and its
      copy of the ``dataset``; ``worker_init_fn(worker_id)`` runs before any loading; ember's
      thread count is 1.
    - Seeds: once per iterator, after the sampler has drawn the first batch, a ``base_seed`` is
      drawn from ``generator`` (default the global generator). Worker ``k`` seeds ember and
      ``random`` with ``base_seed + k`` and numpy's global RNG from ``(base_seed, k)``, as
      PyTorch does: random augmentations differ between workers and repeat under the same seed.
      The draw advances the generator, so the first epoch's shuffle equals that of
      ``num_workers=0`` but later ones differ (the in-process path draws no seed).
    - Each worker iterates its own copy of an :class:`IterableDataset`: unless ``__iter__``
      shards the stream with :func:`get_worker_info`, every sample comes ``num_workers`` times.
      Batches alternate between workers, and ``drop_last`` applies to each worker's last batch.
    - An exception in a worker is raised here with its type, the worker id and the original
      traceback in its message; a worker that dies raises RuntimeError. Either way all workers
      are shut down and the iterator ends. Workers also stop at the end of each epoch (unless
      ``persistent_workers``) and when the iterator is deleted.

    Workers pay when building a batch costs Python work per sample (decoding files, random
    augmentation in ``__getitem__``): that work runs on other cores while the model trains.
    They do not pay for in-memory tensors (TensorDataset, MNIST): such a batch is one numpy
    gather, cheaper than pickling it across processes. Starting workers takes milliseconds with
    fork and about a second with spawn (each worker imports ember); ``persistent_workers`` pays
    it once.

    Args:
        dataset: a map-style :class:`Dataset` or an :class:`IterableDataset`.
        batch_size: samples per batch, default 1; ``None`` disables batching (each sample is
            passed through ``default_convert`` or ``collate_fn``).
        shuffle: a new random order every epoch (``RandomSampler``); default None (no shuffle).
        sampler: a :class:`Sampler` or iterable of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes; default 0 (load in the calling process).
        collate_fn: merges a list of samples into a batch; default :func:`default_collate`.
            With ``'spawn'`` it must be picklable, as must the dataset and ``worker_init_fn``.
        pin_memory: accepted, no effect (ember tensors live in CPU memory here).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for each batch from the workers; default 0 (no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding
            and before loading; default None.
        multiprocessing_context: a start method name (``'fork'``, ``'spawn'``,
            ``'forkserver'``) or a ``multiprocessing`` context; default None (fork on Linux,
            spawn elsewhere).
        generator: ``ember.Generator`` for the shuffle order and the workers' base seed;
            default the global generator, so epochs are reproducible under
            ``ember.manual_seed``.
        prefetch_factor: batches requested ahead per worker; default 2 with workers, None
            without.
        persistent_workers: keep the workers (and their dataset copies and RNG states) from one
            epoch to the next; default False.
        pin_memory_device: accepted, no effect.
        in_order: yield batches in sampler order (default True); False yields each batch as
            soon as a worker delivers it.
    Raises:
        ValueError: conflicting options (``shuffle`` with ``sampler``, ``batch_sampler`` with
            the options it replaces, ``shuffle``/``sampler`` with an IterableDataset),
            negative ``num_workers`` or ``timeout``, a non-positive ``batch_size``,
            ``prefetch_factor``, ``persistent_workers`` or ``multiprocessing_context`` given with
            ``num_workers=0``, a ``prefetch_factor`` below 1, or an unknown start method.
        TypeError: a ``multiprocessing_context`` that is neither a string nor a context.
        RuntimeError: (while iterating with workers) ``timeout`` exceeded, or a worker that
            exited unexpectedly; a worker's own exception is raised with its type.
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
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: str | multiprocessing.context.BaseContext | None = None,
        generator: ember.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
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
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                f"to None (got prefetch_factor={prefetch_factor!r})"
            )
        if num_workers > 0:
            if prefetch_factor is None:
                prefetch_factor = 2
            elif (
                isinstance(prefetch_factor, bool)
                or not isinstance(prefetch_factor, numbers.Integral)
                or prefetch_factor < 1
            ):
                raise ValueError(
                    f"DataLoader: prefetch_factor option should be a positive integer, got "
                    f"{prefetch_factor!r}"
                )
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _check_context(multiprocessing_context, self.num_workers)
        self.prefetch_factor = None if prefetch_factor is None else int(prefetch_factor)
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)
        self._iterator: _MultiProcessingIter | None = None

        if self._is_iterable:
            if shuffle not in (None, False):
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
        shuffle = bool(shuffle)
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
        _warn_if_too_many_workers(self.num_workers)

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
        if self.num_workers > 0:
            return self._worker_iterator()
        if self._is_iterable:
            return self._iter_iterable()
        if not self._auto_collation:
            return self._iter_samples()
        return self._iter_batches()

    def _iter_samples(self) -> Iterator[Any]:
        for i in self.sampler:  # type: ignore[attr-defined]
            try:
                sample = self.dataset[i]
            except StopIteration:  # ends the epoch, as in PyTorch and in the workers
                return
            yield self.collate_fn(sample)

    def _worker_iterator(self) -> _MultiProcessingIter:
        if not self.persistent_workers:
            return _MultiProcessingIter(self)
        # One iterator (and one set of workers) for the loader's lifetime; it is replaced only
        # after an error shut its workers down.
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = None
            self._iterator = _MultiProcessingIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def _map_fetcher(self) -> _MapFetcher:
        return _MapFetcher(
            self.dataset, self._auto_collation, self.collate_fn, self._default_collate
        )

    def _task_indices(self, fetcher: _MapFetcher | None) -> Iterator[Any]:
        """What each batch is built from: index batches (numpy arrays when the dataset's batch
        methods take them), single indices without auto-collation, None for iterable data."""
        if fetcher is None:
            return itertools.repeat(None)
        if not self._auto_collation:
            return iter(self.sampler)  # type: ignore[arg-type]
        bs = self.batch_sampler
        if isinstance(bs, BatchSampler) and fetcher.wants_arrays:
            return bs._iter_arrays()
        return iter(bs)  # type: ignore[arg-type]

    def _worker_spec_and_tasks(self) -> tuple[_WorkerSpec, Iterator[Any]]:
        """The workers' recipe for building batches, and this epoch's task indices."""
        spec = _WorkerSpec(
            dataset=self.dataset,
            is_iterable=self._is_iterable,
            auto_collation=self._auto_collation,
            collate_fn=self.collate_fn,
            default_collate=self._default_collate,
            batch_size=self.batch_size,
            drop_last=self.drop_last,
            worker_init_fn=self.worker_init_fn,
        )
        fetcher = None if self._is_iterable else self._map_fetcher()
        return spec, self._task_indices(fetcher)

    def _worker_task_count(self) -> int | None:
        try:
            return len(self)
        except TypeError:
            return None

    def _iter_batches(self) -> Iterator[Any]:
        fetch = self._map_fetcher()
        for indices in self._task_indices(fetch):
            try:
                batch = fetch(indices)
            except StopIteration:  # a dataset raising it ends the epoch, as in PyTorch
                return
            yield batch

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


def _check_context(context: Any, num_workers: int) -> multiprocessing.context.BaseContext | None:
    """``multiprocessing_context`` as a context object (None stays None: the default)."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "DataLoader: multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"DataLoader: multiprocessing_context option should specify a valid start "
                f"method in {methods!r}, but got multiprocessing_context={context!r}"
            )
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "DataLoader: multiprocessing_context option should be a valid context object or a "
            f"string specifying the start method, but got multiprocessing_context={context!r}"
        )
    return context


def _warn_if_too_many_workers(num_workers: int) -> None:
    if num_workers == 0:
        return
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus is not None and num_workers > cpus:
        warnings.warn(
            f"DataLoader: this DataLoader will create {num_workers} worker processes, more than "
            f"the {cpus} CPUs this process may use; excessive workers can make loading slow",
            stacklevel=3,
        )
