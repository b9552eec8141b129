"""Loss objects: values, gradients (finite differences and PyTorch), dtypes, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib import functional as F
from dnnlib.losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy


def rel_error(a, b) -> float:
    a, b = np.asarray(dl.to_numpy(a), float), np.asarray(dl.to_numpy(b), float)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def loss_grad_error(loss, out_host: np.ndarray, y, eps: float = 1e-6) -> float:
    """Relative error of ``loss.backward()`` against centred differences of ``loss.forward``."""
    value = loss(B.asarray(out_host), y)
    assert tuple(value.shape) == ()
    analytic = dl.to_numpy(loss.backward())
    assert analytic.shape == out_host.shape
    num = np.zeros_like(out_host)
    for idx in np.ndindex(out_host.shape):
        o = out_host.copy()
        o[idx] += eps
        fp = float(loss(B.asarray(o), y))
        o[idx] -= 2 * eps
        fm = float(loss(B.asarray(o), y))
        num[idx] = (fp - fm) / (2 * eps)
    return rel_error(analytic, num)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def check_against_torch(ours, theirs, rtol: float = 1e-6, atol: float = 1e-12) -> None:
    """One-line comparison of a dnnlib array with a torch tensor (float64)."""
    np.testing.assert_allclose(dl.to_numpy(ours), theirs.detach().cpu().numpy(),
                               rtol=rtol, atol=atol)


def t64(torch, a, grad: bool = False):
    return torch.tensor(np.asarray(dl.to_numpy(a), dtype=np.float64), requires_grad=grad)


SHAPES = [(1, 1), (5, 1), (7, 3)]


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("shape", SHAPES + [(6,)])
def test_bce_from_logits_gradient(xp, shape):
    rng = np.random.default_rng(0)
    y = B.asarray(rng.uniform(0, 1, shape))          # soft targets work too
    assert loss_grad_error(BinaryCrossEntropy(from_logits=True),
                           3 * rng.standard_normal(shape), y) <= 1e-7


@pytest.mark.parametrize("shape", SHAPES + [(6,)])
def test_bce_from_probabilities_gradient(xp, shape):
    rng = np.random.default_rng(1)
    y = B.asarray((rng.uniform(size=shape) > 0.5).astype(np.float64))
    p = rng.uniform(0.05, 0.95, shape)
    assert loss_grad_error(BinaryCrossEntropy(), p, y) <= 1e-7


@pytest.mark.parametrize("N, C", [(1, 2), (4, 3), (9, 5)])
def test_softmax_cross_entropy_gradient(xp, N, C):
    rng = np.random.default_rng(N)
    labels = B.asarray(rng.integers(0, C, N))
    assert loss_grad_error(SoftmaxCrossEntropy(), 2 * rng.standard_normal((N, C)),
                           labels) <= 1e-7


@pytest.mark.parametrize("shape", SHAPES + [(6,), (2, 3, 2)])
def test_mse_gradient(xp, shape):
    rng = np.random.default_rng(2)
    y = B.asarray(rng.standard_normal(shape))
    assert loss_grad_error(MSE(), rng.standard_normal(shape), y) <= 1e-7


# --------------------------------------------------------------------------- PyTorch references
def test_bce_matches_torch(xp, torch):
    rng = np.random.default_rng(3)
    z, y = 4 * rng.standard_normal((8, 1)), (rng.uniform(size=8) > 0.5).astype(np.float64)
    zt = t64(torch, z, grad=True)
    lt = torch.nn.BCEWithLogitsLoss()(zt, t64(torch, y).reshape(8, 1))
    lt.backward()
    ours = BinaryCrossEntropy(from_logits=True)
    check_against_torch(ours(B.asarray(z), B.asarray(y)), lt)
    check_against_torch(ours.backward(), zt.grad)

    p = rng.uniform(0.01, 0.99, (8, 1))
    pt = t64(torch, p, grad=True)
    lt = torch.nn.BCELoss()(pt, t64(torch, y).reshape(8, 1))
    lt.backward()
    ours = BinaryCrossEntropy()
    check_against_torch(ours(B.asarray(p), B.asarray(y)), lt)
    check_against_torch(ours.backward(), pt.grad)


def test_softmax_cross_entropy_matches_torch(xp, torch):
    rng = np.random.default_rng(4)
    z, labels = 3 * rng.standard_normal((10, 4)), rng.integers(0, 4, 10)
    zt = t64(torch, z, grad=True)
    lt = torch.nn.CrossEntropyLoss()(zt, torch.tensor(labels))
    lt.backward()
    ours = SoftmaxCrossEntropy()
    check_against_torch(ours(B.asarray(z), B.asarray(labels)), lt)
    check_against_torch(ours.backward(), zt.grad)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_computes_what_the_chapter_derives_bit_for_bit(xp, dtype):
    """forward is functional.softmax_cross_entropy and backward (softmax(z) - onehot) / N,
    to the last bit: the fused forward changes no number the book prints."""
    rng = np.random.default_rng(8)
    z = 20.0 * rng.standard_normal((7, 5))
    z[2, :], z[3, 1], z[4, 4] = 1e30, -math.inf, -math.inf
    labels = np.array([0, 4, 2, 0, 1, 3, 4])   # row 4's label is finite, its -inf is not
    z, y = B.asarray(z.astype(dtype)), B.asarray(labels)
    ce = SoftmaxCrossEntropy()
    value = ce(z, y)
    assert value.dtype == z.dtype and value.shape == ()
    np.testing.assert_array_equal(dl.to_numpy(value),
                                  dl.to_numpy(F.softmax_cross_entropy(z, y)))
    xp_ = B.namespace(z)
    onehot = xp_.astype(xp_.reshape(y, (-1, 1)) == xp_.arange(5, dtype=y.dtype), z.dtype)
    np.testing.assert_array_equal(dl.to_numpy(ce.backward()),
                                  dl.to_numpy((F.softmax(z, axis=-1) - onehot) / 7))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 3), (5, 2), (64, 10), (7, 1000)])
def test_the_numpy_kernel_is_the_rule_bit_for_bit(dtype, shape, monkeypatch):
    """What NumPy runs (``_softmax_cross_entropy_numpy``) against the array-API rule
    (what CuPy runs): value, softmax and one-hot equal to the last bit, with logits in
    the exp cut-off's neighbourhood (entries set to exactly 0), -inf entries, and rows
    with +inf or NaN (which the kernel leaves to the rule)."""
    from dnnlib import losses

    rng = np.random.default_rng(sum(shape))
    n, c = shape
    cut = losses._EXP_CUTOFF[np.dtype(dtype)]
    assert cut == F._exp_cutoff(np.dtype(dtype), np)     # the same cut-off as functional
    z = 10.0 * rng.standard_normal(shape)
    z[:, 0] = 0.0
    if c > 1:
        z[:, 1] = -cut + rng.uniform(-3, 3, n)   # around the cut-off, relative to the 0
    y = rng.integers(0, c, n)
    cases = [z]
    if n > 1 and c > 1:
        zi = z.copy()
        zi[0, -1] = -math.inf
        cases.append(zi)
        zp = z.copy()
        zp[0, 0], zp[n - 1, -1] = math.inf, math.nan
        cases.append(zp)
    for logits in cases:
        logits = logits.astype(dtype)
        fast = SoftmaxCrossEntropy()
        v_fast = fast(logits, y)
        monkeypatch.setattr(losses, "_NUMPY_FAST_PATH", False)
        rule = SoftmaxCrossEntropy()
        v_rule = rule(logits, y)
        monkeypatch.setattr(losses, "_NUMPY_FAST_PATH", True)
        assert type(v_fast) is type(v_rule) and v_fast.dtype == v_rule.dtype
        np.testing.assert_array_equal(v_fast, v_rule)
        for a, b in zip(fast.saved, rule.saved, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(fast.backward(), rule.backward())


def test_the_kernel_is_what_numpy_runs(monkeypatch):
    """The fast path really is taken on NumPy (a broken kernel changes the result)."""
    from dnnlib import losses

    z, y = np.zeros((2, 3)), np.array([0, 2])
    good = float(SoftmaxCrossEntropy()(z, y))
    monkeypatch.setattr(losses, "_softmax_cross_entropy_numpy",
                        lambda z, y: (np.float64(-1.0), (z, z)))
    assert good == pytest.approx(math.log(3)) and float(SoftmaxCrossEntropy()(z, y)) == -1.0


def test_mse_matches_torch(xp, torch):
    rng = np.random.default_rng(5)
    out, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    ot = t64(torch, out, grad=True)
    lt = torch.nn.MSELoss()(ot, t64(torch, y))
    lt.backward()
    ours = MSE()
    check_against_torch(ours(B.asarray(out), B.asarray(y)), lt)
    check_against_torch(ours.backward(), ot.grad)


# --------------------------------------------------------------------------- values, dtypes
def test_values_come_from_functional(xp):
    rng = np.random.default_rng(6)
    z = B.asarray(rng.standard_normal((5, 1)))
    y = B.asarray(np.array([0.0, 1.0, 1.0, 0.0, 1.0]))
    y2 = xp.reshape(y, (5, 1))
    assert float(BinaryCrossEntropy(from_logits=True)(z, y)) == float(
        F.binary_cross_entropy_with_logits(z, y2))
    p = F.sigmoid(z)
    assert float(BinaryCrossEntropy()(p, y)) == float(F.binary_cross_entropy(p, y2))
    assert float(MSE()(z, y)) == float(F.mse(z, y2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_targets_shape_and_int_cast(xp, dtype):
    z = B.asarray(np.array([[0.5], [-1.0], [2.0]]), dtype=getattr(xp, dtype))
    loss = BinaryCrossEntropy(from_logits=True)
    a = loss(z, B.asarray(np.array([1, 0, 1])))                   # int (N,) for (N, 1)
    b = loss(z, B.asarray(np.array([[1.0], [0.0], [1.0]])))       # float64 (N, 1)
    for v in (a, b):
        assert tuple(v.shape) == () and v.dtype == getattr(xp, dtype)
        assert_namespace(v, xp)
    assert float(a) == float(b)
    dout = loss.backward()
    assert tuple(dout.shape) == (3, 1) and dout.dtype == getattr(xp, dtype)
    assert_namespace(dout, xp)


@pytest.mark.parametrize("make, out, y", [
    (lambda: BinaryCrossEntropy(), np.full((3, 1), 0.5, np.float32), np.ones(3)),
    (lambda: SoftmaxCrossEntropy(), np.zeros((3, 4), np.float32), np.array([0, 1, 3])),
    (lambda: MSE(), np.zeros((3, 2), np.float32), np.ones((3, 2))),
], ids=["bce", "softmax-ce", "mse"])
def test_losses_keep_namespace_and_dtype(xp, make, out, y):
    loss = make()
    value = loss(B.asarray(out), B.asarray(y))
    dout = loss.backward()
    for a in (value, dout):
        assert a.dtype == xp.float32
        assert_namespace(a, xp)
    assert tuple(dout.shape) == out.shape


def test_bce_from_probabilities_is_finite_at_the_edges(xp):
    loss = BinaryCrossEntropy()
    value = loss(B.asarray(np.array([0.0, 1.0, 1.0])), B.asarray(np.array([1.0, 0.0, 1.0])))
    assert np.isfinite(float(value))
    assert np.all(np.isfinite(dl.to_numpy(loss.backward())))


def test_softmax_backward_rows_sum_to_zero(xp):
    loss = SoftmaxCrossEntropy()
    loss(B.asarray(np.random.default_rng(0).standard_normal((4, 5))),
         B.asarray(np.array([0, 4, 2, 2])))
    np.testing.assert_allclose(dl.to_numpy(loss.backward()).sum(axis=1), 0, atol=1e-15)


def test_reprs():
    assert repr(BinaryCrossEntropy()) == "BinaryCrossEntropy(from_logits=False)"
    assert repr(SoftmaxCrossEntropy()) == "SoftmaxCrossEntropy()"
    assert repr(MSE()) == "MSE()"


# --------------------------------------------------------------------------- bad inputs
def _strict(a):
    with dl.use_backend("array_api_strict"):
        return B.asarray(a)


Z = np.zeros((3, 1))
BAD = [
    ("bce-y-above-one",
     lambda: BinaryCrossEntropy()(np.full((3, 1), 0.5), np.array([0.0, 2.0, 1.0])),
     ValueError, r"BinaryCrossEntropy\.forward: y must lie in \[0, 1\]"),
    ("bce-y-negative", lambda: BinaryCrossEntropy(from_logits=True)(Z, np.array([0, -1, 1])),
     ValueError, r"BinaryCrossEntropy\.forward: y must lie in \[0, 1\]"),
    ("bce-probs-out-of-range", lambda: BinaryCrossEntropy()(np.full((3, 1), 1.5), np.ones(3)),
     ValueError, r"BinaryCrossEntropy\.forward: out must be probabilities.*from_logits"),
    ("bce-y-shape", lambda: BinaryCrossEntropy(from_logits=True)(Z, np.ones(4)),
     ValueError, r"BinaryCrossEntropy\.forward: y must have the shape of out \(3, 1\), got \(4,\)"),
    ("bce-out-3d", lambda: BinaryCrossEntropy(from_logits=True)(np.zeros((2, 2, 1)), np.ones(2)),
     ValueError, r"BinaryCrossEntropy\.forward: out must be 1-D or 2-D"),
    ("bce-int-out", lambda: BinaryCrossEntropy(from_logits=True)(np.zeros((3, 1), int), np.ones(3)),
     TypeError, r"BinaryCrossEntropy\.forward: out must have a floating dtype"),
    ("bce-from-logits-type", lambda: BinaryCrossEntropy(from_logits="yes"), TypeError,
     r"BinaryCrossEntropy: from_logits must be a bool"),
    ("bce-mixed-backends", lambda: BinaryCrossEntropy(from_logits=True)(_strict(Z), np.ones(3)),
     TypeError, r"BinaryCrossEntropy\.forward: got arrays from different backends"),
    ("bce-backward-first", lambda: BinaryCrossEntropy().backward(), RuntimeError,
     r"BinaryCrossEntropy\.backward: call forward before backward"),
    ("ce-label-too-big", lambda: SoftmaxCrossEntropy()(np.zeros((3, 4)), np.array([0, 4, 1])),
     ValueError, r"SoftmaxCrossEntropy\.forward: y must lie in \[0, 3\] for 4 classes, got 4"),
    ("ce-label-negative", lambda: SoftmaxCrossEntropy()(np.zeros((3, 4)), np.array([0, -1, 1])),
     ValueError, r"SoftmaxCrossEntropy\.forward: y must lie in \[0, 3\].*got -1"),
    ("ce-float-labels", lambda: SoftmaxCrossEntropy()(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0])),
     TypeError, r"SoftmaxCrossEntropy\.forward: y must be integer class indices"),
    ("ce-onehot-labels", lambda: SoftmaxCrossEntropy()(np.zeros((2, 2)), np.eye(2, dtype=int)),
     ValueError, r"SoftmaxCrossEntropy\.forward: y must be 1-D integer labels.*\(2, 2\)"),
    ("ce-length", lambda: SoftmaxCrossEntropy()(np.zeros((3, 4)), np.array([0, 1])),
     ValueError, r"SoftmaxCrossEntropy\.forward: out and y must have the same number of rows"),
    ("ce-1d-logits", lambda: SoftmaxCrossEntropy()(np.zeros(4), np.array([0])),
     ValueError, r"SoftmaxCrossEntropy\.forward: out must be 2-D"),
    ("ce-empty-batch", lambda: SoftmaxCrossEntropy()(np.zeros((0, 4)), np.zeros(0, int)),
     ValueError, r"SoftmaxCrossEntropy\.forward: out must not be empty, got shape \(0, 4\)"),
    ("ce-backward-first", lambda: SoftmaxCrossEntropy().backward(), RuntimeError,
     r"SoftmaxCrossEntropy\.backward: call forward before backward"),
    ("mse-shape", lambda: MSE()(np.zeros((3, 2)), np.zeros((3, 1))), ValueError,
     r"MSE\.forward: y must have the shape of out \(3, 2\), got \(3, 1\)"),
    ("mse-int-y", lambda: MSE()(np.zeros(3), np.arange(3)), TypeError,
     r"MSE\.forward: y must have a floating dtype, got int64"),
    ("mse-str-y", lambda: MSE()(np.zeros(3), "abc"), TypeError, r"MSE\.forward: y must"),
]


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("loss, out, y", [
    (BinaryCrossEntropy(), [[0.2], [0.9]], [0, 1]),
    (BinaryCrossEntropy(from_logits=True), [[-1.0], [2.0]], [[0.0], [1.0]]),
    (SoftmaxCrossEntropy(), [[0.1, 2.0, -1.0], [0.0, 0.0, 3.0]], [1, 2]),
    (MSE(), [[1.0], [3.0]], [0.0, 1.0]),
], ids=["bce", "bce-logits", "softmax-ce", "mse"])
def test_every_loss_has_a_door_that_forward_goes_through(loss, out, y, monkeypatch):
    """check_input turns what a reader passes (lists here) into the arrays the math
    uses, and forward computes nothing on anything else: replacing the door changes the
    result."""
    checked_out, checked_y = loss.check_input(out, y)
    assert B.is_array(checked_out) and B.is_array(checked_y)
    assert checked_out.dtype == np.float32          # lists take the default dtype
    value = float(loss(out, y))
    assert value == float(type(loss).forward(loss, checked_out, checked_y))
    monkeypatch.setattr(type(loss), "check_input",
                        lambda self, o, t: (0.5 * checked_out, checked_y))
    assert float(loss(out, y)) != value
