"""ember.save / ember.load round trips, atomic writes and corrupt files."""

import os

import ember
import numpy as np
import pytest


def test_tensor_round_trip_keeps_values_dtype_shape(tmp_path):
    for t in [ember.randn(3, 4), ember.arange(6).reshape(2, 3), ember.tensor([True, False]),
              ember.randn(2, dtype=ember.float64), ember.tensor(2.5)]:
        p = tmp_path / "t.safetensors"
        ember.save(t, p)
        u = ember.load(p)
        assert u.dtype == t.dtype and tuple(u.shape) == tuple(t.shape)
        np.testing.assert_array_equal(u.numpy(), t.numpy())


def test_nested_structure_round_trip_keeps_order_and_key_types(tmp_path):
    obj = {"b": ember.ones(2), "a": [ember.zeros(1), 3, 2.5, "x", None, True],
           "state": {0: {"step": ember.tensor(4.0)}, 1: {}}, "t": (1, ember.eye(2))}
    p = tmp_path / "n.safetensors"
    ember.save(obj, p)
    back = ember.load(p)
    assert list(back) == ["b", "a", "state", "t"]
    assert list(back["state"]) == [0, 1]
    assert back["a"][1:] == [3, 2.5, "x", None, True]
    assert isinstance(back["t"], tuple) and back["t"][0] == 1
    np.testing.assert_array_equal(back["t"][1].numpy(), np.eye(2, dtype=np.float32))
    assert back["state"][0]["step"].item() == 4.0


def test_save_is_atomic_and_failed_save_keeps_old_file(tmp_path):
    p = tmp_path / "m.safetensors"
    ember.save({"w": ember.ones(3)}, p)
    with pytest.raises(TypeError, match="save: cannot store an object of type object"):
        ember.save({"w": object()}, p)
    np.testing.assert_array_equal(ember.load(p)["w"].numpy(), np.ones(3, np.float32))
    assert [f for f in os.listdir(tmp_path) if f.startswith(".ember-")] == []


def test_corrupt_file_raises_value_error_naming_path(tmp_path):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="bad.safetensors.*not a valid"):
        ember.load(p)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.safetensors")


def test_state_dict_round_trip_restores_model(tmp_path):
    nn = ember.nn
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    p = tmp_path / "model.safetensors"
    ember.save(m.state_dict(), p)
    m2 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    m2.load_state_dict(ember.load(p))
    x = ember.randn(5, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


@pytest.mark.parametrize(
    "data,dtype",
    [
        (3.5, ember.float32),
        (7, ember.int64),
        ([1.0, 2.0], ember.float64),
        ([[1, 2]], ember.int32),
        ([True, False], ember.bool),
        ([1, 255], ember.uint8),
        ([], ember.float32),
    ],
)
def test_save_load_tensor_round_trip(tmp_path, data, dtype) -> None:
    t = ember.tensor(data, dtype=dtype)
    ember.save(t, tmp_path / "t.safetensors")
    u = ember.load(tmp_path / "t.safetensors")
    assert u.dtype == t.dtype and tuple(u.shape) == tuple(t.shape)
    np.testing.assert_array_equal(u.numpy(), t.numpy())


def test_save_load_dict_with_views_and_grad(tmp_path) -> None:
    w = ember.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    sd = {"w": w, "wt": w.detach().T, "s": ember.tensor(2.0)}
    ember.save(sd, str(tmp_path / "sd.safetensors"))
    out = ember.load(str(tmp_path / "sd.safetensors"))
    assert set(out) == {"w", "wt", "s"}
    np.testing.assert_array_equal(out["wt"].numpy(), np.arange(6.0).reshape(2, 3).T)
    assert tuple(out["s"].shape) == ()
    assert not out["w"].requires_grad


def test_paths_that_flatten_to_the_same_name_keep_every_tensor(tmp_path):
    p = tmp_path / "c.st"
    obj = {"a.b": ember.tensor([1.0]), "a": {"b": ember.tensor([2.0]), "c": [ember.tensor([3.0])]},
           1: ember.tensor([4.0]), "1": ember.tensor([5.0]), "a.c.0": ember.tensor([6.0])}
    ember.save(obj, p)
    back = ember.load(p)
    assert list(back) == ["a.b", "a", 1, "1", "a.c.0"]
    assert back["a.b"].tolist() == [1.0]
    assert back["a"]["b"].tolist() == [2.0]
    assert back["a"]["c"][0].tolist() == [3.0]
    assert back[1].tolist() == [4.0]
    assert back["1"].tolist() == [5.0]
    assert back["a.c.0"].tolist() == [6.0]
