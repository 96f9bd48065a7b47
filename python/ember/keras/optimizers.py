"""Keras optimizers (``keras.optimizers``) over ember's fused optimizers.

A Keras optimizer holds its hyperparameters (Keras names and defaults, e.g. Adam's
``epsilon=1e-7``) and creates the ``ember.optim`` optimizer when the model's weights are known
(at the first ``fit``/``train_on_batch``). ``learning_rate`` can be read and set at any time
(callbacks do). The update formulas are ember's (PyTorch's) where they match Keras's; RMSprop
runs Keras's own update (epsilon inside the square root). Adam's epsilon is added to
``sqrt(v_hat)`` of the bias-corrected moment where Keras adds it to ``sqrt(v)`` (a
difference of order epsilon); SGD's momentum buffer holds gradients (PyTorch's form), the
same updates as Keras's while the learning rate is constant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember

from .. import optim
from .._C import Tensor
from ..autograd import no_grad
from . import schedules

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "get",
    "schedules",
]


class Optimizer:
    """Base class: hyperparameters now, the ember optimizer once ``build(params)`` runs.

    Every step does, in Keras's order: gradient clipping (``clipvalue``: each element to
    ``[-clipvalue, clipvalue]``; ``clipnorm``: each gradient ``g`` scaled by
    ``clipnorm / max(||g||, clipnorm)``; ``global_clipnorm``: all gradients scaled by
    ``global_clipnorm / max(||all g||, global_clipnorm)``), then decoupled weight decay
    (``w -= learning_rate * weight_decay * w``, Keras 3's rule for every optimizer), then the
    optimizer's update.

    Args:
        learning_rate: learning rate per step (>= 0), or a
            ``keras.optimizers.schedules.LearningRateSchedule`` evaluated before each update at
            the number of updates done so far.
        weight_decay: decoupled weight decay rate, or None (no decay).
        clipnorm, clipvalue, global_clipnorm: gradient clipping (at most one; default None).
        name: the optimizer's name.
    Raises:
        TypeError: a learning rate that is neither a number nor a schedule; setting
            ``learning_rate`` when it follows a schedule.
        ValueError: a negative learning rate, weight decay or clipping threshold, more than one
            clipping option, ``lr=`` (use ``learning_rate=``), unsupported options (``use_ema``,
            ``loss_scale_factor``, ``gradient_accumulation_steps``), or an unknown keyword.
    """

    _UNSUPPORTED = ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps")

    def __init__(self, learning_rate: float, name: str | None = None,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 **kwargs: Any) -> None:
        cls = type(self).__name__
        if "lr" in kwargs:
            raise ValueError(f"{cls}: argument `lr` is not supported; use `learning_rate` "
                             f"instead ({cls}(learning_rate={kwargs['lr']!r}))")
        for k in self._UNSUPPORTED:
            v = kwargs.pop(k, None)
            if v not in (None, False) and not (k == "ema_momentum" and v == 0.99) and not (
                    k == "gradient_accumulation_steps" and v == 1):
                raise ValueError(f"{cls}: {k}={v!r} is not supported")
        if kwargs:
            raise ValueError(f"{cls}: argument(s) not recognized: {sorted(kwargs)}; accepted: "
                             "learning_rate, the optimizer's own hyperparameters, weight_decay, "
                             "clipnorm, clipvalue, global_clipnorm, name")
        self._schedule: schedules.LearningRateSchedule | None = None
        if isinstance(learning_rate, dict) and learning_rate.get("class_name") in schedules._CLASSES:
            learning_rate = schedules.deserialize(learning_rate)
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self._schedule = learning_rate
            learning_rate = float(learning_rate(0))
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
            raise TypeError(f"{cls}: learning_rate must be a number or a "
                            f"keras.optimizers.schedules.LearningRateSchedule, got {learning_rate!r}")
        if learning_rate < 0:
            raise ValueError(f"{cls}: learning_rate must be >= 0, got {learning_rate}")
        clips = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                   ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(clips) > 1:
            raise ValueError(f"{cls}: only one of clipnorm, clipvalue and global_clipnorm can "
                             f"be set, got {clips}")
        for k, v in (*clips.items(), ("weight_decay", weight_decay)):
            if v is not None and not v >= 0:
                raise ValueError(f"{cls}: {k} must be >= 0, got {v}")
        self._learning_rate = float(learning_rate)
        self.name = name or type(self).__name__.lower()
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
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
        """The current learning rate (read/write; with a schedule, its value at the current
        step, and read-only)."""
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """Sets the learning rate; TypeError when it follows a LearningRateSchedule."""
        if self._schedule is not None:
            raise TypeError(
                f"{type(self).__name__}: this optimizer's learning rate follows a "
                f"{type(self._schedule).__name__} schedule and cannot be set (callbacks such as "
                "ReduceLROnPlateau or LearningRateScheduler need a constant learning_rate)")
        self._set_lr(value)

    def _set_lr(self, value: float) -> None:
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

    def _decay_in_impl(self) -> bool:
        # Whether the ember optimizer applies the decoupled decay itself (AdamW does).
        return False

    def _pre_step(self) -> None:
        params = [p for p in self._params if p.grad is not None]
        with no_grad():
            if self.clipvalue is not None:
                for p in params:
                    p.grad.clamp_(-self.clipvalue, self.clipvalue)
            elif self.clipnorm is not None:
                for p in params:
                    g = p.grad
                    norm = (g * g).sum().sqrt()
                    g.mul_(self.clipnorm / norm.clamp(min=self.clipnorm))
            elif self.global_clipnorm is not None and params:
                total = ember.stack([(p.grad * p.grad).sum() for p in params]).sum().sqrt()
                scale = self.global_clipnorm / total.clamp(min=self.global_clipnorm)
                for p in params:
                    p.grad.mul_(scale)
            if self.weight_decay and not self._decay_in_impl():
                factor = 1.0 - self._learning_rate * self.weight_decay
                for p in self._params:
                    p.mul_(factor)

    def _step_fn(self) -> Any:
        """The callable doing one full step (clipping, decay, update) of the built optimizer."""
        impl = self._impl
        if impl is None:
            return lambda: None
        plain = (self.clipnorm is None and self.clipvalue is None
                 and self.global_clipnorm is None
                 and (not self.weight_decay or self._decay_in_impl()))
        if self._schedule is None:
            if plain:
                return impl.step

            def step() -> None:
                """Applies gradient clipping and weight decay, then the update."""
                self._pre_step()
                impl.step()

            return step
        schedule, counter = self._schedule, [self.iterations]

        def scheduled_step() -> None:
            # The rate for this update is the schedule at the number of updates done so far.
            """Sets the scheduled rate for this update, then steps."""
            self._set_lr(schedule(counter[0]))
            counter[0] += 1
            if not plain:
                self._pre_step()
            impl.step()

        return scheduled_step

    def step(self) -> None:
        """One update of the built parameters from their ``.grad`` (clipping and weight decay
        first, see the class docstring)."""
        self._step_fn()()
        self._iterations = self.iterations + 1

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        lr: Any = (self._learning_rate if self._schedule is None
                   else schedules.serialize(self._schedule))
        config: dict[str, Any] = {"name": self.name, "learning_rate": lr,
                                  "weight_decay": self.weight_decay}
        for k in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, k) is not None:
                config[k] = getattr(self, k)
        return config

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
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: momentum outside [0, 1), or a bad argument (see :class:`Optimizer`).
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, name: str = "SGD", **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range("SGD", "momentum", momentum, 0.0, 1.0)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.SGD(params, lr=self._learning_rate, momentum=self.momentum,
                         nesterov=self.nesterov and self.momentum > 0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam.

    Args:
        learning_rate: default 1e-3.
        beta_1, beta_2: moment decay rates in [0, 1) (defaults 0.9, 0.999).
        epsilon: default 1e-7 (Keras's).
        amsgrad: the AMSGrad variant (default False).
        weight_decay: decoupled weight decay (default None: none); with it Adam is AdamW.
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: betas outside [0, 1), a negative epsilon, or a bad argument (see
            :class:`Optimizer`).
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014.
    """

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None,
                 name: str = "adam", **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range(type(self).__name__, "beta_1", beta_1, 0.0, 1.0)
        _check_range(type(self).__name__, "beta_2", beta_2, 0.0, 1.0)
        if epsilon < 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be >= 0, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.amsgrad = bool(amsgrad)

    def _decay_in_impl(self) -> bool:
        return True

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        # ember's AdamW decays decoupled (w -= lr * wd * w, then the Adam step), as Keras does
        # for Adam's weight_decay; without decay it is Adam.
        if self.weight_decay:
            return optim.AdamW(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                               eps=self.epsilon, amsgrad=self.amsgrad,
                               weight_decay=self.weight_decay)
        return optim.Adam(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                          eps=self.epsilon, amsgrad=self.amsgrad)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default ``weight_decay=0.004``).

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019.
    """

    def __init__(self, learning_rate: float = 1e-3, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, name: str = "adamw", **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, name,
                         **kwargs)


class RMSprop(Optimizer):
    """RMSprop.

    Args:
        learning_rate: default 1e-3.
        rho: decay of the squared-gradient average (default 0.9).
        momentum: default 0.
        epsilon: default 1e-7.
        centered: divide by the gradient's estimated variance instead (default False).
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: rho or momentum outside [0, 1), or a bad argument (see :class:`Optimizer`).
    Reference: Hinton, "Neural Networks for Machine Learning", lecture 6e.
    """

    def __init__(self, learning_rate: float = 1e-3, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, weight_decay: float | None = None,
                 name: str = "rmsprop", **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range("RMSprop", "rho", rho, 0.0, 1.0)
        _check_range("RMSprop", "momentum", momentum, 0.0, 1.0)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered = bool(centered)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return _KerasRMSprop(params, lr=self._learning_rate, rho=self.rho, eps=self.epsilon,
                             momentum=self.momentum, centered=self.centered)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class _KerasRMSprop(optim.Optimizer):
    """Keras's RMSprop update, with epsilon inside the square root (ember's/PyTorch's
    RMSprop adds it to ``sqrt(v)``, which differs by up to ``sqrt(epsilon)`` for small
    gradients). Per parameter ``w`` with gradient ``g``::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                  (centered only)
        d = v - a**2 + eps  (centered)  or  v + eps
        step = lr * g / sqrt(d)
        m = momentum * m + step;  w -= m             (momentum > 0)
        w -= step                                    (otherwise)
    """

    def __init__(self, params: list[Tensor], lr: float, rho: float, eps: float, momentum: float,
                 centered: bool) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "momentum": momentum,
                                  "centered": centered})

    def step(self, closure: Any = None) -> Any:
        """One Keras RMSprop step over every parameter with a gradient."""
        loss = closure() if closure is not None else None
        with no_grad():
            for group in self.param_groups:
                lr, rho, eps = group["lr"], group["rho"], group["eps"]
                momentum, centered = group["momentum"], group["centered"]
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state["velocity"] = ember.zeros_like(p)
                        if centered:
                            state["average_gradient"] = ember.zeros_like(p)
                        if momentum > 0:
                            state["momentum"] = ember.zeros_like(p)
                    v = state["velocity"]
                    v.mul_(rho).add_(g * g * (1.0 - rho))
                    if centered:
                        a = state["average_gradient"]
                        a.mul_(rho).add_(g * (1.0 - rho))
                        denom = v - a * a + eps
                    else:
                        denom = v + eps
                    inc = g * lr / denom.sqrt()
                    if momentum > 0:
                        m = state["momentum"]
                        m.mul_(momentum).add_(inc)
                        p.sub_(m)
                    else:
                        p.sub_(inc)
        return loss


class Adagrad(Optimizer):
    """Adagrad (defaults: learning_rate 1e-3, initial_accumulator_value 0.1, epsilon 1e-7).

    Args:
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    """

    def __init__(self, learning_rate: float = 1e-3, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None, name: str = "adagrad",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
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


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm: ``m = beta_1 m + (1 - beta_1) g``, ``u =
    max(beta_2 u, |g| + epsilon)``, ``w -= learning_rate / (1 - beta_1 ** t) * m / u``.

    Keras divides by ``u + epsilon`` with ``u = max(beta_2 u, |g|)``; ember's (PyTorch's)
    update puts epsilon inside the max, a difference of order epsilon.

    Args:
        learning_rate: default 1e-3.
        beta_1, beta_2: decay rates in [0, 1) (defaults 0.9, 0.999).
        epsilon: default 1e-7 (Keras's).
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: betas outside [0, 1), a negative epsilon, or a bad argument (see
            :class:`Optimizer`).
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014, section 7.
    """

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None, name: str = "adamax",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range("Adamax", "beta_1", beta_1, 0.0, 1.0)
        _check_range("Adamax", "beta_2", beta_2, 0.0, 1.0)
        if epsilon < 0:
            raise ValueError(f"Adamax: epsilon must be >= 0, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.Adamax(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                            eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum, with the momentum schedule ``u_t = beta_1 (1 -
    0.5 * 0.96 ** (0.004 t))``; the same update as Keras (epsilon added to ``sqrt(v_hat)``)::

        m = beta_1 m + (1 - beta_1) g;   v = beta_2 v + (1 - beta_2) g**2
        m_hat = u_{t+1} m / (1 - prod u_1..u_{t+1}) + (1 - u_t) g / (1 - prod u_1..u_t)
        w -= learning_rate * m_hat / (sqrt(v / (1 - beta_2 ** t)) + epsilon)

    Args:
        learning_rate: default 1e-3.
        beta_1, beta_2: decay rates in [0, 1) (defaults 0.9, 0.999).
        epsilon: default 1e-7.
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: betas outside [0, 1), a negative epsilon, or a bad argument (see
            :class:`Optimizer`).
    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", 2016.
    """

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None, name: str = "nadam",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range("Nadam", "beta_1", beta_1, 0.0, 1.0)
        _check_range("Nadam", "beta_2", beta_2, 0.0, 1.0)
        if epsilon < 0:
            raise ValueError(f"Nadam: epsilon must be >= 0, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.NAdam(params, lr=self._learning_rate, betas=(self.beta_1, self.beta_2),
                           eps=self.epsilon, momentum_decay=4e-3)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta, with Keras's update (the same as ember's/PyTorch's)::

        a = rho a + (1 - rho) g**2
        d = sqrt(s + epsilon) / sqrt(a + epsilon) * g
        s = rho s + (1 - rho) d**2
        w -= learning_rate * d

    Args:
        learning_rate: default 1e-3 (Keras's; the paper and PyTorch use 1.0).
        rho: decay rate in [0, 1) (default 0.95).
        epsilon: default 1e-7.
        weight_decay: decoupled weight decay (default None: none).
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see :class:`Optimizer`).
    Raises:
        ValueError: rho outside [0, 1), a negative epsilon, or a bad argument (see
            :class:`Optimizer`).
    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """

    def __init__(self, learning_rate: float = 1e-3, rho: float = 0.95, epsilon: float = 1e-7,
                 weight_decay: float | None = None, name: str = "adadelta", **kwargs: Any) -> None:
        super().__init__(learning_rate, name, weight_decay, **kwargs)
        _check_range("Adadelta", "rho", rho, 0.0, 1.0)
        if epsilon < 0:
            raise ValueError(f"Adadelta: epsilon must be >= 0, got {epsilon}")
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _make(self, params: list[Tensor]) -> optim.Optimizer:
        return optim.Adadelta(params, lr=self._learning_rate, rho=self.rho, eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


_BY_NAME: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adamax": Adamax,
    "nadam": Nadam,
    "adadelta": Adadelta,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: Any) -> Optimizer:
    """Resolves an optimizer from a name (``'sgd'``, ``'adam'``, ``'adamw'``, ``'rmsprop'``,
    ``'adagrad'``, ``'adamax'``, ``'nadam'``, ``'adadelta'``; any case) or a Keras optimizer
    instance.

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
