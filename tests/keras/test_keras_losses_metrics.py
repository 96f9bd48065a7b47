"""Keras losses and metrics against closed forms; compile-time name resolution."""

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers, losses, metrics

EPS = 1e-7


def _f(t):
    return float(t.item())


def test_mse_mae_closed_form_and_rank_alignment():
    yt = np.array([1.0, 2.0, 3.0], np.float32)
    yp = np.array([[1.5], [2.0], [1.0]], np.float32)  # (N, 1) output, (N,) labels
    assert _f(losses.MeanSquaredError()(yt, yp)) == pytest.approx((0.25 + 0 + 4) / 3, rel=1e-6)
    assert _f(losses.get("mae")(yt, yp)) == pytest.approx((0.5 + 0 + 2) / 3, rel=1e-6)


def test_binary_crossentropy_probabilities_and_logits():
    yt = np.array([[1.0], [0.0], [1.0]], np.float32)
    z = np.array([[0.3], [-1.2], [2.0]], np.float32)
    p = 1 / (1 + np.exp(-z))
    ref = -(yt * np.log(p) + (1 - yt) * np.log(1 - p)).mean()
    assert _f(losses.BinaryCrossentropy()(yt, p)) == pytest.approx(ref, rel=1e-5)
    assert _f(losses.BinaryCrossentropy(from_logits=True)(yt, z)) == pytest.approx(ref, rel=1e-5)


def test_binary_crossentropy_clips_probabilities():
    out = _f(losses.BinaryCrossentropy()(np.array([[1.0]], np.float32), np.array([[0.0]], np.float32)))
    assert out == pytest.approx(-np.log(EPS), rel=1e-4)


def test_categorical_and_sparse_crossentropy_closed_form():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([1, 2])
    onehot = np.eye(3, dtype=np.float32)[labels]
    ref = -np.log(p[np.arange(2), labels]).mean()
    assert _f(losses.CategoricalCrossentropy()(onehot, p)) == pytest.approx(ref, rel=1e-5)
    assert _f(losses.CategoricalCrossentropy(from_logits=True)(onehot, logits)) == pytest.approx(ref, rel=1e-5)
    assert _f(losses.SparseCategoricalCrossentropy()(labels, p)) == pytest.approx(ref, rel=1e-5)
    assert _f(losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)) == pytest.approx(ref, rel=1e-5)
    per = losses.sparse_categorical_crossentropy(labels, p).numpy()
    np.testing.assert_allclose(per, -np.log(p[np.arange(2), labels]), rtol=1e-5)


def test_unknown_loss_and_reduction():
    with pytest.raises(ValueError, match=r"Unknown loss 'cross_entropy'; accepted names: mse, .*sparse_categorical_crossentropy"):
        losses.get("cross_entropy")
    with pytest.raises(ValueError, match=r"unknown reduction 'avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_metrics_closed_form():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([0, 1, 2]), np.array([[0.9, 0.1, 0], [0.2, 0.3, 0.5], [0, 0, 1.0]], np.float32))
    m.update_state(np.array([1]), np.array([[0.0, 1.0, 0.0]], np.float32))
    assert m.result() == pytest.approx(3 / 4)
    m.reset_state()
    assert m.result() == 0.0
    b = metrics.BinaryAccuracy()
    b.update_state(np.array([1, 0, 1, 0], np.float32), np.array([0.7, 0.2, 0.4, 0.6], np.float32))
    assert b.result() == pytest.approx(0.5)
    c = metrics.CategoricalAccuracy()
    c.update_state(np.eye(3, dtype=np.float32), np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1]], np.float32))
    assert c.result() == pytest.approx(2 / 3)
    mae = metrics.MeanAbsoluteError()
    mae.update_state(np.array([1.0, 2.0], np.float32), np.array([2.0, 4.0], np.float32))
    assert mae.result() == pytest.approx(1.5)
    mse = metrics.MeanSquaredError()
    mse.update_state(np.array([1.0, 2.0], np.float32), np.array([2.0, 4.0], np.float32))
    assert mse.result() == pytest.approx(2.5)


@pytest.mark.parametrize("loss,units,cls", [
    ("sparse_categorical_crossentropy", 3, metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", 3, metrics.CategoricalAccuracy),
    ("binary_crossentropy", 1, metrics.BinaryAccuracy),
    ("mse", 1, metrics.BinaryAccuracy),
])
def test_accuracy_resolves_by_loss(loss, units, cls):
    m = metrics.get("accuracy", losses.get(loss), units)
    assert isinstance(m, cls) and m.name == "accuracy"


def test_unknown_metric_and_optimizer_names():
    model = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'; accepted names: accuracy"):
        model.compile("adam", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'; accepted names: sgd, adam, adamw, rmsprop"):
        model.compile("adamm", "mse")


def test_keras_optimizer_defaults_map_to_ember():
    model = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    for name, cls, lr, extra in [("adam", ember.optim.Adam, 1e-3, {"eps": 1e-7}),
                                 ("rmsprop", keras.optimizers._KerasRMSprop, 1e-3,
                                  {"rho": 0.9, "eps": 1e-7}),
                                 ("sgd", ember.optim.SGD, 0.01, {})]:
        opt = keras.optimizers.get(name)
        opt.build(list(model.parameters()))
        assert isinstance(opt._impl, cls)
        group = opt._impl.param_groups[0]
        assert group["lr"] == pytest.approx(lr)
        for k, v in extra.items():
            assert group[k] == pytest.approx(v)
    opt = keras.optimizers.Adam(learning_rate=0.5)
    opt.build(list(model.parameters()))
    opt.learning_rate = 0.25
    assert opt._impl.param_groups[0]["lr"] == 0.25


def test_keras_adam_fit_matches_ember_adam_loop():
    x = np.random.rand(64, 3).astype("float32")
    y = np.random.rand(64, 2).astype("float32")
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    w0 = model.get_weights()
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    lin = ember.nn.Linear(3, 2)
    with ember.no_grad():
        lin.weight.copy_(ember.from_numpy(w0[0].T.copy()))
        lin.bias.copy_(ember.from_numpy(w0[1]))
    opt = ember.optim.Adam(lin.parameters(), lr=0.01, eps=1e-7)
    xt, yt = ember.from_numpy(x), ember.from_numpy(y)
    for _ in range(2):
        for i in range(0, 64, 16):
            opt.zero_grad()
            ember.nn.functional.mse_loss(lin(xt[i:i + 16]), yt[i:i + 16]).backward()
            opt.step()
    np.testing.assert_allclose(model.get_weights()[0], lin.weight.detach().numpy().T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], lin.bias.detach().numpy(), rtol=1e-5, atol=1e-6)
