"""Keras LSTM with the default activations, no mask and no recurrent dropout runs the sequence
as one C++ op (ember's lstm_layer): the same values and gradients as the step-by-step loop
(taken here by passing an all-True mask)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import keras


def assert_same(a, b, tol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_layer_op_matches_the_step_loop(go_backwards, return_sequences):
    ember.manual_seed(0)
    layer = keras.layers.LSTM(5, return_sequences=return_sequences, return_state=True,
                              go_backwards=go_backwards)
    x = ember.randn(3, 7, 4, requires_grad=True)
    fast = layer(x)
    grads_fast = ember.autograd.grad(sum(t.pow(2).sum() for t in fast),
                                     [x, *layer.trainable_weights])
    slow = layer(x, mask=ember.ones(3, 7, dtype=ember.bool))
    grads_slow = ember.autograd.grad(sum(t.pow(2).sum() for t in slow),
                                     [x, *layer.trainable_weights])
    for a, b in zip(fast, slow):
        assert_same(a, b)
    for a, b in zip(grads_fast, grads_slow):
        assert_same(a, b, 1e-5)
