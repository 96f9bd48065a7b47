"""fit/evaluate/predict/train_on_batch behaviour against hand-computed (numpy) values."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers as L


def _mse_model(inputs=3, units=1):
    model = keras.Sequential([keras.Input((inputs,)), L.Dense(units)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_train_on_batch_multi_input_takes_one_step():
    a, b = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([a, b], L.Dense(1)(L.Concatenate()([a, b])))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    xa, xb = np.random.rand(64, 3).astype("f4"), np.random.rand(64, 2).astype("f4")
    y = np.random.rand(64, 1).astype("f4")
    k, bias = model.get_weights()
    x = np.concatenate([xa, xb], 1)
    err = x @ k + bias - y
    loss = model.train_on_batch([xa, xb], y)
    assert model.optimizer.iterations == 1
    assert loss == pytest.approx(np.mean(err**2), rel=1e-5)
    g = 2 * err / 64  # d mean(err^2) / d pred
    np.testing.assert_allclose(model.get_weights()[0], k - 0.1 * x.T @ g, rtol=1e-5, atol=1e-6)


def test_train_and_test_on_batch_take_sample_weight_and_class_weight():
    model = _mse_model()
    x, y = np.random.rand(4, 3).astype("f4"), np.random.rand(4, 1).astype("f4")
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    per = ((model.predict(x, verbose=0) - y) ** 2)[:, 0]
    assert model.test_on_batch(x, y, sample_weight=w) == pytest.approx(np.sum(w * per) / 4,
                                                                       rel=1e-5)
    assert model.train_on_batch(x, y, sample_weight=w) == pytest.approx(np.sum(w * per) / 4,
                                                                        rel=1e-5)
    clf = keras.Sequential([keras.Input((3,)), L.Dense(2, activation="softmax")])
    clf.compile("sgd", "sparse_categorical_crossentropy")
    labels = np.array([0, 1, 1, 0])
    p = clf.predict(x, verbose=0)
    nll = -np.log(p[np.arange(4), labels])
    cw = np.where(labels == 1, 3.0, 1.0)
    got = clf.train_on_batch(x, labels, class_weight={1: 3.0})
    assert got == pytest.approx(np.sum(cw * nll) / 4, rel=1e-5)


@pytest.mark.parametrize("nest", ["functional", "sequential"])
def test_nested_model_with_softmax_output_fits_and_evaluates(nest):
    x = np.random.randn(8, 5).astype("f4")
    y = np.random.randint(0, 3, 8)
    inner = keras.Sequential([L.Dense(3, activation="softmax")])
    if nest == "functional":
        i = keras.Input((5,))
        model = keras.Model(i, inner(i))
    else:
        model = keras.Sequential([keras.Input((5,)), L.Dense(4), inner])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(-np.log(p[np.arange(8), y]).mean(), rel=1e-5)
    assert acc == pytest.approx(np.mean(p.argmax(-1) == y))
    hist = model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(loss, rel=1e-5)


class _SquaredSum(keras.metrics.Metric):
    def __init__(self, name="squared_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        sq = ((y_pred - y_true) ** 2).sum(-1)
        if sample_weight is not None:
            sq = sq * sample_weight
        self.total += float(sq.sum().item())
        self.count += float(y_true.shape[0])

    def result(self):
        return ember.tensor(self.total / max(self.count, 1.0))

    def reset_state(self):
        self.total, self.count = 0.0, 0.0


class _L2(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return ((y_pred - y_true) ** 2).sum(-1)


def test_custom_metric_and_loss_subclasses_train_and_evaluate():
    x, y = np.random.rand(10, 3).astype("f4"), np.random.rand(10, 2).astype("f4")
    model = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    model.compile("sgd", _L2(), metrics=[_SquaredSum()])
    p = model.predict(x, verbose=0)
    per = ((p - y) ** 2).sum(-1)
    loss, metric = model.evaluate(x, y, batch_size=3, verbose=0)
    assert loss == pytest.approx(per.mean(), rel=1e-5)
    assert metric == pytest.approx(per.mean(), rel=1e-5)
    hist = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    assert set(hist.history) == {"loss", "squared_sum", "val_loss", "val_squared_sum"}
    w = np.arange(10, dtype="f4")
    assert _L2()(y, p, sample_weight=w).item() == pytest.approx(np.sum(w * per) / 10, rel=1e-5)
    assert _L2(reduction="sum")(y, p).item() == pytest.approx(per.sum(), rel=1e-5)
    with pytest.raises(NotImplementedError, match=r"Loss subclass must implement call"):
        keras.losses.Loss()(y, p)


def test_custom_metric_gets_probabilities_with_fused_softmax():
    x = np.random.randn(6, 4).astype("f4")
    y = np.eye(3, dtype="f4")[np.random.randint(0, 3, 6)]
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=[_SquaredSum()])
    p = model.predict(x, verbose=0)
    _, metric = model.evaluate(x, y, verbose=0)
    assert metric == pytest.approx(((p - y) ** 2).sum(-1).mean(), rel=1e-5)


def test_sparse_crossentropy_per_timestep_broadcasts_sample_weight():
    y = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    p = np.random.dirichlet(np.ones(3), size=(2, 4)).astype("f4")
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    loss = keras.losses.SparseCategoricalCrossentropy(reduction="none")
    out = loss(y, p)
    assert tuple(out.shape) == (2, 4)
    np.testing.assert_allclose(out.numpy(), nll, rtol=1e-5)
    w = np.array([1.0, 0.5], np.float32)
    got = keras.losses.SparseCategoricalCrossentropy()(y, p, sample_weight=w).item()
    assert got == pytest.approx((nll * w[:, None]).sum() / 8, rel=1e-5)

    x = np.random.randn(6, 4, 5).astype("f4")
    labels = np.random.randint(0, 3, (6, 4))
    sw = np.array([1, 0, 2, 1, 0.5, 3], np.float32)
    model = keras.Sequential([keras.Input((4, 5)), L.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    pr = model.predict(x, verbose=0)
    nll = -np.log(np.take_along_axis(pr, labels[..., None], -1)[..., 0])
    loss, acc = model.evaluate(x, labels, sample_weight=sw, batch_size=6, verbose=0)
    assert loss == pytest.approx((nll * sw[:, None]).sum() / 24, rel=1e-5)
    assert acc == pytest.approx(((pr.argmax(-1) == labels) * sw[:, None]).sum() / sw.sum() / 4)
    hist = model.fit(x, labels, sample_weight=sw, batch_size=6, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    model.fit(x, labels, class_weight={0: 1.0, 1: 2.0, 2: 3.0}, verbose=0)


def test_metrics_ignore_sample_weight_weighted_metrics_use_it():
    x, y = np.random.rand(8, 3).astype("f4"), np.random.rand(8, 2).astype("f4")
    w = np.array([0, 1, 2, 3, 0.5, 1, 1, 4], np.float32)
    model = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae", "mse"], weighted_metrics=["mae"])
    per_mae = np.abs(model.predict(x, verbose=0) - y).mean(1)
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse", "weighted_mae"]
    assert logs["mae"] == pytest.approx(per_mae.mean(), rel=1e-5)
    assert logs["weighted_mae"] == pytest.approx(np.sum(w * per_mae) / w.sum(), rel=1e-5)
    model.compile("sgd", "mse", weighted_metrics=["mae"])  # no clash: keeps its name
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx(np.sum(w * per_mae) / w.sum(), rel=1e-5)


def test_evaluate_and_predict_take_steps_and_reject_unknown_keywords():
    model = _mse_model()
    x, y = np.random.rand(10, 3).astype("f4"), np.random.rand(10, 1).astype("f4")
    p = model.predict(x, verbose=0)
    assert model.predict(x, batch_size=4, steps=1, verbose=0).shape == (4, 1)
    got = model.evaluate(x, y, batch_size=4, steps=1, verbose=0)
    assert got == pytest.approx(np.mean((p[:4] - y[:4]) ** 2), rel=1e-5)
    with pytest.raises(TypeError, match=r"evaluate: unexpected keyword argument 'sample_weights'"):
        model.evaluate(x, y, sample_weights=np.ones(10), verbose=0)
    with pytest.raises(TypeError, match=r"predict: unexpected keyword argument 'step'"):
        model.predict(x, step=1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: steps must be None or a positive int"):
        model.evaluate(x, y, steps=0, verbose=0)


def test_batch_callbacks_see_current_iterations_and_scheduled_rate():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    model = keras.Sequential([keras.Input((2,)), L.Dense(1)])
    model.compile(keras.optimizers.SGD(sched), "mse")
    seen = []

    class Rec(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            opt = self.model.optimizer
            seen.append((opt.iterations, opt.learning_rate))

    model.fit(np.ones((6, 2)), np.zeros((6, 1)), batch_size=2, epochs=2, callbacks=[Rec()],
              verbose=0)
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose([s[1] for s in seen], [0.1 * 0.5**k for k in range(1, 7)])


def test_reusing_built_layer_on_wrong_shape_raises_at_graph_time():
    dense = L.Dense(3)
    dense(keras.Input((4,)))
    dense(keras.Input((7, 4)))  # only the last axis is fixed
    with pytest.raises(ValueError, match=r"Input 0 of layer 'dense\w*' is incompatible with the "
                                         r"layer: expected axis -1 of input shape to have value "
                                         r"4, but received input with shape \(None, 5\)"):
        dense(keras.Input((5,)))
    conv = L.Conv2D(2, 3)
    conv(keras.Input((8, 8, 3)))
    conv(keras.Input((10, 10, 3)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3, but "
                                         r"received input with shape \(None, 8, 8, 4\)"):
        conv(keras.Input((8, 8, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        conv(keras.Input((8, 3)))


def test_mean_weights_and_int_inputs_cast_to_float():
    m = keras.metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[1, 0, 0])
    assert m.result() == pytest.approx(1.0)
    m = keras.metrics.Mean()
    m.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[1, 3])
    assert m.result() == pytest.approx((1 + 2 + 3 * 3 + 3 * 5) / 8)
    mse = keras.metrics.MeanSquaredError()
    mse.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert mse.result() == pytest.approx(0.25)
    assert keras.losses.MeanSquaredError()([[0, 1]], [[1, 1]]).item() == pytest.approx(0.5)
    assert keras.losses.MeanAbsoluteError()([[0, 1]], [[1, 1]]).item() == pytest.approx(0.5)


def test_predict_multi_output_model_returns_list_of_arrays():
    i = keras.Input((3,))
    h = L.Dense(4)(i)
    model = keras.Model(i, [L.Dense(2)(h), L.Dense(1)(h)])
    x = np.random.rand(10, 3).astype("f4")
    out = model.predict(x, batch_size=4, verbose=0)
    direct = model(ember.from_numpy(x))
    assert [o.shape for o in out] == [(10, 2), (10, 1)]
    for o, d in zip(out, direct):
        np.testing.assert_allclose(o, d.detach().numpy(), rtol=1e-6)
    assert [o.shape for o in model.predict_on_batch(x)] == [(10, 2), (10, 1)]


def test_fit_on_python_lists_with_validation_split():
    model = _mse_model(2)
    x, y = np.random.rand(10, 2), np.random.rand(10, 1)
    p = model.predict(x.astype("f4"), verbose=0)
    hist = model.fit(x.tolist(), y.tolist(), validation_split=0.2, batch_size=8, shuffle=False,
                     verbose=0)
    assert hist.history["loss"][0] == pytest.approx(np.mean((p[:8] - y[:8]) ** 2), rel=1e-5)
