"""Variable-length sequences for recurrent layers (PyTorch's ``torch.nn.utils.rnn``).

A batch of sequences of different lengths is either *padded*, one ``(L, N, *)`` tensor (or
``(N, L, *)`` with ``batch_first``) whose steps past a sequence's length hold a padding value, or
*packed*, a :class:`PackedSequence`: the valid steps only, time step after time step, with the
sequences sorted by decreasing length so that step ``t`` holds the first ``batch_sizes[t]``
sequences. :class:`~ember.nn.RNN`, :class:`~ember.nn.LSTM` and :class:`~ember.nn.GRU` take a
packed input and then never read past a sequence's end.

Packing and unpacking are each one ``index_select`` (plus a ``cat``) whose index is computed
from the lengths, so gradients flow through them. Lengths are metadata read on the host.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ... import _C, float32, float64, int64, tensor
from ..._C import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def _index(values: Any, like: Tensor | None = None) -> Tensor:
    """An int64 tensor of ``values`` on the device of ``like`` (CPU when None)."""
    t = tensor(np.asarray(values, dtype=np.int64).reshape(-1), dtype=int64)
    if like is not None and like.is_cuda:
        t = t.to(like.device)
    return t


def _host_ints(t: Tensor | None) -> list[int] | None:
    return None if t is None else [int(v) for v in t.detach().cpu().tolist()]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation given as an index tensor.

    Args:
        permutation: 1-D int64 tensor holding a permutation of ``0 .. n-1``, or None.
    Returns:
        ``inv`` with ``inv[permutation[i]] == i`` (int64, same device), or None for None.
    Example:
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    p = np.asarray(_host_ints(permutation), dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p), dtype=np.int64)
    return _index(inv, permutation)


_PackedSequenceBase = namedtuple(
    "_PackedSequenceBase", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences, packed (PyTorch's ``nn.utils.rnn.PackedSequence``).

    A named tuple ``(data, batch_sizes, sorted_indices, unsorted_indices)``. The sequences are
    sorted by decreasing length; ``data`` holds step 0 of every sequence, then step 1 of every
    sequence still running, and so on, so that step ``t`` is the next ``batch_sizes[t]`` rows.
    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by hand.

    Args:
        data: ``(sum(lengths), *)`` tensor of the valid steps.
        batch_sizes: 1-D int64 CPU tensor: the number of sequences running at each step
            (non-increasing, first entry the batch size).
        sorted_indices: 1-D int64 tensor, ``sorted_indices[j]`` the original batch position of
            the ``j``-th longest sequence; None when the batch was already sorted.
        unsorted_indices: its inverse permutation; computed from ``sorted_indices`` when None.
    Returns:
        The named tuple.
    Raises:
        ValueError: ``batch_sizes`` not given (and ``data`` not a ``(data, batch_sizes)`` pair).
    Example:
        >>> p = pack_sequence([ember.tensor([1.0, 2.0, 3.0]), ember.tensor([4.0])])
        >>> p.data
        tensor([1., 4., 2., 3.])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """

    __slots__ = ()

    def __new__(
        cls,
        data: Any,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise ValueError(
                    "PackedSequence: expected batch_sizes, or data given as a (data, "
                    f"batch_sizes) pair; got {type(data).__name__}"
                )
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(*args, **kwargs)``; the indices follow ``data``'s device, ``batch_sizes``
        stays on the CPU. Returns ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_i, unsorted_i = self.sorted_indices, self.unsorted_indices
        if sorted_i is not None and str(sorted_i.device) != str(data.device):
            sorted_i = sorted_i.to(data.device)
            unsorted_i = unsorted_i.to(data.device)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def cpu(self) -> PackedSequence:
        """This packed sequence with ``data`` (and the indices) on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """This packed sequence with ``data`` cast to float64."""
        return self.to(float64)

    def float(self) -> PackedSequence:
        """This packed sequence with ``data`` cast to float32."""
        return self.to(float32)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a CUDA device."""
        return bool(self.data.is_cuda)


# ---- helpers ---------------------------------------------------------------------------------


def _lengths_list(fn: str, lengths: Any) -> list[int]:
    """``lengths`` (list, numpy array or 1-D tensor) as Python ints, checked to be integers."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise ValueError(
                f"{fn}: expected lengths to be 1-D, got {lengths.dim()}-D of shape "
                f"{tuple(lengths.shape)}"
            )
        vals = lengths.detach().cpu().tolist()
    else:
        try:
            vals = np.asarray(lengths).tolist()
        except Exception as exc:  # pragma: no cover - numpy rejects odd objects
            raise TypeError(f"{fn}: lengths must be a 1-D sequence of ints") from exc
        if not isinstance(vals, list):
            raise ValueError(f"{fn}: expected lengths to be 1-D, got {lengths!r}")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
            raise TypeError(f"{fn}: lengths must be integers, got {v!r}")
        out.append(int(v))
    return out


def _check_lengths(fn: str, lens: list[int], max_len: int, enforce_sorted: bool) -> None:
    if not lens:
        raise ValueError(f"{fn}: expected at least one sequence, got empty lengths")
    bad = [v for v in lens if v <= 0]
    if bad:
        raise ValueError(
            f"{fn}: length of all samples has to be greater than 0, but found an element in "
            f"'lengths' that is <= 0 ({bad[0]}); lengths {lens}"
        )
    if max(lens) > max_len:
        raise ValueError(
            f"{fn}: a length ({max(lens)}) is longer than the input's sequence dimension "
            f"({max_len}); lengths {lens}"
        )
    if enforce_sorted and any(a < b for a, b in zip(lens, lens[1:])):
        raise ValueError(
            f"{fn}: `lengths` array must be sorted in decreasing order when `enforce_sorted` "
            f"is True, got {lens}. You can pass `enforce_sorted=False` to "
            "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
            "not need ONNX exportability."
        )


def _sort_order(lens: list[int], enforce_sorted: bool) -> np.ndarray | None:
    """Batch positions by decreasing length (stable), or None when ``enforce_sorted``."""
    if enforce_sorted:
        return None
    return np.argsort(-np.asarray(lens, dtype=np.int64), kind="stable")


def _batch_sizes(sorted_lens: np.ndarray) -> np.ndarray:
    """``batch_sizes[t]``: how many of the (descending) lengths exceed ``t``."""
    steps = np.arange(int(sorted_lens[0]))
    return (sorted_lens[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _pack_index(
    sorted_lens: np.ndarray, order: np.ndarray, start: np.ndarray, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a flat source for each packed row: step ``t`` of the ``j``-th longest sequence
    lives at ``start[order[j]] + t * stride``."""
    batch_sizes = _batch_sizes(sorted_lens)
    rows = [start[order[: int(b)]] + t * stride for t, b in enumerate(batch_sizes)]
    return np.concatenate(rows).astype(np.int64), batch_sizes


def _make_packed(
    data: Tensor, batch_sizes: np.ndarray, order: np.ndarray | None
) -> PackedSequence:
    sorted_indices = None if order is None else _index(order, data)
    return PackedSequence(data, _index(batch_sizes), sorted_indices, None)


# ---- packing ---------------------------------------------------------------------------------


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Packs a padded batch of variable-length sequences.

    ``input[:lengths[b], b]`` (``input[b, :lengths[b]]`` with ``batch_first``) is sequence
    ``b``; the steps past its length are ignored. The packed ``data`` holds, for ``t = 0, 1,
    ...``, step ``t`` of every sequence longer than ``t``, longest sequence first.

    Args:
        input: ``(L, N, *)`` padded batch (``(N, L, *)`` with ``batch_first``), any dtype.
        lengths: ``N`` sequence lengths, each in ``[1, L]``: a list of ints or a 1-D int64
            tensor (read on the host).
        batch_first: ``input`` is ``(N, L, *)``. Default False.
        enforce_sorted: require ``lengths`` in decreasing order (then ``sorted_indices`` is
            None). With False the batch is sorted here and the order is kept in
            ``sorted_indices``/``unsorted_indices``. Default True.
    Returns:
        :class:`PackedSequence` with ``data`` of shape ``(sum(lengths), *)``, differentiable
        with respect to ``input``.
    Raises:
        TypeError: ``input`` not a Tensor, or non-integer lengths.
        ValueError: ``input`` below 2-D, ``len(lengths)`` not the batch size, a length of 0
            (or less), a length longer than ``L``, or lengths not sorted in decreasing order
            with ``enforce_sorted=True``.
    Example:
        >>> x = ember.tensor([[1.0, 4.0], [2.0, 0.0], [3.0, 0.0]])   # (L=3, N=2)
        >>> p = pack_padded_sequence(x, [3, 1])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    """
    fn = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected input to be a Tensor, got {type(input).__name__}")
    if input.dim() < 2:
        raise ValueError(
            f"{fn}: expected input of at least 2 dimensions ((L, N, *) or (N, L, *) with "
            f"batch_first), got shape {tuple(input.shape)}"
        )
    lens = _lengths_list(fn, lengths)
    seq_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    T, B = int(input.shape[seq_dim]), int(input.shape[batch_dim])
    if len(lens) != B:
        raise ValueError(
            f"{fn}: expected len(lengths) ({len(lens)}) to equal the batch size ({B}) of input "
            f"of shape {tuple(input.shape)}"
            + (" (batch_first=True)" if batch_first else " (batch_first=False)")
        )
    _check_lengths(fn, lens, T, enforce_sorted)
    order = _sort_order(lens, enforce_sorted)
    perm = np.arange(B) if order is None else order
    sorted_lens = np.asarray(lens, dtype=np.int64)[perm]
    # Flat row of (t, b): b * T + t (batch_first) or t * B + b.
    if batch_first:
        start, stride = np.arange(B, dtype=np.int64) * T, 1
    else:
        start, stride = np.arange(B, dtype=np.int64), B
    idx, batch_sizes = _pack_index(sorted_lens, perm, start, stride)
    flat = input.reshape(T * B, *tuple(input.shape[2:]))
    data = flat.index_select(0, _index(idx, input))
    return _make_packed(data, batch_sizes, order)


def _check_sequences(fn: str, sequences: Any) -> list[Tensor]:
    if isinstance(sequences, Tensor):
        seqs = list(sequences.unbind(0))
    elif isinstance(sequences, Iterable):
        seqs = list(sequences)
    else:
        raise TypeError(f"{fn}: expected an iterable of Tensors, got {type(sequences).__name__}")
    if not seqs:
        raise ValueError(f"{fn}: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"{fn}: sequence {i} is a {type(s).__name__}, not a Tensor")
        if s.dim() < 1:
            raise ValueError(f"{fn}: sequence {i} is 0-d; expected shape (L_i, *)")
    trailing = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if tuple(s.shape[1:]) != trailing:
            raise ValueError(
                f"{fn}: all sequences must have the same trailing shape; sequence 0 has "
                f"{tuple(seqs[0].shape)} and sequence {i} has {tuple(s.shape)}"
            )
        if s.dtype != seqs[0].dtype:
            raise TypeError(
                f"{fn}: all sequences must have the same dtype; sequence 0 is "
                f"{seqs[0].dtype} and sequence {i} is {s.dtype}"
            )
    return seqs


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of variable-length sequences.

    Same as ``pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=...)``
    with ``lengths = [len(s) for s in sequences]``, built without the padded tensor.

    Args:
        sequences: tensors of shapes ``(L_i, *)`` with the same ``*`` and dtype, ``L_i >= 1``.
        enforce_sorted: require the ``L_i`` in decreasing order. Default True.
    Returns:
        :class:`PackedSequence`, differentiable with respect to every sequence.
    Raises:
        TypeError: an element that is not a Tensor, or mixed dtypes.
        ValueError: an empty list, mismatched trailing shapes, an empty sequence, or lengths
            not sorted in decreasing order with ``enforce_sorted=True``.
    Example:
        >>> a, b = ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0, 5.0])
        >>> p = pack_sequence([a, b], enforce_sorted=False)
        >>> p.data, p.sorted_indices
        (tensor([3., 1., 4., 2., 5.]), tensor([1, 0]))
    """
    fn = "pack_sequence"
    seqs = _check_sequences(fn, sequences)
    lens = [int(s.shape[0]) for s in seqs]
    _check_lengths(fn, lens, max(lens), enforce_sorted)
    order = _sort_order(lens, enforce_sorted)
    perm = np.arange(len(seqs)) if order is None else order
    start = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    idx, batch_sizes = _pack_index(np.asarray(lens, dtype=np.int64)[perm], perm, start, 1)
    flat = _C.cat(seqs, 0)
    data = flat.index_select(0, _index(idx, flat))
    return _make_packed(data, batch_sizes, order)


# ---- unpacking -------------------------------------------------------------------------------


def _check_packed(fn: str, sequence: Any) -> tuple[list[int], np.ndarray | None]:
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{fn}: expected a PackedSequence, got {type(sequence).__name__}")
    batch_sizes = _host_ints(sequence.batch_sizes)
    if not batch_sizes:
        raise ValueError(f"{fn}: the PackedSequence has empty batch_sizes")
    if sum(batch_sizes) != int(sequence.data.shape[0]):
        raise ValueError(
            f"{fn}: data has {int(sequence.data.shape[0])} rows but batch_sizes sum to "
            f"{sum(batch_sizes)}"
        )
    un = _host_ints(sequence.unsorted_indices)
    return batch_sizes, (None if un is None else np.asarray(un, dtype=np.int64))


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Pads a packed batch back: the inverse of :func:`pack_padded_sequence`.

    The batch comes back in its original order (``unsorted_indices``), each sequence's steps
    past its length filled with ``padding_value``.

    Args:
        sequence: the :class:`PackedSequence`.
        batch_first: return ``(N, L, *)`` instead of ``(L, N, *)``. Default False.
        padding_value: value of the padded steps. Default 0.0.
        total_length: pad to this many steps instead of the longest length (e.g. to get back
            the size of a padded input for ``DataParallel``-style code). Default None.
    Returns:
        ``(padded, lengths)``: ``padded`` of shape ``(L, N, *)`` (``(N, L, *)`` with
        ``batch_first``), dtype of ``data`` and differentiable with respect to it; ``lengths``
        a 1-D int64 CPU tensor of the ``N`` lengths in the original order.
    Raises:
        TypeError: ``sequence`` not a PackedSequence.
        ValueError: ``total_length`` shorter than the longest sequence, or inconsistent
            ``batch_sizes``.
    Example:
        >>> p = pack_sequence([ember.tensor([1.0, 2.0]), ember.tensor([3.0])])
        >>> padded, lengths = pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
        >>> padded, lengths
        (tensor([[ 1.,  2.],
                [ 3., -1.]]), tensor([2, 1]))
    """
    fn = "pad_packed_sequence"
    batch_sizes, unsorted = _check_packed(fn, sequence)
    data = sequence.data
    max_len, B = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if isinstance(total_length, bool) or int(total_length) != total_length:
            raise TypeError(f"{fn}: total_length must be an int, got {total_length!r}")
        if total_length < max_len:
            raise ValueError(
                f"{fn}: expected total_length to be at least the length of the longest "
                f"sequence in the input, but got total_length={total_length} and max sequence "
                f"length being {max_len}"
            )
        T = int(total_length)
    else:
        T = max_len
    bs = np.asarray(batch_sizes, dtype=np.int64)
    sorted_lens = (bs[None, :] > np.arange(B)[:, None]).sum(1)  # length of j-th longest
    offsets = np.concatenate([[0], np.cumsum(bs)[:-1]])
    n = int(data.shape[0])
    # Packed row of (t, sorted j), or the padding row ``n`` where t >= length.
    j = np.arange(B) if unsorted is None else unsorted  # sorted position of each batch entry
    t = np.arange(T)[:, None]
    off = np.concatenate([offsets, np.zeros(T - max_len, dtype=np.int64)])[:, None]
    rows = np.where(t < sorted_lens[j][None, :], off + j[None, :], n)  # (T, N)
    if batch_first:
        rows = rows.T
    pad = data.new_full((1, *tuple(data.shape[1:])), padding_value)
    flat = _C.cat([data, pad], 0)
    padded = flat.index_select(0, _index(rows, data))
    padded = padded.reshape(*rows.shape, *tuple(data.shape[1:]))
    return padded, _index(sorted_lens[j])


def pad_sequence(
    sequences: Tensor | Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stacks variable-length sequences into one padded tensor.

    Sequence ``i`` of shape ``(L_i, *)`` fills ``L_i`` of the ``max(L_i)`` steps, at the
    start (``padding_side="right"``) or at the end (``"left"``); the other steps hold
    ``padding_value``.

    Args:
        sequences: tensors of shapes ``(L_i, *)`` with the same ``*`` and dtype (``L_i`` may
            be 0), or a tensor whose first dimension lists them.
        batch_first: return ``(N, L, *)`` instead of ``(L, N, *)``. Default False.
        padding_value: value of the padded steps. Default 0.0.
        padding_side: ``"right"`` (default) or ``"left"``.
    Returns:
        ``(L, N, *)`` (``(N, L, *)`` with ``batch_first``) tensor, ``L = max(L_i)``,
        differentiable with respect to every sequence.
    Raises:
        TypeError: an element that is not a Tensor, or mixed dtypes.
        ValueError: an empty list, mismatched trailing shapes, or an unknown ``padding_side``.
    Example:
        >>> a, b = ember.tensor([1.0, 2.0, 3.0]), ember.tensor([4.0])
        >>> pad_sequence([a, b], batch_first=True, padding_side="left")
        tensor([[1., 2., 3.],
                [0., 0., 4.]])
    """
    fn = "pad_sequence"
    if padding_side not in ("right", "left"):
        raise ValueError(f"{fn}: padding_side must be 'left' or 'right', got {padding_side!r}")
    seqs = _check_sequences(fn, sequences)
    lens = np.asarray([int(s.shape[0]) for s in seqs], dtype=np.int64)
    T, B = int(lens.max()), len(seqs)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    n = int(lens.sum())
    t = np.arange(T)[:, None]
    first = np.zeros(B, dtype=np.int64) if padding_side == "right" else T - lens
    k = t - first[None, :]  # step within the sequence
    rows = np.where((k >= 0) & (k < lens[None, :]), start[None, :] + k, n)  # (T, N)
    if batch_first:
        rows = rows.T
    trailing = tuple(seqs[0].shape[1:])
    pad = seqs[0].new_full((1, *trailing), padding_value)
    flat = _C.cat([*seqs, pad], 0)
    out = flat.index_select(0, _index(rows, flat))
    return out.reshape(*rows.shape, *trailing)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Any, batch_first: bool = False
) -> list[Tensor]:
    """Splits a right-padded batch into its sequences: the inverse of :func:`pad_sequence`.

    Args:
        padded_sequences: ``(L, N, *)`` padded batch (``(N, L, *)`` with ``batch_first``).
        lengths: the ``N`` lengths, list of ints or 1-D int64 tensor, each in ``[0, L]``.
        batch_first: ``padded_sequences`` is ``(N, L, *)``. Default False.
    Returns:
        List of ``N`` tensors of shapes ``(lengths[i], *)`` (views, differentiable).
    Raises:
        TypeError: ``padded_sequences`` not a Tensor, or non-integer lengths.
        ValueError: ``padded_sequences`` below 2-D, ``len(lengths)`` not the batch size, or a
            length outside ``[0, L]``.
    Example:
        >>> padded = ember.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
        >>> unpad_sequence(padded, [3, 1], batch_first=True)
        [tensor([1., 2., 3.]), tensor([4.])]
    """
    fn = "unpad_sequence"
    if not isinstance(padded_sequences, Tensor):
        raise TypeError(
            f"{fn}: expected padded_sequences to be a Tensor, got "
            f"{type(padded_sequences).__name__}"
        )
    if padded_sequences.dim() < 2:
        raise ValueError(
            f"{fn}: expected at least 2 dimensions, got shape {tuple(padded_sequences.shape)}"
        )
    lens = _lengths_list(fn, lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    B, T = int(x.shape[0]), int(x.shape[1])
    if len(lens) != B:
        raise ValueError(
            f"{fn}: expected len(lengths) ({len(lens)}) to equal the batch size ({B})"
        )
    for v in lens:
        if not 0 <= v <= T:
            raise ValueError(f"{fn}: length {v} outside [0, {T}]; lengths {lens}")
    return [x.select(0, i).narrow(0, 0, v) for i, v in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Splits a packed batch into its sequences: the inverse of :func:`pack_sequence`.

    Args:
        packed_sequences: the :class:`PackedSequence`.
    Returns:
        List of tensors of shapes ``(L_i, *)`` in the original batch order, differentiable
        with respect to ``data``.
    Raises:
        TypeError: not a PackedSequence.
    Example:
        >>> p = pack_sequence([ember.tensor([1.0]), ember.tensor([2.0, 3.0])], False)
        >>> unpack_sequence(p)
        [tensor([1.]), tensor([2., 3.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
