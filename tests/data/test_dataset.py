import warnings

import ember
import numpy as np
import pytest
from ember.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

torch = pytest.importorskip("torch")


def _arange_ds(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), x, y


class _Squares(Dataset):
    """A plain map-style dataset (no __getbatch__)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": np.array([i, i * i], dtype=np.float64), "i": i}


# ---- TensorDataset -------------------------------------------------------------------------


def test_tensor_dataset_items_equal_rows():
    ds, x, y = _arange_ds()
    assert len(ds) == 10
    for i in (0, 3, 9, -1, np.int64(4)):
        xi, yi = ds[i]
        np.testing.assert_array_equal(xi.numpy(), x[i])
        assert tuple(xi.shape) == (3,)
        assert yi.shape == () and yi.item() == y[i]
        assert xi.dtype == ember.float32 and yi.dtype == ember.int64


def test_tensor_dataset_accepts_numpy_and_converts_dtypes():
    ds = TensorDataset(
        np.ones((4, 2), np.float64), np.arange(4, dtype=np.int16), np.zeros(4, np.float16)
    )
    a, b, c = ds.tensors
    assert a.dtype == ember.float64 and b.dtype == ember.int64 and c.dtype == ember.float32
    np.testing.assert_array_equal(b.numpy(), np.arange(4))
    assert isinstance(ds[2][0], ember.Tensor)


def test_tensor_dataset_keeps_tensors_and_shares_memory():
    x = ember.zeros(5, 2)
    arr = np.zeros((5, 2), np.float32)
    ds = TensorDataset(x, arr)
    assert ds.tensors[0] is x
    arr[1, 0] = 7.0
    assert ds[1][1].numpy()[0] == 7.0


def test_tensor_dataset_samples_of_1d_data_are_views_too():
    data = ember.zeros(3)
    ds = TensorDataset(data, ember.zeros(3, 2))
    x, row = ds[1]
    assert tuple(x.shape) == () and tuple(row.shape) == (2,)
    x.add_(5)
    row.add_(1)
    np.testing.assert_array_equal(data.numpy(), [0, 5, 0])
    np.testing.assert_array_equal(ds.tensors[1].numpy()[1], [1, 1])


def test_tensor_dataset_size_mismatch_raises():
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\(4, 2\), \(5,\)"):
        TensorDataset(ember.zeros(4, 2), ember.zeros(5))


def test_tensor_dataset_bad_arguments():
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="argument 0 is 0-d"):
        TensorDataset(ember.from_numpy(np.array(1.0)))
    with pytest.raises(TypeError, match="argument 1 must be an ember.Tensor or numpy.ndarray"):
        TensorDataset(ember.zeros(3), [1, 2, 3])


def test_tensor_dataset_index_errors():
    ds, _, _ = _arange_ds(4)
    with pytest.raises(IndexError, match="index 4 is out of range for a dataset of size 4"):
        ds[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        ds[-5]
    with pytest.raises(TypeError, match="index must be an integer, got float"):
        ds[1.0]


def test_tensor_dataset_getbatch_equals_collated_items():
    ds, x, _y = _arange_ds()
    idx = np.array([7, 0, 3, 3, -1])
    bx, by = ds.__getbatch__(idx)
    ref = default_collate([ds[int(i)] for i in idx])
    np.testing.assert_array_equal(bx.numpy(), ref[0].numpy())
    np.testing.assert_array_equal(by.numpy(), ref[1].numpy())
    np.testing.assert_array_equal(bx.numpy(), x[idx])
    with pytest.raises(IndexError, match="index 10 is out of range"):
        ds.__getbatch__([1, 10])


# ---- Subset / ConcatDataset ------------------------------------------------------------------


def test_subset_maps_indices():
    ds, x, _y = _arange_ds()
    s = Subset(ds, [7, 2, 5])
    assert len(s) == 3
    assert s.indices == [7, 2, 5]
    assert s[0][1].item() == 7 and s[-1][1].item() == 5
    np.testing.assert_array_equal(s[1][0].numpy(), x[2])
    bx, by = s.__getbatch__([2, 0])
    np.testing.assert_array_equal(by.numpy(), [5, 7])
    np.testing.assert_array_equal(bx.numpy(), x[[5, 7]])
    with pytest.raises(IndexError, match="Subset: index 3 is out of range"):
        s[3]


def test_subset_of_plain_dataset_batches_through_collate():
    s = Subset(_Squares(6), np.array([5, 1]))
    b = s.__getbatch__([0, 1])
    np.testing.assert_array_equal(b["x"].numpy(), [[5, 25], [1, 1]])
    np.testing.assert_array_equal(b["i"].numpy(), [5, 1])


def test_concat_dataset_indexing_and_batches():
    a, _xa, _ya = _arange_ds(4)
    b = TensorDataset(
        ember.from_numpy(np.full((3, 3), -1.0, np.float32)),
        ember.from_numpy(np.array([100, 101, 102])),
    )
    c = a + b
    assert isinstance(c, ConcatDataset)
    assert len(c) == 7 and c.cumulative_sizes == [4, 7]
    assert c[3][1].item() == 3 and c[4][1].item() == 100 and c[-1][1].item() == 102
    idx = [5, 0, 6, 3, 4]
    bx, by = c.__getbatch__(idx)
    np.testing.assert_array_equal(by.numpy(), [101, 0, 102, 3, 100])
    ref = default_collate([c[i] for i in idx])
    np.testing.assert_array_equal(bx.numpy(), ref[0].numpy())
    # mixed fast and plain datasets still return request order
    mixed = ConcatDataset([Subset(_Squares(3), [0, 1, 2]), _Squares(2)])
    out = mixed.__getbatch__([4, 0, 3, 2])
    np.testing.assert_array_equal(out["i"].numpy(), [1, 0, 0, 2])


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])

    class It(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([It()])


# ---- random_split ----------------------------------------------------------------------------


def test_random_split_sizes_and_disjoint():
    ds, _, _ = _arange_ds(10)
    parts = random_split(ds, [3, 5, 2])
    assert [len(p) for p in parts] == [3, 5, 2]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(10))


@pytest.mark.parametrize(
    "n,fracs",
    [(10, [0.7, 0.3]), (11, [0.5, 0.25, 0.25]), (7, [1 / 3, 1 / 3, 1 / 3]), (5, [0.0, 1.0])],
)
def test_random_split_fractions_sizes_match_torch(n, fracs):
    ds, _, _ = _arange_ds(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about the empty split of 5 * 0.0
        ours = [len(p) for p in random_split(ds, fracs)]
        ref = [len(p) for p in torch.utils.data.random_split(range(n), fracs)]
    assert ours == ref
    assert sum(ours) == n


def test_random_split_reproducible_with_generator_and_seed():
    ds, _, _ = _arange_ds(20)
    g1, g2 = ember.Generator(), ember.Generator()
    g1.manual_seed(42)
    g2.manual_seed(42)
    a = [p.indices for p in random_split(ds, [0.5, 0.5], generator=g1)]
    b = [p.indices for p in random_split(ds, [0.5, 0.5], generator=g2)]
    assert a == b
    g3 = ember.Generator()
    g3.manual_seed(43)
    assert [p.indices for p in random_split(ds, [0.5, 0.5], generator=g3)] != a
    ember.manual_seed(5)
    c = [p.indices for p in random_split(ds, [10, 10])]
    ember.manual_seed(5)
    d = [p.indices for p in random_split(ds, [10, 10])]
    assert c == d
    assert sorted(c[0] + c[1]) == list(range(20))


def test_random_split_errors():
    ds, _, _ = _arange_ds(10)
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\) does not equal .* \(10\)"):
        random_split(ds, [4, 5])
    with pytest.raises(ValueError, match="fractions summing to 1"):
        random_split(ds, [0.5, 0.2])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [12, -2])


def test_random_split_subset_values():
    ds, x, _ = _arange_ds(10)
    (a, _b) = random_split(ds, [6, 4])
    for j, i in enumerate(a.indices):
        np.testing.assert_array_equal(a[j][0].numpy(), x[i])


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="must implement __getitem__"):
        Dataset()[0]
    loader = DataLoader(_Squares(3), batch_size=2)
    assert len(loader) == 2
