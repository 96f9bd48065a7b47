"""The table of distributions compared against torch.distributions: how to draw valid random
parameters and how to build the distribution from either library's module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _spd(rng, batch, n):
    """Random symmetric positive-definite matrices ``batch + (n, n)``."""
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@dataclass
class Case:
    """One distribution configuration: ``params(rng)`` gives numpy parameters (floats become
    the test dtype), ``build(mod, p)`` builds it from ``ember.distributions`` or
    ``torch.distributions`` with those parameters as tensors of that library."""

    name: str
    params: Callable[[Any], dict]
    build: Callable[[Any, dict], Any]
    # per-dtype tolerance overrides {"float32": dict(rtol=..), ...}
    tol: dict = field(default_factory=dict)
    cdf: bool = False
    icdf: bool = False


def _interval(rng, n):
    """Random ``low < high`` pairs of length ``n``."""
    low = rng.standard_normal(n)
    return {"low": low, "high": low + rng.uniform(0.5, 2, n)}


def _chol(rng, batch, n):
    return np.linalg.cholesky(_spd(rng, batch, n))


CASES = [
    Case("Normal", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)},
         lambda m, p: m.Normal(p["loc"], p["scale"]), cdf=True, icdf=True),
    Case("Bernoulli_probs", lambda r: {"probs": r.uniform(0.05, 0.95, (2, 3))},
         lambda m, p: m.Bernoulli(probs=p["probs"])),
    Case("Bernoulli_logits", lambda r: {"logits": r.standard_normal(4) * 2},
         lambda m, p: m.Bernoulli(logits=p["logits"])),
    Case("Categorical_probs", lambda r: {"probs": r.uniform(0.1, 1, (2, 4))},
         lambda m, p: m.Categorical(probs=p["probs"])),
    Case("Categorical_logits", lambda r: {"logits": r.standard_normal((3, 5))},
         lambda m, p: m.Categorical(logits=p["logits"])),
    Case("OneHotCategorical", lambda r: {"probs": r.uniform(0.1, 1, (2, 4))},
         lambda m, p: m.OneHotCategorical(probs=p["probs"])),
    Case("Uniform", lambda r: _interval(r, 3), lambda m, p: m.Uniform(p["low"], p["high"]),
         cdf=True, icdf=True),
    Case("Beta", lambda r: {"c1": r.uniform(0.5, 3, 3), "c0": r.uniform(0.5, 3, 3)},
         lambda m, p: m.Beta(p["c1"], p["c0"]),
         # lgamma/digamma in float32 round differently from torch's
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("Gamma", lambda r: {"c": r.uniform(0.5, 4, 4), "rate": r.uniform(0.5, 2, 4)},
         lambda m, p: m.Gamma(p["c"], p["rate"]), cdf=True,
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}, "float64": {"rtol": 1e-7, "atol": 1e-9}}),
    Case("Chi2", lambda r: {"df": r.uniform(1, 6, 3)}, lambda m, p: m.Chi2(p["df"]),
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("Exponential", lambda r: {"rate": r.uniform(0.5, 2, 3)},
         lambda m, p: m.Exponential(p["rate"]), cdf=True, icdf=True),
    Case("Laplace", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)},
         lambda m, p: m.Laplace(p["loc"], p["scale"]), cdf=True, icdf=True),
    Case("LogNormal", lambda r: {"loc": r.standard_normal(3) * 0.5,
                                     "scale": r.uniform(0.3, 1, 3)},
         lambda m, p: m.LogNormal(p["loc"], p["scale"]), cdf=True, icdf=True),
    Case("Poisson", lambda r: {"rate": r.uniform(0.5, 20, 4)},
         lambda m, p: m.Poisson(p["rate"]), tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("Binomial_probs", lambda r: {"n": r.integers(5, 20, 3).astype(np.float64),
                                          "probs": r.uniform(0.1, 0.9, 3)},
         lambda m, p: m.Binomial(p["n"], probs=p["probs"]),
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("Binomial_logits", lambda r: {"n": np.full(3, 7.0), "logits": r.standard_normal(3)},
         lambda m, p: m.Binomial(p["n"], logits=p["logits"]),
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("StudentT", lambda r: {"df": np.array([0.8, 1.5, 3.0, 6.0]), "loc": r.standard_normal(4),
                                    "scale": r.uniform(0.5, 2, 4)},
         lambda m, p: m.StudentT(p["df"], p["loc"], p["scale"]),
         tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("Dirichlet", lambda r: {"c": r.uniform(0.5, 3, (2, 4))},
         lambda m, p: m.Dirichlet(p["c"]), tol={"float32": {"rtol": 2e-5, "atol": 1e-5}}),
    Case("MVN_cov", lambda r: {"loc": r.standard_normal((2, 3)), "cov": _spd(r, (2,), 3)},
         lambda m, p: m.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-7, "atol": 1e-9}}),
    Case("MVN_prec", lambda r: {"loc": r.standard_normal(3), "prec": _spd(r, (), 3)},
         lambda m, p: m.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-7, "atol": 1e-9}}),
    Case("MVN_tril", lambda r: {"loc": r.standard_normal((2, 3)), "L": _chol(r, (), 3)},
         lambda m, p: m.MultivariateNormal(p["loc"], scale_tril=p["L"]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-7, "atol": 1e-9}}),
    Case("Independent", lambda r: {"loc": r.standard_normal((2, 3)),
                                       "scale": r.uniform(0.5, 2, (2, 3))},
         lambda m, p: m.Independent(m.Normal(p["loc"], p["scale"]), 1)),
    Case("TD_affine", lambda r: {"loc": r.standard_normal(3), "scale": np.array([0.5, -2.0, 1.5])},
         lambda m, p: m.TransformedDistribution(
             m.Normal(0.0 * p["loc"], 1.0 + 0.0 * p["loc"]),
             [m.transforms.AffineTransform(p["loc"], p["scale"])]), cdf=True, icdf=True),
    Case("TD_tanh", lambda r: {"loc": r.standard_normal(3) * 0.3,
                                   "scale": r.uniform(0.2, 0.6, 3)},
         lambda m, p: m.TransformedDistribution(m.Normal(p["loc"], p["scale"]),
                                                [m.transforms.TanhTransform()]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}}, cdf=True, icdf=True),
    Case("TD_sigmoid_exp", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 1, 3)},
         lambda m, p: m.TransformedDistribution(
             m.Normal(p["loc"], p["scale"]),
             [m.transforms.SigmoidTransform(), m.transforms.ExpTransform()]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}}, cdf=True, icdf=True),
    Case("RelaxedBernoulli", lambda r: {"t": np.array(0.7), "probs": r.uniform(0.2, 0.8, 3)},
         lambda m, p: m.RelaxedBernoulli(p["t"], probs=p["probs"]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}}),
    Case("RelaxedOneHotCategorical",
         lambda r: {"t": np.array(0.8), "logits": r.standard_normal((2, 3))},
         lambda m, p: m.RelaxedOneHotCategorical(p["t"], logits=p["logits"]),
         tol={"float32": {"rtol": 1e-4, "atol": 1e-5}}),
]

CASE_IDS = [c.name for c in CASES]
