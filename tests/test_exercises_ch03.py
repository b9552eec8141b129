"""The chapter 3 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import numpy as np
import pytest

from dnnlib import functional as F
from dnnlib.exercises import ch03


def _sigmoid_naive(z):
    return 1.0 / (1.0 + np.exp(-z))


def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# --------------------------------------------------------------------------- bce_with_logits
def bce_ok(z, y):
    return np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z))))


def bce_naive(z, y):
    a = _sigmoid_naive(z)
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


def bce_clipped(z, y):
    a = np.clip(_sigmoid_naive(z), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


def bce_naive_softplus(z, y):
    # log(1 + exp(z)) - z y: right for small z, exp(1000) overflows to inf
    return np.mean(np.log(1.0 + np.exp(z)) - z * y)


BCE_WRONG = {
    "sum": (lambda z, y: len(z) * bce_ok(z, y), "you summed over the batch"),
    "sign": (lambda z, y: -bce_ok(z, y), "sign is flipped"),
    "swapped labels": (lambda z, y: bce_ok(z, 1.0 - y), "swapped y and 1 - y"),
    "no z y": (lambda z, y: np.mean(np.logaddexp(0.0, z)), "dropped the -z y term"),
    "per example": (lambda z, y: np.logaddexp(0.0, z) - z * y, "one loss per example"),
    "naive": (bce_naive, "naive formula"),
    "clipped": (bce_clipped, "clipped"),
    "naive softplus": (bce_naive_softplus, "naive formula"),
    "returns None": (lambda z, y: None, "forget the `return`"),
}


@pytest.mark.parametrize("name", sorted(BCE_WRONG))
def test_bce_with_logits_rejects_wrong_answers(name):
    fn, hint = BCE_WRONG[name]
    r = ch03.check_bce_with_logits(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_bce_naive_passes_ordinary_cases_and_fails_only_huge_ones():
    r = ch03.check_bce_with_logits(bce_naive, verbose=False)
    assert r.n_passed == 2 and r.n_checks == 4
    assert all("huge logits" in m for m in r.messages)


@pytest.mark.parametrize("solution", [bce_ok, lambda z, y: np.mean(np.logaddexp(0.0, z) - z * y),
                                      lambda z, y: F.binary_cross_entropy_with_logits(z, y)])
def test_bce_with_logits_accepts_solutions(solution, capsys):
    r = ch03.check_bce_with_logits(solution)
    assert r.passed and r.n_passed == r.n_checks == 4
    assert capsys.readouterr().out.strip().splitlines()[-1] == "All 4 checks passed."


def test_bce_with_logits_stub():
    def bce_with_logits(z, y):
        raise NotImplementedError

    r = ch03.check_bce_with_logits(bce_with_logits, verbose=False)
    assert r.status == "not_attempted"


# --------------------------------------------------------------------------- gradient
def grad_ok(z, y):
    return (_stable_sigmoid(z) - y) / z.size


GRAD_WRONG = {
    "no mean": (lambda z, y: _stable_sigmoid(z) - y, "forgot to divide by N"),
    "sign": (lambda z, y: -grad_ok(z, y), "sign is flipped"),
    "z not sigmoid": (lambda z, y: (z - y) / z.size, "you used z where sigmoid(z)"),
    "extra sigmoid'": (lambda z, y: grad_ok(z, y) * _stable_sigmoid(z)
                       * (1 - _stable_sigmoid(z)), "you multiplied by sigmoid'(z)"),
    "mse": (lambda z, y: 2 * grad_ok(z, y) * _stable_sigmoid(z) * (1 - _stable_sigmoid(z)),
            "gradient of the squared error"),
    "dL/da": (lambda z, y: grad_ok(z, y) / (_stable_sigmoid(z) * (1 - _stable_sigmoid(z))),
              "that is dL/da"),
    "scalar": (lambda z, y: np.sum(grad_ok(z, y)), "you returned one number"),
    "naive sigmoid": (lambda z, y: (_sigmoid_naive(z) - y) / z.size, "naive sigmoid"),
}


@pytest.mark.parametrize("name", sorted(GRAD_WRONG))
def test_bce_grad_rejects_wrong_answers(name):
    fn, hint = GRAD_WRONG[name]
    r = ch03.check_bce_with_logits_grad(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_bce_grad_accepts_solutions_and_reports_stub():
    assert ch03.check_bce_with_logits_grad(grad_ok, verbose=False).passed
    assert ch03.check_bce_with_logits_grad(lambda z, y: (F.sigmoid(z) - y) / z.size,
                                           verbose=False).passed

    def bce_with_logits_grad(z, y):
        raise NotImplementedError

    r = ch03.check_bce_with_logits_grad(bce_with_logits_grad, verbose=False)
    assert r.status == "not_attempted"


def test_bce_grad_is_the_gradient_of_the_loss():
    from dnnlib.gradcheck import numerical_gradient

    z = np.array([[0.3], [-1.2], [2.5]])
    y = np.array([[1.0], [0.0], [1.0]])
    num = numerical_gradient(lambda t: bce_ok(t, y), z)
    np.testing.assert_allclose(grad_ok(z, y), num, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- softmax CE
def ce_ok(logits, labels):
    n = logits.shape[0]
    d = logits - logits.max(axis=1, keepdims=True)
    logp = d - np.log(np.exp(d).sum(axis=1, keepdims=True))
    return -np.mean(logp[np.arange(n), labels])


def _ce_variant(logits, labels, *, axis=1, reduce="mean", stable=True):
    z = logits - logits.max(axis=axis, keepdims=True) if stable else logits
    logp = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    terms = -logp[np.arange(logits.shape[0]), labels]
    return {"mean": np.mean, "sum": np.sum, "none": lambda t: t,
            "nc": lambda t: np.sum(t) / logits.size}[reduce](terms)


def _onehot_mean_axis0(logits, labels):
    n, c = logits.shape
    onehot = np.eye(c)[labels]
    d = logits - logits.max(axis=1, keepdims=True)
    logp = d - np.log(np.exp(d).sum(axis=1, keepdims=True))
    return -np.mean(onehot * logp, axis=0)


CE_WRONG = {
    "sum over batch": (lambda z, t: _ce_variant(z, t, reduce="sum"), "missing mean"),
    "mean over N*C": (lambda z, t: _ce_variant(z, t, reduce="nc"), "divided by N * C"),
    "softmax axis 0": (lambda z, t: _ce_variant(z, t, axis=0), "wrong axis"),
    "per example": (lambda z, t: _ce_variant(z, t, reduce="none"), "missing mean"),
    "mean over axis 0 only": (_onehot_mean_axis0, "wrong axis"),
    "no log-sum-exp": (lambda z, t: -np.mean(z[np.arange(len(t)), t]),
                       "forgot the normalisation"),
    "[:, labels]": (lambda z, t: -np.mean((z - np.log(np.exp(z).sum(1, keepdims=True)))[:, t]),
                    "[np.arange(N), labels]"),
    "unstable": (lambda z, t: _ce_variant(z, t, stable=False), "log-sum-exp trick"),
}


@pytest.mark.parametrize("name", sorted(CE_WRONG))
def test_softmax_ce_rejects_wrong_answers(name):
    fn, hint = CE_WRONG[name]
    r = ch03.check_softmax_cross_entropy(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_softmax_ce_accepts_solutions_and_reports_stub(capsys):
    r = ch03.check_softmax_cross_entropy(ce_ok)
    assert r.passed and r.n_passed == r.n_checks == 4
    assert capsys.readouterr().out.strip().splitlines()[-1] == "All 4 checks passed."
    assert ch03.check_softmax_cross_entropy(F.softmax_cross_entropy, verbose=False).passed

    def softmax_cross_entropy(logits, labels):
        raise NotImplementedError

    r = ch03.check_softmax_cross_entropy(softmax_cross_entropy)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out


def test_checkers_do_not_leak_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ch03.check_bce_with_logits(bce_naive, verbose=False)
        ch03.check_bce_with_logits_grad(GRAD_WRONG["naive sigmoid"][0], verbose=False)
        ch03.check_softmax_cross_entropy(CE_WRONG["unstable"][0], verbose=False)
