"""Sequential, functional and subclassed models: fit/evaluate/predict/summary and input traps."""

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers
from ember.utils.data import DataLoader, TensorDataset


def _blobs(n=200, classes=3, dim=4):
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, (classes, dim))
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(0, 0.5, (n, dim))).astype("float32")
    return x, y


def _clf(units=3, dim=4, act="softmax"):
    return keras.Sequential([layers.Dense(16, activation="relu", input_shape=(dim,)),
                             layers.Dense(units, activation=act)])


def test_fit_learns_and_history_has_per_epoch_lists():
    x, y = _blobs()
    model = _clf()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=6, batch_size=16, validation_split=0.25, verbose=0)
    assert list(hist.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 6 for v in hist.history.values())
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9
    assert hist.epoch == list(range(6))


def test_fit_loss_and_accuracy_equal_closed_form_without_shuffle():
    x, y = _blobs(64)
    model = _clf()
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    p = model.predict(x)
    ref_loss = -np.log(p[np.arange(64), y]).mean()
    assert hist.history["loss"][0] == pytest.approx(ref_loss, rel=1e-5)
    assert hist.history["accuracy"][0] == pytest.approx((p.argmax(-1) == y).mean())
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(loss), "accuracy": acc}


def test_predict_returns_numpy_matching_direct_call():
    x, _ = _blobs(50)
    model = _clf()
    out = model.predict(x, batch_size=8)
    assert isinstance(out, np.ndarray) and out.shape == (50, 3)
    np.testing.assert_allclose(out, model(ember.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out.sum(-1), np.ones(50), rtol=1e-5)


def test_fit_with_dataloader_and_tensors():
    x, y = _blobs(96)
    loader = DataLoader(TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=32, shuffle=True)
    model = _clf()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    h = model.fit(loader, epochs=2, verbose=0, validation_data=(ember.from_numpy(x), ember.from_numpy(y)))
    assert len(h.history["sparse_categorical_accuracy"]) == 2 and "val_loss" in h.history
    assert isinstance(model.evaluate(loader, verbose=0), list)
    ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    h = model.fit(ds, batch_size=16, epochs=1, verbose=0, validation_data=DataLoader(ds, batch_size=50))
    assert set(h.history) == {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert model.predict(ds).shape == (96, 3)
    with pytest.raises(ValueError, match="y must not be given when x is a DataLoader"):
        model.fit(loader, y, verbose=0)


def test_binary_and_categorical_and_regression_models():
    x, y = _blobs(120, classes=2)
    m = _clf(units=1, act="sigmoid")
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y.astype("float32"), epochs=10, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.9
    x3, y3 = _blobs(120)
    m = _clf()
    m.compile(keras.optimizers.RMSprop(0.01), "categorical_crossentropy", metrics=["accuracy", "mse"])
    h = m.fit(x3, keras.utils.to_categorical(y3, 3), epochs=10, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.9 and h.history["mse"][-1] < 0.1
    r = keras.Sequential([layers.Dense(1, input_shape=(4,))])
    r.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    w = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    h = r.fit(x3 / 3, (x3 / 3) @ w, epochs=20, verbose=0)
    assert h.history["loss"][-1] < 0.1 * h.history["loss"][0]


def test_lazy_build_and_summary_counts(capsys):
    model = keras.Sequential()
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(10, activation="softmax"))
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 20), "float32"), np.zeros(4, "int64"), verbose=0)
    model.summary()
    out = capsys.readouterr().out
    assert "dense (Dense)" in out or "(Dense)" in out
    assert "(None, 32)" in out and "672" in out and "330" in out
    assert "Total params: 1,002" in out and "Non-trainable params: 0" in out
    assert model.count_params() == 20 * 32 + 32 + 32 * 10 + 10


def test_summary_counts_batchnorm_non_trainable(capsys):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.BatchNormalization()])
    model.summary()
    out = capsys.readouterr().out
    assert "Total params: 52" in out and "Trainable params: 44" in out
    assert "Non-trainable params: 8" in out


def test_functional_model_equals_sequential_computation():
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(8, activation="tanh")(inputs)
    outputs = layers.Dense(3, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    assert isinstance(model, keras.models.Functional)
    assert outputs.shape == (None, 3)
    x = ember.randn(5, 4)
    d1, d2 = model.layers[1], model.layers[2]
    ref = d2(d1(x))
    np.testing.assert_allclose(model(x).detach().numpy(), ref.detach().numpy(), rtol=1e-6)
    xs, ys = _blobs()
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(xs, ys, epochs=5, verbose=0)
    assert h.history["accuracy"][-1] > 0.9


def test_functional_multi_input_shared_layer():
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = layers.Dense(2)
    out = layers.Lambda(lambda t: t[0] + t[1])([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    x1, x2 = ember.randn(4, 3), ember.randn(4, 3)
    np.testing.assert_allclose(model([x1, x2]).detach().numpy(), (shared(x1) + shared(x2)).detach().numpy(), rtol=1e-6)
    assert model.count_params() == 8
    model.compile("sgd", "mse")
    xs = [np.random.rand(6, 3).astype("float32") for _ in range(2)]
    y = np.random.rand(6, 2).astype("float32")
    model.fit(xs, y, verbose=0)
    k, b = model.get_weights()
    pred = xs[0] @ k + b + xs[1] @ k + b
    assert model.evaluate(xs, y, verbose=0) == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
    two_out = keras.Model(a, [shared(a), layers.Dense(1)(a)])
    two_out.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="several outputs"):
        two_out.fit(xs[0], y, verbose=0)


def test_subclassed_model_trains():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.drop = layers.Dropout(0.1)
            self.out = layers.Dense(3)

        def call(self, inputs, training=None):
            return self.out(self.drop(self.hidden(inputs), training=training))

    model = MLP()
    x, y = _blobs()
    model.compile(keras.optimizers.Adam(0.02), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["accuracy"][-1] > 0.9
    assert len(model.layers) == 3 and model.count_params() == 4 * 16 + 16 + 16 * 3 + 3
    lines = []
    model.summary(print_fn=lines.append)
    assert "hidden" not in lines[0] and "(None, 16)" in lines[0] and "Total params: 131" in lines[0]


def test_label_format_traps():
    x, y = _blobs(30)
    model = _clf()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"look one-hot encoded; use loss='categorical_crossentropy'"):
        model.fit(x, keras.utils.to_categorical(y, 3), verbose=0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) for a model with 3 outputs, got labels in \[0, 7\]"):
        model.fit(x, np.where(y == 2, 7, y), verbose=0)
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"got integer class labels of shape \(30,\); use loss='sparse_categorical_crossentropy'"):
        model.fit(x, y, verbose=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"from_logits=True, but the model's output layer .* applies activation='softmax'"):
        model.fit(x, y, verbose=0)
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"binary_crossentropy: labels must be in \[0, 1\]"):
        model.fit(x, y * 2.0, verbose=0)


def test_bad_inputs():
    x, y = _blobs(30)
    model = _clf()
    with pytest.raises(RuntimeError, match="must call compile"):
        model.fit(x, y)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"x and y must have the same number of samples, got x with 30 and y with 29"):
        model.fit(x, y[:29], verbose=0)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\), but the data has shape \(None, 2, 2\)"):
        model.fit(x.reshape(30, 2, 2), y, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\), got 1.5"):
        model.fit(x, y, validation_split=1.5)
    with pytest.raises(ValueError, match=r"fit: x has no samples \(shape \(0, 4\)\)"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
        model.fit(x, y, batch_size=0)


def test_progress_bar_and_verbose_2(capsys):
    x, y = _blobs(64)
    model = _clf()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "2/2" in out and "loss:" in out
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1 - ") and "accuracy:" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_initial_epoch_and_train_on_batch():
    x, y = _blobs(64)
    model = _clf()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert h.epoch == [1, 2]
    loss, acc = model.train_on_batch(x[:16], y[:16])
    assert loss > 0 and 0 <= acc <= 1


def test_embedding_model_with_integer_inputs():
    x = np.random.randint(0, 20, (64, 5))
    y = (x.sum(1) > 47).astype("float32")
    model = keras.Sequential([layers.Embedding(20, 4, input_shape=(5,)), layers.Flatten(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, verbose=0)
    assert len(h.history["accuracy"]) == 3
    assert model.predict(x[:3]).shape == (3, 1)
