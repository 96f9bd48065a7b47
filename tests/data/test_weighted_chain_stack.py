"""WeightedRandomSampler, ChainDataset and StackDataset, against PyTorch's semantics."""

from __future__ import annotations

import doctest

import ember
import numpy as np
import pytest
from ember.utils import data
from ember.utils.data import (
    ChainDataset,
    DataLoader,
    IterableDataset,
    StackDataset,
    TensorDataset,
    WeightedRandomSampler,
)


class _Range(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_weighted_sampler_follows_the_weights():
    weights = [1.0, 2.0, 0.0, 5.0]
    s = WeightedRandomSampler(weights, num_samples=40000)
    draws = np.array(list(s))
    assert len(s) == 40000 and draws.shape == (40000,)
    counts = np.bincount(draws, minlength=4) / 40000
    np.testing.assert_allclose(counts, np.array(weights) / 8, atol=0.01)
    assert counts[2] == 0
    # A new draw on every epoch.
    assert list(WeightedRandomSampler(weights, 50)) != list(WeightedRandomSampler(weights, 50))


def test_weighted_sampler_without_replacement_and_with_a_generator():
    g = ember.Generator()
    g.manual_seed(5)
    first = list(WeightedRandomSampler(ember.tensor([1.0, 1.0, 1.0, 1.0, 0.5]), 5,
                                       replacement=False, generator=g))
    assert sorted(first) == [0, 1, 2, 3, 4]
    g.manual_seed(5)
    again = list(WeightedRandomSampler(ember.tensor([1.0, 1.0, 1.0, 1.0, 0.5]), 5,
                                       replacement=False, generator=g))
    assert again == first


def test_weighted_sampler_rebalances_classes_in_a_dataloader():
    labels = np.array([0] * 90 + [1] * 10)
    ds = TensorDataset(ember.arange(100), ember.tensor(labels))
    per_sample = 1.0 / np.bincount(labels)[labels]
    loader = DataLoader(ds, batch_size=50, sampler=WeightedRandomSampler(per_sample, 20000))
    seen = np.concatenate([y.numpy() for _, y in loader])
    assert len(seen) == 20000
    assert abs(seen.mean() - 0.5) < 0.02  # about as many 1s as 0s


def test_weighted_sampler_errors_match_torch():
    torch = pytest.importorskip("torch")
    for args, kind in (((["a"], 0), ValueError), (([1.0], 2, 1), ValueError)):
        with pytest.raises(kind):
            torch.utils.data.WeightedRandomSampler(*args)
        with pytest.raises(kind, match="WeightedRandomSampler"):
            WeightedRandomSampler(*args)
    with pytest.raises(ValueError, match=r"weights should be a 1-D sequence, got shape \(2, 2\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 3)


def test_chain_dataset_chains_lazily_and_adds():
    chain = ChainDataset([_Range(0, 3), _Range(10, 12)])
    assert list(chain) == [0, 1, 2, 10, 11]
    assert list(chain) == [0, 1, 2, 10, 11]  # re-iterable
    assert len(chain) == 5
    both = _Range(0, 2) + _Range(5, 6)
    assert isinstance(both, ChainDataset) and list(both) == [0, 1, 5]
    batches = [b.tolist() for b in DataLoader(chain, batch_size=2)]
    assert batches == [[0, 1], [2, 10], [11]]
    with pytest.raises(TypeError, match="ChainDataset: only IterableDataset can be chained, "
                                        "got TensorDataset"):
        list(ChainDataset([TensorDataset(ember.ones(2))]))


def test_stack_dataset_tuples_and_dicts():
    x = TensorDataset(ember.arange(6).reshape(3, 2))
    y = [10, 20, 30]
    tup = StackDataset(x, y)
    assert len(tup) == 3
    (xi,), yi = tup[-1]
    assert xi.tolist() == [4, 5] and yi == 30
    named = StackDataset(image=x, label=y)
    assert named[0]["label"] == 10
    batch = next(iter(DataLoader(named, batch_size=3)))
    assert batch["label"].tolist() == [10, 20, 30]
    assert batch["image"][0].tolist() == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match=r"different lengths \[3, 2\]"):
        StackDataset(x, [1, 2])
    with pytest.raises(ValueError, match="not both and not neither"):
        StackDataset(x, label=y)
    with pytest.raises(IndexError):
        tup[3]


def test_docstring_examples_run():
    globs = {"ember": ember, **{n: getattr(data, n) for n in data.__all__}}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    found = 0
    for cls in (WeightedRandomSampler, ChainDataset, StackDataset):
        for test in doctest.DocTestFinder().find(cls, globs=globs):
            found += len(test.examples)
            runner.run(test)
    assert found >= 5 and runner.summarize(verbose=False).failed == 0
