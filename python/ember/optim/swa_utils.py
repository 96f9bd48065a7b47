"""Weight averaging (PyTorch's ``torch.optim.swa_utils``): :class:`AveragedModel` keeps a running
average (SWA) or an exponential moving average (EMA) of a model's weights, :func:`update_bn`
recomputes batch-norm statistics for the averaged weights, and :class:`SWALR` anneals the
learning rate to a constant for the averaging phase.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from .._C import Tensor
from .._C import dtype as _dtype
from .._tensor import tensor
from ..autograd import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _check_optimizer, _format_param
from .optimizer import Optimizer

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]

_int64 = _dtype.int64

ParamList = Sequence[Tensor]
AvgFn = Callable[[Tensor, Tensor, Any], Tensor]
MultiAvgFn = Callable[[ParamList, ParamList, Any], None]


def _check_decay(name: str, decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"{name}: invalid decay value {decay}; expected a value in [0, 1]")


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    r"""An in-place exponential moving average over lists of tensors, for
    ``AveragedModel(multi_avg_fn=...)``.

    The returned ``fn(averaged, current, num_averaged)`` sets, for each pair,
    ``averaged = decay * averaged + (1 - decay) * current`` (for floating tensors as
    ``averaged.lerp_(current, 1 - decay)``; other dtypes are rounded toward zero when written
    back). ``num_averaged`` is ignored.

    Args:
        decay: weight of the old average, in [0, 1] (default 0.999).
    Returns:
        The update function; it returns None.
    Raises:
        ValueError: ``decay`` outside [0, 1].
    Reference:
        Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", 1992
        (averaging); PyTorch's ``torch.optim.swa_utils.get_ema_multi_avg_fn``.
    Example:
        >>> avg, cur = [ember.tensor([0.0, 1.0])], [ember.tensor([1.0, 3.0])]
        >>> get_ema_multi_avg_fn(0.75)(avg, cur, 1)
        >>> avg[0]
        tensor([0.2500, 1.5000])
    """
    _check_decay("get_ema_multi_avg_fn", decay)

    def ema_update(averaged: ParamList, current: ParamList, num_averaged: Any) -> None:
        """``averaged = decay * averaged + (1 - decay) * current``, in place, per pair."""
        with no_grad():
            for p_avg, p_cur in zip(averaged, current):
                if p_avg.is_floating_point():
                    p_avg.lerp_(p_cur, 1 - decay)
                else:
                    p_avg.copy_(p_avg * decay + p_cur * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    r"""An in-place running mean over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

    The returned ``fn(averaged, current, num_averaged)`` sets, for each pair,
    ``averaged = averaged + (current - averaged) / (num_averaged + 1)`` (for floating tensors
    as ``averaged.lerp_(current, 1 / (num_averaged + 1))``, the weight computed as PyTorch does:
    in float32 when ``num_averaged`` is a tensor; other dtypes are rounded toward zero when
    written back).

    Returns:
        The update function; it returns None.
    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018; PyTorch's ``torch.optim.swa_utils.get_swa_multi_avg_fn``.
    Example:
        >>> avg, cur = [ember.tensor([0.0, 1.0])], [ember.tensor([3.0, 4.0])]
        >>> get_swa_multi_avg_fn()(avg, cur, 2)
        >>> avg[0]
        tensor([1., 2.])
    """

    def swa_update(averaged: ParamList, current: ParamList, num_averaged: Any) -> None:
        """``averaged += (current - averaged) / (num_averaged + 1)``, in place, per pair."""
        with no_grad():
            weight = float(1 / (num_averaged + 1))
            for p_avg, p_cur in zip(averaged, current):
                if p_avg.is_floating_point():
                    p_avg.lerp_(p_cur, weight)
                else:
                    p_avg.copy_(p_avg + (p_cur - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    r"""An exponential moving average of one tensor, for ``AveragedModel(avg_fn=...)``.

    The returned ``fn(averaged, current, num_averaged)`` returns
    ``decay * averaged + (1 - decay) * current`` (a new tensor of the promoted dtype;
    ``num_averaged`` is ignored).

    Args:
        decay: weight of the old average, in [0, 1] (default 0.999).
    Returns:
        The averaging function.
    Raises:
        ValueError: ``decay`` outside [0, 1].
    Reference:
        PyTorch's ``torch.optim.swa_utils.get_ema_avg_fn``.
    Example:
        >>> get_ema_avg_fn(0.5)(ember.tensor([0.0, 2.0]), ember.tensor([2.0, 4.0]), 3)
        tensor([1., 3.])
    """
    _check_decay("get_ema_avg_fn", decay)

    def ema_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        """``decay * averaged + (1 - decay) * current``."""
        with no_grad():
            return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    r"""A running mean of one tensor, for ``AveragedModel(avg_fn=...)``.

    The returned ``fn(averaged, current, num_averaged)`` returns
    ``averaged + (current - averaged) / (num_averaged + 1)``: the mean of ``num_averaged + 1``
    values when ``averaged`` is the mean of the first ``num_averaged``.

    Returns:
        The averaging function.
    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018; PyTorch's ``torch.optim.swa_utils.get_swa_avg_fn``.
    Example:
        >>> get_swa_avg_fn()(ember.tensor([1.0, 2.0]), ember.tensor([4.0, 8.0]), 2)
        tensor([2., 4.])
    """

    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        """``averaged + (current - averaged) / (num_averaged + 1)``."""
        with no_grad():
            return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


def _group_by_device_and_dtype(
    averaged: list[Tensor], current: list[Tensor]
) -> dict[tuple[str, Any], tuple[list[Tensor], list[Tensor]]]:
    """The pairs split by the averaged tensor's (device, dtype), in order of first appearance,
    as PyTorch hands them to a ``multi_avg_fn``."""
    groups: dict[tuple[str, Any], tuple[list[Tensor], list[Tensor]]] = {}
    for a, c in zip(averaged, current):
        avg_list, cur_list = groups.setdefault((str(a.device), a.dtype), ([], []))
        avg_list.append(a)
        cur_list.append(c)
    return groups


class AveragedModel(Module):
    r"""A copy of a model whose parameters hold an average of the model's weights over training:
    stochastic weight averaging (SWA, the default) or an exponential moving average (EMA).

    The constructor deep-copies ``model`` (``copy.deepcopy``) into ``self.module``. Each call of
    :meth:`update_parameters` folds the model's current weights into the average: the first
    call copies them, later calls apply ``multi_avg_fn`` (in place, over lists of tensors of one
    device and dtype), or ``avg_fn`` (per tensor), or by default the running mean

    .. code-block:: text

        avg = avg + (w - avg) / (n_averaged + 1)

    The buffer ``n_averaged`` (0-d int64) counts the calls. With ``use_buffers=True`` the
    buffers (e.g. batch-norm running statistics) are averaged like the parameters; otherwise
    they are copied from ``model`` on each update. Calling the averaged model runs
    ``self.module``. ``avg_fn`` and ``multi_avg_fn`` are not part of :meth:`state_dict`.

    Args:
        model: the model to average (an :class:`ember.nn.Module`).
        device: if given, the copy is moved there (``module.to(device)``); default None keeps
            the model's device.
        avg_fn: ``avg_fn(averaged, current, n_averaged) -> new averaged`` for one tensor
            (e.g. :func:`get_ema_avg_fn`); default None.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n_averaged)`` updating the
            averaged tensors in place (e.g. :func:`get_ema_multi_avg_fn`); default None.
        use_buffers: average the buffers too (default False).
    Raises:
        TypeError: ``model`` is not an :class:`ember.nn.Module`, or ``avg_fn`` /
            ``multi_avg_fn`` is not callable.
        ValueError: both ``avg_fn`` and ``multi_avg_fn`` are given.
        RuntimeError: the model holds a non-leaf tensor, which ``copy.deepcopy`` refuses.
    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018; PyTorch's ``torch.optim.swa_utils.AveragedModel``.
    Example:
        >>> model = ember.nn.Linear(1, 1, bias=False)
        >>> swa = AveragedModel(model)
        >>> for w in (1.0, 2.0, 6.0):
        ...     with ember.no_grad():
        ...         _ = model.weight.fill_(w)
        ...     swa.update_parameters(model)
        >>> swa.module.weight.item(), swa.n_averaged.item()
        (3.0, 3)
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(
                f"AveragedModel: model must be an ember.nn.Module, got {type(model).__name__}"
            )
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give at most one of avg_fn and multi_avg_fn, got both")
        for name, fn in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(
                    f"AveragedModel: {name} must be callable or None, got {type(fn).__name__}"
                )
        self.module = copy.deepcopy(model)
        n_averaged = tensor(0, dtype=_int64)
        if device is not None:
            self.module = self.module.to(device)
            n_averaged = n_averaged.to(device)
        self.register_buffer("n_averaged", n_averaged)
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the averaged copy: ``self.module(*args, **kwargs)``."""
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module) -> tuple[list[Tensor], list[Tensor]]:
        """The tensors to average (parameters, then buffers if ``use_buffers``), of the copy and
        of ``model`` (detached), checked to pair up."""
        if self.use_buffers:
            mine = list(chain(self.module.parameters(), self.module.buffers()))
            theirs = list(chain(model.parameters(), model.buffers()))
            what = "parameters and buffers"
        else:
            mine = list(self.module.parameters())
            theirs = list(model.parameters())
            what = "parameters"
        if len(mine) != len(theirs):
            raise ValueError(
                f"AveragedModel.update_parameters: model has {len(theirs)} {what} but the "
                f"averaged model has {len(mine)}; pass the model it was built from"
            )
        return mine, [t.detach().to(m.device) for m, t in zip(mine, theirs)]

    def update_parameters(self, model: Module) -> None:
        """Folds ``model``'s current weights into the average and increments ``n_averaged``.

        Args:
            model: a model with the structure of the one this was built from (usually that
                model itself, after some training steps).
        Raises:
            TypeError: ``model`` is not an :class:`ember.nn.Module`.
            ValueError: ``model`` has a different number of parameters (or buffers).
        """
        if not isinstance(model, Module):
            raise TypeError(
                "AveragedModel.update_parameters: model must be an ember.nn.Module, got "
                f"{type(model).__name__}"
            )
        with no_grad():
            averaged, current = self._averaged_tensors(model)
            averaged = [a.detach() for a in averaged]
            n = self.n_averaged
            if int(n.item()) == 0:
                for a, c in zip(averaged, current):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current):
                    a.copy_(self.avg_fn(a, c, n))
            else:
                fn = self.multi_avg_fn
                for avg_list, cur_list in _group_by_device_and_dtype(averaged, current).values():
                    if fn is not None:
                        fn(avg_list, cur_list, n)
                    else:
                        # PyTorch's CPU path: the per-tensor running mean (no fused lerp).
                        for a, c in zip(avg_list, cur_list):
                            a.copy_(a + (c - a) / (n + 1))
            if not self.use_buffers:
                mine = list(self.module.buffers())
                theirs = list(model.buffers())
                if len(mine) != len(theirs):
                    raise ValueError(
                        f"AveragedModel.update_parameters: model has {len(theirs)} buffers but "
                        f"the averaged model has {len(mine)}; pass the model it was built from"
                    )
                for b_avg, b_model in zip(mine, theirs):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    r"""Recomputes the running statistics of every batch-norm layer of ``model`` from one pass
    over ``loader``.

    Each :class:`~ember.nn.BatchNorm1d`/``2d``/``3d`` has its running statistics reset and its
    ``momentum`` set to None for the pass, so the statistics become the cumulative average over
    the batches; ``momentum`` and the model's training mode are restored afterwards. Gradients
    are not recorded. A model without batch-norm layers is left untouched (the loader is not
    read).

    Args:
        loader: iterable of batches; each batch is a tensor, or a list/tuple whose first element
            is the input tensor (e.g. ``(input, target)`` from a ``DataLoader``).
        model: the model to update (e.g. an :class:`AveragedModel`).
        device: if given, each input is moved there (``input.to(device)``) first.
    Raises:
        TypeError: ``model`` is not an :class:`ember.nn.Module`.
    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018, section 3.2; PyTorch's ``torch.optim.swa_utils.update_bn``.
    Example:
        >>> model = ember.nn.BatchNorm1d(2)
        >>> update_bn([ember.tensor([[0.0, 1.0], [2.0, 5.0]])], model)
        >>> model.running_mean, model.running_var
        (tensor([1., 3.]), tensor([2., 8.]))
    """
    if not isinstance(model, Module):
        raise TypeError(f"update_bn: model must be an ember.nn.Module, got {type(model).__name__}")
    momenta = {m: m.momentum for m in model.modules() if isinstance(m, _BatchNorm)}
    if not momenta:
        return
    for m in momenta:
        m.reset_running_stats()
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for m, momentum in momenta.items():
            m.momentum = momentum
        model.train(was_training)


def _linear_anneal(t: float) -> float:
    return t


def _cosine_anneal(t: float) -> float:
    return (1 - math.cos(math.pi * t)) / 2


_ANNEAL_FUNCS = {"cos": _cosine_anneal, "linear": _linear_anneal}


class SWALR(LRScheduler):
    r"""Anneals each param group's learning rate to a constant ``swa_lr`` over ``anneal_epochs``
    epochs, then keeps it there (the schedule of the SWA phase).

    At scheduler step ``k`` (0 at construction), with ``a(s) = (1 - cos(pi s)) / 2`` for
    ``"cos"`` or ``a(s) = s`` for ``"linear"`` and ``s_k = clip(k / max(1, anneal_epochs), 0,
    1)``, the rate follows PyTorch's recursive form, which gives

    .. code-block:: text

        lr_k = swa_lr * a(s_k) + lr_start * (1 - a(s_k))

    for the rate ``lr_start`` the group had when the annealing began (the previous rate is
    solved back to ``lr_start`` each step, so an outside change to ``group["lr"]`` carries
    through). With ``anneal_epochs=0`` the rate is ``swa_lr`` from the first step. The group
    dicts get a ``"swa_lr"`` entry.

    Args:
        optimizer: the wrapped optimizer.
        swa_lr: the final learning rate (per step, >= 0), one number for all groups or a
            list/tuple with one per group.
        anneal_epochs: number of epochs of the annealing, an int >= 0 (default 10).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        last_epoch: index of the last epoch (default -1: a new schedule).
    Raises:
        TypeError: ``optimizer`` is not an :class:`~ember.optim.Optimizer`.
        ValueError: a negative ``swa_lr``, a list of ``swa_lr`` of the wrong length, an
            unknown ``anneal_strategy``, or ``anneal_epochs`` not an int >= 0. Nothing is
            changed in the optimizer when it raises.
    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018; PyTorch's ``torch.optim.swa_utils.SWALR``.
    Example:
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     print([round(lr, 4) for lr in sched.get_last_lr()])
        [0.55]
        [0.1]
        [0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Sequence[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for value in swa_lrs:
            if not value >= 0:
                raise ValueError(f"SWALR: swa_lr must be >= 0, got {value}")
        if anneal_strategy not in _ANNEAL_FUNCS:
            raise ValueError(
                f"SWALR: anneal_strategy must be one of 'cos' or 'linear', got {anneal_strategy!r}"
            )
        if (
            isinstance(anneal_epochs, bool)
            or not isinstance(anneal_epochs, int)
            or anneal_epochs < 0
        ):
            raise ValueError(f"SWALR: anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        self._set_anneal_func(anneal_strategy)
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = _ANNEAL_FUNCS[anneal_strategy]

    @staticmethod
    def _get_initial_lr(lr: Any, swa_lr: Any, alpha: float) -> Any:
        """The rate at the start of the annealing, solved from ``lr`` reached with weight
        ``alpha`` on ``swa_lr``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[Any]:
        """Learning rate of each param group for the current step (the schedule above)."""
        self._warn_if_called_directly()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        groups = self.optimizer.param_groups
        return [
            g["swa_lr"] * alpha
            + self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) * (1 - alpha)
            for g in groups
        ]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's attributes except the optimizer and the anneal function (restored
        from ``_anneal_strategy`` on load)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`.

        Raises:
            ValueError: the saved ``_anneal_strategy`` is not ``"cos"`` or ``"linear"``.
        """
        strategy = state_dict.get("_anneal_strategy", getattr(self, "_anneal_strategy", None))
        if strategy not in _ANNEAL_FUNCS:
            raise ValueError(
                f"SWALR.load_state_dict: unknown _anneal_strategy {strategy!r}; expected 'cos' "
                "or 'linear'"
            )
        self.__dict__.update(state_dict)
        self._set_anneal_func(strategy)
