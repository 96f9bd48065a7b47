"""Keras masks end to end: fit/evaluate compute what predict computes (masks from nested
models and user layers), the loss and metrics skip masked steps, merge layers combine masks,
element-wise layers pass them on, BatchNormalization's masked moments, and Bidirectional
around a go_backwards layer. Values against numpy references of Keras 3's formulas."""

from __future__ import annotations

import warnings

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers
from ember.keras.layers.base import _may_make_masks, get_keras_mask, set_keras_mask

TOKENS = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [9, 0, 0, 0, 0]], np.int64)
MASK = TOKENS != 0
# float32 forward passes compared with float64 references
RTOL, ATOL = 1e-5, 1e-7


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _masked_mean_over_steps(values, mask):
    return (values * mask[..., None]).sum(1) / mask.sum(1)[:, None]


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm(x, w, reverse=False):
    """Keras's LSTM over ``x`` (no mask), outputs in processing order."""
    k, r, b = (a.astype(np.float64) for a in w)
    h = np.zeros((x.shape[0], r.shape[0]))
    c = np.zeros_like(h)
    outs = []
    for t in (range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])):
        i, f, g, o = np.split(x[:, t] @ k + h @ r + b, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


# ---- fit/evaluate see the masks predict sees -------------------------------------------------


@pytest.mark.parametrize("inner_kind", ["sequential", "functional"])
def test_mask_from_a_nested_model_reaches_evaluate_and_fit(inner_kind):
    if inner_kind == "sequential":
        inner = keras.Sequential([keras.Input((5,), dtype="int64"),
                                  layers.Embedding(10, 4, mask_zero=True)])
    else:
        i = keras.Input((5,), dtype="int64")
        inner = keras.Model(i, layers.Embedding(10, 4, mask_zero=True)(i))
    model = keras.Sequential([keras.Input((5,), dtype="int64"), inner,
                              layers.GlobalAveragePooling1D()])
    assert _may_make_masks(inner)
    want = _masked_mean_over_steps(inner.get_weights()[0][TOKENS].astype(np.float64), MASK)
    np.testing.assert_allclose(model.predict(TOKENS, verbose=0), want, rtol=RTOL, atol=ATOL)
    model.compile("sgd", "mse")
    y = np.zeros((3, 4), np.float32)
    loss = (want ** 2).mean()
    assert model.evaluate(TOKENS, y, verbose=0) == pytest.approx(loss, rel=RTOL)
    hist = model.fit(TOKENS, y, batch_size=3, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(loss, rel=RTOL)  # the batch before the step


class _NonZeroSteps(layers.Layer):
    """A user layer making a mask of its own: the steps whose first feature is nonzero."""

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return inputs.select(-1, 0) != 0


def test_mask_made_by_a_user_layer_reaches_evaluate_and_fit():
    x = TOKENS[..., None].astype(np.float32)
    model = keras.Sequential([keras.Input((5, 1)), _NonZeroSteps(),
                              layers.GlobalAveragePooling1D(), layers.Dense(1)])
    k, b = model.layers[-1].get_weights()
    want = _masked_mean_over_steps(x.astype(np.float64), MASK) @ k + b
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=RTOL)
    model.compile("sgd", "mse")
    y = np.zeros((3, 1), np.float32)
    assert model.evaluate(x, y, verbose=0) == pytest.approx((want ** 2).mean(), rel=RTOL)
    hist = model.fit(x, y, batch_size=3, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx((want ** 2).mean(), rel=RTOL)


def test_models_without_mask_makers_keep_the_direct_fit_plan():
    mlp = keras.Sequential([keras.Input((784,)), layers.Dense(32, activation="relu"),
                            layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    cnn = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3, activation="relu"),
                            layers.MaxPooling2D(), layers.BatchNormalization(), layers.Flatten(),
                            layers.Dense(10, activation="softmax")])
    rnn = keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.LSTM(2)),
                            layers.Dense(1)])
    for model in (mlp, cnn, rnn):
        assert not any(_may_make_masks(layer) for layer in model.layers)
        for fuse in (False, True):
            assert "_masked_forward_plan" not in model._fit_forward_plan(fuse).__qualname__
    assert not _may_make_masks(layers.Embedding(10, 4))
    assert _may_make_masks(layers.Embedding(10, 4, mask_zero=True))
    assert _may_make_masks(layers.Masking())
    masked = keras.Sequential([keras.Input((5,), dtype="int64"),
                               layers.Embedding(10, 4, mask_zero=True), layers.LSTM(2)])
    assert "_masked_forward_plan" in masked._fit_forward_plan(False).__qualname__


# ---- loss and metric masking ------------------------------------------------------------------


def _sequence_model(units, activation=None, functional=False):
    stack = [layers.Embedding(10, 4, mask_zero=True), layers.LSTM(3, return_sequences=True),
             layers.Dense(units, activation=activation)]
    if not functional:
        return keras.Sequential([keras.Input((5,), dtype="int64"), *stack])
    inp = keras.Input((5,), dtype="int64")
    h = inp
    for layer in stack:
        h = layer(h)
    return keras.Model(inp, h)


@pytest.mark.parametrize("functional", [False, True])
def test_mse_loss_and_mean_metrics_average_over_unmasked_steps(functional):
    model = _sequence_model(1, functional=functional)
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    y = np.random.default_rng(0).normal(size=(3, 5, 1)).astype(np.float32)
    p = model.predict(TOKENS, verbose=0).astype(np.float64)
    se, ae = ((p - y) ** 2)[..., 0], np.abs(p - y)[..., 0]
    logs = model.evaluate(TOKENS, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(se[MASK].mean(), rel=RTOL)
    assert logs["loss"] != pytest.approx(se.mean(), rel=1e-3)  # the padding counts for nothing
    assert logs["mae"] == pytest.approx(ae[MASK].mean(), rel=RTOL)
    assert logs["mse"] == pytest.approx(se[MASK].mean(), rel=RTOL)
    # Keras: the mask joins the sample weights; the loss still divides by the unmasked count.
    w = np.array([1.0, 2.0, 0.5], np.float32)
    logs = model.evaluate(TOKENS, y, sample_weight=w, verbose=0, return_dict=True)
    weighted = se * w[:, None] * MASK
    assert logs["loss"] == pytest.approx(weighted.sum() / MASK.sum(), rel=RTOL)
    assert logs["mse"] == pytest.approx(weighted.sum() / (w[:, None] * MASK).sum(), rel=RTOL)
    assert logs["mae"] == pytest.approx(ae[MASK].mean(), rel=RTOL)  # `metrics` are unweighted
    hist = model.fit(TOKENS, y, batch_size=3, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(se[MASK].mean(), rel=RTOL)
    assert hist.history["mae"][0] == pytest.approx(ae[MASK].mean(), rel=RTOL)


def test_sum_reduction_sums_the_unmasked_losses():
    model = _sequence_model(2)
    model.compile("sgd", keras.losses.MeanSquaredError(reduction="sum"))
    y = np.random.default_rng(1).normal(size=(3, 5, 2)).astype(np.float32)
    p = model.predict(TOKENS, verbose=0).astype(np.float64)
    per_step = ((p - y) ** 2).mean(-1)
    assert model.evaluate(TOKENS, y, verbose=0) == pytest.approx(per_step[MASK].sum(), rel=RTOL)


@pytest.mark.parametrize("functional", [False, True])
def test_fused_softmax_cross_entropy_and_accuracy_skip_masked_steps(functional):
    model = _sequence_model(4, "softmax", functional=functional)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    y = np.random.default_rng(2).integers(0, 4, size=(3, 5))
    p = model.predict(TOKENS, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    hits = p.argmax(-1) == y
    logs = model.evaluate(TOKENS, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(nll[MASK].mean(), rel=RTOL)
    assert logs["accuracy"] == pytest.approx(hits[MASK].mean(), rel=RTOL)
    hist = model.fit(TOKENS, y, batch_size=3, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(nll[MASK].mean(), rel=RTOL)
    # Keras: labels equal to ignore_class are masked as well.
    p = model.predict(TOKENS, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(ignore_class=2))
    keep = MASK & (y != 2)
    assert model.evaluate(TOKENS, y, verbose=0) == pytest.approx(nll[keep].mean(), rel=RTOL)


def test_masked_input_reaches_a_nested_model_ending_in_a_fused_softmax():
    inner = keras.Sequential([keras.Input((5, 4)), layers.LSTM(3, return_sequences=True),
                              layers.Dense(4, activation="softmax")])
    model = keras.Sequential([keras.Input((5,), dtype="int64"),
                              layers.Embedding(10, 4, mask_zero=True), inner])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    y = np.random.default_rng(2).integers(0, 4, size=(3, 5))
    p = model.predict(TOKENS, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    logs = model.evaluate(TOKENS, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(nll[MASK].mean(), rel=RTOL)
    assert logs["accuracy"] == pytest.approx((p.argmax(-1) == y)[MASK].mean(), rel=RTOL)


def test_metrics_read_the_mask_of_y_pred():
    rng = np.random.default_rng(3)
    p = rng.normal(size=(3, 5, 2)).astype(np.float32)
    y = rng.normal(size=(3, 5, 2)).astype(np.float32)
    pred = ember.tensor(p)
    set_keras_mask(pred, MASK)
    m = keras.metrics.MeanSquaredError()
    m.update_state(y, pred)
    per_step = ((p.astype(np.float64) - y) ** 2).mean(-1)
    assert m.result() == pytest.approx(per_step[MASK].mean(), rel=RTOL)

    seen = []

    class MaskSpy(keras.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            seen.append(get_keras_mask(y_pred))

        def result(self):
            return 0.0

        def reset_state(self):
            pass

    model = _sequence_model(1)
    model.compile("sgd", "mse", metrics=[MaskSpy()])
    model.evaluate(TOKENS, np.zeros((3, 5, 1), np.float32), verbose=0)
    np.testing.assert_array_equal(_np(seen[-1]), MASK)


# ---- merge layers (Keras 3.4+'s merging_test cases) -----------------------------------------


def _masked(values):
    return layers.Masking()(np.array(values, np.float32))


X1 = [[[0, 0], [1, 2], [0, 0], [3, 4]]]
X2 = [[[0, 0], [0, 0], [1, 2], [3, 4]]]


@pytest.mark.parametrize("cls,one_masked,both_masked", [
    (layers.Add, [[[0, 0], [1, 2], [1, 2], [6, 8]]], [[[0, 0], [1, 2], [1, 2], [6, 8]]]),
    (layers.Subtract, [[[0, 0], [1, 2], [-1, -2], [0, 0]]], [[[0, 0], [1, 2], [-1, -2], [0, 0]]]),
    (layers.Average, [[[0, 0], [0.5, 1], [0.5, 1], [3, 4]]],
     [[[0, 0], [0.5, 1], [0.5, 1], [3, 4]]]),
    (layers.Multiply, [[[0, 0], [0, 0], [1, 2], [9, 16]]], [[[0, 0], [1, 2], [1, 2], [9, 16]]]),
    (layers.Minimum, [[[0, 0], [0, 0], [1, 2], [3, 4]]], [[[0, 0], [1, 2], [1, 2], [3, 4]]]),
])
def test_elementwise_merges_with_masks(cls, one_masked, both_masked):
    out = cls()([_masked(X1), ember.tensor(np.array(X2, np.float32))])
    np.testing.assert_allclose(_np(out), one_masked)
    assert get_keras_mask(out) is None  # an unmasked input: no output mask
    out = cls()([_masked(X1), _masked(X2)])
    np.testing.assert_allclose(_np(out), both_masked)
    np.testing.assert_array_equal(_np(get_keras_mask(out)), [[False, True, True, True]])


def test_maximum_with_masks_takes_the_unmasked_values():
    neg1 = -np.array(X1, np.float32)
    neg2 = -np.array(X2, np.float32)
    out = layers.Maximum()([_masked(neg1), ember.tensor(neg2)])
    np.testing.assert_allclose(_np(out), [[[0, 0], [0, 0], [-1, -2], [-3, -4]]])
    out = layers.Maximum()([_masked(neg1), _masked(neg2)])
    np.testing.assert_allclose(_np(out), [[[0, 0], [-1, -2], [-1, -2], [-3, -4]]])
    np.testing.assert_array_equal(_np(get_keras_mask(out)), [[False, True, True, True]])


def test_concatenate_masks_along_steps_and_features():
    x2 = ember.tensor(np.array(X2, np.float32))
    out = layers.Concatenate(axis=1)([_masked(X1), x2])
    np.testing.assert_allclose(_np(out), np.concatenate([X1, X2], 1))
    np.testing.assert_array_equal(_np(get_keras_mask(out)),
                                  [[False, True, False, True, True, True, True, True]])
    out = layers.Concatenate(axis=2)([_masked(X1), x2])
    np.testing.assert_array_equal(_np(get_keras_mask(out)), [[True, True, True, True]])
    out = layers.Concatenate()([_masked(X1), _masked(X2)])
    np.testing.assert_array_equal(_np(get_keras_mask(out)), [[False, True, True, True]])
    assert layers.Concatenate().compute_mask([x2, x2], [None, None]) is None


def test_merge_compute_mask_errors_and_dot_drops_masks_quietly():
    a = ember.tensor(np.array(X1, np.float32))
    with pytest.raises(ValueError, match="`mask` should be a list"):
        layers.Add().compute_mask([a, a], np.ones((1, 4), bool))
    with pytest.raises(ValueError, match="`inputs` should be a list"):
        layers.Multiply().compute_mask(a, [None, None])
    with pytest.raises(ValueError, match="should have the same length"):
        layers.Concatenate().compute_mask([a, a], [None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layers.Dot(axes=2)([_masked(X1), _masked(X2)])
    assert get_keras_mask(out) is None


def test_add_of_masked_embeddings_in_a_model_matches_numpy_in_predict_and_evaluate():
    other = np.array([[1, 2, 0, 4, 0], [0, 0, 6, 7, 8], [9, 9, 0, 0, 0]], np.int64)
    a, b = keras.Input((5,), dtype="int64"), keras.Input((5,), dtype="int64")
    ea, eb = layers.Embedding(10, 3, mask_zero=True), layers.Embedding(10, 3, mask_zero=True)
    out = layers.GlobalAveragePooling1D()(layers.Add()([ea(a), eb(b)]))
    model = keras.Model([a, b], out)
    ma, mb = MASK, other != 0
    va = ea.get_weights()[0][TOKENS].astype(np.float64) * ma[..., None]
    vb = eb.get_weights()[0][other].astype(np.float64) * mb[..., None]
    want = _masked_mean_over_steps(va + vb, ma | mb)  # masked steps as zeros, OR of the masks
    np.testing.assert_allclose(model.predict([TOKENS, other], verbose=0), want, rtol=RTOL,
                               atol=ATOL)
    model.compile("sgd", "mse")
    y = np.zeros((3, 3), np.float32)
    assert model.evaluate([TOKENS, other], y, verbose=0) == pytest.approx((want ** 2).mean(),
                                                                          rel=RTOL)


# ---- layers passing masks on -------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: layers.LeakyReLU(), lambda: layers.ELU(), lambda: layers.PReLU(),
    lambda: layers.ReLU(), lambda: layers.GaussianNoise(0.1), lambda: layers.GaussianDropout(0.1),
    lambda: layers.SpatialDropout1D(0.1), lambda: layers.UnitNormalization(),
    lambda: layers.ActivityRegularization(l1=0.01), lambda: layers.BatchNormalization(),
    lambda: layers.LayerNormalization(),
])
@pytest.mark.parametrize("training", [False, True])
def test_elementwise_layers_pass_the_mask_on(make, training):
    x = np.random.default_rng(4).normal(size=(2, 4, 3)).astype(np.float32)
    x[0, 2:] = 0.0
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "does not support masking" warning
        out = make()(layers.Masking()(x), training=training)
    np.testing.assert_array_equal(_np(get_keras_mask(out)), mask)


def test_batch_normalization_training_moments_skip_masked_steps():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    bn = layers.BatchNormalization(momentum=0.9)
    out = _np(bn(x, training=True, mask=mask))
    m = mask[..., None].astype(np.float64)
    count = mask.sum() + 1e-7
    mean = (m * x).sum((0, 1)) / count
    var = (m * (m * x - mean) ** 2).sum((0, 1)) / count
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    moving_mean, moving_var = bn.get_weights()[2:]
    np.testing.assert_allclose(moving_mean, 0.1 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, rtol=1e-5, atol=1e-7)
    # Through Masking the same mask is used, and inference ignores it.
    bn2 = layers.BatchNormalization(momentum=0.9)
    np.testing.assert_allclose(_np(bn2(layers.Masking()(x * mask[..., None]), training=True)),
                               _np(layers.BatchNormalization(momentum=0.9)(
                                   x * mask[..., None], training=True, mask=mask)),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(bn(x, mask=mask)), _np(bn(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="shape without its last axis"):
        bn(x, training=True, mask=mask[:, :3])


# ---- Bidirectional around a go_backwards layer -------------------------------------------------


def test_bidirectional_around_a_go_backwards_layer_mirrors_it():
    x = np.random.default_rng(6).normal(size=(2, 5, 3)).astype(np.float32)
    bi = layers.Bidirectional(layers.LSTM(4, return_sequences=True, go_backwards=True))
    assert bi.forward_layer.go_backwards and not bi.backward_layer.go_backwards
    out = _np(bi(x))
    w = bi.get_weights()
    fw = _lstm(x.astype(np.float64), w[:3], reverse=True)  # in processing (reversed) order
    bw = _lstm(x.astype(np.float64), w[3:])[:, ::-1]  # the backward outputs, reversed
    np.testing.assert_allclose(out, np.concatenate([fw, bw], -1), rtol=1e-5, atol=1e-6)
    again = layers.Bidirectional.from_config(bi.get_config())
    assert again.forward_layer.go_backwards and not again.backward_layer.go_backwards
    last = layers.Bidirectional(layers.GRU(2, go_backwards=True), merge_mode="sum")
    assert tuple(last(layers.Masking()(x)).shape) == (2, 2)
