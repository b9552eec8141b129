"""The mini-batch training loop of chapter 6: ``train_step``, ``train_epoch``, ``fit``.

One step is the five lines every chapter writes by hand, :func:`train_step`::

    optimizer.zero_grad()
    out = model.forward(X_batch)             # (N, C)
    value = loss.forward(out, y_batch)       # 0-d array
    model.backward(loss.backward())          # gradients accumulate in p.grad
    optimizer.step()                         # p.data updated in place

:func:`train_epoch` runs one step per mini-batch of a shuffled pass over the data, and
:func:`fit` runs epochs around it, with what a real run needs: inputs checked once,
at the door; shuffling from an explicit ``rng`` (a seeded run is bit-for-bit
reproducible); the last partial batch; a learning-rate ``schedule``; per-step and
per-epoch records (:class:`History`); validation; callbacks (:class:`EarlyStopping`,
:class:`Recorder`); a progress bar (``tqdm``, optional); a guard against divergence
(:class:`TrainingDiverged`); and an interrupt (Ctrl-C, the notebook's stop button) that
stops at a step boundary (:class:`TrainingInterrupted`). :func:`evaluate`,
:func:`predict` and the learning-rate range test :func:`lr_find` live here too.

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

import itertools
import math
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import backend as B
from ._validation import as_float_array, check_float, check_int
from .callbacks import (
    Callback,
    EarlyStopping,
    History,
    Recorder,
    TrainingDiverged,
    TrainingInterrupted,
    TrainState,
)
from .data import batches
from .layers import Layer
from .losses import Loss
from .model import Sequential, iter_layers, preserved
from .optim import Optimizer, as_schedule

__all__ = [
    "train_step",
    "train_epoch",
    "fit",
    "evaluate",
    "predict",
    "lr_find",
    "LRFindResult",
    "check_model",
    "check_loss",
    "check_data",
    "History",
    "TrainState",
    "TrainingDiverged",
    "TrainingInterrupted",
    "Callback",
    "EarlyStopping",
    "Recorder",
]


# --------------------------------------------------------------------------- the loop
def train_step(model: Any, loss: Any, optimizer: Any, xb: Any, yb: Any) -> tuple[float, Any]:
    r"""One step of mini-batch gradient descent on the batch ``(xb, yb)``.

    Parameters
    ----------
    model : Layer or Sequential
    loss : dnnlib.losses.Loss
    optimizer : dnnlib.optim.Optimizer
        Built on ``model.params``.
    xb : array, (N, D)
        A batch of inputs the model accepts (checked by a Sequential's ``forward``).
    yb : array, (N,) or (N, K)
        Its targets.

    Returns
    -------
    value : float
        The batch loss before the update.
    out : array
        The model's output on ``xb`` (for accuracy counts).

    Notes
    -----
    :math:`\theta \leftarrow \text{update}\bigl(\theta, \nabla_\theta L(f(x_B;\theta),
    y_B)\bigr)` (Chapter 6). A non-finite loss updates nothing: the gradients of a NaN
    would only spread it through the weights and the optimizer's state.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.losses import MSE
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.optim import SGD
    >>> model = Sequential(Dense(2, 1, init="zeros"))
    >>> value, out = train_step(model, MSE(), SGD(model.params, lr=0.1), np.ones((4, 2)),
    ...                         np.ones((4, 1)))
    >>> value, model.layers[0].b.data   # loss 1 at zero weights; b moved by lr * 2
    (1.0, array([0.2], dtype=float32))
    """
    optimizer.zero_grad()
    out = model.forward(xb)
    value = float(loss.forward(out, yb))        # the one device-to-host sync of the step
    if not math.isfinite(value):
        return value, out
    model.backward(loss.backward())
    optimizer.step()
    return value, out


def train_epoch(model: Any, loss: Any, optimizer: Any, X: Any, y: Any, batch_size: int = 32,
                *, rng: Any = None, shuffle: bool = True, drop_last: bool = False,
                on_step: Callable[[float, Any, Any, Any], None] | None = None
                ) -> dict[str, float]:
    """One pass over ``(X, y)`` in mini-batches, a :func:`train_step` for each.

    Parameters
    ----------
    model, loss, optimizer
        As for :func:`train_step`.
    X : array, (N, D)
    y : array, (N,) or (N, K)
    batch_size : int
        Rows per step; the last batch holds the remainder unless ``drop_last``.
    rng : numpy.random.Generator, int or None
        The order of the rows (with ``shuffle``).
    shuffle, drop_last : bool
        As for :func:`dnnlib.data.batches`.
    on_step : callable, optional
        ``on_step(value, out, xb, yb)`` after every step (``fit`` records and calls its
        callbacks there).

    Returns
    -------
    dict
        ``"loss"``: the mean batch loss over the epoch, weighted by batch size;
        ``"accuracy"``: the fraction of right predictions, when the loss defines one.

    Raises
    ------
    TrainingDiverged
        At the first non-finite loss; that step updated nothing.
    """
    total, rows, correct, predictions = 0.0, 0, None, 0
    for xb, yb in batches(X, y, batch_size, shuffle=shuffle, rng=rng, drop_last=drop_last):
        value, out = train_step(model, loss, optimizer, xb, yb)
        if not math.isfinite(value):
            raise TrainingDiverged(f"train_epoch: the loss became {value} at a step of this "
                                   f"epoch; that step updated nothing", loss=value)
        total += value * xb.shape[0]
        rows += xb.shape[0]
        counts = loss.count_correct(out, yb)
        if counts is not None:
            correct = counts[0] if correct is None else correct + counts[0]
            predictions += counts[1]
        if on_step is not None:
            on_step(value, out, xb, yb)
    logs = {"loss": total / rows if rows else math.nan}
    if correct is not None:
        logs["accuracy"] = int(correct) / predictions   # one sync per epoch
    return logs


# --------------------------------------------------------------------------- checks
def check_model(model: Any, fn: str) -> Layer:
    """``model`` if it is a dnnlib ``Layer`` (a ``Sequential`` or one layer), else TypeError."""
    if not isinstance(model, Layer):
        raise TypeError(f"{fn}: model must be a Sequential (or a Layer), got "
                        f"{type(model).__name__}")
    return model


def check_loss(loss: Any, fn: str) -> Loss:
    """``loss`` if it is a dnnlib loss object (an instance, not the class), else TypeError."""
    if not isinstance(loss, Loss):
        raise TypeError(f"{fn}: loss must be a loss object such as SoftmaxCrossEntropy() "
                        f"(note the parentheses), got {loss!r:.60}")
    return loss


def check_data(model: Any, loss: Any, X: Any, y: Any, fn: str,
               names: tuple[str, str] = ("X", "y")) -> tuple[Any, Any]:
    """``X`` and ``y`` checked once for a whole run, or a clear error naming ``fn``.

    ``X``: floats ``(N, D)``, ``N > 0``, finite, what the model accepts (cast to its
    dtype); ``y``: ``N`` rows on the same backend, the targets ``loss`` accepts
    (:meth:`~dnnlib.losses.Loss.check_targets`).
    """
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
    params = [p.data for p in model.params]
    try:
        B.namespace(X, y, *params, fn=fn)
    except TypeError as exc:
        raise TypeError(f"{exc} (here: {nx}, {ny} and the model's parameters)") from None
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{fn}: {nx} and {ny} must have the same number of rows, got "
                         f"{X.shape[0]} and {y.shape[0]}")
    y = loss.check_targets(y, fn, ny)
    X = model.check_input(X)
    return X, y


def _uses_batch_statistics(model: Any) -> bool:
    return any(layer.uses_batch_statistics for layer in iter_layers(model))


# --------------------------------------------------------------------------- evaluate/predict
_MODES = ("eval", "train")


def evaluate(model: Any, loss: Any, X: Any, y: Any, batch_size: int = 256, *,
             mode: str = "eval", rng: Any = 0) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``; the model is left as it was.

    Parameters
    ----------
    model : Sequential (or a Layer)
    loss : loss object
    X : array, (N, D)
    y : array, (N,) labels or (N, K) targets
    batch_size : int
        Rows per forward pass. In ``"eval"`` mode memory only, not results.
    mode : {"eval", "train"}
        ``"eval"``: evaluation mode (running statistics, no dropout), what deployment
        sees. ``"train"``: training mode, what training sees: each batch of
        ``batch_size`` rows (shuffled by ``rng``, a last partial batch dropped) is
        normalised with its own statistics and dropout draws masks; nothing is
        learned, and running statistics and random generators are restored after.
    rng : numpy.random.Generator or int
        The order of the rows in ``"train"`` mode.

    Returns
    -------
    loss : float
        Mean over the rows used.
    accuracy : float or None
        Fraction correct (argmax for softmax CE, threshold for BCE); None for MSE.

    Notes
    -----
    Chapter 8: in training mode the output for one example depends on the other
    examples of its batch, through the batch statistics; the gap between the two modes
    grows as the batches shrink.

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
    check_model(model, fn)
    check_loss(loss, fn)
    X, y = check_data(model, loss, X, y, fn)
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be 'eval' or 'train', got {mode!r}")
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    if mode == "train":
        if bs > X.shape[0]:
            raise ValueError(f"{fn}: batch_size must be <= the number of rows "
                             f"{X.shape[0]} in 'train' mode, got {bs}")
        _check_batch_statistics(model, bs, fn, "batch_size")
    return _evaluate(model, loss, X, y, bs, mode=mode, rng=B.as_generator(rng, fn=fn))


def _evaluate(model: Any, loss: Any, X: Any, y: Any, batch_size: int, *, mode: str = "eval",
              rng: Any = None) -> tuple[float, float | None]:
    """:func:`evaluate` on data already checked (``fit`` calls it every epoch)."""
    train = mode == "train"
    total, rows, correct, predictions = None, 0, None, 0
    with preserved(model, training=train):
        for xb, yb in batches(X, y, batch_size, shuffle=train, rng=rng, drop_last=train):
            out = model.forward(xb)
            value = loss.forward(out, yb) * xb.shape[0]    # stays on the device
            total = value if total is None else total + value
            rows += xb.shape[0]
            counts = loss.count_correct(out, yb)
            if counts is not None:
                correct = counts[0] if correct is None else correct + counts[0]
                predictions += counts[1]
    acc = None if correct is None else int(correct) / predictions
    return float(total) / rows, acc


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
    check_model(model, fn)
    X = as_float_array(X, fn, "X", ndim=(2,))
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    xp = B.namespace(X, *[p.data for p in model.params], fn=fn)
    if X.shape[0] == 0:
        raise ValueError(f"{fn}: X is empty (0 rows)")
    X = model.check_input(X)
    with preserved(model, training=False):
        outs = [model.forward(xb) for xb, _ in batches(X, None, bs, shuffle=False)]
    return outs[0] if len(outs) == 1 else xp.concat(outs, axis=0)


# --------------------------------------------------------------------------- fit
def _check_batch_statistics(model: Any, smallest: int, fn: str, what: str) -> None:
    """Batch statistics (BatchNorm in training mode) need two rows in every batch."""
    if smallest < 2 and _uses_batch_statistics(model):
        raise ValueError(f"{fn}: {what} gives a batch of {smallest} row, but the model "
                         "normalises with batch statistics (BatchNorm), which need at least 2")


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print("fit: tqdm is not installed, so no progress bar (pip install tqdm)",
              file=sys.stderr)
        return None
    return tqdm(total=total, desc="fit", unit="step", leave=True)


class _StopAtStepBoundary:
    """While active, a SIGINT (Ctrl-C, the notebook's stop button) sets ``requested``
    instead of raising, so that ``fit`` stops between two steps; a second SIGINT
    raises ``KeyboardInterrupt`` at once (for a step that never ends). Only the main
    thread receives signals: elsewhere this does nothing."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _StopAtStepBoundary:
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except (ValueError, OSError):  # embedded interpreters without signals
                self._installed = False
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


def fit(model: Any, loss: Any, optimizer: Any, X: Any, y: Any, epochs: int = 10,
        batch_size: int = 32, *, rng: Any = None, validation: tuple[Any, Any] | None = None,
        schedule: Any = None, callbacks: Any = (), progress: bool = True,
        shuffle: bool = True, drop_last: bool = False) -> History:
    r"""Train ``model`` by mini-batch gradient descent; return the :class:`History`.

    Parameters
    ----------
    model : Sequential (or a Layer)
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
        noisy that one step can undo an epoch (Chapter 8 shows it), and a batch of one
        row has none (``fit`` then refuses to start).

    Returns
    -------
    History
        ``steps["loss"]``, ``steps["lr"]`` per step; ``epochs["loss"]``,
        ``["accuracy"]``, ``["val_loss"]``, ``["val_accuracy"]`` per epoch.

    Raises
    ------
    TrainingDiverged
        When a step's loss is NaN or infinite; the model then holds the weights that
        gave the last finite loss (a copy is kept every step for this); ``.history``
        holds the records so far.
    TrainingInterrupted
        On Ctrl-C (SIGINT, the notebook's stop button): training stops at the next step
        boundary, so the model and the optimizer hold the state after a whole number of
        steps (``optimizer.step_count`` moved once per recorded step), and the
        exception's ``.history`` holds the records so far (in a notebook:
        ``import sys; sys.last_value.history``). A second Ctrl-C stops at once, even in
        the middle of a step. A subclass of ``KeyboardInterrupt``: a script still stops.

    Notes
    -----
    For each epoch, a permutation :math:`\pi` of the rows, and for each batch
    :math:`B \subset \pi`: :math:`\theta \leftarrow \text{update}(\theta,
    \nabla_\theta \tfrac{1}{|B|}\sum_{i\in B} L(f(x_i;\theta), y_i))` (Chapter 6):
    :func:`train_epoch`, then validation and callbacks. Inputs are checked once, here;
    the loop trusts them.

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
    fn = "fit"
    check_model(model, fn)
    check_loss(loss, fn)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be a dnnlib.optim optimizer such as "
                        f"Adam(model.params), got {type(optimizer).__name__}")
    X, y = check_data(model, loss, X, y, fn)
    n_epochs = check_int(epochs, fn, "epochs", minimum=0)
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    g = B.as_generator(rng, fn=fn)
    Xv = yv = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(f"{fn}: validation must be a pair (X_val, y_val), got "
                            f"{type(validation).__name__}")
        if B.is_array(validation[0]) and validation[0].ndim == 2 \
                and validation[0].shape[1] != X.shape[1]:
            raise ValueError(f"{fn}: validation X_val has {validation[0].shape[1]} features, "
                             f"X has {X.shape[1]}")
        Xv, yv = check_data(model, loss, validation[0], validation[1], fn,
                            ("validation X_val", "validation y_val"))
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
    if _uses_batch_statistics(model):  # BatchNorm: two rows or more in every batch
        _check_batch_statistics(model, min(bs, n), fn, f"batch_size={bs}")
        if not drop_last and n % bs == 1:
            raise ValueError(
                f"{fn}: with {n} rows and batch_size={bs} every epoch ends with a batch of "
                f"1 row, but BatchNorm needs at least 2 rows for its batch statistics; pass "
                f"drop_last=True (or change batch_size)")

    net = model if isinstance(model, Sequential) else Sequential(model)
    has_accuracy = loss.has_accuracy
    history = History()
    history.epochs["loss"] = []
    if has_accuracy:
        history.epochs["accuracy"] = []
    if validation is not None:
        history.epochs["val_loss"] = []
        if has_accuracy:
            history.epochs["val_accuracy"] = []
    state = TrainState(net, loss, optimizer, history, has_validation=validation is not None,
                       has_accuracy=has_accuracy)
    steps_per_epoch = n // bs if drop_last else math.ceil(n / bs)
    bar = _progress_bar(n_epochs * steps_per_epoch) if progress and n_epochs else None
    # The divergence guard: the model's arrays before the last two steps, refreshed in
    # place after every step (one parameter-sized copy per step).
    live = net.state_arrays()
    before = [{k: B.namespace(v).asarray(v, copy=True) for k, v in live.items()}
              for _ in range(2)]
    stop = _StopAtStepBoundary()
    step, last_finite = 0, math.nan

    def on_step(value: float, out: Any, xb: Any, yb: Any) -> None:
        nonlocal step, last_finite
        history.steps["loss"].append(value)
        history.steps["lr"].append(optimizer.lr)
        before.reverse()  # before[1]: the arrays before this step; before[0] <- now
        for k, v in live.items():
            before[0][k][...] = v
        last_finite = value
        state.step, state.loss, state.batch, state.output = step, value, (xb, yb), out
        for cb in callbacks:
            cb.on_step_end(state)
        step += 1
        if bar is not None:
            bar.update(1)
        if stop.requested:
            raise TrainingInterrupted(step=step, epoch=state.epoch, history=history)
        if sched is not None:
            optimizer.lr = float(sched(step))

    was_input_grad = net.needs_input_grad
    # Overflow on the way to a NaN loss is reported once, by TrainingDiverged, rather than
    # by NumPy's floating-point warnings at every operation (CuPy does not warn anyway).
    try:
        with stop, np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
                preserved(net, buffers=False, rngs=False):  # the caller's train/eval modes
            net.needs_input_grad = False  # nobody needs the gradient for the data
            for cb in callbacks:
                cb.on_train_begin(state)
            if sched is not None:
                optimizer.lr = float(sched(0))
            for epoch in range(n_epochs):
                state.epoch = epoch
                net.train()
                try:
                    logs = train_epoch(net, loss, optimizer, X, y, bs, rng=g, shuffle=shuffle,
                                       drop_last=drop_last, on_step=on_step)
                except TrainingDiverged as exc:
                    net.load_state_dict(before[1] if step else before[0])
                    where = (f"the last finite loss was {last_finite:.6g} at step {step - 1}; "
                             f"the model holds the weights of that step"
                             if step else "it was the first step; the model holds its "
                                          "initial weights")
                    raise TrainingDiverged(
                        f"fit: the loss became {exc.loss} at step {step}, epoch {epoch} "
                        f"(both counted from 0); {where}. Hint: lower the learning rate (it "
                        f"was {optimizer.lr:g}), or standardise the inputs.",
                        step=step, epoch=epoch, loss=exc.loss, last_finite_loss=last_finite,
                        lr=optimizer.lr, history=history) from None
                if validation is not None:
                    vl, va = _evaluate(net, loss, Xv, yv, max(bs, 256))
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
                if stop.requested:
                    raise TrainingInterrupted(step=step, epoch=epoch, history=history)
                if state.stop:
                    history.stopped_epoch = epoch
                    break
            for cb in callbacks:
                cb.on_train_end(state)
    except KeyboardInterrupt as exc:
        if isinstance(exc, TrainingInterrupted):
            raise
        raise TrainingInterrupted(step=step, epoch=state.epoch, history=history,
                                  mid_step=True) from None
    finally:
        net.needs_input_grad = was_input_grad
        if bar is not None:
            bar.close()
    return history


# --------------------------------------------------------------------------- lr_find
@dataclass
class LRFindResult:
    """What :func:`lr_find` measured.

    Attributes
    ----------
    rates : numpy.ndarray, (K,)
        The learning rates tried, growing geometrically.
    losses : numpy.ndarray, (K,)
        The training loss of the mini-batch at each rate.
    smoothed : numpy.ndarray, (K,)
        ``losses`` smoothed by a bias-corrected exponential moving average.
    suggested_lr : float
        The rate where the smoothed loss falls fastest (steepest negative slope
        against :math:`\\log\\eta`).
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float


def _cycled_batches(X: Any, y: Any, batch_size: int, rng: Any) -> Iterable[tuple[Any, Any]]:
    """Shuffled mini-batches, epoch after epoch, without end."""
    while True:
        yield from batches(X, y, batch_size, rng=rng)


def lr_find(model: Any, loss: Any, optimizer: Optimizer, X: Any, y: Any, *,
            start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100,
            batch_size: int = 32, rng: Any = None, smoothing: float = 0.98,
            diverge_factor: float = 4.0) -> LRFindResult:
    r"""Learning-rate range test: train briefly while the rate grows, watch the loss.

    Parameters
    ----------
    model : Sequential
        The network (its weights, buffers and modes are restored afterwards).
    loss : loss object
        With ``forward(out, y)`` and ``backward()``.
    optimizer : Optimizer
        Drives the updates (its state and rate are restored afterwards).
    X : array, (N, D)
    y : array, (N,) or (N, C)
    start_lr, end_lr : float
        The sweep's first and last rates, ``0 < start_lr < end_lr``.
    num_steps : int
        Number of mini-batch steps (>= 2).
    batch_size : int
        Mini-batch size (the data is shuffled with ``rng`` and cycled).
    rng : numpy.random.Generator, int or None
        Shuffling.
    smoothing : float
        Decay rate :math:`\beta \in [0, 1)` of the exponential moving average that
        smooths the curve.
    diverge_factor : float
        Stop early when the smoothed loss exceeds this multiple of its minimum.

    Returns
    -------
    LRFindResult

    Notes
    -----
    The exponential sweep of the fastai library (Howard & Gugger, 2020), a variant of
    the range test of Smith (2017), whose rate grows linearly over a few epochs
    (Chapter 4): step :math:`\tau = 0, \dots, K - 1` uses
    :math:`\eta_\tau = \eta_{\text{lo}} (\eta_{\text{hi}}/\eta_{\text{lo}})^{\tau/(K-1)}`
    (``start_lr``, ``end_lr``, ``num_steps``). With :math:`\ell_\tau` the mini-batch loss of
    step :math:`\tau`, the smoothed loss is :math:`s_\tau = a_\tau / (1-\beta^{\tau+1})`,
    where :math:`a_\tau = \beta a_{\tau-1} + (1-\beta)\ell_\tau` (:math:`a_{-1} = 0`) is the
    moving average and the division corrects its bias towards 0, as Adam does. The sweep
    stops once :math:`s_\tau` exceeds ``diverge_factor`` times its minimum (or the loss
    is not finite); the suggestion is the rate where :math:`ds/d\log\eta` is most
    negative, between the noisy first tenth of the sweep and the minimum of :math:`s`.

    Examples
    --------
    >>> import numpy as np
    >>> import dnnlib as dl
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.losses import MSE
    >>> from dnnlib.optim import SGD
    >>> g = np.random.default_rng(0)
    >>> X = dl.backend.asarray(g.normal(size=(64, 3)))
    >>> y = X @ dl.backend.asarray([[1.0], [2.0], [-1.0]])
    >>> model = Sequential(Dense(3, 1, rng=0))
    >>> res = lr_find(model, MSE(), SGD(model.params, lr=0.1), X, y, num_steps=30, rng=0)
    >>> 1e-7 <= res.suggested_lr <= 10
    True
    """
    fn = "lr_find"
    lo = check_float(start_lr, fn, "start_lr", low=0.0, low_open=True)
    hi = check_float(end_lr, fn, "end_lr", low=0.0, low_open=True)
    if hi <= lo:
        raise ValueError(f"{fn}: end_lr must be > start_lr, got start_lr={start_lr!r}, "
                         f"end_lr={end_lr!r}")
    k_total = check_int(num_steps, fn, "num_steps", minimum=2)
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    beta = check_float(smoothing, fn, "smoothing", low=0.0, high=1.0, high_open=True)
    factor = check_float(diverge_factor, fn, "diverge_factor", low=1.0, low_open=True)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be a dnnlib.optim.Optimizer, "
                        f"got {type(optimizer).__name__}")
    check_model(model, fn)
    check_loss(loss, fn)
    X, y = check_data(model, loss, X, y, fn)
    g = B.as_generator(rng, fn=fn)

    saved_opt = optimizer.state_dict()  # copies
    rates, losses, smoothed = [], [], []
    avg, best = 0.0, math.inf
    try:
        with preserved(model, training=True, params=True), \
                np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            batch_stream = itertools.islice(_cycled_batches(X, y, bs, g), k_total)
            for k, (xb, yb) in enumerate(batch_stream):
                lr = lo * (hi / lo) ** (k / (k_total - 1))
                optimizer.lr = lr
                value, _ = train_step(model, loss, optimizer, xb, yb)
                if not math.isfinite(value):
                    break
                avg = beta * avg + (1 - beta) * value
                s = avg / (1 - beta ** (k + 1))
                rates.append(lr)
                losses.append(value)
                smoothed.append(s)
                best = min(best, s)
                if s > factor * best:
                    break
    finally:
        optimizer.load_state_dict(saved_opt)
    r, sm = np.asarray(rates), np.asarray(smoothed)
    if len(r) >= 3:
        # steepest descent of the smoothed curve, between the noisy first tenth of the
        # sweep and the curve's minimum after it (past it the loss is blowing up)
        slope = np.gradient(sm, np.log(r))
        start = max(1, len(r) // 10)
        stop = start + int(np.argmin(sm[start:])) + 1
        if stop - start < 2:
            start, stop = 0, len(r)
        suggested = float(r[start + int(np.argmin(slope[start:stop]))])
    elif len(r):
        suggested = float(r[0])
    else:
        raise ValueError(f"{fn}: the loss was not finite even at start_lr={lo!r}")
    return LRFindResult(rates=r, losses=np.asarray(losses), smoothed=sm,
                        suggested_lr=suggested)
