"""The chapter 2 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnnlib import functional as F
from dnnlib.exercises import ch02


# --------------------------------------------------------------------------- stable_sigmoid
def sigmoid_ok(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_stub(z):
    raise NotImplementedError


def _both_branches(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


SIGMOID_WRONG = {
    # 1 / (1 + e^{-z}): e^{1000} overflows at z = -1000 (the value is right by luck)
    "naive": (lambda z: 1.0 / (1.0 + np.exp(-z)), "overflow at z = -1000"),
    # e^z / (1 + e^z): inf / inf = NaN at z = +1000
    "naive exp(z) form": (lambda z: np.exp(z) / (1.0 + np.exp(z)), "NaN or infinity at z = +1000"),
    "both branches of np.where": (_both_branches, "computes A and B for EVERY entry"),
    "sign": (lambda z: sigmoid_ok(-z), "sigma(-z)"),
    "wrong negative branch": (lambda z: np.where(z >= 0, sigmoid_ok(z), 1.0 - sigmoid_ok(z)),
                              "the branch for z < 0 is wrong"),
    "float64 result": (lambda z: sigmoid_ok(np.asarray(z, dtype=np.float64)),
                       "dtype changed from float32"),
    "in place": (lambda z: _sigmoid_inplace(z), "modified its input z"),
    "python loop with math.exp": (lambda z: np.array([1 / (1 + math.exp(-v)) for v in z]),
                                  "OverflowError"),
}


def _sigmoid_inplace(z):
    out = sigmoid_ok(z)
    z *= 0.0
    return out


@pytest.mark.parametrize("name", sorted(SIGMOID_WRONG))
def test_stable_sigmoid_rejects_wrong_answers(name):
    fn, hint = SIGMOID_WRONG[name]
    r = ch02.check_stable_sigmoid(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_stable_sigmoid_accepts_solutions_and_reports_stub(capsys):
    r = ch02.check_stable_sigmoid(sigmoid_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."
    assert ch02.check_stable_sigmoid(F.sigmoid, verbose=False).passed  # the library's
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


# --------------------------------------------------------------------------- leaky_relu
def leaky_ok(z, eps=0.01):
    return np.where(z > 0, z, eps * z)


def leaky_grad_ok(z, eps=0.01):
    return np.where(z > 0, 1.0, eps)


def leaky_stub(z, eps=0.01):
    raise NotImplementedError


LEAKY_WRONG = {
    "plain relu": ((lambda z, eps: np.maximum(z, 0.0)), leaky_grad_ok, "plain ReLU"),
    "eps everywhere": ((lambda z, eps: eps * z), leaky_grad_ok, "multiplied every entry"),
    "min": ((lambda z, eps: np.minimum(eps * z, z)), leaky_grad_ok, "took the minimum"),
    "hard-coded eps": ((lambda z, eps: leaky_ok(z, 0.01)), leaky_grad_ok, "eps = 0.01"),
    "relu derivative": (leaky_ok, (lambda z, eps: np.where(z > 0, 1.0, 0.0)),
                        "ReLU's derivative"),
    "grad returns function": (leaky_ok, leaky_ok, "returned the function, not its derivative"),
    "grad eps * z": (leaky_ok, (lambda z, eps: np.where(z > 0, 1.0, eps * z)),
                     "constant eps"),
    "grad swapped": (leaky_ok, (lambda z, eps: np.where(z > 0, eps, 1.0)), "swapped"),
    "grad bool": (leaky_ok, (lambda z, eps: z > 0), "booleans"),
    "in place": ((lambda z, eps: _leaky_inplace(z, eps)), leaky_grad_ok, "modified its input"),
}


def _leaky_inplace(z, eps):
    z[z < 0] *= eps
    return z


@pytest.mark.parametrize("name", sorted(LEAKY_WRONG))
def test_leaky_relu_rejects_wrong_answers(name):
    f, g, hint = LEAKY_WRONG[name]
    r = ch02.check_leaky_relu(f, g, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_leaky_relu_accepts_solutions_and_reports_stub():
    assert ch02.check_leaky_relu(leaky_ok, leaky_grad_ok, verbose=False).passed
    # the slope 1 at z = 0 is accepted too, and so is dnnlib's implementation
    assert ch02.check_leaky_relu(leaky_ok, lambda z, eps: np.where(z >= 0, 1.0, eps),
                                 verbose=False).passed
    assert ch02.check_leaky_relu(lambda z, eps: F.leaky_relu(z, slope=eps),
                                 lambda z, eps: F.leaky_relu_grad(z, slope=eps),
                                 verbose=False).passed
    r = ch02.check_leaky_relu(leaky_stub, leaky_stub, verbose=False)
    assert r.status == "not_attempted"
    # function done, derivative still the stub: still "not attempted", naming both
    r = ch02.check_leaky_relu(leaky_ok, leaky_stub, verbose=False)
    assert r.status == "not_attempted" and "leaky_relu_grad" in r.text


def test_leaky_relu_not_callable():
    r = ch02.check_leaky_relu(leaky_ok, 3.0, verbose=False)
    assert r.status == "failed" and "expected a function" in r.text


# --------------------------------------------------------------------------- tanh_via_sigmoid
def tanh_ok(z):
    return 2.0 * sigmoid_ok(2.0 * z) - 1.0


def tanh_stub(z):
    raise NotImplementedError


def _naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


TANH_WRONG = {
    "sigma(z)": (lambda z: 2.0 * sigmoid_ok(z) - 1.0, "you used sigma(z)"),
    "no minus one": (lambda z: 2.0 * sigmoid_ok(2.0 * z), "forgot the '- 1'"),
    "no factor two": (lambda z: sigmoid_ok(2.0 * z) - 1.0, "factor 2 in front is missing"),
    "flipped sign": (lambda z: 1.0 - 2.0 * sigmoid_ok(2.0 * z), "sign is flipped"),
    "uses np.tanh": (lambda z: np.tanh(z), "calls tanh"),
    "naive sigmoid": (lambda z: 2.0 * _naive_sigmoid(2.0 * z) - 1.0, "overflow in exp"),
}


@pytest.mark.parametrize("name", sorted(TANH_WRONG))
def test_tanh_via_sigmoid_rejects_wrong_answers(name):
    fn, hint = TANH_WRONG[name]
    r = ch02.check_tanh_via_sigmoid(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_tanh_via_sigmoid_accepts_solutions_and_reports_stub():
    assert ch02.check_tanh_via_sigmoid(tanh_ok, verbose=False).passed
    assert ch02.check_tanh_via_sigmoid(lambda z: 2 * F.sigmoid(2 * z) - 1,
                                       verbose=False).passed
    assert ch02.check_tanh_via_sigmoid(tanh_stub, verbose=False).status == "not_attempted"
