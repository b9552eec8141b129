r"""The signal through depth: activations and gradients layer by layer (chapter 5).

Why do deep networks with a careless initialisation not train? Because the forward
signal and the backward gradients are multiplied by one weight matrix per layer,
and their size changes by about the same factor at every layer: it grows or shrinks
geometrically with depth. This module measures that and predicts it.

* :func:`deep_mlp` - a stack of ``depth`` equal ``Dense`` + activation blocks with a
  chosen initialisation (``"he"``, ``"glorot"`` or an explicit weight std).
* :func:`activation_stats_by_layer` - one forward pass; per ``Dense`` layer the mean
  and variance of its pre-activations :math:`Z^{[l]}` and of the activations
  :math:`A^{[l]}` of its block.
* :func:`gradient_stats_by_layer` - one forward and one backward pass; per layer the
  variance of :math:`\partial L/\partial A^{[l]}` and :math:`\partial L/\partial
  Z^{[l]}` and the size of :math:`\partial L/\partial W^{[l]}`.
* :func:`second_moment`, :func:`predict_stats_by_layer` - the variance argument of
  Glorot & Bengio (2010) and He et al. (2015): the same statistics predicted by a
  recursion over layers, for comparison with the measurements.

Every statistic is returned as a NumPy array indexed by layer ``l = 1 .. L`` (entry
``l - 1``), so measured and predicted values share their keys.

Examples
--------
>>> import numpy as np
>>> model = deep_mlp(depth=3, width=64, activation="relu", init="he", rng=0,
...                  dtype="float64")
>>> X = np.random.default_rng(1).normal(size=(256, 64))
>>> stats = activation_stats_by_layer(model, X)
>>> stats["z_var"].shape
(3,)
>>> stats["z_var"].round(1)          # He with ReLU: Var(z) stays at 2 E[x^2] = 2
array([1.9, 1.9, 2.1])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from ..layers import Dense, make_activation
from ..model import Sequential

__all__ = [
    "ACTIVATIONS",
    "deep_mlp",
    "activation_stats_by_layer",
    "gradient_stats_by_layer",
    "second_moment",
    "predict_stats_by_layer",
]

#: Activations understood by :func:`deep_mlp`, :func:`second_moment` and
#: :func:`predict_stats_by_layer`.
ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid", "leaky_relu")


def _check_activation(activation: Any, fn: str) -> str:
    act = "linear" if activation is None else activation
    if act not in ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {ACTIVATIONS} or None, got "
                         f"{activation!r}")
    return act


def deep_mlp(depth: int, width: int, *, in_features: int | None = None,
             activation: str | None = "tanh", init: str | float = "glorot", rng: Any = None,
             dtype: Any = None) -> Any:
    r"""``depth`` blocks ``Dense(width) -> activation``: a network to measure, not to train.

    Parameters
    ----------
    depth : int
        Number of ``Dense`` layers :math:`L`.
    width : int
        Units per layer :math:`n` (every layer has the same width).
    in_features : int, optional
        Input features :math:`D` (default: ``width``).
    activation : {"linear", "tanh", "relu", "sigmoid", "leaky_relu"} or None
        The activation after **every** ``Dense`` layer (``None``: none).
    init : str or float
        A ``Dense`` initialisation (``"he"``, ``"glorot"``, ``"he_uniform"``,
        ``"glorot_uniform"``, ``"zeros"``) or a number: the standard deviation
        :math:`\sigma_w` of normal weights, the same for every layer (a "naive"
        initialisation such as 0.01 or 1).
    rng : numpy.random.Generator, int or None
        Source of the weights (layer ``l`` draws after layer ``l - 1``).
    dtype : {"float32", "float64"} or None
        Parameter dtype (``None``: the default dtype).

    Returns
    -------
    dnnlib.model.Sequential
        ``[Dense, act, Dense, act, ...]`` (``2 * depth`` layers, or ``depth`` without
        an activation).

    Notes
    -----
    Chapter 5. Biases start at zero, so only the weights scale the signal.

    Examples
    --------
    >>> model = deep_mlp(depth=2, width=8, activation="tanh", init=0.5, rng=0)
    >>> model
    Sequential(
      (0): Dense(in_features=8, out_features=8)
      (1): Tanh()
      (2): Dense(in_features=8, out_features=8)
      (3): Tanh()
    )
    >>> round(float(model.layers[0].W.data.std()), 1)
    0.5
    """
    fn = "deep_mlp"
    depth = check_int(depth, fn, "depth", minimum=1)
    width = check_int(width, fn, "width", minimum=1)
    d_in = width if in_features is None else check_int(in_features, fn, "in_features",
                                                       minimum=1)
    act = _check_activation(activation, fn)
    std = None
    if not isinstance(init, str):
        std = check_float(init, fn, "init", low=0.0)
    g = B.as_generator(rng, fn=fn)
    layers = []
    for l in range(depth):
        n_in = d_in if l == 0 else width
        if std is None:
            dense = Dense(n_in, width, init=init, rng=g, dtype=dtype)  # type: ignore[arg-type]
        else:
            dense = Dense(n_in, width, init="zeros", dtype=dtype)
            xp = B.namespace(dense.W.data, fn=fn)
            dense.W.data[...] = B.random_normal(g, (n_in, width), dense.W.data.dtype, xp,
                                                std=std)
        layers.append(dense)
        if act != "linear":
            layers.append(make_activation(act))
    return Sequential(*layers)


def _blocks(model: Any, fn: str) -> list[list[Any]]:
    """The layers split into blocks, each a Dense layer and what follows it up to the next."""
    layers = list(getattr(model, "layers", model))
    if not layers or not isinstance(layers[0], Dense):
        raise ValueError(f"{fn}: the model must start with a Dense layer, got "
                         f"{layers[0] if layers else 'no layers'!r}")
    blocks: list[list[Any]] = []
    for layer in layers:
        if isinstance(layer, Dense):
            blocks.append([layer])
        else:
            blocks[-1].append(layer)
    return blocks


def _stats(a: Any, xp: Any) -> tuple[float, float, float]:
    """Mean, variance and mean square of every entry of ``a``."""
    return float(xp.mean(a)), float(xp.var(a)), float(xp.mean(a * a))


def activation_stats_by_layer(model: Any, X: Any) -> dict[str, np.ndarray]:
    r"""Statistics of the forward signal after each ``Dense`` layer and its activation.

    Parameters
    ----------
    model : dnnlib.model.Sequential or list of layers
        Starting with a ``Dense`` layer. Block ``l`` is the ``l``-th ``Dense`` layer
        and every layer after it up to the next ``Dense`` (its activation).
    X : array (N, D)
        A batch of inputs.

    Returns
    -------
    dict of str to numpy array (L,)
        ``"z_mean"``, ``"z_var"``: mean and variance over all entries of the
        pre-activations :math:`Z^{[l]}` (the ``Dense`` output); ``"a_mean"``,
        ``"a_var"``, ``"a_sq"``: mean, variance and mean square
        :math:`\mathbb{E}[a^2]` of the block's output :math:`A^{[l]}`.

    Notes
    -----
    Chapter 5. With weights of variance :math:`\sigma_w^2` and fan-in
    :math:`n_{l-1}`, :math:`\operatorname{Var}(z^{[l]}) = n_{l-1} \sigma_w^2\,
    \mathbb{E}\big[(a^{[l-1]})^2\big]`; compare with :func:`predict_stats_by_layer`.
    The model runs one forward pass (in its current mode).

    Examples
    --------
    >>> import numpy as np
    >>> model = deep_mlp(depth=2, width=4, activation="relu", rng=0, dtype="float64")
    >>> s = activation_stats_by_layer(model, np.ones((3, 4)))
    >>> sorted(s)
    ['a_mean', 'a_sq', 'a_var', 'z_mean', 'z_var']
    >>> bool(np.all(s["a_mean"] >= 0))     # ReLU outputs are >= 0
    True
    """
    fn = "activation_stats_by_layer"
    blocks = _blocks(model, fn)
    a = blocks[0][0].check_input(as_float_array(X, fn, "X", ndim=(2,)))  # the layers trust it
    keys = ("z_mean", "z_var", "a_mean", "a_var", "a_sq")
    out: dict[str, list[float]] = {k: [] for k in keys}
    for block in blocks:
        z = block[0].forward(a)
        a = z
        for layer in block[1:]:
            a = layer.forward(a)
        xp = B.namespace(z, a, fn=fn)
        zm, zv, _ = _stats(z, xp)
        am, av, asq = _stats(a, xp)
        for k, v in zip(keys, (zm, zv, am, av, asq), strict=True):
            out[k].append(v)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def gradient_stats_by_layer(model: Any, X: Any, dout: Any = None, *,
                            rng: Any = 0) -> dict[str, np.ndarray]:
    r"""Statistics of the backward signal at each layer, for one forward/backward pass.

    Parameters
    ----------
    model : dnnlib.model.Sequential or list of layers
        Starting with a ``Dense`` layer (blocks as in :func:`activation_stats_by_layer`).
    X : array (N, D)
        A batch of inputs.
    dout : array, optional
        :math:`\partial L/\partial A^{[L]}`, shaped like the output. Default: standard
        normal entries drawn from ``rng`` (the gradient of :math:`L = \sum A^{[L]}
        \odot \text{dout}`), so every layer is measured against the same unit-variance
        signal. Pass ``loss.backward()`` for a real loss.
    rng : numpy.random.Generator or int
        Seed of the default ``dout``.

    Returns
    -------
    dict of str to numpy array (L,)
        ``"da_var"``: variance of :math:`\partial L/\partial A^{[l]}` (the gradient
        arriving at block ``l``'s output); ``"dz_var"``: variance of
        :math:`\partial L/\partial Z^{[l]}`; ``"dW_rms"``: root mean square of the
        entries of :math:`\partial L/\partial W^{[l]}`; ``"dW_norm"``: its Frobenius
        norm. Also ``"dx_var"``: array (1,), the variance of
        :math:`\partial L/\partial X` (the input).

    Notes
    -----
    Chapter 5. Backwards through block ``l``: :math:`\partial L/\partial Z^{[l]} =
    \partial L/\partial A^{[l]} \odot g'(Z^{[l]})`, then :math:`\partial L/\partial
    A^{[l-1]} = \partial L/\partial Z^{[l]}\, W^{[l]\top}`, so
    :math:`\operatorname{Var}(\partial L/\partial a^{[l-1]}) = n_l \sigma_w^2
    \operatorname{Var}(\partial L/\partial z^{[l]})`. The parameters' ``.grad`` are
    left as they were (the pass's own gradients are measured, then the old ones
    restored).

    Examples
    --------
    >>> import numpy as np
    >>> model = deep_mlp(depth=3, width=16, activation="tanh", rng=0, dtype="float64")
    >>> g = gradient_stats_by_layer(model, np.ones((8, 16)))
    >>> g["dz_var"].shape, g["dx_var"].shape
    ((3,), (1,))
    >>> float(model.layers[0].W.grad.sum())    # untouched
    0.0
    """
    fn = "gradient_stats_by_layer"
    blocks = _blocks(model, fn)
    a = blocks[0][0].check_input(as_float_array(X, fn, "X", ndim=(2,)))  # the layers trust it
    for block in blocks:
        for layer in block:
            a = layer.forward(a)
    xp = B.namespace(a, fn=fn)
    if dout is None:
        dout = B.random_normal(B.as_generator(rng, fn=fn), tuple(a.shape), a.dtype, xp)
    else:
        dout = as_float_array(dout, fn, "dout")
        if tuple(dout.shape) != tuple(a.shape):
            raise ValueError(f"{fn}: dout must have the output's shape {tuple(a.shape)}, got "
                             f"{tuple(dout.shape)}")
        dout = B.namespace(dout, a, fn=fn).astype(dout, a.dtype)
    params = [p for block in blocks for layer in block for p in layer.params]
    saved = [xp.asarray(p.grad, copy=True) for p in params]
    da_var, dz_var, dw_rms, dw_norm = [], [], [], []
    try:
        for p in params:
            p.grad[...] = 0.0
        grad = dout
        for block in reversed(blocks):
            da_var.append(float(xp.var(grad)))
            for layer in reversed(block[1:]):
                grad = layer.backward(grad)
            dz_var.append(float(xp.var(grad)))
            dense = block[0]
            grad = dense.backward(grad)
            dW = dense.W.grad
            dw_rms.append(float(xp.sqrt(xp.mean(dW * dW))))
            dw_norm.append(float(xp.sqrt(xp.sum(dW * dW))))
        dx_var = float(xp.var(grad))
    finally:
        for p, g in zip(params, saved, strict=True):
            p.grad[...] = g
    rev = {"da_var": da_var, "dz_var": dz_var, "dW_rms": dw_rms, "dW_norm": dw_norm}
    out = {k: np.asarray(v[::-1], dtype=np.float64) for k, v in rev.items()}
    out["dx_var"] = np.asarray([dx_var], dtype=np.float64)
    return out


# --------------------------------------------------------------------------- the theory
# E[f(z)] for z ~ N(0, 1) by the midpoint rule on [-12, 12]: 4000 cells, none centred on
# the kink z = 0 of ReLU (a Gauss-Hermite node there would count half of it).
_STEP = 24.0 / 4000
_NODES = -12.0 + _STEP * (np.arange(4000) + 0.5)
_WEIGHTS = _STEP * np.exp(-0.5 * _NODES**2) / math.sqrt(2.0 * math.pi)


def _g_and_dg(activation: str, z: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    if activation == "linear":
        return z, np.ones_like(z)
    if activation == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    if activation == "leaky_relu":
        return np.where(z > 0, z, slope * z), np.where(z > 0, 1.0, slope)
    s = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, written without overflow
    return s, s * (1.0 - s)


def second_moment(activation: str | None, var: float, *, derivative: bool = False,
                  slope: float = 0.01) -> float:
    r""":math:`\mathbb{E}[g(z)^2]` (or :math:`\mathbb{E}[g'(z)^2]`) for :math:`z \sim
    \mathcal{N}(0, \text{var})`.

    Parameters
    ----------
    activation : {"linear", "tanh", "relu", "sigmoid", "leaky_relu"} or None
        :math:`g`.
    var : float
        The variance of the pre-activation, :math:`\ge 0`.
    derivative : bool
        Return :math:`\mathbb{E}[g'(z)^2]` instead.
    slope : float
        The negative slope of ``"leaky_relu"``.

    Returns
    -------
    float

    Notes
    -----
    Chapter 5. Computed by the midpoint rule over :math:`\pm 12` standard deviations
    (relative error below :math:`10^{-8}`). Closed forms to compare:
    linear :math:`\mathbb{E}[z^2] = \text{var}`; ReLU :math:`\text{var}/2` and
    :math:`\mathbb{E}[g'^2] = 1/2` (half of a symmetric distribution is positive).

    Examples
    --------
    >>> round(second_moment("relu", 2.0), 6), round(second_moment("relu", 1.0, derivative=True), 6)
    (1.0, 0.5)
    >>> second_moment("tanh", 1.0) < 1.0      # tanh shrinks: |tanh z| < |z|
    True
    """
    fn = "second_moment"
    act = _check_activation(activation, fn)
    var = check_float(var, fn, "var", low=0.0)
    z = math.sqrt(var) * _NODES
    g, dg = _g_and_dg(act, z, float(slope))
    f = dg if derivative else g
    return float(np.sum(_WEIGHTS * f * f))


def predict_stats_by_layer(sizes: Sequence[int], weight_std: float | Sequence[float],
                           activation: str | None, *, x_second_moment: float = 1.0,
                           dout_var: float = 1.0, slope: float = 0.01) -> dict[str, np.ndarray]:
    r"""The variances that :func:`activation_stats_by_layer` and
    :func:`gradient_stats_by_layer` measure, predicted layer by layer.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]`` (input features first).
    weight_std : float or sequence of float
        :math:`\sigma_w` of every layer, or one per layer (``L`` values).
    activation : str or None
        The activation after every ``Dense`` layer, as in :func:`deep_mlp`.
    x_second_moment : float
        :math:`\mathbb{E}[x^2]` of the input entries.
    dout_var : float
        :math:`\operatorname{Var}(\partial L/\partial a^{[L]})` at the output.
    slope : float
        The negative slope of ``"leaky_relu"``.

    Returns
    -------
    dict of str to numpy array (L,)
        ``"z_var"``, ``"a_sq"``, ``"da_var"``, ``"dz_var"`` (same meaning as the
        measured keys).

    Notes
    -----
    Chapter 5. With independent zero-mean weights, independent of the signal,

    .. math::
        \operatorname{Var}(z^{[l]}) = n_{l-1}\, \sigma_l^2\, \mathbb{E}\big[(a^{[l-1]})^2\big],
        \qquad \mathbb{E}\big[(a^{[l]})^2\big] = \mathbb{E}\big[g(z^{[l]})^2\big],

    .. math::
        \operatorname{Var}(\bar z^{[l]}) = \operatorname{Var}(\bar a^{[l]})\,
        \mathbb{E}\big[g'(z^{[l]})^2\big], \qquad
        \operatorname{Var}(\bar a^{[l-1]}) = n_l\, \sigma_l^2 \operatorname{Var}(\bar z^{[l]}),

    with :math:`\bar v = \partial L/\partial v` and :math:`z^{[l]}` treated as
    :math:`\mathcal{N}(0, \operatorname{Var}(z^{[l]}))` (:func:`second_moment`). For
    ReLU, :math:`\sigma^2 = 2/n` keeps the forward variance constant (He); for a
    unit-slope activation like tanh near 0, :math:`\sigma^2 = 1/n_{l-1}` keeps the
    forward variance, :math:`1/n_l` the backward one, and Glorot's
    :math:`2/(n_{l-1} + n_l)` is the compromise.

    Examples
    --------
    >>> p = predict_stats_by_layer([100, 100, 100], 0.1, "linear")   # n sigma^2 = 1
    >>> p["z_var"], p["da_var"]
    (array([1., 1.]), array([1., 1.]))
    >>> p = predict_stats_by_layer([100, 100, 100], 0.2, "linear")   # n sigma^2 = 4
    >>> p["z_var"]
    array([ 4., 16.])
    """
    fn = "predict_stats_by_layer"
    sizes = [check_int(s, fn, "sizes", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"{fn}: sizes must hold at least [n_0, n_1], got {sizes}")
    L = len(sizes) - 1
    if isinstance(weight_std, (int, float, np.integer, np.floating)):
        stds = [check_float(weight_std, fn, "weight_std", low=0.0)] * L
    else:
        stds = [check_float(s, fn, "weight_std", low=0.0) for s in weight_std]
        if len(stds) != L:
            raise ValueError(f"{fn}: weight_std must hold one value per layer ({L}), got "
                             f"{len(stds)}")
    act = _check_activation(activation, fn)
    a_sq_prev = check_float(x_second_moment, fn, "x_second_moment", low=0.0)
    z_var, a_sq = [], []
    for l in range(L):
        q = sizes[l] * stds[l] ** 2 * a_sq_prev
        z_var.append(q)
        a_sq_prev = second_moment(act, q, slope=slope)
        a_sq.append(a_sq_prev)
    da = check_float(dout_var, fn, "dout_var", low=0.0)
    da_var, dz_var = [0.0] * L, [0.0] * L
    for l in reversed(range(L)):
        da_var[l] = da
        dz_var[l] = da * second_moment(act, z_var[l], derivative=True, slope=slope)
        da = sizes[l + 1] * stds[l] ** 2 * dz_var[l]  # Var of dL/da^{[l-1]}: fan-out n_l
    return {k: np.asarray(v, dtype=np.float64) for k, v in
            (("z_var", z_var), ("a_sq", a_sq), ("da_var", da_var), ("dz_var", dz_var))}
