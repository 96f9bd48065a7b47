"""Keras optimizers (``keras.optimizers``) over ember's fused optimizers.

A Keras optimizer holds its hyperparameters (Keras names and defaults, e.g. Adam's
``epsilon=1e-7``) and creates the ``ember.optim`` optimizer when the model's weights are known
(at the first ``fit``/``train_on_batch``). ``learning_rate`` can be read and set at any time
(callbacks do). The update formulas are ember's (PyTorch's); they match Keras's with a
constant learning rate, except that Adam's and RMSprop's epsilon is added to ``sqrt(v)`` of
the bias-corrected moment (a difference of order epsilon).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import optim
from .._C import Tensor

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "get"]


class Optimizer:
    """Base class: hyperparameters now, the ember optimizer once ``build(params)`` runs.

    Args:
        learning_rate: learning rate per step (> 0).
    Raises:
        ValueError: a negative learning rate.
    """

    def __init__(self, learning_rate: float, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
            raise TypeError(f"{type(self).__name__}: learning_rate must be a number, got "
                             f"{learning_rate!r}")
        if learning_rate < 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0, got {learning_rate}")
        self._learning_rate = float(learning_rate)
        self.name = name or type(self).__name__.lower()
        self._impl: optim.Optimizer | None = None
        self._params: list[Tensor] = []

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        raise NotImplementedError

    def build(self, params: Sequence[Tensor]) -> None:
        """Creates the ember optimizer for ``params`` (again if the trainable set changed,
        which resets the optimizer state)."""
        params = list(params)
        if self._impl is not None and len(params) == len(self._params) and all(
            a is b for a, b in zip(params, self._params)
        ):
            return
        self._params = params
        self._impl = self._make(params) if params else None

    @property
    def learning_rate(self) -> float:
        """The current learning rate (read/write)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate = float(value)
        if self._impl is not None:
            for g in self._impl.param_groups:
                g["lr"] = self._learning_rate

    lr = learning_rate

    @property
    def iterations(self) -> int:
        """Number of steps taken."""
        return getattr(self, "_iterations", 0)

    def zero_grad(self) -> None:
        """Clears the gradients of the built parameters."""
        if self._impl is not None:
            self._impl.zero_grad()

    def step(self) -> None:
        """One update of the built parameters from their ``.grad``."""
        if self._impl is not None:
            self._impl.step()
        self._iterations = self.iterations + 1

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"name": self.name, "learning_rate": self._learning_rate}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """Rebuilds an optimizer from :meth:`get_config`'s output."""
        return cls(**config)


def _check_range(cls: str, name: str, v: float, lo: float, hi: float) -> None:
    if not lo <= v < hi:
        raise ValueError(f"{cls}: {name} must be in [{lo}, {hi}), got {v}")


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Args:
        learning_rate: default 0.01.
        momentum: in [0, 1) (default 0).
        nesterov: Nesterov momentum (default False).
        weight_decay: L2 penalty added to the gradient (default None: 0).
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, name: str = "SGD", **kwargs: Any) -> None:
        super().__init__(learning_rate, name)
        _check_range("SGD", "momentum", momentum, 0.0, 1.0)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.weight_decay = weight_decay

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.SGD(params, lr=self._learning_rate, momentum=self.momentum,
                         nesterov=self.nesterov and self.momentum > 0,
                         weight_decay=self.weight_decay or 0.0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam.

    Args:
        learning_rate: default 1e-3.
        beta_1, beta_2: moment decay rates in [0, 1) (defaults 0.9, 0.999).
        epsilon: default 1e-7 (Keras's).
        amsgrad: the AMSGrad variant (default False).
        weight_decay: L2 penalty added to the gradient (default None: 0).
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014.
    """

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None,
                 name: str = "adam", **kwargs: Any) -> None:
        super().__init__(learning_rate, name)
        _check_range(type(self).__name__, "beta_1", beta_1, 0.0, 1.0)
        _check_range(type(self).__name__, "beta_2", beta_2, 0.0, 1.0)
        if epsilon < 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be >= 0, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.amsgrad = bool(amsgrad)
        self.weight_decay = weight_decay

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.Adam(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                          eps=self.epsilon, amsgrad=self.amsgrad,
                          weight_decay=self.weight_decay or 0.0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default ``weight_decay=0.004``).

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019.
    """

    def __init__(self, learning_rate: float = 1e-3, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, name: str = "adamw", **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, name)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.AdamW(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                           eps=self.epsilon, amsgrad=self.amsgrad,
                           weight_decay=self.weight_decay or 0.0)


class RMSprop(Optimizer):
    """RMSprop.

    Args:
        learning_rate: default 1e-3.
        rho: decay of the squared-gradient average (default 0.9).
        momentum: default 0.
        epsilon: default 1e-7.
        centered: divide by the gradient's estimated variance instead (default False).
    Reference: Hinton, "Neural Networks for Machine Learning", lecture 6e.
    """

    def __init__(self, learning_rate: float = 1e-3, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, weight_decay: float | None = None,
                 name: str = "rmsprop", **kwargs: Any) -> None:
        super().__init__(learning_rate, name)
        _check_range("RMSprop", "rho", rho, 0.0, 1.0)
        _check_range("RMSprop", "momentum", momentum, 0.0, 1.0)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered, self.weight_decay = bool(centered), weight_decay

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.RMSprop(params, lr=self._learning_rate, alpha=self.rho, eps=self.epsilon,
                             momentum=self.momentum, centered=self.centered,
                             weight_decay=self.weight_decay or 0.0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered,
                "weight_decay": self.weight_decay}


class Adagrad(Optimizer):
    """Adagrad (defaults: learning_rate 1e-3, initial_accumulator_value 0.1, epsilon 1e-7)."""

    def __init__(self, learning_rate: float = 1e-3, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str = "adagrad", **kwargs: Any) -> None:
        super().__init__(learning_rate, name)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.Adagrad(params, lr=self._learning_rate,
                             initial_accumulator_value=self.initial_accumulator_value,
                             eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


_BY_NAME: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: Any) -> Optimizer:
    """Resolves an optimizer from a name (``'sgd'``, ``'adam'``, ``'adamw'``, ``'rmsprop'``,
    ``'adagrad'``; any case) or a Keras optimizer instance.

    Raises:
        ValueError: an unknown name or object (the message lists the accepted names).
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is not None:
            return cls()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise ValueError(
        f"Unknown optimizer {identifier!r}; accepted names: {', '.join(_BY_NAME)} "
        "(or a keras.optimizers.Optimizer such as keras.optimizers.Adam(learning_rate=1e-3))"
    )
