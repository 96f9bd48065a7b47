"""The C++ program examples/cpp/jit_predict.cpp loads a model saved from Python and prints the
same predictions."""

import os
import shutil
import subprocess
import sysconfig

import ember
import numpy as np
import pytest
from ember import jit, nn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIBDIR = os.path.dirname(os.path.abspath(ember.__file__))


@pytest.fixture(scope="module")
def jit_predict(tmp_path_factory):
    cxx = shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++")
    lib = os.path.join(LIBDIR, "libember" + (sysconfig.get_config_var("SHLIB_SUFFIX") or ".so"))
    if cxx is None or not os.path.exists(lib):
        pytest.skip("needs a C++ compiler and a built libember")
    exe = str(tmp_path_factory.mktemp("cpp") / "jit_predict")
    subprocess.run(
        [
            cxx,
            "-std=c++17",
            "-O1",
            os.path.join(REPO, "examples", "cpp", "jit_predict.cpp"),
            "-I",
            os.path.join(REPO, "csrc"),
            "-L",
            LIBDIR,
            "-lember",
            f"-Wl,-rpath,{LIBDIR}",
            "-o",
            exe,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return exe


def test_cpp_loader_prints_python_predictions(jit_predict, tmp_path):
    model = nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 4), nn.Softmax(dim=1))
    x = ember.randn(6, 20)
    traced = jit.trace(model, x)
    jit.save(traced, tmp_path / "model.ejit")
    inputs = ember.randn(6, 20)
    np.save(tmp_path / "inputs.npy", inputs.numpy())
    with ember.no_grad():
        want = traced(inputs).numpy()

    out = subprocess.run(
        [jit_predict, str(tmp_path / "model.ejit"), str(tmp_path / "inputs.npy")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = [line for line in out.splitlines() if line.startswith("row ")]
    assert len(rows) == 6
    for r, line in enumerate(rows):
        head, scores = line.split(" scores ")
        assert int(head.split("prediction ")[1]) == int(np.argmax(want[r]))
        np.testing.assert_allclose([float(s) for s in scores.split()], want[r], rtol=1e-6)


def test_cpp_loader_reports_corrupt_file(jit_predict, tmp_path):
    (tmp_path / "bad.ejit").write_bytes(b"EMBERJIT" + b"\0" * 40)
    np.save(tmp_path / "x.npy", np.zeros((1, 2), np.float32))
    r = subprocess.run(
        [jit_predict, str(tmp_path / "bad.ejit"), str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1 and "format version 0" in r.stderr
