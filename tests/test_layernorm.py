"""LayerNorm: float64 gradient checks, PyTorch reference, modes, dtypes, backends, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.gradcheck import check_gradients
from dnnlib.layers import BatchNorm1d, Dense, LayerNorm, ReLU
from dnnlib.model import Sequential


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def check_against_torch(ours, theirs, rtol: float = 1e-6, atol: float = 1e-12) -> None:
    """One-line comparison of a dnnlib array with a torch tensor (float64)."""
    np.testing.assert_allclose(dl.to_numpy(ours), theirs.detach().cpu().numpy(),
                               rtol=rtol, atol=atol)


def make_layer(D: int, seed: int = 0, eps: float = 1e-5) -> LayerNorm:
    """A float64 LayerNorm with non-trivial gamma and beta."""
    rng = np.random.default_rng(seed)
    layer = LayerNorm(D, eps=eps, dtype="float64")
    layer.gamma.data[...] = B.asarray(rng.uniform(0.5, 2.0, D))
    layer.beta.data[...] = B.asarray(rng.standard_normal(D))
    return layer


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("shape", [(4, 5), (1, 3), (6,), (2, 3, 4), (3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_float64(xp, shape, training):
    layer = make_layer(shape[-1]).train(training)
    x = B.asarray(3.0 * np.random.default_rng(1).standard_normal(shape) + 1.0)
    result = check_gradients(layer, x)
    assert result.ok, result
    assert set(result.errors) == {"input", "gamma", "beta"}
    assert result.max_rel_error <= 1e-7, result.errors


def test_gradcheck_inside_a_network():
    net = Sequential(Dense(3, 6, rng=0, dtype="float64"), LayerNorm(6, dtype="float64"), ReLU(),
                     Dense(6, 2, rng=1, dtype="float64"))
    result = check_gradients(net, np.random.default_rng(2).standard_normal((5, 3)))
    assert result.ok, result


def test_gradcheck_fails_on_a_wrong_backward():
    class NoVarianceTerm(LayerNorm):  # forgets the path through the variance
        def backward(self, dout):
            xhat, inv_std = self.cache
            self.beta.grad += dout.reshape(-1, self.normalized_shape).sum(axis=0)
            self.gamma.grad += (dout * xhat).reshape(-1, self.normalized_shape).sum(axis=0)
            dxhat = self.gamma.data * dout
            return inv_std * (dxhat - dxhat.mean(axis=-1, keepdims=True))

    layer = NoVarianceTerm(4, dtype="float64")
    assert not check_gradients(layer, np.random.default_rng(3).standard_normal((3, 4))).ok


# --------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("shape, eps", [((5, 7), 1e-5), ((1, 4), 1e-5), ((4,), 0.3),
                                        ((2, 3, 6), 1e-5)])
def test_matches_torch_forward_and_backward(xp, torch, shape, eps):
    D = shape[-1]
    rng = np.random.default_rng(D)
    ours = make_layer(D, seed=D, eps=eps)
    theirs = torch.nn.LayerNorm(D, eps=eps, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(dl.to_numpy(ours.gamma.data)))
        theirs.bias.copy_(torch.tensor(dl.to_numpy(ours.beta.data)))
    x = 2.0 * rng.standard_normal(shape) - 1.0
    dout = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(dout))
    y = ours(B.asarray(x))
    dx = ours.backward(B.asarray(dout))
    assert_namespace(y, xp)
    assert_namespace(dx, xp)
    check_against_torch(y, yt)
    check_against_torch(dx, xt.grad)
    check_against_torch(ours.gamma.grad, theirs.weight.grad)
    check_against_torch(ours.beta.grad, theirs.bias.grad)


# --------------------------------------------------------------------------- behaviour
def test_each_example_normalized_over_its_features(xp):
    x = B.asarray(np.array([[1.0, 2.0, 3.0, 10.0], [-5.0, 0.0, 5.0, 4.0]]))
    y = dl.to_numpy(LayerNorm(4, dtype="float64")(x))
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1.0, rtol=1e-5)   # var / (var + eps)


def test_no_batch_dependence_and_same_in_both_modes(xp):
    """A row's output does not depend on the other rows, nor on the mode, nor on N."""
    layer = make_layer(5)
    X = np.random.default_rng(4).standard_normal((6, 5))
    batch = dl.to_numpy(layer(B.asarray(X)))
    single = np.stack([dl.to_numpy(layer(B.asarray(X[n]))) for n in range(6)])
    first_two = dl.to_numpy(layer(B.asarray(X[:2])))
    layer.eval()
    evaluation = dl.to_numpy(layer(B.asarray(X)))
    np.testing.assert_allclose(single, batch, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first_two, batch[:2], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(evaluation, batch)
    assert layer.buffers() == {}


def test_batch_of_one_trains_where_batchnorm_refuses():
    x = np.random.default_rng(5).standard_normal((1, 4))
    with pytest.raises(ValueError, match="more than 1 example"):
        BatchNorm1d(4)(x)
    layer = LayerNorm(4, dtype="float64")
    layer(x)
    dx = layer.backward(np.ones((1, 4)))
    np.testing.assert_allclose(dx, 0.0, atol=1e-12)  # a constant dout is removed by the mean
    np.testing.assert_allclose(layer.beta.grad, 1.0)


def test_gradients_accumulate():
    layer = make_layer(3)
    x, dout = np.ones((2, 3)) * [[1.0], [2.0]] + [0.0, 1.0, 3.0], np.ones((2, 3))
    layer(x)
    layer.backward(dout)
    first = layer.gamma.grad.copy()
    layer(x)
    layer.backward(dout)
    np.testing.assert_allclose(layer.gamma.grad, 2 * first)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes_and_casting(xp, dtype):
    layer = LayerNorm(3, dtype=dtype)
    x64 = xp.asarray(np.array([[1.0, 2.0, 4.0]]), dtype=xp.float64)
    model = Sequential(layer)              # the model's door casts input and dout
    y = model(x64)                         # a float64 input is cast to the layer's dtype
    dx = model.backward(xp.ones((1, 3), dtype=xp.float64))
    assert B._dtype_name(y.dtype) == dtype and B._dtype_name(dx.dtype) == dtype
    assert B._dtype_name(layer.gamma.grad.dtype) == dtype
    assert_namespace(y, xp)


def test_repr_params_and_tuple_shape():
    layer = LayerNorm((4,))
    assert repr(layer) == "LayerNorm(4, eps=1e-05)"
    assert [p.name for p in layer.params] == ["gamma", "beta"]
    assert layer.normalized_shape == 4
    assert B._dtype_name(layer.dtype) == "float32"


# --------------------------------------------------------------------------- bad inputs
BAD = [
    # (id, call, exception, message regex)
    ("zero-features", lambda: LayerNorm(0), ValueError,
     r"LayerNorm: normalized_shape must be >= 1, got 0"),
    ("float-features", lambda: LayerNorm(4.0), TypeError,
     r"LayerNorm: normalized_shape must be an int, got float 4\.0"),
    ("two-axes", lambda: LayerNorm((3, 4)), ValueError,
     r"LayerNorm: normalized_shape must be an int D or a tuple \(D,\).*got \(3, 4\)"),
    ("eps-zero", lambda: LayerNorm(3, eps=0.0), ValueError, r"LayerNorm: eps must lie in \(0"),
    ("eps-str", lambda: LayerNorm(3, eps="1e-5"), TypeError, r"LayerNorm: eps must be a number"),
    ("dtype", lambda: LayerNorm(3, dtype="int32"), ValueError,
     r"LayerNorm: dtype must be 'float32' or 'float64', got 'int32'"),
    ("wrong-features", lambda: LayerNorm(3)(np.ones((4, 2))), ValueError,
     r"LayerNorm\.forward: x must have 3 features on its last axis, shape \(\.\.\., 3\), "
     r"got shape \(4, 2\)"),
    ("scalar-input", lambda: LayerNorm(1)(np.float64(1.0) * np.ones(())), ValueError,
     r"LayerNorm\.forward: x must have 1 features.*got a 0-D array"),
    ("int-input", lambda: LayerNorm(3)(np.ones((2, 3), dtype=np.int64)), TypeError,
     r"LayerNorm\.forward: x must have a floating dtype.*int64"),
    ("backward-first", lambda: LayerNorm(3).backward(np.ones((2, 3))), RuntimeError,
     r"LayerNorm\.backward: call forward before backward"),
    ("dout-shape", lambda: (lambda m: (m(np.ones((4, 3))), m.backward(np.ones((3, 3)))))(
        Sequential(LayerNorm(3))), ValueError,
     r"Sequential\.backward: dout must have shape \(4, 3\).*got \(3, 3\)"),
]


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_mixed_backends_are_refused():
    with dl.use_backend("array_api_strict"):
        layer = LayerNorm(2)
    with pytest.raises(TypeError, match=r"LayerNorm\.forward: got arrays from different backends"):
        layer(np.ones((3, 2), dtype=np.float32))
