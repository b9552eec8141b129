"""dnnlib.lab.monitors: pre-activations against a hand-written forward pass, no side effects
on the model (modes, BatchNorm buffers, dropout generators), the fit callback, and the
training-mode evaluation, on every backend."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib.lab import monitors as M
from dnnlib.layers import BatchNorm1d, Dense, Dropout, ReLU, Tanh
from dnnlib.losses import MSE, SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import SGD
from dnnlib.train import evaluate, fit


def _bn_model(dtype="float64", dropout=False):
    layers = [Dense(3, 5, rng=0, dtype=dtype), BatchNorm1d(5, dtype=dtype), Tanh()]
    if dropout:
        layers.append(Dropout(0.3, rng=5))
    layers += [Dense(5, 4, rng=1, dtype=dtype), ReLU(), Dense(4, 2, rng=2, dtype=dtype)]
    return Sequential(*layers)


def _data(n=12, dtype="float64"):
    g = np.random.default_rng(0)
    X = dl.backend.asarray(g.normal(size=(n, 3)).astype(dtype))
    y = dl.backend.asarray(g.integers(0, 2, size=n))
    return X, y


def _buffers(model):
    return {k: dl.to_numpy(v).copy() for k, v in model.buffers().items()}


def test_doctests():
    res = doctest.testmod(M, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


def test_preactivations_match_a_hand_written_forward(xp):
    model = _bn_model()
    bn = model.layers[1]
    bn.gamma.data[...] = dl.backend.asarray(np.array([0.5, 1.0, 2.0, 1.5, 0.7]))
    bn.beta.data[...] = dl.backend.asarray(np.array([0.1, -0.2, 0.0, 0.3, 1.0]))
    X, _ = _data()
    Xh = dl.to_numpy(X)
    W1, b1 = dl.to_numpy(model.layers[0].W.data), dl.to_numpy(model.layers[0].b.data)
    z1 = Xh @ W1 + b1
    zhat = (z1 - z1.mean(0)) / np.sqrt(z1.var(0) + bn.eps)
    act1 = dl.to_numpy(bn.gamma.data) * zhat + dl.to_numpy(bn.beta.data)
    W2, b2 = dl.to_numpy(model.layers[3].W.data), dl.to_numpy(model.layers[3].b.data)
    z2 = np.tanh(act1) @ W2 + b2
    got = M.preactivations_by_layer(model, X)
    assert [type(z) for z in got] == [np.ndarray, np.ndarray]
    np.testing.assert_allclose(got[0], act1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], z2, rtol=1e-10, atol=1e-12)
    dense = M.preactivations_by_layer(model, X, where="dense")
    assert [z.shape for z in dense] == [(12, 5), (12, 4), (12, 2)]
    np.testing.assert_allclose(dense[0], z1, rtol=1e-10, atol=1e-12)
    # the model itself still computes on the backend
    assert_namespace(model(X), xp)


def test_eval_mode_uses_running_statistics(xp):
    model = _bn_model()
    bn = model.layers[1]
    bn.running_mean[...] = dl.backend.asarray(np.linspace(-1, 1, 5))
    bn.running_var[...] = dl.backend.asarray(np.linspace(0.5, 2, 5))
    X, _ = _data()
    z1 = dl.to_numpy(model.layers[0](X))
    want = (z1 - np.linspace(-1, 1, 5)) / np.sqrt(np.linspace(0.5, 2, 5) + bn.eps)
    got = M.preactivations_by_layer(model, X, training=False)[0]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("training", [True, False, None])
def test_preactivations_leave_the_model_as_found(training):
    model = _bn_model(dropout=True)
    model.eval()
    model.layers[3].train()  # a mixed state must come back exactly
    modes = [layer.training for layer in model.layers]
    before = _buffers(model)
    gen_state = model.layers[3].rng.bit_generator.state
    X, _ = _data()
    M.preactivations_by_layer(model, X, training=training)
    assert [layer.training for layer in model.layers] == modes
    for k, v in _buffers(model).items():
        np.testing.assert_array_equal(v, before[k])
    assert model.layers[3].rng.bit_generator.state == gen_state


def test_bad_arguments():
    model = _bn_model()
    X, y = _data()
    with pytest.raises(ValueError, match="where must be one of"):
        M.preactivations_by_layer(model, X, where="relu")
    with pytest.raises(TypeError, match="model must be"):
        M.preactivations_by_layer("model", X)
    with pytest.raises(TypeError, match="training must be"):
        M.preactivations_by_layer(model, X, training=1)
    with pytest.raises(ValueError, match="every"):
        M.PreActivationMonitor(X, every=0)
    with pytest.raises(ValueError, match="nothing recorded"):
        M.PreActivationMonitor(X).moments()
    with pytest.raises(ValueError, match="batch_size"):
        M.evaluate_train_mode(model, SoftmaxCrossEntropy(), X, y, batch_size=1)
    with pytest.raises(ValueError, match="batch_size must be <="):
        M.evaluate_train_mode(model, SoftmaxCrossEntropy(), X, y, batch_size=13)


@pytest.mark.parametrize("every, n_records", [(None, 4), (5, 1 + 9 // 5)])
def test_monitor_records_and_does_not_change_training(every, n_records):
    X, y = _data(n=12)
    runs = {}
    for name, callbacks in (("plain", []), ("monitored", None)):
        model = _bn_model(dropout=True)
        monitor = M.PreActivationMonitor(X[:8], every=every)
        fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=3,
            batch_size=4, rng=0, progress=False,
            callbacks=[monitor] if callbacks is None else callbacks)
        runs[name] = (model.state_dict(), monitor)
    plain, (monitored, monitor) = runs["plain"][0], runs["monitored"]
    for k in plain:
        np.testing.assert_array_equal(plain[k], monitored[k])
    assert len(monitor) == n_records
    assert monitor.steps[0] == 0 and monitor.epochs[0] == 0
    if every is None:
        assert monitor.steps == [0, 3, 6, 9] and monitor.epochs == [0, 1, 2, 3]
    else:
        assert monitor.steps == [0, 5]
    assert [z.shape for z in monitor.values[-1]] == [(8, 5), (8, 4)]
    p = monitor.percentiles((15, 50, 85), layer=1)
    assert p.shape == (n_records, 3)
    np.testing.assert_allclose(p[-1], np.percentile(monitor.values[-1][1], [15, 50, 85]))
    p0 = monitor.percentiles([50], layer=0, unit=2)
    np.testing.assert_allclose(p0[0, 0], np.median(monitor.values[0][0][:, 2]))
    means, stds = monitor.moments()
    assert means.shape == stds.shape == (n_records, 2)
    np.testing.assert_allclose(stds[0, 1], monitor.values[0][1].std())
    with pytest.raises(ValueError, match="layer must be in"):
        monitor.percentiles(layer=2)


def test_evaluate_train_mode_uses_batch_statistics(xp):
    model = _bn_model()
    X, y = _data(n=12)
    loss = SoftmaxCrossEntropy()
    before = _buffers(model)
    got_loss, got_acc = M.evaluate_train_mode(model, loss, X, y, batch_size=4, rng=3)
    for k, v in _buffers(model).items():
        np.testing.assert_array_equal(v, before[k])
    assert model.training
    # by hand: the same batches, each normalised with its own statistics
    order = np.random.default_rng(3).permutation(12)
    Xh, yh = dl.to_numpy(X), dl.to_numpy(y)
    total, correct = 0.0, 0
    for i in range(0, 12, 4):
        idx = order[i:i + 4]
        out = dl.to_numpy(model(dl.backend.asarray(Xh[idx])))
        logp = out - out.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        total += -logp[np.arange(4), yh[idx]].sum()
        correct += int((out.argmax(1) == yh[idx]).sum())
    assert got_loss == pytest.approx(total / 12, rel=1e-10)
    assert got_acc == correct / 12
    # differs from evaluation mode (running statistics at their initial values)
    assert got_loss != pytest.approx(evaluate(model, loss, X, y)[0])


def test_evaluate_train_mode_equals_evaluate_without_batchnorm():
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), Tanh(),
                       Dense(4, 1, rng=1, dtype="float64"))
    X, _ = _data(n=12)
    y = dl.backend.asarray(np.linspace(-1, 1, 12).reshape(12, 1))
    got = M.evaluate_train_mode(model, MSE(), X, y, batch_size=6)
    assert got[1] is None
    assert got[0] == pytest.approx(evaluate(model, MSE(), X, y)[0], rel=1e-12)
    # a last partial batch is dropped: 12 rows in batches of 5 use 10 of them
    loss5, _ = M.evaluate_train_mode(model, MSE(), X, y, batch_size=5, rng=0)
    assert np.isfinite(loss5)
