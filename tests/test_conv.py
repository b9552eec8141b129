"""Conv1d and Conv2d: loops vs vectorised, gradient checks, PyTorch, backends and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace
from torch_ref import assert_matches, t64

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.gradcheck import check_gradients
from dnnlib.layers import Conv1d, Conv2d
from dnnlib.layers.conv import (
    conv1d,
    conv1d_loops,
    conv2d,
    conv2d_loops,
    conv_output_size,
    fold1d,
    fold2d,
    unfold1d,
    unfold2d,
)
from dnnlib.model import Sequential

# (N, C_in, C_out, L, K, stride, padding): stride below, equal to and above K; padding
CONV1D_CASES = [
    (2, 1, 3, 7, 3, 1, 0),
    (3, 2, 4, 9, 3, 2, 1),
    (2, 3, 2, 10, 5, 2, 1),
    (1, 2, 2, 6, 2, 3, 0),
    (2, 2, 3, 4, 4, 1, 2),
    (1, 1, 1, 5, 1, 1, 0),
]
# (N, C_in, C_out, (H, W), kernel, stride, padding)
CONV2D_CASES = [
    (2, 1, 3, (5, 5), 3, 1, 0),
    (2, 2, 3, (6, 5), (3, 2), (2, 1), (1, 0)),
    (1, 3, 2, (4, 4), 2, 2, 1),
    (2, 2, 2, (3, 5), (3, 3), 1, (0, 1)),
]


def _layer1d(C_in, C_out, K, s, p, seed=0, bias=True):
    return Conv1d(C_in, C_out, K, stride=s, padding=p, bias=bias, rng=seed, dtype="float64")


def _layer2d(C_in, C_out, K, s, p, seed=0, bias=True):
    return Conv2d(C_in, C_out, K, stride=s, padding=p, bias=bias, rng=seed, dtype="float64")


# --------------------------------------------------------------------------- the formula
@pytest.mark.parametrize("L, K, s, p, want", [(40, 5, 2, 1, 19), (19, 3, 2, 1, 10),
                                              (10, 3, 2, 1, 5), (28, 3, 1, 0, 26),
                                              (5, 5, 1, 0, 1), (3, 5, 1, 1, 1), (7, 2, 3, 0, 2)])
def test_output_size_formula(L, K, s, p, want):
    assert conv_output_size(L, K, s, p) == want
    x = np.zeros((1, 1, L))
    assert conv1d(x, np.zeros((1, 1, K)), stride=s, padding=p).shape[2] == want


# --------------------------------------------------------------------------- loops = vectorised
@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_loops_equal_vectorised_and_layer(xp, case):
    N, C_in, C_out, L, K, s, p = case
    rng = np.random.default_rng(1)
    x = B.asarray(rng.normal(size=(N, C_in, L)), dtype=xp.float64)
    layer = _layer1d(C_in, C_out, K, s, p)
    layer.b.data[...] = B.asarray(rng.normal(size=C_out))
    W, b = layer.W.data, layer.b.data
    loops = conv1d_loops(x, W, b, stride=s, padding=p)
    for other in (conv1d(x, W, b, stride=s, padding=p), layer(x)):
        assert_namespace(other, xp)
        np.testing.assert_allclose(dl.to_numpy(other), dl.to_numpy(loops), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_loops_equal_vectorised_and_layer(xp, case):
    N, C_in, C_out, HW, K, s, p = case
    rng = np.random.default_rng(2)
    x = B.asarray(rng.normal(size=(N, C_in, *HW)), dtype=xp.float64)
    layer = _layer2d(C_in, C_out, K, s, p)
    layer.b.data[...] = B.asarray(rng.normal(size=C_out))
    W, b = layer.W.data, layer.b.data
    loops = conv2d_loops(x, W, b, stride=s, padding=p)
    for other in (conv2d(x, W, b, stride=s, padding=p), layer(x)):
        assert_namespace(other, xp)
        np.testing.assert_allclose(dl.to_numpy(other), dl.to_numpy(loops), rtol=1e-12,
                                   atol=1e-12)


def test_unfold_fold_are_adjoint(xp):
    """<unfold(x), c> = <x, fold(c)>: fold is the transpose of the linear map unfold."""
    rng = np.random.default_rng(3)
    for K, s in ((3, 1), (3, 2), (2, 3)):
        x = B.asarray(rng.normal(size=(2, 3, 11)), dtype=xp.float64)
        cols = unfold1d(x, K, s)
        c = B.asarray(rng.normal(size=tuple(cols.shape)), dtype=xp.float64)
        lhs = float(xp.sum(cols * c))
        rhs = float(xp.sum(x * fold1d(c, (2, 3, 11), K, s)))
        assert lhs == pytest.approx(rhs, rel=1e-12)
    x = B.asarray(rng.normal(size=(2, 2, 7, 6)), dtype=xp.float64)
    cols = unfold2d(x, (3, 2), (2, 1))
    c = B.asarray(rng.normal(size=tuple(cols.shape)), dtype=xp.float64)
    rhs = float(xp.sum(x * fold2d(c, (2, 2, 7, 6), (3, 2), (2, 1))))
    assert float(xp.sum(cols * c)) == pytest.approx(rhs, rel=1e-12)


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("case", CONV1D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_gradcheck(xp, case, bias):
    N, C_in, C_out, L, K, s, p = case
    layer = _layer1d(C_in, C_out, K, s, p, bias=bias)
    x = B.asarray(np.random.default_rng(4).normal(size=(N, C_in, L)), dtype=xp.float64)
    r = check_gradients(layer, x, rng=5)
    assert set(r.errors) == ({"input", "W", "b"} if bias else {"input", "W"})
    assert r.ok and r.max_rel_error <= 1e-7, r


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_gradcheck(xp, case):
    N, C_in, C_out, HW, K, s, p = case
    layer = _layer2d(C_in, C_out, K, s, p)
    x = B.asarray(np.random.default_rng(6).normal(size=(N, C_in, *HW)), dtype=xp.float64)
    r = check_gradients(layer, x, rng=7)
    assert set(r.errors) == {"input", "W", "b"}
    assert r.ok and r.max_rel_error <= 1e-7, r


def test_backward_is_a_full_convolution_with_the_flipped_kernel():
    """The chapter's claim, stride 1: dx = conv(pad(dout, K-1-p), flip(W), in/out swapped)."""
    rng = np.random.default_rng(8)
    for p in (0, 1, 2):
        layer = _layer1d(2, 3, 3, 1, p)
        x = rng.normal(size=(2, 2, 8))
        dout = rng.normal(size=layer(x).shape)
        dx = layer.backward(dout)
        W_flipped = np.flip(layer.W.data, axis=2).transpose(1, 0, 2)  # (C_in, C_out, K)
        full = conv1d_loops(dout, W_flipped, padding=3 - 1 - p)
        np.testing.assert_allclose(dx, full, rtol=1e-12, atol=1e-12)
    # and dW is the correlation of the (padded) input with dout
    layer = _layer1d(2, 3, 3, 1, 1)
    x = rng.normal(size=(2, 2, 8))
    dout = rng.normal(size=layer(x).shape)
    layer.zero_grad()
    layer.backward(dout)
    xp_ = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    dW = np.einsum("nol,nclk->ock", dout,
                   np.stack([xp_[:, :, k:k + 8] for k in range(3)], axis=-1))
    np.testing.assert_allclose(layer.W.grad, dW, rtol=1e-12)


# --------------------------------------------------------------------------- PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_matches_torch(xp, torch, case):
    N, C_in, C_out, L, K, s, p = case
    rng = np.random.default_rng(9)
    layer = _layer1d(C_in, C_out, K, s, p)
    layer.b.data[...] = B.asarray(rng.normal(size=C_out))
    x = rng.normal(size=(N, C_in, L))
    z = layer(B.asarray(x, dtype=xp.float64))
    dout = rng.normal(size=tuple(z.shape))
    dx = layer.backward(B.asarray(dout, dtype=xp.float64))
    xt, Wt, bt = t64(torch, x, True), t64(torch, layer.W.data, True), t64(torch, layer.b.data,
                                                                         True)
    zt = torch.nn.functional.conv1d(xt, Wt, bt, stride=s, padding=p)
    zt.backward(t64(torch, dout))
    assert_matches({"z": (z, zt), "dx": (dx, xt.grad), "dW": (layer.W.grad, Wt.grad),
                    "db": (layer.b.grad, bt.grad)})


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_torch(xp, torch, case):
    N, C_in, C_out, HW, K, s, p = case
    rng = np.random.default_rng(10)
    layer = _layer2d(C_in, C_out, K, s, p)
    layer.b.data[...] = B.asarray(rng.normal(size=C_out))
    x = rng.normal(size=(N, C_in, *HW))
    z = layer(B.asarray(x, dtype=xp.float64))
    dout = rng.normal(size=tuple(z.shape))
    dx = layer.backward(B.asarray(dout, dtype=xp.float64))
    xt, Wt, bt = t64(torch, x, True), t64(torch, layer.W.data, True), t64(torch, layer.b.data,
                                                                         True)
    zt = torch.nn.functional.conv2d(xt, Wt, bt, stride=s, padding=p)
    zt.backward(t64(torch, dout))
    assert_matches({"z": (z, zt), "dx": (dx, xt.grad), "dW": (layer.W.grad, Wt.grad),
                    "db": (layer.b.grad, bt.grad)})


def test_weights_copy_one_to_one_from_torch(torch):
    """PyTorch's layout: a torch.nn.Conv1d's weights, copied as they are, give its output."""
    tconv = torch.nn.Conv1d(2, 4, 3, stride=2, padding=1, dtype=torch.float64)
    ours = Conv1d(2, 4, 3, stride=2, padding=1, dtype="float64")
    ours.W.data[...] = tconv.weight.detach().numpy()
    ours.b.data[...] = tconv.bias.detach().numpy()
    x = np.random.default_rng(0).normal(size=(3, 2, 9))
    np.testing.assert_allclose(ours(x), tconv(torch.tensor(x)).detach().numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- behaviour
def test_gradients_accumulate_and_first_layer_skips_dx():
    layer = _layer1d(1, 2, 3, 1, 0)
    x = np.ones((2, 1, 5))
    dout = np.ones((2, 2, 3))
    layer(x)
    layer.backward(dout)
    once = layer.W.grad.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(layer.W.grad, 2 * once)
    layer.needs_input_grad = False
    assert layer.backward(dout) is None
    np.testing.assert_array_equal(layer.W.grad, 3 * once)


@pytest.mark.parametrize("init", ["he", "he_uniform", "glorot", "glorot_uniform", "zeros"])
def test_init_scales(init):
    layer = Conv1d(25, 50, 3, init=init, rng=0, dtype="float64")
    W = layer.W.data
    fan_in, fan_out = 25 * 3, 50 * 3
    want = {"he": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in),
            "glorot": np.sqrt(2 / (fan_in + fan_out)),
            "glorot_uniform": np.sqrt(2 / (fan_in + fan_out)), "zeros": 0.0}[init]
    assert W.std() == pytest.approx(want, rel=0.05, abs=1e-12)
    assert not np.any(layer.b.data)


def test_float32_default_and_casts(xp):
    layer = Conv2d(1, 2, 3, rng=0)
    assert layer.W.data.dtype == xp.float32
    y = layer(B.asarray(np.zeros((1, 1, 4, 4)), dtype=xp.float64))   # cast to float32
    assert y.dtype == xp.float32
    assert repr(layer) == "Conv2d(1, 2, kernel_size=3, stride=1, padding=0)"
    assert repr(Conv2d(1, 2, (3, 2), stride=(1, 2), bias=False)) == \
        "Conv2d(1, 2, kernel_size=(3, 2), stride=(1, 2), padding=0, bias=False)"


def test_same_seed_same_weights_on_every_backend(xp):
    with dl.use_backend("numpy"):
        ref = Conv1d(2, 3, 3, rng=4).W.data
    np.testing.assert_array_equal(dl.to_numpy(Conv1d(2, 3, 3, rng=4).W.data), ref)


# --------------------------------------------------------------------------- bad inputs
BAD_CONV1D = [
    (np.zeros((2, 3, 10)), ValueError, "x has 3 channels (axis 1 of (N, C_in, L)), expected "
                                        "in_channels=2"),
    (np.zeros((2, 10)), ValueError, "x must be 3-D (N, C_in, L), got shape (2, 10)"),
    (np.zeros((2, 2, 3, 3)), ValueError, "x must be 3-D (N, C_in, L)"),
    (np.zeros((2, 2, 2)), ValueError, "the kernel (5) is larger than the padded input along L "
                                      "(2 + 2*1 = 4)"),
    (np.zeros((2, 2, 10), dtype=np.int64), TypeError, "x must have a floating dtype"),
    ("abc", TypeError, "x must be an array of floats"),
]


@pytest.mark.parametrize("x, exc, msg", BAD_CONV1D)
def test_conv1d_bad_inputs(x, exc, msg):
    layer = Conv1d(2, 4, 5, padding=1, rng=0)
    with pytest.raises(exc) as info:
        layer(x)
    assert str(info.value).startswith("Conv1d.forward: ")
    assert msg in str(info.value)


BAD_CONV2D = [
    (np.zeros((2, 1, 8, 8)), "x has 1 channels (axis 1 of (N, C_in, H, W)), expected "
                             "in_channels=3"),
    (np.zeros((2, 3, 8)), "x must be 4-D (N, C_in, H, W), got shape (2, 3, 8)"),
    (np.zeros((2, 3, 2, 8)), "the kernel (3) is larger than the padded input along H "
                             "(2 + 2*0 = 2)"),
    (np.zeros((2, 3, 8, 1)), "the kernel (3) is larger than the padded input along W"),
]


@pytest.mark.parametrize("x, msg", BAD_CONV2D)
def test_conv2d_bad_inputs(x, msg):
    with pytest.raises(ValueError, match="^Conv2d.forward: ") as info:
        Conv2d(3, 4, 3, rng=0)(x)
    assert msg in str(info.value)


BAD_ARGS = [
    (lambda: Conv1d(0, 2, 3), ValueError, "in_channels must be >= 1, got 0"),
    (lambda: Conv1d(1, 2, 0), ValueError, "kernel_size must be >= 1, got 0"),
    (lambda: Conv1d(1, 2, 3, stride=0), ValueError, "stride must be >= 1, got 0"),
    (lambda: Conv1d(1, 2, 3, padding=-1), ValueError, "padding must be >= 0, got -1"),
    (lambda: Conv1d(1, 2, 3.0), TypeError, "kernel_size must be an int"),
    (lambda: Conv1d(1, 2, 3, init="xavier"), ValueError, "init must be one of"),
    (lambda: Conv1d(1, 2, 3, bias=1), TypeError, "bias must be a bool"),
    (lambda: Conv1d(1, 2, 3, dtype="int32"), ValueError, "dtype must be 'float32' or "
                                                         "'float64'"),
    (lambda: Conv2d(1, 2, (3, 3, 3)), ValueError, "kernel_size must be an int or a pair"),
    (lambda: Conv2d(1, 2, 3, stride=(1, 0)), ValueError, "stride[1] must be >= 1, got 0"),
    (lambda: conv_output_size(3, 6, 1, 1), ValueError, "kernel_size 6 is larger than the "
                                                       "padded input (3 + 2*1 = 5)"),
    (lambda: conv1d(np.zeros((1, 2, 5)), np.zeros((1, 3, 2))), ValueError,
     "x has 2 channels but W expects 3"),
    (lambda: conv1d(np.zeros((1, 2, 5)), np.zeros((4, 2, 2)), np.zeros(3)), ValueError,
     "b must have shape (4,), got (3,)"),
]


@pytest.mark.parametrize("make, exc, msg", BAD_ARGS)
def test_bad_arguments(make, exc, msg):
    with pytest.raises(exc) as info:
        make()
    assert msg in str(info.value)


def test_backward_checks(xp):
    layer = Conv1d(1, 2, 3, rng=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.zeros((1, 2, 3)))
    model = Sequential(layer)  # checked once, at the door: the model's backward checks dout
    model(B.asarray(np.zeros((2, 1, 5)), dtype=xp.float32))
    with pytest.raises(ValueError, match=r"Sequential.backward: dout must have shape \(2, 2, 3\)"):
        model.backward(B.asarray(np.zeros((2, 2, 4)), dtype=xp.float32))
