"""RNN and GRU: gradient checks, PyTorch (nn.RNN, nn.GRU), BPTT by hand, bad inputs; clipping."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace
from torch_ref import assert_matches, t64

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.gradcheck import check_gradients
from dnnlib.layers import GRU, RNN, Dense, Parameter, Reshape
from dnnlib.model import Sequential
from dnnlib.optim import clip_grad_norm

# (N, T, D, H)
SHAPES = [(2, 4, 3, 5), (3, 1, 1, 2), (1, 6, 2, 3)]
CLASSES = {"rnn": RNN, "gru": GRU}


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _x(xp, N, T, D, seed=0):
    return B.asarray(np.random.default_rng(seed).normal(size=(N, T, D)), dtype=xp.float64)


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("kind", list(CLASSES))
@pytest.mark.parametrize("N, T, D, H", SHAPES)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradcheck(xp, kind, N, T, D, H, return_sequences):
    layer = CLASSES[kind](D, H, return_sequences=return_sequences, rng=1, dtype="float64")
    r = check_gradients(layer, _x(xp, N, T, D), rng=2)
    assert set(r.errors) == {"input", "W_ih", "W_hh", "b_ih", "b_hh"}
    assert r.ok and r.max_rel_error <= 1e-7, r


# --------------------------------------------------------------------------- PyTorch
def _torch_twin(torch, layer):
    cls = {RNN: torch.nn.RNN, GRU: torch.nn.GRU}[type(layer)]
    twin = cls(layer.input_size, layer.hidden_size, batch_first=True, dtype=torch.float64)
    with torch.no_grad():   # PyTorch's layout: the arrays copy as they are
        twin.weight_ih_l0.copy_(t64(torch, layer.W_ih.data))
        twin.weight_hh_l0.copy_(t64(torch, layer.W_hh.data))
        twin.bias_ih_l0.copy_(t64(torch, layer.b_ih.data))
        twin.bias_hh_l0.copy_(t64(torch, layer.b_hh.data))
    return twin


@pytest.mark.parametrize("kind", list(CLASSES))
@pytest.mark.parametrize("N, T, D, H", SHAPES + [(4, 40, 1, 6)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_matches_torch(xp, torch, kind, N, T, D, H, return_sequences):
    layer = CLASSES[kind](D, H, return_sequences=return_sequences, rng=3, dtype="float64")
    twin = _torch_twin(torch, layer)
    x = _x(xp, N, T, D, seed=4)
    y = layer(x)
    assert_namespace(y, xp)
    dout = np.random.default_rng(5).normal(size=tuple(y.shape))
    dx = layer.backward(B.asarray(dout, dtype=xp.float64))
    xt = t64(torch, x, True)
    out, h_n = twin(xt)
    yt = out if return_sequences else h_n[0]
    yt.backward(t64(torch, dout))
    assert_matches({"y": (y, yt), "dx": (dx, xt.grad),
                    "W_ih": (layer.W_ih.grad, twin.weight_ih_l0.grad),
                    "W_hh": (layer.W_hh.grad, twin.weight_hh_l0.grad),
                    "b_ih": (layer.b_ih.grad, twin.bias_ih_l0.grad),
                    "b_hh": (layer.b_hh.grad, twin.bias_hh_l0.grad)})


def test_initialisation_like_torch():
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, PyTorch's shapes."""
    gru = GRU(3, 16, rng=0, dtype="float64")
    assert gru.W_ih.shape == (48, 3) and gru.W_hh.shape == (48, 16)
    assert gru.b_ih.shape == gru.b_hh.shape == (48,)
    for p in gru.params:
        assert np.abs(p.data).max() <= 0.25
    assert gru.W_hh.data.std() == pytest.approx(0.25 / np.sqrt(3), rel=0.1)
    rnn = RNN(3, 16, rng=0)
    assert rnn.W_ih.shape == (16, 3) and rnn.W_hh.shape == (16, 16)
    assert rnn.W_ih.data.dtype == np.float32


# --------------------------------------------------------------------------- BPTT, by hand
def test_rnn_backward_is_the_product_of_jacobians():
    """dL/dx_1 for L = w . h_T equals W_ih^T J_1^T ... J_T^T w, J_t = diag(1 - h_t^2) W_hh."""
    rng = np.random.default_rng(6)
    T, D, H = 5, 2, 3
    rnn = RNN(D, H, rng=7, dtype="float64")
    x = rng.normal(size=(1, T, D))
    w = rng.normal(size=(1, H))
    rnn(x)
    dx = rnn.backward(w)
    h = rnn.cache[1][0]             # (T + 1, H): h_0 = 0, h_1, ..., h_T
    g = w[0]
    for t in range(T, 1, -1):       # through h_T, ..., h_2 back to h_1
        g = rnn.W_hh.data.T @ ((1 - h[t] ** 2) * g)
    g1 = rnn.W_ih.data.T @ ((1 - h[1] ** 2) * g)
    np.testing.assert_allclose(dx[0, 0], g1, rtol=1e-12)


def test_gru_with_update_gate_open_copies_the_state():
    """z = 1 everywhere (big update-gate bias): h_t = h_{t-1} = 0, the gradient to x is ~0."""
    gru = GRU(1, 2, rng=0, dtype="float64")
    gru.b_ih.data[2:4] = 50.0       # z block: rows H..2H
    y = gru(np.ones((1, 5, 1)))
    assert np.abs(y).max() < 1e-15
    np.testing.assert_allclose(gru.backward(np.ones((1, 2))), 0.0, atol=1e-15)


def test_a_gru_model_trains_in_a_sequential():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 8))
    y = (X[:, :4].sum(axis=1) > X[:, 4:].sum(axis=1)).astype(np.int64)
    model = Sequential(Reshape((8, 1)), GRU(1, 8, rng=1), Dense(8, 2, rng=2))
    from dnnlib.losses import SoftmaxCrossEntropy
    from dnnlib.optim import Adam
    from dnnlib.train import fit

    h = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.05), X, y, epochs=30,
            batch_size=16, rng=0, progress=False)
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert sorted(model.state_dict())[:2] == ["1.W_hh", "1.W_ih"]


# --------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: GRU(1, 4)(np.zeros((2, 40))), ValueError,
     "GRU.forward: x must be 3-D (N, T, D): batch, time steps, features; got shape (2, 40) "
     "(one sequence of numbers per row? add a feature axis: Reshape((T, 1)))"),
    (lambda: RNN(1, 4)(np.zeros((2, 3, 4, 1))), ValueError,
     "RNN.forward: x must be 3-D (N, T, D)"),
    (lambda: GRU(2, 4)(np.zeros((2, 5, 3))), ValueError,
     "GRU.forward: x has 3 features per step, expected input_size=2"),
    (lambda: GRU(1, 4)(np.zeros((2, 0, 1))), ValueError,
     "GRU.forward: x must have at least one time step, got shape (2, 0, 1)"),
    (lambda: GRU(1, 4)(np.zeros((2, 5, 1), dtype=np.int64)), TypeError,
     "GRU.forward: x must have a floating dtype"),
    (lambda: GRU(0, 4), ValueError, "GRU: input_size must be >= 1, got 0"),
    (lambda: RNN(1, 0), ValueError, "RNN: hidden_size must be >= 1, got 0"),
    (lambda: GRU(1, 4, return_sequences=1), TypeError, "GRU: return_sequences must be a bool"),
    (lambda: RNN(1, 2).backward(np.zeros((1, 2))), RuntimeError, "call forward before backward"),
    (lambda: clip_grad_norm([Parameter(np.zeros(2), "w")], 0.0), ValueError,
     "clip_grad_norm: max_norm must lie in (0.0, inf], got 0.0"),
    (lambda: clip_grad_norm([], 1.0), ValueError, "clip_grad_norm: params must not be empty"),
    (lambda: clip_grad_norm(np.zeros(3), 1.0), TypeError, "params must be an iterable of "
                                                           "Parameter (or a model), got ndarray"),
]


@pytest.mark.parametrize("make, exc, msg", BAD)
def test_bad_inputs(make, exc, msg):
    with pytest.raises(exc) as info:
        make()
    assert msg in str(info.value)


def test_backward_checks_dout_shape():
    # checked once, at the door: the model's backward checks dout (the layer's is the math)
    model = Sequential(GRU(1, 3, return_sequences=True))
    model(np.zeros((2, 4, 1), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Sequential.backward: dout must have shape \(2, 4, 3\)"):
        model.backward(np.zeros((2, 3), dtype=np.float32))
    assert repr(model.layers[0]) == "GRU(1, 3, return_sequences=True)"
    assert repr(RNN(2, 5)) == "RNN(2, 5)"


# --------------------------------------------------------------------------- clipping
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
def test_clip_grad_norm_matches_torch(xp, torch, max_norm):
    rng = np.random.default_rng(8)
    grads = [rng.normal(size=s) for s in ((3, 4), (4,), (2, 2, 2))]
    params = [Parameter(B.asarray(np.zeros(g.shape), dtype=xp.float64), f"p{i}")
              for i, g in enumerate(grads)]
    for p, g in zip(params, grads, strict=True):
        p.grad[...] = B.asarray(g, dtype=xp.float64)
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tparams, grads, strict=True):
        t.grad = torch.tensor(g)
    total = clip_grad_norm(params, max_norm)
    t_total = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    assert isinstance(total, float)
    assert total == pytest.approx(float(t_total), rel=1e-12)
    for p, t in zip(params, tparams, strict=True):
        np.testing.assert_allclose(dl.to_numpy(p.grad), t.grad.numpy(), rtol=1e-12)
    norm_after = np.sqrt(sum(float(np.sum(dl.to_numpy(p.grad) ** 2)) for p in params))
    assert norm_after <= max_norm * (1 + 1e-9) or norm_after == pytest.approx(total)


def test_clip_grad_norm_takes_a_model_and_refuses_nan():
    # dl.optim.clip_grad_norm is dnnlib.clip's (PyTorch's error_if_nonfinite=True)
    import dnnlib.clip

    assert clip_grad_norm is dnnlib.clip.clip_grad_norm
    model = Sequential(Dense(2, 2, rng=0))
    model.params[0].grad[...] = 3.0
    assert clip_grad_norm(model, 1.0) == pytest.approx(6.0)
    model.params[0].grad[...] = np.nan
    with pytest.raises(ValueError, match="clip_grad_norm: the gradients' total norm is nan"):
        clip_grad_norm(model, 1.0)
