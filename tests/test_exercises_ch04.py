"""The chapter 4 checkers against tables of wrong answers.

For every exercise (the three of the chapter and the two new ones: one momentum step,
and the stable-rate bound of the heavy ball): at least six plausible wrong answers, each
with the message it must get; the reference solutions pass; stubs are "not attempted".
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from dnnlib.exercises import ch04
from dnnlib.optim import CosineAnnealing, LinearWarmup


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


# --------------------------------------------------------------------------- adam_step
def adam_ok(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam(correct_m=True, correct_v=True, eps_inside=False, sign=-1.0, dt=0, g_abs=False,
          swap=False, eps_squared=False):
    def f(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = (beta1 * grad + (1 - beta1) * m) if swap else beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (np.abs(grad) if g_abs else grad**2)
        tt = t + dt
        m_hat = m / (1 - beta1**tt) if correct_m else m
        v_hat = v / (1 - beta2**tt) if correct_v else v
        if eps_squared:
            den = np.sqrt(v_hat + eps**2)
        else:
            den = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return theta + sign * lr * m_hat / den, m, v
    return f


def _adam_inplace(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


ADAM_WRONG = {
    "no bias correction": (_adam(correct_m=False, correct_v=False),
                           "theta_new is wrong. Likely mistake: you forgot the bias correction"),
    "no correction of v": (_adam(correct_v=False), "forgot the bias correction of v"),
    "no correction of m": (_adam(correct_m=False), "forgot the bias correction of m"),
    "eps inside sqrt": (_adam(eps_inside=True), "eps belongs outside"),
    "uphill": (_adam(sign=1.0), "uphill"),
    "t + 1": (_adam(dt=1), "beta**(t + 1)"),
    "t - 1": (_adam(dt=-1), "off by one"),
    "|g| in v": (_adam(g_abs=True), ["v_new is wrong", "not |g|"]),
    "swapped betas": (_adam(swap=True), ["m_new is wrong", "swapped"]),
    # the issue: near misses printed identical-looking numbers (4 decimals, tolerance 1e-9)
    "near miss: sqrt(v_hat + eps^2)": (_adam(eps_squared=True), [
        "theta_new is wrong: at [1] expected -1.9000001, got -1.9000000",
        "tolerance rtol=1e-09"]),
    "m and v swapped": (lambda *a, **k: (lambda r: (r[0], r[2], r[1]))(adam_ok(*a, **k)),
                        "m_new and v_new are swapped"),
    "theta only": (lambda *a, **k: adam_ok(*a, **k)[0],
                   "return the tuple (theta_new, m_new, v_new)"),
    "a dict": (lambda *a, **k: dict(zip("tmv", adam_ok(*a, **k), strict=True)),
               "returned a dict of 3 items; return the tuple"),
    "in place": (_adam_inplace, "modified its input m in place"),
}


def test_adam_near_miss_shows_digits_that_differ():
    r = ch04.check_adam_step(_adam(eps_squared=True), verbose=False)
    line = next(m for m in r.messages if "theta_new is wrong" in m)
    got = line.split("expected ")[1].split(" (difference")[0]
    want_text, got_text = got.split(", got ")
    assert want_text != got_text and len(want_text) >= 8, line


# --------------------------------------------------------------------------- max_stable_lr
def stable_ok(A):
    return float(2.0 / np.linalg.eigvalsh(A).max())


STABLE_WRONG = {
    "1/lambda_max": (lambda A: 1.0 / np.linalg.eigvalsh(A).max(), "twice as large"),
    "lambda_min": (lambda A: 2.0 / np.linalg.eigvalsh(A).min(), "smallest eigenvalue"),
    "diagonal": (lambda A: 2.0 / np.max(np.diag(A)), "diagonal entries"),
    # the issue: the chapter's own optimal rate was reported as "you used the trace"
    "optimal rate 2/(min + max)": (
        lambda A: 2.0 / (np.linalg.eigvalsh(A)[0] + np.linalg.eigvalsh(A)[-1]),
        (["the rate that converges fastest"], ["the trace is the sum"])),
    "trace": (lambda A: 2.0 / np.trace(A), ["also 2/trace(A)", "the trace is the sum"]),
    "frobenius": (lambda A: 2.0 / np.linalg.norm(A), "Frobenius"),
    "squared": (lambda A: 2.0 / np.linalg.eigvalsh(A).max() ** 2, "squared"),
    "array": (lambda A: 2.0 / np.linalg.eigvalsh(A)[-1:], "return one number"),
    "all the bounds": (lambda A: 2.0 / np.linalg.eigvalsh(A), "one per eigenvalue"),
    # the issue: a str, a complex or a dict crashed the checker
    "a str": (lambda A: f"{stable_ok(A):.4f}", "is the str"),
    "complex": (lambda A: 2.0 / np.emath.sqrt(np.linalg.eigvalsh(A).max() ** 2) + 0j,
                "is the complex number"),
    "a dict": (lambda A: {"lr": stable_ok(A)}, "is a dict"),
}


# --------------------------------------------------------------------------- warmup_cosine
def warmup_ok(t, lr_max, warmup_steps, total_steps, lr_min=0.0, start_factor=0.1):
    W, T = warmup_steps, total_steps
    if t < W:
        return lr_max * (start_factor + (1 - start_factor) * t / W)
    if t >= T:
        return lr_min
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * (t - W) / (T - W))) / 2


def _warm(warm0=False, shift=True, use_min=True, clamp=True, plus1=False):
    def f(t, lr_max, warmup_steps, total_steps, lr_min=0.0, start_factor=0.1):
        W, T = warmup_steps, total_steps
        if t < W:
            frac = (t + 1) / W if plus1 else t / W
            return lr_max * frac if warm0 else lr_max * (start_factor + (1 - start_factor) * frac)
        if clamp and t >= T:
            return lr_min
        s, span = (t - W, T - W) if shift else (t, T)
        c = (1 + math.cos(math.pi * s / span)) / 2
        return lr_min + (lr_max - lr_min) * c if use_min else lr_max * c
    return f


WARM_WRONG = {
    "warm-up from 0": (_warm(warm0=True), "starts at start_factor"),
    "unshifted cosine": (_warm(shift=False), "(t - W) / (T - W)"),
    "no lr_min": (_warm(use_min=False), "forgot lr_min"),
    "no clamp": (_warm(clamp=False), "must stay at lr_min"),
    "t + 1 in warm-up": (_warm(plus1=True), "off by one in the warm-up"),
    "a list": (lambda t, *a, **k: [warmup_ok(t, *a, **k)], "return one number"),
    "PyTorch-only cosine over T": (
        lambda t, a, W, T, lo=0.0, f=0.1: LinearWarmup(CosineAnnealing(a, T, lo), W, f)(t),
        "the rate of step t = 1 is wrong: expected 0.2800, got 0.2789"),
    "near miss: float32": (lambda *a, **k: float(np.float32(warmup_ok(*a, **k))),
                           "expected 0.100000000, got 0.100000001"),
    # the issue: a str, a dict or a complex crashed the checker
    "a str": (lambda *a, **k: str(warmup_ok(*a, **k)), "is the str"),
    "a dict": (lambda *a, **k: {"lr": warmup_ok(*a, **k)}, "is a dict"),
    "complex": (lambda *a, **k: complex(warmup_ok(*a, **k)), "is the complex number"),
    "None after T": (lambda t, *a, **k: None if t > a[2] else warmup_ok(t, *a, **k),
                     "forget the `return`"),
}


# --------------------------------------------------------------------------- momentum_step
def momentum_ok(theta, grad, m, lr, beta):
    m = beta * m + grad
    return theta - lr * m, m


def _momentum_inplace(theta, grad, m, lr, beta):
    m *= beta
    m += grad
    return theta - lr * m, m


MOMENTUM_WRONG = {
    "lr inside the buffer": (lambda th, g, m, lr, b: (th - (b * m + lr * g), b * m + lr * g),
                             ["m_new is wrong", "the other common convention"]),
    "step = beta step - lr g, theta + step": (
        lambda th, g, m, lr, b: (th + (b * m - lr * g), b * m - lr * g), "holds -lr g"),
    "damped average": (lambda th, g, m, lr, b: (th - lr * (b * m + (1 - b) * g),
                                                b * m + (1 - b) * g), "damped average"),
    "beta on the gradient": (lambda th, g, m, lr, b: (th - lr * (m + b * g), m + b * g),
                             "beta multiplies the old buffer"),
    "old buffer in the step": (lambda th, g, m, lr, b: (th - lr * m, b * m + g),
                               ["theta_new is wrong", "used the old buffer"]),
    "nesterov": (lambda th, g, m, lr, b: (th - lr * (g + b * (b * m + g)), b * m + g),
                 "Nesterov"),
    "uphill": (lambda th, g, m, lr, b: (th + lr * (b * m + g), b * m + g), "uphill"),
    "no learning rate": (lambda th, g, m, lr, b: (th - (b * m + g), b * m + g),
                         "learning rate is missing"),
    "theta only": (lambda th, g, m, lr, b: th - lr * (b * m + g),
                   "return the tuple (theta_new, m_new)"),
    "in place": (_momentum_inplace, "modified its input m in place"),
}


# --------------------------------------------------------------------------- heavy ball bound
def heavy_ball_ok(A, beta):
    return float(2 * (1 + beta) / np.linalg.eigvalsh(A)[-1])


def _lam(A):
    return np.linalg.eigvalsh(A)


HEAVY_WRONG = {
    "momentum ignored": (lambda A, beta: 2 / _lam(A)[-1], "bound of plain gradient descent"),
    "1 - beta": (lambda A, beta: 2 * (1 - beta) / _lam(A)[-1], "not (1 - beta)"),
    "divided by 1 + beta": (lambda A, beta: 2 / ((1 + beta) * _lam(A)[-1]),
                            "does not divide it"),
    "factor 2 missing": (lambda A, beta: (1 + beta) / _lam(A)[-1], "a factor 2 is missing"),
    "steady-slope gain": (lambda A, beta: 2 / ((1 - beta) * _lam(A)[-1]), "steady slope"),
    "lambda_min": (lambda A, beta: 2 * (1 + beta) / _lam(A)[0], "smallest eigenvalue"),
    "diagonal": (lambda A, beta: 2 * (1 + beta) / np.max(np.diag(A)), "diagonal entries"),
    "complex roots edge": (lambda A, beta: (1 + np.sqrt(beta)) ** 2 / _lam(A)[-1],
                           "turn real again"),
    "fastest rate": (lambda A, beta: 4 / (np.sqrt(_lam(A)[-1]) + np.sqrt(_lam(A)[0])) ** 2,
                     "fastest rate lr*"),
    "slightly too large (numerical check)": (lambda A, beta: 1.05 * heavy_ball_ok(A, beta),
                                             "your bound is too large"),
    "a str": (lambda A, beta: str(heavy_ball_ok(A, beta)), "is the str"),
}

TABLES = {
    "adam_step": (ch04.check_adam_step, ADAM_WRONG),
    "max_stable_lr": (ch04.check_max_stable_lr, STABLE_WRONG),
    "warmup_cosine": (ch04.check_warmup_cosine, WARM_WRONG),
    "momentum_step": (ch04.check_momentum_step, MOMENTUM_WRONG),
    "heavy_ball_max_lr": (ch04.check_heavy_ball_max_lr, HEAVY_WRONG),
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
@pytest.mark.parametrize(("check", "solution"), [
    (ch04.check_adam_step, adam_ok), (ch04.check_adam_step, ch04.dnnlib_adam_step),
    (ch04.check_max_stable_lr, stable_ok),
    # the 2-norm of a symmetric positive definite matrix is its largest eigenvalue
    (ch04.check_max_stable_lr, lambda A: 2 / np.linalg.norm(A, ord=2)),
    (ch04.check_warmup_cosine, warmup_ok),
    (ch04.check_momentum_step, momentum_ok), (ch04.check_momentum_step,
                                              ch04.dnnlib_momentum_step),
    (ch04.check_heavy_ball_max_lr, heavy_ball_ok),
])
def test_reference_solutions_pass(check, solution):
    r = check(solution, verbose=False)
    assert r.passed and not r.internal_errors, r.text


@pytest.mark.parametrize("check", [ch04.check_adam_step, ch04.check_max_stable_lr,
                                   ch04.check_warmup_cosine, ch04.check_momentum_step,
                                   ch04.check_heavy_ball_max_lr])
def test_stubs_are_not_attempted(check):
    def stub(*args, **kwargs):
        raise NotImplementedError  # your code here

    assert check(stub, verbose=False).status == "not_attempted"


def test_reference_adam_step_is_dnnlibs_adam_over_several_steps():
    g = np.random.default_rng(0)
    theta, m, v = g.normal(size=3), np.zeros(3), np.zeros(3)
    th_ref, m_ref, v_ref = theta.copy(), m.copy(), v.copy()
    for t in range(1, 6):
        grad = g.normal(size=3)
        theta, m, v = ch04.dnnlib_adam_step(theta, grad, m, v, t, lr=0.01)
        th_ref, m_ref, v_ref = adam_ok(th_ref, grad, m_ref, v_ref, t, lr=0.01)
    np.testing.assert_allclose(theta, th_ref, rtol=1e-12)
    np.testing.assert_allclose(v, v_ref, rtol=1e-12)


def test_reference_momentum_step_is_dnnlibs_sgd_over_several_steps():
    from dnnlib.layers import Parameter
    from dnnlib.optim import SGD

    g = np.random.default_rng(1)
    theta, m = g.normal(size=3), np.zeros(3)
    p = Parameter(theta.copy(), "theta")
    opt = SGD([p], lr=0.05, momentum=0.9)
    for _ in range(6):
        grad = g.normal(size=3)
        theta, m = ch04.dnnlib_momentum_step(theta, grad, m, 0.05, 0.9)
        opt.zero_grad()
        p.grad[...] = grad
        opt.step()
    np.testing.assert_allclose(theta, p.data, rtol=1e-12)


def test_heavy_ball_bound_is_the_edge_of_stability():
    """The bound 2 (1 + beta) / lambda_max: the spectral radius of the heavy-ball step
    crosses 1 there, for several momenta (the derivation the exercise asks for)."""
    A = np.diag([0.5, 3.0, 8.0])
    for beta in (0.0, 0.3, 0.9):
        bound = heavy_ball_ok(A, beta)
        assert ch04.heavy_ball_spectral_radius(A, 0.999 * bound, beta) < 1
        assert ch04.heavy_ball_spectral_radius(A, 1.001 * bound, beta) > 1


def test_reference_schedule_is_continuous_and_hits_its_end_points():
    s = ch04.dnnlib_warmup_cosine(0.5, 10, 110, lr_min=0.05, start_factor=0.01)
    assert s(0) == pytest.approx(0.005)
    assert s(10) == pytest.approx(0.5)
    assert s(110) == pytest.approx(0.05) and s(10_000) == pytest.approx(0.05)
    rates = np.array([s(t) for t in range(120)])
    assert np.all(np.abs(np.diff(rates)) <= 0.05)


def test_doctests():
    res = doctest.testmod(ch04, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
