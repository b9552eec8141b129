"""The chapter 2 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers, each with the message it must
get; the reference solutions pass; untouched stubs are "not attempted yet".
"""

from __future__ import annotations

import doctest
import math
from math import tanh as math_tanh

import numpy as np
import pytest
from numpy import tanh as th

from dnnlib import functional as F
from dnnlib.exercises import ch02


def assert_feedback(result, expected):
    """A failed result, no checker error, and every expected substring in its messages."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"


# --------------------------------------------------------------------------- stable_sigmoid
def sigmoid_ok(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_stub(z):
    raise NotImplementedError  # your code here


def _both_branches(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


def _sigmoid_inplace(z):
    out = sigmoid_ok(z)
    z *= 0.0
    return out


SIGMOID_WRONG = {
    # 1 / (1 + e^{-z}): e^{1000} overflows at z = -1000 (the value is right by luck)
    "naive": (lambda z: 1.0 / (1.0 + np.exp(-z)), "overflow at z = -1000"),
    # e^z / (1 + e^z): inf / inf = NaN at z = +1000
    "naive exp(z) form": (lambda z: np.exp(z) / (1.0 + np.exp(z)), "NaN or infinity at z = +1000"),
    "both branches of np.where": (_both_branches, "computes A and B for EVERY entry"),
    "clipped naive": (lambda z: 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500))),
                      "overflow in float32"),
    "sign": (lambda z: sigmoid_ok(-z), "sigma(-z)"),
    "wrong negative branch": (lambda z: np.where(z >= 0, sigmoid_ok(z), 1.0 - sigmoid_ok(z)),
                              "the branch for z < 0 is wrong"),
    "returns e^-|z|": (lambda z: np.exp(-np.abs(z)), "the helper quantity"),
    "float64 result": (lambda z: sigmoid_ok(np.asarray(z, dtype=np.float64)),
                       "dtype changed from float32"),
    "in place": (_sigmoid_inplace, "modified its input z in place"),
    "python loop with math.exp": (lambda z: np.array([1 / (1 + math.exp(-v)) for v in z]),
                                  "OverflowError"),
    "returns a list": (lambda z: sigmoid_ok(z).tolist(), "return a NumPy array"),
}


# --------------------------------------------------------------------------- leaky_relu
def leaky_ok(z, eps=0.01):
    return np.where(z > 0, z, eps * z)


def leaky_grad_ok(z, eps=0.01):
    return np.where(z > 0, 1.0, eps)


def leaky_stub(z, eps=0.01):
    raise NotImplementedError  # your code here


def leaky_grad_stub(z, eps=0.01):
    raise NotImplementedError  # your code here


def _leaky_inplace(z, eps):
    z[z < 0] *= eps
    return z


LEAKY_WRONG = {
    "plain relu": ((lambda z, eps: np.maximum(z, 0.0), leaky_grad_ok), "plain ReLU"),
    "eps everywhere": ((lambda z, eps: eps * z, leaky_grad_ok), "multiplied every entry"),
    "min": ((lambda z, eps: np.minimum(eps * z, z), leaky_grad_ok), "took the minimum"),
    "hard-coded eps": ((lambda z, eps: leaky_ok(z, 0.01), leaky_grad_ok), "eps = 0.01"),
    "identity": ((lambda z, eps: z * 1.0, leaky_grad_ok), "returned z unchanged"),
    "in place": ((_leaky_inplace, leaky_grad_ok),
                 "leaky_relu modified its input z in place"),
    "returns a str": ((lambda z, eps: str(leaky_ok(z, eps)), leaky_grad_ok),
                      "the output of leaky_relu is the str"),
    "returns complex": ((lambda z, eps: leaky_ok(z, eps) + 0j, leaky_grad_ok),
                        "the output of leaky_relu holds complex numbers"),
    "returns a dict": ((lambda z, eps: {"y": leaky_ok(z, eps)}, leaky_grad_ok),
                       "the output of leaky_relu is a dict"),
    "relu derivative": ((leaky_ok, lambda z, eps: np.where(z > 0, 1.0, 0.0)),
                        "ReLU's derivative"),
    "grad returns function": ((leaky_ok, leaky_ok), "returned the function, not its derivative"),
    "grad eps * z": ((leaky_ok, lambda z, eps: np.where(z > 0, 1.0, eps * z)), "constant eps"),
    "grad swapped": ((leaky_ok, lambda z, eps: np.where(z > 0, eps, 1.0)), "swapped"),
    "grad bool": ((leaky_ok, lambda z, eps: z > 0), "leaky_relu_grad holds booleans"),
    # the issue: the derivative's list was labelled "leaky_relu returned a list"
    "grad returns a list": ((leaky_ok, lambda z, eps: leaky_grad_ok(z, eps).tolist()),
                            "the output of leaky_relu_grad is a list"),
    # the issue: slope 1 on the left got a generic "wrong values"
    "grad slope 1 on the left": ((leaky_ok, lambda z, eps: np.ones_like(z)),
                                 "slope 1 everywhere"),
    "grad -eps": ((leaky_ok, lambda z, eps: np.where(z > 0, 1.0, -eps)), "not -eps"),
    "grad is None": ((leaky_ok, None), "leaky_relu_grad: expected a function, got None"),
    "function is None": ((None, leaky_grad_ok), "leaky_relu: expected a function, got None"),
}


# --------------------------------------------------------------------------- tanh_via_sigmoid
def tanh_ok(z):
    return 2.0 * sigmoid_ok(2.0 * z) - 1.0


def tanh_stub(z):
    raise NotImplementedError  # your code here


def _naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _helper(v):
    return np.tanh(v)


def _tanh_inplace(z):
    z *= 2.0
    return 2.0 * sigmoid_ok(z) - 1.0


TANH_WRONG = {
    "sigma(z)": (lambda z: 2.0 * sigmoid_ok(z) - 1.0, "you used sigma(z)"),
    "no minus one": (lambda z: 2.0 * sigmoid_ok(2.0 * z), "forgot the '- 1'"),
    "no factor two": (lambda z: sigmoid_ok(2.0 * z) - 1.0, "factor 2 in front is missing"),
    "flipped sign": (lambda z: 1.0 - 2.0 * sigmoid_ok(2.0 * z), "sign is flipped"),
    "sigma(z / 2)": (lambda z: 2.0 * sigmoid_ok(z / 2.0) - 1.0, "not of z / 2"),
    "uses np.tanh": (lambda z: np.tanh(z), "it calls a tanh"),
    # the issue: np.tanh through an alias or a helper passed
    "np.tanh through an alias": (lambda z: th(z), "it calls a tanh"),
    "np.tanh through a helper": (lambda z: _helper(z), "it calls a tanh"),
    "math.tanh in a loop": (lambda z: np.array([math_tanh(v) for v in np.ravel(z)]).reshape(
        np.shape(z)), "it calls a tanh"),
    "dnnlib's tanh": (lambda z: F.tanh(z), "it calls a tanh"),
    "naive sigmoid": (lambda z: 2.0 * _naive_sigmoid(2.0 * z) - 1.0, "overflow in exp"),
    "in place": (_tanh_inplace, "modified its input z in place"),
    "returns a list": (lambda z: tanh_ok(z).tolist(), "return a NumPy array"),
}

TABLES = {
    "stable_sigmoid": (ch02.check_stable_sigmoid, SIGMOID_WRONG),
    "leaky_relu": (ch02.check_leaky_relu, LEAKY_WRONG),
    "tanh_via_sigmoid": (ch02.check_tanh_via_sigmoid, TANH_WRONG),
}
CASES = [(ex, name) for ex, (_, table) in TABLES.items() for name in table]


@pytest.mark.parametrize(("exercise", "name"), CASES, ids=[f"{e}: {n}" for e, n in CASES])
def test_wrong_answer_gets_its_message(exercise, name):
    check, table = TABLES[exercise]
    answer, expected = table[name]
    args = answer if isinstance(answer, tuple) else (answer,)
    assert_feedback(check(*args, verbose=False), expected)


def test_every_exercise_has_at_least_six_wrong_answers():
    assert all(len(table) >= 6 for _, table in TABLES.values())


# --------------------------------------------------------------------------- solutions, stubs
def test_stable_sigmoid_accepts_solutions_and_reports_stub(capsys):
    r = ch02.check_stable_sigmoid(sigmoid_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."
    assert ch02.check_stable_sigmoid(F.sigmoid, verbose=False).passed  # the library's
    # another stable form: sigma(z) = (1 + tanh(z / 2)) / 2
    assert ch02.check_stable_sigmoid(lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
                                     verbose=False).passed
    r = ch02.check_stable_sigmoid(sigmoid_stub)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out


def test_stable_sigmoid_feedback_names_overflow_and_nan_separately():
    naive = ch02.check_stable_sigmoid(SIGMOID_WRONG["naive"][0], verbose=False)
    # z = +1000 passes (e^{-1000} underflows to 0 harmlessly); z = -1000 and the float32
    # case with z = -100 overflow
    assert naive.n_passed == 2
    assert any("z = -1000" in m and "overflow" in m for m in naive.messages)
    other = ch02.check_stable_sigmoid(SIGMOID_WRONG["naive exp(z) form"][0], verbose=False)
    assert any("+1000" in m and "NaN" in m for m in other.messages)


def test_leaky_relu_accepts_solutions_and_reports_stubs():
    assert ch02.check_leaky_relu(leaky_ok, leaky_grad_ok, verbose=False).passed
    # the slope 1 at z = 0 is accepted too, and so is dnnlib's implementation
    assert ch02.check_leaky_relu(leaky_ok, lambda z, eps: np.where(z >= 0, 1.0, eps),
                                 verbose=False).passed
    assert ch02.check_leaky_relu(lambda z, eps: F.leaky_relu(z, slope=eps),
                                 lambda z, eps: F.leaky_relu_grad(z, slope=eps),
                                 verbose=False).passed
    r = ch02.check_leaky_relu(leaky_stub, leaky_grad_stub, verbose=False)
    assert r.status == "not_attempted"
    # function done, derivative still the stub: still "not attempted", naming it
    r = ch02.check_leaky_relu(leaky_ok, leaky_grad_stub, verbose=False)
    assert r.status == "not_attempted" and "leaky_relu_grad" in r.text


def test_leaky_relu_grad_raising_for_one_case_is_a_failure_not_a_stub():
    def leaky_relu_grad(z, eps=0.01):
        if z.ndim > 1:
            raise NotImplementedError("only 1-D")
        return np.where(z > 0, 1.0, eps)

    r = ch02.check_leaky_relu(leaky_ok, leaky_relu_grad, verbose=False)
    assert_feedback(r, ["leaky_relu_grad raised NotImplementedError: only 1-D",
                        "raises NotImplementedError for this case"])
    assert r.n_passed == 3


def test_tanh_via_sigmoid_accepts_solutions_and_reports_stub():
    assert ch02.check_tanh_via_sigmoid(tanh_ok, verbose=False).passed
    assert ch02.check_tanh_via_sigmoid(lambda z: 2 * F.sigmoid(2 * z) - 1,
                                       verbose=False).passed
    # sigma(2z) - sigma(-2z) is another form of the identity, with the same cancellation
    assert ch02.check_tanh_via_sigmoid(lambda z: sigmoid_ok(2 * z) - sigmoid_ok(-2 * z),
                                       verbose=False).passed
    assert ch02.check_tanh_via_sigmoid(tanh_stub, verbose=False).status == "not_attempted"


def test_doctests():
    res = doctest.testmod(ch02, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
