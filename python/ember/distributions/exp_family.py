"""Exponential families (PyTorch's ``torch.distributions.ExponentialFamily``)."""

from __future__ import annotations

import ember
from ember import Tensor

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of exponential families ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))``.

    ``theta`` are the natural parameters (``_natural_params``), ``t(x)`` the sufficient
    statistic, ``F`` the log normalizer (``_log_normalizer``) and ``k`` the carrier measure
    (``_mean_carrier_measure`` is ``E[k(x)]``). Subclasses that define these get a generic
    entropy ``F(theta) - <theta, grad F(theta)> - E[k(x)]`` and a generic same-family KL
    divergence (the Bregman divergence of ``F``), both via ember's autograd.

    Reference:
        F. Nielsen and R. Garcia, "Statistical exponential families: A digest with flash
        cards", arXiv:0911.4863, 2011.
    """

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        """The natural parameters ``theta``, each of shape ``batch_shape (+ event dims)``."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        """The log normalizer ``F(theta)``, shape ``batch_shape``."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        """``E[k(x)]``, the expected carrier measure."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """Entropy via the Bregman identity ``F(theta) - <theta, grad F(theta)> - E[k(x)]``,
        shape ``batch_shape``."""
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with ember.enable_grad():
            lg = self._log_normalizer(*params)
            grads = ember.autograd.grad(lg.sum(), params, create_graph=True)
        result = result + lg
        for p, g in zip(params, grads):
            result = result - (p * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
