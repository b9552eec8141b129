r"""What each layer's nonlinearity sees during training (chapter 8, batch normalization).

Chapter 8 asks how the distribution of the **pre-activations** (the inputs of the
nonlinearities) changes while a network trains, with and without batch
normalization, and how a batch-normalized network behaves differently in training
mode (batch statistics) and in evaluation mode (running statistics). The tools:

* :func:`preactivations_by_layer` - the input of every activation layer (or the output
  of every ``Dense`` layer) on one batch, as host arrays;
* :class:`PreActivationMonitor` - a :class:`~dnnlib.train.Callback` for
  :func:`~dnnlib.train.fit` that records them on a fixed probe batch before training
  and then every epoch (or every ``k`` steps), with percentiles and moments per
  record;
* :func:`evaluate_train_mode` - loss and accuracy with the batch statistics of
  mini-batches of a given size (what training sees), to compare with
  :func:`~dnnlib.train.evaluate` (running statistics, what deployment sees); it is
  ``evaluate(..., mode="train")``.

Like :mod:`dnnlib.lab.diagnostics`, every function leaves the model as it found it: the
training/evaluation mode of every layer, the running statistics of ``BatchNorm1d``
layers and the random generators of ``Dropout`` layers are restored
(:func:`dnnlib.model.preserved`; forward caches are overwritten, as by any forward
pass).

Examples
--------
>>> import numpy as np
>>> from dnnlib.layers import BatchNorm1d, Dense, ReLU
>>> from dnnlib.model import Sequential
>>> model = Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), ReLU(), Dense(4, 2, rng=1))
>>> X = np.random.default_rng(0).normal(size=(16, 3))
>>> [z.shape for z in preactivations_by_layer(model, X)]
[(16, 4)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend as B
from .._validation import as_float_array, check_int
from ..layers import Activation, Dense, Layer
from ..model import iter_layers, preserved
from ..train import Callback, TrainState, evaluate

__all__ = ["preactivations_by_layer", "PreActivationMonitor", "evaluate_train_mode"]

_WHERE = ("activation", "dense")


def _check_model(model: Any, fn: str) -> None:
    if not isinstance(model, Layer):
        raise TypeError(f"monitors.{fn}: model must be a dnnlib Layer or Sequential, got "
                        f"{type(model).__name__}")


def _check_where(where: Any, fn: str) -> str:
    if where not in _WHERE:
        raise ValueError(f"monitors.{fn}: where must be one of {_WHERE}, got {where!r}")
    return where


def preactivations_by_layer(model: Any, X: Any, *, training: bool | None = True,
                            where: str = "activation") -> list[np.ndarray]:
    r"""The pre-activations of every layer on the batch ``X``, as host arrays.

    Parameters
    ----------
    model : Sequential
        Nested ``Sequential`` models are walked through.
    X : array, (N, D)
        A batch on the model's backend.
    training : bool or None
        Mode of the forward pass: ``True`` (default) normalizes with the batch
        statistics of ``X``, as training does; ``False`` uses the running statistics;
        ``None`` keeps the model's mode. Running statistics are **not** updated.
    where : {"activation", "dense"}
        ``"activation"``: the input of every activation layer (``ReLU``, ``Tanh``...),
        the :math:`z` that the nonlinearity :math:`g(z)` sees: the ``Dense`` output in
        a plain network, the ``BatchNorm1d`` output when batch normalization sits
        between them. ``"dense"``: the output :math:`Z^{[l]} = A^{[l-1]} W^{[l]} +
        b^{[l]}` of every ``Dense`` layer, the last (output) layer included.

    Returns
    -------
    list of numpy.ndarray, each (N, n_l)
        The first layer first.

    Notes
    -----
    Chapter 8. With batch normalization before the nonlinearity, the activation
    input of unit :math:`j` is :math:`\gamma_j \hat z_j + \beta_j`: whatever the
    weights do, in training mode its mean over the batch is :math:`\beta_j` and its
    standard deviation :math:`\gamma_j` (up to :math:`\epsilon`).

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import BatchNorm1d, Dense, Tanh
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3), Tanh(), Dense(3, 1, rng=1))
    >>> X = np.random.default_rng(1).normal(size=(50, 2))
    >>> z = preactivations_by_layer(model, X)[0]
    >>> np.round(z.mean(axis=0), 3) + 0.0, np.round(z.std(axis=0), 3)
    (array([0., 0., 0.], dtype=float32), array([1., 1., 1.], dtype=float32))
    >>> len(preactivations_by_layer(model, X, where="dense"))
    2
    """
    fn = "preactivations_by_layer"
    _check_model(model, fn)
    where = _check_where(where, fn)
    if training is not None and not isinstance(training, bool):
        raise TypeError(f"monitors.{fn}: training must be a bool or None, got "
                        f"{type(training).__name__}")
    X = model.check_input(as_float_array(X, f"monitors.{fn}", "X", ndim=(2,)))
    layers = list(iter_layers(model))
    outs: list[np.ndarray] = []
    with preserved(model, training=training):
        out = X
        for layer in layers:
            if where == "activation" and isinstance(layer, Activation):
                outs.append(B.to_numpy(out))
            out = layer.forward(out)
            if where == "dense" and isinstance(layer, Dense):
                outs.append(B.to_numpy(out))
    return outs


class PreActivationMonitor(Callback):
    r"""Record every layer's pre-activations on a fixed probe batch while :func:`fit` trains.

    Parameters
    ----------
    X : array, (N, D)
        The probe batch (for example 256 training examples), on the model's backend.
    every : int or None
        ``None`` (default): record before the first step and after every epoch.
        ``k``: record before the first step and after every ``k``-th step.
    training : bool
        Measure with batch statistics (``True``, what training sees) or running
        statistics (``False``); see :func:`preactivations_by_layer`.
    where : {"activation", "dense"}
        What to record; see :func:`preactivations_by_layer`.

    Attributes
    ----------
    steps : list of int
        Optimizer steps completed at each record (0 for the record before training).
    epochs : list of int
        Epochs completed at each record.
    values : list of list of numpy.ndarray
        ``values[r][l]``: record ``r``, layer ``l``, shape ``(N, n_l)``.

    Notes
    -----
    Chapter 8 reproduces with it the measurement of Ioffe & Szegedy (2015, figure 1):
    the 15th, 50th and 85th percentiles of a layer's pre-activations during training,
    with and without batch normalization. The model is left as found at every record
    (see :func:`preactivations_by_layer`), so the monitor does not change training.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.data import make_moons
    >>> from dnnlib.layers import Dense, ReLU
    >>> from dnnlib.losses import SoftmaxCrossEntropy
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.optim import SGD
    >>> from dnnlib.train import fit
    >>> X, y = make_moons(64, rng=0)
    >>> model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 2, rng=1))
    >>> monitor = PreActivationMonitor(X)
    >>> _ = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=3,
    ...         batch_size=16, rng=0, progress=False, callbacks=[monitor])
    >>> monitor.epochs, monitor.steps, monitor.values[0][0].shape
    ([0, 1, 2, 3], [0, 4, 8, 12], (64, 8))
    >>> monitor.percentiles([50], layer=0).shape
    (4, 1)
    """

    def __init__(self, X: Any, *, every: int | None = None, training: bool = True,
                 where: str = "activation") -> None:
        fn = "PreActivationMonitor"
        self.X = as_float_array(X, fn, "X", ndim=(2,))
        self.every = None if every is None else check_int(every, fn, "every", minimum=1)
        if not isinstance(training, bool):
            raise TypeError(f"{fn}: training must be a bool, got {type(training).__name__}")
        self.training = training
        self.where = _check_where(where, fn)
        self.steps: list[int] = []
        self.epochs: list[int] = []
        self.values: list[list[np.ndarray]] = []

    def _record(self, state: TrainState, steps: int, epochs: int) -> None:
        self.steps.append(steps)
        self.epochs.append(epochs)
        self.values.append(preactivations_by_layer(state.model, self.X, training=self.training,
                                                   where=self.where))

    def on_train_begin(self, state: TrainState) -> None:
        self.steps, self.epochs, self.values = [], [], []
        self._record(state, 0, 0)

    def on_step_end(self, state: TrainState) -> None:
        if self.every is not None and (state.step + 1) % self.every == 0:
            self._record(state, state.step + 1, state.epoch)

    def on_epoch_end(self, state: TrainState) -> None:
        if self.every is None:
            self._record(state, state.step + 1, state.epoch + 1)

    def __len__(self) -> int:
        return len(self.values)

    def _check_layer(self, layer: int, fn: str) -> int:
        if not self.values:
            raise ValueError(f"PreActivationMonitor.{fn}: nothing recorded yet (pass the "
                             "monitor to fit(..., callbacks=[monitor]))")
        n = len(self.values[0])
        layer = check_int(layer, f"PreActivationMonitor.{fn}", "layer", minimum=-n)
        if layer >= n:
            raise ValueError(f"PreActivationMonitor.{fn}: layer must be in [-{n}, {n - 1}], "
                             f"got {layer}")
        return layer

    def percentiles(self, q: Sequence[float] = (15, 50, 85), *, layer: int = -1,
                    unit: int | None = None) -> np.ndarray:
        """Percentiles ``q`` of layer ``layer``'s pre-activations at each record.

        ``unit=None`` pools every unit of the layer; an int picks one unit.
        Returns an array of shape ``(records, len(q))``.
        """
        layer = self._check_layer(layer, "percentiles")
        rows = []
        for rec in self.values:
            z = rec[layer] if unit is None else rec[layer][:, unit]
            rows.append(np.percentile(z, list(q)))
        return np.asarray(rows, dtype=np.float64)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of every layer's pre-activations (all units pooled).

        Returns two arrays of shape ``(records, layers)``.
        """
        self._check_layer(0, "moments")
        means = np.asarray([[float(np.mean(z)) for z in rec] for rec in self.values])
        stds = np.asarray([[float(np.std(z)) for z in rec] for rec in self.values])
        return means, stds


def evaluate_train_mode(model: Any, loss: Any, X: Any, y: Any, batch_size: int, *,
                        rng: Any = 0) -> tuple[float, float | None]:
    r"""Mean loss and accuracy of ``model`` in **training mode**, batch by batch.

    Each mini-batch of ``batch_size`` rows (shuffled from ``rng``; a last partial batch
    is dropped) is normalized with its own statistics, as during training, but
    nothing is learned and nothing is updated: running statistics and dropout
    generators are restored afterwards. Compare with :func:`dnnlib.train.evaluate`,
    which uses the running statistics.

    Parameters
    ----------
    model : Sequential
    loss : loss object
        ``SoftmaxCrossEntropy()``, ``BinaryCrossEntropy(...)``...
    X : array, (N, D)
    y : array, (N,) or (N, K)
    batch_size : int
        Rows per batch, ``2 <= batch_size <= N`` (batch normalization needs two rows).
    rng : numpy.random.Generator or int
        The order of the rows.

    Returns
    -------
    loss : float
        Mean over the rows used.
    accuracy : float or None
        ``None`` for a loss without accuracy (MSE).

    Notes
    -----
    Chapter 8: in training mode the output for one example depends on the other
    examples of its batch, through :math:`\mu_\mathcal{B}` and
    :math:`\sigma^2_\mathcal{B}`; the gap between this and :func:`~dnnlib.train.evaluate`
    grows as the batches shrink.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import BatchNorm1d, Dense
    >>> from dnnlib.losses import MSE
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3), Dense(3, 1, rng=1))
    >>> X = np.random.default_rng(0).normal(size=(8, 2))
    >>> loss, acc = evaluate_train_mode(model, MSE(), X, np.zeros((8, 1)), batch_size=4)
    >>> acc is None, model.layers[1].running_mean.tolist()   # buffers untouched
    (True, [0.0, 0.0, 0.0])
    """
    fn = "evaluate_train_mode"
    bs = check_int(batch_size, fn, "batch_size", minimum=2)
    return evaluate(model, loss, X, y, bs, mode="train", rng=rng)
