"""Probability distributions with sampling, densities, and reparameterized gradients, after
PyTorch's ``torch.distributions`` (same names, signatures, defaults and semantics).

A distribution has a ``batch_shape`` (independent distributions held at once) and an
``event_shape`` (the shape of one draw). ``sample(sample_shape)`` and, where ``has_rsample``,
``rsample(sample_shape)`` return ``sample_shape + batch_shape + event_shape`` from ember's
generator (``ember.manual_seed`` reproduces them; the streams differ from PyTorch's);
``rsample`` is differentiable with respect to the parameters through ember's autograd.
``log_prob(value)`` returns ``sample_shape + batch_shape``. Arguments and values are validated
by default (``Distribution.set_default_validate_args(False)`` turns it off).

Distributions: Bernoulli, Beta, Binomial, Categorical, Chi2, Dirichlet, Exponential, Gamma,
Independent, Laplace, LogNormal, MultivariateNormal, Normal, OneHotCategorical,
OneHotCategoricalStraightThrough, Poisson, RelaxedBernoulli (LogitRelaxedBernoulli),
RelaxedOneHotCategorical (ExpRelaxedCategorical), StudentT, TransformedDistribution, Uniform.
Also :mod:`constraints`, :mod:`transforms` (Exp, Affine, Sigmoid, Tanh, Softplus, Power, Abs,
Compose, Independent), :func:`kl_divergence` and :func:`register_kl`.

Example:
    >>> import ember.distributions as D
    >>> ember.manual_seed(0)
    >>> D.Normal(ember.zeros(3), ember.ones(3)).sample((5,)).shape
    (5, 3)
"""

from __future__ import annotations

from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .poisson import Poisson
from .relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (
                         AbsTransform,
                         AffineTransform,
                         ComposeTransform,
                         ExpTransform,
                         IndependentTransform,
                         PowerTransform,
                         SigmoidTransform,
                         SoftplusTransform,
                         TanhTransform,
                         Transform,
                         identity_transform,
)
from .uniform import Uniform

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Chi2",
    "ComposeTransform",
    "Dirichlet",
    "Distribution",
    "ExpRelaxedCategorical",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "Gamma",
    "Independent",
    "IndependentTransform",
    "Laplace",
    "LogNormal",
    "LogitRelaxedBernoulli",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "SigmoidTransform",
    "SoftplusTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "identity_transform",
    "kl_divergence",
    "register_kl",
    "transforms",
]
