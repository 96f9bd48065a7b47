"""Keras callbacks (``keras.callbacks``): hooks called by ``fit``/``evaluate``/``predict``.

Epochs are 0-based in the hooks (``on_epoch_end(epoch, logs)``), as in Keras; ``logs`` holds
the epoch's metrics (``loss``, ``accuracy``, ``val_loss``, ...) as Python floats. The same
``logs`` dict is passed to every callback in order, so one callback can see what an earlier
one added.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


class Callback:
    """Base class; override the hooks you need. ``self.model`` is set by ``fit``.

    Hooks: ``on_{train,test,predict}_{begin,end}(logs)``, ``on_epoch_{begin,end}(epoch, logs)``,
    ``on_{train,test,predict}_batch_{begin,end}(batch, logs)`` (``on_batch_*`` are aliases of
    the train-batch hooks). Batch-level logs cost a ``.item()`` per batch, so ``fit`` computes
    them only when some callback overrides a batch hook.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by ``fit`` with ``epochs``, ``steps`` and ``verbose``."""
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """After the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Before epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """After epoch ``epoch`` with its training and validation metrics in ``logs``."""

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Alias of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Alias of :meth:`on_train_batch_end`."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Before training batch ``batch`` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """After training batch ``batch``; ``logs`` has the running metrics."""
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Before evaluation (including validation inside ``fit``)."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """After evaluation."""

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Before evaluation batch ``batch``."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """After evaluation batch ``batch``."""

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Before ``predict``."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """After ``predict``."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Before prediction batch ``batch``."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """After prediction batch ``batch``."""

    def _overrides(self, *names: str) -> bool:
        return any(getattr(type(self), n) is not getattr(Callback, n) for n in names)


class CallbackList:
    """Calls a list of callbacks in order (used by ``fit``)."""

    def __init__(self, callbacks: Sequence[Callback] | None, model: Any, params: dict) -> None:
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{type(cb).__name__}")
            cb.set_model(model)
            cb.set_params(params)
        self.wants_train_batch = any(
            cb._overrides("on_train_batch_begin", "on_train_batch_end", "on_batch_begin",
                          "on_batch_end") for cb in self.callbacks)
        self.wants_test_batch = any(
            cb._overrides("on_test_batch_begin", "on_test_batch_end") for cb in self.callbacks)
        self.wants_predict_batch = any(
            cb._overrides("on_predict_batch_begin", "on_predict_batch_end")
            for cb in self.callbacks)

    def call(self, hook: str, *args: Any) -> None:
        """Calls ``hook(*args)`` on every callback."""
        for cb in self.callbacks:
            getattr(cb, hook)(*args)


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of epoch losses.

    Returned by ``fit``. Attributes: ``history`` (dict of lists), ``epoch`` (the epoch
    indices run), ``params``, ``model``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self._key_epochs: dict[str, list[int]] = {}  # the epochs each key was logged at

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Resets the callback's state for a new ``fit``."""
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
            self._key_epochs.setdefault(k, []).append(epoch)

    def plot(self, path: str | os.PathLike = "history.png", metrics: Sequence[str] | None = None) -> str:
        """Draws the loss and metric curves per epoch to a PNG (needs matplotlib).

        See :func:`ember.keras.utils.plot_history`.
        """
        from .utils import plot_history

        return plot_history(self, path, metrics)


def _monitor_op(mode: str, monitor: str, cls: str) -> Callable[[float, float], bool]:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{cls}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return np.greater if mode == "max" else np.less


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs.

    At the end of each epoch (from ``start_from_epoch`` on): an improvement (better than the
    best by more than ``min_delta``) resets the wait counter; otherwise it grows, and once it
    reaches ``patience`` training stops. With ``restore_best_weights`` the weights of the best
    epoch are put back when training ends.

    Args:
        monitor: the logged quantity (default ``'val_loss'``).
        min_delta: minimum change that counts as an improvement (default 0).
        patience: epochs without improvement before stopping (default 0).
        mode: ``'auto'`` (max for accuracies, else min), ``'min'`` or ``'max'``.
        baseline: the value to beat; the wait is only reset by beating it.
        restore_best_weights: put back the best epoch's weights at the end (default False).
        start_from_epoch: epochs to wait before monitoring (default 0).
    Attributes:
        stopped_epoch: the epoch (0-based) training stopped at, 0 if it did not stop.
        best, best_epoch: the best value seen and its epoch.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.monitor_op = _monitor_op(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Resets the callback's state for a new ``fit``."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = -math.inf if self.monitor_op is np.greater else math.inf
        self.best_weights: list | None = None
        self.best_epoch = 0

    def _improved(self, current: float, reference: float) -> bool:
        return bool(self.monitor_op(current - self.min_delta, reference))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"EarlyStopping: monitor {self.monitor!r} is not in the logs (available: "
                f"{', '.join(sorted(logs or {}))}); pass validation data or pick another monitor",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        """Finishes the callback's work (see the class docstring)."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) at the end of each epoch.

    Files are written to a temporary name and moved into place, so an interrupted save never
    leaves a partial file.

    Args:
        filepath: path, may hold format fields filled from ``epoch`` (1-based) and the logs,
            e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
        monitor: quantity compared for ``save_best_only`` (default ``'val_loss'``).
        save_best_only: only save when ``monitor`` improves (default False).
        save_weights_only: ``save_weights`` instead of ``save`` (default False).
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        initial_value_threshold: the value to beat at the start.
    Raises:
        ValueError: ``save_freq`` other than ``'epoch'``, an unknown ``mode``, or a ``.h5`` /
            ``.hdf5`` file for whole models (``save_weights_only=False``).
        KeyError (at the epoch's end): a ``filepath`` field that is not in the logs.
    Attributes:
        best: the best monitored value so far.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: str = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        if not save_weights_only and self.filepath.lower().endswith((".h5", ".hdf5")):
            raise ValueError(
                f"ModelCheckpoint: {self.filepath!r} names the legacy HDF5 format, which "
                "ember.keras does not write; use a .keras file (or save_weights_only=True with a "
                ".weights.h5 name)"
            )
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.monitor_op = _monitor_op(mode, monitor, "ModelCheckpoint")
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = -math.inf if self.monitor_op is np.greater else math.inf

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        logs = logs or {}
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: cannot format filepath {self.filepath!r}: {e} is not in the "
                f"epoch's logs (available: epoch, {', '.join(sorted(logs))}); pass validation "
                "data for val_* fields"
            ) from None
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint: can save best model only with {self.monitor!r} available "
                    f"in the logs (available: {', '.join(sorted(logs))}); skipping",
                    stacklevel=2,
                )
                return
            if not self.monitor_op(current, self.best):
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch: ``lr = schedule(epoch, lr)`` (or
    ``schedule(epoch)`` for one-argument functions); the rate is logged as ``learning_rate``.

    Args:
        schedule: function of the epoch index (0-based) and the current rate.
    Raises:
        ValueError (at the epoch): ``schedule`` returned something that is not a number.
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Acts before the epoch (see the class docstring)."""
        opt = self.model.optimizer
        try:
            lr = self.schedule(epoch, opt.learning_rate)
        except TypeError:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)):
            raise ValueError(
                f"LearningRateScheduler: the schedule must return a number, got "
                             f"{lr!r} at epoch {epoch}")
        opt.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` once ``monitor`` has not improved (by more
    than ``min_delta``) for ``patience`` epochs, then waits ``cooldown`` epochs; never below
    ``min_lr``. The rate is logged as ``learning_rate``.

    Args:
        monitor: default ``'val_loss'``.
        factor: in (0, 1) (default 0.1).
        patience: default 10.
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        min_delta: default 1e-4.
        cooldown: default 0.
        min_lr: default 0.
    Raises:
        ValueError: ``factor >= 1``.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.verbose, self.min_delta, self.cooldown = verbose, float(min_delta), int(cooldown)
        self.min_lr = float(min_lr)
        op = _monitor_op(mode, monitor, "ReduceLROnPlateau")
        if op is np.greater:
            self.monitor_op = lambda a, b: a > b + self.min_delta
            self._worst = -math.inf
        else:
            self.monitor_op = lambda a, b: a < b - self.min_delta
            self._worst = math.inf

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Resets the callback's state for a new ``fit``."""
        self.best, self.wait, self.cooldown_counter = self._worst, 0, 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        logs["learning_rate"] = opt.learning_rate
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ReduceLROnPlateau: monitor {self.monitor!r} is not in the logs "
                          f"(available: {', '.join(sorted(logs))})", stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = opt.learning_rate
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    opt.learning_rate = new
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` then the first epoch's log keys (sorted; plus a
    ``val_`` column for each when that epoch had no validation, as Keras does), flushed each
    epoch; a missing value is written as ``NA``.

    Args:
        filename: the CSV file.
        separator: default ``','``.
        append: append to an existing file instead of overwriting it (default False).
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.keys: list[str] | None = None
        self._file: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Resets the callback's state for a new ``fit``."""
        has_header = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer: Any = None
        self._has_header = has_header
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):
                # As Keras: validation may start later (validation_freq > 1), so the val_
                # columns exist from the header on ("NA" until they have values).
                self.keys += [f"val_{k}" for k in self.keys]
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep)
            if not self._has_header:
                self._writer.writeheader()
        row = {"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}}
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        """Finishes the callback's work (see the class docstring)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Args (Keras 3's order):
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``.
        **kwargs: any other hook by name, e.g. ``on_batch_end=f`` (an alias of
            ``on_train_batch_end``), ``on_test_end=f``, ``on_predict_batch_end=f``.
    """

    def __init__(self, on_epoch_begin: Callable | None = None, on_epoch_end: Callable | None = None,
                 on_train_begin: Callable | None = None, on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None,
                 on_train_batch_end: Callable | None = None, **kwargs: Any) -> None:
        super().__init__()
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end),
                         ("on_train_batch_begin", on_train_batch_begin),
                         ("on_train_batch_end", on_train_batch_end), *kwargs.items()):
            if fn is not None:
                setattr(self, name, fn)

    def _overrides(self, *names: str) -> bool:
        return any(n in self.__dict__ for n in names)


class ProgbarLogger(Callback):
    """Prints training progress: per epoch an ``Epoch i/N`` line and a progress bar with the
    running loss and metrics (``verbose`` 1), or one summary line per epoch (``verbose`` 2);
    silent with ``verbose=0``. The verbosity is ``fit``'s ``verbose`` argument.

    ``fit`` shows the same progress by itself; passing a ``ProgbarLogger`` replaces that
    display (its batch hook makes ``fit`` compute the running metrics after every batch).
    """

    def __init__(self) -> None:
        super().__init__()
        self.verbose, self.epochs, self.target = 1, 1, None
        self._bar: Any = None
        self._last = 0.0

    def set_params(self, params: dict[str, Any]) -> None:
        """Reads ``verbose``, ``epochs`` and ``steps`` from ``fit``'s parameters."""
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Starts the epoch's bar (``verbose`` 1)."""
        import time

        self._t0 = self._last = time.perf_counter()
        if self.verbose == 1:
            import sys

            from tqdm import tqdm

            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
            self._bar = tqdm(total=self.target, file=sys.stdout, unit="step", leave=True,
                             mininterval=0.1,
                             bar_format="{n_fmt}/{total_fmt} |{bar:20}| {elapsed} "
                                        "{rate_fmt}{postfix}")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Advances the bar; the shown metrics are refreshed at most every 0.5 s."""
        import time

        if self._bar is None:
            return
        now = time.perf_counter()
        if logs and now - self._last >= 0.5:
            from ._trainer import _fmt

            self._last = now
            self._bar.set_postfix_str(_fmt(logs), refresh=False)
        self._bar.update(batch + 1 - self._bar.n)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Closes the bar with the epoch's logs (``verbose`` 1) or prints them (``verbose``
        2)."""
        import time

        from ._trainer import _fmt

        text = _fmt(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            print(f"Epoch {epoch + 1}/{self.epochs} - {time.perf_counter() - self._t0:.0f}s - "
                  f"{text}", flush=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Closes a bar left open by an early stop."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


_BACKUP_FORMAT = "ember.keras.backup"


class BackupAndRestore(Callback):
    """Backs up the training state at the end of every epoch, so that a ``fit`` interrupted
    by an exception (or a killed process) resumes where it stopped: when ``fit`` starts with
    this callback and a backup exists, the model's weights, the optimizer's state (moments,
    step count, learning rate) and the epoch counter are restored, and training continues at
    the epoch after the last completed one. A ``fit`` that ends normally deletes the backup
    (with ``delete_checkpoint``).

    The backup is one file, ``<backup_dir>/latest.backup.safetensors``, written to a
    temporary name and moved into place (``ember.save``, atomic), so an interruption while
    saving leaves the previous backup whole.

    Args:
        backup_dir: the folder of the backup (created when needed); use one folder per
            training job.
        save_freq: ``'epoch'`` (the only supported value).
        double_checkpoint: also keep the previous backup (``prev.backup.safetensors``), used
            when the latest one cannot be read (default False).
        delete_checkpoint: delete the backup files (and the folder, if then empty) when
            ``fit`` ends normally (default True).
    Raises:
        ValueError: an empty ``backup_dir``, or another ``save_freq``; at the start of
            ``fit``, a backup that does not match the model (nothing is restored then).
    Example:
        >>> cb = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
        >>> model.fit(x, y, epochs=10, callbacks=[cb])  # doctest: +SKIP
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq: Any = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty backup_dir argument passed")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: only save_freq='epoch' is supported, got "
                             f"{save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint, self.delete_checkpoint = bool(double_checkpoint), bool(
            delete_checkpoint)
        self._path = os.path.join(self.backup_dir, "latest.backup.safetensors")
        self._prev_path = os.path.join(self.backup_dir, "prev.backup.safetensors")

    def _read(self) -> dict[str, Any] | None:
        import ember

        for path in (self._path, self._prev_path):
            if not os.path.exists(path):
                continue
            try:
                state = ember.load(path)
            except (ValueError, OSError) as e:
                warnings.warn(f"BackupAndRestore: cannot read the backup {path!r} ({e})",
                              stacklevel=3)
                continue
            if isinstance(state, dict) and state.get("format") == _BACKUP_FORMAT:
                return state
            warnings.warn(f"BackupAndRestore: {path!r} is not a BackupAndRestore backup; "
                          "ignored", stacklevel=3)
        return None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Restores weights, optimizer state and epoch from the backup, if there is one.

        Raises:
            ValueError: the backup's weights do not match the model (the model is unchanged).
        """
        state = self._read()
        if state is None:
            return
        from .saving import _assign

        arrays = {k: np.asarray(v.numpy()) for k, v in state["weights"].items()}
        _assign(self.model, arrays, "BackupAndRestore", self._path)
        opt = self.model.optimizer
        saved = state.get("optimizer")
        if opt is not None and saved is not None:
            impl = getattr(opt, "_impl", None)
            if impl is not None and saved.get("state_dict") is not None:
                impl.load_state_dict(saved["state_dict"])
            opt._iterations = int(saved.get("iterations", 0))
            if getattr(opt, "_schedule", None) is None and saved.get("learning_rate") is not None:
                opt._set_lr(float(saved["learning_rate"]))
        self.model._initial_epoch = int(state["epoch"])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Writes the backup (the next ``fit`` resumes at epoch ``epoch + 1``)."""
        import ember

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            from ..utils._atomic import atomic_write

            with open(self._path, "rb") as fh:
                atomic_write(self._prev_path, fh.read())
        opt = self.model.optimizer
        impl = getattr(opt, "_impl", None)
        optimizer: dict[str, Any] = {
            "iterations": int(getattr(opt, "iterations", 0)),
            "learning_rate": None if getattr(opt, "_schedule", None) is not None
            else float(opt.learning_rate),
            "state_dict": impl.state_dict() if impl is not None else None,
        }
        weights = {k: t.detach() for k, t in self.model._weight_items()}
        ember.save({"format": _BACKUP_FORMAT, "version": 1, "epoch": epoch + 1,
                    "weights": weights, "optimizer": optimizer}, self._path)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Deletes the backup after a normal end of ``fit`` (with ``delete_checkpoint``)."""
        if not self.delete_checkpoint:
            return
        for path in (self._path, self._prev_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only when empty: never removes other files
        except OSError:
            pass


class TerminateOnNaN(Callback):
    """Stops training when the epoch loss is NaN or infinite."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Acts on the epoch's logs (see the class docstring)."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Epoch {epoch + 1}: invalid loss, terminating training")
            self.model.stop_training = True
