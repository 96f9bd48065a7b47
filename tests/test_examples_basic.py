"""Runs examples/linear_regression.py and examples/logistic_regression.py end to end."""

import importlib.util
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import ember
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _mnist_dir():
    env = os.environ.get("EMBER_DATA")
    candidates = [Path(env) / "mnist", Path(env)] if env else []
    candidates += [p / "shared" / "datasets" / "mnist" for p in REPO.parents[:3]]
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").is_file() or (
            c / "train-images-idx3-ubyte"
        ).is_file():
            return c
    return None


def _run(script, *args):
    # Inherit the environment; the subprocess imports the same ember as this test process.
    env = dict(os.environ)
    paths = [str(Path(ember.__file__).resolve().parents[1])]
    paths += [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_linear_regression_recovers_w_and_b():
    out = _run("linear_regression.py")
    w = float(re.search(r"learned w = (-?[\d.]+)", out).group(1))
    b = float(re.search(r"learned b = (-?[\d.]+)", out).group(1))
    assert abs(w - 3.0) < 1e-2 and abs(b - 2.0) < 1e-2
    costs = [float(c) for c in re.findall(r"cost ([\d.]+)", out)]
    assert len(costs) > 3
    assert costs[-1] < 0.01 < costs[0]  # noise variance / 2 = 0.005 at the optimum
    assert all(a >= c - 1e-6 for a, c in itertools.pairwise(costs))  # gradient descent never rises


def test_logistic_regression_mnist_0_vs_1():
    data = _mnist_dir()
    if data is None:
        pytest.skip(
            f"real MNIST files not found (looked in $EMBER_DATA and "
            f"{REPO.parent / 'shared/datasets/mnist'}; set EMBER_DATA to the MNIST folder)"
        )
    out = _run("logistic_regression.py", "--data-dir", str(data))
    assert "train: 12665 images, test: 2115 images, 784 features" in out
    losses = [float(v) for v in re.findall(r"train loss ([\d.]+)", out)]
    assert abs(losses[0] - 0.69315) < 1e-4  # log 2 at w = 0, b = 0
    assert losses[-1] < 0.05 and losses[-1] < losses[0]
    acc = float(re.search(r"test accuracy ([\d.]+)%", out).group(1))
    assert acc > 99.0


def _load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logistic_regression_bce_matches_torch():
    torch = pytest.importorskip("torch")
    bce = _load_example("logistic_regression").bce_with_logits
    z = np.array([-800.0, -30.0, -2.5, 0.0, 0.3, 4.0, 50.0, 900.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    ze = ember.from_numpy(z.copy()).requires_grad_(True)
    loss = bce(ze, ember.from_numpy(y))
    loss.backward()
    zt = torch.from_numpy(z.copy()).requires_grad_(True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.from_numpy(y))
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(ze.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-15)
