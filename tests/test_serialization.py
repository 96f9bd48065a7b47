"""ember.save / ember.load round trips (safetensors)."""

from __future__ import annotations

import numpy as np
import pytest

import ember


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


def test_save_bad_object_and_load_bad_file(tmp_path) -> None:
    with pytest.raises(TypeError, match="save: expected a Tensor or a dict"):
        ember.save([1, 2], tmp_path / "x")
    p = tmp_path / "bad.safetensors"
    p.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="load: .* is not a valid"):
        ember.load(p)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.safetensors")
