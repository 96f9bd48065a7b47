"""DataLoader with num_workers > 0: worker processes, ordering, seeding, errors and shutdown.

Every loader here has a ``timeout`` (``_loader``) and every test runs under a SIGALRM limit
(``_time_limit``), so a bug fails a test instead of hanging the suite.
"""

import gc
import inspect
import multiprocessing
import os
import random
import signal
import time

import ember
import numpy as np
import pytest
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    get_worker_info,
)

_TIMEOUT = 10  # seconds a loader waits for one batch before raising
_TEST_LIMIT = 30  # seconds a whole test may take


@pytest.fixture(autouse=True)
def _time_limit():
    """Fail a test that runs past _TEST_LIMIT, and check it left no worker processes behind."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"test took longer than {_TEST_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, _TEST_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    gc.collect()
    assert multiprocessing.active_children() == []


def _loader(dataset, **kwargs):
    kwargs.setdefault("num_workers", 2)
    kwargs.setdefault("timeout", _TIMEOUT)
    return DataLoader(dataset, **kwargs)


def _values(batches):
    """Batches as nested Python lists (tensors converted), for equality checks."""

    def conv(x):
        if isinstance(x, ember.Tensor):
            return x.tolist()
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        return x

    return [conv(b) for b in batches]


def assert_no_workers():
    gc.collect()
    assert multiprocessing.active_children() == []


# ---- datasets (module level: picklable for the spawn test) ----------------------------------


class Squares(Dataset):
    """Sample i is (float32 [i, i*i], int i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), int(i)


class Many(Squares):
    def __getitems__(self, idx):
        return [(np.array([i, -i], np.float32), i) for i in idx]


class Pids(Dataset):
    """Sample i is (i, pid of the process that built it)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return i, os.getpid()


class Info(Dataset):
    """Reports get_worker_info() fields and worker state with each sample."""

    def __init__(self, n=8):
        self.n = n
        self.tag = "main"
        self.offset = 0
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        self.calls += 1
        return {
            "i": i,
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "same_dataset": info.dataset is self,
            "tag": info.dataset.tag,
            "offset": self.offset,
            "calls": self.calls,
            "pid": os.getpid(),
            "threads": ember.get_num_threads(),
        }


def set_offset(worker_id):
    get_worker_info().dataset.offset = 100 * (worker_id + 1)


class Augment(Dataset):
    """Random augmentation drawn in __getitem__ from ember's, Python's and numpy's RNGs."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return ember.rand(3), random.random(), float(np.random.rand())


class Failing(Dataset):
    def __init__(self, bad, exc=ValueError):
        self.bad, self.exc = bad, exc

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"bad index {i}")
        return i


class Killing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Stuck(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 2:
            time.sleep(0.6)
        return i


class Sharded(IterableDataset):
    """range(n), split across workers by get_worker_info when ``shard``."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if self.shard and info is not None:
            return iter(range(info.id, self.n, info.num_workers))
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---- same batches as in-process loading -----------------------------------------------------


def _tensor_ds(n):
    return TensorDataset(np.arange(2 * n, dtype=np.float32).reshape(n, 2), np.arange(n))


@pytest.mark.parametrize(
    "make,kwargs",
    [
        (lambda: Squares(11), {"batch_size": 3}),
        (lambda: Squares(11), {"batch_size": 3, "drop_last": True}),
        (lambda: Squares(5), {"batch_size": None}),
        (lambda: Many(9), {"batch_size": 4}),
        (lambda: _tensor_ds(10), {"batch_size": 4}),
        (lambda: Squares(10), {"batch_size": 2, "sampler": [9, 1, 5, 5, 0]}),
        (lambda: Squares(10), {"batch_sampler": [[0, 2], [4], [6, 8, 9]]}),
        (
            lambda: Squares(10),
            {"batch_sampler": BatchSampler(SequentialSampler(range(7)), 3, False)},
        ),
        (lambda: Squares(7), {"batch_size": 2, "collate_fn": lambda s: sum(x[1] for x in s)}),
        (lambda: Squares(12), {"batch_size": 2, "prefetch_factor": 1}),
        (lambda: Squares(12), {"batch_size": 1, "prefetch_factor": 5}),
    ],
)
def test_batches_equal_num_workers_0(make, kwargs):
    in_process = {k: v for k, v in kwargs.items() if k != "prefetch_factor"}
    expected = _values(DataLoader(make(), **in_process))
    loader = _loader(make(), **kwargs)
    assert _values(loader) == expected
    assert _values(loader) == expected  # a second epoch
    assert len(expected) > 0


def test_shuffled_first_epoch_equals_num_workers_0_under_same_generator_seed():
    def epoch(num_workers, seed):
        g = ember.Generator()
        g.manual_seed(seed)
        kw = {"num_workers": num_workers, "timeout": _TIMEOUT if num_workers else 0}
        return _values(DataLoader(_tensor_ds(23), batch_size=5, shuffle=True, generator=g, **kw))

    ref = epoch(0, 11)
    assert epoch(2, 11) == ref
    assert epoch(2, 11) == epoch(2, 11)
    assert epoch(2, 12) != ref
    order = [y for _, ys in ref for y in ys]
    assert sorted(order) == list(range(23)) and order != list(range(23))


def test_shuffled_under_global_seed_equals_num_workers_0():
    ember.manual_seed(5)
    ref = _values(DataLoader(Squares(20), batch_size=6, shuffle=True))
    ember.manual_seed(5)
    assert _values(_loader(Squares(20), batch_size=6, shuffle=True)) == ref


def test_in_order_false_delivers_every_batch_once():
    batches = _values(_loader(Squares(20), batch_size=3, in_order=False))
    assert sorted(i for _, ids in batches for i in ids) == list(range(20))
    assert sorted(len(ids) for _, ids in batches) == [2] + [3] * 6


# ---- worker processes, worker info, init and threads ----------------------------------------


def test_samples_are_built_in_worker_processes():
    batches = list(_loader(Pids(), batch_size=2))
    pids = [set(p.tolist()) for _, p in batches]
    assert all(len(p) == 1 for p in pids)  # a batch comes from one worker
    workers = {next(iter(p)) for p in pids}
    assert len(workers) == 2 and os.getpid() not in workers
    order = [next(iter(p)) for p in pids]
    assert order == [order[0], order[1]] * 3  # batches alternate between the two workers
    assert [i for b, _ in batches for i in b.tolist()] == list(range(12))


def test_get_worker_info_fields():
    batches = list(_loader(Info(8), batch_size=2))
    ids = [b["id"].tolist() for b in batches]
    assert ids == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert {n for b in batches for n in b["num_workers"].tolist()} == {2}
    seeds = {b["id"][0].item(): b["seed"][0].item() for b in batches}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker id
    assert all(all(b["same_dataset"].tolist()) for b in batches)
    assert {t for b in batches for t in b["tag"]} == {"main"}
    assert {t for b in batches for t in b["threads"].tolist()} == {1}
    assert get_worker_info() is None


def test_worker_init_fn_runs_in_each_worker_before_loading():
    ds = Info(6)
    batches = list(_loader(ds, batch_size=1, worker_init_fn=set_offset))
    offsets = {b["id"].item(): b["offset"].item() for b in batches}
    assert offsets == {0: 100, 1: 200}
    assert ds.offset == 0 and ds.calls == 0  # the main process's dataset is untouched


def test_worker_init_fn_error_is_raised_with_worker_id():
    def init(worker_id):
        if worker_id == 1:
            raise RuntimeError("init failed")

    loader = _loader(Squares(8), batch_size=2, worker_init_fn=init)
    with pytest.raises(RuntimeError, match=r"(?s)in DataLoader worker process 1\..*init failed"):
        list(loader)
    assert_no_workers()


def test_multiprocessing_context_string_and_object():
    assert _values(_loader(Pids(), batch_size=4, multiprocessing_context="fork"))[0][0] == [
        0,
        1,
        2,
        3,
    ]
    ctx = multiprocessing.get_context("fork")
    loader = _loader(Pids(), batch_size=4, multiprocessing_context=ctx)
    assert loader.multiprocessing_context is ctx
    assert [b[0] for b in _values(loader)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_spawn_context_loads_picklable_dataset():
    loader = _loader(Squares(6), batch_size=2, multiprocessing_context="spawn", timeout=60)
    assert _values(loader) == _values(DataLoader(Squares(6), batch_size=2))


# ---- IterableDataset -------------------------------------------------------------------------


def test_iterable_sharded_by_worker_info_interleaves_workers():
    batches = _values(_loader(Sharded(11), batch_size=2))
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    dropped = _values(_loader(Sharded(11), batch_size=2, drop_last=True))
    assert dropped == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10]]  # worker 1's [9] dropped


def test_iterable_without_sharding_duplicates_samples():
    batches = _values(_loader(Sharded(5, shard=False), batch_size=2))
    assert batches == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]
    assert _values(_loader(Sharded(5, shard=False), batch_size=None)) == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_iterable_uneven_shards_end_independently():
    # three workers on range(5): worker 2 has one sample, worker 0 and 1 have two
    with pytest.warns(UserWarning, match="3 worker processes"):
        loader = _loader(Sharded(5), batch_size=1, num_workers=3)
    assert _values(loader) == [[0], [1], [2], [3], [4]]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shard", [True, False])
def test_iterable_matches_torch(shard, drop_last):
    torch = pytest.importorskip("torch")

    class TorchSharded(torch.utils.data.IterableDataset):
        def __init__(self, n, shard):
            self.n, self.shard = n, shard

        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            if self.shard and info is not None:
                return iter(range(info.id, self.n, info.num_workers))
            return iter(range(self.n))

    ref = [
        b.tolist()
        for b in torch.utils.data.DataLoader(
            TorchSharded(9, shard), batch_size=2, num_workers=2, drop_last=drop_last, timeout=30
        )
    ]
    assert _values(_loader(Sharded(9, shard), batch_size=2, drop_last=drop_last)) == ref


# ---- persistent workers, early exit and shutdown --------------------------------------------


def test_persistent_workers_are_reused_across_epochs():
    loader = _loader(Info(6), batch_size=1, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    pids = [sorted({b["pid"].item() for b in e}) for e in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    # the workers' dataset copies live on: each worker's call counter keeps growing (3 per epoch)
    calls = [max(b["calls"].item() for b in e) for e in epochs]
    assert calls == [3, 6, 9]
    assert [[b["i"].item() for b in e] for e in epochs] == [list(range(6))] * 3
    del loader
    assert_no_workers()


def test_non_persistent_workers_are_new_each_epoch_and_stop_after_it():
    loader = _loader(Pids(), batch_size=3)
    first = {p for _, ps in _values(loader) for p in ps}
    assert multiprocessing.active_children() == []  # stopped at the end of the epoch
    second = {p for _, ps in _values(loader) for p in ps}
    assert len(first) == len(second) == 2 and not first & second


def test_break_then_new_epoch():
    loader = _loader(Squares(10), batch_size=2)
    expected = _values(DataLoader(Squares(10), batch_size=2))
    for batch in loader:
        break
    assert _values([batch]) == expected[:1]
    assert_no_workers()  # the abandoned iterator shut its workers down
    assert _values(loader) == expected


def test_break_then_new_epoch_with_persistent_workers():
    loader = _loader(Pids(), batch_size=2, persistent_workers=True)
    it = iter(loader)
    first = [next(it), next(it)]
    pids = {p for _, ps in _values(first) for p in ps}
    epoch = _values(loader)  # stale prefetched batches of the abandoned epoch are dropped
    assert [i for b, _ in epoch for i in b] == list(range(12))
    assert {p for _, ps in epoch for p in ps} == pids
    del it, loader
    assert_no_workers()


def test_deleted_iterator_stops_workers():
    it = iter(_loader(Squares(10), batch_size=2))
    assert _values([next(it)]) == [[[[0.0, 0.0], [1.0, 1.0]], [0, 1]]]
    assert len(multiprocessing.active_children()) == 2
    assert len(it) == 5
    del it
    assert_no_workers()


# ---- errors ----------------------------------------------------------------------------------


def test_worker_exception_is_reraised_with_type_worker_id_and_traceback():
    got = []
    with pytest.raises(ValueError) as info:
        for batch in _loader(Failing(5), batch_size=2):  # batch [4, 5] goes to worker 0
            got.append(batch.tolist())
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert "bad index 5" in msg and "__getitem__" in msg
    assert got == [[0, 1], [2, 3]]  # batches before the failing one arrived in order
    assert_no_workers()


def test_worker_exception_message_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchFailing(torch.utils.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 7:
                raise ValueError(f"bad index {i}")
            return i

    loader = torch.utils.data.DataLoader(TorchFailing(), batch_size=2, num_workers=2, timeout=30)
    with pytest.raises(ValueError) as ref:
        list(loader)
    # torch's iterator waits 5 s per worker at shutdown after a worker error; end them now
    for process in multiprocessing.active_children():
        process.terminate()
        process.join()
    with pytest.raises(ValueError) as ours:
        list(_loader(Failing(7), batch_size=2))
    first_line = str(ref.value).splitlines()[0]
    assert first_line == "Caught ValueError in DataLoader worker process 1."
    assert str(ours.value).splitlines()[0] == first_line
    assert str(ours.value).splitlines()[-1] == str(ref.value).splitlines()[-1]


def test_worker_key_error_keeps_readable_message():
    with pytest.raises(KeyError) as info:
        list(_loader(Failing(0, KeyError), batch_size=2))
    assert "Caught KeyError in DataLoader worker process 0." in repr(info.value)
    assert "\\n" not in str(info.value)  # the traceback is not escaped by repr


def test_worker_exception_of_unpicklable_type_keeps_its_name_and_text():
    class LocalError(Exception):
        pass

    with pytest.raises(RuntimeError) as info:
        list(_loader(Failing(3, LocalError), batch_size=2))
    msg = str(info.value)
    assert msg.startswith("Caught LocalError in DataLoader worker process 1.")
    assert msg.rstrip().endswith("LocalError: bad index 3")
    assert_no_workers()


def test_unpicklable_batch_raises_instead_of_hanging():
    loader = _loader(Squares(4), batch_size=2, collate_fn=lambda samples: lambda: samples)
    with pytest.raises(RuntimeError, match="the batch could not be pickled"):
        list(loader)
    assert_no_workers()


def test_killed_worker_raises_runtime_error():
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly .*SIGKILL"
    ):
        list(_loader(Killing(), batch_size=2))
    assert_no_workers()


def test_timeout_raises_runtime_error():
    got = []
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0\.2 seconds$"):
        for batch in _loader(Stuck(), batch_size=1, timeout=0.2):
            got.append(batch.item())
    assert got == [0, 1]
    assert_no_workers()


# ---- random state in workers -----------------------------------------------------------------


def _augment_epoch(seed, num_workers=2):
    g = ember.Generator()
    g.manual_seed(seed)
    return _values(_loader(Augment(), batch_size=2, num_workers=num_workers, generator=g))


def test_augmentations_differ_between_workers_and_repeat_under_same_seed():
    a, b, c = _augment_epoch(3), _augment_epoch(3), _augment_epoch(4)
    assert a == b
    assert a != c
    worker0, worker1 = a[0], a[1]  # batch 0 from worker 0, batch 1 from worker 1
    for k in range(3):  # ember, random, numpy draws all differ between the workers
        assert worker0[k] != worker1[k]
    assert a[0] != a[2]  # and a worker's stream moves on


def test_worker_seeding_matches_torch_for_same_base_seed():
    pytest.importorskip("torch")
    from ember.utils.data._worker import _seed_worker
    from torch.utils.data._utils.worker import _generate_state

    state = random.getstate()
    try:
        base, worker_id = 1234567890123456789, 3
        seed = _seed_worker(base, worker_id)
        ours = (random.random(), np.random.rand(), ember.rand(2).tolist())
        random.seed(base + worker_id)
        np.random.seed(_generate_state(base, worker_id))
        assert seed == base + worker_id
        assert ours[0] == random.random() and ours[1] == np.random.rand()
        ember.manual_seed(base + worker_id)
        assert ours[2] == ember.rand(2).tolist()
    finally:
        random.setstate(state)


# ---- options ---------------------------------------------------------------------------------


def test_option_errors():
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Squares(4), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(4), persistent_workers=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(Squares(4), multiprocessing_context="fork")
    with pytest.raises(ValueError, match="should specify a valid start method"):
        DataLoader(Squares(4), num_workers=1, multiprocessing_context="threads")
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(Squares(4), num_workers=1, multiprocessing_context=3)
    with pytest.raises(ValueError, match="prefetch_factor option should be a positive integer"):
        DataLoader(Squares(4), num_workers=1, prefetch_factor=0)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Squares(4), num_workers=1, timeout=-1)
    loader = DataLoader(Squares(4), num_workers=1, pin_memory=True)
    assert loader.prefetch_factor == 2 and loader.multiprocessing_context is None
    assert DataLoader(Squares(4)).prefetch_factor is None


def test_signature_matches_torch():
    torch = pytest.importorskip("torch")
    ours = inspect.signature(DataLoader.__init__).parameters
    ref = inspect.signature(torch.utils.data.DataLoader.__init__).parameters
    assert list(ours) == list(ref)
    for name, p in ref.items():
        assert ours[name].kind == p.kind, name
        assert ours[name].default == p.default, name


def test_map_batches_match_torch_with_workers():
    torch = pytest.importorskip("torch")

    class TorchSquares(torch.utils.data.Dataset):
        def __len__(self):
            return 11

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), int(i)

    ref = torch.utils.data.DataLoader(TorchSquares(), batch_size=3, num_workers=2, timeout=30)
    ref_values = [[x.tolist(), y.tolist()] for x, y in ref]
    assert _values(_loader(Squares(11), batch_size=3)) == ref_values


class _StopsAtFour(Dataset):
    """Raises StopIteration from __getitem__ at index 4."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 4:
            raise StopIteration
        return i


@pytest.mark.parametrize("num_workers", [0, 1])
def test_stop_iteration_from_getitem_ends_the_epoch_in_both_modes(num_workers):
    kw = {"timeout": 20} if num_workers else {}
    loader = DataLoader(_StopsAtFour(), batch_size=2, num_workers=num_workers, **kw)
    got = [b.tolist() for b in loader]
    assert got == [[0, 1], [2, 3]]
