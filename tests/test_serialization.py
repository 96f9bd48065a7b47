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


# ---- file safety: permissions, symbolic links, foreign dtypes, damaged metadata ----------------


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_save_gives_a_new_file_the_umask_mode_and_keeps_an_existing_mode(tmp_path, umask_022):
    p = tmp_path / "a.safetensors"
    ember.save(ember.ones(2), p)
    assert os.stat(p).st_mode & 0o777 == 0o644  # as open(path, "wb") would give it
    os.chmod(p, 0o640)
    ember.save(ember.zeros(2), p)
    assert os.stat(p).st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(ember.load(p).numpy(), [0.0, 0.0])
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors"]  # no temporary file left behind


def test_save_writes_through_a_symbolic_link(tmp_path):
    target, link = tmp_path / "t.safetensors", tmp_path / "l.safetensors"
    ember.save(ember.zeros(1), target)
    os.symlink(target.name, link)
    ember.save(ember.ones(1), link)
    assert os.path.islink(link)
    np.testing.assert_array_equal(ember.load(target).numpy(), [1.0])


def test_load_converts_dtypes_ember_lacks(tmp_path):
    from safetensors.numpy import save as st_save

    raw = st_save({"h": np.array([1.5, -2.0], np.float16), "i8": np.array([-3, 4], np.int8),
                   "u16": np.array([7, 65535], np.uint16)})
    (tmp_path / "x.safetensors").write_bytes(raw)
    d = ember.load(tmp_path / "x.safetensors")
    assert (d["h"].dtype, d["i8"].dtype, d["u16"].dtype) == (ember.float32, ember.int64, ember.int64)
    np.testing.assert_array_equal(d["h"].numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(d["i8"].numpy(), [-3, 4])
    np.testing.assert_array_equal(d["u16"].numpy(), [7, 65535])


def _bf16_file(values: np.ndarray, extra: dict) -> bytes:
    """A safetensors file holding `values` (float32, exactly representable) as BF16 plus
    `extra` float32 arrays, laid out by hand as the format describes."""
    import json

    blobs = [("w", "BF16", values.shape, (values.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes())]
    blobs += [(k, "F32", v.shape, v.astype("<f4").tobytes()) for k, v in extra.items()]
    header, data = {}, b""
    for name, dt, shape, b in blobs:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data


def test_load_reads_bfloat16_as_float32(tmp_path):
    vals = np.array([[1.5, -2.25], [2.0**100, -0.0]], np.float32)  # bfloat16-exact values
    p = tmp_path / "b.safetensors"
    p.write_bytes(_bf16_file(vals, {"f": np.array([0.5], np.float32)}))
    d = ember.load(p)
    assert d["w"].dtype == ember.float32 and tuple(d["w"].shape) == (2, 2)
    np.testing.assert_array_equal(d["w"].numpy(), vals.astype(np.float32))
    assert np.signbit(d["w"].numpy()[1, 1])
    np.testing.assert_array_equal(d["f"].numpy(), [0.5])
    if _torch() is not None:
        from safetensors.torch import save_file

        torch = _torch()
        save_file({"w": torch.tensor([1.5, -2.25, 7.0], dtype=torch.bfloat16)}, str(tmp_path / "t.st"))
        np.testing.assert_array_equal(ember.load(tmp_path / "t.st")["w"].numpy(), [1.5, -2.25, 7.0])


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.mark.parametrize("meta, match", [
    ({"ember_format": "1", "ember_structure": '{"__tensor__": "nope"}'}, "names a tensor 'nope'"),
    ({"ember_format": "1", "ember_structure": "{bad"}, "damaged ember structure"),
    ({"ember_format": "1", "ember_structure": '{"__dict__": 5}'}, "damaged ember structure"),
    ({"ember_format": "abc", "ember_structure": "[]"}, "damaged ember_format entry 'abc'"),
])
def test_damaged_ember_metadata_raises_value_error_naming_the_file(tmp_path, meta, match):
    from safetensors.numpy import save as st_save

    p = tmp_path / "d.safetensors"
    p.write_bytes(st_save({"a": np.ones(2, np.float32)}, metadata=meta))
    with pytest.raises(ValueError, match=match) as e:
        ember.load(p)
    assert "d.safetensors" in str(e.value)


def test_the_temporary_file_has_the_old_mode_before_any_data_is_written(tmp_path):
    from ember.utils._atomic import atomic_open

    p = tmp_path / "secret.safetensors"
    ember.save(ember.ones(1), p)
    os.chmod(p, 0o600)
    with atomic_open(p) as fh:
        assert os.stat(fh.fileno()).st_mode & 0o777 == 0o600
        fh.write(b"x")
    assert os.stat(p).st_mode & 0o777 == 0o600 and p.read_bytes() == b"x"


def test_a_read_only_file_is_not_replaced(tmp_path, monkeypatch):
    p = tmp_path / "ro.safetensors"
    ember.save(ember.ones(1), p)
    before = p.read_bytes()
    # (os.access says writable for root whatever the mode: ask it as a normal user would be told.)
    monkeypatch.setattr(os, "access", lambda path, mode: not os.fspath(path).endswith("ro.safetensors"))
    with pytest.raises(PermissionError, match="read-only"):
        ember.save(ember.zeros(1), p)
    assert p.read_bytes() == before


def test_load_takes_pytorchs_keyword_arguments(tmp_path):
    ember.save({"w": ember.ones(2)}, tmp_path / "c.safetensors")
    d = ember.load(tmp_path / "c.safetensors", map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(d["w"].numpy(), [1.0, 1.0])
