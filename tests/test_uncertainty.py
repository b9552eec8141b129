"""Monte-Carlo dropout (dnnlib.lab.uncertainty): shapes and backend, reproducibility, the
model left as found, the expectation it estimates, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib.lab.uncertainty import mc_dropout_predict
from dnnlib.layers import BatchNorm1d, Dense, Dropout, ReLU, Sigmoid
from dnnlib.model import Sequential


def _model(p: float = 0.5, dtype: str = "float64") -> Sequential:
    return Sequential(Dense(3, 8, rng=0, dtype=dtype), ReLU(), Dropout(p, rng=1),
                      Dense(8, 1, rng=2, dtype=dtype), Sigmoid())


def _X(xp, n: int = 5, dtype: str = "float64"):
    return dl.backend.asarray(np.random.default_rng(3).normal(size=(n, 3)).astype(dtype))


def test_shape_dtype_and_namespace(xp):
    model = _model(dtype="float32")
    X = _X(xp, dtype="float32")
    s = mc_dropout_predict(model, X, n_samples=7, rng=0)
    assert_namespace(s, xp)
    assert tuple(s.shape) == (7, 5, 1)
    assert dl.to_numpy(s).dtype == np.float32
    host = dl.to_numpy(s)
    assert np.all((host > 0) & (host < 1))
    assert np.all(host.std(axis=0) > 0), "the masks must differ from pass to pass"


def test_same_seed_same_samples_other_seed_other_samples(xp):
    model, X = _model(), _X(xp)
    a = dl.to_numpy(mc_dropout_predict(model, X, n_samples=4, rng=11))
    b = dl.to_numpy(mc_dropout_predict(model, X, n_samples=4, rng=11))
    c = dl.to_numpy(mc_dropout_predict(model, X, n_samples=4, rng=12))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("training", [True, False])
def test_model_modes_and_dropout_generators_are_restored(xp, training):
    model, X = _model(), _X(xp)
    model.train(training)
    drop = model.layers[2]
    own = drop.rng
    state = drop.rng.bit_generator.state
    mc_dropout_predict(model, X, n_samples=3, rng=0)
    assert all(layer.training is training for layer in model.layers)
    assert model.training is training
    assert drop.rng is own and drop.rng.bit_generator.state == state


def test_mc_prediction_does_not_change_what_training_draws_next():
    X = _X(np)
    m1, m2 = _model(), _model()
    mc_dropout_predict(m1, X, n_samples=5, rng=0)
    np.testing.assert_array_equal(m1(X), m2(X))  # same next mask in training mode


def test_mean_estimates_the_eval_output_when_dropout_feeds_a_linear_layer():
    # E_m[W^T (m * x / (1 - p)) + b] = W^T x + b exactly, so the Monte-Carlo mean
    # converges to the eval-mode output with standard error s / sqrt(T).
    model = Sequential(Dense(3, 6, rng=0, dtype="float64"), ReLU(), Dropout(0.3, rng=1),
                       Dense(6, 2, rng=2, dtype="float64"))
    X = _X(np)
    T = 4000
    s = mc_dropout_predict(model, X, n_samples=T, rng=5)
    want = model.eval()(X)
    se = s.std(axis=0) / np.sqrt(T)
    assert np.all(np.abs(s.mean(axis=0) - want) < 5 * se + 1e-12)


def test_other_layers_stay_in_eval_mode():
    # BatchNorm must use its running statistics; with p = 0 every sample equals the
    # eval-mode output exactly.
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), BatchNorm1d(4, dtype="float64"),
                       ReLU(), Dropout(0.0, rng=1), Dense(4, 1, rng=2, dtype="float64"))
    X = _X(np, n=6)
    model(X)  # one training-mode pass moves the running statistics away from (0, 1)
    s = mc_dropout_predict(model, X, n_samples=3, rng=0)
    want = model.eval()(X)
    for t in range(3):
        np.testing.assert_allclose(s[t], want, rtol=0, atol=1e-15)


def test_nested_sequential_and_single_layer():
    inner = Sequential(Dense(3, 4, rng=0, dtype="float64"), Dropout(0.5, rng=1))
    model = Sequential(inner, Dense(4, 1, rng=2, dtype="float64"))
    s = mc_dropout_predict(model, _X(np), n_samples=6, rng=0)
    assert s.shape == (6, 5, 1) and np.all(s.std(axis=0) > 0)
    assert inner.layers[1].training
    s = mc_dropout_predict(Dropout(0.5, rng=0), np.ones((2, 3)), n_samples=4, rng=0)
    assert s.shape == (4, 2, 3) and set(np.unique(s)) <= {0.0, 2.0}


@pytest.mark.parametrize("bad, exc, match", [
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_samples=True), TypeError, "n_samples"),
    (dict(n_samples=2.0), TypeError, "n_samples"),
    (dict(rng="seed"), TypeError, "rng"),
])
def test_bad_arguments(bad, exc, match):
    kw = dict(n_samples=2, rng=0) | bad
    with pytest.raises(exc, match=match):
        mc_dropout_predict(_model(), _X(np), **kw)


def test_errors_for_a_model_without_dropout_and_bad_inputs():
    with pytest.raises(ValueError, match="no Dropout layer"):
        mc_dropout_predict(Sequential(Dense(3, 1, rng=0)), _X(np), n_samples=2)
    with pytest.raises(TypeError, match="dnnlib Layer"):
        mc_dropout_predict(lambda x: x, _X(np), n_samples=2)
    with pytest.raises(TypeError, match="X"):
        mc_dropout_predict(_model(), np.ones((2, 3), dtype=int), n_samples=2)


def test_doctests():
    import doctest

    import dnnlib.lab.uncertainty as U

    res = doctest.testmod(U, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
