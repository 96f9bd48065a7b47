"""Multi-process loading for :class:`~ember.utils.data.DataLoader` (``num_workers > 0``).

The main process sends each worker ``(sequence number, indices)`` tasks on the worker's own
index queue; the worker fetches and collates the batch, pickles it in its main thread (so a
batch that cannot be pickled becomes an error the main process re-raises, not a lost message)
and a sender thread writes the bytes to the worker's own result pipe. Per-worker pipes let the
main process wait on exactly the worker that owes the next batch together with every worker's
process sentinel, so a worker that dies is noticed at once, without polling. At most
``prefetch_factor * num_workers`` tasks are in flight; batches are yielded by sequence number.

Also here: the batch fetchers the in-process path shares, so both paths build a batch the same
way.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import queue
import random
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import connection as mp_connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

import ember

from .dataset import Dataset

__all__ = ["WorkerInfo", "get_worker_info"]

# How often an idle worker checks that the main process still exists (seconds).
_WATCHDOG_INTERVAL = 1.0
# How long shutdown waits for workers to finish their current batch before terminating them.
_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a DataLoader worker process.

    Attributes:
        id: this worker's index, in ``[0, num_workers)``.
        num_workers: number of worker processes of the loader.
        seed: the seed this worker gave ``ember.manual_seed`` and ``random.seed``: the
            loader's per-iterator base seed plus ``id``.
        dataset: this process's copy of the dataset (a different object from the main
            process's; configure it here, e.g. to read one shard per worker).
    """

    id: int
    num_workers: int
    seed: int
    dataset: Dataset


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Information about the DataLoader worker process this code runs in.

    In a worker (inside ``__getitem__``, ``__iter__``, ``collate_fn`` or ``worker_init_fn``) it
    returns a :class:`WorkerInfo` with ``id``, ``num_workers``, ``seed`` and ``dataset``; in the
    main process, and with ``num_workers=0``, it returns None. An :class:`IterableDataset` uses
    it to give each worker a different share of the stream.

    Returns:
        WorkerInfo in a worker process, else None.
    Example:
        >>> get_worker_info() is None
        True
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableEnd:
    """Sent by a worker whose IterableDataset copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at a new epoch; echoed back once earlier tasks are done."""


class _KeyErrorMessage(str):
    """A str whose repr is itself: KeyError prints repr(arg), which would escape the traceback."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class _ExceptionWrapper:
    """An exception raised in a worker: its type and formatted traceback, picklable."""

    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.exc_type: type = type(exc)  # replaced by RuntimeError if the type cannot pickle
        self.exc_name = type(exc).__name__
        self.exc_msg = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.where = f"in DataLoader worker process {worker_id}"

    def reraise(self) -> None:
        """Raise the worker's exception type with the original traceback text as message."""
        msg: str = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # noqa: BLE001  (any constructor may refuse one str argument)
            # The type needs other constructor arguments: keep the text, lose the type.
            raise RuntimeError(msg) from None
        raise exc


# ---- fetchers: one batch from its indices (shared with the in-process path) -----------------


class _MapFetcher:
    """Builds a batch of a map-style dataset from its indices.

    With auto-collation: ``__getbatch__(indices)`` when the dataset has it and the collate
    function is the default, else ``collate_fn(__getitems__(indices))``, else
    ``collate_fn([dataset[i] for i in indices])``. Without it (``batch_size=None``):
    ``collate_fn(dataset[index])``.
    """

    def __init__(
        self, dataset: Any, auto_collation: bool, collate_fn: Callable, default_collate: bool
    ) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.getbatch = getattr(dataset, "__getbatch__", None) if default_collate else None
        self.getitems = getattr(dataset, "__getitems__", None)

    @property
    def wants_arrays(self) -> bool:
        """Whether index batches may be numpy arrays (the batch methods take them)."""
        return self.auto_collation and (self.getbatch is not None or self.getitems is not None)

    def __call__(self, indices: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.getbatch is not None:
            return self.getbatch(np.asarray(indices, dtype=np.int64))
        if self.getitems is not None:
            idx = indices.tolist() if isinstance(indices, np.ndarray) else list(indices)
            return self.collate_fn(self.getitems(idx))
        return self.collate_fn([self.dataset[i] for i in indices])


class _IterableFetcher:
    """Takes the next batch (or sample, with ``batch_size=None``) from an iterable dataset.

    Raises StopIteration when the stream is exhausted; with ``drop_last`` a final short batch
    also ends it.
    """

    def __init__(
        self, dataset: Any, batch_size: int | None, collate_fn: Callable, drop_last: bool
    ) -> None:
        self.iterator = iter(dataset)
        self.batch_size = batch_size
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def __call__(self, _index: Any = None) -> Any:
        if self.ended:
            raise StopIteration
        if self.batch_size is None:
            return self.collate_fn(next(self.iterator))
        batch = list(itertools.islice(self.iterator, self.batch_size))
        if len(batch) < self.batch_size:
            self.ended = True
            if not batch or self.drop_last:
                raise StopIteration
        return self.collate_fn(batch)


@dataclass
class _WorkerSpec:
    """What a worker needs to build batches (pickled to the worker under 'spawn')."""

    dataset: Any
    is_iterable: bool
    auto_collation: bool
    collate_fn: Callable
    default_collate: bool
    batch_size: int | None
    drop_last: bool
    worker_init_fn: Callable[[int], None] | None

    def make_fetcher(self, dataset: Any) -> Callable[[Any], Any]:
        """The function a worker calls per task to build one batch from ``dataset``."""
        if self.is_iterable:
            return _IterableFetcher(dataset, self.batch_size, self.collate_fn, self.drop_last)
        return _MapFetcher(dataset, self.auto_collation, self.collate_fn, self.default_collate)


# ---- worker process ---------------------------------------------------------------------------


class _Sender:
    """Pickles messages in the caller's thread; a daemon thread writes them to the pipe.

    The thread lets the worker go on fetching while the main process has not yet read earlier
    batches (a pipe holds only 64 KiB); the worker's process exit does not wait for it.
    """

    def __init__(self, conn: mp_connection.Connection, worker_id: int) -> None:
        self._conn = conn
        self._worker_id = worker_id
        self._buffers: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="ember_data_sender", daemon=True).start()

    def send(self, message: tuple) -> None:
        """Pickles ``(index, batch)`` here (an unpicklable batch becomes an error message) and
        queues it for the sender thread."""
        try:
            buf = ForkingPickler.dumps(message)
        except Exception as e:  # noqa: BLE001  (any user object may fail to pickle)
            idx, data = message
            if isinstance(data, _ExceptionWrapper):
                # The exception's own type does not pickle (e.g. a local class): send its text.
                data.exc_type = RuntimeError
            else:
                error = RuntimeError(
                    f"DataLoader worker {self._worker_id}: the batch could not be pickled to "
                    f"send it to the main process: {type(e).__name__}: {e}"
                )
                data = _ExceptionWrapper(self._worker_id, error)
            buf = ForkingPickler.dumps((idx, data))
        self._buffers.put(buf)

    def _run(self) -> None:
        while True:
            buf = self._buffers.get()
            try:
                self._conn.send_bytes(buf)
            except OSError:  # the main process closed its end: it is shutting down
                return


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed ember, ``random`` and numpy's legacy global RNG as PyTorch's workers do."""
    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    # numpy gets 128 bits from a SeedSequence of (worker id, base seed) rather than `seed`, so
    # its stream differs from random's; the same words PyTorch's workers pass to np.random.seed.
    words = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    np.random.seed(np.random.SeedSequence(words).generate_state(4))
    return seed


def _worker_loop(
    spec: _WorkerSpec,
    index_queue: Any,
    result_conn: mp_connection.Connection,
    done_event: Any,
    base_seed: int,
    worker_id: int,
    num_workers: int,
    parent_pid: int,
) -> None:
    """Body of a worker process: fetch the batches of the tasks on ``index_queue``.

    Messages in: ``(idx, indices)`` tasks, ``_ResumeIteration()`` (new epoch, persistent
    workers) and ``None`` (exit). Out: ``(idx, batch | _ExceptionWrapper | _IterableEnd)`` and
    ``(_ResumeIteration(), None)``.
    """
    global _worker_info
    try:
        ember.set_num_threads(1)  # N workers on N cores: threads inside each would oversubscribe
        seed = _seed_worker(base_seed, worker_id)
        dataset = spec.dataset
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        sender = _Sender(result_conn, worker_id)

        init_error: _ExceptionWrapper | None = None
        fetcher: Callable[[Any], Any] | None = None
        try:
            if spec.worker_init_fn is not None:
                spec.worker_init_fn(worker_id)
            fetcher = spec.make_fetcher(dataset)
        except Exception as e:  # noqa: BLE001  (re-raised in the main process)
            init_error = _ExceptionWrapper(worker_id, e)

        iteration_end = False
        while True:
            try:
                message = index_queue.get(timeout=_WATCHDOG_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone
                    break
                continue
            if message is None:
                break
            if isinstance(message, _ResumeIteration):
                iteration_end = False
                if init_error is None:
                    try:
                        fetcher = spec.make_fetcher(dataset)
                    except Exception as e:  # noqa: BLE001  (re-raised in the main process)
                        init_error = _ExceptionWrapper(worker_id, e)
                sender.send((message, None))
                continue
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or nothing left: wait for None / _ResumeIteration
            idx, indices = message
            if init_error is not None:  # every task of a worker that failed to start fails
                data: Any = init_error
            else:
                try:
                    data = fetcher(indices)  # type: ignore[misc]
                except StopIteration as e:
                    if spec.is_iterable:
                        data = _IterableEnd(worker_id)
                        iteration_end = True
                    else:
                        data = _ExceptionWrapper(worker_id, e)
                except Exception as e:  # noqa: BLE001  (re-raised in the main process)
                    data = _ExceptionWrapper(worker_id, e)
            sender.send((idx, data))
            del data, indices, message
    except KeyboardInterrupt:
        pass  # the main process gets the interrupt too and shuts the workers down


# ---- main process -----------------------------------------------------------------------------

_NO_INDEX = object()


def _default_context() -> Any:
    """The start method used when ``multiprocessing_context`` is None: fork on Linux (cheap,
    and datasets need not pickle), spawn elsewhere (macOS and Windows defaults)."""
    import multiprocessing
    import sys

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _draw_base_seed(generator: ember.Generator | None) -> int:
    return int(ember.randint(0, 2**63 - 1, (), generator=generator).item())


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _MultiProcessingIter:
    """Iterator over a DataLoader's batches loaded by worker processes.

    Created by ``iter(loader)`` when ``num_workers > 0``; with ``persistent_workers`` the loader
    keeps one and calls :meth:`_reset` at each new epoch. Workers are shut down when the epoch
    ends (unless persistent), on any error, and when the iterator is deleted.
    """

    def __init__(self, loader: Any) -> None:
        self._shutdown = True  # nothing to shut down until the workers exist
        self._owner_pid = os.getpid()
        self._workers: list = []
        self._index_queues: list = []
        self._result_conns: list = []
        self._num_workers = int(loader.num_workers)
        self._prefetch_factor = int(loader.prefetch_factor or 2)
        self._in_order = bool(loader.in_order)
        self._timeout = loader.timeout
        self._persistent = bool(loader.persistent_workers)
        self._is_iterable = loader._is_iterable
        self._length = loader._worker_task_count()

        spec, self._task_iter = loader._worker_spec_and_tasks()
        # Take the first task before drawing the workers' base seed: a shuffling sampler draws
        # its whole epoch order from the generator first, so the first epoch visits samples in
        # the same order as with num_workers=0 under the same seed.
        self._pending = next(self._task_iter, _NO_INDEX)
        base_seed = _draw_base_seed(loader.generator)

        ctx = loader.multiprocessing_context or _default_context()
        self._done_event = ctx.Event()
        # Workers we have told to exit (their sentinel firing is then no failure).
        self._told_to_exit = [False] * self._num_workers
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                # Queued tasks must not keep the interpreter from exiting.
                index_queue.cancel_join_thread()
                reader, writer = ctx.Pipe(duplex=False)
                process = ctx.Process(
                    target=_worker_loop,
                    args=(
                        spec,
                        index_queue,
                        writer,
                        self._done_event,
                        base_seed,
                        worker_id,
                        self._num_workers,
                        os.getpid(),
                    ),
                    name=f"ember_data_worker_{worker_id}",
                    daemon=True,
                )
                try:
                    process.start()
                finally:
                    writer.close()  # the worker has its own copy
                self._workers.append(process)
                self._index_queues.append(index_queue)
                self._result_conns.append(reader)
        except BaseException:
            self._shutdown = False
            self._shutdown_workers()
            raise
        self._shutdown = False
        try:
            self._start_epoch(first=True)
        except BaseException:
            self._shutdown_workers()
            raise

    # -- epoch bookkeeping ---------------------------------------------------------------------

    def _start_epoch(self, first: bool) -> None:
        self._send_idx = 0  # sequence number of the next task sent
        self._rcvd_idx = 0  # sequence number of the next batch to yield
        # seq -> (worker_id,) while outstanding, (worker_id, data) once received out of order
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0
        # False once a worker's IterableDataset copy is exhausted (for this epoch).
        self._workers_status = [True] * self._num_workers
        self._worker_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            for q in self._index_queues:
                q.put(_ResumeIteration())
            # Tasks left from an epoch abandoned midway are answered before the echo: drop them.
            for worker_id in range(self._num_workers):
                while True:
                    idx, _data, _w = self._get_data(worker_id)
                    if isinstance(idx, _ResumeIteration):
                        break
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _reset(self, loader: Any) -> None:
        """Start a new epoch on the same (persistent) workers."""
        self._length = loader._worker_task_count()
        _spec, self._task_iter = loader._worker_spec_and_tasks()
        self._pending = _NO_INDEX
        try:
            self._start_epoch(first=False)
        except BaseException:
            self._shutdown_workers()
            raise

    def _next_index(self) -> Any:
        if self._pending is not _NO_INDEX:
            index, self._pending = self._pending, _NO_INDEX
            return index
        return next(self._task_iter, _NO_INDEX)

    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        if self._tasks_outstanding >= max_tasks:
            return
        active = sum(self._workers_status)
        if active == 0:
            return
        index = self._next_index()
        if index is _NO_INDEX:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id] and (
                self._in_order or self._worker_tasks[worker_id] < max_tasks // active
            ):
                break
        else:  # pragma: no cover - unreachable: some active worker has room
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._worker_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    # -- receiving ------------------------------------------------------------------------------

    def _get_data(self, worker_id: int | None) -> tuple:
        """The next message ``(idx, data, worker_id)`` from ``worker_id`` (None: any active).

        Raises RuntimeError when ``timeout`` passes first or a worker dies.
        """
        if worker_id is None:
            conns = {
                self._result_conns[w]: w
                for w in range(self._num_workers)
                if self._workers_status[w] and not self._told_to_exit[w]
            }
        else:
            conns = {self._result_conns[worker_id]: worker_id}
        sentinels = {
            self._workers[w].sentinel: w
            for w in range(self._num_workers)
            if not self._told_to_exit[w]
        }
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            ready = mp_connection.wait([*conns, *sentinels], timeout=remaining)
            for obj in ready:
                w = conns.get(obj)
                if w is None:
                    continue
                try:
                    buf = obj.recv_bytes()
                except (EOFError, OSError):  # the worker closed its end: it is exiting
                    self._workers[w].join(timeout=1.0)
                    self._raise_failed_workers()
                    raise RuntimeError(
                        f"DataLoader worker {w} (pid {self._workers[w].pid}) closed its result "
                        "pipe unexpectedly"
                    ) from None
                idx, data = pickle.loads(buf)
                return idx, data, w
            if any(obj in sentinels for obj in ready):
                self._raise_failed_workers()

    def _raise_failed_workers(self) -> None:
        """Raise RuntimeError naming the workers that exited without being asked to."""
        failed = []
        for w, process in enumerate(self._workers):
            if not self._told_to_exit[w]:
                process.join(timeout=0)
                if process.exitcode is not None:
                    failed.append(w)
        if not failed:
            return
        pids = ", ".join(str(self._workers[w].pid) for w in failed)
        how = "; ".join(f"worker {w} {_describe_exit(self._workers[w].exitcode)}" for w in failed)
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly ({how})")

    def _next_data(self) -> Any:
        while True:
            # Skip the tasks of workers whose stream ended: they will never answer them.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                if info is not None:
                    del self._task_info[self._rcvd_idx]
                    self._tasks_outstanding -= 1
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration

            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1], info[0])

            idx, data, worker_id = self._get_data(info[0] if self._in_order else None)
            if isinstance(idx, _ResumeIteration):  # pragma: no cover - drained in _start_epoch
                continue
            if isinstance(data, _IterableEnd):
                self._task_info.pop(idx, None)
                self._tasks_outstanding -= 1
                self._worker_tasks[worker_id] -= 1
                self._workers_status[worker_id] = False
                if not self._persistent:
                    self._index_queues[worker_id].put(None)
                    self._told_to_exit[worker_id] = True
                self._try_put_index()
                continue
            self._tasks_outstanding -= 1
            if idx == self._rcvd_idx:
                del self._task_info[idx]
                self._rcvd_idx += 1
                return self._process(data, worker_id)
            if not self._in_order:
                del self._task_info[idx]
                return self._process(data, worker_id)
            self._task_info[idx] = (worker_id, data)

    def _process(self, data: Any, worker_id: int) -> Any:
        self._worker_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, _ExceptionWrapper):
            data.reraise()
        return data

    # -- iterator protocol ----------------------------------------------------------------------

    def __iter__(self) -> _MultiProcessingIter:
        return self

    def __next__(self) -> Any:
        if self._shutdown:
            raise StopIteration
        try:
            return self._next_data()
        except StopIteration:
            raise
        except BaseException:
            # A worker error, a dead worker, a timeout or an interrupt ends the iterator; the
            # workers must not outlive it waiting for tasks.
            self._shutdown_workers()
            raise

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("DataLoader iterator: the dataset or sampler has no len()")
        return self._length

    # -- shutdown -------------------------------------------------------------------------------

    def _shutdown_workers(self) -> None:
        """Stop the workers: ask them to exit, wait a bounded time, then terminate them."""
        if self._shutdown or os.getpid() != self._owner_pid:
            return  # already done, or a forked child holding a copy of this object
        self._shutdown = True
        try:
            self._done_event.set()
            for w, q in enumerate(self._index_queues):
                if not self._told_to_exit[w]:
                    q.put(None)
            deadline = time.monotonic() + _JOIN_TIMEOUT
            for process in self._workers:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for process in self._workers:
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=1.0)
                if process.is_alive():
                    process.kill()
                    process.join()
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            for conn in self._result_conns:
                conn.close()

    def __del__(self) -> None:
        # At interpreter exit the modules this needs may be gone; the daemon workers are then
        # terminated by multiprocessing's own exit handler.
        with contextlib.suppress(Exception):
            self._shutdown_workers()
