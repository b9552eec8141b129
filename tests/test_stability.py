"""dnnlib.functional at extreme inputs: finite, warning-free, with the right limits.

Every function runs at ``z = +-1e4`` (and mixtures with moderate values and 0) in float32
and float64, with every warning turned into an error and every floating-point flag
(overflow, invalid, divide, underflow) raising.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import functional as F

Z = [-1e4, -1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3, 1e4]
DTYPES = ["float32", "float64"]


def A(values, dtype):
    return dl.backend.asarray(np.asarray(values, dtype=dtype))


def host(x):
    return np.asarray(dl.to_numpy(x), dtype=np.float64)


def strictly(f, *args):
    """Call ``f`` with warnings as errors and NumPy's floating-point flags raising."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = f(*args)
        values = host(out)
    assert np.all(np.isfinite(values)), f"{f.__name__}: non-finite output {values}"
    return out, values


UNARY = {
    "sigmoid": (F.sigmoid, {1e4: 1.0, -1e4: 0.0, 0.0: 0.5}),
    "sigmoid_grad": (F.sigmoid_grad, {1e4: 0.0, -1e4: 0.0, 0.0: 0.25}),
    "tanh": (F.tanh, {1e4: 1.0, -1e4: -1.0, 0.0: 0.0}),
    "tanh_grad": (F.tanh_grad, {1e4: 0.0, -1e4: 0.0, 0.0: 1.0}),
    "relu": (F.relu, {1e4: 1e4, -1e4: 0.0, 0.0: 0.0}),
    "relu_grad": (F.relu_grad, {1e4: 1.0, -1e4: 0.0, 0.0: 0.0}),
    "leaky_relu": (F.leaky_relu, {1e4: 1e4, -1e4: -100.0, 0.0: 0.0}),
    "leaky_relu_grad": (F.leaky_relu_grad, {1e4: 1.0, -1e4: 0.01, 0.0: 0.01}),
    "softplus": (F.softplus, {1e4: 1e4, -1e4: 0.0, 0.0: np.log(2.0)}),
    "softplus_grad": (F.softplus_grad, {1e4: 1.0, -1e4: 0.0, 0.0: 0.5}),
    "gelu": (F.gelu, {1e4: 1e4, -1e4: 0.0, 0.0: 0.0}),
    "gelu_grad": (F.gelu_grad, {1e4: 1.0, -1e4: 0.0, 0.0: 0.5}),
    "silu": (F.silu, {1e4: 1e4, -1e4: 0.0, 0.0: 0.0}),
    "silu_grad": (F.silu_grad, {1e4: 1.0, -1e4: 0.0, 0.0: 0.5}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_extremes(xp, name, dtype):
    f, limits = UNARY[name]
    out, values = strictly(f, A(Z, dtype))
    assert out.dtype == A(0.0, dtype).dtype
    for z, expected in limits.items():
        assert values[Z.index(z)] == pytest.approx(expected, rel=1e-6, abs=1e-30), (name, z)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_extremes(xp, dtype):
    z = A([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 1e4, 1e4]], dtype)
    _, s = strictly(F.softmax, z)
    np.testing.assert_allclose(s, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0.5, 0.5]], rtol=1e-6)
    _, ls = strictly(F.log_softmax, z)
    np.testing.assert_allclose(ls[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(ls[1], -np.log(3.0), rtol=1e-6)
    _, s0 = strictly(lambda v: F.softmax(v, axis=0), z)
    np.testing.assert_allclose(s0.sum(axis=0), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_extremes(xp, dtype):
    z = A([1e4, -1e4], dtype)
    _, right = strictly(F.binary_cross_entropy_with_logits, z, A([1.0, 0.0], dtype))
    assert right == 0.0  # a huge correct logit costs nothing
    _, wrong = strictly(F.binary_cross_entropy_with_logits, z, A([0.0, 1.0], dtype))
    assert wrong == pytest.approx(1e4, rel=1e-6)  # a huge wrong one costs |z|
    mixed = A([1e4, -1e4, 0.0, 30.0], dtype)
    _, v = strictly(F.binary_cross_entropy_with_logits, mixed, A([1.0, 1.0, 0.5, 0.0], dtype))
    assert v == pytest.approx((1e4 + np.log(2.0) + 30.0) / 4, rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_from_probabilities_at_0_and_1(xp, dtype):
    info = np.finfo(dtype)
    _, right = strictly(F.binary_cross_entropy, A([0.0, 1.0], dtype), A([0.0, 1.0], dtype))
    assert right == pytest.approx(0.0, abs=2 * float(info.eps))
    _, wrong = strictly(F.binary_cross_entropy, A([0.0, 1.0], dtype), A([1.0, 0.0], dtype))
    # clipped into [tiny, 1 - eps]: finite, as large as the dtype allows
    expected = (-np.log(float(info.tiny)) - np.log(float(info.eps))) / 2
    assert wrong == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_extremes(xp, dtype):
    logits = A([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [0.0, 0.0, 0.0]], dtype)
    labels = dl.backend.asarray(np.array([0, 1, 2]))
    _, v = strictly(F.softmax_cross_entropy, logits, labels)
    assert v == pytest.approx((0.0 + 2e4 + np.log(3.0)) / 3, rel=1e-6)
    _, right = strictly(F.softmax_cross_entropy, logits[:1, :], labels[:1])
    assert right == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_extremes(xp, dtype):
    _, v = strictly(F.mse, A([1e4, -1e4, 0.0], dtype), A([-1e4, 1e4, 0.0], dtype))
    assert v == pytest.approx(2 * 4e8 / 3, rel=1e-6)
