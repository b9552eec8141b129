"""The mini-batch training loop of chapter 6: ``fit``, ``evaluate``, ``predict``.

One step of :func:`fit` is the five lines every chapter writes by hand::

    optimizer.zero_grad()
    out = model.forward(X_batch)             # (N, C)
    value = loss.forward(out, y_batch)       # 0-d array
    model.backward(loss.backward())          # gradients accumulate in p.grad
    optimizer.step()                         # p.data updated in place

around which ``fit`` adds what a real run needs: shuffling from an explicit ``rng``
(so a seeded run is bit-for-bit reproducible), the last partial batch, a learning-rate
``schedule``, per-step and per-epoch records (:class:`History`), validation, callbacks
(:class:`EarlyStopping`, :class:`Recorder`), a progress bar (``tqdm``, optional), and
a guard against divergence (:class:`TrainingDiverged`).

The loss stays a 0-d array on the model's device; it is converted to a Python float
**once per step** (one device-to-host synchronisation, needed for the history and the
divergence check). Accuracy counts stay on the device and are read once per epoch.

Examples
--------
>>> import dnnlib as dl
>>> from dnnlib.data import make_moons
>>> from dnnlib.layers import Dense, ReLU
>>> from dnnlib.losses import SoftmaxCrossEntropy
>>> from dnnlib.model import Sequential
>>> from dnnlib.optim import Adam
>>> X, y = make_moons(200, noise=0.1, rng=0)
>>> model = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 2, rng=1))
>>> hist = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.05), X, y,
...            epochs=20, batch_size=32, rng=0, progress=False)
>>> hist["accuracy"][-1] > 0.9
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import backend as B
from ._validation import as_float_array, check_int
from .data import batches
from .model import Sequential
from .optim import as_schedule, lr_find

__all__ = [
    "fit",
    "evaluate",
    "predict",
    "History",
    "TrainState",
    "TrainingDiverged",
    "Callback",
    "EarlyStopping",
    "Recorder",
    "lr_find",
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

    def __init__(self, message: str, *, step: int, epoch: int, loss: float,
                 last_finite_loss: float, lr: float, history: History) -> None:
        super().__init__(message)
        self.step, self.epoch, self.loss = step, epoch, loss
        self.last_finite_loss, self.lr, self.history = last_finite_loss, lr, history


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
        from ._validation import check_float

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


# --------------------------------------------------------------------------- checks
def _check_model(model: Any, fn: str) -> None:
    for attr in ("forward", "backward", "params", "train", "eval"):
        if not hasattr(model, attr):
            raise TypeError(f"{fn}: model must be a Sequential (or a Layer), got "
                            f"{type(model).__name__} without .{attr}")


def _check_loss(loss: Any, fn: str) -> None:
    if isinstance(loss, type) or not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        raise TypeError(f"{fn}: loss must be a loss object such as SoftmaxCrossEntropy() "
                        f"(note the parentheses), got {loss!r:.60}")


def _check_data(model: Any, loss: Any, X: Any, y: Any, fn: str, names: tuple[str, str]
                ) -> tuple[Any, Any]:
    """X: floats (N, D), finite, N > 0; y: N rows, integer labels for softmax CE."""
    from .losses import SoftmaxCrossEntropy

    nx, ny = names
    X = as_float_array(X, fn, nx, ndim=(2,))
    if X.shape[0] == 0:
        raise ValueError(f"{fn}: {nx} is empty (0 rows)")
    xp = B.namespace(X, fn=fn)
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(f"{fn}: {nx} contains NaN or infinity")
    if y is None:
        raise TypeError(f"{fn}: {ny} must be an array of targets, got None")
    if not B.is_array(y):
        y = B.asarray(y, like=X)
    params = [p.data for p in getattr(model, "params", [])]
    try:
        B.namespace(X, y, *params, fn=fn)
    except TypeError as exc:
        raise TypeError(f"{exc} (here: {nx}, {ny} and the model's parameters)") from None
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{fn}: {nx} and {ny} must have the same number of rows, got "
                         f"{X.shape[0]} and {y.shape[0]}")
    if loss is not None and isinstance(loss, SoftmaxCrossEntropy):
        if not xp.isdtype(y.dtype, "integral"):
            raise TypeError(f"{fn}: {ny} must be integer class labels (int64) for "
                            f"SoftmaxCrossEntropy, got dtype {str(y.dtype).split('.')[-1]}")
        if y.ndim != 1:
            raise ValueError(f"{fn}: {ny} must be 1-D class labels (N,) for "
                             f"SoftmaxCrossEntropy, got shape {tuple(y.shape)}")
    return X, y


def _accuracy_counter(loss: Any) -> Callable[[Any, Any], Any] | None:
    """``count(out, y)`` -> 0-d int array of correct predictions, or None (no accuracy).

    Softmax CE: ``argmax(out) == y``. BCE: ``out > 0.5`` (probabilities) or ``> 0``
    (logits) against ``y``. MSE and unknown losses: None.
    """
    from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy

    if isinstance(loss, SoftmaxCrossEntropy):
        def count(out: Any, y: Any) -> Any:
            xp = B.namespace(out, y)
            hit = xp.argmax(out, axis=1) == xp.astype(y, xp.int64)
            return xp.sum(xp.astype(hit, xp.int64))
        return count
    if isinstance(loss, BinaryCrossEntropy):
        threshold = 0.0 if loss.from_logits else 0.5

        def count(out: Any, y: Any) -> Any:
            xp = B.namespace(out, y)
            pred = xp.reshape(out > threshold, (-1,))
            if xp.isdtype(y.dtype, "real floating"):
                truth = y > 0.5
            else:
                truth = y != 0
            hit = pred == xp.reshape(truth, (-1,))
            return xp.sum(xp.astype(hit, xp.int64))
        return count
    return None


def _n_targets(y: Any) -> int:
    """Number of scalar predictions in ``y`` (rows for labels, elements for BCE)."""
    n = 1
    for s in y.shape:
        n *= int(s)
    return n


# --------------------------------------------------------------------------- evaluate/predict
def evaluate(model: Any, loss: Any, X: Any, y: Any, batch_size: int = 256
             ) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in evaluation mode.

    Parameters
    ----------
    model : Sequential
    loss : loss object
    X : array, (N, D)
    y : array, (N,) labels or (N, K) targets
    batch_size : int
        Rows per forward pass (memory, not results).

    Returns
    -------
    loss : float
        Mean over the N rows.
    accuracy : float or None
        Fraction correct (argmax for softmax CE, threshold for BCE); None for MSE.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.losses import MSE
    >>> model = Sequential(Dense(2, 1, init="zeros"))
    >>> evaluate(model, MSE(), np.ones((4, 2)), np.ones((4, 1)))
    (1.0, None)
    """
    fn = "evaluate"
    _check_model(model, fn)
    _check_loss(loss, fn)
    X, y = _check_data(model, loss, X, y, fn, ("X", "y"))
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    counter = _accuracy_counter(loss)
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        total, correct = None, None
        for xb, yb in batches(X, y, bs, shuffle=False):
            out = model.forward(xb)
            value = loss.forward(out, yb) * xb.shape[0]
            total = value if total is None else total + value
            if counter is not None:
                c = counter(out, yb)
                correct = c if correct is None else correct + c
    finally:
        model.train(was_training)
    n = X.shape[0]
    acc = None if correct is None else int(correct) / _n_targets(y)
    return float(total) / n, acc


def predict(model: Any, X: Any, batch_size: int = 256) -> Any:
    """The model's outputs for ``X`` (N, D), in evaluation mode, batch by batch.

    Returns
    -------
    array, (N, C)
        Whatever the last layer gives (logits for a softmax-CE model: take
        ``argmax(axis=1)`` for classes), on the model's backend.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> predict(Sequential(Dense(3, 2, init="zeros")), np.ones((5, 3))).shape
    (5, 2)
    """
    fn = "predict"
    _check_model(model, fn)
    X = as_float_array(X, fn, "X", ndim=(2,))
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    xp = B.namespace(X, *[p.data for p in model.params], fn=fn)
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        outs = [model.forward(xb) for xb, _ in batches(X, None, bs, shuffle=False)]
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError(f"{fn}: X is empty (0 rows)")
    return outs[0] if len(outs) == 1 else xp.concat(outs, axis=0)


# --------------------------------------------------------------------------- fit
def _live_arrays(model: Any) -> dict[str, Any]:
    """The model's parameter and buffer arrays themselves (not copies), by key."""
    if hasattr(model, "named_params"):
        live = {k: p.data for k, p in model.named_params()}
    else:
        live = {str(i): p.data for i, p in enumerate(model.params)}
    live.update(model.buffers() if hasattr(model, "buffers") else {})
    return live


def _backward(model: Any, dout: Any) -> None:
    """The backward pass of a training step: parameter gradients only. A Sequential
    skips the gradient with respect to the data (its first Dense layer's ``dx``)."""
    if isinstance(model, Sequential):
        model.backward(dout, need_input_grad=False)
    else:
        model.backward(dout)


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print("fit: tqdm is not installed, so no progress bar (pip install tqdm)",
              file=sys.stderr)
        return None
    return tqdm(total=total, desc="fit", unit="step", leave=True)


def fit(model: Any, loss: Any, optimizer: Any, X: Any, y: Any, epochs: int = 10,
        batch_size: int = 32, *, rng: Any = None, validation: tuple[Any, Any] | None = None,
        schedule: Any = None, callbacks: Any = (), progress: bool = True,
        shuffle: bool = True, drop_last: bool = False) -> History:
    r"""Train ``model`` by mini-batch gradient descent; return the :class:`History`.

    Parameters
    ----------
    model : Sequential
    loss : loss object
        ``SoftmaxCrossEntropy()``, ``BinaryCrossEntropy(...)``, ``MSE()``...
    optimizer : dnnlib.optim.Optimizer
        Built on ``model.params``.
    X : array, (N, D)
        Floats, finite, on the model's backend.
    y : array, (N,) or (N, K)
        Integer labels for softmax CE; 0/1 (int or float) for BCE; floats for MSE.
    epochs : int
        Passes over the data (>= 0).
    batch_size : int
        Rows per step (>= 1); the last batch of an epoch holds the remainder.
    rng : numpy.random.Generator, int or None
        Shuffling order; a seed makes the run bit-for-bit reproducible (dropout draws
        from its own layer's ``rng``).
    validation : (X_val, y_val), optional
        Evaluated (eval mode) after every epoch: ``val_loss``, ``val_accuracy``.
    schedule : callable or float, optional
        ``schedule(t) -> lr`` set before step ``t`` (from 0, counted across epochs);
        e.g. :class:`dnnlib.optim.CosineAnnealing`.
    callbacks : sequence of Callback
    progress : bool
        A ``tqdm.auto`` bar (widget in Jupyter, text in a terminal); ``False`` for none.
    shuffle : bool
        Reshuffle each epoch (``False``: rows in order).
    drop_last : bool
        Skip the last, smaller batch of each epoch (as PyTorch's ``DataLoader``). Use it
        with :class:`~dnnlib.layers.BatchNorm1d`: a batch of 3 rows gives statistics so
        noisy that one step can undo an epoch (Chapter 8 shows it).

    Returns
    -------
    History
        ``steps["loss"]``, ``steps["lr"]`` per step; ``epochs["loss"]``,
        ``["accuracy"]``, ``["val_loss"]``, ``["val_accuracy"]`` per epoch.

    Raises
    ------
    TrainingDiverged
        When a step's loss is NaN or infinite; the model then holds the last weights
        that gave a finite loss (a copy is kept every step for this).

    Notes
    -----
    For each epoch, a permutation :math:`\pi` of the rows, and for each batch
    :math:`B \subset \pi`: :math:`\theta \leftarrow \text{update}(\theta,
    \nabla_\theta \tfrac{1}{|B|}\sum_{i\in B} L(f(x_i;\theta), y_i))` (Chapter 6).
    The loss is read back as a float once per step (one device synchronisation).

    Examples
    --------
    >>> import dnnlib as dl
    >>> from dnnlib.data import make_xor
    >>> from dnnlib.layers import Dense, Tanh
    >>> from dnnlib.losses import BinaryCrossEntropy
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.optim import Adam
    >>> X, y = make_xor(200, noise=0.1, rng=0)
    >>> model = Sequential(Dense(2, 8, rng=0), Tanh(), Dense(8, 1, rng=1))
    >>> h = fit(model, BinaryCrossEntropy(from_logits=True), Adam(model.params, lr=0.05),
    ...         X, y, epochs=30, batch_size=20, rng=0, progress=False)
    >>> h["accuracy"][-1]
    1.0
    """
    from .optim import Optimizer

    fn = "fit"
    _check_model(model, fn)
    _check_loss(loss, fn)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be a dnnlib.optim optimizer such as "
                        f"Adam(model.params), got {type(optimizer).__name__}")
    X, y = _check_data(model, loss, X, y, fn, ("X", "y"))
    n_epochs = check_int(epochs, fn, "epochs", minimum=0)
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    g = B.as_generator(rng, fn=fn)
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(f"{fn}: validation must be a pair (X_val, y_val), got "
                            f"{type(validation).__name__}")
        Xv, yv = _check_data(model, loss, validation[0], validation[1], fn,
                             ("validation X_val", "validation y_val"))
        if Xv.shape[1] != X.shape[1]:
            raise ValueError(f"{fn}: validation X_val has {Xv.shape[1]} features, X has "
                             f"{X.shape[1]}")
    sched = None if schedule is None else as_schedule(schedule, fn)
    callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"{fn}: callbacks[{i}] must be a dnnlib.train.Callback, got "
                            f"{type(cb).__name__}")
    for name, flag in (("progress", progress), ("shuffle", shuffle), ("drop_last", drop_last)):
        if not isinstance(flag, bool):
            raise TypeError(f"{fn}: {name} must be a bool, got {type(flag).__name__}")

    n = X.shape[0]
    if drop_last and bs > n:
        raise ValueError(f"{fn}: batch_size must be <= the number of rows ({n}) when "
                         f"drop_last=True (no step would run), got {bs}")
    n_used = n - n % bs if drop_last else n  # rows seen per epoch
    counter = _accuracy_counter(loss)
    history = History()
    history.epochs["loss"] = []
    if counter is not None:
        history.epochs["accuracy"] = []
    if validation is not None:
        history.epochs["val_loss"] = []
        if counter is not None:
            history.epochs["val_accuracy"] = []
    state = TrainState(model, loss, optimizer, history, has_validation=validation is not None,
                       has_accuracy=counter is not None)
    # The divergence guard: a copy of the last weights that gave a finite loss,
    # refreshed in place every step (one parameter-sized copy per step).
    live = _live_arrays(model)
    snapshot = {k: B.namespace(v).asarray(v, copy=True) for k, v in live.items()}
    was_training = getattr(model, "training", True)
    steps_per_epoch = n // bs if drop_last else math.ceil(n / bs)
    bar = _progress_bar(n_epochs * steps_per_epoch) if progress and n_epochs else None
    step, last_finite = 0, math.nan
    # Overflow on the way to a NaN loss is reported once, by TrainingDiverged, rather than
    # by NumPy's floating-point warnings at every operation (CuPy does not warn anyway).
    errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    errstate.__enter__()
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        for epoch in range(n_epochs):
            state.epoch = epoch
            model.train()
            loss_sum, correct = 0.0, None
            for xb, yb in batches(X, y, bs, shuffle=shuffle, rng=g, drop_last=drop_last):
                if sched is not None:
                    optimizer.lr = float(sched(step))
                optimizer.zero_grad()
                out = model.forward(xb)
                value = float(loss.forward(out, yb))  # the one host sync of the step
                if not math.isfinite(value):
                    model.load_state_dict(snapshot)
                    where = (f"the last finite loss was {last_finite:.6g} at step {step - 1}; "
                             f"the model holds the weights of that step"
                             if step else "it was the first step; the model holds its "
                                          "initial weights")
                    raise TrainingDiverged(
                        f"fit: the loss became {value} at step {step}, epoch {epoch} (both "
                        f"counted from 0); {where}. Hint: lower the learning rate (it was "
                        f"{optimizer.lr:g}), or standardise the inputs.",
                        step=step, epoch=epoch, loss=value, last_finite_loss=last_finite,
                        lr=optimizer.lr, history=history)
                for k, v in _live_arrays(model).items():
                    snapshot[k][...] = v
                last_finite = value
                _backward(model, loss.backward())
                optimizer.step()
                history.steps["loss"].append(value)
                history.steps["lr"].append(optimizer.lr)
                loss_sum += value * xb.shape[0]
                if counter is not None:
                    c = counter(out, yb)
                    correct = c if correct is None else correct + c
                state.step, state.loss, state.batch, state.output = step, value, (xb, yb), out
                for cb in callbacks:
                    cb.on_step_end(state)
                step += 1
                if bar is not None:
                    bar.update(1)
            logs = {"loss": loss_sum / n_used}
            if counter is not None:
                logs["accuracy"] = int(correct) / (_n_targets(y) // n * n_used)
            if validation is not None:
                vl, va = evaluate(model, loss, Xv, yv, batch_size=max(bs, 256))
                logs["val_loss"] = vl
                if va is not None:
                    logs["val_accuracy"] = va
            for k, v in logs.items():
                history.epochs[k].append(v)
            state.logs = logs
            for cb in callbacks:
                cb.on_epoch_end(state)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            if state.stop:
                history.stopped_epoch = epoch
                break
        for cb in callbacks:
            cb.on_train_end(state)
    finally:
        errstate.__exit__(None, None, None)
        if bar is not None:
            bar.close()
        model.train(was_training)
    return history
