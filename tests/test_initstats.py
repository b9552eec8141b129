"""dnnlib.lab.initstats: forward/backward statistics per layer, and their prediction."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.lab.initstats import (
    activation_stats_by_layer,
    deep_mlp,
    gradient_stats_by_layer,
    predict_stats_by_layer,
    second_moment,
)
from dnnlib.layers import Dense, ReLU, Tanh
from dnnlib.model import Sequential


# --------------------------------------------------------------------------- deep_mlp
@pytest.mark.parametrize("activation, n_layers", [("tanh", 6), ("relu", 6), (None, 3),
                                                  ("linear", 3), ("sigmoid", 6),
                                                  ("leaky_relu", 6)])
def test_deep_mlp_structure(activation, n_layers):
    model = deep_mlp(3, 5, in_features=2, activation=activation, rng=0)
    assert len(model) == n_layers
    assert model.layers[0].W.shape == (2, 5) and model.layers[-2 if n_layers == 6 else -1
                                                                ].W.shape == (5, 5)


def test_deep_mlp_init_std_and_named_inits():
    model = deep_mlp(2, 400, activation="relu", init=0.05, rng=0, dtype="float64")
    assert abs(float(np.std(model.layers[0].W.data)) - 0.05) < 0.001
    assert float(np.max(np.abs(model.layers[0].b.data))) == 0.0
    he = deep_mlp(1, 400, activation="relu", init="he", rng=0, dtype="float64")
    assert abs(float(np.std(he.layers[0].W.data)) - math.sqrt(2 / 400)) < 0.001
    a, b = deep_mlp(2, 4, rng=3), deep_mlp(2, 4, rng=3)
    assert np.array_equal(a.layers[2].W.data, b.layers[2].W.data)
    assert not np.array_equal(a.layers[0].W.data, a.layers[2].W.data)  # one stream


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(depth=0, width=3), ValueError, "depth"),
    (dict(depth=2, width=3, activation="swish"), ValueError, "activation"),
    (dict(depth=2, width=3, init=-1.0), ValueError, "init"),
    (dict(depth=2, width=3, init="lecun"), ValueError, "init"),
    (dict(depth=2.0, width=3), TypeError, "depth"),
])
def test_deep_mlp_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        deep_mlp(**kwargs)


# --------------------------------------------------------------------------- measuring
def test_activation_stats_match_a_manual_forward(xp):
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), Tanh(),
                       Dense(4, 2, rng=1, dtype="float64"))
    Xh = np.random.default_rng(0).normal(size=(10, 3))
    s = activation_stats_by_layer(model, B.asarray(Xh))
    W1, W2 = (dl.to_numpy(d.W.data) for d in (model.layers[0], model.layers[2]))
    z1 = Xh @ W1
    a1 = np.tanh(z1)
    z2 = a1 @ W2
    np.testing.assert_allclose(s["z_var"], [z1.var(), z2.var()])
    np.testing.assert_allclose(s["z_mean"], [z1.mean(), z2.mean()], atol=1e-15)
    np.testing.assert_allclose(s["a_var"], [a1.var(), z2.var()])  # last block: no activation
    np.testing.assert_allclose(s["a_sq"], [np.mean(a1**2), np.mean(z2**2)])
    assert all(isinstance(v, np.ndarray) and v.shape == (2,) for v in s.values())


def test_gradient_stats_match_a_manual_backward_and_leave_grads_alone(xp):
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), ReLU(),
                       Dense(4, 2, rng=1, dtype="float64"), Tanh())
    for p in model.params:
        p.grad[...] = 7.0
    Xh = np.random.default_rng(0).normal(size=(6, 3))
    dout = np.random.default_rng(1).normal(size=(6, 2))
    g = gradient_stats_by_layer(model, B.asarray(Xh), B.asarray(dout))
    W1, W2 = (dl.to_numpy(d.W.data) for d in (model.layers[0], model.layers[2]))
    z1 = Xh @ W1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2
    dz2 = dout * (1 - np.tanh(z2) ** 2)
    da1 = dz2 @ W2.T
    dz1 = da1 * (z1 > 0)
    dx = dz1 @ W1.T
    dW1, dW2 = Xh.T @ dz1, a1.T @ dz2
    np.testing.assert_allclose(g["da_var"], [da1.var(), dout.var()])
    np.testing.assert_allclose(g["dz_var"], [dz1.var(), dz2.var()])
    np.testing.assert_allclose(g["dW_norm"], [np.linalg.norm(dW1), np.linalg.norm(dW2)])
    np.testing.assert_allclose(g["dW_rms"], [np.sqrt(np.mean(dW1**2)), np.sqrt(np.mean(dW2**2))])
    np.testing.assert_allclose(g["dx_var"], [dx.var()])
    for p in model.params:
        assert np.all(dl.to_numpy(p.grad) == 7.0)


def test_gradient_stats_default_dout_is_seeded():
    model = deep_mlp(3, 8, rng=0, dtype="float64")
    X = np.ones((4, 8))
    a, b = gradient_stats_by_layer(model, X, rng=5), gradient_stats_by_layer(model, X, rng=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    c = gradient_stats_by_layer(model, X, rng=6)
    assert not np.array_equal(a["dz_var"], c["dz_var"])


def test_measuring_rejects_bad_input():
    model = deep_mlp(2, 3, rng=0)
    with pytest.raises(ValueError, match="start with a Dense"):
        activation_stats_by_layer([ReLU(), Dense(3, 3)], np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        activation_stats_by_layer(model, np.ones(3))
    with pytest.raises(ValueError, match="dout must have the output's shape"):
        gradient_stats_by_layer(model, np.ones((2, 3)), np.ones((3, 3)))


# --------------------------------------------------------------------------- theory
@pytest.mark.parametrize("var", [0.25, 1.0, 4.0])
def test_second_moment_closed_forms(var):
    assert second_moment("linear", var) == pytest.approx(var, rel=1e-8)
    assert second_moment(None, var, derivative=True) == pytest.approx(1.0, rel=1e-8)
    assert second_moment("relu", var) == pytest.approx(var / 2, rel=1e-8)
    assert second_moment("relu", var, derivative=True) == pytest.approx(0.5, rel=1e-8)
    assert second_moment("leaky_relu", var, slope=0.2) == pytest.approx(var * 1.04 / 2, rel=1e-8)
    assert second_moment("tanh", var) < var  # |tanh z| < |z|
    assert second_moment("sigmoid", var, derivative=True) < 1 / 16  # sigmoid' <= 1/4


def test_second_moment_matches_monte_carlo():
    z = np.random.default_rng(0).normal(scale=math.sqrt(2.0), size=2_000_000)
    assert second_moment("tanh", 2.0) == pytest.approx(np.mean(np.tanh(z) ** 2), rel=2e-3)
    assert second_moment("tanh", 2.0, derivative=True) == pytest.approx(
        np.mean((1 - np.tanh(z) ** 2) ** 2), rel=2e-3)
    s = 1 / (1 + np.exp(-z))
    assert second_moment("sigmoid", 2.0) == pytest.approx(np.mean(s**2), rel=2e-3)


def test_prediction_closed_forms():
    n = 50
    p = predict_stats_by_layer([n] * 5, math.sqrt(2 / n), "relu")  # He: constant
    np.testing.assert_allclose(p["z_var"], 2.0)
    np.testing.assert_allclose(p["a_sq"], 1.0)
    np.testing.assert_allclose(p["da_var"], 1.0)
    np.testing.assert_allclose(p["dz_var"], 0.5)
    p = predict_stats_by_layer([n] * 5, 2 / math.sqrt(n), "linear")  # n sigma^2 = 4
    np.testing.assert_allclose(p["z_var"], 4.0 ** np.arange(1, 5))
    np.testing.assert_allclose(p["da_var"], 4.0 ** np.arange(3, -1, -1))
    p = predict_stats_by_layer([10, 20, 40], [0.1, 0.2], "linear", x_second_moment=3.0,
                               dout_var=2.0)
    np.testing.assert_allclose(p["z_var"], [10 * 0.01 * 3, 20 * 0.04 * 10 * 0.01 * 3])
    np.testing.assert_allclose(p["da_var"], [40 * 0.04 * 2.0, 2.0])  # fan-out n_2 = 40


def test_prediction_matches_measurement_of_a_wide_network():
    width, depth = 400, 6
    for act, init in (("tanh", "glorot"), ("relu", "he"), ("relu", 0.1)):
        model = deep_mlp(depth, width, activation=act, init=init, rng=0, dtype="float64")
        X = np.random.default_rng(1).normal(size=(500, width))
        m = activation_stats_by_layer(model, X) | gradient_stats_by_layer(model, X, rng=2)
        std = math.sqrt((2 if init == "he" else 1) / width) if isinstance(init, str) else init
        p = predict_stats_by_layer([width] * (depth + 1), std, act)
        for k in ("z_var", "a_sq", "da_var", "dz_var"):
            # finite width: the measured variances wander around the prediction by ~10-20%
            np.testing.assert_allclose(m[k], p[k], rtol=0.25, err_msg=f"{act} {init} {k}")


def test_prediction_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least"):
        predict_stats_by_layer([3], 0.1, "relu")
    with pytest.raises(ValueError, match="one value per layer"):
        predict_stats_by_layer([3, 3, 3], [0.1], "relu")
    with pytest.raises(ValueError, match="activation"):
        second_moment("swish", 1.0)
    with pytest.raises(ValueError, match="var"):
        second_moment("relu", -1.0)
