"""Sequential, ModuleList, ModuleDict."""

from __future__ import annotations

from collections import OrderedDict

import ember
import numpy as np
import pytest
from ember import nn

from ._util import to_np


def test_sequential_indexing_slicing_len_append():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3
    assert isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear)
    sub = s[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is s[0]
    assert list(sub._modules) == ["0", "1"]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and isinstance(s[3], nn.Sigmoid)
    with pytest.raises(IndexError, match="Sequential: index 7"):
        s[7]
    x = ember.randn(5, 2)
    y = s(x)
    manual = s[3](s[2](s[1](s[0](x))))
    np.testing.assert_array_equal(to_np(y), to_np(manual))
    del s[1]
    assert len(s) == 3 and list(s._modules) == ["0", "1", "2"]


def test_sequential_from_ordered_dict():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in s.named_children()] == ["fc", "act"]
    assert s[1] is s.act
    assert [n for n, _ in s.named_parameters()] == ["fc.weight", "fc.bias"]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == [
        "Identity",
        "Linear",
        "Linear",
        "Linear",
        "ReLU",
        "Tanh",
    ]
    assert len(list(ml.parameters())) == 6
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    assert ml[-1] is list(ml)[-1]


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert len(md) == 2 and "a" in md and list(md.keys()) == ["a", "b"]
    md["c"] = nn.Tanh()
    assert [n for n, _ in md.named_children()] == ["a", "b", "c"]
    assert md.pop("b").__class__ is nn.ReLU
    assert list(md) == ["a", "c"]
    assert len(list(md.parameters())) == 2


def test_flatten_unflatten_identity():
    x = ember.randn(2, 3, 4)
    assert tuple(nn.Flatten()(x).shape) == (2, 12)
    assert tuple(nn.Flatten(0, 1)(x).shape) == (6, 4)
    assert tuple(nn.Unflatten(1, (3, 1))(ember.randn(2, 3)).shape) == (2, 3, 1)
    assert tuple(nn.Unflatten(-1, (2, 2))(x).shape) == (2, 3, 2, 2)
    assert nn.Identity(5, k=1)(x) is x
