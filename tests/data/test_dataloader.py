import collections

import ember
import numpy as np
import pytest
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
)

torch = pytest.importorskip("torch")


def _ds(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y), x, y


class _Plain(Dataset):
    """Map-style dataset without a batch fast path: returns (array, int) per sample."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return np.array([i, -i], dtype=np.float32), int(i)


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([(float(i), i) for i in range(self.n)])

    def __len__(self):
        return self.n


# ---- batching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bs,drop_last,expected",
    [
        (4, False, [4, 4, 2]),
        (4, True, [4, 4]),
        (5, False, [5, 5]),
        (5, True, [5, 5]),
        (1, False, [1] * 10),
        (16, False, [10]),
        (16, True, []),
    ],
)
def test_batches_equal_dataset_rows(bs, drop_last, expected):
    ds, x, y = _ds(10)
    loader = DataLoader(ds, batch_size=bs, drop_last=drop_last)
    batches = list(loader)
    assert [len(b[1].numpy()) for b in batches] == expected
    assert len(loader) == len(expected)
    start = 0
    for bx, by in batches:
        k = by.shape[0]
        assert tuple(bx.shape) == (k, 2) and bx.dtype == ember.float32 and by.dtype == ember.int64
        np.testing.assert_array_equal(bx.numpy(), x[start : start + k])
        np.testing.assert_array_equal(by.numpy(), y[start : start + k])
        start += k


def test_batches_match_torch_dataloader():
    ds, x, y = _ds(11)
    ref = list(
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=3
        )
    )
    ours = list(DataLoader(ds, batch_size=3))
    assert len(ours) == len(ref)
    for (a, b), (ra, rb) in zip(ours, ref):
        assert isinstance(ours[0], list)  # like torch: a list per batch
        np.testing.assert_array_equal(a.numpy(), ra.numpy())
        np.testing.assert_array_equal(b.numpy(), rb.numpy())


@pytest.mark.parametrize("n,bs", [(0, 3), (1, 3), (7, 3), (9, 3), (10, 1), (100, 32)])
def test_len_with_and_without_drop_last(n, bs):
    ds = _Plain(n)
    assert len(DataLoader(ds, batch_size=bs)) == -(-n // bs)
    assert len(DataLoader(ds, batch_size=bs, drop_last=True)) == n // bs
    assert len(list(DataLoader(ds, batch_size=bs, drop_last=True))) == n // bs
    assert len(list(DataLoader(ds, batch_size=bs))) == -(-n // bs)


def test_plain_dataset_uses_collate_per_sample():
    ds = _Plain(5)
    batches = list(DataLoader(ds, batch_size=2))
    assert ds.calls == 5
    a, i = batches[2]
    np.testing.assert_array_equal(a.numpy(), [[4, -4]])
    np.testing.assert_array_equal(i.numpy(), [4])
    assert a.dtype == ember.float32 and i.dtype == ember.int64


def test_fast_path_does_not_call_getitem():
    class Counting(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("per-sample access in the batch path")

    ds = Counting(np.arange(10, dtype=np.float32))
    out = [b[0].numpy() for b in DataLoader(ds, batch_size=4, shuffle=True)]
    assert sorted(np.concatenate(out).tolist()) == list(range(10))


def test_getitems_protocol_used_with_collate():
    class Many(_Plain):
        def __getitems__(self, idx):
            self.batched = getattr(self, "batched", 0) + 1
            return [(np.array([i, -i], np.float32), i) for i in idx]

    ds = Many(5)
    out = list(DataLoader(ds, batch_size=2))
    assert ds.batched == 3 and ds.calls == 0
    np.testing.assert_array_equal(out[0][1].numpy(), [0, 1])


def test_custom_collate_fn_gets_samples():
    ds, x, _ = _ds(6)
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return sum(float(s[0].numpy().sum()) for s in samples)

    out = list(DataLoader(ds, batch_size=4, collate_fn=collate))
    assert seen == [4, 2]
    assert out == [float(x[:4].sum()), float(x[4:].sum())]


def test_batch_size_none_yields_converted_samples():
    out = list(DataLoader(_Plain(3), batch_size=None))
    assert len(out) == 3
    a, i = out[1]
    assert isinstance(a, ember.Tensor) and tuple(a.shape) == (2,) and i == 1
    assert len(DataLoader(_Plain(3), batch_size=None)) == 3


# ---- shuffling -------------------------------------------------------------------------------


def _epoch_order(loader):
    return np.concatenate([b[1].numpy() for b in loader]).tolist()


def test_shuffle_sees_every_sample_once_per_epoch():
    ds, x, _y = _ds(103)
    loader = DataLoader(ds, batch_size=10, shuffle=True)
    orders = []
    for _ in range(3):
        ys, xs = [], []
        for bx, by in loader:
            ys.append(by.numpy())
            xs.append(bx.numpy())
        order = np.concatenate(ys)
        assert sorted(order.tolist()) == list(range(103))
        np.testing.assert_array_equal(np.concatenate(xs), x[order])  # rows stay paired
        orders.append(order.tolist())
    assert orders[0] != orders[1] != orders[2]  # a new order every epoch
    assert orders[0] != list(range(103))


def test_shuffle_drop_last_sees_distinct_samples():
    ds, _, _ = _ds(23)
    order = _epoch_order(DataLoader(ds, batch_size=5, shuffle=True, drop_last=True))
    assert len(order) == 20 and len(set(order)) == 20


def test_shuffle_reproducible_under_manual_seed():
    ds, _, _ = _ds(50)
    ember.manual_seed(123)
    a = _epoch_order(DataLoader(ds, batch_size=8, shuffle=True))
    ember.manual_seed(123)
    b = _epoch_order(DataLoader(ds, batch_size=8, shuffle=True))
    ember.manual_seed(124)
    c = _epoch_order(DataLoader(ds, batch_size=8, shuffle=True))
    assert a == b
    assert a != c


def test_shuffle_reproducible_with_generator():
    ds, _, _ = _ds(50)

    def run(seed):
        g = ember.Generator()
        g.manual_seed(seed)
        loader = DataLoader(ds, batch_size=7, shuffle=True, generator=g)
        return [_epoch_order(loader), _epoch_order(loader)]

    a, b, c = run(7), run(7), run(8)
    assert a == b
    assert a != c
    assert a[0] != a[1]
    # the generator, not the global state, decides the order
    g = ember.Generator()
    g.manual_seed(7)
    ember.manual_seed(999)
    assert _epoch_order(DataLoader(ds, batch_size=7, shuffle=True, generator=g)) == a[0]


def test_shuffle_plain_dataset_same_order_as_fast_path():
    ds_fast, _, _ = _ds(20)
    ember.manual_seed(3)
    fast = _epoch_order(DataLoader(ds_fast, batch_size=6, shuffle=True))
    ember.manual_seed(3)
    plain = np.concatenate(
        [b[1].numpy() for b in DataLoader(_Plain(20), batch_size=6, shuffle=True)]
    ).tolist()
    assert fast == plain


# ---- samplers --------------------------------------------------------------------------------


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, True)) == [[0, 1], [2, 3]]
    assert list(BatchSampler([4, 2, 0], 2, False)) == [[4, 2], [0]]
    assert len(BatchSampler(range(5), 2, False)) == 3
    assert len(BatchSampler(range(5), 2, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, got 0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(TypeError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutation_and_replacement():
    s = RandomSampler(range(30))
    order = list(s)
    assert sorted(order) == list(range(30)) and len(s) == 30
    s = RandomSampler(range(5), num_samples=12)
    order = list(s)
    assert len(order) == 12 and len(s) == 12
    assert sorted(order[:5]) == list(range(5)) and sorted(order[5:10]) == list(range(5))
    s = RandomSampler(range(4), replacement=True, num_samples=200)
    order = list(s)
    assert len(order) == 200 and set(order) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler():
    s = SubsetRandomSampler([3, 9, 4])
    assert sorted(s) == [3, 4, 9] and len(s) == 3


def test_loader_with_sampler_and_batch_sampler():
    ds, _, _y = _ds(10)
    order = _epoch_order(DataLoader(ds, batch_size=3, sampler=[9, 1, 5, 5]))
    assert order == [9, 1, 5, 5]
    loader = DataLoader(ds, batch_sampler=[[0, 2], [4], [6, 8, 9]])
    assert [b[1].numpy().tolist() for b in loader] == [[0, 2], [4], [6, 8, 9]]
    assert len(loader) == 3


def test_loader_option_conflicts():
    ds, _, _ = _ds(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be a non-negative integer"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value or None"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        DataLoader(_Stream(3), shuffle=True)


def test_workers_give_the_same_batches_and_no_worker_info_in_the_main_process():
    ds, x, _ = _ds(10)
    a = [b[0].numpy() for b in DataLoader(ds, batch_size=4, num_workers=2, timeout=30)]
    np.testing.assert_array_equal(np.concatenate(a), x)
    assert get_worker_info() is None


def test_iterable_dataset_batches():
    loader = DataLoader(_Stream(7), batch_size=3)
    out = list(loader)
    assert len(loader) == 3 and len(out) == 3
    np.testing.assert_array_equal(out[2][1].numpy(), [6])
    assert out[0][0].dtype == ember.float64
    assert len(list(DataLoader(_Stream(7), batch_size=3, drop_last=True))) == 2


# ---- default_collate -------------------------------------------------------------------------


def _assert_same(ours, ref):
    """Structure, dtype and values of an ember collate result equal torch's."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, ember.Tensor)
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and list(ours) == list(ref)
        for k in ref:
            _assert_same(ours[k], ref[k])
    elif isinstance(ref, (list, tuple)):
        assert type(ours) is type(ref) and len(ours) == len(ref)
        for a, b in zip(ours, ref):
            _assert_same(a, b)
    else:
        assert ours == ref


@pytest.mark.parametrize(
    "batch",
    [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        [np.float32(1.5), np.float32(2.0)],
        [np.int32(1), np.int32(4)],
        [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
        [np.arange(3), np.arange(3) * 2],
        [(1, 2.0), (3, 4.0)],
        [[1, "a"], [2, "b"]],
        [{"x": 1.0, "y": [1, 2]}, {"x": 2.0, "y": [3, 4]}],
        ["cat", "dog"],
    ],
)
def test_default_collate_matches_torch(batch):
    ours = default_collate(batch)
    ref = torch.utils.data.default_collate(batch)
    _assert_same(ours, ref)


def test_default_collate_tensors_stack():
    a = ember.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = default_collate([a, a * 2])
    assert tuple(out.shape) == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[1], a.numpy() * 2)
    scalars = default_collate([ember.from_numpy(np.array(1.0)), ember.from_numpy(np.array(2.0))])
    np.testing.assert_array_equal(scalars.numpy(), [1.0, 2.0])


def test_default_collate_namedtuple_and_dict_of_tensors():
    Point = collections.namedtuple("Point", "x y")
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point)
    np.testing.assert_array_equal(out.x.numpy(), [1, 3])
    out = default_collate([{"a": ember.zeros(2)}, {"a": ember.ones(2)}])
    np.testing.assert_array_equal(out["a"].numpy(), [[0, 0], [1, 1]])


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(ValueError, match="same shape"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="stack"):
        default_collate([ember.zeros(2), ember.zeros(3)])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float32(2.0), "s")})
    assert isinstance(out["a"], ember.Tensor)
    np.testing.assert_array_equal(out["a"].numpy(), [0, 1, 2])
    assert out["b"][0].item() == 2.0 and out["b"][1] == "s"
