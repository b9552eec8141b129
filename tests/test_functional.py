"""dnnlib.functional: closed forms, finite differences, PyTorch, dtypes, backends, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_namespace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dnnlib as dl
from dnnlib import functional as F
from dnnlib.gradcheck import numerical_gradient, relative_error

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def A(values, dtype="float64"):
    """An array of the current backend (the ``xp`` fixture switches it)."""
    return dl.backend.asarray(np.asarray(values, dtype=dtype))


def host(x):
    return np.asarray(dl.to_numpy(x), dtype=np.float64)


def sample(shape, seed=0, scale=2.0):
    """Moderate float64 values kept away from the ReLU kink at 0 (finite differences)."""
    z = scale * np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(z) < 0.05, 0.5, z)


# --------------------------------------------------------------------------- closed forms
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


_C, _K = math.sqrt(2.0 / math.pi), 0.044715

# name -> (function, derivative, closed form, closed-form derivative), all float64 NumPy
ACTIVATIONS = {
    "sigmoid": (F.sigmoid, F.sigmoid_grad, _sig, lambda z: _sig(z) * (1 - _sig(z))),
    "tanh": (F.tanh, F.tanh_grad, np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (F.relu, F.relu_grad, lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "leaky_relu": (F.leaky_relu, F.leaky_relu_grad, lambda z: np.where(z > 0, z, 0.01 * z),
                   lambda z: np.where(z > 0, 1.0, 0.01)),
    "softplus": (F.softplus, F.softplus_grad, lambda z: np.log1p(np.exp(z)), _sig),
    "gelu": (F.gelu, F.gelu_grad,
             lambda z: 0.5 * z * (1 + np.tanh(_C * (z + _K * z**3))),
             lambda z: 0.5 * (1 + np.tanh(_C * (z + _K * z**3)))
             + 0.5 * z * (1 - np.tanh(_C * (z + _K * z**3)) ** 2) * _C * (1 + 3 * _K * z**2)),
    "silu": (F.silu, F.silu_grad, lambda z: z * _sig(z),
             lambda z: _sig(z) + z * _sig(z) * (1 - _sig(z))),
}
NAMES = list(ACTIVATIONS)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_activation_matches_closed_form(xp, name, shape):
    f, df, ref, dref = ACTIVATIONS[name]
    z = sample(shape)
    np.testing.assert_allclose(host(f(A(z))), ref(z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(host(df(A(z))), dref(z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_differences(xp, name, shape):
    f, df, _, _ = ACTIVATIONS[name]
    z = A(sample(shape, seed=1))
    num = numerical_gradient(lambda x: xp.sum(f(x)), z)
    assert relative_error(df(z), num) <= 1e-7


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(z=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3),
                    elements=st.floats(-3.0, 3.0, allow_subnormal=False)))
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "silu"])
def test_derivative_property(xp, name, z):
    f, df, _, _ = ACTIVATIONS[name]
    za = A(z)
    num = numerical_gradient(lambda x: xp.sum(f(x)), za)
    assert relative_error(df(za), num) <= 1e-7


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
def test_leaky_relu_slope(xp, slope):
    z = A([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(host(F.leaky_relu(z, slope=slope)), [-2 * slope, 0.0, 3.0])
    np.testing.assert_allclose(host(F.leaky_relu_grad(z, slope=slope)), [slope, slope, 1.0])


def test_kinks_follow_pytorch_convention(xp):
    z = A([0.0])
    assert host(F.relu_grad(z))[0] == 0.0
    assert host(F.leaky_relu_grad(z, 0.1))[0] == pytest.approx(0.1)


# --------------------------------------------------------------------------- identities
def test_tanh_is_a_rescaled_sigmoid(xp):
    z = A(sample((4, 5), seed=2))
    np.testing.assert_allclose(host(F.tanh(z)), host(2.0 * F.sigmoid(2.0 * z) - 1.0),
                               rtol=0, atol=1e-15)


def test_softplus_grad_is_sigmoid(xp):
    z = A(sample((7,), seed=3))
    np.testing.assert_array_equal(host(F.softplus_grad(z)), host(F.sigmoid(z)))


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_softmax_sums_to_one_along_axis(xp, axis):
    z = A(sample((2, 3, 4), seed=4, scale=5.0))
    s = host(F.softmax(z, axis=axis))
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-14)
    assert np.all(s > 0)
    ref = np.exp(host(z)) / np.exp(host(z)).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(s, ref, rtol=1e-12)


@pytest.mark.parametrize("axis", [0, -1])
def test_log_softmax_is_log_of_softmax(xp, axis):
    z = A(sample((3, 4), seed=5, scale=3.0))
    np.testing.assert_allclose(host(F.log_softmax(z, axis=axis)),
                               np.log(host(F.softmax(z, axis=axis))), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_are_the_two_functions_bit_for_bit(xp, axis, dtype):
    """The fused pair (the softmax cross-entropy's forward) computes exactly what
    softmax and log_softmax compute apart: large, infinite and NaN entries included."""
    rng = np.random.default_rng(7)
    z = 30.0 * rng.standard_normal((6, 5))
    z[1, 2], z[2, :] = 1e30, -1e30
    z[3, 0], z[3, 4] = -math.inf, math.inf
    z[4, 1], z[5, 3] = math.nan, -math.inf
    z = A(z, dtype)
    p, log_p = F.softmax_and_log_softmax(z, axis=axis)
    np.testing.assert_array_equal(host(p), host(F.softmax(z, axis=axis)))
    np.testing.assert_array_equal(host(log_p), host(F.log_softmax(z, axis=axis)))
    for out in (p, log_p):
        assert out.dtype == z.dtype and tuple(out.shape) == (6, 5)
        assert_namespace(out, xp)


def test_softmax_is_shift_invariant(xp):
    z = A(sample((3, 4), seed=6))
    np.testing.assert_allclose(host(F.softmax(z + 100.0)), host(F.softmax(z)), rtol=1e-12)


def test_softmax_jacobian_by_finite_differences(xp):
    """d softmax_k / d z_j = s_k (delta_kj - s_j), checked one output at a time."""
    z = A(sample((4,), seed=7))
    s = host(F.softmax(z))
    for k in range(4):
        num = numerical_gradient(lambda x, k=k: F.softmax(x)[k], z)
        expected = s[k] * ((np.arange(4) == k) - s)
        assert relative_error(num, A(expected)) <= 1e-7


# --------------------------------------------------------------------------- losses
def _probs_and_targets(n=6, seed=8):
    g = np.random.default_rng(seed)
    return g.uniform(0.05, 0.95, size=n), (g.random(n) < 0.5).astype(np.float64)


def test_bce_value_and_gradient(xp):
    p, y = _probs_and_targets()
    loss = F.binary_cross_entropy(A(p), A(y))
    assert loss.shape == ()
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert float(loss) == pytest.approx(expected, rel=1e-13)
    num = numerical_gradient(lambda q: F.binary_cross_entropy(q, A(y)), A(p))
    assert relative_error(num, A((p - y) / (p * (1 - p)) / p.size)) <= 1e-7


def test_bce_with_soft_targets(xp):
    p, y = np.array([0.3, 0.8]), np.array([0.25, 0.5])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert float(F.binary_cross_entropy(A(p), A(y))) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("shape", [(6,), (3, 1), (2, 3)], ids=str)
def test_bce_with_logits_value_and_gradient(xp, shape):
    z = sample(shape, seed=9)
    y = (np.random.default_rng(10).random(shape) < 0.5).astype(np.float64)
    loss = F.binary_cross_entropy_with_logits(A(z), A(y))
    expected = -np.mean(y * np.log(_sig(z)) + (1 - y) * np.log(1 - _sig(z)))
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    assert float(loss) == pytest.approx(float(F.binary_cross_entropy(F.sigmoid(A(z)), A(y))),
                                        rel=1e-12)
    num = numerical_gradient(lambda q: F.binary_cross_entropy_with_logits(q, A(y)), A(z))
    assert relative_error(num, A((_sig(z) - y) / y.size)) <= 1e-7


@pytest.mark.parametrize("n,c", [(1, 2), (4, 3), (5, 7)])
def test_softmax_cross_entropy_value_and_gradient(xp, n, c):
    z = sample((n, c), seed=11)
    labels = np.random.default_rng(12).integers(0, c, size=n)
    loss = F.softmax_cross_entropy(A(z), dl.backend.asarray(labels))
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(s[np.arange(n), labels]))
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    onehot = np.eye(c)[labels]
    num = numerical_gradient(lambda q: F.softmax_cross_entropy(q, dl.backend.asarray(labels)),
                             A(z))
    assert relative_error(num, A((s - onehot) / n)) <= 1e-7


def test_softmax_cross_entropy_accepts_int32_and_lists(xp):
    z = A([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    ref = float(F.softmax_cross_entropy(z, dl.backend.asarray(np.array([1, 2]))))
    assert float(F.softmax_cross_entropy(z, dl.backend.asarray(np.array([1, 2], np.int32)))
                 ) == pytest.approx(ref, rel=1e-15)
    assert float(F.softmax_cross_entropy(z, [1, 2])) == pytest.approx(ref, rel=1e-15)


@pytest.mark.parametrize("shape", [(5,), (3, 2)], ids=str)
def test_mse_value_and_gradient(xp, shape):
    pred, target = sample(shape, seed=13), sample(shape, seed=14)
    assert float(F.mse(A(pred), A(target))) == pytest.approx(np.mean((pred - target) ** 2),
                                                             rel=1e-13)
    num = numerical_gradient(lambda q: F.mse(q, A(target)), A(pred))
    assert relative_error(num, A(2 * (pred - target) / pred.size)) <= 1e-7


# --------------------------------------------------------------------------- PyTorch
def _torch():
    return pytest.importorskip("torch")


def check_against_torch(ours, theirs, *args, grad=None, rtol=1e-12, atol=1e-14, grad_tol=1e-7):
    """Compare ``ours(*args)`` with ``theirs(*torch_args)`` in float64, and the gradient
    with respect to the first argument: ``grad(*args)`` (elementwise derivative, against
    autograd of ``sum(theirs)``) or, when ``grad`` is None and the output is a scalar,
    :func:`numerical_gradient` of ``ours`` against autograd within ``grad_tol``.

    ``args`` are NumPy arrays: float ones go to the current backend (and to torch with
    ``requires_grad`` for the first), integer ones become labels.
    """
    torch = _torch()
    ours_args = [dl.backend.asarray(a) for a in args]
    t_args = [torch.tensor(a, dtype=torch.float64 if a.dtype.kind == "f" else torch.int64)
              for a in args]
    t_args[0].requires_grad_(True)
    out, t_out = ours(*ours_args), theirs(*t_args)
    np.testing.assert_allclose(host(out), t_out.detach().numpy(), rtol=rtol, atol=atol)
    t_out.sum().backward()
    t_grad = t_args[0].grad.numpy()
    if grad is not None:
        np.testing.assert_allclose(host(grad(*ours_args)), t_grad, rtol=rtol, atol=atol)
    else:
        num = numerical_gradient(lambda x: ours(x, *ours_args[1:]), ours_args[0])
        assert relative_error(host(num), t_grad) <= grad_tol


def _tf(name):
    torch = _torch()
    tf = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": lambda t: tf.leaky_relu(t, 0.01), "softplus": tf.softplus,
        "gelu": lambda t: tf.gelu(t, approximate="tanh"), "silu": tf.silu,
    }[name]


@pytest.mark.parametrize("name", NAMES)
def test_activation_against_torch(xp, name):
    f, df, _, _ = ACTIVATIONS[name]
    z = np.concatenate([sample((3, 4), seed=15).ravel(), [0.0, -7.5, 7.5]])  # 0: the kinks
    check_against_torch(f, _tf(name), z, grad=df)


def test_leaky_relu_slope_against_torch(xp):
    tf = _torch().nn.functional
    check_against_torch(lambda z: F.leaky_relu(z, slope=0.2), lambda t: tf.leaky_relu(t, 0.2),
                        np.array([-3.0, -0.5, 0.0, 0.5]), grad=lambda z: F.leaky_relu_grad(z, 0.2))


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_against_torch(xp, axis):
    torch = _torch()
    z = sample((3, 5), seed=16, scale=3.0)
    check_against_torch(lambda x: F.softmax(x, axis=axis), lambda t: torch.softmax(t, axis), z,
                        grad=lambda x: F.softmax(x, axis=axis) * 0.0)  # sum(softmax) is const
    check_against_torch(lambda x: F.log_softmax(x, axis=axis),
                        lambda t: torch.log_softmax(t, axis), z,
                        grad=lambda x: 1.0 - z.shape[axis] * F.softmax(x, axis=axis))


def test_losses_against_torch(xp):
    tf = _torch().nn.functional
    p, y = _probs_and_targets(8, seed=17)
    check_against_torch(F.binary_cross_entropy, tf.binary_cross_entropy, p, y)
    z = sample((4, 2), seed=18)
    y2 = (np.random.default_rng(19).random((4, 2)) < 0.5) * 1.0
    check_against_torch(F.binary_cross_entropy_with_logits, tf.binary_cross_entropy_with_logits,
                        z, y2)
    logits, labels = sample((5, 4), seed=20), np.array([0, 3, 1, 1, 2])
    check_against_torch(F.softmax_cross_entropy, tf.cross_entropy, logits, labels)
    check_against_torch(F.mse, tf.mse_loss, sample((3, 2), seed=21), sample((3, 2), seed=22))


# --------------------------------------------------------------------------- dtypes, namespaces
UNARY = [getattr(F, n) for n in NAMES] + [getattr(F, n + "_grad") for n in NAMES] + [
    F.softmax, F.log_softmax]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("f", UNARY, ids=lambda f: f.__name__)
def test_unary_keeps_dtype_and_namespace(xp, f, dtype):
    z = A(sample((2, 3), seed=23), dtype)
    out = f(z)
    assert out.dtype == z.dtype and tuple(out.shape) == (2, 3)
    assert_namespace(out, xp)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_losses_keep_dtype_and_namespace(xp, dtype):
    p, y = _probs_and_targets(4)
    other = "float64" if dtype == "float32" else "float32"  # targets are cast to p's dtype
    losses = [
        F.binary_cross_entropy(A(p, dtype), A(y, other)),
        F.binary_cross_entropy_with_logits(A(p, dtype), A(y, other)),
        F.softmax_cross_entropy(A(np.ones((2, 3)), dtype), [0, 2]),
        F.mse(A(p, dtype), A(y, other)),
    ]
    for loss in losses:
        assert loss.shape == () and loss.dtype == A(0.0, dtype).dtype
        assert_namespace(loss, xp)


def test_python_lists_and_scalars_become_the_default_dtype(xp):
    assert F.sigmoid([0.0, 1.0]).dtype == xp.float32
    assert F.relu(2.5).shape == ()
    assert F.mse([1.0, 2.0], [1.0, 4.0]).dtype == xp.float32
    dl.set_default_dtype("float64")
    assert F.tanh([0.5]).dtype == xp.float64
    assert float(F.sigmoid(0.0)) == 0.5


def test_functions_are_pure(xp):
    z = A([[1.0, -2.0, 3.0]])
    before = host(z).copy()
    for f in UNARY:
        f(z)
    F.binary_cross_entropy_with_logits(z, A([[1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(host(z), before)


# --------------------------------------------------------------------------- bad inputs
def _mixed(kind):
    import array_api_strict as strict

    a = np.array([0.5, 0.5])
    b = strict.asarray([1.0, 0.0], dtype=strict.float64)
    if kind == "sce":
        return np.ones((2, 2)), strict.asarray([0, 1])
    return a, b


BAD = [
    pytest.param(F.sigmoid, lambda: (A([1, 2], "int64"),), TypeError,
                 r"functional\.sigmoid: z must have a floating dtype .*int64", id="int-array"),
    pytest.param(F.relu_grad, lambda: ([1, 2],), TypeError,
                 r"functional\.relu_grad: z must contain floats", id="int-list"),
    pytest.param(F.relu, lambda: (A([True, False], "bool"),), TypeError,
                 r"functional\.relu: z must have a floating dtype", id="bool-array"),
    pytest.param(F.tanh, lambda: ("abc",), TypeError,
                 r"functional\.tanh: z must be an array of floats, got str", id="string"),
    pytest.param(F.softmax, lambda: (None,), TypeError,
                 r"functional\.softmax: z must be an array of floats, got NoneType", id="none"),
    pytest.param(F.leaky_relu, lambda: (A([1.0]), -0.1), ValueError,
                 r"functional\.leaky_relu: slope must lie in \[0\.0, inf\]", id="negative-slope"),
    pytest.param(F.leaky_relu_grad, lambda: (A([1.0]), "0.1"), TypeError,
                 r"functional\.leaky_relu_grad: slope must be a number", id="string-slope"),
    pytest.param(F.softmax, lambda: (A(np.ones((2, 3))), 2), ValueError,
                 r"functional\.softmax: axis must lie in \[-2, 1\] for a 2-D z, got 2",
                 id="axis-out-of-range"),
    pytest.param(F.softmax, lambda: (A(np.ones((2, 3))), 1.0), TypeError,
                 r"functional\.softmax: axis must be an int", id="float-axis"),
    pytest.param(F.log_softmax, lambda: (A(1.0),), ValueError,
                 r"functional\.log_softmax: z must have at least 1 dimension", id="0d-softmax"),
    pytest.param(F.binary_cross_entropy, lambda: (A([0.5, 1.5]), A([1.0, 0.0])), ValueError,
                 r"functional\.binary_cross_entropy: p must lie in \[0, 1\], got 1\.5",
                 id="p-above-1"),
    pytest.param(F.binary_cross_entropy, lambda: (A([-0.1, 0.5]), A([1.0, 0.0])), ValueError,
                 r"functional\.binary_cross_entropy: p must lie in \[0, 1\], got -0\.1",
                 id="p-below-0"),
    pytest.param(F.binary_cross_entropy, lambda: (A([0.5, 0.5]), A([2.0, 0.0])), ValueError,
                 r"functional\.binary_cross_entropy: y must lie in \[0, 1\], got 2\.0",
                 id="y-above-1"),
    pytest.param(F.binary_cross_entropy, lambda: (A([0.5, 0.5, 0.5]), A([[1.0], [0.0], [1.0]])),
                 ValueError, r"functional\.binary_cross_entropy: p and y must have the same "
                 r"shape, got \(3,\) and \(3, 1\)", id="bce-shape-mismatch"),
    pytest.param(F.binary_cross_entropy, lambda: (A([0.5, 0.5]), A([1, 0], "int64")), TypeError,
                 r"functional\.binary_cross_entropy: y must have a floating dtype",
                 id="bce-int-targets"),
    pytest.param(F.binary_cross_entropy, lambda: (A(np.zeros(0)), A(np.zeros(0))), ValueError,
                 r"functional\.binary_cross_entropy: p must not be empty", id="bce-empty"),
    pytest.param(F.binary_cross_entropy_with_logits, lambda: (A([3.0, -1.0]), A([-1.0, 0.0])),
                 ValueError, r"functional\.binary_cross_entropy_with_logits: y must lie in "
                 r"\[0, 1\], got -1\.0", id="logits-y-below-0"),
    pytest.param(F.binary_cross_entropy_with_logits, lambda: (A([3.0, -1.0]), A([np.nan, 0.0])),
                 ValueError, r"functional\.binary_cross_entropy_with_logits: y must lie in "
                 r"\[0, 1\], got nan", id="logits-y-nan"),
    pytest.param(F.binary_cross_entropy_with_logits, lambda: (A([3.0, -1.0]), A([1.0])),
                 ValueError, r"functional\.binary_cross_entropy_with_logits: z and y must have "
                 r"the same shape", id="logits-shape-mismatch"),
    pytest.param(F.softmax_cross_entropy, lambda: (A([1.0, 2.0]), [0]), ValueError,
                 r"functional\.softmax_cross_entropy: logits must be 2-D, got a 1-D array",
                 id="sce-1d-logits"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((2, 3))), A([0.0, 1.0])),
                 TypeError, r"functional\.softmax_cross_entropy: labels must be integer class "
                 r"indices .*float64", id="sce-float-labels"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((2, 3))), [0, 3]), ValueError,
                 r"functional\.softmax_cross_entropy: labels must lie in \[0, 2\] for 3 classes,"
                 r" got 3", id="sce-label-too-large"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((2, 3))), [-1, 0]), ValueError,
                 r"functional\.softmax_cross_entropy: labels must lie in \[0, 2\] .*got -1",
                 id="sce-negative-label"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((3, 3))), [0, 1]), ValueError,
                 r"functional\.softmax_cross_entropy: labels must have shape \(3,\) .*got \(2,\)",
                 id="sce-label-count"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((2, 3))), [[0], [1]]), ValueError,
                 r"functional\.softmax_cross_entropy: labels must have shape \(2,\)",
                 id="sce-2d-labels"),
    pytest.param(F.softmax_cross_entropy, lambda: (A(np.ones((2, 3)), "int64"), [0, 1]),
                 TypeError, r"functional\.softmax_cross_entropy: logits must have a floating",
                 id="sce-int-logits"),
    pytest.param(F.mse, lambda: (A([1.0, 2.0]), A([1.0, 2.0, 3.0])), ValueError,
                 r"functional\.mse: pred and target must have the same shape", id="mse-shape"),
    pytest.param(F.mse, lambda: (A([1.0, 2.0]), A([1.0, np.inf])), ValueError,
                 r"functional\.mse: target contains NaN or infinity", id="mse-inf-target"),
    pytest.param(F.binary_cross_entropy, lambda: _mixed("bce"), TypeError,
                 r"functional\.binary_cross_entropy: got arrays from different backends",
                 id="bce-mixed-backends"),
    pytest.param(F.mse, lambda: _mixed("mse"), TypeError,
                 r"functional\.mse: got arrays from different backends", id="mse-mixed-backends"),
    pytest.param(F.softmax_cross_entropy, lambda: _mixed("sce"), TypeError,
                 r"functional\.softmax_cross_entropy: got arrays from different backends",
                 id="sce-mixed-backends"),
]


@pytest.mark.parametrize("f,make_args,exc,match", BAD)
def test_bad_input(xp, f, make_args, exc, match):
    args = make_args()
    with pytest.raises(exc, match=match):
        f(*args)
