r"""Scalar twins of dnnlib layers: the weights of a network copied into autograd Values.

Chapter 5 checks the vectorised backward pass of :mod:`dnnlib.layers` against the
scalar engine of :mod:`dnnlib.autograd`: :func:`from_dense` copies one ``Dense`` layer
(and the activation after it) into an autograd ``Layer`` of ``Neuron`` objects, and
:func:`mlp_from_sequential` a whole ``Sequential`` model into an autograd ``MLP``.
Their gradients then compare entry by entry with the layers' ``W.grad`` and ``b.grad``.

Examples
--------
>>> from dnnlib.layers import Dense, Tanh
>>> from_dense(Dense(3, 2, rng=0), Tanh())
Layer(n_in=3, n_out=2, activation='tanh')
"""

from __future__ import annotations

from typing import Any

from ..autograd import MLP
from ..autograd import Layer as ScalarLayer
from ..layers import ACTIVATIONS, Activation, Dense
from ..model import Sequential

__all__ = ["from_dense", "mlp_from_sequential"]


def _activation_of(layer: Any) -> tuple[str, float] | None:
    """("tanh", slope) for a dnnlib activation layer, None for anything else."""
    if isinstance(layer, Activation) and layer.name in ACTIVATIONS:
        return layer.name, float(getattr(layer, "slope", 0.01))
    return None


def from_dense(dense: Any, activation: str | Any | None = None) -> ScalarLayer:
    """The scalar twin of a dnnlib ``Dense`` layer (weights copied to float64 Values).

    Parameters
    ----------
    dense : dnnlib.layers.Dense
        Its ``W: (in, out)`` and ``b: (out,)`` are copied (on any backend).
    activation : str, a dnnlib activation layer (Tanh, ReLU, Sigmoid, LeakyReLU) or None
        The activation that follows it.

    Examples
    --------
    >>> from dnnlib.layers import Dense, Tanh
    >>> layer = from_dense(Dense(3, 2, rng=0), Tanh())
    >>> layer
    Layer(n_in=3, n_out=2, activation='tanh')
    """
    if not isinstance(dense, Dense):
        raise TypeError(f"from_dense: dense must be a dnnlib.layers.Dense, got "
                        f"{type(dense).__name__}")
    slope = 0.01
    if activation is not None and not isinstance(activation, str):
        found = _activation_of(activation)
        if found is None:
            raise TypeError(f"from_dense: activation must be a str, None or one of Tanh, ReLU, "
                            f"Sigmoid, LeakyReLU; got {type(activation).__name__}")
        activation, slope = found
    b = None if dense.b is None else dense.b.data
    return ScalarLayer.from_arrays(dense.W.data, b, activation, slope=slope)


def mlp_from_sequential(model: Any) -> MLP:
    """The scalar twin of a dnnlib ``Sequential`` of Dense (+ activation) layers.

    Parameters
    ----------
    model : dnnlib.model.Sequential
        Layers ``Dense``, each optionally followed by one of ``Tanh``, ``ReLU``,
        ``Sigmoid``, ``LeakyReLU``. Weights are copied (float64 Values); later
        changes to ``model`` do not affect the twin.

    Returns
    -------
    MLP
        ``mlp.layers[k]`` mirrors the ``k``-th Dense layer; its ``grads()`` compare
        with that layer's ``W.grad`` and ``b.grad``.

    Raises
    ------
    TypeError
        For any other layer (Dropout, BatchNorm1d...) or an activation without a
        Dense before it.

    Examples
    --------
    >>> from dnnlib.layers import Dense, ReLU
    >>> from dnnlib.model import Sequential
    >>> model = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    >>> mlp_from_sequential(model)
    MLP(Layer(n_in=2, n_out=3, activation='relu'), Layer(n_in=3, n_out=1, activation='linear'))
    """
    fn = "mlp_from_sequential"
    if not isinstance(model, Sequential):
        raise TypeError(f"{fn}: model must be a dnnlib Sequential, got {type(model).__name__}")
    layers: list[ScalarLayer] = []
    items = list(model.layers)
    i = 0
    while i < len(items):
        layer = items[i]
        if not isinstance(layer, Dense):
            what = ("an activation without a Dense layer before it"
                    if _activation_of(layer) is not None else "not supported")
            raise TypeError(f"{fn}: layer {i} ({layer!r}) is {what}; expected Dense layers, "
                            "each optionally followed by Tanh, ReLU, Sigmoid or LeakyReLU")
        act = _activation_of(items[i + 1]) if i + 1 < len(items) else None
        layers.append(from_dense(layer, items[i + 1] if act is not None else None))
        i += 2 if act is not None else 1
    if not layers:
        raise ValueError(f"{fn}: the model has no layers")
    return MLP.from_layers(layers)
