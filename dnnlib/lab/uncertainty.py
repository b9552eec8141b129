r"""Predictive uncertainty from dropout: Monte-Carlo dropout (chapter 7).

A network trained with dropout is usually evaluated with dropout switched off
(``model.eval()``): one deterministic prediction per input. Gal and Ghahramani (2016)
read dropout training as approximate Bayesian inference and suggest keeping the
masks **on** at prediction time: ``T`` forward passes with independent masks give
``T`` different predictions, whose mean is the prediction and whose spread measures
how much the sampled subnetworks disagree.

* :func:`mc_dropout_predict` - the ``T`` stochastic predictions for a batch, with the
  masks drawn from an explicit ``rng`` and the model left exactly as it was.

Examples
--------
>>> import numpy as np
>>> from dnnlib.layers import Dense, Dropout, ReLU
>>> from dnnlib.model import Sequential
>>> model = Sequential(Dense(2, 16, rng=0), ReLU(), Dropout(0.5, rng=1), Dense(16, 1, rng=2))
>>> samples = mc_dropout_predict(model, np.ones((4, 2)), n_samples=30, rng=0)
>>> samples.shape                    # (n_samples, N, outputs)
(30, 4, 1)
>>> bool(np.all(samples.std(axis=0) > 0)), model.training
(True, True)
"""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_int
from ..layers import Dropout, Layer
from ..model import iter_layers, preserved

__all__ = ["mc_dropout_predict"]


def mc_dropout_predict(model: Any, X: Any, n_samples: int = 50, rng: Any = None) -> Any:
    r"""``n_samples`` predictions of ``model`` on ``X`` with dropout switched on.

    Every layer runs in evaluation mode (BatchNorm uses its running statistics)
    except the :class:`~dnnlib.layers.Dropout` layers, which draw a fresh mask on
    every pass, from ``rng`` rather than from their own generators. Afterwards the
    model is as it was: the same training/evaluation flag on every layer and the
    same state of every Dropout generator, so a Monte-Carlo prediction in the
    middle of training does not change what training draws next.

    Parameters
    ----------
    model : Layer or Sequential
        A model with at least one ``Dropout`` layer (nested ``Sequential`` models are
        searched too).
    X : array, (N, D)
        Inputs, on the model's backend.
    n_samples : int, default 50
        ``T``, the number of stochastic forward passes (>= 1).
    rng : numpy.random.Generator, int or None
        Source of the masks; a seed makes the result reproducible.

    Returns
    -------
    array, (T, N, ...)
        Sample ``t`` is the model's output for ``X`` under the ``t``-th set of masks
        (for a sigmoid output, ``(T, N, 1)`` probabilities), on the model's backend.
        Reduce over axis 0: the mean is the prediction, the standard deviation its
        spread.

    Raises
    ------
    ValueError
        The model has no ``Dropout`` layer (every sample would be the same), or
        ``n_samples < 1``.

    Notes
    -----
    Chapter 7 (Gal & Ghahramani, 2016). With masks :math:`r^{(t)}` drawn independently,

    .. math:: \mu_{\text{MC}}(x) = \frac{1}{T}\sum_{t=1}^{T} f(x; r^{(t)}), \qquad
              \sigma_{\text{MC}}(x)^2 = \frac{1}{T}\sum_{t=1}^{T}
              \big(f(x; r^{(t)}) - \mu_{\text{MC}}(x)\big)^2 .

    :math:`\mu_{\text{MC}}` estimates the ensemble average :math:`\mathbb{E}_r[f(x; r)]`
    over all subnetworks, with a standard error of :math:`\sigma_{\text{MC}} / \sqrt{T}`.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense, Dropout
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dropout(0.5, rng=0), Dense(3, 1, rng=1, dtype="float64"))
    >>> X = np.ones((2, 3))
    >>> s = mc_dropout_predict(model, X, n_samples=20000, rng=0)
    >>> bool(np.allclose(s.mean(axis=0), model.eval()(X), atol=0.05))  # E_r[f] = f_eval here
    True
    """
    fn = "mc_dropout_predict"
    if not isinstance(model, Layer):
        raise TypeError(f"{fn}: model must be a dnnlib Layer or Sequential, got "
                        f"{type(model).__name__}")
    T = check_int(n_samples, fn, "n_samples", minimum=1)
    X = model.check_input(as_float_array(X, fn, "X"))
    xp = B.namespace(X, fn=fn)
    g = B.as_generator(rng, fn=fn)
    dropouts = [layer for layer in iter_layers(model) if isinstance(layer, Dropout)]
    if not dropouts:
        raise ValueError(f"{fn}: model has no Dropout layer, so every sample would be the "
                         "same; use dnnlib.train.predict for a deterministic model")
    own_rngs = [layer.rng for layer in dropouts]
    with preserved(model, training=False):      # every layer in evaluation mode ...
        try:
            for layer in dropouts:              # ... except dropout, drawing from g
                layer.train()
                layer.rng = g
            samples = [model.forward(X) for _ in range(T)]
        finally:
            for layer, own in zip(dropouts, own_rngs, strict=True):
                layer.rng = own
            B.device_generators.pop(g, None)    # CuPy's generator seeded from g
    return xp.stack(samples, axis=0)
