"""dnnlib.lab.diagnostics: gradient norms per layer against finite differences, dead units
against their definition, no side effects on the model, every backend."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.gradcheck import numerical_gradient
from dnnlib.lab import diagnostics as D
from dnnlib.layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from dnnlib.losses import MSE, BinaryCrossEntropy
from dnnlib.model import Sequential


def _model(dtype="float64", act=Tanh):
    return Sequential(Dense(3, 5, rng=0, dtype=dtype), act(), Dense(5, 4, rng=1, dtype=dtype),
                      act(), Dense(4, 1, rng=2, dtype=dtype))


def _data(xp, n=7, dtype="float64"):
    g = np.random.default_rng(0)
    X = dl.backend.asarray(g.normal(size=(n, 3)).astype(dtype))
    y = dl.backend.asarray((g.random(n) > 0.5).astype(dtype))
    return X, y


def test_doctests():
    res = doctest.testmod(D, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


def test_iter_layers_flattens_nested_models():
    inner = Sequential(Dense(2, 2, rng=0), ReLU())
    model = Sequential(inner, Dense(2, 1, rng=1), Sigmoid())
    assert [type(layer).__name__ for layer in D.iter_layers(model)] == \
        ["Dense", "ReLU", "Dense", "Sigmoid"]


# --------------------------------------------------------------------------- gradient norms
def test_weight_gradient_norms_match_finite_differences():
    model = _model()
    X, y = _data(np)
    loss = BinaryCrossEntropy(from_logits=True)
    norms = D.gradient_norms_by_layer(model, loss, X, y)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert norms.shape == (3,) and norms.dtype == np.float64
    for layer, got in zip(dense, norms, strict=True):
        W = layer.W.data

        def f(w, layer=layer):
            old = layer.W.data.copy()
            layer.W.data[...] = w
            try:
                return float(loss.forward(model(X), y))
            finally:
                layer.W.data[...] = old

        want = np.linalg.norm(numerical_gradient(f, W.copy()))
        assert got == pytest.approx(want, rel=1e-6)


def test_output_gradient_norms_match_finite_differences():
    """which="outputs": the norm of dL/dZ for each Dense layer's output Z."""
    model = _model()
    X, y = _data(np)
    loss = MSE()
    y2 = y[:, None]
    norms = D.gradient_norms_by_layer(model, loss, X, y2, which="outputs")
    layers = model.layers
    for k, got in zip((0, 2, 4), norms, strict=True):
        Z = Sequential(*layers[: k + 1])(X)

        def f(z, k=k):
            return float(loss.forward(Sequential(*layers[k + 1:])(z), y2))

        want = np.linalg.norm(numerical_gradient(f, Z.copy()))
        assert got == pytest.approx(want, rel=1e-6)


def test_sigmoid_gradients_vanish_and_relu_ones_do_not():
    g = np.random.default_rng(1)
    X = g.normal(size=(64, 8))
    y = (X[:, 0] > 0).astype(np.float64)

    def deep(act, init):
        layers = []
        for i in range(8):
            layers += [Dense(8, 8, init=init, rng=i, dtype="float64"), act()]
        return Sequential(*layers, Dense(8, 1, rng=99, dtype="float64"))

    loss = BinaryCrossEntropy(from_logits=True)
    sig = D.gradient_norms_by_layer(deep(Sigmoid, "glorot"), loss, X, y, which="outputs")
    relu = D.gradient_norms_by_layer(deep(ReLU, "he"), loss, X, y, which="outputs")
    assert sig[0] / sig[-1] < 1e-4          # at most (1/4)^8 ~ 1.5e-5 times the weights
    assert relu[0] / relu[-1] > 1e-2


def test_gradients_and_mode_are_restored():
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), ReLU(), Dropout(0.5, rng=0),
                       Dense(4, 1, rng=1, dtype="float64"))
    X, y = _data(np)
    for p in model.params:
        p.grad[...] = 7.0
    model.eval()
    D.gradient_norms_by_layer(model, BinaryCrossEntropy(from_logits=True), X, y, training=True)
    assert all(np.all(p.grad == 7.0) for p in model.params)
    assert model.training is False and not any(layer.training for layer in model.layers)
    model.train()
    D.dead_units(model, X)
    D.activations_by_layer(model, X)
    assert model.training and all(layer.training for layer in model.layers)


def test_gradient_norms_run_on_every_backend(xp):
    import conftest

    model = _model(dtype="float32")
    X, y = _data(xp, dtype="float32")
    norms = D.gradient_norms_by_layer(model, BinaryCrossEntropy(from_logits=True), X, y)
    assert isinstance(norms, np.ndarray) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    conftest.assert_namespace(model.params[0].grad, xp)
    with dl.use_backend("numpy"):  # the same weights (same seeds) on NumPy
        ref = D.gradient_norms_by_layer(_model(dtype="float32"),
                                        BinaryCrossEntropy(from_logits=True),
                                        dl.to_numpy(X), dl.to_numpy(y))
    np.testing.assert_allclose(norms, ref, rtol=1e-4)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"which": "W"}, ValueError, "which must be"),
    ({"training": 1}, TypeError, "training must be"),
])
def test_gradient_norms_bad_arguments(kwargs, exc, match):
    X, y = _data(np)
    with pytest.raises(exc, match=match):
        D.gradient_norms_by_layer(_model(), BinaryCrossEntropy(from_logits=True), X, y, **kwargs)


def test_bad_model_and_loss():
    X, y = _data(np)
    with pytest.raises(TypeError, match="model must be"):
        D.gradient_norms_by_layer(lambda x: x, MSE(), X, y)
    with pytest.raises(TypeError, match="loss must be"):
        D.gradient_norms_by_layer(_model(), "mse", X, y)
    with pytest.raises(ValueError, match="no Dense layer"):
        D.gradient_norms_by_layer(Sequential(ReLU()), MSE(), X, X)
    with pytest.raises(TypeError, match="model must be"):
        D.dead_units(None, X)


# --------------------------------------------------------------------------- dead units
def test_dead_units_follow_the_definition(xp):
    model = Sequential(Dense(2, 6, rng=0), ReLU(), Dense(6, 3, rng=1), LeakyReLU(0.1),
                       Dense(3, 1, rng=2), Tanh())
    b = dl.to_numpy(model.layers[0].b.data).copy()
    b[[1, 4]] = -1e3                                       # two units that can never fire
    model.layers[0].b.data[...] = dl.backend.asarray(b)
    X = dl.backend.asarray(np.random.default_rng(0).normal(size=(40, 2)))
    got = D.dead_units(model, X)
    Z1 = dl.to_numpy(model.layers[0](X))
    Z2 = dl.to_numpy(model.layers[2](model.layers[1](model.layers[0](X))))
    want = [int(np.sum(np.all(Z1 <= 0, axis=0))), int(np.sum(np.all(Z2 <= 0, axis=0)))]
    assert got.tolist() == want and got[0] == 2
    assert got.dtype == np.int64


def test_dead_relu_units_get_no_gradient():
    """The reason they stay dead: their weights' gradient is exactly zero."""
    model = Sequential(Dense(2, 4, rng=0, dtype="float64"), ReLU(),
                       Dense(4, 1, rng=1, dtype="float64"))
    model.layers[0].b.data[0] = -50.0
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.ones(30)
    assert D.dead_units(model, X).tolist() == [1]
    model.zero_grad()
    loss = BinaryCrossEntropy(from_logits=True)
    loss.forward(model(X), y)
    model.backward(loss.backward())
    assert np.all(model.layers[0].W.grad[:, 0] == 0.0) and model.layers[0].b.grad[0] == 0.0
    assert np.all(model.layers[0].W.grad[:, 1:] != 0.0)


def test_activations_by_layer(xp):
    model = Sequential(Dense(2, 3, rng=0), Sigmoid(), Dense(3, 2, rng=1), ReLU(),
                       Dense(2, 1, rng=2))
    X = dl.backend.asarray(np.ones((4, 2)))
    acts = D.activations_by_layer(model, X)
    assert [a.shape for a in acts] == [(4, 3), (4, 2)]
    assert all(isinstance(a, np.ndarray) for a in acts)
    assert np.all((acts[0] > 0) & (acts[0] < 1)) and np.all(acts[1] >= 0)
