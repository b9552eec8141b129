"""The chapter 3 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers (including the fragile ones that
are right on ordinary logits and break on huge ones), each with the message it must get;
the reference solutions pass; untouched stubs are "not attempted yet".
"""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest

from dnnlib import functional as F
from dnnlib.exercises import ch03


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


def _sigmoid_naive(z):
    return 1.0 / (1.0 + np.exp(-z))


def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z):
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


# --------------------------------------------------------------------------- bce_with_logits
def bce_ok(z, y):
    return np.mean(_softplus(z) - z * y)


def bce_naive(z, y):
    a = _sigmoid_naive(z)
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


def bce_clipped(z, y):
    a = np.clip(_sigmoid_naive(z), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


def bce_naive_softplus(z, y):
    # log(1 + exp(z)) - z y: right for small z, exp(1000) overflows to inf
    return np.mean(np.log(1.0 + np.exp(z)) - z * y)


def bce_softplus_without_abs(z, y):
    return np.mean(np.maximum(z, 0.0) + np.log1p(np.exp(-z)) - z * y)


def bce_inplace(z, y):
    z *= 1.0 - 2.0 * y
    return np.mean(_softplus(z))


BCE_WRONG = {
    "sum": (lambda z, y: len(z) * bce_ok(z, y), "you summed over the batch"),
    "sign": (lambda z, y: -bce_ok(z, y), "sign is flipped"),
    "swapped labels": (lambda z, y: bce_ok(z, 1.0 - y), "swapped y and 1 - y"),
    "no z y": (lambda z, y: np.mean(np.logaddexp(0.0, z)), "dropped the -z y term"),
    "N - 1": (lambda z, y: np.sum(_softplus(z) - z * y) / (z.size - 1), "divided by N - 1"),
    "per example": (lambda z, y: np.logaddexp(0.0, z) - z * y, "one loss per example"),
    "naive": (bce_naive, ["the loss is nan for z = 1000 with label 1", "naive formula"]),
    "clipped": (bce_clipped, "clipped"),
    "naive softplus": (bce_naive_softplus, ["for z = 1000", "the naive softplus"]),
    # the issue: a softplus without abs was reported as "you dropped the -zy term"
    "softplus without abs": (bce_softplus_without_abs,
                             (["lacks its absolute value"], ["dropped the -z y term"])),
    # the issue: softplus(-z) - zy passed 3 of 4 cases
    "softplus(-z) - z y": (lambda z, y: np.mean(_softplus(-z) - z * y), "softplus(-z)"),
    "in place": (bce_inplace, "modified its input z in place"),
    "returns None": (lambda z, y: None, "forget the `return`"),
    "returns a str": (lambda z, y: f"{bce_ok(z, y):.3f}", "is the str"),
    "returns complex": (lambda z, y: complex(bce_ok(z, y)), "is the complex number"),
}


def test_softplus_without_abs_is_named_on_huge_logits_too():
    r = ch03.check_bce_with_logits(bce_softplus_without_abs, verbose=False)
    huge = [m for m in r.messages if m.startswith("huge")]
    assert huge and all("without the absolute value" in m and "z = -1000" in m for m in huge)


def test_softplus_minus_z_variant_now_fails_every_case_but_z_zero():
    r = ch03.check_bce_with_logits(lambda z, y: np.mean(_softplus(-z) - z * y), verbose=False)
    assert r.n_passed == 1  # only z = 0 (log 2 for either label) cannot tell


def test_naive_passes_ordinary_cases_and_fails_only_huge_ones():
    r = ch03.check_bce_with_logits(bce_naive, verbose=False)
    assert r.n_passed == 2 and r.n_checks == 4
    assert all(m.startswith("huge logits") for m in r.messages)


# --------------------------------------------------------------------------- gradient
def grad_ok(z, y):
    return (_stable_sigmoid(z) - y) / z.size


def _grad_inplace(z, y):
    y -= _stable_sigmoid(z)
    return -y / z.size


GRAD_WRONG = {
    "no mean": (lambda z, y: _stable_sigmoid(z) - y, "forgot to divide by N"),
    "sign": (lambda z, y: -grad_ok(z, y), "sign is flipped"),
    "z not sigmoid": (lambda z, y: (z - y) / z.size, "you used z where sigmoid(z)"),
    "extra sigmoid'": (lambda z, y: grad_ok(z, y) * _stable_sigmoid(z)
                       * (1 - _stable_sigmoid(z)), "you multiplied by sigmoid'(z)"),
    "mse": (lambda z, y: 2 * grad_ok(z, y) * _stable_sigmoid(z) * (1 - _stable_sigmoid(z)),
            "gradient of the squared error"),
    "dL/dy_hat": (lambda z, y: grad_ok(z, y) / (_stable_sigmoid(z) * (1 - _stable_sigmoid(z))),
                  "that is dL/dy_hat"),
    "scalar": (lambda z, y: np.sum(grad_ok(z, y)), "you returned one number"),
    "naive sigmoid": (lambda z, y: (_sigmoid_naive(z) - y) / z.size, "naive sigmoid"),
    "in place": (_grad_inplace, "modified its input y in place"),
    "a list": (lambda z, y: grad_ok(z, y).tolist(), "return a NumPy array"),
}


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


def ce_log_of_softmax(logits, labels):
    """Shifted (no overflow), but the log of a probability that underflows to 0."""
    d = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(d) / np.exp(d).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(labels)), labels]))


def _ce_inplace(logits, labels):
    logits -= logits.max(axis=1, keepdims=True)
    return ce_ok(logits, labels)


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
    "unstable": (lambda z, t: _ce_variant(z, t, stable=False),
                 ["overflow encountered in exp", "log-sum-exp trick"]),
    # the issue: the log of an underflowed softmax was reported as an overflow
    "log of the softmax": (ce_log_of_softmax, (["underflowed to 0", "log(0) = -inf"],
                                               ["overflowed"])),
    "in place": (_ce_inplace, "modified its input logits in place"),
    "a dict": (lambda z, t: {"loss": ce_ok(z, t)}, "is a dict"),
}

TABLES = {
    "bce_with_logits": (ch03.check_bce_with_logits, BCE_WRONG),
    "bce_with_logits_grad": (ch03.check_bce_with_logits_grad, GRAD_WRONG),
    "softmax_cross_entropy": (ch03.check_softmax_cross_entropy, CE_WRONG),
}
CASES = [(ex, name) for ex, (_, table) in TABLES.items() for name in table]


@pytest.mark.parametrize(("exercise", "name"), CASES, ids=[f"{e}: {n}" for e, n in CASES])
def test_wrong_answer_gets_its_message(exercise, name):
    check, table = TABLES[exercise]
    answer, expected = table[name]
    expected, absent = expected if isinstance(expected, tuple) else (expected, ())
    assert_feedback(check(answer, verbose=False), expected, absent)


def test_every_exercise_has_at_least_six_wrong_answers():
    assert all(len(table) >= 6 for _, table in TABLES.values())


# --------------------------------------------------------------------------- solutions, stubs
@pytest.mark.parametrize("solution", [bce_ok, lambda z, y: np.mean(np.logaddexp(0.0, z) - z * y),
                                      lambda z, y: F.binary_cross_entropy_with_logits(z, y),
                                      lambda z, y: np.mean(y * _softplus(-z)
                                                           + (1 - y) * _softplus(z))])
def test_bce_with_logits_accepts_solutions(solution, capsys):
    r = ch03.check_bce_with_logits(solution)
    assert r.passed and r.n_passed == r.n_checks == 4
    assert capsys.readouterr().out.strip().splitlines()[-1] == "All 4 checks passed."


def test_stubs_are_not_attempted():
    def stub(*args):
        raise NotImplementedError  # your code here

    for check in (ch03.check_bce_with_logits, ch03.check_bce_with_logits_grad,
                  ch03.check_softmax_cross_entropy):
        assert check(stub, verbose=False).status == "not_attempted"


def test_grad_and_ce_accept_solutions():
    assert ch03.check_bce_with_logits_grad(grad_ok, verbose=False).passed
    assert ch03.check_bce_with_logits_grad(lambda z, y: (F.sigmoid(z) - y) / z.size,
                                           verbose=False).passed
    assert ch03.check_softmax_cross_entropy(ce_ok, verbose=False).passed
    assert ch03.check_softmax_cross_entropy(F.softmax_cross_entropy, verbose=False).passed


def test_bce_grad_is_the_gradient_of_the_loss():
    from dnnlib.gradcheck import numerical_gradient

    z = np.array([[0.3], [-1.2], [2.5]])
    y = np.array([[1.0], [0.0], [1.0]])
    num = numerical_gradient(lambda t: bce_ok(t, y), z)
    np.testing.assert_allclose(grad_ok(z, y), num, rtol=1e-6, atol=1e-9)


def test_checkers_do_not_leak_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ch03.check_bce_with_logits(bce_naive, verbose=False)
        ch03.check_bce_with_logits_grad(GRAD_WRONG["naive sigmoid"][0], verbose=False)
        ch03.check_softmax_cross_entropy(CE_WRONG["unstable"][0], verbose=False)
        ch03.check_softmax_cross_entropy(ce_log_of_softmax, verbose=False)


def test_doctests():
    res = doctest.testmod(ch03, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
