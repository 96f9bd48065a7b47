"""Samplers: the order in which a DataLoader visits a map-style dataset, and its batching.

Samplers yield Python ints (PyTorch's protocol). Those built in here also hand the
:class:`~ember.utils.data.DataLoader` the whole epoch's order as one numpy array
(``_index_array()``) so that batches are numpy slices, not Python lists.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sized
from typing import Any, Generic, TypeVar

import numpy as np

import ember

from ._utils import as_index_array

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class of samplers: an iterable of dataset keys, usually with ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler[int]):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Args:
        data_source: anything with ``__len__`` (the dataset).
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random order of the dataset's indices; a new order on every ``iter()``.

    Without replacement each epoch is a permutation from ``ember.randperm`` (repeated and
    truncated when ``num_samples`` exceeds the dataset); with replacement indices are drawn
    uniformly by ``ember.randint``.

    Args:
        data_source: the dataset (anything with ``__len__``).
        replacement: draw with replacement; default False.
        num_samples: indices per epoch; default ``len(data_source)``.
        generator: ``ember.Generator`` used for the draws; default the global generator, so
            orders are reproducible under ``ember.manual_seed``.
    Raises:
        TypeError: ``replacement`` not a bool.
        ValueError: ``num_samples`` not a positive integer.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: ember.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value, got {replacement!r}"
            )
        if num_samples is not None and (
            isinstance(num_samples, bool)
            or not isinstance(num_samples, numbers.Integral)
            or num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer, got {num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = generator

    @property
    def num_samples(self) -> int:
        """Number of indices drawn per epoch (``len(data_source)`` unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        n, k = len(self.data_source), self.num_samples
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if self.replacement:
            return ember.randint(0, n, (k,), generator=self.generator).numpy()
        reps = [ember.randperm(n, generator=self.generator).numpy() for _ in range(-(-k // n))]
        return np.concatenate(reps)[:k] if len(reps) > 1 else reps[0][:k]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order (new order on every ``iter()``).

    Args:
        indices: sequence of dataset indices.
        generator: ``ember.Generator``; default the global generator.
    """

    def __init__(self, indices: Any, generator: ember.Generator | None = None) -> None:
        self.indices = indices
        self._indices = as_index_array(indices, None, "SubsetRandomSampler")
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        perm = ember.randperm(len(self._indices), generator=self.generator).numpy()
        return self._indices[perm]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return len(self._indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0 .. len(weights) - 1`` drawn with probabilities proportional to ``weights``.

    Each epoch draws ``num_samples`` indices with ``ember.multinomial`` (a new draw on every
    ``iter()``). The usual use is rebalancing classes: weight each sample by one over its
    class's frequency.

    Args:
        weights: a 1-D sequence or tensor of non-negative weights (they need not sum to 1).
        num_samples: indices per epoch, a positive int.
        replacement: draw with replacement (default True); without it, ``num_samples`` may not
            exceed the number of non-zero weights.
        generator: ``ember.Generator`` used for the draws; default the global generator.
    Raises:
        ValueError: ``num_samples`` not a positive integer, ``replacement`` not a bool, or
            ``weights`` not 1-D.
    Example:
        >>> s = WeightedRandomSampler([0.0, 0.0, 1.0], num_samples=4)
        >>> list(s)
        [2, 2, 2, 2]
    """

    def __init__(
        self,
        weights: Any,
        num_samples: int,
        replacement: bool = True,
        generator: ember.Generator | None = None,
    ) -> None:
        if (
            isinstance(num_samples, bool)
            or not isinstance(num_samples, numbers.Integral)
            or num_samples <= 0
        ):
            raise ValueError(
                "WeightedRandomSampler: num_samples should be a positive integer value, got "
                f"{num_samples!r}"
            )
        if not isinstance(replacement, bool):  # ValueError, as PyTorch raises here
            raise ValueError(
                f"WeightedRandomSampler: replacement should be a boolean value, got {replacement!r}"
            )
        w = np.asarray(weights.numpy() if isinstance(weights, ember.Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                "WeightedRandomSampler: weights should be a 1-D sequence, got shape "
                f"{tuple(w.shape)}"
            )
        self.weights = ember.tensor(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        return ember.multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        ).numpy()

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: a sampler or any iterable of indices.
        batch_size: positive int.
        drop_last: drop the final batch when it has fewer than ``batch_size`` indices.
    Raises:
        ValueError: ``batch_size`` not a positive integer.
        TypeError: ``drop_last`` not a bool.
    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool
    ) -> None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or batch_size <= 0
        ):
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, got {batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last should be a boolean value, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _iter_arrays(self) -> Iterator[np.ndarray]:
        """Batches as int64 numpy arrays (slices of one array when the sampler provides it)."""
        bs = self.batch_size
        index_array = getattr(self.sampler, "_index_array", None)
        if index_array is not None:
            order = index_array()
            stop = len(order) - len(order) % bs if self.drop_last else len(order)
            for start in range(0, stop, bs):
                yield order[start : start + bs]
            return
        for batch in self._iter_lists():
            yield np.asarray(batch, dtype=np.int64)

    def _iter_lists(self) -> Iterator[list]:
        batch: list = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __iter__(self) -> Iterator[list]:
        if hasattr(self.sampler, "_index_array"):
            for arr in self._iter_arrays():
                yield arr.tolist()
        else:
            yield from self._iter_lists()

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
