"""Layers: gradient checks, PyTorch references, modes, dtypes, backends and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.layers import (
    Activation,
    BatchNorm1d,
    Dense,
    Dropout,
    LeakyReLU,
    Parameter,
    ReLU,
    Sigmoid,
    Tanh,
)
from dnnlib.model import Sequential


# --------------------------------------------------------------------------- helpers
def rel_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||), 0 when both are zero."""
    a, b = np.asarray(dl.to_numpy(a), float), np.asarray(dl.to_numpy(b), float)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f, x0: np.ndarray, set_, eps: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar ``f()`` with respect to the host array ``x0``.

    ``set_(host)`` writes a perturbed copy where ``f`` reads it (input or parameter).
    """
    g = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        x = x0.copy()
        x[idx] += eps
        set_(x)
        fp = f()
        x[idx] -= 2 * eps
        set_(x)
        fm = f()
        g[idx] = (fp - fm) / (2 * eps)
    set_(x0)
    return g


def _stochastic(layer):
    subs = getattr(layer, "layers", [layer])
    return [s for s in subs if isinstance(getattr(s, "rng", None), np.random.Generator)]


def layer_grad_errors(layer, x_host: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Relative errors of ``layer.backward`` against centred differences of sum(out * R).

    Restores the Generator state of dropout layers before every forward, so the same
    mask is used throughout. Returns ``{"x": err, "W": err, ...}``.
    """
    states = [(s, s.rng.bit_generator.state) for s in _stochastic(layer)]

    def restore():
        for s, st in states:
            s.rng.bit_generator.state = st

    restore()
    out = layer.forward(B.asarray(x_host))
    R = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    layer.zero_grad()
    dx = layer.backward(B.asarray(R))
    analytic = {"x": dl.to_numpy(dx).copy()}
    analytic.update({p.name: dl.to_numpy(p.grad).copy() for p in layer.params})

    cur = {"x": x_host.copy()}

    def f():
        restore()
        return float(np.sum(dl.to_numpy(layer.forward(B.asarray(cur["x"]))) * R))

    def set_x(h):
        cur["x"] = h

    errors = {"x": rel_error(analytic["x"], numerical_gradient(f, x_host.copy(), set_x))}
    for p in layer.params:
        def set_p(h, p=p):
            p.data[...] = B.asarray(h, like=p.data)

        num = numerical_gradient(f, dl.to_numpy(p.data).astype(float).copy(), set_p)
        errors[p.name] = rel_error(analytic[p.name], num)
    return errors


def away_from_zero(rng, shape, margin=0.05):
    """Normal numbers pushed away from the kinks of ReLU-like functions."""
    x = rng.standard_normal(shape)
    return x + np.sign(x) * margin


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def check_against_torch(ours, theirs, rtol: float = 1e-6, atol: float = 1e-12) -> None:
    """One-line comparison of a dnnlib array with a torch tensor (float64)."""
    np.testing.assert_allclose(dl.to_numpy(ours), theirs.detach().cpu().numpy(),
                               rtol=rtol, atol=atol)


def t64(torch, a, grad: bool = False):
    return torch.tensor(np.asarray(dl.to_numpy(a), dtype=np.float64), requires_grad=grad)


# --------------------------------------------------------------------------- gradient checks
DENSE_SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 6), (None, 4, 3), (None, 1, 5)]


@pytest.mark.parametrize("N, D, H", DENSE_SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_dense_gradients(xp, N, D, H, bias):
    rng = np.random.default_rng(N or 0)
    layer = Dense(D, H, bias=bias, rng=1, dtype="float64")
    x = rng.standard_normal((D,) if N is None else (N, D))
    errors = layer_grad_errors(layer, x)
    assert set(errors) == ({"x", "W", "b"} if bias else {"x", "W"})
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh, LeakyReLU, lambda: LeakyReLU(0.2)],
                         ids=["relu", "sigmoid", "tanh", "leaky", "leaky0.2"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_activation_gradients(xp, make, shape):
    errors = layer_grad_errors(make(), away_from_zero(np.random.default_rng(3), shape))
    assert errors["x"] <= 1e-7, errors


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(6, 4), (10,)])
def test_dropout_gradients_train_mode(xp, p, shape):
    layer = Dropout(p, rng=7)
    errors = layer_grad_errors(layer, np.random.default_rng(0).standard_normal(shape))
    assert errors["x"] <= 1e-7, errors


@pytest.mark.parametrize("N, D", [(3, 1), (5, 3), (8, 4)])  # N=2: dx is exactly 0
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(xp, N, D, training):
    rng = np.random.default_rng(N)
    layer = BatchNorm1d(D, dtype="float64")
    layer.gamma.data[...] = B.asarray(rng.uniform(0.5, 2.0, D))
    layer.beta.data[...] = B.asarray(rng.standard_normal(D))
    layer.running_mean[...] = B.asarray(rng.standard_normal(D))
    layer.running_var[...] = B.asarray(rng.uniform(0.5, 2.0, D))
    layer.train(training)
    errors = layer_grad_errors(layer, 3.0 * rng.standard_normal((N, D)) + 1.0)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) <= 1e-7, errors


def test_gradients_accumulate(xp):
    layer = Dense(3, 2, rng=0, dtype="float64")
    x = B.asarray(np.ones((4, 3)))
    dout = B.asarray(np.ones((4, 2)))
    layer(x)
    layer.backward(dout)
    once = dl.to_numpy(layer.W.grad).copy()
    layer.backward(dout)
    np.testing.assert_array_equal(dl.to_numpy(layer.W.grad), 2 * once)
    layer.zero_grad()
    assert not np.any(dl.to_numpy(layer.W.grad))


# --------------------------------------------------------------------------- PyTorch references
def test_dense_matches_torch(xp, torch):
    rng = np.random.default_rng(0)
    layer = Dense(4, 3, rng=2, dtype="float64")
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    lin = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(t64(torch, layer.W.data).T)   # torch stores (out, in)
        lin.bias.copy_(t64(torch, layer.b.data))
    xt = t64(torch, x, grad=True)
    zt = lin(xt)
    zt.backward(t64(torch, dout))
    check_against_torch(layer(B.asarray(x)), zt)
    check_against_torch(layer.backward(B.asarray(dout)), xt.grad)
    check_against_torch(layer.W.grad, lin.weight.grad.T)
    check_against_torch(layer.b.grad, lin.bias.grad)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky"])
def test_activations_match_torch(xp, torch, name):
    ours = {"relu": ReLU(), "sigmoid": Sigmoid(), "tanh": Tanh(), "leaky": LeakyReLU(0.05)}[name]
    theirs = {"relu": torch.nn.ReLU(), "sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(),
              "leaky": torch.nn.LeakyReLU(0.05)}[name]
    rng = np.random.default_rng(1)
    x, dout = 3 * rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    xt = t64(torch, x, grad=True)
    yt = theirs(xt)
    yt.backward(t64(torch, dout))
    check_against_torch(ours(B.asarray(x)), yt)
    check_against_torch(ours.backward(B.asarray(dout)), xt.grad)


def test_dropout_matches_torch_with_our_mask(xp, torch):
    rng = np.random.default_rng(2)
    x, dout = rng.standard_normal((8, 5)), rng.standard_normal((8, 5))
    drop = Dropout(0.4, rng=3)
    y = drop(B.asarray(x))
    mask = drop.cache
    xt = t64(torch, x, grad=True)
    yt = xt * t64(torch, mask)   # torch's dropout with our mask: x * m / (1 - p)
    yt.backward(t64(torch, dout))
    check_against_torch(y, yt)
    check_against_torch(drop.backward(B.asarray(dout)), xt.grad)
    kept = dl.to_numpy(mask)
    assert set(np.unique(kept)) <= {0.0, 1 / 0.6}


def test_batchnorm_matches_torch_train_then_eval(xp, torch):
    rng = np.random.default_rng(4)
    D = 3
    ours = BatchNorm1d(D, momentum=0.2, dtype="float64")
    theirs = torch.nn.BatchNorm1d(D, momentum=0.2, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, D), rng.standard_normal(D)
    ours.gamma.data[...] = B.asarray(gamma)
    ours.beta.data[...] = B.asarray(beta)
    with torch.no_grad():
        theirs.weight.copy_(t64(torch, gamma))
        theirs.bias.copy_(t64(torch, beta))
    for step in range(5):
        x = 2 * rng.standard_normal((6 + step, D)) + 1
        dout = rng.standard_normal(x.shape)
        ours.zero_grad()
        theirs.zero_grad()
        xt = t64(torch, x, grad=True)
        yt = theirs(xt)
        yt.backward(t64(torch, dout))
        check_against_torch(ours(B.asarray(x)), yt)
        check_against_torch(ours.backward(B.asarray(dout)), xt.grad)
        check_against_torch(ours.gamma.grad, theirs.weight.grad)
        check_against_torch(ours.beta.grad, theirs.bias.grad)
    check_against_torch(ours.running_mean, theirs.running_mean)
    check_against_torch(ours.running_var, theirs.running_var)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((4, D))
    xt = t64(torch, x, grad=True)
    yt = theirs(xt)
    yt.backward(torch.ones_like(yt))
    check_against_torch(ours(B.asarray(x)), yt)
    check_against_torch(ours.backward(B.asarray(np.ones((4, D)))), xt.grad)


# --------------------------------------------------------------------------- modes
def test_dropout_identity_in_eval_and_scaled_in_training(xp):
    x = B.asarray(np.ones((200, 50)))
    drop = Dropout(0.25, rng=0)
    y = dl.to_numpy(drop(x))
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02          # drop probability p
    assert abs(y.mean() - 1.0) < 0.03                  # inverted: expectation preserved
    assert drop.eval() is drop and not drop.training
    y_eval = drop(x)
    np.testing.assert_array_equal(dl.to_numpy(y_eval), dl.to_numpy(x))
    np.testing.assert_array_equal(dl.to_numpy(drop.backward(x)), dl.to_numpy(x))


def test_dropout_p0_is_identity_and_same_seed_same_mask(xp):
    x = B.asarray(np.random.default_rng(0).standard_normal((4, 3)))
    np.testing.assert_array_equal(dl.to_numpy(Dropout(0.0)(x)), dl.to_numpy(x))
    a, b = Dropout(0.5, rng=11), Dropout(0.5, rng=11)
    np.testing.assert_array_equal(dl.to_numpy(a(x)), dl.to_numpy(b(x)))
    assert isinstance(a.rng, np.random.Generator)
    state = a.rng.bit_generator.state
    first = dl.to_numpy(a(x))
    a.rng.bit_generator.state = state
    np.testing.assert_array_equal(dl.to_numpy(a(x)), first)   # replayable (gradient checks)


def test_batchnorm_eval_uses_running_stats(xp):
    bn = BatchNorm1d(2, dtype="float64")
    bn.running_mean[...] = B.asarray(np.array([1.0, -2.0]))
    bn.running_var[...] = B.asarray(np.array([4.0, 0.25]))
    bn.eval()
    x = np.array([[3.0, -2.0], [1.0, -1.5]])
    y = dl.to_numpy(bn(B.asarray(x)))
    want = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-12)
    np.testing.assert_array_equal(dl.to_numpy(bn.running_mean), [1.0, -2.0])  # unchanged
    bn(B.asarray(x[:1]))   # a batch of one is fine in eval mode


def test_batchnorm_training_normalises_and_updates_buffers(xp):
    bn = BatchNorm1d(3, dtype="float64")
    x = np.random.default_rng(0).standard_normal((10, 3)) * 5 + 2
    y = dl.to_numpy(bn(B.asarray(x)))
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-5)
    np.testing.assert_allclose(dl.to_numpy(bn.running_mean), 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dl.to_numpy(bn.running_var), 0.9 + 0.1 * x.var(axis=0, ddof=1),
                               rtol=1e-12)
    assert set(bn.buffers()) == {"running_mean", "running_var"}


def test_batchnorm_load_buffers(xp):
    bn = BatchNorm1d(2)
    ref = bn.running_mean
    bn.load_buffers({"running_mean": np.array([1.0, 2.0]), "running_var": np.array([3.0, 4.0])})
    assert bn.running_mean is ref                      # in place
    assert bn.running_mean.dtype == xp.float32
    np.testing.assert_array_equal(dl.to_numpy(bn.running_var), [3.0, 4.0])
    with pytest.raises(ValueError, match=r"BatchNorm1d.load_buffers: running_var must have "
                                         r"shape \(2,\), got \(3,\)"):
        bn.load_buffers({"running_var": np.ones(3)})
    with pytest.raises(ValueError, match=r"BatchNorm1d.load_buffers: unexpected buffers \['m'\]"):
        bn.load_buffers({"m": np.ones(2)})


# --------------------------------------------------------------------------- dtypes, backends
@pytest.mark.parametrize("make", [lambda: Dense(3, 2, rng=0), lambda: BatchNorm1d(3)],
                         ids=["dense", "batchnorm"])
def test_float64_input_into_float32_layer(xp, make):
    """The doors cast (Keras's rule): ``layer(x)`` casts x, a model's ``backward`` casts
    dout; a single layer's ``backward`` is the math and trusts its dout."""
    layer = make()
    x = B.asarray(np.random.default_rng(0).standard_normal((4, 3)))   # float64
    assert x.dtype == xp.float64
    y = layer(x)
    assert y.dtype == xp.float32
    assert_namespace(y, xp)
    model = Sequential(layer)
    y = model(x)
    assert y.dtype == xp.float32
    dx = model.backward(B.asarray(np.ones(tuple(y.shape))))           # float64 dout
    assert dx.dtype == xp.float32
    assert_namespace(dx, xp)
    for p in layer.params:
        assert p.data.dtype == xp.float32 and p.grad.dtype == xp.float32
        assert_namespace(p.grad, xp)


@pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh, LeakyReLU, lambda: Dropout(0.5, rng=0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations_keep_dtype_and_namespace(xp, make, dtype):
    x = B.asarray(np.linspace(-3, 3, 12).reshape(3, 4), dtype=getattr(xp, dtype))
    layer = make()
    y = layer(x)
    dx = layer.backward(xp.ones_like(y))
    for a in (y, dx):
        assert a.dtype == getattr(xp, dtype)
        assert_namespace(a, xp)


def test_single_example_equals_row_of_batch(xp):
    layer = Dense(3, 4, rng=5, dtype="float64")
    X = B.asarray(np.random.default_rng(1).standard_normal((2, 3)))
    single = layer(X[0, ...])
    assert tuple(single.shape) == (4,)
    np.testing.assert_allclose(dl.to_numpy(single), dl.to_numpy(layer(X))[0], rtol=1e-14)
    layer(X[0, ...])
    dx = layer.backward(B.asarray(np.ones(4)))
    assert tuple(dx.shape) == (3,)
    np.testing.assert_allclose(dl.to_numpy(layer.W.grad),
                               np.outer(dl.to_numpy(X)[0], np.ones(4)), rtol=1e-14)


def test_same_seed_same_weights_on_every_backend():
    for init in ("he", "he_uniform", "glorot", "glorot_uniform"):
        ref = dl.to_numpy(Dense(5, 4, init=init, rng=42).W.data)
        with dl.use_backend("array_api_strict"):
            other = Dense(5, 4, init=init, rng=42)
        assert type(other.W.data).__module__.startswith("array_api_strict")
        np.testing.assert_array_equal(dl.to_numpy(other.W.data), ref)


def test_initialisations():
    D, H = 400, 300
    w = dl.to_numpy(Dense(D, H, rng=0, dtype="float64").W.data)
    assert abs(w.std() - np.sqrt(2 / D)) < 0.02 * np.sqrt(2 / D)
    w = dl.to_numpy(Dense(D, H, init="glorot_uniform", rng=0).W.data)
    limit = np.sqrt(6 / (D + H))
    assert w.max() <= limit and w.min() >= -limit and w.max() > 0.99 * limit
    w = dl.to_numpy(Dense(D, H, init="he_uniform", rng=0).W.data)
    assert w.max() <= np.sqrt(6 / D)
    assert not np.any(dl.to_numpy(Dense(3, 2, init="zeros").W.data))
    assert not np.any(dl.to_numpy(Dense(3, 2, rng=0).b.data))
    assert Dense(3, 2, rng=0).W.data.dtype == np.float32
    dl.set_default_dtype("float64")
    assert Dense(3, 2, rng=0).W.data.dtype == np.float64
    assert Dense(3, 2, rng=0, dtype=np.float32).W.data.dtype == np.float32


def test_reprs_and_params():
    assert repr(Dense(2, 3)) == "Dense(in_features=2, out_features=3)"
    assert repr(Dense(2, 3, bias=False)) == "Dense(in_features=2, out_features=3, bias=False)"
    assert repr(ReLU()) == "ReLU()"
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(slope=0.2)"
    assert repr(Dropout(0.3)) == "Dropout(p=0.3)"
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1)"
    assert [p.name for p in Dense(2, 3).params] == ["W", "b"]
    assert [p.name for p in Dense(2, 3, bias=False).params] == ["W"]
    assert [p.name for p in BatchNorm1d(3).params] == ["gamma", "beta"]
    assert ReLU().params == [] and Dropout().buffers() == {}
    assert all(isinstance(p, Parameter) for p in Dense(2, 3).params)


# --------------------------------------------------------------------------- bad inputs
def _strict_dense():
    with dl.use_backend("array_api_strict"):
        return Dense(2, 3, rng=0)


def _backward_before_forward(layer):
    return lambda: layer.backward(np.ones((1, 3)))


BAD = [
    # (id, call, exception, message regex)
    ("dense-features", lambda: Dense(2, 3)(np.ones((4, 3))), ValueError,
     r"Dense\.forward: x has 3 features, expected 2"),
    ("dense-single-features", lambda: Dense(2, 3)(np.ones(5)), ValueError,
     r"Dense\.forward: x has 5 features, expected 2"),
    ("dense-3d", lambda: Dense(2, 3)(np.ones((2, 2, 2))), ValueError,
     r"Dense\.forward: x must be 1-D or 2-D, got a 3-D array"),
    ("dense-0d", lambda: Dense(2, 3)(np.float64(1.0) * np.ones(())), ValueError,
     r"Dense\.forward: x must be 1-D or 2-D, got a 0-D"),
    ("dense-int-input", lambda: Dense(2, 3)(np.ones((4, 2), dtype=np.int64)), TypeError,
     r"Dense\.forward: x must have a floating dtype.*int64"),
    ("dense-zero-in", lambda: Dense(0, 3), ValueError, r"Dense: in_features must be >= 1, got 0"),
    ("dense-neg-out", lambda: Dense(2, -1), ValueError,
     r"Dense: out_features must be >= 1, got -1"),
    ("dense-float-size", lambda: Dense(2.0, 3), TypeError, r"Dense: in_features must be an int"),
    ("dense-init", lambda: Dense(2, 3, init="xavier"), ValueError,
     r"Dense: init must be one of .*got 'xavier'"),
    ("dense-dtype", lambda: Dense(2, 3, dtype="int32"), ValueError,
     r"Dense: dtype must be 'float32' or 'float64', got 'int32'"),
    ("dense-rng", lambda: Dense(2, 3, rng="seed"), TypeError, r"Dense: rng must be"),
    ("dense-mixed-backends", lambda: _strict_dense()(np.ones((4, 2), dtype=np.float32)),
     TypeError, r"Dense\.forward: got arrays from different backends"),
    ("dense-backward-first", _backward_before_forward(Dense(2, 3)), RuntimeError,
     r"Dense\.backward: call forward before backward"),
    ("dense-dout-shape", lambda: (lambda d: (d(np.ones((4, 2))), d.backward(np.ones((4, 2)))))(
        Sequential(Dense(2, 3))), ValueError,
     r"Sequential\.backward: dout must have shape \(4, 3\).*got \(4, 2\)"),
    ("relu-int", lambda: ReLU()(np.arange(3)), TypeError, r"ReLU\.forward: x must have a floating"),
    ("sigmoid-backward-first", lambda: Sigmoid().backward(np.ones(3)), RuntimeError,
     r"Sigmoid\.backward: call forward before backward"),
    ("leaky-neg-slope", lambda: LeakyReLU(-0.1), ValueError,
     r"LeakyReLU: slope must lie in \[0\.0, inf\], got -0\.1"),
    ("dropout-p-one", lambda: Dropout(1.0), ValueError,
     r"Dropout: p must lie in \[0\.0, 1\.0\), got 1\.0"),
    ("dropout-p-negative", lambda: Dropout(-0.1), ValueError, r"Dropout: p must lie in"),
    ("dropout-p-str", lambda: Dropout("0.5"), TypeError, r"Dropout: p must be a number"),
    ("dropout-backward-first", lambda: Dropout().backward(np.ones(3)), RuntimeError,
     r"Dropout\.backward: call forward before backward"),
    ("dropout-int", lambda: Dropout()(np.ones(3, dtype=np.int32)), TypeError,
     r"Dropout\.forward: x must have a floating dtype"),
    ("bn-batch-of-one", lambda: BatchNorm1d(3)(np.ones((1, 3))), ValueError,
     r"BatchNorm1d\.forward: x must have more than 1 example.*\(1, 3\)"),
    ("bn-1d", lambda: BatchNorm1d(3)(np.ones(3)), ValueError,
     r"BatchNorm1d\.forward: x must be \(N, D\) or \(N, C, L\), got shape \(3,\)"),
    ("bn-features", lambda: BatchNorm1d(3)(np.ones((4, 2))), ValueError,
     r"BatchNorm1d\.forward: x has 2 features, expected 3"),
    ("bn-zero-features", lambda: BatchNorm1d(0), ValueError,
     r"BatchNorm1d: num_features must be >= 1, got 0"),
    ("bn-eps", lambda: BatchNorm1d(3, eps=0.0), ValueError, r"BatchNorm1d: eps must lie in \(0"),
    ("bn-momentum", lambda: BatchNorm1d(3, momentum=1.5), ValueError,
     r"BatchNorm1d: momentum must lie in \[0\.0, 1\.0\], got 1\.5"),
    ("bn-backward-first", lambda: BatchNorm1d(3).backward(np.ones((2, 3))), RuntimeError,
     r"BatchNorm1d\.backward: call forward before backward"),
]


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --------------------------------------------------------------------------- dnnlib.gradcheck
@pytest.mark.parametrize("make, shape", [
    (lambda: Dense(4, 3, rng=0, dtype="float64"), (5, 4)),
    (lambda: Dense(4, 3, rng=0, dtype="float64"), (4,)),
    (ReLU, (3, 4)), (Sigmoid, (3, 4)), (Tanh, (3, 4)), (LeakyReLU, (3, 4)),
    (lambda: Dropout(0.5, rng=1), (6, 3)),
    (lambda: BatchNorm1d(3, dtype="float64"), (6, 3)),
], ids=["dense", "dense-single", "relu", "sigmoid", "tanh", "leaky", "dropout", "batchnorm"])
def test_layers_pass_dnnlib_gradcheck(xp, make, shape):
    from dnnlib import gradcheck
    x = B.asarray(away_from_zero(np.random.default_rng(0), shape))
    result = gradcheck.check_gradients(make(), x)
    assert result.ok and result.max_rel_error <= 1e-7, result


# --------------------------------------------------------------------------- lookup, messages
def test_make_activation_knows_every_activation_by_its_name():
    from dnnlib.layers import ACTIVATIONS, make_activation

    for name, cls in ACTIVATIONS.items():
        layer = make_activation(name, slope=0.2)
        assert type(layer) is cls and layer.name == name
    assert make_activation("leaky_relu", slope=0.2).slope == 0.2
    with pytest.raises(ValueError, match=r"make_activation: name must be one of .*'gelu'"):
        make_activation("gelu")


@pytest.mark.parametrize("layer", [Dense(2, 3), Sigmoid(), Dropout(), BatchNorm1d(3)],
                         ids=["dense", "sigmoid", "dropout", "batchnorm"])
def test_backward_before_forward_names_the_method_once(layer):
    with pytest.raises(RuntimeError) as info:
        layer.backward(np.ones((2, 3)))
    assert str(info.value) == f"{type(layer).__name__}.backward: call forward before backward"


def test_each_activation_prints_its_own_backward():
    """Chapter 5 prints Tanh.backward: it must be Tanh's code, with tanh's derivative."""
    import inspect

    for cls, grad in ((ReLU, "relu_grad"), (Sigmoid, "sigmoid_grad"), (Tanh, "tanh_grad"),
                      (LeakyReLU, "leaky_relu_grad")):
        assert "backward" in vars(cls) and "forward" in vars(cls), cls
        assert f"F.{grad}(" in inspect.getsource(cls.backward)


def test_dense_backward_is_its_three_products(xp):
    """dW = x^T dout, db = sum dout, dx = dout W^T, at batch 1 (the outer product), for
    one example (D,) and for a batch; the first layer of a network skips dx."""
    g = np.random.default_rng(3)
    for shape in [(5, 4), (1, 4), (4,)]:
        layer = Dense(4, 3, rng=0, dtype="float64")
        x = B.asarray(g.normal(size=shape), dtype=xp.float64)
        z = layer(x)
        dout = B.asarray(g.normal(size=tuple(z.shape)), dtype=xp.float64)
        dx = layer.backward(dout)
        xh, dh, W = dl.to_numpy(x), dl.to_numpy(dout), dl.to_numpy(layer.W.data)
        x2, d2 = xh.reshape(-1, 4), dh.reshape(-1, 3)
        np.testing.assert_allclose(dl.to_numpy(layer.W.grad), x2.T @ d2, rtol=1e-12)
        np.testing.assert_allclose(dl.to_numpy(layer.b.grad), d2.sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(dl.to_numpy(dx), dh @ W.T, rtol=1e-12)
        assert tuple(dx.shape) == shape
        layer.needs_input_grad = False
        assert layer.backward(dout) is None


def test_an_activation_subclass_overriding_the_old_df_hook_still_works():
    """Chapter 5 plants a bug by overriding ``_df`` (the protocol before issue 16)."""
    from dnnlib import gradcheck

    class TanhWithBug(Tanh):
        def _df(self, z):
            return 1.0 - np.tanh(z)

    class Square(Activation):
        def _f(self, z):
            return z * z

        def _df(self, z):
            return 2.0 * z

    x = np.random.default_rng(0).normal(size=(5, 3))
    assert not gradcheck.check_gradients(TanhWithBug(), x).ok
    assert gradcheck.check_gradients(Square(), x).ok
    np.testing.assert_array_equal(Square()(x), x * x)
