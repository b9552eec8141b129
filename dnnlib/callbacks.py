"""What :func:`dnnlib.train.fit` records and calls: ``History``, callbacks, exceptions.

* :class:`History` - the per-step and per-epoch records ``fit`` returns;
* :class:`TrainState` - what callbacks see (and may change) during training;
* :class:`Callback` and two of them, :class:`EarlyStopping` (chapter 7) and
  :class:`Recorder` (the book's plots use it);
* :class:`TrainingDiverged` and :class:`TrainingInterrupted`, raised by ``fit`` with the
  history so far.

Every name here is also importable from :mod:`dnnlib.train`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._validation import check_float, check_int

__all__ = [
    "History",
    "TrainState",
    "TrainingDiverged",
    "TrainingInterrupted",
    "Callback",
    "EarlyStopping",
    "Recorder",
]


# --------------------------------------------------------------------------- records
@dataclass
class History:
    """What :func:`fit` recorded.

    Attributes
    ----------
    steps : dict of str -> list of float
        Per optimizer step: ``"loss"`` (the mini-batch loss) and ``"lr"``.
    epochs : dict of str -> list of float
        Per epoch: ``"loss"`` (mean training loss over the epoch's batches, weighted by
        batch size), ``"accuracy"`` (when the loss defines one), and with validation
        data ``"val_loss"``, ``"val_accuracy"``.
    stopped_epoch : int or None
        The epoch (from 0) where a callback stopped training early.

    ``history["val_loss"]`` is short for ``history.epochs["val_loss"]``.
    """

    steps: dict[str, list[float]] = field(default_factory=lambda: {"loss": [], "lr": []})
    epochs: dict[str, list[float]] = field(default_factory=dict)
    stopped_epoch: int | None = None

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.epochs[key]
        except KeyError:
            raise KeyError(f"History: no per-epoch record {key!r}; have "
                           f"{sorted(self.epochs)} (per-step records are in .steps)") from None

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.epochs.items() if v)
        return (f"History({len(self.steps['loss'])} steps, "
                f"{len(next(iter(self.epochs.values()), []))} epochs; last: {last})")


@dataclass
class TrainState:
    """What callbacks see (and may change) during :func:`fit`.

    Attributes
    ----------
    model, loss_fn, optimizer, history
        The objects being trained / recorded.
    epoch : int
        Current epoch, from 0.
    step : int
        Global step just finished, from 0.
    loss : float
        The loss of that step.
    batch : (X_batch, y_batch)
        That step's mini-batch.
    output : array
        The model's output on it.
    logs : dict
        The epoch's records (in ``on_epoch_end``): ``loss``, ``accuracy``, ``val_*``.
    stop : bool
        Set to ``True`` to stop after the current epoch.
    """

    model: Any
    loss_fn: Any
    optimizer: Any
    history: History
    has_validation: bool = False
    has_accuracy: bool = False
    epoch: int = 0
    step: int = -1
    loss: float = math.nan
    batch: Any = None
    output: Any = None
    logs: dict[str, float] = field(default_factory=dict)
    stop: bool = False


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite during :func:`fit`.

    The model holds the last weights that gave a finite loss.

    Attributes
    ----------
    step, epoch : int
        Where it happened (both counted from 0).
    loss : float
        The non-finite value.
    last_finite_loss : float
        The loss of the step before (NaN if the first step failed).
    lr : float
        The learning rate in use.
    history : History
        The records up to the failure.
    """

    def __init__(self, message: str, *, step: int = -1, epoch: int = -1, loss: float = math.nan,
                 last_finite_loss: float = math.nan, lr: float = math.nan,
                 history: History | None = None) -> None:
        super().__init__(message)
        self.step, self.epoch, self.loss = step, epoch, loss
        self.last_finite_loss, self.lr, self.history = last_finite_loss, lr, history


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C, SIGINT, the notebook's stop button) in :func:`fit`.

    ``fit`` stops at the next step boundary: the model and the optimizer hold the state
    after ``step`` whole steps (the last one fully applied, ``optimizer.step_count``
    moved once per step), and :attr:`history` holds the records so far. A subclass of
    ``KeyboardInterrupt``, so an interrupted script still stops.

    Attributes
    ----------
    step : int
        Steps completed.
    epoch : int
        The epoch that was running (from 0).
    history : History
        The records up to the interrupt.
    mid_step : bool
        True only when a second interrupt stopped training at once, possibly inside a
        step (then the model may hold a half-applied update).
    """

    def __init__(self, *, step: int, epoch: int, history: History,
                 mid_step: bool = False) -> None:
        where = ("inside a step (a second interrupt): the model may hold a half-applied "
                 "update" if mid_step else "at a step boundary: the model and optimizer "
                 "hold the state after that step")
        super().__init__(f"fit: interrupted after {step} steps (epoch {epoch}), {where}; the "
                         "records so far are in this exception's .history (in a notebook: "
                         "sys.last_value.history)")
        self.step, self.epoch, self.history, self.mid_step = step, epoch, history, mid_step


# --------------------------------------------------------------------------- callbacks
class Callback:
    """Base class of :func:`fit`'s callbacks: override any of the four hooks.

    Each hook receives the :class:`TrainState`; ``state.stop = True`` ends training
    after the current epoch.

    Examples
    --------
    >>> class PrintEpoch(Callback):
    ...     def on_epoch_end(self, state):
    ...         print(state.epoch, round(state.logs["loss"], 2))
    """

    def on_train_begin(self, state: TrainState) -> None:
        """Before the first step."""

    def on_step_end(self, state: TrainState) -> None:
        """After each optimizer step (``state.step``, ``state.loss``, ``state.batch``)."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After each epoch's records are in ``state.logs``."""

    def on_train_end(self, state: TrainState) -> None:
        """After the last epoch (not after an exception)."""


class EarlyStopping(Callback):
    r"""Stop when a monitored quantity has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        ``"val_loss"`` (default), ``"val_accuracy"``, ``"loss"`` or ``"accuracy"``.
    patience : int
        Epochs without improvement tolerated (>= 0).
    min_delta : float
        An improvement must exceed this (>= 0).
    mode : {"auto", "min", "max"}
        ``"auto"``: maximise accuracies, minimise losses.
    restore_best_weights : bool
        At the end, put back the weights of the best epoch.

    Attributes
    ----------
    best : float
    best_epoch : int
    stopped_epoch : int or None

    Notes
    -----
    Epoch :math:`e` improves when :math:`v_e < v^* - \delta` (min mode); training stops
    at the first epoch with :math:`e - e^* \ge` ``patience``, :math:`e^*` the best epoch
    (Chapter 7, early stopping as regularisation).

    Examples
    --------
    >>> stopper = EarlyStopping(patience=3)
    >>> stopper.monitor, stopper.restore_best_weights
    ('val_loss', True)
    """

    _MONITORS = ("loss", "accuracy", "val_loss", "val_accuracy")

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        fn = "EarlyStopping"
        if monitor not in self._MONITORS:
            raise ValueError(f"{fn}: monitor must be one of {self._MONITORS}, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{fn}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = check_int(patience, fn, "patience", minimum=0)
        self.min_delta = check_float(min_delta, fn, "min_delta", low=0.0)
        self.mode = ("max" if "accuracy" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_weights: dict[str, Any] | None = None

    def on_train_begin(self, state: TrainState) -> None:
        if self.monitor.startswith("val_") and not state.has_validation:
            raise ValueError(f"EarlyStopping: monitor={self.monitor!r} needs "
                             "validation=(X_val, y_val) in fit")
        if "accuracy" in self.monitor and not state.has_accuracy:
            raise ValueError(f"EarlyStopping: monitor={self.monitor!r}, but "
                             f"{type(state.loss_fn).__name__} defines no accuracy")
        self._reset()

    def on_epoch_end(self, state: TrainState) -> None:
        value = state.logs[self.monitor]
        if self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best, self.best_epoch, self._wait = value, state.epoch, 0
            if self.restore_best_weights:
                self._best_weights = state.model.state_dict()
        else:
            self._wait += 1
            if self._wait >= self.patience:
                self.stopped_epoch = state.epoch
                state.stop = True

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            state.model.load_state_dict(self._best_weights)


class Recorder(Callback):
    """Record ``fn(state)`` every ``every`` steps (the book's plots use it).

    Parameters
    ----------
    fn : callable
        ``fn(state) -> anything`` (copy arrays you keep: the model changes in place).
    every : int
        Record at steps 0, every, 2*every, ...

    Attributes
    ----------
    steps : list of int
    values : list

    Examples
    --------
    >>> rec = Recorder(lambda s: s.optimizer.lr, every=10)
    >>> rec.steps, rec.values
    ([], [])
    """

    def __init__(self, fn: Callable[[TrainState], Any], every: int = 1) -> None:
        if not callable(fn):
            raise TypeError(f"Recorder: fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.every = check_int(every, "Recorder", "every", minimum=1)
        self.steps: list[int] = []
        self.values: list[Any] = []

    def on_step_end(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            self.steps.append(state.step)
            self.values.append(self.fn(state))
