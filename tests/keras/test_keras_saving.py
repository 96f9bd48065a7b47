"""save/load_model and save_weights/load_weights: round trips, corrupt and mismatched files."""

import json
from pathlib import Path

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers


def _seq():
    m = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                          layers.BatchNormalization(), layers.Dropout(0.2),
                          layers.Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _fit(m):
    x = np.random.rand(40, 4).astype("float32")
    m.fit(x, np.random.randint(0, 3, 40), epochs=1, verbose=0)
    return x


def test_sequential_round_trip_identical_predictions_and_compile(tmp_path):
    m = _seq()
    x = _fit(m)
    m.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, keras.Sequential) and [type(l) for l in loaded.layers] == [type(l) for l in m.layers]
    np.testing.assert_array_equal(loaded.predict(x), m.predict(x))
    assert isinstance(loaded.optimizer, keras.optimizers.Adam) and loaded.optimizer.epsilon == 1e-7
    assert isinstance(loaded.loss, keras.losses.SparseCategoricalCrossentropy)
    loaded.fit(x, np.zeros(40, "int64"), epochs=1, verbose=0)  # trainable after loading


def test_file_is_safetensors_with_json_architecture(tmp_path):
    from safetensors.numpy import load_file

    m = _seq()
    m.save(tmp_path / "m.keras")
    arrays = load_file(str(tmp_path / "m.keras"))
    assert arrays["0/kernel"].shape == (4, 8)  # Keras layout
    assert set(arrays) >= {"1/moving_mean", "1/moving_variance", "3/bias"}
    raw = Path(tmp_path / "m.keras").read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    config = json.loads(header["__metadata__"]["config"])
    assert config["class_name"] == "Sequential" and config["config"]["layers"][0]["config"]["units"] == 8


def test_functional_round_trip(tmp_path):
    inp = keras.Input((4,))
    h = layers.Dense(6, activation="tanh")(inp)
    out = layers.Dense(2, activation="sigmoid")(h)
    m = keras.Model(inp, out)
    m.save(tmp_path / "f.keras")
    loaded = keras.models.load_model(tmp_path / "f.keras")
    x = np.random.rand(5, 4).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x), m.predict(x))
    j = keras.models.model_from_json(m.to_json())
    assert j.count_params() == m.count_params()


def test_weights_round_trip_and_mismatch_leaves_model_unchanged(tmp_path):
    m = _seq()
    _fit(m)
    m.save_weights(tmp_path / "w.safetensors")
    other = _seq()
    other.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(other.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrong = keras.Sequential([layers.Dense(9, input_shape=(4,)), layers.BatchNormalization(),
                              layers.Dropout(0.2), layers.Dense(3)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match=r"weight '0/kernel' has shape \(4, 8\) in .* but \(4, 9\) in model .*nothing was loaded"):
        wrong.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(before, wrong.get_weights()):
        np.testing.assert_array_equal(a, b)
    small = keras.Sequential([layers.Dense(8, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"unexpected weights \['1/beta'"):
        small.load_weights(tmp_path / "w.safetensors")


def test_corrupt_and_foreign_files(tmp_path):
    m = _seq()
    m.save(tmp_path / "m.keras")
    data = Path(tmp_path / "m.keras").read_bytes()
    (tmp_path / "bad.keras").write_bytes(data[:100])
    before = m.get_weights()
    with pytest.raises(ValueError, match="is not a valid ember.keras file"):
        keras.models.load_model(tmp_path / "bad.keras")
    with pytest.raises(ValueError, match="is not a valid ember.keras file"):
        m.load_weights(tmp_path / "bad.keras")
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    ember.save({"a": ember.ones(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(ValueError, match="was not written by ember.keras"):
        m.load_weights(tmp_path / "plain.safetensors")
    m.save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="holds weights only"):
        keras.models.load_model(tmp_path / "w.safetensors")
    with pytest.raises(FileNotFoundError, match="no such file"):
        keras.models.load_model(tmp_path / "missing.keras")


def test_custom_layer_needs_custom_objects(tmp_path):
    class Double(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    m = keras.Sequential([layers.Dense(2, input_shape=(3,)), Double()])
    m.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match=r"Unknown layer class 'Double'; pass it via custom_objects"):
        keras.models.load_model(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras", custom_objects={"Double": Double})
    x = np.random.rand(2, 3).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x), m.predict(x))


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    m = _seq()
    m.save(tmp_path / "m.keras")
    original = Path(tmp_path / "m.keras").read_bytes()
    from ember.keras import saving

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(saving.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        m.save(tmp_path / "m.keras")
    assert Path(tmp_path / "m.keras").read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_subclassed_model_save_weights_only(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    n = Net()
    n(ember.zeros(1, 3))
    with pytest.raises(NotImplementedError, match="use save_weights"):
        n.save(tmp_path / "n.keras")
    n.save_weights(tmp_path / "n.safetensors")
    n2 = Net()
    n2(ember.zeros(1, 3))
    n2.load_weights(tmp_path / "n.safetensors")
    for a, b in zip(n.get_weights(), n2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_to_an_hdf5_name_raises_and_writes_nothing(tmp_path):
    from ember import keras

    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    for name in ("m.h5", "m.HDF5"):
        with pytest.raises(ValueError, match=r"legacy HDF5 format.*use the \.keras extension"):
            model.save(tmp_path / name)
        assert not (tmp_path / name).exists()


def test_model_checkpoint_rejects_hdf5_names_for_whole_models(tmp_path):
    from ember import keras

    with pytest.raises(ValueError, match="legacy HDF5 format"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "best.h5"))
    keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_weights_only=True)
