"""Pooling and shape layers: gradient checks, PyTorch, ties, backends and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace
from torch_ref import assert_matches, t64

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.gradcheck import check_gradients
from dnnlib.layers import AvgPool2d, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, Reshape
from dnnlib.model import Sequential


def _distinct(rng, shape):
    """Values whose gaps exceed 1e-3 (a random permutation of a grid): no near-ties."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 1e-2 - n * 5e-3).reshape(shape)


POOL1D = [(2, None), (3, None), (3, 2), (2, 1), (4, 3)]
POOL2D = [(2, None), (3, None), ((2, 3), None), (3, 2), ((2, 2), (1, 2))]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("K, s", POOL1D)
def test_maxpool1d_gradcheck(xp, K, s):
    x = B.asarray(_distinct(np.random.default_rng(0), (2, 3, 11)), dtype=xp.float64)
    r = check_gradients(MaxPool1d(K, s), x, rng=1)
    assert r.ok and r.max_rel_error <= 1e-7, r


@pytest.mark.parametrize("K, s", POOL2D)
def test_maxpool2d_gradcheck(xp, K, s):
    x = B.asarray(_distinct(np.random.default_rng(2), (2, 2, 7, 8)), dtype=xp.float64)
    r = check_gradients(MaxPool2d(K, s), x, rng=3)
    assert r.ok and r.max_rel_error <= 1e-7, r


@pytest.mark.parametrize("K, s", POOL2D)
def test_avgpool2d_gradcheck(xp, K, s):
    x = B.asarray(np.random.default_rng(4).normal(size=(2, 2, 7, 8)), dtype=xp.float64)
    r = check_gradients(AvgPool2d(K, s), x, rng=5)
    assert r.ok and r.max_rel_error <= 1e-7, r


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5)])
def test_global_avgpool_and_shape_layers_gradcheck(xp, shape):
    x = B.asarray(np.random.default_rng(6).normal(size=shape), dtype=xp.float64)
    D = int(np.prod(shape[1:]))
    for layer in (GlobalAvgPool(), Flatten(), Reshape((D,)), Reshape((D // shape[1],
                                                                       shape[1]))):
        r = check_gradients(layer, x, rng=7)
        assert r.ok and r.max_rel_error <= 1e-7, (layer, r)


# --------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("K, s", POOL1D)
def test_maxpool1d_matches_torch(xp, torch, K, s):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 3, 11))
    pool = MaxPool1d(K, s)
    y = pool(B.asarray(x, dtype=xp.float64))
    assert_namespace(y, xp)
    dout = rng.normal(size=tuple(y.shape))
    dx = pool.backward(B.asarray(dout, dtype=xp.float64))
    xt = t64(torch, x, True)
    yt = torch.nn.functional.max_pool1d(xt, K, s)
    yt.backward(t64(torch, dout))
    assert_matches({"y": (y, yt), "dx": (dx, xt.grad)})


@pytest.mark.parametrize("K, s", POOL2D)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_matches_torch(xp, torch, K, s, kind):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 3, 7, 8))
    pool = (MaxPool2d if kind == "max" else AvgPool2d)(K, s)
    y = pool(B.asarray(x, dtype=xp.float64))
    dout = rng.normal(size=tuple(y.shape))
    dx = pool.backward(B.asarray(dout, dtype=xp.float64))
    xt = t64(torch, x, True)
    f = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    yt = f(xt, K, s)
    yt.backward(t64(torch, dout))
    assert_matches({"y": (y, yt), "dx": (dx, xt.grad)})


def test_ties_go_to_the_first_maximum_as_torch(torch):
    """After ReLU whole windows are 0: the gradient goes to one entry, the first, as torch."""
    x = np.array([[[0.0, 0.0, 2.0, 2.0, 0.0, -1.0]]])
    dout = np.array([[[1.0, 2.0, 3.0]]])
    pool = MaxPool1d(2)
    pool(x)
    dx = pool.backward(dout)
    np.testing.assert_array_equal(dx, [[[1.0, 0.0, 2.0, 0.0, 3.0, 0.0]]])
    xt = t64(torch, x, True)
    torch.nn.functional.max_pool1d(xt, 2).backward(t64(torch, dout))
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    x2 = np.zeros((1, 1, 4, 4))
    pool2 = MaxPool2d(2)
    pool2(x2)
    dx2 = pool2.backward(np.ones((1, 1, 2, 2)))
    xt2 = t64(torch, x2, True)
    torch.nn.functional.max_pool2d(xt2, 2).backward(torch.ones(1, 1, 2, 2,
                                                               dtype=torch.float64))
    np.testing.assert_array_equal(dx2, xt2.grad.numpy())
    assert dx2.sum() == 4.0


def test_global_avgpool_matches_torch(torch):
    x = np.random.default_rng(10).normal(size=(2, 3, 4, 5))
    y = GlobalAvgPool()(x)
    np.testing.assert_allclose(y, torch.nn.functional.adaptive_avg_pool2d(
        torch.tensor(x), 1).numpy()[:, :, 0, 0], rtol=1e-12)


def test_flatten_matches_torch_order(torch):
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Flatten()(x), torch.nn.Flatten()(torch.tensor(x)).numpy())


def test_float32_stays_float32(xp):
    x = B.asarray(np.random.default_rng(0).normal(size=(2, 2, 6, 6)), dtype=xp.float32)
    for layer in (MaxPool2d(2), AvgPool2d(2), GlobalAvgPool(), Flatten()):
        y = layer(x)
        assert y.dtype == xp.float32
        assert layer.backward(xp.ones_like(y)).dtype == xp.float32


# --------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: MaxPool1d(3)(np.zeros((2, 3))), ValueError,
     "MaxPool1d.forward: x must be 3-D (N, C, L), got shape (2, 3)"),
    (lambda: MaxPool1d(5)(np.zeros((2, 3, 4))), ValueError,
     "MaxPool1d.forward: the window (5) is larger than the input along L (4)"),
    (lambda: MaxPool2d(3)(np.zeros((2, 3, 8, 2))), ValueError,
     "MaxPool2d.forward: the window (3) is larger than the input along W (2)"),
    (lambda: AvgPool2d(2)(np.zeros((2, 8, 8))), ValueError,
     "AvgPool2d.forward: x must be 4-D (N, C, H, W), got shape (2, 8, 8)"),
    (lambda: MaxPool1d(0), ValueError, "MaxPool1d: kernel_size must be >= 1, got 0"),
    (lambda: MaxPool2d(2, stride=0), ValueError, "MaxPool2d: stride must be >= 1, got 0"),
    (lambda: MaxPool1d(2)(np.zeros((2, 3, 4), dtype=np.int32)), TypeError,
     "MaxPool1d.forward: x must have a floating dtype"),
    (lambda: GlobalAvgPool()(np.zeros((2, 3))), ValueError,
     "GlobalAvgPool.forward: x must be (N, C, L) or (N, C, H, W), got shape (2, 3)"),
    (lambda: Flatten()(np.zeros(3)), ValueError,
     "Flatten.forward: x must have a batch axis and at least one more, got shape (3,)"),
    (lambda: Reshape((1, 40))(np.zeros((5, 39))), ValueError,
     "Reshape.forward: each example has 39 numbers (shape (39,)), cannot reshape to (1, 40) "
     "(40 numbers)"),
    (lambda: Reshape("1, 40"), TypeError, "Reshape: shape must be a non-empty tuple of ints"),
    (lambda: Reshape((1, 0)), ValueError, "Reshape: shape entry must be >= 1, got 0"),
    (lambda: MaxPool1d(2).backward(np.zeros((1, 1, 1))), RuntimeError,
     "call forward before backward"),
]


@pytest.mark.parametrize("make, exc, msg", BAD)
def test_bad_inputs(make, exc, msg):
    with pytest.raises(exc) as info:
        make()
    assert msg in str(info.value)


def test_backward_shape_checks():
    # checked once, at the door: the model's backward checks dout (the layer's is the math)
    pool = Sequential(MaxPool1d(2))
    pool(np.zeros((2, 3, 6)))
    with pytest.raises(ValueError, match=r"Sequential.backward: dout must have shape \(2, 3, 3\)"):
        pool.backward(np.zeros((2, 3, 4)))
    r = Sequential(Reshape((1, 6)))
    r(np.zeros((2, 6)))
    with pytest.raises(ValueError, match=r"Sequential.backward: dout must have shape \(2, 1, 6\)"):
        r.backward(np.zeros((2, 6)))


def test_reprs():
    assert repr(MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2)"
    assert repr(MaxPool2d(2, 1)) == "MaxPool2d(kernel_size=(2, 2), stride=(1, 1))"
    assert repr(Reshape((1, 40))) == "Reshape((1, 40))"
    assert repr(Flatten()) == "Flatten()"
    assert dl.to_numpy(Reshape(4)(np.zeros((2, 4)))).shape == (2, 4)
