"""Issue 17, numbers: float16 refused, NaN propagates, infinities give their limits.

Also the smaller items of the issue in functional, losses, gradcheck and backend: an
empty class axis, gelu far out, a list meeting an array of another backend,
``check_gradients`` on NaN and on a function returning a string, ``DNNLIB_BACKEND=cupy``
without CuPy.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import functional as F
from dnnlib.gradcheck import check_gradients, numerical_gradient
from dnnlib.layers import BatchNorm1d, Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from dnnlib.losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from dnnlib.model import Sequential

inf, nan = math.inf, math.nan

UNARY = [F.sigmoid, F.sigmoid_grad, F.tanh, F.tanh_grad, F.relu, F.relu_grad, F.leaky_relu,
         F.leaky_relu_grad, F.softplus, F.softplus_grad, F.gelu, F.gelu_grad, F.silu,
         F.silu_grad, F.softmax, F.log_softmax]


def _all_public_calls(z):
    """Every public function of functional, called with float array(s) ``z`` of shape (2, 3)."""
    y = np.full(z.shape, 0.5, dtype=z.dtype)
    calls = [(f.__name__, lambda f=f: f(z)) for f in UNARY]
    calls += [
        ("binary_cross_entropy", lambda: F.binary_cross_entropy(y, y)),
        ("binary_cross_entropy_with_logits", lambda: F.binary_cross_entropy_with_logits(z, y)),
        ("softmax_cross_entropy", lambda: F.softmax_cross_entropy(z, np.array([0, 1]))),
        ("softmax_and_log_softmax", lambda: F.softmax_and_log_softmax(z)),
        ("mse", lambda: F.mse(z, y)),
    ]
    return calls


# --------------------------------------------------------------------------- float16
@pytest.mark.parametrize("dtype", ["float16", "longdouble"])
def test_every_function_refuses_float16_with_the_documented_type_error(dtype):
    z = np.zeros((2, 3), dtype=dtype)
    calls = _all_public_calls(z)
    assert len(calls) == len(F.__all__)
    for name, call in calls:
        with pytest.raises(TypeError, match=rf"functional\.{name}: \w+ has dtype "
                                            rf"{np.dtype(dtype).name}; dnnlib computes in "
                                            r"float32 or float64 only"):
            call()


def test_float16_in_a_second_argument_and_as_a_numpy_scalar():
    with pytest.raises(TypeError, match="y has dtype float16"):
        F.binary_cross_entropy_with_logits(np.zeros(2), np.zeros(2, np.float16))
    with pytest.raises(TypeError, match="z has dtype float16"):
        F.sigmoid(np.float16(0.0))
    # a list of float16 scalars is a list: it takes the default dtype like any other
    assert F.sigmoid([np.float16(0.0)]).dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda: Sigmoid(), lambda: Tanh(), lambda: ReLU(), lambda: LeakyReLU(),
    lambda: Dropout(0.5, rng=0), lambda: Dense(3, 2, rng=0), lambda: BatchNorm1d(3),
    lambda: Sequential(Dense(3, 2, rng=0), Sigmoid()),
], ids=["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Dropout", "Dense", "BatchNorm1d", "Sequential"])
def test_layers_refuse_float16_clearly(make):
    """The issue: Sigmoid returned 1.0 at 0, Dropout raised a TypeError from inside NumPy."""
    layer = make()
    with pytest.raises(TypeError, match=r"\.forward: x has dtype float16; dnnlib computes in "
                                        r"float32 or float64 only"):
        layer(np.zeros((4, 3), dtype=np.float16))


@pytest.mark.parametrize("loss,y", [(BinaryCrossEntropy(from_logits=True), np.zeros((2, 1))),
                                    (SoftmaxCrossEntropy(), np.array([0, 1])),
                                    (MSE(), np.zeros((2, 1)))])
def test_losses_refuse_float16(loss, y):
    with pytest.raises(TypeError, match="out has dtype float16"):
        loss.forward(np.zeros((2, 1 if y.ndim == 2 else 2), np.float16), y)


# --------------------------------------------------------------------------- NaN
@pytest.mark.parametrize("f", UNARY, ids=[f.__name__ for f in UNARY])
def test_nan_propagates_through_every_activation(xp, f):
    z = dl.backend.asarray([[nan, 0.0, 1.0], [-2.0, 3.0, nan]], dtype=xp.float64)
    out = dl.to_numpy(f(z))
    if f in (F.softmax, F.log_softmax):  # a NaN anywhere in a row makes the row NaN
        assert np.isnan(out).all()
    elif f in (F.relu_grad, F.leaky_relu_grad):  # masks: NaN > 0 is False (as in PyTorch);
        assert out[0, 0] in (0.0, 0.01)             # the NaN arrives through dout instead
    else:
        assert np.isnan(out[0, 0]) and np.isnan(out[1, 2]), out
        assert np.isfinite(out[0, 1:]).all()


def test_sigmoid_of_nan_is_nan_not_zero():
    """The issue's case: sigmoid(nan) = 0 and sigmoid_grad(nan) = 0 hid a diverged model."""
    assert np.isnan(F.sigmoid(np.array([nan]))).all()
    assert np.isnan(F.sigmoid_grad(np.array([nan]))).all()
    assert np.isnan(Sigmoid().forward(np.array([[nan]], np.float32))).all()


@pytest.mark.parametrize("make_loss", [
    lambda z: F.binary_cross_entropy(F.sigmoid(z), np.ones_like(z)),
    lambda z: F.binary_cross_entropy_with_logits(z, np.ones_like(z)),
    lambda z: F.softmax_cross_entropy(np.stack([z, -z], axis=1), np.zeros(z.shape[0], int)),
    lambda z: F.mse(F.sigmoid(z), np.ones_like(z)),
    lambda z: BinaryCrossEntropy()(F.sigmoid(z)[:, None], np.ones(z.shape[0])),
    lambda z: BinaryCrossEntropy(from_logits=True)(z[:, None], np.ones(z.shape[0])),
    lambda z: MSE()(F.sigmoid(z)[:, None], np.ones(z.shape[0])),
], ids=["bce", "bce-logits", "softmax-ce", "mse", "BCE-loss", "BCE-logits-loss", "MSE-loss"])
def test_a_nan_logit_makes_every_loss_nan(make_loss):
    """What fit's divergence guard needs: a NaN model gives a NaN loss, not an error."""
    z = np.array([0.5, nan, -1.0], dtype=np.float32)
    assert np.isnan(float(make_loss(z)))


def test_nan_targets_are_still_refused():
    with pytest.raises(ValueError, match="y must lie in"):
        F.binary_cross_entropy(np.array([0.5]), np.array([nan]))
    with pytest.raises(ValueError, match="y must lie in"):
        BinaryCrossEntropy()(np.array([[0.5]]), np.array([nan]))


# --------------------------------------------------------------------------- infinity
LIMITS = [  # f, input, expected (the mathematical limit)
    (F.sigmoid, [inf, -inf], [1.0, 0.0]),
    (F.sigmoid_grad, [inf, -inf], [0.0, 0.0]),
    (F.tanh, [inf, -inf], [1.0, -1.0]),
    (F.tanh_grad, [inf, -inf], [0.0, 0.0]),
    (F.relu, [inf, -inf], [inf, 0.0]),
    (F.relu_grad, [inf, -inf], [1.0, 0.0]),
    (F.leaky_relu, [inf, -inf], [inf, -inf]),
    (lambda z: F.leaky_relu(z, slope=0.0), [inf, -inf], [inf, 0.0]),
    (F.leaky_relu_grad, [inf, -inf], [1.0, 0.01]),
    (F.softplus, [inf, -inf], [inf, 0.0]),
    (F.softplus_grad, [inf, -inf], [1.0, 0.0]),
    (F.gelu, [inf, -inf], [inf, 0.0]),
    (F.gelu_grad, [inf, -inf], [1.0, 0.0]),
    (F.silu, [inf, -inf], [inf, 0.0]),
    (F.silu_grad, [inf, -inf], [1.0, 0.0]),
    (F.softmax, [inf, 0.0, 1.0], [1.0, 0.0, 0.0]),
    (F.softmax, [-inf, 0.0, 0.0], [0.0, 0.5, 0.5]),
    (F.softmax, [inf, inf, 0.0], [nan, nan, nan]),      # no limit
    (F.softmax, [-inf, -inf], [nan, nan]),              # no limit
    (F.log_softmax, [inf, 0.0], [0.0, -inf]),
    (F.log_softmax, [-inf, 0.0], [-inf, 0.0]),
    (F.log_softmax, [inf, inf], [nan, nan]),
]


@pytest.mark.parametrize("f,z,expected", LIMITS,
                         ids=[f"{getattr(c[0], '__name__', 'slope0')}-{i}"
                              for i, c in enumerate(LIMITS)])
def test_infinite_inputs_give_the_limit_without_warnings(xp, f, z, expected):
    for dtype in (xp.float32, xp.float64):
        out = f(dl.backend.asarray(z, dtype=dtype))   # RuntimeWarning is an error here
        assert out.dtype == dtype
        want = np.array(expected, dtype=np.float32 if dtype == xp.float32 else np.float64)
        np.testing.assert_array_equal(dl.to_numpy(out), want)


def test_softmax_limits_in_batches_and_along_axis_0(xp):
    z = dl.backend.asarray([[inf, 1.0], [0.0, 2.0], [1.0, 3.0]], dtype=xp.float64)
    p = dl.to_numpy(F.softmax(z, axis=0))
    assert p[:, 0].tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(p[:, 1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


@pytest.mark.parametrize("logits,label,expected", [
    ([0.0, -inf, 1.0], 0, math.log(1 + math.e)),   # -inf on a non-target class: finite
    ([0.0, -inf, 1.0], 1, inf),                     # ... on the target: infinite
    ([inf, 0.0], 0, 0.0),
    ([inf, 0.0], 1, inf),
    ([0.0, 0.0], 0, math.log(2)),
])
def test_softmax_cross_entropy_with_infinite_logits(xp, logits, label, expected):
    z = dl.backend.asarray([logits], dtype=xp.float64)
    loss = float(F.softmax_cross_entropy(z, dl.backend.asarray([label])))
    assert loss == pytest.approx(expected, rel=1e-12) if math.isfinite(expected) else loss == inf
    ce = SoftmaxCrossEntropy()
    ce.forward(z, dl.backend.asarray([label]))
    assert np.isfinite(dl.to_numpy(ce.backward())).all()


@pytest.mark.parametrize("z,y,expected", [
    (inf, 1.0, 0.0), (inf, 0.0, inf), (inf, 0.5, inf),
    (-inf, 0.0, 0.0), (-inf, 1.0, inf), (-inf, 0.5, inf),
])
def test_bce_with_logits_at_infinity(z, y, expected):
    for dtype in (np.float32, np.float64):
        out = F.binary_cross_entropy_with_logits(np.array([z], dtype), np.array([y], dtype))
        assert out.dtype == dtype and float(out) == expected


def test_bce_with_logits_form_is_bit_identical_for_hard_labels():
    """The weighted-softplus form gives the same bits as softplus(z) - z y for y in {0, 1}."""
    g = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        z = (g.standard_normal(2000) * np.logspace(-3, 4, 2000)).astype(dtype)
        y = g.integers(0, 2, 2000).astype(dtype)
        old = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        for i in range(0, 2000, 97):
            assert F.binary_cross_entropy_with_logits(z[i:i + 1], y[i:i + 1]) == old[i]


def test_gelu_and_silu_far_out_do_not_warn_and_match_the_old_formula():
    """The issue: gelu warned on overflow for |z| >= 1e19 in float32."""
    for dtype in (np.float32, np.float64):
        top = float(np.finfo(dtype).max)
        z = np.array([1e19, -1e19, 1e30, -1e30, top, -top, 12.0, -12.0, 50.0, -50.0], dtype)
        assert np.isfinite(F.gelu(z)).all() and np.isfinite(F.gelu_grad(z)).all()
        assert np.isfinite(F.silu(z)).all() and np.isfinite(F.silu_grad(z)).all()
        np.testing.assert_array_equal(F.gelu(z), np.where(z > 0, z, 0.0))
        np.testing.assert_array_equal(F.gelu_grad(z), np.where(z > 0, 1.0, 0.0))
        # inside the clipped range nothing changed: the plain formula, bit for bit
        w = np.linspace(-10, 10, 4001).astype(dtype)
        u = math.sqrt(2 / math.pi) * w * (1.0 + 0.044715 * w * w)
        np.testing.assert_array_equal(F.gelu(w), 0.5 * w * (1 + np.tanh(u)))


def test_softmax_on_an_empty_class_axis_names_the_axis():
    for f in (F.softmax, F.log_softmax):
        with pytest.raises(ValueError, match=rf"functional\.{f.__name__}: the class axis -1 of z "
                                             r"is empty \(shape \(2, 0\)\)"):
            f(np.zeros((2, 0)))
        with pytest.raises(ValueError, match="the class axis 0"):
            f(np.zeros((0, 3)), axis=0)
        assert f(np.zeros((0, 3))).shape == (0, 3)   # an empty batch is fine
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        F.softmax_cross_entropy(np.zeros((2, 0)), np.array([0, 0]))


# --------------------------------------------------------------------------- backends
def test_a_list_meets_an_array_of_another_backend(xp):
    """A list takes the backend of the array it is combined with (the user passed no array)."""
    import array_api_strict as strict

    z = strict.asarray([0.5, -1.0], dtype=strict.float64)
    with dl.use_backend("numpy"):
        out = F.binary_cross_entropy_with_logits(z, [1.0, 0.0])
        assert type(out).__module__.startswith("array_api_strict")
        out = F.mse([1.0, 0.0], z)
        assert type(out).__module__.startswith("array_api_strict")


def test_a_list_for_a_model_on_another_backend_explains_itself():
    model = Sequential(Dense(2, 1, rng=0))          # NumPy parameters
    with dl.use_backend("array_api_strict"):
        try:
            model.forward([[1.0, 2.0]])
        except TypeError as exc:                     # the list became a strict array
            assert "A Python list or scalar becomes an array of the current backend" in str(exc)


def _run(code, **env):
    full = os.environ | env
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=120)


def test_dnnlib_backend_cupy_without_cupy_names_the_variable(tmp_path):
    fake = Path(tmp_path) / "cupy"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named cupy (simulated)')\n")
    r = _run("import dnnlib", DNNLIB_BACKEND="cupy",
             PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: environment variable DNNLIB_BACKEND='cupy'"), last
    assert "CuPy" in last and "DNNLIB_BACKEND=numpy" in last


# --------------------------------------------------------------------------- gradcheck
def test_check_gradients_fails_on_nan_output_and_refuses_nan_input():
    x = np.array([0.5, 1.0])
    r = check_gradients(lambda v: v * np.nan, x, grad=lambda v: np.ones_like(v))
    assert not r.ok and math.isnan(r.max_rel_error) and r.where == "input[0]"
    r = check_gradients(F.sigmoid, x, grad=lambda v: np.full_like(v, np.nan))
    assert not r.ok
    for bad in (np.array([np.nan, 1.0]), np.array([np.inf, 1.0])):
        with pytest.raises(ValueError, match="check_gradients: x contains NaN or infinity"):
            check_gradients(F.sigmoid, bad, grad=F.sigmoid_grad)
        with pytest.raises(ValueError, match="numerical_gradient: x contains NaN"):
            numerical_gradient(lambda v: float(np.sum(v)), bad)


def test_check_gradients_on_a_layer_producing_nan_fails():
    layer = Dense(2, 2, rng=0, dtype="float64")
    layer.W.data[0, 0] = np.nan
    r = check_gradients(layer, np.ones((3, 2)))
    assert not r.ok


@pytest.mark.parametrize("returned, what", [
    ("1.5", "str"), (None, "NoneType"), (b"1", "bytes"), (1 + 2j, "complex"),
    ([1.0], "list"), (True, "bool"),
])
def test_check_gradients_refuses_a_function_returning_a_non_number(returned, what):
    """The issue: a string was parsed with float() and the check passed."""
    x = np.array([0.5, 1.0])
    with pytest.raises(TypeError, match=rf"check_gradients: f must return .* got {what}"):
        check_gradients(lambda v: returned, x, grad=lambda v: np.ones_like(v))
    with pytest.raises(TypeError, match=rf"numerical_gradient: f must return .* got {what}"):
        numerical_gradient(lambda v: returned, x)


def test_check_gradients_refuses_a_complex_array_and_a_string_gradient():
    x = np.array([0.5, 1.0])
    with pytest.raises(TypeError, match="complex128"):
        check_gradients(lambda v: v.astype(complex), x, grad=lambda v: np.ones_like(v))
    with pytest.raises(TypeError, match="got str"):
        check_gradients(F.sigmoid, x, grad=lambda v: "1.0")


# --------------------------------------------------------------------------- fit
@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), MSE()], ids=["BCE", "MSE"])
def test_a_nan_sigmoid_network_makes_fit_raise_training_diverged(loss):
    """The issue's case: all-NaN logits, sigmoid(nan) = 0, and fit returned a finite loss
    (43.67). With NaN propagating, fit's divergence guard fires."""
    from dnnlib.optim import SGD
    from dnnlib.train import TrainingDiverged, fit

    X, y = dl.data.make_moons(64, noise=0.1, rng=0)
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 1, rng=1), Sigmoid())
    model[2].W.data[...] = np.nan
    target = y if isinstance(loss, BinaryCrossEntropy) else dl.backend.asarray(
        dl.to_numpy(y).astype(np.float32))
    with pytest.raises(TrainingDiverged, match="nan"):
        fit(model, loss, SGD(model.params, lr=0.1), X, target, epochs=2, batch_size=16,
            progress=False)
