"""dnnlib.gradcheck: finite differences, relative error, and checks that fail when they should."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib import functional as F
from dnnlib.gradcheck import (
    GradCheckResult,
    check_gradients,
    numerical_gradient,
    relative_error,
)
from dnnlib.layers import Layer, Parameter


def A(values, dtype="float64"):
    return dl.backend.asarray(np.asarray(values, dtype=dtype))


def host(x):
    return np.asarray(dl.to_numpy(x), dtype=np.float64)


def normal(shape, seed=0):
    return A(np.random.default_rng(seed).standard_normal(shape))


# --------------------------------------------------------------------------- toy layers
class ToyDense(Layer):
    """z = x @ W + b, written with array-API calls only. ``bug`` breaks one gradient."""

    def __init__(self, d, h, *, seed=0, bug=None, dtype="float64"):
        super().__init__()
        g = np.random.default_rng(seed)
        self.W = Parameter(A(g.standard_normal((d, h)), dtype), "W")
        self.b = Parameter(A(g.standard_normal(h), dtype), "b")
        self.bug = bug

    @property
    def params(self):
        return [self.W, self.b]

    def forward(self, x):
        self.cache = x
        return x @ self.W.data + self.b.data

    def backward(self, dout):
        xp = B.namespace(dout)
        x = self.cache
        self.W.grad += x.T @ dout
        db = xp.sum(dout, axis=0)
        self.b.grad += 2.0 * db if self.bug == "db" else db
        dx = dout @ self.W.data.T
        return dx[::-1, ...] if self.bug == "dx" else dx


class ToyTanh(Layer):
    def forward(self, x):
        self.cache = F.tanh(x)
        return self.cache

    def backward(self, dout):
        return dout * (1.0 - self.cache * self.cache)


class ToyDropout(Layer):
    """Inverted dropout drawing a fresh mask from ``self.rng`` at every forward."""

    def __init__(self, p=0.5, rng=0):
        super().__init__()
        self.p, self.rng = p, np.random.default_rng(rng)

    def forward(self, x):
        xp = B.namespace(x)
        u = B.random_uniform(self.rng, tuple(x.shape), x.dtype, xp)
        self.cache = xp.astype(u >= self.p, x.dtype) / (1.0 - self.p)
        return x * self.cache

    def backward(self, dout):
        return dout * self.cache


class ToyStack(Layer):
    """A minimal Sequential: ``.layers``, ``params`` and forward/backward through the list."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


# --------------------------------------------------------------------------- numerical_gradient
def test_numerical_gradient_of_a_quadratic(xp):
    x = normal((3, 2))
    g = numerical_gradient(lambda v: xp.sum(v * v), x)
    assert_namespace(g, xp)
    assert g.dtype == x.dtype and tuple(g.shape) == (3, 2)
    np.testing.assert_allclose(host(g), 2 * host(x), rtol=1e-8, atol=1e-9)


def test_numerical_gradient_leaves_x_alone_and_accepts_dout(xp):
    x = normal((4,), seed=1)
    before = host(x).copy()
    dout = normal((4,), seed=2)
    g = numerical_gradient(F.sigmoid, x, dout=dout)
    np.testing.assert_array_equal(host(x), before)
    np.testing.assert_allclose(host(g), host(F.sigmoid_grad(x) * dout), rtol=1e-7, atol=1e-10)


def test_numerical_gradient_of_a_0d_input(xp):
    g = numerical_gradient(lambda v: v * v * v, A(2.0))
    assert g.shape == () and float(g) == pytest.approx(12.0, rel=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_numerical_gradient_requires_float64(xp, dtype):
    with pytest.raises(TypeError, match=r"numerical_gradient: x must be float64 .*got "
                                        rf"{dtype}; cast with x\.astype\('float64'\)"):
        numerical_gradient(lambda v: xp.sum(v), A([1.0, 2.0], dtype))


def test_numerical_gradient_bad_inputs(xp):
    with pytest.raises(TypeError, match=r"numerical_gradient: x must be a float64 array, got list"):
        numerical_gradient(lambda v: v, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"numerical_gradient: f must return a scalar, got an "
                                         r"array of shape \(2,\)"):
        numerical_gradient(lambda v: v, A([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"numerical_gradient: eps must lie in \(0\.0, inf\]"):
        numerical_gradient(lambda v: xp.sum(v), A([1.0]), eps=0.0)


# --------------------------------------------------------------------------- relative_error
def test_relative_error_values(xp):
    assert relative_error(A([0.0, 0.0]), A([0.0, 0.0])) == 0.0
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(1.0, 3.0) == pytest.approx(0.5)
    a, b = A([3.0, 0.0]), A([0.0, 4.0])
    assert relative_error(a, b) == pytest.approx(5.0 / 7.0)
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(A(np.zeros(0)), A(np.zeros(0))) == 0.0


def test_relative_error_bad_inputs(xp):
    with pytest.raises(ValueError, match=r"relative_error: a and b must have the same shape"):
        relative_error(A([1.0, 2.0]), A([1.0]))
    import array_api_strict as strict

    with pytest.raises(TypeError, match=r"relative_error: got arrays from different backends"):
        relative_error(np.ones(2), strict.ones(2))


# --------------------------------------------------------------------------- functions
ELEMENTWISE = [
    (F.sigmoid, F.sigmoid_grad), (F.tanh, F.tanh_grad), (F.relu, F.relu_grad),
    (F.leaky_relu, F.leaky_relu_grad), (F.softplus, F.softplus_grad), (F.gelu, F.gelu_grad),
    (F.silu, F.silu_grad),
]


@pytest.mark.parametrize("f,df", ELEMENTWISE, ids=lambda f: f.__name__)
def test_correct_derivatives_pass(xp, f, df):
    x = normal((3, 4), seed=3) + 0.01  # no entry within eps of the ReLU kink for this seed
    r = check_gradients(f, x, grad=df)
    assert r.ok and r.max_rel_error <= 1e-8 and list(r.errors) == ["input"], r


def test_full_gradient_of_a_scalar_function(xp):
    y = A([1.0, 0.0, 1.0, 1.0])
    r = check_gradients(lambda z: F.binary_cross_entropy_with_logits(z, y), normal((4,), seed=4),
                        grad=lambda z: (F.sigmoid(z) - y) / 4.0)
    assert r.ok, r
    bad = check_gradients(lambda z: F.binary_cross_entropy_with_logits(z, y),
                          normal((4,), seed=4), grad=lambda z: F.sigmoid(z) - y)  # forgot 1/N
    assert not bad.ok and bad.max_rel_error > 0.1


def test_wrong_derivative_fails(xp):
    x = normal((5, 3), seed=5)
    r = check_gradients(F.sigmoid, x, grad=F.sigmoid)  # sigma' without the (1 - sigma) factor
    assert isinstance(r, GradCheckResult)
    assert not r.ok and not r and r.max_rel_error > 0.1
    assert r.where.startswith("input[")


def test_softmax_is_not_elementwise(xp):
    """A 'derivative' s(1 - s) ignores the cross terms of the softmax Jacobian: caught."""
    x = normal((2, 3), seed=6)
    r = check_gradients(F.softmax, x, grad=lambda z: F.softmax(z) * (1 - F.softmax(z)),
                        dout=normal((2, 3), seed=7))
    assert not r.ok


# --------------------------------------------------------------------------- layers
def test_correct_layer_passes_and_is_left_as_found(xp):
    layer = ToyDense(3, 4)
    layer.W.grad += 1.0  # pretend a previous step left gradients behind
    x = normal((5, 3), seed=8)
    r = check_gradients(layer, x)
    assert r.ok, r
    assert set(r.errors) == {"input", "W", "b"}
    np.testing.assert_array_equal(host(layer.W.grad), 1.0)
    np.testing.assert_array_equal(host(layer.b.grad), 0.0)


@pytest.mark.parametrize("bug,name", [("db", "b"), ("dx", "input")])
def test_wrong_backward_is_caught_and_located(xp, bug, name):
    r = check_gradients(ToyDense(3, 4, bug=bug), normal((5, 3), seed=9))
    assert not r.ok and r.max_rel_error > 1e-2
    assert r.where.startswith(name + "[")
    assert r.errors[name] > 1e-2
    assert all(e < 1e-7 for k, e in r.errors.items() if k != name), r.errors


def test_stack_names_parameters_by_layer_index(xp):
    model = ToyStack(ToyDense(3, 5, seed=1), ToyTanh(), ToyDense(5, 2, seed=2, bug="db"))
    r = check_gradients(model, normal((4, 3), seed=10))
    assert set(r.errors) == {"input", "0.W", "0.b", "2.W", "2.b"}
    assert not r.ok and r.where.startswith("2.b[")
    assert r.errors["0.W"] < 1e-7 and r.errors["2.W"] < 1e-7


def test_dropout_masks_are_reproduced(xp):
    drop = ToyDropout(0.5, rng=3)
    model = ToyStack(ToyDense(3, 6), drop, ToyDense(6, 2, seed=1))
    state = drop.rng.bit_generator.state
    r = check_gradients(model, normal((4, 3), seed=11))
    assert r.ok, r
    assert drop.rng.bit_generator.state == state  # the generator is left as found


def test_dout_is_reproducible_and_can_be_given(xp):
    layer, x = ToyDense(2, 3), normal((4, 2), seed=12)
    r1, r2 = check_gradients(layer, x, rng=5), check_gradients(layer, x, rng=5)
    assert r1.errors == r2.errors
    assert check_gradients(layer, x, dout=normal((4, 3), seed=13)).ok
    with pytest.raises(ValueError, match=r"check_gradients: dout must have the output's shape"):
        check_gradients(layer, x, dout=normal((4, 2)))


def test_float32_is_refused(xp):
    with pytest.raises(TypeError, match=r"check_gradients: x must be float64 .*"
                                        r"cast with x\.astype\('float64'\)"):
        check_gradients(F.sigmoid, A([1.0, 2.0], "float32"), grad=F.sigmoid_grad)
    layer = ToyDense(2, 3, dtype="float32")
    with pytest.raises(TypeError, match=r"check_gradients: parameter W is float32; .*"
                                        r"dtype='float64'"):
        check_gradients(layer, normal((4, 2)))


def test_bad_targets(xp):
    x = normal((3,))
    with pytest.raises(TypeError, match=r"check_gradients: a function target needs its "
                                        r"analytic gradient as grad="):
        check_gradients(F.sigmoid, x)
    with pytest.raises(TypeError, match=r"check_gradients: grad= is for functions only"):
        check_gradients(ToyDense(3, 2), normal((2, 3)), grad=F.sigmoid_grad)
    with pytest.raises(TypeError, match=r"check_gradients: target must be a function or a layer"):
        check_gradients(42, x, grad=F.sigmoid_grad)
    with pytest.raises(ValueError, match=r"check_gradients: f\(x\) must be a scalar"):
        check_gradients(lambda z: z[:2], x, grad=lambda z: z)
    with pytest.raises(ValueError, match=r"check_gradients: grad\(x\) must be an array of x's "
                                         r"shape \(3,\)"):
        check_gradients(F.sigmoid, x, grad=lambda z: z[:2])


def test_result_repr_and_html():
    r = GradCheckResult(max_rel_error=3e-2, where="1.W[0, 2]", ok=False,
                        errors={"input": 1e-10, "1.W": 3e-2})
    text = repr(r)
    assert "ok=False" in text and "1.W[0, 2]" in text and "3.00e-02" in text
    html = r._repr_html_()
    assert "FAILED" in html and "<table>" in html and "too large" in html


# --------------------------------------------------------------------------- dnnlib's own layers
def test_dnnlib_layers_pass(xp):
    from dnnlib import layers
    from dnnlib import model as model_mod

    model = model_mod.Sequential(
        layers.Dense(3, 5, rng=0, dtype="float64"), layers.BatchNorm1d(5, dtype="float64"),
        layers.Tanh(), layers.Dropout(0.3, rng=1), layers.Dense(5, 2, rng=2, dtype="float64"))
    bn = model.layers[1]
    mean_before = host(bn.running_mean).copy()
    r = check_gradients(model, normal((6, 3), seed=14))
    assert r.ok, r
    assert {"input", "0.W", "0.b", "1.gamma", "1.beta", "4.W", "4.b"} <= set(r.errors)
    np.testing.assert_array_equal(host(bn.running_mean), mean_before)  # buffers restored
