"""Batch normalization per channel: BatchNorm1d on (N, C, L) and BatchNorm2d on (N, C, H, W)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_ref import assert_matches, t64

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.gradcheck import check_gradients
from dnnlib.layers import BatchNorm1d, BatchNorm2d, Conv1d, Dense, Flatten, ReLU, Reshape
from dnnlib.model import Sequential

SHAPES = {BatchNorm1d: [(4, 3, 5), (2, 2, 3), (3, 1, 2)],
          BatchNorm2d: [(3, 2, 4, 3), (2, 3, 2, 2)]}
CASES = [(cls, shape) for cls, shapes in SHAPES.items() for shape in shapes]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _layer(cls, C, rng):
    layer = cls(C, momentum=0.2, dtype="float64")
    layer.gamma.data[...] = B.asarray(rng.uniform(0.5, 2.0, C))
    layer.beta.data[...] = B.asarray(rng.normal(size=C))
    layer.running_mean[...] = B.asarray(rng.normal(size=C))
    layer.running_var[...] = B.asarray(rng.uniform(0.5, 2.0, C))
    return layer


@pytest.mark.parametrize("cls, shape", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(xp, cls, shape, training):
    rng = np.random.default_rng(0)
    layer = _layer(cls, shape[1], rng).train(training)
    x = B.asarray(3.0 * rng.normal(size=shape) + 1.0, dtype=xp.float64)
    r = check_gradients(layer, x, rng=1)
    assert set(r.errors) == {"input", "gamma", "beta"}
    assert r.ok and r.max_rel_error <= 1e-7, r


@pytest.mark.parametrize("cls, shape", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_matches_torch_train_then_eval(xp, torch, cls, shape):
    rng = np.random.default_rng(2)
    C = shape[1]
    ours = _layer(cls, C, rng)
    ours.running_mean[...] = 0.0
    ours.running_var[...] = 1.0
    theirs = getattr(torch.nn, cls.__name__)(C, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(t64(torch, ours.gamma.data))
        theirs.bias.copy_(t64(torch, ours.beta.data))
    for mode in ("train", "train", "train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        ours.zero_grad()
        theirs.zero_grad()
        x = 2.0 * rng.normal(size=shape) + 1.0
        dout = rng.normal(size=shape)
        y = ours(B.asarray(x, dtype=xp.float64))
        dx = ours.backward(B.asarray(dout, dtype=xp.float64))
        xt = t64(torch, x, True)
        yt = theirs(xt)
        yt.backward(t64(torch, dout))
        assert_matches({"y": (y, yt), "dx": (dx, xt.grad), "dgamma": (ours.gamma.grad,
                                                                        theirs.weight.grad),
                        "dbeta": (ours.beta.grad, theirs.bias.grad),
                        "running_mean": (ours.running_mean, theirs.running_mean),
                        "running_var": (ours.running_var, theirs.running_var)})


def test_statistics_per_channel_over_batch_and_positions():
    x = np.random.default_rng(3).normal(loc=[[5.0], [-2.0]], scale=[[3.0], [0.1]],
                                        size=(6, 2, 7))
    y = BatchNorm1d(2, dtype="float64")(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2)), 1.0, rtol=1e-3)
    assert y.shape == x.shape


def test_two_d_path_unchanged_and_buffers_saved():
    """(N, D) still works after an (N, C, L) call; a CNN with batch norm saves its buffers."""
    bn = BatchNorm1d(3, dtype="float64")
    bn(np.ones((4, 3, 2)) + np.arange(8).reshape(4, 1, 2))
    y = bn(np.arange(12.0).reshape(4, 3))
    assert y.shape == (4, 3)
    assert bn.backward(np.ones((4, 3))).shape == (4, 3)
    model = Sequential(Reshape((1, 8)), Conv1d(1, 2, 3, rng=0), BatchNorm1d(2), ReLU(),
                       Flatten(), Dense(12, 2, rng=1))
    model(np.random.default_rng(0).normal(size=(5, 8)))
    assert {"2.running_mean", "2.running_var", "2.gamma", "1.W"} <= set(model.state_dict())


BAD = [
    (lambda: BatchNorm1d(3)(np.zeros((4, 3, 2, 2))), ValueError,
     "BatchNorm1d.forward: x must be (N, D) or (N, C, L), got shape (4, 3, 2, 2)"),
    (lambda: BatchNorm1d(3)(np.zeros((4, 2, 5))), ValueError,
     "BatchNorm1d.forward: x has 2 channels (axis 1), expected 3"),
    (lambda: BatchNorm2d(3)(np.zeros((4, 3))), ValueError,
     "BatchNorm2d.forward: x must be (N, C, H, W), got shape (4, 3)"),
    (lambda: BatchNorm2d(3)(np.zeros((4, 2, 5, 5))), ValueError,
     "BatchNorm2d.forward: x has 2 channels (axis 1), expected 3"),
    (lambda: BatchNorm2d(3)(np.zeros((1, 3, 1, 1))), ValueError,
     "more than 1 example per feature in training mode"),
    (lambda: BatchNorm2d(3).backward(np.zeros((1, 3, 1, 1))), RuntimeError,
     "call forward before backward"),
]


@pytest.mark.parametrize("make, exc, msg", BAD)
def test_bad_inputs(make, exc, msg):
    with pytest.raises(exc) as info:
        make()
    assert msg in str(info.value)


def test_backward_shape_check_and_repr():
    # checked once, at the door: the model's backward checks dout (the layer's is the math)
    bn = BatchNorm2d(2)
    model = Sequential(bn)
    model(np.ones((2, 2, 3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Sequential.backward: dout must have shape "
                                         r"\(2, 2, 3, 3\)"):
        model.backward(np.ones((2, 2, 3), dtype=np.float32))
    assert repr(bn) == "BatchNorm2d(2, eps=1e-05, momentum=0.1)"
    assert dl.to_numpy(bn.running_var).dtype == np.float32
