"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``).

Each scheduler rewrites ``group["lr"]`` of its optimizer's param groups when :meth:`step` is
called (once per epoch or per iteration, after ``optimizer.step()``), with the same recursive
formulas as PyTorch so the sequences agree.
"""

from __future__ import annotations

import math
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, SupportsFloat

from .._C import Tensor
from .optimizer import Optimizer

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]

_EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available."
)


def _group_values(optimizer: Optimizer, key: str) -> list[Any]:
    """``group[key]`` of every param group (tensors copied so they never alias)."""
    return [
        g[key].clone() if isinstance(g[key], Tensor) else g[key] for g in optimizer.param_groups
    ]


def _set_group_value(group: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


def _lambda_list(optimizer: Optimizer, lr_lambda: Any) -> list[Any]:
    """One ``lr_lambda`` per param group (a single function is shared by all)."""
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(
            f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
        )
    return list(lr_lambda)


def _format_param(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """``value`` for every param group: a list or tuple (one per group, checked) or one value
    repeated; tensors are cloned so they never alias."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. {name} has "
                f"{len(value)} values, param_groups has {len(optimizer.param_groups)}."
            )
        values = list(value)
    else:
        values = [value] * len(optimizer.param_groups)
    return [v.clone() if isinstance(v, Tensor) else v for v in values]


def _set_momentum(group: dict[str, Any], momentum: float, use_beta1: bool) -> None:
    """Sets a group's momentum: ``betas[0]`` for Adam-like optimizers, else ``momentum``."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _setup_cycle_momentum(
    optimizer: Optimizer, last_epoch: int, **bounds: Any
) -> tuple[bool, list[Any], list[Any]]:
    """Prepares a cycled momentum (CyclicLR, OneCycleLR): ``bounds`` are ``base_momentum`` and
    ``max_momentum``, each one number or one per group, checked in the order given. A new
    schedule (``last_epoch == -1``) sets every group's momentum to its ``max_momentum`` and
    stores both bounds in the group.

    Returns:
        ``(use_beta1, base_momentums, max_momentums)``: whether the momentum is ``betas[0]``
        (Adam-like optimizers) rather than ``momentum``, and the bounds per group.
    Raises:
        ValueError: the optimizer has neither ``momentum`` nor ``betas``, or a bound is a list
            of the wrong length.
    """
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
        )
    use_beta1 = "betas" in optimizer.defaults
    per_group = {name: _format_param(name, optimizer, value) for name, value in bounds.items()}
    base_momentums, max_momentums = per_group["base_momentum"], per_group["max_momentum"]
    if last_epoch == -1:
        for m_mom, b_mom, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, m_mom, use_beta1)
            group["max_momentum"] = m_mom
            group["base_momentum"] = b_mom
    return use_beta1, base_momentums, max_momentums


def _check_optimizer(optimizer: Any) -> None:
    """Raises PyTorch's TypeError unless ``optimizer`` is an :class:`Optimizer`."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _check_group_count(sched: Any, values: list[Any]) -> None:
    n = len(sched.optimizer.param_groups)
    if len(values) != n:
        raise ValueError(
            f"{type(sched).__name__}: the optimizer has {n} param groups but the scheduler "
            f"gives {len(values)} values; a group added with add_param_group after the "
            "scheduler was built is not scheduled (build the scheduler after adding it)"
        )


def _set_lrs(sched: Any, values: list[Any]) -> None:
    _check_group_count(sched, values)
    for group, lr in zip(sched.optimizer.param_groups, values):
        _set_group_value(group, "lr", lr)


class LRScheduler:
    """Base class of the learning-rate schedulers.

    On construction with ``last_epoch=-1`` it records each group's ``"initial_lr"`` (the
    schedule's ``base_lrs``) and takes the first step (``last_epoch`` becomes 0). Subclasses
    implement :meth:`get_lr`, the learning rates for ``last_epoch``.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        last_epoch: index of the last epoch seen; ``-1`` (default) starts a new schedule, other
            values resume one (the param groups must then hold ``"initial_lr"``).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        KeyError: resuming (``last_epoch >= 0``) without ``"initial_lr"`` in a group.
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                initial_lr = group["lr"]
                if isinstance(initial_lr, Tensor):
                    initial_lr = initial_lr.clone()
                group.setdefault("initial_lr", initial_lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        "scheduler with last_epoch >= 0"
                    )
        self.base_lrs: list[Any] = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._patch_optimizer_step()
        self._initial_step()

    def _patch_optimizer_step(self) -> None:
        # Marks the optimizer when it steps, to warn about scheduler.step() coming first.
        opt = self.optimizer
        if getattr(opt.step, "_wrapped_by_lr_sched", False):
            return
        opt_ref = weakref.ref(opt)
        func = opt.step.__func__

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            """Marks the optimizer as stepped (for the scheduler-order warning), then calls its step."""
            o = opt_ref()
            o._opt_called = True
            return func.__get__(o, o.__class__)(*args, **kwargs)

        wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
        opt.step = wrapper  # type: ignore[method-assign]

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list[Any]:
        """The learning rates set by the last :meth:`step`, one per param group."""
        return self._last_lr

    def get_lr(self) -> list[Any]:
        """The learning rates for ``last_epoch`` (implemented by subclasses)."""
        raise NotImplementedError

    def _warn_if_called_directly(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def step(self, epoch: int | None = None) -> None:
        """Advances the schedule one epoch and writes the new learning rates.

        Args:
            epoch: deprecated; sets ``last_epoch`` directly and uses the closed form when the
                scheduler has one.
        """
        if self._step_count == 1:
            if not getattr(self.optimizer.step, "_wrapped_by_lr_sched", False):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate "
                    "scheduler initialization. Please, make sure to call `optimizer.step()` "
                    "before `lr_scheduler.step()`.",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. You "
                    "should call them in the opposite order: `optimizer.step()` before "
                    "`lr_scheduler.step()`. Otherwise the first value of the learning rate "
                    "schedule is skipped.",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Advances ``last_epoch`` (or sets it to ``epoch``) and writes the new learning rates,
        without the checks and warnings of :meth:`step` (SequentialLR calls it directly)."""
        if epoch is None:
            self.last_epoch += 1
            self._write_lrs(self.get_lr)
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            self._write_lrs(closed if closed is not None else self.get_lr)

    def _write_lrs(self, compute: Callable[[], list[Any]]) -> None:
        """Sets every group's lr to ``compute()`` (``get_lr`` or the closed form, called as
        from :meth:`step`: no warning) and records the result for :meth:`get_last_lr`."""
        self._get_lr_called_within_step = True
        try:
            values = compute()
        finally:
            self._get_lr_called_within_step = False
        _set_lrs(self, values)
        self._last_lr: list[Any] = _group_values(self.optimizer, "lr")


class _LambdaScheduler(LRScheduler):
    """Base of the schedulers driven by one ``lr_lambda`` per param group (``lr_lambdas``)."""

    lr_lambdas: list[Any]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's attributes; the lambdas are saved only if they are callable objects
        (their ``__dict__``), never plain functions or lambdas."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes and the callable objects' ``__dict__``."""
        state = dict(state_dict)
        lr_lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for idx, fn in enumerate(lr_lambdas):
            if fn is not None:
                self.lr_lambdas[idx].__dict__.update(fn)


class LambdaLR(_LambdaScheduler):
    """Sets each group's lr to ``initial_lr * lr_lambda(epoch)``.

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the epoch (int) returning a factor, or a list of such
            functions, one per param group.
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: a list of ``lr_lambda`` whose length differs from the number of groups.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 0.5**epoch)
        >>> opt.step()
        >>> sched.step()
        >>> sched.get_last_lr()
        [0.05]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambda_list(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(LRScheduler):
    """Multiplies each group's lr by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: wrapped optimizer.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        KeyError: resuming (``last_epoch >= 0``) without ``"initial_lr"`` in a group.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.StepLR`` (the same schedule).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> for epoch in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.1]
        [0.05]
        [0.05]
        [0.025]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[Any]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiplies each group's lr by ``gamma`` at every milestone epoch (``gamma**n`` when a
    milestone is listed ``n`` times).

    Args:
        optimizer: wrapped optimizer.
        milestones: epoch indices (increasing).
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        KeyError: resuming (``last_epoch >= 0``) without ``"initial_lr"`` in a group.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.MultiStepLR`` (the same schedule).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [g["lr"] * factor for g in self.optimizer.param_groups]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`; ``milestones`` becomes a Counter
        again (``ember.save`` stores it as a plain dict)."""
        super().load_state_dict(state_dict)
        self.milestones = Counter(self.milestones)

    def _get_closed_form_lr(self) -> list[Any]:
        milestones = sorted(self.milestones.elements())
        return [b * self.gamma ** bisect_right(milestones, self.last_epoch) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiplies each group's lr by ``gamma`` every epoch.

    Args:
        optimizer: wrapped optimizer.
        gamma: multiplicative factor per epoch.
        last_epoch: index of the last epoch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        KeyError: resuming (``last_epoch >= 0``) without ``"initial_lr"`` in a group.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.ExponentialLR`` (the same schedule).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[Any]:
        return [b * self.gamma**self.last_epoch for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from each group's initial lr down to ``eta_min`` over ``T_max`` epochs.

    Uses PyTorch's recursive form (so changes made to the lr from outside carry through)::

        lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi * t / T_max))
                                              / (1 + cos(pi * (t - 1) / T_max))

    which follows ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``; past
    ``T_max`` the schedule climbs back up (no restarts).

    Args:
        optimizer: wrapped optimizer.
        T_max: number of epochs of a half period.
        eta_min: minimum learning rate (default 0).
        last_epoch: index of the last epoch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        KeyError: resuming (``last_epoch >= 0``) without ``"initial_lr"`` in a group.
    Reference:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        groups = self.optimizer.param_groups
        t, T = self.last_epoch, self.T_max
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and t > 0:
            return [
                self.eta_min + (b - self.eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                for b in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:
            return [
                g["lr"] + (b - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                for b, g in zip(self.base_lrs, groups)
            ]
        return [
            (1 + math.cos(math.pi * t / T))
            / (1 + math.cos(math.pi * (t - 1) / T))
            * (g["lr"] - self.eta_min)
            + self.eta_min
            for g in groups
        ]

    def _get_closed_form_lr(self) -> list[Any]:
        return [
            self.eta_min
            + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for b in self.base_lrs
        ]


class ReduceLROnPlateau(LRScheduler):
    """Reduces the learning rate when a metric has stopped improving.

    Call ``step(metric)`` once per epoch. After more than ``patience`` epochs without an
    improvement over the best value seen (beyond ``threshold``), every group's lr becomes
    ``max(lr * factor, min_lr)`` (skipped when the change is at most ``eps``), then ``cooldown``
    epochs pass before bad epochs count again.

    Args:
        optimizer: wrapped optimizer.
        mode: ``"min"`` (default; the metric should decrease) or ``"max"``.
        factor: multiplicative decay, below 1 (default 0.1).
        patience: bad epochs tolerated before a reduction (default 10).
        threshold: minimum significant change (default 1e-4).
        threshold_mode: ``"rel"`` (default; best * (1 -/+ threshold)) or ``"abs"``
            (best -/+ threshold).
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: lower bound on the lr, one number or one per group (default 0).
        eps: smallest lr change applied (default 1e-8).
    Raises:
        ValueError: ``factor >= 1``, an unknown mode or threshold_mode, or a ``min_lr`` list of
            the wrong length.
        TypeError: ``optimizer`` is not an Optimizer.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = ReduceLROnPlateau(opt, patience=1)
        >>> for val_loss in [1.0, 1.0, 1.0]:
        ...     sched.step(val_loss)
        >>> sched.get_last_lr()
        [0.010000000000000002]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Records one epoch's metric and reduces the learning rates if it has plateaued.

        Args:
            metrics: the monitored value (a number or a one-element tensor).
            epoch: deprecated; sets ``last_epoch`` directly.
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from "
                    f"when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due "
                    "to a new param group being added to the optimizer. Please modify the "
                    "`min_lrs` field to match the length of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                _set_group_value(group, "lr", new_lr)

    @property
    def in_cooldown(self) -> bool:
        """True while the scheduler waits out ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


# ---- multiplicative, constant, linear and polynomial schedules --------------------------------


class MultiplicativeLR(_LambdaScheduler):
    """Multiplies each group's lr by ``lr_lambda(epoch)`` at every step.

    ``lr_epoch = lr_{epoch-1} * lr_lambda(epoch)`` for ``epoch >= 1``; the construction step
    keeps the current lr. Unlike :class:`LambdaLR` the factors compound, and changes made to the
    lr from outside carry through.

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the epoch (int) returning a factor, or a list of such
            functions, one per param group.
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: a list of ``lr_lambda`` whose length differs from the number of groups.
        TypeError: an ``lr_lambda`` that is not callable.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.MultiplicativeLR`` (same recursion).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.5]
        [0.25]
        [0.125]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambda_list(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [
            g["lr"] * fn(self.last_epoch)
            for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups)
        ]


class ConstantLR(LRScheduler):
    """Multiplies each group's lr by ``factor`` for the first ``total_iters`` epochs.

    ``lr = base_lr * factor`` while ``epoch < total_iters``, then ``base_lr`` again (a warm-up
    at a constant low rate). Recursive like PyTorch's: the lr is multiplied by ``factor`` at
    epoch 0 and divided by it at epoch ``total_iters``, so it composes with other schedulers.

    Args:
        optimizer: wrapped optimizer.
        factor: the multiplier, in [0, 1] (default 1/3).
        total_iters: number of epochs at the reduced rate (default 5).
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: ``factor`` outside [0, 1].
    Reference:
        Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", 2017
        (constant warm-up).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> print(sched.get_last_lr())
        [0.05]
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.05]
        [0.1]
        [0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * (1.0 / self.factor) for g in groups]

    def _get_closed_form_lr(self) -> list[Any]:
        reached = self.last_epoch >= self.total_iters
        return [b * (self.factor + reached * (1 - self.factor)) for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scales each group's lr by a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then keeps it.

    ``lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) /
    total_iters)``, computed recursively as PyTorch does (each step multiplies the current lr
    by the ratio of consecutive factors), so it composes with other schedulers.

    Args:
        optimizer: wrapped optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from epoch ``total_iters`` on, in [0, 1] (default 1).
        total_iters: number of epochs of the ramp (default 5).
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: ``start_factor`` outside (0, 1] or ``end_factor`` outside [0, 1].
    Reference:
        Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", 2017
        (gradual warm-up).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> print(sched.get_last_lr())
        [0.25]
        >>> for epoch in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.5]
        [0.75]
        [1.0]
        [1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.start_factor for g in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [g["lr"] * ratio for g in groups]

    def _get_closed_form_lr(self) -> list[Any]:
        span = self.end_factor - self.start_factor
        done = min(self.total_iters, self.last_epoch)
        return [b * (self.start_factor + span * done / self.total_iters) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decays each group's lr polynomially to 0 over ``total_iters`` epochs.

    ``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``, computed
    recursively as PyTorch does (each step multiplies by the ratio of consecutive factors).

    Args:
        optimizer: wrapped optimizer.
        total_iters: number of epochs of the decay (default 5); the lr stays at 0 afterwards.
        power: exponent of the polynomial (default 1.0: linear decay).
        last_epoch: index of the last epoch (default -1).
    Raises:
        ZeroDivisionError: ``step(epoch)`` (the closed form) with ``total_iters`` of 0, as in
            PyTorch.
    Reference:
        Liu, Rabinovich & Berg, "ParseNet: Looking Wider to See Better", 2015 (the "poly"
        learning-rate policy).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = PolynomialLR(opt, total_iters=4, power=2.0)
        >>> for epoch in range(5):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.5625]
        [0.25]
        [0.0625]
        [0.0]
        [0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``last_epoch`` (the schedule above)."""
        self._warn_if_called_directly()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        t, n = self.last_epoch, self.total_iters
        decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [g["lr"] * decay for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[Any]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [b * left**self.power for b in self.base_lrs]


# ---- combinations of schedulers ---------------------------------------------------------------


def _check_schedulers(owner: str, optimizer: Optimizer, schedulers: Sequence[Any]) -> None:
    """Every scheduler of a SequentialLR or ChainedScheduler steps ``optimizer`` and takes no
    metric."""
    for idx, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {idx} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(  # noqa: TRY004  (PyTorch's exception type)
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{idx} in the given schedulers sequence."
            )
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {scheduler.__class__.__name__} at index {idx} has "
                f"{scheduler.optimizer}, which is different from "
                f"{optimizer.__class__.__name__}."
            )


def _nested_state_dict(sched: LRScheduler) -> dict[str, Any]:
    """The attributes of a SequentialLR or ChainedScheduler, with each inner scheduler's own
    state dict in ``"_schedulers"``."""
    state = {k: v for k, v in sched.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in sched._schedulers]  # type: ignore[attr-defined]
    return state


def _load_nested_state_dict(sched: LRScheduler, state_dict: dict[str, Any]) -> None:
    """Inverse of :func:`_nested_state_dict`; ``state_dict`` itself is left as it is."""
    state = dict(state_dict)
    inner = state.pop("_schedulers")
    sched.__dict__.update(state)
    for s, saved in zip(sched._schedulers, inner):  # type: ignore[attr-defined]
        s.load_state_dict(saved)


class SequentialLR(LRScheduler):
    """Runs several schedulers one after the other, switching at the milestone epochs.

    Scheduler ``i`` steps the optimizer from epoch ``milestones[i-1]`` (0 for the first) up to
    ``milestones[i]``; at its milestone a scheduler starts from its own epoch 0 (its closed
    form at 0 when it has one: ``base_lr`` times its starting factor). Construction resets
    every group's lr to ``initial_lr`` and undoes the construction steps of the given
    schedulers, so only the first one's step 0 applies.

    Args:
        optimizer: wrapped optimizer (every scheduler must step it).
        schedulers: the schedulers, in order; at least one.
        milestones: increasing epochs at which the next scheduler takes over;
            ``len(schedulers) - 1`` of them.
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: no scheduler, a ReduceLROnPlateau, a scheduler of another optimizer, a
            SequentialLR or ChainedScheduler after the first position (it cannot restart at a
            milestone), or a wrong number of milestones.
        TypeError: an entry without an ``optimizer`` attribute.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.SequentialLR`` (same milestone rule).
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, schedulers=[warmup, decay], milestones=[2])
        >>> print(sched.get_last_lr())
        [0.5]
        >>> for epoch in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.75]
        [1.0]
        [0.5]
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        name = self.__class__.__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        _check_schedulers(name, optimizer, schedulers)
        for i, s in enumerate(schedulers[1:], 1):
            if hasattr(s, "_schedulers"):
                raise ValueError(
                    f"{name}: schedulers[{i}] is a {type(s).__name__}, which cannot be restarted "
                    "at a milestone; a SequentialLR or ChainedScheduler can only come first"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            _set_group_value(group, "lr", group["initial_lr"])
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Takes back the construction step of every scheduler inside this one (nested
        SequentialLR and ChainedScheduler included) by decrementing its ``last_epoch``.

        Args:
            sched: the scheduler to undo (default: this one, recursively).
        """
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advances one epoch: steps the scheduler in charge, or starts the next one at its
        milestone."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """The attributes, with every inner scheduler's state dict under ``"_schedulers"``."""
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes and each inner scheduler's state."""
        _load_nested_state_dict(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Steps several schedulers together: one :meth:`step` calls each one's ``step()`` in
    order, so their (recursive) changes to the lr compose.

    Args:
        schedulers: the schedulers to chain; at least one, all of one optimizer.
        optimizer: that optimizer (default: the first scheduler's).
    Raises:
        ValueError: no scheduler, a ReduceLROnPlateau, or a scheduler of another optimizer.
        TypeError: an entry without an ``optimizer`` attribute.
    Reference:
        PyTorch's ``torch.optim.lr_scheduler.ChainedScheduler``.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s1 = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> s2 = ExponentialLR(opt, gamma=0.5)
        >>> sched = ChainedScheduler([s1, s2], optimizer=opt)
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.25]
        [0.25]
        [0.125]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        name = self.__class__.__name__
        if len(schedulers) < 1:
            raise ValueError(
                f"{name} expects at least one scheduler to be chained, but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(name, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Steps every chained scheduler once, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def state_dict(self) -> dict[str, Any]:
        """The attributes, with every chained scheduler's state dict under ``"_schedulers"``."""
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes and each chained scheduler's state."""
        _load_nested_state_dict(self, state_dict)


# ---- cyclical schedules -----------------------------------------------------------------------


class CyclicLR(LRScheduler):
    """Cycles each group's lr between ``base_lr`` and ``max_lr`` (and, optionally, the momentum
    the other way), stepped once per batch.

    With ``c = floor(1 + it / (up + down))`` the cycle and ``x = 1 + it / (up + down) - c`` the
    position in it, the climb ``s = x / r`` (``x <= r``, ``r = up / (up + down)``) or the descent
    ``s = (x - 1) / (r - 1)`` gives::

        lr = base_lr + (max_lr - base_lr) * s * scale_fn(c or it)
        momentum = max_momentum - (max_momentum - base_momentum) * s * scale_fn(c or it)

    where ``scale_fn`` is 1 (``"triangular"``), ``1 / 2**(c - 1)`` (``"triangular2"``: the
    amplitude halves every cycle), ``gamma**it`` (``"exp_range"``) or the given function, of
    the cycle number (``scale_mode="cycle"``) or of the iteration (``"iterations"``). The
    momentum is ``betas[0]`` for optimizers with ``betas`` (Adam), else ``momentum`` (SGD).

    Args:
        optimizer: wrapped optimizer.
        base_lr: lower lr bound, one number or one per group; it replaces the groups' lr.
        max_lr: upper lr bound, one number or one per group (reached only if ``scale_fn``
            gives 1).
        step_size_up: iterations of the climb (default 2000).
        step_size_down: iterations of the descent (default None: ``step_size_up``).
        mode: ``"triangular"`` (default), ``"triangular2"`` or ``"exp_range"``; ignored when
            ``scale_fn`` is given.
        gamma: base of ``"exp_range"``, per iteration (default 1.0).
        scale_fn: custom amplitude function of one argument, with values in [0, 1]
            (default None).
        scale_mode: ``"cycle"`` (default) or ``"iterations"``: the argument of ``scale_fn``
            (the built-in modes set their own).
        cycle_momentum: also cycle the momentum, inversely to the lr (default True).
        base_momentum: lower momentum bound, one number or one per group (default 0.8).
        max_momentum: upper momentum bound, one number or one per group (default 0.9); it
            replaces the groups' momentum.
        last_epoch: index of the last batch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        ValueError: an unknown ``mode`` without ``scale_fn``, a per-group list of the wrong
            length, or ``cycle_momentum`` with an optimizer that has neither ``momentum`` nor
            ``betas``.
    Reference:
        Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2)
        >>> for it in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr(), opt.param_groups[0]["momentum"])
        [0.5] 0.8500000000000001
        [1.0] 0.8
        [0.5] 0.8500000000000001
        [0.0] 0.9
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                _set_group_value(group, "lr", lr)
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _setup_cycle_momentum(
                optimizer, last_epoch, base_momentum=base_momentum, max_momentum=max_momentum
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        # The built-in modes fix their scale_mode; a custom scale_fn keeps the given one.
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = _triangular_scale
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = _triangular2_scale
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = _ExpRangeScale(self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude factor at ``x`` (a cycle number or an iteration; see ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current iteration ``last_epoch``; sets the
        groups' momentum too when ``cycle_momentum``."""
        self._warn_if_called_directly()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        arg = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = []
        for base_lr, max_lr in zip(self.base_lrs, self.max_lrs):
            lrs.append(base_lr + (max_lr - base_lr) * scale_factor * self.scale_fn(arg))
        if self.cycle_momentum:
            momentums = [
                max_m - (max_m - base_m) * scale_factor * self.scale_fn(arg)
                for base_m, max_m in zip(self.base_momentums, self.max_momentums)
            ]
            _check_group_count(self, momentums)
            for group, momentum in zip(self.optimizer.param_groups, momentums):
                _set_momentum(group, momentum, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """The attributes; a custom ``scale_fn`` is saved as its ``__dict__`` when it is a
        callable object, as None when it is a plain function or lambda."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        )
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes (and a callable object's ``__dict__``)."""
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _triangular_scale(x: float) -> float:
    return 1.0


def _triangular2_scale(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


class _ExpRangeScale:
    """``gamma ** x``: the amplitude of CyclicLR's ``"exp_range"`` mode."""

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def __call__(self, x: float) -> float:
        return self.gamma**x


class OneCycleLR(LRScheduler):
    """The 1cycle policy: the lr climbs from ``max_lr / div_factor`` to ``max_lr``, then
    anneals to far below the start, stepped once per batch for exactly ``total_steps`` steps.

    Two phases (default; fastai's variant): ``initial_lr -> max_lr`` over the first
    ``pct_start * total_steps`` steps, then ``max_lr -> min_lr``. With ``three_phase``:
    ``initial_lr -> max_lr -> initial_lr`` symmetrically, then ``initial_lr -> min_lr``.
    Within a phase from ``a`` to ``b`` at fraction ``f`` of it, the value is
    ``b + (a - b) / 2 * (1 + cos(pi * f))`` (``"cos"``) or ``a + (b - a) * f`` (``"linear"``).
    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``; both
    and ``max_lr`` are stored in every param group. The momentum (``betas[0]`` for Adam-like
    optimizers, else ``momentum``) goes the other way between ``max_momentum`` and
    ``base_momentum``.

    Args:
        optimizer: wrapped optimizer.
        max_lr: peak lr, one number or one per group.
        total_steps: number of steps of the cycle (default None: ``epochs * steps_per_epoch``).
        epochs: number of epochs, used with ``steps_per_epoch`` (default None).
        steps_per_epoch: batches per epoch, used with ``epochs`` (default None).
        pct_start: fraction of the cycle spent climbing, a float in [0, 1] (default 0.3).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        cycle_momentum: also cycle the momentum (default True).
        base_momentum: momentum at the lr peak, one number or one per group (default 0.85).
        max_momentum: momentum at the start and the end, one number or one per group
            (default 0.95).
        div_factor: ``initial_lr = max_lr / div_factor`` (default 25).
        final_div_factor: ``min_lr = initial_lr / final_div_factor`` (default 1e4).
        three_phase: use the three-phase schedule of the paper (default False).
        last_epoch: index of the last batch (default -1).
    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        ValueError: neither ``total_steps`` nor both ``epochs`` and ``steps_per_epoch``, a
            non-positive (or non-int) one of them, ``pct_start`` not a float in [0, 1], an
            unknown ``anneal_strategy``, a per-group list of the wrong length, or
            ``cycle_momentum`` with an optimizer without momentum; from :meth:`step`, stepping
            past ``total_steps`` ("Tried to step 11 times. The specified number of total steps
            is 10").
    Reference:
        Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using Large
        Learning Rates", 2017.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=4, pct_start=0.5,
        ...                    anneal_strategy="linear", div_factor=10.0, final_div_factor=1.0)
        >>> print(sched.get_last_lr(), opt.param_groups[0]["momentum"])
        [0.1] 0.95
        >>> for it in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr(), opt.param_groups[0]["momentum"])
        [1.0] 0.85
        [0.55] 0.8999999999999999
        [0.09999999999999998] 0.95
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        n = self.total_steps
        climb_end = float(pct_start * n) - 1
        if three_phase:
            self._schedule_phases = [
                _phase(climb_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(
                    float(2 * pct_start * n) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                _phase(n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                _phase(climb_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            # PyTorch checks max_momentum first here.
            self.use_beta1, _, _ = _setup_cycle_momentum(
                optimizer, last_epoch, max_momentum=max_momentum, base_momentum=base_momentum
            )
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        if self._anneal_func_type == "linear":
            return (end - start) * pct + start
        raise ValueError(f"Unknown _anneal_func_type: {self._anneal_func_type}")

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current step ``last_epoch``; sets the
        groups' momentum too when ``cycle_momentum``.

        Raises:
            ValueError: ``last_epoch`` is past ``total_steps``.
        """
        self._warn_if_called_directly()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lrs.append(
                        self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    )
                    if self.cycle_momentum:
                        momentum = self._anneal_func(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        _set_momentum(group, momentum, self.use_beta1)
                    break
                start_step = phase["end_step"]
        return lrs


def _phase(
    end_step: float, start_lr: str, end_lr: str, start_momentum: str, end_momentum: str
) -> dict[str, Any]:
    """One phase of OneCycleLR: the step it ends at and the group keys it goes between."""
    return {
        "end_step": end_step,
        "start_lr": start_lr,
        "end_lr": end_lr,
        "start_momentum": start_momentum,
        "end_momentum": end_momentum,
    }


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR): the lr follows a half cosine from
    ``base_lr`` down to ``eta_min`` over ``T_i`` epochs, then jumps back to ``base_lr``.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`` where ``T_cur``
    counts the epochs since the last restart and ``T_i`` starts at ``T_0`` and is multiplied by
    ``T_mult`` at every restart. :meth:`step` may be given a fractional epoch (``epoch + i /
    iters_per_epoch``) to anneal within epochs; calls with and without it can be interleaved.

    Args:
        optimizer: wrapped optimizer.
        T_0: epochs until the first restart, a positive int.
        T_mult: factor by which ``T_i`` grows after each restart, an int >= 1 (default 1).
        eta_min: minimum learning rate (default 0.0).
        last_epoch: index of the last epoch (default -1).
    Raises:
        ValueError: ``T_0`` not a positive int, ``T_mult`` not an int >= 1, ``eta_min`` not a
            number; from :meth:`step`, a negative epoch.
    Reference:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> for epoch in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     print(sched.get_last_lr())
        [0.5]
        [1.0]
        [0.8535533905932737]
        [0.5]
        >>> sched.step(0.5)  # a fractional epoch
        >>> sched.get_last_lr()
        [0.8535533905932737]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(  # noqa: TRY004  (PyTorch's exception type)
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current ``T_cur`` and ``T_i``."""
        self._warn_if_called_directly()
        return [
            self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for b in self.base_lrs
        ]

    def step(self, epoch: float | None = None) -> None:
        """Advances one epoch, or jumps to ``epoch`` (which may be fractional), restarting the
        cosine whenever ``T_cur`` reaches ``T_i``.

        Args:
            epoch: the (fractional) epoch to set; None (default) adds 1.
        Raises:
            ValueError: a negative ``epoch``.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # Restarts before `epoch`: T_0 * (T_mult**n - 1) / (T_mult - 1) <= epoch.
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._write_lrs(self.get_lr)
