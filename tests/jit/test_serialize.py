"""ember.jit.save / load: one versioned file, bit-identical results, clear errors."""

import os
import struct

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn


def _mlp():
    return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))


def test_save_load_round_trip_is_bit_identical(tmp_path):
    m = _mlp()
    x = ember.randn(5, 12)
    tm = jit.trace(lambda x: F.softmax(m(x), 1), x)
    path = tmp_path / "model.ejit"
    jit.save(tm, path)
    loaded = jit.load(path)
    x2 = ember.randn(5, 12)
    a, b = tm(x2).detach().numpy(), loaded(x2).numpy()
    assert not loaded(x2).requires_grad  # a loaded graph has no Python function to rerun
    assert a.tobytes() == b.tobytes()
    assert str(loaded.graph) == str(tm.graph)
    assert sorted(os.listdir(tmp_path)) == ["model.ejit"]  # no temporary file left behind


def test_round_trip_keeps_structure_and_constants(tmp_path):
    def f(x, d):
        return {"sum": (x * 2.5 + d["b"]).sum(0), "pair": (x.max(1)[1], ember.exp(x - 1))}

    x, b = ember.randn(3, 4), ember.randn(4)
    tf = jit.trace(f, (x, {"b": b}))
    jit.save(tf, tmp_path / "f.ejit")
    g = jit.load(tmp_path / "f.ejit")
    out, want = g(x, {"b": b}), f(x, {"b": b})
    np.testing.assert_array_equal(out["sum"].numpy(), want["sum"].numpy())
    np.testing.assert_array_equal(out["pair"][0].numpy(), want["pair"][0].numpy())
    np.testing.assert_array_equal(out["pair"][1].numpy(), want["pair"][1].numpy())


def test_saved_training_step_keeps_training(tmp_path):
    m = _mlp()
    opt = ember.optim.SGD(m.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = ember.randn(6, 12), ember.randint(0, 3, (6,))
    ts = jit.trace(step, (x, y))
    jit.save(ts, tmp_path / "step.ejit")
    loaded = jit.load(tmp_path / "step.ejit")
    losses_a = [ts(x, y).item() for _ in range(5)]
    losses_b = [loaded(x, y).item() for _ in range(5)]
    assert losses_a == losses_b
    assert losses_a[-1] < losses_a[0]


def test_safetensors_section_is_readable(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    m = _mlp()
    tm = jit.trace(m, ember.randn(2, 12))
    path = tmp_path / "m.ejit"
    jit.save(tm, path)
    data = path.read_bytes()
    (json_len,) = struct.unpack("<Q", data[12:20])
    tensors = safetensors.load(data[28 + json_len :])
    weights = sorted(v.shape for v in tensors.values())
    assert weights == sorted([(8, 12), (8,), (3, 8), (3,)])


def test_load_rejects_garbage(tmp_path):
    p = tmp_path / "bad.ejit"
    p.write_bytes(b"hello world, not a graph at all")
    with pytest.raises(RuntimeError, match="not an ember.jit file"):
        jit.load(p)


def test_load_rejects_corrupted_bytes(tmp_path):
    tm = jit.trace(_mlp(), ember.randn(2, 12))
    p = tmp_path / "m.ejit"
    jit.save(tm, p)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="corrupt file.*checksum"):
        jit.load(p)
    p.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(RuntimeError, match="corrupt file"):
        jit.load(p)


def test_load_rejects_newer_version(tmp_path):
    tm = jit.trace(_mlp(), ember.randn(2, 12))
    p = tmp_path / "m.ejit"
    jit.save(tm, p)
    data = bytearray(p.read_bytes())
    data[8:12] = struct.pack("<I", 99)
    p.write_bytes(bytes(data))
    with pytest.raises(
        RuntimeError, match="format version 99 but this ember reads versions up to 1"
    ):
        jit.load(p)


def test_unsaveable_signature_raises(tmp_path):
    tf = jit.trace(lambda x, o: x * 2, (ember.ones(2), object()))
    with pytest.raises(TypeError, match="cannot be saved"):
        jit.save(tf, tmp_path / "x.ejit")


def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="jit.load: no such file"):
        jit.load(str(tmp_path / "missing.ejit"))


def test_to_dot_labels_use_graphviz_line_breaks():
    traced = jit.trace(lambda x: x * 2, ember.ones(2, 3))
    dot = traced.graph.to_dot()
    assert "\\\\n" not in dot and "\\nf32[2, 3]" in dot


def test_save_keeps_permissions_and_writes_through_symbolic_links(tmp_path):
    tm = jit.trace(_mlp(), ember.randn(2, 12))
    old = os.umask(0o022)
    try:
        target = tmp_path / "m.ejit"
        jit.save(tm, target)
        assert os.stat(target).st_mode & 0o777 == 0o644
        os.chmod(target, 0o600)
        jit.save(tm, target)
        assert os.stat(target).st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
    link = tmp_path / "link.ejit"
    os.symlink(target.name, link)
    os.remove(target)
    jit.save(tm, link)  # a dangling link: its target is created
    assert os.path.islink(link) and target.is_file()
    x = ember.randn(2, 12)
    assert jit.load(link)(x).numpy().tobytes() == tm(x).detach().numpy().tobytes()
    assert sorted(os.listdir(tmp_path)) == ["link.ejit", "m.ejit"]


def test_save_into_a_missing_folder_raises_and_names_the_path(tmp_path):
    with pytest.raises(RuntimeError, match="cannot create .*missing"):
        jit.save(jit.trace(_mlp(), ember.randn(2, 12)), tmp_path / "missing" / "m.ejit")


def test_load_of_a_truncated_header_says_truncated(tmp_path):
    tm = jit.trace(_mlp(), ember.randn(2, 12))
    jit.save(tm, tmp_path / "m.ejit")
    (tmp_path / "t.ejit").write_bytes((tmp_path / "m.ejit").read_bytes()[:20])
    with pytest.raises(RuntimeError, match="truncated"):
        jit.load(tmp_path / "t.ejit")


# ---- files that pass the checksum but hold a malformed graph ---------------------------------

_FNV_PRIME = 1099511628211


def _fnv1a(data: bytes, basis: int = 14695981039346656037) -> int:
    h = basis
    for c in data:
        h = ((h ^ c) * _FNV_PRIME) & (2**64 - 1)
    return h


def _saved_mlp(tmp_path):
    """A saved forward of _mlp: (path, header, graph JSON, tensor section)."""
    import json

    tm = jit.trace(_mlp(), ember.randn(4, 12))
    p = tmp_path / "m.ejit"
    jit.save(tm, p)
    data = p.read_bytes()
    (json_len,) = struct.unpack("<Q", data[12:20])
    return p, data[:12], json.loads(data[28 : 28 + json_len]), data[28 + json_len :]


def _rewrite(p, head, graph, rest, json_len=None, basis=14695981039346656037):
    """Writes `graph` back with a valid checksum (so only the loader's own checks can object)."""
    import json

    jb = json.dumps(graph).encode()
    body = jb + rest
    n = len(jb) if json_len is None else json_len
    p.write_bytes(head + struct.pack("<Q", n) + struct.pack("<Q", _fnv1a(body, basis)) + body)


def test_checksum_is_standard_fnv1a_and_older_files_still_load(tmp_path):
    p, head, graph, rest = _saved_mlp(tmp_path)
    data = p.read_bytes()
    assert struct.unpack("<Q", data[20:28])[0] == _fnv1a(data[28:])  # any FNV-1a reader agrees
    x = ember.randn(4, 12)
    want = jit.load(p)(x).numpy()
    # Files written before the basis was corrected carry a checksum from 1469598103934665603.
    _rewrite(p, head, graph, rest, basis=1469598103934665603)
    assert jit.load(p)(x).numpy().tobytes() == want.tobytes()


def test_load_rejects_negative_sizes_and_bad_inplace_inputs(tmp_path):
    p, head, graph, rest = _saved_mlp(tmp_path)
    bad = dict(graph, inputs=[dict(graph["inputs"][0], shape=[-4, 12])])
    _rewrite(p, head, bad, rest)
    with pytest.raises(RuntimeError, match="corrupt file: a shape has the negative size -4"):
        jit.load(p)
    nodes = [dict(n) for n in graph["nodes"]]
    nodes[0]["inplace_input"] = 99
    _rewrite(p, head, dict(graph, nodes=nodes), rest)
    with pytest.raises(RuntimeError, match=f"node {nodes[0]['op']} has in-place input 99"):
        jit.load(p)
    nodes[0]["inplace_input"] = 0
    nodes[0]["flags"] = 1 << 10
    _rewrite(p, head, dict(graph, nodes=nodes), rest)
    with pytest.raises(RuntimeError, match="has unknown flags 1024"):
        jit.load(p)


def test_a_node_with_an_extra_attribute_fails_when_run(tmp_path):
    p, head, graph, rest = _saved_mlp(tmp_path)
    nodes = [dict(n) for n in graph["nodes"]]
    k = next(i for i, n in enumerate(nodes) if n["op"] == "linear")
    nodes[k]["attrs"] = list(nodes[k]["attrs"]) + [{"int": 3}]
    _rewrite(p, head, dict(graph, nodes=nodes), rest)
    loaded = jit.load(p)
    with pytest.raises(RuntimeError, match=r"linear: the graph node has 3 tensor inputs and 1 "
                       r"attributes, but the op reads 3 and 0"):
        loaded(ember.randn(4, 12))


def test_a_node_missing_an_optional_attribute_fails_when_run(tmp_path):
    tm = jit.trace(lambda x: ember.clamp(x, min=0.0), ember.randn(3))
    p = tmp_path / "c.ejit"
    jit.save(tm, p)
    data = p.read_bytes()
    (json_len,) = struct.unpack("<Q", data[12:20])
    import json

    graph = json.loads(data[28 : 28 + json_len])
    nodes = [dict(n) for n in graph["nodes"]]
    assert nodes[0]["op"] == "clamp" and nodes[0]["attrs"][1] == {"none": None}
    x = ember.tensor([-1.0, 0.5, 2.0])
    # With both attributes the loaded graph runs; without max's None it must not read past the end.
    assert jit.load(p)(x).tolist() == [0.0, 0.5, 2.0]
    nodes[0]["attrs"] = nodes[0]["attrs"][:1]
    _rewrite(p, data[:12], dict(graph, nodes=nodes), data[28 + json_len :])
    with pytest.raises(RuntimeError, match="clamp: too few attributes in the graph node"):
        jit.load(p)(x)


def test_load_rejects_lengths_that_would_wrap_around(tmp_path):
    p, head, graph, rest = _saved_mlp(tmp_path)
    _rewrite(p, head, graph, rest, json_len=2**64 - 8)
    with pytest.raises(RuntimeError, match="corrupt file: .* is truncated"):
        jit.load(p)
    _rewrite(p, head, graph, struct.pack("<Q", 2**64 - 4) + rest[8:])
    with pytest.raises(RuntimeError, match="corrupt file: tensor header is truncated"):
        jit.load(p)


def test_load_of_a_directory_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        jit.load(tmp_path)
