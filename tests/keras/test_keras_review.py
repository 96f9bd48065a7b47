"""Keras-semantics checks: calling on numpy, optimizer arguments (clipping, decoupled weight
decay, rejected names), and 'accuracy' resolved from the target/output shapes."""

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers, metrics, optimizers


def test_model_and_layer_called_on_numpy_arrays():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    x = np.random.rand(5, 3)  # float64, as numpy makes it
    out = model(x)
    assert isinstance(out, ember.Tensor) and out.dtype == ember.float32
    k0, b0, k1, b1 = model.get_weights()
    np.testing.assert_allclose(out.detach().numpy(), (x @ k0 + b0) @ k1 + b1, rtol=1e-5, atol=1e-6)
    dense = layers.Dense(2, kernel_initializer="ones")
    np.testing.assert_allclose(dense(np.ones((1, 3), np.float32)).detach().numpy(), [[3.0, 3.0]])
    emb = keras.Sequential([layers.Embedding(10, 3), layers.Flatten()])
    idx = np.array([[1, 2], [3, 4]])
    got = emb(idx).detach().numpy()
    np.testing.assert_allclose(got, emb.get_weights()[0][idx].reshape(2, 6))
    inp = keras.Input((3,))
    fmodel = keras.Model(inp, layers.Dense(2)(inp))
    k, b = fmodel.get_weights()
    np.testing.assert_allclose(fmodel(x).detach().numpy(), x @ k + b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"lr": 0.1}, r"Adam: argument `lr` is not supported; use `learning_rate`"),
    ({"learning_rat": 0.1}, r"Adam: argument\(s\) not recognized: \['learning_rat'\]"),
    ({"clipnorm": 1.0, "clipvalue": 1.0}, r"only one of clipnorm, clipvalue and global_clipnorm"),
    ({"clipnorm": -1.0}, r"clipnorm must be >= 0"),
    ({"use_ema": True}, r"use_ema=True is not supported"),
])
def test_optimizer_rejects_unknown_or_unsupported_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.Adam(**kwargs)


def _one_sgd_step(**opt_kwargs):
    # w = [1, 1], x = [3, 4], y = 0, mse: grad = 2 * 7 * x = [42, 56] (norm 70).
    model = keras.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                           input_shape=(2,))])
    model.compile(optimizers.SGD(1.0, **opt_kwargs), "mse")
    model.fit(np.array([[3.0, 4.0]], np.float32), np.array([[0.0]], np.float32), epochs=1,
              verbose=0)
    return model.get_weights()[0].ravel()


@pytest.mark.parametrize("kwargs,expected", [
    ({}, [1 - 42.0, 1 - 56.0]),
    ({"clipnorm": 1.0}, [1 - 0.6, 1 - 0.8]),  # g * 1 / max(70, 1)
    ({"clipnorm": 100.0}, [1 - 42.0, 1 - 56.0]),  # under the threshold: unchanged
    ({"global_clipnorm": 7.0}, [1 - 4.2, 1 - 5.6]),
    ({"clipvalue": 0.5}, [0.5, 0.5]),
    ({"weight_decay": 0.1}, [0.9 - 42.0, 0.9 - 56.0]),  # w -= lr * wd * w, then the step
])
def test_sgd_clipping_and_decoupled_weight_decay(kwargs, expected):
    np.testing.assert_allclose(_one_sgd_step(**kwargs), expected, rtol=1e-5)


def test_train_on_batch_applies_clipping():
    model = keras.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                           input_shape=(2,))])
    model.compile(optimizers.SGD(1.0, clipnorm=1.0), "mse")
    model.train_on_batch(np.array([[3.0, 4.0]], np.float32), np.array([[0.0]], np.float32))
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.4, 0.2], rtol=1e-5)


def test_adam_weight_decay_is_decoupled_like_adamw():
    # Keras 3 applies weight_decay as w -= lr * wd * w for every optimizer: Adam(weight_decay)
    # equals AdamW with the same rate, not an L2 term added to the gradient.
    x = np.random.rand(16, 3).astype("float32")
    y = np.random.rand(16, 1).astype("float32")
    results = []
    for opt in (optimizers.Adam(0.1, weight_decay=0.5), optimizers.AdamW(0.1, weight_decay=0.5)):
        ember.manual_seed(1)
        model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
        model.compile(opt, "mse")
        model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # First Adam step moves each weight by lr (sign of the gradient) after the decay.
    model = keras.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                           input_shape=(2,))])
    model.compile(optimizers.Adam(0.1, weight_decay=0.5), "mse")
    model.fit(np.array([[3.0, 4.0]], np.float32), np.array([[0.0]], np.float32), verbose=0)
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.95 - 0.1] * 2, rtol=1e-5)


def test_optimizer_config_round_trip_keeps_clipping():
    opt = optimizers.RMSprop(0.01, clipnorm=2.0, weight_decay=0.01)
    again = optimizers.get({"class_name": "RMSprop", "config": opt.get_config()})
    assert again.clipnorm == 2.0 and again.weight_decay == 0.01 and again.learning_rate == 0.01


def test_accuracy_with_mse_on_one_hot_targets_is_categorical():
    # Keras picks the accuracy from the shapes: one-hot targets with a 3-unit output give
    # categorical accuracy whatever the loss.
    x = np.random.rand(30, 4).astype("float32")
    labels = np.arange(30) % 3
    y = keras.utils.to_categorical(labels, 3)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "mse", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, verbose=0)
    assert isinstance(model.compiled_metrics[0], metrics.CategoricalAccuracy)
    expected = np.mean(model.predict(x, verbose=0).argmax(-1) == labels)
    assert acc == pytest.approx(expected)
    assert loss == pytest.approx(np.mean((model.predict(x, verbose=0) - y) ** 2), rel=1e-5)


def test_accuracy_with_mse_on_integer_labels_is_sparse():
    x = np.random.rand(30, 4).astype("float32")
    labels = (np.arange(30) % 3).reshape(-1, 1)  # (N, 1) integer labels
    model = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["acc"])
    _, acc = model.evaluate(x, labels, verbose=0)
    assert isinstance(model.compiled_metrics[0], metrics.SparseCategoricalAccuracy)
    assert acc == pytest.approx(np.mean(model.predict(x, verbose=0).argmax(-1) == labels[:, 0]))


@pytest.mark.parametrize("y_ndim,out_ndim,units,cls", [
    (2, 2, 1, metrics.BinaryAccuracy),
    (1, 2, 10, metrics.SparseCategoricalAccuracy),
    (2, 2, 10, metrics.CategoricalAccuracy),
    (2, 3, 10, metrics.SparseCategoricalAccuracy),
])
def test_accuracy_resolves_by_shapes(y_ndim, out_ndim, units, cls):
    m = metrics.get("accuracy", keras.losses.get("mse"), units, y_ndim, out_ndim)
    assert type(m) is cls and m.name == "accuracy"


def test_orthogonal_and_identity_initializers_and_short_aliases():
    init = keras.initializers
    w = init.get("orthogonal")((6, 4)).numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-5)
    w = init.Orthogonal(gain=2.0)((3, 5)).numpy()  # rows < cols: orthogonal rows
    np.testing.assert_allclose(w @ w.T, 4.0 * np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(init.get("identity")((2, 3)).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match=r"Orthogonal: the shape must have rank >= 2"):
        init.Orthogonal()((4,))
    assert type(init.get("uniform")) is init.RandomUniform
    assert type(init.get("normal")) is init.RandomNormal
    dense = layers.Dense(3, kernel_initializer="uniform")
    dense.build((None, 500))
    k = dense.kernel.detach().numpy()
    assert np.abs(k).max() <= 0.05 and k.std() == pytest.approx(0.1 / np.sqrt(12), rel=0.05)


def test_binary_crossentropy_with_per_sample_labels_and_two_outputs_is_caught():
    x = np.random.rand(64, 4).astype("float32")
    y = (x.sum(1) > 2).astype("int64")
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"binary_crossentropy: labels of shape \(64,\) hold one "
                                         r"value per sample.*Dense\(1, activation='sigmoid'\)"):
        model.fit(x, y, verbose=0)


def test_categorical_crossentropy_with_one_unit_output_is_caught():
    x = np.random.rand(64, 4).astype("float32")
    y = (x.sum(1) > 2).astype("float32").reshape(-1, 1)
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile("adam", "categorical_crossentropy")
    w0 = model.get_weights()
    with pytest.raises(ValueError, match=r"categorical_crossentropy needs an output with one unit "
                                         r"per class.*loss='binary_crossentropy'"):
        model.fit(x, y, verbose=0)
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _two_class_data(n=64):
    x = np.random.rand(n, 4).astype("float32")
    return x, (x.sum(1) > 2).astype("int64")


def test_metric_functions_classes_and_crossentropy_names():
    x, y = _two_class_data()

    def positive_rate(y_true, y_pred):
        return (y_pred[:, 1] > 0.5).to(ember.float32)

    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=[positive_rate, "sparse_categorical_crossentropy",
                           metrics.SparseCategoricalAccuracy])
    assert model.metrics_names == ["loss", "positive_rate", "sparse_categorical_crossentropy",
                                   "sparse_categorical_accuracy"]
    logs = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    assert logs["positive_rate"] == pytest.approx(np.mean(p[:, 1] > 0.5))
    nll = -np.log(p[np.arange(len(y)), y])
    assert logs["sparse_categorical_crossentropy"] == pytest.approx(nll.mean(), rel=1e-5)
    assert logs["loss"] == pytest.approx(nll.mean(), rel=1e-5)
    assert logs["sparse_categorical_accuracy"] == pytest.approx(np.mean(p.argmax(1) == y))
    with pytest.raises(ValueError, match=r"Unknown metric 3"):
        model.compile("adam", "mse", metrics=[3])


def test_load_model_keeps_renamed_and_configured_metrics(tmp_path):
    x, y = _two_class_data()

    def positive_rate(y_true, y_pred):
        return (y_pred[:, 1] > 0.5).to(ember.float32)

    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy", metrics.SparseCategoricalAccuracy(name="acc_s"),
                           positive_rate])
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.warns(UserWarning, match=r"compiled metric 'positive_rate' cannot be rebuilt"):
        loaded = keras.models.load_model(path)
    assert loaded.metrics_names == ["loss", "accuracy", "acc_s"]
    loaded = keras.models.load_model(path, custom_objects={"positive_rate": positive_rate})
    assert loaded.metrics_names == ["loss", "accuracy", "acc_s", "positive_rate"]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))

    binary = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    binary.compile("sgd", "binary_crossentropy", metrics=[metrics.BinaryAccuracy(threshold=0.7)])
    binary.save(path)
    again = keras.models.load_model(path)
    again.evaluate(x, y, verbose=0)
    assert again.compiled_metrics[0].threshold == 0.7


def test_model_checkpoint_missing_format_field_names_available_keys(tmp_path):
    x, y = _two_class_data()
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    ck = keras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.keras"))
    with pytest.raises(KeyError, match=r"'val_loss' is not in the epoch's logs \(available: "
                                       r"epoch, loss\)"):
        model.fit(x, y, verbose=0, callbacks=[ck])
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[ck])
    val = model.history.history["val_loss"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"m-01-{val[0]:.2f}.keras", f"m-02-{val[1]:.2f}.keras"]


@pytest.mark.parametrize("freq,expected", [(2, [2, 4]), ([1, 4], [1, 4]), (1, [1, 2, 3, 4])])
def test_validation_freq_picks_the_validated_epochs(freq, expected):
    x, y = _two_class_data()
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    seen = []
    cb = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(epoch + 1) if "val_loss" in logs else None)
    hist = model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), validation_freq=freq,
                     callbacks=[cb])
    assert seen == expected
    assert len(hist.history["val_loss"]) == len(expected)
    with pytest.raises(ValueError, match=r"validation_freq must be a positive int"):
        model.fit(x, y, verbose=0, validation_data=(x, y), validation_freq=0)


def _keras_rmsprop_reference(w, grads, lr, rho, eps, momentum, centered):
    v = np.zeros_like(w); a = np.zeros_like(w); m = np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            denom = v - a * a + eps
        else:
            denom = v + eps
        inc = lr * g / np.sqrt(denom)
        if momentum > 0:
            m = momentum * m + inc
            w = w - m
        else:
            w = w - inc
    return w


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, False), (0.5, True)])
def test_rmsprop_follows_keras_update_with_epsilon_inside_sqrt(momentum, centered):
    # Tiny gradients make the placement of epsilon visible: sqrt(v + eps) vs sqrt(v) + eps.
    grads = [np.array([1e-4, -2e-4, 3e-3], np.float64) * (k + 1) for k in range(3)]
    w = ember.tensor([0.5, -0.5, 1.0], dtype=ember.float64, requires_grad=True)
    opt = optimizers.RMSprop(0.01, rho=0.9, momentum=momentum, epsilon=1e-7, centered=centered)
    opt.build([w])
    for g in grads:
        w.grad = ember.from_numpy(g.copy())
        opt.step()
    expected = _keras_rmsprop_reference(np.array([0.5, -0.5, 1.0]), grads, 0.01, 0.9, 1e-7,
                                        momentum, centered)
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12)
    assert opt.iterations == 3
    opt.learning_rate = 0.5
    assert opt._impl.param_groups[0]["lr"] == 0.5


def test_default_compile_optimizer_is_keras_rmsprop():
    model = keras.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                           input_shape=(2,))])
    model.compile(loss="mse")
    assert isinstance(model.optimizer, optimizers.RMSprop)
    model.fit(np.array([[3.0, 4.0]], np.float32), np.array([[0.0]], np.float32), verbose=0)
    g = np.array([42.0, 56.0])
    expected = 1.0 - 1e-3 * g / np.sqrt(0.1 * g * g + 1e-7)
    np.testing.assert_allclose(model.get_weights()[0].ravel(), expected, rtol=1e-5)


def test_learning_rate_schedules_closed_forms():
    S = keras.optimizers.schedules
    e = S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert e(0) == pytest.approx(0.1) and e(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert S.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.05)
    assert S.InverseTimeDecay(1.0, 2, 0.5)(4) == pytest.approx(1 / (1 + 0.5 * 2))
    p = S.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1])
    assert [p(s) for s in (0, 2, 3, 5, 6)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    c = S.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert c(5) == pytest.approx(0.9 * 0.5 * (1 + np.cos(np.pi / 2)) + 0.1)
    assert c(20) == pytest.approx(0.1)
    w = S.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert w(2) == pytest.approx(0.5) and w(4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"values must have one more element than boundaries"):
        S.PiecewiseConstantDecay([1], [1.0])


def test_optimizer_with_schedule_uses_the_rate_of_each_step():
    # SGD on w with loss w * x (gradient x = 1): each step subtracts the scheduled rate.
    sched = keras.optimizers.schedules.PiecewiseConstantDecay([1, 3], [1.0, 0.1, 0.01])
    model = keras.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="zeros",
                                           input_shape=(1,))])
    model.compile(optimizers.SGD(sched), loss=lambda y, p: p.sum())
    x = np.ones((6, 1), np.float32)
    model.fit(x, x, batch_size=1, epochs=1, shuffle=False, verbose=0)
    # steps 0..5 use rates 1, 1, 0.1, 0.1, 0.01, 0.01
    assert model.get_weights()[0][0, 0] == pytest.approx(-(2 + 0.2 + 0.02), rel=1e-5)
    assert model.optimizer.iterations == 6
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    with pytest.raises(TypeError, match=r"follows a PiecewiseConstantDecay schedule"):
        model.optimizer.learning_rate = 0.5
    config = model.optimizer.get_config()
    again = optimizers.get({"class_name": "SGD", "config": config})
    assert isinstance(again._schedule, keras.optimizers.schedules.PiecewiseConstantDecay)
    assert again.learning_rate == pytest.approx(1.0)


def test_regularizers_add_their_penalty_to_the_loss():
    R = keras.regularizers
    w = ember.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert float(R.L2(0.1)(w)) == pytest.approx(0.1 * (1 + 4 + 9 + 0.25))
    assert float(R.L1(0.1)(w)) == pytest.approx(0.1 * 6.5)
    assert float(R.L1L2(0.1, 0.2)(w)) == pytest.approx(0.65 + 0.2 * 14.25)
    assert R.get("l2").l2 == 0.01 and R.get(None) is None
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'; accepted names: l1, l2"):
        layers.Dense(2, kernel_regularizer="l3")
    with pytest.raises(NotImplementedError, match=r"Dense: activity_regularizer not supported"):
        layers.Dense(2, activity_regularizer="l2")

    x = np.random.rand(20, 3).astype("float32")
    y = np.random.rand(20, 2).astype("float32")
    model = keras.Sequential([layers.Dense(2, input_shape=(3,), kernel_regularizer=R.L2(0.5),
                                           bias_regularizer=R.L1(0.25))])
    model.compile("sgd", "mse")
    k, b = model.get_weights()
    penalty = 0.5 * np.sum(k ** 2) + 0.25 * np.sum(np.abs(b))
    assert sum(float(t) for t in model.losses) == pytest.approx(penalty, rel=1e-5)
    mse = np.mean((x @ k + b - y) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)
    # One full-batch SGD step: gradient of the penalty joins the data gradient.
    model.compile(optimizers.SGD(0.1), "mse")
    model.fit(x, y, batch_size=20, verbose=0)
    err = 2 * (x @ k + b - y) / y.size
    k1 = k - 0.1 * (x.T @ err + 2 * 0.5 * k)
    b1 = b - 0.1 * (err.sum(0) + 0.25 * np.sign(b))
    np.testing.assert_allclose(model.get_weights()[0], k1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b1, rtol=1e-4, atol=1e-6)
    # Frozen layers contribute no penalty; the config round trip keeps the regularizer.
    model.layers[0].trainable = False
    assert model.losses == []
    again = keras.models.model_from_json(model.to_json())
    assert again.layers[0].kernel_regularizer.l2 == 0.5
    emb = layers.Embedding(4, 2, embeddings_regularizer="l2")
    emb(np.array([[0, 1]]))
    table = emb.get_weights()[0]
    assert float(emb.losses[0]) == pytest.approx(0.01 * np.sum(table ** 2), rel=1e-5)


def test_softmax_over_one_unit_is_caught():
    x, y = _two_class_data()
    model = keras.Sequential([layers.Dense(1, activation="softmax", input_shape=(4,))])
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"applies softmax over a single unit.*"
                                         r"Dense\(1, activation='sigmoid'\)"):
        model.fit(x, y, verbose=0)


@pytest.mark.parametrize("loss,labels", [
    ("sparse_categorical_crossentropy", "sparse"),
    ("categorical_crossentropy", "onehot"),
])
def test_linear_output_with_probability_loss_warns(loss, labels):
    x, y = _two_class_data()
    if labels == "onehot":
        y = keras.utils.to_categorical(y, 2)
    model = keras.Sequential([layers.Dense(2, input_shape=(4,))])
    model.compile("adam", loss)
    with pytest.warns(UserWarning, match=r"expects probabilities \(from_logits=False\), but the "
                                         r"model's output layer .* has no activation"):
        model.fit(x, y, verbose=0)
    model.compile("adam", keras.losses.get(loss).__class__(from_logits=True))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, verbose=0)


def test_sample_weight_weights_loss_and_metrics_like_keras():
    x = np.random.rand(8, 3).astype("float32")
    y = np.random.rand(8, 2).astype("float32")
    w = np.array([0, 1, 2, 3, 0.5, 1, 1, 4], np.float32)
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
    p = model.predict(x, verbose=0)
    per_mse = ((p - y) ** 2).mean(1)
    per_mae = np.abs(p - y).mean(1)
    loss, mae, weighted_mae = model.evaluate(x, y, batch_size=4, sample_weight=w, verbose=0)
    # Keras: each batch's loss is sum(w * l) / batch size; the epoch loss averages the batches.
    assert loss == pytest.approx(np.mean([np.sum(w[:4] * per_mse[:4]) / 4,
                                          np.sum(w[4:] * per_mse[4:]) / 4]), rel=1e-5)
    # `metrics` ignore the weights, `weighted_metrics` use them.
    assert mae == pytest.approx(per_mae.mean(), rel=1e-5)
    assert weighted_mae == pytest.approx(np.sum(w * per_mae) / np.sum(w), rel=1e-5)
    assert model.metrics_names == ["loss", "mae", "weighted_mae"]
    # One full-batch SGD step follows the weighted gradient.
    k, b = model.get_weights()
    model.fit(x, y, batch_size=8, sample_weight=w, shuffle=False, verbose=0)
    g = 2 * (p - y) * w[:, None] / y.size
    np.testing.assert_allclose(model.get_weights()[0], k - 0.01 * x.T @ g, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.get_weights()[1], b - 0.01 * g.sum(0), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per sample, "
                                         r"shape \(8,\), got shape \(3,\)"):
        model.fit(x, y, sample_weight=w[:3], verbose=0)


def test_class_weight_gives_each_sample_its_label_weight():
    x, y = _two_class_data(40)
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    nll = -np.log(p[np.arange(40), y])
    cw = {0: 0.25, 1: 3.0}
    w = np.where(y == 1, 3.0, 0.25)
    hist = model.fit(x, y, batch_size=40, epochs=1, class_weight=cw, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(np.sum(w * nll) / 40, rel=1e-5)
    correct = p.argmax(1) == y
    assert hist.history["accuracy"][0] == pytest.approx(np.mean(correct))
    assert hist.history["weighted_accuracy"][0] == pytest.approx(np.sum(w * correct) / np.sum(w))
    # One-hot labels pick the weight of their arg-max; unlisted classes weigh 1.
    onehot = keras.utils.to_categorical(y, 2)
    model.compile("sgd", "categorical_crossentropy")
    p = model.predict(x, verbose=0)
    hist = model.fit(x, onehot, batch_size=40, class_weight={1: 2.0}, shuffle=False, verbose=0)
    w = np.where(y == 1, 2.0, 1.0)
    assert hist.history["loss"][0] == pytest.approx(
        np.sum(w * -np.log(p[np.arange(40), y])) / 40, rel=1e-5)
    with pytest.raises(ValueError, match=r"give sample_weight or class_weight, not both"):
        model.fit(x, onehot, class_weight=cw, sample_weight=np.ones(40), verbose=0)


def test_validation_split_splits_sample_weight_and_validation_data_takes_weights():
    x = np.random.rand(10, 3).astype("float32")
    y = np.random.rand(10, 1).astype("float32")
    w = np.arange(10, dtype=np.float32)
    model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(0.0), "mse")  # lr 0: the weights stay, val loss is exact
    hist = model.fit(x, y, validation_split=0.3, sample_weight=w, verbose=0)
    per = ((model.predict(x, verbose=0) - y) ** 2).ravel()
    assert hist.history["val_loss"][0] == pytest.approx(np.sum(w[7:] * per[7:]) / 3, rel=1e-5)
    hist = model.fit(x, y, validation_data=(x[:4], y[:4], w[:4]), verbose=0)
    assert hist.history["val_loss"][0] == pytest.approx(np.sum(w[:4] * per[:4]) / 4, rel=1e-5)


def test_metric_update_state_with_sample_weight():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert m.result() == pytest.approx(0.5)
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert m.result() == pytest.approx(0.5)
    m = metrics.MeanSquaredError()
    m.update_state(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]),
                   sample_weight=[1, 0])
    assert m.result() == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"sample_weight has 3 weights"):
        metrics.Accuracy().update_state([[1], [2]], [[1], [2]], sample_weight=[1, 1, 1])


def test_loss_call_with_sample_weight():
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)
    y_pred = np.array([[1.0, 1.0], [1.0, 0.0]], np.float32)
    mse = keras.losses.MeanSquaredError()
    assert float(mse(y_true, y_pred, sample_weight=[1.0, 0.0])) == pytest.approx(0.25)
    summed = keras.losses.MeanSquaredError(reduction="sum")
    assert float(summed(y_true, y_pred, sample_weight=[2.0, 1.0])) == pytest.approx(1.5)
    none = keras.losses.MeanSquaredError(reduction="none")
    np.testing.assert_allclose(none(y_true, y_pred, sample_weight=[2.0, 1.0]).numpy(), [1.0, 0.5])
    scce = keras.losses.SparseCategoricalCrossentropy()
    p = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    assert float(scce([1, 0], p, sample_weight=[0.5, 2.0])) == pytest.approx(
        (0.5 * -np.log(0.8) + 2.0 * -np.log(0.6)) / 2, rel=1e-6)


def test_clone_model_same_architecture_fresh_weights():
    model = keras.Sequential([layers.Dense(3, input_shape=(4,), activation="relu"),
                              layers.Dense(2)])
    clone = keras.models.clone_model(model)
    assert clone is not model and clone.name == model.name
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    x = np.random.rand(5, 4).astype("float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert clone.optimizer is None


def test_predict_on_no_samples_keeps_the_output_shape():
    model = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    out = model.predict(np.zeros((0, 4), np.float32), verbose=0)
    assert out.shape == (0, 3) and out.dtype == np.float32


class _DropBN(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(4, kernel_initializer="ones", use_bias=False)
        self.drop = layers.Dropout(0.5)
        self.bn = layers.BatchNormalization()

    def call(self, inputs):  # no training argument: inner layers inherit the mode
        return self.bn(self.drop(self.dense(inputs)))


def test_training_flag_reaches_layers_inside_a_subclassed_model():
    x = np.ones((64, 2), np.float32)
    model = _DropBN()
    out = model(x, training=True).detach().numpy()
    assert (out == out.min()).sum() > 0 and len(np.unique(out.round(5))) > 1  # dropped units
    # moving_mean = 0.01 * batch mean of the dropped-out activations (values 0 or 4).
    drop_mean = model.bn.get_weights()[2] / 0.01
    assert np.all((drop_mean > 0) & (drop_mean < 4 * 1.5))
    inference = model(x).detach().numpy()
    np.testing.assert_array_equal(inference, np.broadcast_to(inference[0], inference.shape))


@pytest.mark.parametrize("wrap", [False, True])
def test_fit_trains_batchnorm_inside_subclassed_and_nested_models(wrap):
    x = np.random.rand(32, 2).astype("float32") + 3.0
    y = np.random.rand(32, 4).astype("float32")
    inner = _DropBN()
    model = keras.Sequential([keras.Input((2,)), inner]) if wrap else inner
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    # One training step moved the moving mean from 0 towards the batch mean (~ 2 * 3.5 = 7
    # before dropout): only a training-mode call updates it.
    assert np.all(inner.bn.get_weights()[2] > 0.01)


def test_functional_model_with_two_inputs_fits_evaluates_predicts():
    a, b = keras.Input((4,)), keras.Input((3,))
    merged = layers.Concatenate()([layers.Dense(5, activation="relu")(a), b])
    model = keras.Model([a, b], layers.Dense(2, activation="softmax")(merged))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    xa = np.random.rand(40, 4).astype("float32")
    xb = np.random.rand(40, 3).astype("float32")
    y = np.random.randint(0, 2, 40)
    hist = model.fit([xa, xb], y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    k1, b1, k2, b2 = model.get_weights()
    logits = np.concatenate([np.maximum(xa @ k1 + b1, 0), xb], 1) @ k2 + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict([xa, xb], batch_size=7, verbose=0), p,
                               rtol=1e-5, atol=1e-6)
    loss, acc = model.evaluate([xa, xb], y, verbose=0)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(40), y])), rel=1e-5)
    assert acc == pytest.approx(np.mean(p.argmax(1) == y))
    with pytest.raises(ValueError, match=r"has 2 inputs, so x must be a list of 2 arrays"):
        model.fit(xa, y, verbose=0)
    with pytest.raises(ValueError, match=r"input 1 of model .* expects shape \(None, 3\), but "
                                         r"x\[1\] has shape \(None, 4\)"):
        model.fit([xa, xa], y, verbose=0)
    with pytest.raises(ValueError, match=r"same number of samples, got \[40, 10\]"):
        model.predict([xa, xb[:10]], verbose=0)


def test_csv_logger_keeps_validation_columns_with_validation_freq(tmp_path):
    import csv

    x, y = _two_class_data()
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "log.csv"
    hist = model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), validation_freq=2,
                     callbacks=[keras.callbacks.CSVLogger(str(path))])
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r["val_loss"] for r in rows[::2]] == ["NA", "NA"]
    assert [float(r["val_loss"]) for r in rows[1::2]] == pytest.approx(hist.history["val_loss"])


def test_plot_history_places_validation_points_at_their_epochs(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    x, y = _two_class_data()
    model = keras.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), validation_freq=2)
    drawn = {}
    real_plot = matplotlib.axes.Axes.plot

    def spy(self, xs, ys, *args, **kwargs):
        drawn[kwargs.get("label")] = list(xs)
        return real_plot(self, xs, ys, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    hist.plot(tmp_path / "h.png")
    assert drawn == {"loss": [1, 2, 3, 4], "val_loss": [2, 4]}
    assert (tmp_path / "h.png").stat().st_size > 0


def test_models_cast_numpy_inputs_to_their_input_dtype():
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    ints = np.array([[1, 2, 3]])
    out = model(ints)
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.detach().numpy(), model.predict(ints.astype("float32"),
                                                                   verbose=0), rtol=1e-6)
    emb = keras.Sequential([layers.Embedding(10, 2, input_shape=(2,))])
    np.testing.assert_array_equal(emb(np.array([[1, 9]])).detach().numpy(),
                                  emb.get_weights()[0][[1, 9]][None])
    a, b = keras.Input((2,), dtype="int64"), keras.Input((3,))
    f = keras.Model([a, b], layers.Concatenate()([layers.Flatten()(layers.Embedding(5, 2)(a)),
                                                   b]))
    out = f([np.array([[0, 4]]), np.ones((1, 3))]).detach().numpy()
    table = f.get_weights()[0]
    np.testing.assert_allclose(out, np.concatenate([table[[0, 4]].reshape(1, 4), np.ones((1, 3))], 1))


def test_float64_layers_fit_evaluate_predict():
    x = np.random.rand(8, 3)
    y = np.random.rand(8, 1)
    model = keras.Sequential([layers.Dense(2, input_shape=(3,), dtype="float64"),
                              layers.Dense(1, dtype="float64")])
    model.compile(optimizers.SGD(0.1), "mse")
    k0, b0, k1, b1 = model.get_weights()
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    pred = (x @ k0 + b0) @ k1 + b1
    g = 2 * (pred - y) / 8
    np.testing.assert_allclose(model.get_weights()[3], b1 - 0.1 * g.sum(0), rtol=1e-10)
    out = model.predict(x, verbose=0)
    assert out.dtype == np.float64
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.mean((out - y) ** 2), rel=1e-10)
