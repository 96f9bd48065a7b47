"""Callbacks: exact epochs, restored weights, files written."""

import csv
from pathlib import Path

import numpy as np
import pytest
from ember import keras
from ember.keras import callbacks, layers


def _model():
    m = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    m.compile(keras.optimizers.SGD(0.01), "mse")
    return m


def _data():
    return np.random.rand(32, 3).astype("float32"), np.random.rand(32, 2).astype("float32")


class Script(callbacks.Callback):
    """Overwrites logs[key] with scripted values and records the weights of every epoch."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values, self.weights = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_hook_order_and_epochs():
    events = []

    class Rec(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    x, y = _data()
    _model().fit(x, y, batch_size=16, epochs=2, callbacks=[Rec()], verbose=0, validation_data=(x, y))
    assert events == ["train_begin", "epoch_begin 0", "batch 0 ['loss']", "batch 1 ['loss']",
                      "epoch_end 0 ['loss', 'val_loss']", "epoch_begin 1", "batch 0 ['loss']",
                      "batch 1 ['loss']", "epoch_end 1 ['loss', 'val_loss']", "train_end"]


def test_early_stopping_stops_at_the_right_epoch_and_restores_best_weights():
    x, y = _data()
    model = _model()
    script = Script("val_loss", [5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 2.0])
    es = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    h = model.fit(x, y, epochs=7, callbacks=[script, es], verbose=0)
    # best at epoch 1; epochs 2 and 3 do not improve -> stop after epoch 3
    assert h.epoch == [0, 1, 2, 3] and es.stopped_epoch == 3 and es.best_epoch == 1
    for a, b in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_min_delta_mode_max_and_no_restore():
    x, y = _data()
    model = _model()
    script = Script("val_acc", [0.5, 0.505, 0.52, 0.6, 0.61])
    es = callbacks.EarlyStopping(monitor="val_acc", min_delta=0.05, patience=1)
    h = model.fit(x, y, epochs=5, callbacks=[script, es], verbose=0)
    assert h.epoch == [0, 1] and es.stopped_epoch == 1
    for a, b in zip(model.get_weights(), script.weights[-1]):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_scheduler_sets_rate_each_epoch():
    x, y = _data()
    model = _model()
    seen = []
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    rec = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.optimizer._impl.param_groups[0]["lr"]))
    h = model.fit(x, y, epochs=3, callbacks=[sched, rec], verbose=0)
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    one_arg = callbacks.LearningRateScheduler(lambda epoch: 0.5)
    model.fit(x, y, epochs=1, callbacks=[one_arg], verbose=0)
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_on_plateau():
    x, y = _data()
    model = _model()
    script = Script("val_loss", [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    red = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.002)
    h = model.fit(x, y, epochs=7, callbacks=[script, red], verbose=0)
    # lr logged before the epoch's decision: reductions after epochs 2 and 6 (patience 2)
    assert h.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005])
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=2)


def test_csv_logger(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    _model().fit(x, y, epochs=3, callbacks=[callbacks.CSVLogger(path)], verbose=0, validation_data=(x, y))
    rows = list(csv.DictReader(Path(path).read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and set(rows[0]) == {"epoch", "loss", "val_loss"}
    _model().fit(x, y, epochs=1, callbacks=[callbacks.CSVLogger(path, append=True)], verbose=0,
                 validation_data=(x, y))
    assert len(list(csv.DictReader(Path(path).read_text().splitlines()))) == 4


def test_model_checkpoint_best_only(tmp_path):
    x, y = _data()
    model = _model()
    script = Script("val_loss", [3.0, 2.0, 2.5, 1.0])
    pattern = str(tmp_path / "w-{epoch:02d}.weights.safetensors")
    ck = callbacks.ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
    model.fit(x, y, epochs=4, callbacks=[script, ck], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "w-01.weights.safetensors", "w-02.weights.safetensors", "w-04.weights.safetensors"]
    fresh = _model()
    fresh.load_weights(tmp_path / "w-02.weights.safetensors")
    for a, b in zip(fresh.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(a, b)
    full = callbacks.ModelCheckpoint(str(tmp_path / "model.keras"))
    model.fit(x, y, epochs=1, callbacks=[full], verbose=0)
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "model.keras").predict(x), model.predict(x))


def test_callbacks_type_checked():
    x, y = _data()
    with pytest.raises(TypeError, match="callbacks must be keras.callbacks.Callback instances, got function"):
        _model().fit(x, y, callbacks=[lambda: None], verbose=0)


def test_history_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    h = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25)
    path = h.plot(tmp_path / "h.png")
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    with pytest.raises(ValueError, match=r"no 'acc' in the history \(has: loss, mae, val_loss, val_mae\)"):
        keras.utils.plot_history(h, tmp_path / "x.png", metrics=["acc"])


def test_plot_without_matplotlib_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        keras.utils.plot_history({"loss": [1.0, 0.5]}, tmp_path / "h.png")
