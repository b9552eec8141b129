r"""Measurements of a network's inner life: gradients, activations, dead units.

Chapter 2 uses these to *measure* what the equations predict: the gradient reaching
the first layers of a deep sigmoid network shrinks layer after layer (vanishing
gradients), and ReLU units pushed to the negative side for every input stop
learning for good (dead units). They are plain functions a reader can call on any
:class:`~dnnlib.model.Sequential` model, at initialisation or inside a training loop
(for example from a :class:`~dnnlib.train.Recorder` callback).

* :func:`gradient_norms_by_layer` - the norm of :math:`\partial\mathcal{L}/\partial
  W^{[l]}` (or of :math:`\partial\mathcal{L}/\partial Z^{[l]}`) for every ``Dense``
  layer, on one batch.
* :func:`activations_by_layer` - the output of every activation layer on a batch
  (host arrays, for histograms and saturation counts).
* :func:`dead_units` - per ReLU-family layer, how many units never fire on a batch.

Rules every function here follows:

* **No side effects on the model.** Training/evaluation mode, buffers, random
  generators and the parameters' ``.grad`` arrays are what they were before the call
  (:func:`dnnlib.model.preserved`; the layers' forward caches are overwritten, as by
  any forward pass).
* **Any backend.** Computation stays on the model's backend; only the small
  results (floats, counts, the arrays of :func:`activations_by_layer`) come back
  to the host.
* **Layers are found by type**, in the order of a depth-first walk of the model
  (nested ``Sequential`` models included), so the ``k``-th entry of a result is
  the ``k``-th ``Dense`` (or activation) layer from the input.

Later chapters may add measurements here (statistics through depth, variance of
activations at initialisation...). Keep to the same conventions: take the model
and a batch, leave the model as it was, return host numbers.

Examples
--------
>>> import numpy as np
>>> from dnnlib.layers import Dense, ReLU
>>> from dnnlib.losses import MSE
>>> from dnnlib.model import Sequential
>>> model = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 1, rng=1))
>>> X = np.random.default_rng(0).normal(size=(8, 3))
>>> gradient_norms_by_layer(model, MSE(), X, np.zeros((8, 1))).shape
(2,)
>>> dead_units(model, X).tolist()
[0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend as B
from ..layers import Activation, Dense, Layer, LeakyReLU, ReLU
from ..model import iter_layers, preserved

__all__ = [
    "iter_layers",  # dnnlib.model's, re-exported (this module's home before)
    "gradient_norms_by_layer",
    "activations_by_layer",
    "dead_units",
]

#: Activation layers whose units can be "dead" (zero output slope for negative inputs).
RELU_FAMILY = (ReLU, LeakyReLU)


# --------------------------------------------------------------------------- helpers
def _check_model(model: Any, X: Any, fn: str) -> Any:
    """The model checked, and ``X`` through its door (the layers' ``forward`` trusts it)."""
    if not isinstance(model, Layer):
        raise TypeError(f"diagnostics.{fn}: model must be a dnnlib Layer or Sequential, got "
                        f"{type(model).__name__}")
    return model.check_input(X)


def _norm(a: Any) -> float:
    """The Frobenius (Euclidean) norm of an array of any backend, as a Python float."""
    xp = B.namespace(a, fn="diagnostics")
    a = xp.astype(a, xp.float64)  # no float32 overflow of the sum of squares
    return math.sqrt(float(xp.sum(a * a)))


# --------------------------------------------------------------------------- gradients
def gradient_norms_by_layer(model: Any, loss: Any, X: Any, y: Any, *, which: str = "weights",
                            training: bool | None = None) -> np.ndarray:
    r"""The size of the gradient that reaches each ``Dense`` layer, on one batch.

    Runs one forward pass, the loss and one backward pass, and measures, for each
    ``Dense`` layer :math:`l = 1, \dots, L` from the input,

    * ``which="weights"``: :math:`\lVert \partial\mathcal{L} / \partial W^{[l]}
      \rVert_F`, the norm of the weight gradient (what the optimiser uses);
    * ``which="outputs"``: :math:`\lVert \partial\mathcal{L} / \partial Z^{[l]}
      \rVert_F`, the norm of the gradient arriving at the layer's pre-activations
      (the "error signal" :math:`\delta^{[l]}` of chapter 5, before it is multiplied
      by the layer's input).

    The parameters' ``.grad`` arrays are restored afterwards, so the call can sit
    inside a training loop without disturbing it.

    Parameters
    ----------
    model : Sequential
        The network (nested ``Sequential`` models are walked through).
    loss : dnnlib.losses.Loss
        ``BinaryCrossEntropy()``, ``SoftmaxCrossEntropy()``, ``MSE()``...
    X : array, (N, D)
        A batch of inputs on the model's backend (NumPy arrays are fine on NumPy).
    y : array
        The targets ``loss.forward`` expects for this batch.
    which : {"weights", "outputs"}
        What to measure (see above).
    training : bool or None
        Mode for the measurement (``None``: the model's current mode); the mode is
        restored afterwards.

    Returns
    -------
    numpy.ndarray of float64, shape (L,)
        One norm per ``Dense`` layer, the first layer first.

    Notes
    -----
    Chapter 2 derives why these norms shrink through saturating activations: the
    gradient at layer :math:`l` is the one at layer :math:`l + 1`, multiplied by
    :math:`W^{[l+1]\top}` and by :math:`g'(Z^{[l]})` elementwise,

    .. math:: \delta^{[l]} = \bigl(\delta^{[l+1]}\, W^{[l+1]\top}\bigr) \odot g'\bigl(Z^{[l]}\bigr),
              \qquad \frac{\partial\mathcal{L}}{\partial W^{[l]}} = A^{[l-1]\top} \delta^{[l]},

    and :math:`\sigma' \le 1/4`. See Chapter 2 (and Chapter 5 for the backward pass).

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense, Sigmoid
    >>> from dnnlib.losses import BinaryCrossEntropy
    >>> from dnnlib.model import Sequential
    >>> layers = []
    >>> for i in range(6):
    ...     layers += [Dense(4, 4, init="glorot", rng=i), Sigmoid()]
    >>> model = Sequential(*layers, Dense(4, 1, rng=9))
    >>> X = np.random.default_rng(0).normal(size=(32, 4))
    >>> y = (X[:, 0] > 0).astype(np.float64)
    >>> norms = gradient_norms_by_layer(model, BinaryCrossEntropy(from_logits=True), X, y)
    >>> bool(norms[0] < norms[-1] / 100)   # the first layer gets a far smaller gradient
    True
    """
    fn = "gradient_norms_by_layer"
    X = _check_model(model, X, fn)
    if which not in ("weights", "outputs"):
        raise ValueError(f"diagnostics.{fn}: which must be 'weights' or 'outputs', got {which!r}")
    if training is not None and not isinstance(training, bool):
        raise TypeError(f"diagnostics.{fn}: training must be a bool or None, got "
                        f"{type(training).__name__}")
    if not callable(getattr(loss, "forward", None)) or not callable(getattr(loss, "backward",
                                                                            None)):
        raise TypeError(f"diagnostics.{fn}: loss must be a dnnlib loss object such as "
                        f"BinaryCrossEntropy(), got {type(loss).__name__}")
    layers = list(iter_layers(model))
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if not dense:
        raise ValueError(f"diagnostics.{fn}: the model has no Dense layer")
    norms = []
    with preserved(model, training=training, grads=True):
        model.zero_grad()
        out = X
        for layer in layers:
            out = layer.forward(out)
        loss.forward(out, y)
        dout = loss.backward()
        for layer in reversed(layers):
            if isinstance(layer, Dense) and which == "outputs":
                norms.insert(0, _norm(dout))
            dout = layer.backward(dout)
        if which == "weights":
            norms = [_norm(layer.W.grad) for layer in dense]
    return np.asarray(norms, dtype=np.float64)


# --------------------------------------------------------------------------- activations
def activations_by_layer(model: Any, X: Any, *, training: bool | None = False
                         ) -> list[np.ndarray]:
    r"""The output :math:`A^{[l]} = g(Z^{[l]})` of every activation layer, on one batch.

    Parameters
    ----------
    model : Sequential
    X : array, (N, D)
        A batch of inputs on the model's backend.
    training : bool or None
        Mode for the forward pass (default: evaluation mode; ``None``: the current
        mode); restored afterwards.

    Returns
    -------
    list of numpy.ndarray, each (N, n_l)
        One host array per activation layer (ReLU, LeakyReLU, Sigmoid, Tanh...), the
        first hidden layer first.

    Notes
    -----
    A sigmoid unit is *saturated* where :math:`\sigma(z)` is close to 0 or 1; there
    :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))` is close to 0 and little gradient
    passes. See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense, Tanh
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dense(2, 5, rng=0), Tanh(), Dense(5, 1, rng=1))
    >>> [a.shape for a in activations_by_layer(model, np.ones((3, 2)))]
    [(3, 5)]
    """
    fn = "activations_by_layer"
    X = _check_model(model, X, fn)
    layers = list(iter_layers(model))
    outs = []
    with preserved(model, training=training):
        out = X
        for layer in layers:
            out = layer.forward(out)
            if isinstance(layer, Activation):
                outs.append(B.to_numpy(out))
    return outs


def dead_units(model: Any, X: Any, *, training: bool | None = False) -> np.ndarray:
    r"""Per ReLU-family layer, the number of units that never fire on the batch ``X``.

    A unit of a ``ReLU`` (or ``LeakyReLU``) layer is counted when its pre-activation
    is :math:`z \le 0` for **every** example of ``X``. For a ReLU such a unit
    outputs 0 and, since :math:`\operatorname{ReLU}'(z) = 0` there, passes no
    gradient to its weights: on this data it is *dead*, and gradient descent cannot
    revive it. A LeakyReLU unit in the same state still has slope :math:`\epsilon`
    and keeps learning; it is counted all the same, so the two can be compared.

    Parameters
    ----------
    model : Sequential
    X : array, (N, D)
        The inputs to test (typically the whole training set).
    training : bool or None
        Mode for the forward pass (default: evaluation mode); restored afterwards.

    Returns
    -------
    numpy.ndarray of int64, shape (number of ReLU-family layers,)
        The first hidden layer first. Divide by the layer widths for fractions.

    Notes
    -----
    Unit :math:`j` of layer :math:`l` is dead on :math:`X` when
    :math:`\max_n Z^{[l]}_{nj} \le 0`; then
    :math:`\partial\mathcal{L}/\partial w_j^{[l]} = \sum_n \delta_{nj}\, a_n^{[l-1]} = 0`.
    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense, ReLU
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    >>> model.layers[0].b.data[:] = [-100.0, 0.0, 0.0]   # unit 0 can never fire
    >>> dead_units(model, np.random.default_rng(0).normal(size=(50, 2))).tolist()
    [1]
    """
    fn = "dead_units"
    X = _check_model(model, X, fn)
    layers = list(iter_layers(model))
    counts = []
    with preserved(model, training=training):
        out = X
        for layer in layers:
            if isinstance(layer, RELU_FAMILY):
                z = B.asarray(out) if not B.is_array(out) else out
                xp = B.namespace(z, fn=f"diagnostics.{fn}")
                z2 = xp.reshape(z, (-1, z.shape[-1])) if z.ndim != 1 else xp.reshape(z, (1, -1))
                fires = xp.any(z2 > 0, axis=0)
                counts.append(int(xp.sum(xp.astype(~fires, xp.int64))))
            out = layer.forward(out)
    return np.asarray(counts, dtype=np.int64)
