"""Inputs that once crashed the process or gave silently wrong answers now raise clear errors."""

import warnings

import numpy as np
import pytest

import ember


def test_shapes_overflowing_int64_raise_instead_of_allocating_nothing():
    with pytest.raises(ValueError, match=r"empty: shape \(4294967296, 4294967296\)"):
        ember.zeros(2**32, 2**32)
    with pytest.raises(ValueError, match="overflows int64"):
        ember.ones(1, 1).expand(2**32, 2**32)


def test_dropping_a_very_long_graph_does_not_overflow_the_stack():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(300_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    del y  # releasing 300k nodes must not recurse once per node


def test_gradient_through_a_view_whose_base_changed_in_place_raises():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    v = b[1:]
    b.mul_(2)
    with pytest.raises(RuntimeError, match="SliceBackward0: backward through a view .* modified in place"):
        v.sum().backward()
    # Taking the view after the in-place change is fine and gives PyTorch's gradient.
    a.grad = None
    b = a * 1
    b.mul_(2)
    b[1:].sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 2.0]


def test_in_place_on_expanded_tensor_raises():
    e = ember.zeros(1, 3).expand(2, 3)
    for f in (lambda t: t.add_(1), lambda t: t.fill_(2.0), lambda t: t.mul_(3)):
        with pytest.raises(RuntimeError, match="refers to the same memory"):
            f(e)
    assert e.tolist() == [[0.0] * 3] * 2


def test_read_only_numpy_arrays_are_copied_with_a_warning():
    ro = np.arange(3.0)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = ember.from_numpy(ro)
    t.add_(1)
    assert ro.tolist() == [0.0, 1.0, 2.0]
    assert t.tolist() == [1.0, 2.0, 3.0]


def test_big_endian_arrays():
    be = np.arange(3, dtype=">f4")
    assert ember.tensor(be).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="from_numpy: the array's byte order is not native"):
        ember.from_numpy(be)


def test_integers_beyond_int64_raise_overflow_error():
    with pytest.raises(OverflowError, match="tensor: an integer in the data is out of range"):
        ember.tensor([2**63])
    with pytest.raises(OverflowError, match="full: fill_value"):
        ember.full((1,), 2**63)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.tensor([2**63 - 1]).tolist() == [2**63 - 1]
