"""Keras optimizers Adamax, Nadam, Adadelta (Keras's update rules written out in numpy, and
PyTorch's) and the callbacks BackupAndRestore, ProgbarLogger and LambdaCallback (Keras 3's
arguments)."""

from __future__ import annotations

import os

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import callbacks, layers, optimizers

W0 = np.array([0.5, -0.5, 1.0, 2.0])


def _grads(w):
    # a fixed, non-linear gradient field, with tiny and large entries
    return np.array([1e-4, -3e-3, 0.5, -2.0]) * (1 + w * w)


def _run(opt, steps=6):
    w = ember.tensor(W0.tolist(), dtype=ember.float64, requires_grad=True)
    opt.build([w])
    for _ in range(steps):
        w.grad = ember.from_numpy(_grads(w.detach().numpy()))
        opt.step()
    return w.detach().numpy()


def _keras_adamax(lr, b1, b2, eps, steps=6):
    w, m, u = W0.copy(), np.zeros(4), np.zeros(4)
    for t in range(1, steps + 1):
        g = _grads(w)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1 ** t) * (u + eps))
    return w


def _keras_nadam(lr, b1, b2, eps, steps=6):
    w, m, v, u_product = W0.copy(), np.zeros(4), np.zeros(4), 1.0
    for t in range(1, steps + 1):
        g = _grads(w)
        u_t = b1 * (1 - 0.5 * 0.96 ** (0.004 * t))
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (0.004 * (t + 1)))
        u_product_t = u_product * u_t
        u_product_t1 = u_product_t * u_t1
        u_product = u_product_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_product_t1) + (1 - u_t) * g / (1 - u_product_t)
        v_hat = v / (1 - b2 ** t)
        w = w - m_hat * lr / (np.sqrt(v_hat) + eps)
    return w


def _keras_adadelta(lr, rho, eps, steps=6):
    w, acc_g, acc_d = W0.copy(), np.zeros(4), np.zeros(4)
    for _ in range(steps):
        g = _grads(w)
        acc_g = rho * acc_g + (1 - rho) * g * g
        delta = -np.sqrt(acc_d + eps) * g / np.sqrt(acc_g + eps)
        acc_d = rho * acc_d + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def test_nadam_follows_keras_update():
    # rtol 1e-8: the momentum-schedule product is kept in float32 (as PyTorch and Keras do)
    got = _run(optimizers.Nadam(0.01))
    np.testing.assert_allclose(got, _keras_nadam(0.01, 0.9, 0.999, 1e-7), rtol=1e-8)
    got = _run(optimizers.Nadam(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3))
    np.testing.assert_allclose(got, _keras_nadam(0.05, 0.8, 0.99, 1e-3), rtol=1e-8)


def test_adadelta_follows_keras_update():
    got = _run(optimizers.Adadelta(1.0))
    np.testing.assert_allclose(got, _keras_adadelta(1.0, 0.95, 1e-7), rtol=1e-10, atol=1e-12)
    got = _run(optimizers.Adadelta(0.5, rho=0.8, epsilon=1e-4))
    np.testing.assert_allclose(got, _keras_adadelta(0.5, 0.8, 1e-4), rtol=1e-10, atol=1e-12)


def test_adamax_matches_torch_and_keras_up_to_epsilon_placement():
    torch = pytest.importorskip("torch")
    got = _run(optimizers.Adamax(0.01, epsilon=1e-7))
    wt = torch.tensor(W0.copy(), requires_grad=True)
    topt = torch.optim.Adamax([wt], lr=0.01, eps=1e-7)
    for _ in range(6):
        wt.grad = torch.tensor(_grads(wt.detach().numpy()))
        topt.step()
    np.testing.assert_allclose(got, wt.detach().numpy(), rtol=1e-12, atol=1e-14)
    # Keras adds epsilon outside the max: the two differ by an amount of order epsilon / |g|
    np.testing.assert_allclose(got, _keras_adamax(0.01, 0.9, 0.999, 1e-7), rtol=0, atol=1e-5)
    big = _run(optimizers.Adamax(0.01, epsilon=0.0))
    np.testing.assert_allclose(big, _keras_adamax(0.01, 0.9, 0.999, 0.0), rtol=1e-12)


def test_defaults_names_and_configs_match_keras():
    a, n, d = optimizers.Adamax(), optimizers.Nadam(), optimizers.Adadelta()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon, a.name) == (1e-3, 0.9, 0.999, 1e-7,
                                                                        "adamax")
    assert (n.learning_rate, n.beta_1, n.beta_2, n.epsilon, n.name) == (1e-3, 0.9, 0.999, 1e-7,
                                                                        "nadam")
    assert (d.learning_rate, d.rho, d.epsilon, d.name) == (1e-3, 0.95, 1e-7, "adadelta")
    for name, cls in (("adamax", optimizers.Adamax), ("Nadam", optimizers.Nadam),
                      ("ADADELTA", optimizers.Adadelta)):
        assert isinstance(optimizers.get(name), cls)
    for opt in (optimizers.Adamax(0.2, beta_1=0.5, clipnorm=1.0),
                optimizers.Nadam(0.3, epsilon=1e-4, weight_decay=0.01),
                optimizers.Adadelta(2.0, rho=0.7, global_clipnorm=2.0)):
        clone = type(opt).from_config(opt.get_config())
        assert clone.get_config() == opt.get_config()
        assert optimizers.get({"class_name": type(opt).__name__,
                               "config": opt.get_config()}).get_config() == opt.get_config()
    with pytest.raises(ValueError, match=r"Adadelta: rho must be in \[0.0, 1.0\), got 1.5"):
        optimizers.Adadelta(rho=1.5)
    with pytest.raises(ValueError, match=r"Nadam: beta_1 must be in"):
        optimizers.Nadam(beta_1=1.0)
    with pytest.raises(ValueError, match=r"Adamax: epsilon must be >= 0"):
        optimizers.Adamax(epsilon=-1.0)


def test_weight_decay_is_decoupled_before_the_update():
    w = _run(optimizers.Adadelta(1.0, weight_decay=0.1), steps=1)
    w0 = W0 * (1 - 1.0 * 0.1)
    g = _grads(W0)
    acc_g = 0.05 * g * g
    expected = w0 - np.sqrt(1e-7) * g / np.sqrt(acc_g + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-10)


@pytest.mark.parametrize("name", ["adamax", "nadam", "adadelta"])
def test_new_optimizers_train_a_model_by_name(name):
    x = np.random.randn(64, 3).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    opt = optimizers.get(name)
    opt.learning_rate = 1.0 if name == "adadelta" else 0.05
    model.compile(opt, "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# ---- BackupAndRestore ---------------------------------------------------------------------------


def _model(seed=0):
    ember.manual_seed(seed)
    m = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    m.compile(optimizers.Adam(0.05), "mse")
    return m


def _xy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    return x, (x.sum(1, keepdims=True) ** 2).astype("float32")


class _Crash(callbacks.Callback):
    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch, self.seen = epoch, batch, []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)
        if self.batch is None and epoch == self.epoch:
            raise KeyboardInterrupt("simulated interruption")

    def on_train_batch_end(self, batch, logs=None):
        if self.batch is not None and self.seen[-1] == self.epoch and batch == self.batch:
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize("crash", [(3, None), (2, 1)])
def test_backup_and_restore_resumes_where_training_stopped(tmp_path, crash):
    x, y = _xy()
    reference = _model()
    ref_hist = reference.fit(x, y, epochs=6, batch_size=10, shuffle=False, verbose=0)
    backup = tmp_path / "backup"
    interrupted = _model()
    crasher = _Crash(*crash)
    with pytest.raises((KeyboardInterrupt, RuntimeError), match="simulated"):
        interrupted.fit(x, y, epochs=6, batch_size=10, shuffle=False, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(backup), crasher])
    assert os.listdir(backup) == ["latest.backup.safetensors"]  # no temporary files left
    resumed = _model(seed=1)  # another initialization: everything comes from the backup
    seen = []
    hist = resumed.fit(x, y, epochs=6, batch_size=10, shuffle=False, verbose=0,
                       callbacks=[callbacks.BackupAndRestore(backup),
                                  callbacks.LambdaCallback(on_epoch_begin=lambda e, l: seen.append(e))])
    assert seen == list(range(crash[0], 6)) and hist.epoch == seen
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 24
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert hist.history["loss"] == pytest.approx(ref_hist.history["loss"][crash[0]:], rel=1e-5)
    assert not backup.exists()  # a normal end deletes the backup (delete_checkpoint=True)


def test_backup_keeps_files_restores_learning_rate_and_checks_the_model(tmp_path):
    x, y = _xy()
    m = _model()
    cb = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    lr = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: setattr(
        m.optimizer, "learning_rate", 0.01))
    m.fit(x, y, epochs=2, verbose=0, callbacks=[lr, cb])
    assert (tmp_path / "latest.backup.safetensors").exists()
    again = _model(seed=3)
    hist = again.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert hist.epoch == []  # both epochs were done already
    assert again.optimizer.learning_rate == pytest.approx(0.01)
    for a, b in zip(again.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    other.compile("adam", "mse")
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"does not match model .*nothing was loaded"):
        other.fit(x, np.zeros((40, 2), "float32"), epochs=3, verbose=0, callbacks=[cb])
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_backup_write_is_atomic_and_double_checkpoint_falls_back(tmp_path, monkeypatch):
    x, y = _xy()
    m = _model()
    cb = callbacks.BackupAndRestore(tmp_path, double_checkpoint=True, delete_checkpoint=False)
    m.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    latest = tmp_path / "latest.backup.safetensors"
    prev = tmp_path / "prev.backup.safetensors"
    assert prev.exists() and latest.exists()
    good = latest.read_bytes()
    # a failure while moving the new file into place leaves the old backup intact
    real_replace = os.replace

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        m.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    monkeypatch.setattr(os, "replace", real_replace)
    assert latest.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["latest.backup.safetensors", "prev.backup.safetensors"]
    # a corrupt latest backup: the previous one is used, with a warning
    latest.write_bytes(b"garbage")
    resumed = _model(seed=2)
    seen = []
    with pytest.warns(UserWarning, match="cannot read the backup"):
        resumed.fit(x, y, epochs=3, verbose=0, callbacks=[
            cb, callbacks.LambdaCallback(on_epoch_begin=lambda e, l: seen.append(e))])
    assert seen == [1, 2]  # prev holds the state after epoch 0


def test_backup_argument_errors():
    with pytest.raises(ValueError, match="empty backup_dir"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="only save_freq='epoch' is supported, got 10"):
        callbacks.BackupAndRestore("/tmp/x", save_freq=10)


# ---- ProgbarLogger, LambdaCallback --------------------------------------------------------------


def test_progbar_logger_replaces_the_built_in_display(capsys):
    x, y = _xy()
    m = _model()
    m.fit(x, y, epochs=2, batch_size=10, verbose=1, callbacks=[callbacks.ProgbarLogger()])
    out = capsys.readouterr().out
    assert out.count("Epoch 1/2") == 1 and out.count("Epoch 2/2") == 1
    assert "4/4" in out and "loss:" in out
    m.fit(x, y, epochs=1, verbose=2, callbacks=[callbacks.ProgbarLogger()])
    line = capsys.readouterr().out.strip()
    assert line.startswith("Epoch 1/1 - ") and "loss: " in line and "\n" not in line
    m.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ProgbarLogger()])
    assert capsys.readouterr().out == ""


def test_lambda_callback_takes_keras3_arguments():
    x, y = _xy()
    m = _model()
    events = []
    cb = callbacks.LambdaCallback(
        lambda e, l: events.append(("epoch_begin", e)),
        lambda e, l: events.append(("epoch_end", e)),
        lambda l: events.append("train_begin"),
        lambda l: events.append("train_end"),
        on_train_batch_end=lambda b, l: events.append(("batch", b, round(l["loss"], 3) >= 0)),
        on_test_end=lambda l: events.append("test_end"))
    m.fit(x, y, epochs=1, batch_size=20, verbose=0, validation_data=(x, y), callbacks=[cb])
    assert events == ["train_begin", ("epoch_begin", 0), ("batch", 0, True), ("batch", 1, True),
                      "test_end", ("epoch_end", 0), "train_end"]
    legacy = []
    m.fit(x, y, epochs=1, batch_size=20, verbose=0,
          callbacks=[callbacks.LambdaCallback(on_batch_end=lambda b, l: legacy.append(b))])
    assert legacy == [0, 1]
