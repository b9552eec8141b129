"""The chapter 4 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnnlib.exercises import ch04
from dnnlib.optim import CosineAnnealing, LinearWarmup


# --------------------------------------------------------------------------- adam_step
def adam_ok(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam(correct_m=True, correct_v=True, eps_inside=False, sign=-1.0, dt=0, g_abs=False,
          swap=False):
    def f(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = (beta1 * grad + (1 - beta1) * m) if swap else beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (np.abs(grad) if g_abs else grad**2)
        tt = t + dt
        m_hat = m / (1 - beta1**tt) if correct_m else m
        v_hat = v / (1 - beta2**tt) if correct_v else v
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
                           "you forgot the bias correction"),
    "no correction of v": (_adam(correct_v=False), "forgot the bias correction of v"),
    "no correction of m": (_adam(correct_m=False), "forgot the bias correction of m"),
    "eps inside sqrt": (_adam(eps_inside=True), "eps belongs outside"),
    "uphill": (_adam(sign=1.0), "uphill"),
    "t + 1": (_adam(dt=1), "beta**(t + 1)"),
    "t - 1": (_adam(dt=-1), "off by one"),
    "|g| in v": (_adam(g_abs=True), "not |g|"),
    "swapped betas": (_adam(swap=True), "swapped"),
    "theta only": (lambda *a, **k: adam_ok(*a, **k)[0], "as a tuple"),
    "in place": (_adam_inplace, "modified its input"),
}


@pytest.mark.parametrize("name", sorted(ADAM_WRONG))
def test_adam_step_rejects_wrong_answers(name):
    fn, hint = ADAM_WRONG[name]
    r = ch04.check_adam_step(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_adam_step_accepts_solution_and_reports_stub(capsys):
    r = ch04.check_adam_step(adam_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 3
    assert out.strip().splitlines()[-1] == "All 3 checks passed."

    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        raise NotImplementedError

    r = ch04.check_adam_step(adam_step)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


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


# --------------------------------------------------------------------------- max_stable_lr
def stable_ok(H):
    return float(2.0 / np.linalg.eigvalsh(H).max())


STABLE_WRONG = {
    "1/lambda_max": (lambda H: 1.0 / np.linalg.eigvalsh(H).max(), "twice as large"),
    "lambda_min": (lambda H: 2.0 / np.linalg.eigvalsh(H).min(), "smallest eigenvalue"),
    "diagonal": (lambda H: 2.0 / np.max(np.diag(H)), "diagonal entries"),
    "trace": (lambda H: 2.0 / np.trace(H), "trace"),
    "frobenius": (lambda H: 2.0 / np.linalg.norm(H), "Frobenius"),
    "squared": (lambda H: 2.0 / np.linalg.eigvalsh(H).max() ** 2, "squared"),
    "array": (lambda H: 2.0 / np.linalg.eigvalsh(H)[-1:], "return one number"),
}


@pytest.mark.parametrize("name", sorted(STABLE_WRONG))
def test_max_stable_lr_rejects_wrong_answers(name):
    fn, hint = STABLE_WRONG[name]
    r = ch04.check_max_stable_lr(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_max_stable_lr_accepts_solutions_and_reports_stub():
    assert ch04.check_max_stable_lr(stable_ok, verbose=False).passed
    # the 2-norm of a symmetric positive definite matrix is its largest eigenvalue
    assert ch04.check_max_stable_lr(lambda H: 2 / np.linalg.norm(H, ord=2), verbose=False).passed

    def max_stable_lr(H):
        raise NotImplementedError

    assert ch04.check_max_stable_lr(max_stable_lr, verbose=False).status == "not_attempted"


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
        "wrong rates"),
}


@pytest.mark.parametrize("name", sorted(WARM_WRONG))
def test_warmup_cosine_rejects_wrong_answers(name):
    fn, hint = WARM_WRONG[name]
    r = ch04.check_warmup_cosine(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_warmup_cosine_accepts_solution_and_reports_stub():
    assert ch04.check_warmup_cosine(warmup_ok, verbose=False).passed

    def warmup_cosine(t, lr_max, warmup_steps, total_steps, lr_min=0.0, start_factor=0.1):
        raise NotImplementedError

    assert ch04.check_warmup_cosine(warmup_cosine, verbose=False).status == "not_attempted"


def test_reference_schedule_is_continuous_and_hits_its_end_points():
    s = ch04.dnnlib_warmup_cosine(0.5, 10, 110, lr_min=0.05, start_factor=0.01)
    assert s(0) == pytest.approx(0.005)
    assert s(10) == pytest.approx(0.5)
    assert s(110) == pytest.approx(0.05) and s(10_000) == pytest.approx(0.05)
    rates = np.array([s(t) for t in range(120)])
    assert np.all(np.abs(np.diff(rates)) <= 0.05)
