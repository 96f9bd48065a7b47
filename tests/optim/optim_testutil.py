"""A small model built twice, with ember ops and the equivalent torch ops, to compare optimizer
trajectories step by step."""

from __future__ import annotations

import ember
import numpy as np
import torch

NP_DTYPES = {"float32": np.float32, "float64": np.float64}
# Relative tolerances of the trajectories; the absolute parts cover coordinates near zero.
# float32's absolute part is 5e-6: ten RMSprop steps with lr 0.1 and weight decay move coordinates
# by about 1 each (the first step is lr / sqrt(1 - alpha) per coordinate), so float32 rounding
# adds up: against the float64 trajectory, ember's float32 one is 5.6e-6 off and PyTorch's
# 8.4e-6, and the two were 1.6e-6 apart on an AVX-512 CPU.
TOLS = {"float32": {"rtol": 1e-5, "atol": 5e-6}, "float64": {"rtol": 1e-6, "atol": 1e-12}}


def problem(dtype: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Initial weights and data of a tiny one-layer regression, in ``dtype``."""
    rng = np.random.default_rng(seed)
    dt = NP_DTYPES[dtype]
    return {
        "W": rng.standard_normal((4, 3)).astype(dt),
        "b": rng.standard_normal(3).astype(dt),
        "X": rng.standard_normal((8, 4)).astype(dt),
        "Y": rng.standard_normal((8, 3)).astype(dt),
    }


def ember_params(data: dict[str, np.ndarray]) -> list[ember.Tensor]:
    return [
        ember.tensor(data["W"], requires_grad=True),
        ember.tensor(data["b"], requires_grad=True),
    ]


def torch_params(data: dict[str, np.ndarray]) -> list[torch.Tensor]:
    return [
        torch.tensor(data["W"], requires_grad=True),
        torch.tensor(data["b"], requires_grad=True),
    ]


def ember_loss(params: list[ember.Tensor], data: dict[str, np.ndarray]) -> ember.Tensor:
    W, b = params
    X = ember.tensor(data["X"])
    Y = ember.tensor(data["Y"])
    r = ember.tanh(ember.matmul(X, W) + b) - Y
    return (r * r).mean() + (W * W * W * W).sum() * 0.01


def torch_loss(params: list[torch.Tensor], data: dict[str, np.ndarray]) -> torch.Tensor:
    W, b = params
    X = torch.tensor(data["X"])
    Y = torch.tensor(data["Y"])
    r = torch.tanh(X @ W + b) - Y
    return (r * r).mean() + (W * W * W * W).sum() * 0.01


def snapshot_ember(params: list[ember.Tensor]) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in params]


def snapshot_torch(params: list[torch.Tensor]) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in params]


def train_ember(opt, params, data, steps: int, closure: bool = False) -> list[list[np.ndarray]]:
    traj = []
    for _ in range(steps):
        if closure:

            def fn():
                opt.zero_grad()
                loss = ember_loss(params, data)
                loss.backward()
                return loss

            opt.step(fn)
        else:
            opt.zero_grad()
            ember_loss(params, data).backward()
            opt.step()
        traj.append(snapshot_ember(params))
    return traj


def train_torch(opt, params, data, steps: int) -> list[list[np.ndarray]]:
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(params, data).backward()
        opt.step()
        traj.append(snapshot_torch(params))
    return traj


def assert_trajectories_close(a, b, dtype: str) -> None:
    assert len(a) == len(b)
    for step, (pa, pb) in enumerate(zip(a, b)):
        for i, (x, y) in enumerate(zip(pa, pb)):
            assert x.dtype == y.dtype, (step, i)
            np.testing.assert_allclose(x, y, **TOLS[dtype], err_msg=f"step {step}, param {i}")
