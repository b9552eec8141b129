"""Checkers for the exercises of chapter 4 (the learning rate).

* :func:`check_adam_step` - one Adam update, compared with :class:`dnnlib.optim.Adam`;
* :func:`check_max_stable_lr` - the largest stable learning rate of gradient descent on
  a quadratic :math:`\\tfrac12 \\theta^\\top A \\theta`, :math:`2/\\lambda_{\\max}(A)`;
* :func:`check_warmup_cosine` - linear warm-up followed by cosine annealing, compared
  with dnnlib's schedules (:class:`~dnnlib.optim.LinearWarmup` around a shifted
  :class:`~dnnlib.optim.CosineAnnealing`);
* :func:`check_momentum_step` - one step of momentum (the heavy ball), compared with
  :class:`dnnlib.optim.SGD`;
* :func:`check_heavy_ball_max_lr` - the stable-rate bound of the heavy ball on a
  quadratic, :math:`2(1 + \\beta)/\\lambda_{\\max}(A)`, derived by the reader and
  verified numerically.

The notation is chapter 4's: the momentum buffer :math:`m_t`, the momentum coefficient
:math:`\\beta`, the matrix :math:`A` of the quadratic (its Hessian).

Each prints one line per case and names the likely mistake ("you forgot the bias
correction", "the diagonal entries are not the eigenvalues"...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..layers import Parameter
from ..optim import SGD, Adam, CosineAnnealing, LinearWarmup
from ._checker import Checker, CheckResult, digits_pair

__all__ = [
    "check_adam_step",
    "check_max_stable_lr",
    "check_warmup_cosine",
    "check_momentum_step",
    "check_heavy_ball_max_lr",
    "dnnlib_adam_step",
    "dnnlib_warmup_cosine",
    "dnnlib_momentum_step",
    "heavy_ball_spectral_radius",
]


# --------------------------------------------------------------------------- exercise 1
def dnnlib_adam_step(theta: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray,
                     t: int, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                     eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ``t`` of :class:`dnnlib.optim.Adam` from the state ``(m, v)`` after step ``t-1``.

    The reference of :func:`check_adam_step`: a :class:`~dnnlib.layers.Parameter` holding
    a copy of ``theta``, an ``Adam`` whose moment buffers are set to ``m`` and ``v`` and
    whose step count is ``t - 1``, one ``opt.step()``.

    Returns
    -------
    theta_new, m_new, v_new : numpy.ndarray, each shaped like ``theta``

    Examples
    --------
    >>> th, m, v = dnnlib_adam_step(np.array([1.0]), np.array([2.0]), np.zeros(1),
    ...                             np.zeros(1), t=1, lr=0.1)
    >>> np.round(th, 6), m, np.round(v, 6)
    (array([0.9]), array([0.2]), array([0.004]))
    """
    p = Parameter(np.array(theta, dtype=np.float64), "theta")
    opt = Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[0]["exp_avg"][...] = m
    opt.state[0]["exp_avg_sq"][...] = v
    opt.step_count = t - 1
    p.grad[...] = grad
    opt.step()
    return p.data.copy(), opt.state[0]["exp_avg"].copy(), opt.state[0]["exp_avg_sq"].copy()


def _adam_variant(theta, grad, m, v, t, lr, b1, b2, eps, *, correct_m=True, correct_v=True,
                  eps_inside=False, sign=-1.0, g2=True, t_used=None, swap_m=False):
    """Adam with one deliberate mistake (for the checker's hints)."""
    tt = t if t_used is None else t_used
    m_new = (b1 * grad + (1 - b1) * m) if swap_m else (b1 * m + (1 - b1) * grad)
    v_new = b2 * v + (1 - b2) * (grad * grad if g2 else np.abs(grad))
    m_hat = m_new / (1 - b1**tt) if correct_m else m_new
    v_hat = v_new / (1 - b2**tt) if correct_v else v_new
    denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return theta + sign * lr * m_hat / denom, m_new, v_new


def check_adam_step(adam_step: Callable[..., Any], *, verbose: bool = True) -> CheckResult:
    """Check ``adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``.

    ``m`` and ``v`` are the moment estimates after step ``t - 1`` (zeros for ``t = 1``);
    the function returns the parameters and moments after step ``t``, as
    :class:`dnnlib.optim.Adam` computes them. Known mistakes are named: a missing bias
    correction (of both moments, of ``m`` only, of ``v`` only), ``eps`` inside the
    square root, an off-by-one ``t``, ``g`` instead of ``g**2``, swapped betas, a step
    uphill.

    Examples
    --------
    >>> check_adam_step(dnnlib_adam_step, verbose=False).passed
    True
    """
    chk = Checker("adam_step")
    fn = adam_step

    def run_case(theta, grad, m, v, t, lr, b1, b2, eps):
        got = chk.call(fn, theta, grad, m, v, t, lr, b1, b2, eps,
                       arg_names=("theta", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"))
        th_new, m_new, v_new = chk.expect_tuple(got, ("theta_new", "m_new", "v_new"))
        want_th, want_m, want_v = dnnlib_adam_step(theta, grad, m, v, t, lr, b1, b2, eps)
        base = (theta, grad, m, v, t, lr, b1, b2, eps)
        for name, value in (("theta_new", th_new), ("m_new", m_new), ("v_new", v_new)):
            chk.expect_shape(value, theta.shape, what=name)
        if np.allclose(np.asarray(m_new, dtype=np.float64), want_v) and \
                np.allclose(np.asarray(v_new, dtype=np.float64), want_m) and \
                not np.allclose(want_m, want_v):
            chk.fail("m_new and v_new are swapped: return (theta_new, m_new, v_new) in that "
                     "order")
        chk.expect_close(m_new, want_m, what="m_new", rtol=1e-9, atol=1e-12, mistakes=[
            (_adam_variant(*base, swap_m=True)[1],
             "beta1 and 1 - beta1 are swapped: m_t = beta1 m_(t-1) + (1 - beta1) g_t keeps "
             "90% of the old average"),
            (m, "m was not updated: m_t = beta1 m_(t-1) + (1 - beta1) g_t"),
            (b1 * m + grad, "m_t = beta1 m_(t-1) + (1 - beta1) g_t: the factor (1 - beta1) "
                            "of the gradient is missing (that is SGD's momentum buffer)"),
        ])
        chk.expect_close(v_new, want_v, what="v_new", rtol=1e-9, atol=1e-12, mistakes=[
            (_adam_variant(*base, g2=False)[2],
             "v averages the squared gradient: use g * g (or g**2), not |g|"),
            (b2 * v + (1 - b2) * grad, "v averages the squared gradient g**2, not g"),
            (b1 * v + (1 - b1) * grad**2, "v uses beta2, not beta1: v_t = beta2 v_(t-1) + "
                                          "(1 - beta2) g_t**2"),
        ])
        mistakes = [
            (_adam_variant(*base, correct_m=False, correct_v=False)[0],
             "you forgot the bias correction: divide m by (1 - beta1**t) and v by "
             "(1 - beta2**t) before the update (the moments start at 0, so early on they "
             "are too small)"),
            (_adam_variant(*base, correct_v=False)[0],
             "you corrected m but forgot the bias correction of v: v_hat = v / (1 - beta2**t)"),
            (_adam_variant(*base, correct_m=False)[0],
             "you corrected v but forgot the bias correction of m: m_hat = m / (1 - beta1**t)"),
            (_adam_variant(*base, eps_inside=True)[0],
             "eps belongs outside the square root: sqrt(v_hat) + eps"),
            (_adam_variant(*base, sign=1.0)[0],
             "the step goes uphill: subtract lr * m_hat / (sqrt(v_hat) + eps)"),
            (_adam_variant(*base, t_used=t + 1)[0],
             "off by one in the bias correction: use beta**t for step t (t starts at 1), "
             "not beta**(t + 1)"),
        ]
        if t > 1:
            mistakes.append((_adam_variant(*base, t_used=t - 1)[0],
                             "off by one in the bias correction: use beta**t for step t, not "
                             "beta**(t - 1)"))
        chk.expect_close(th_new, want_th, what="theta_new", rtol=1e-9, atol=1e-12,
                         mistakes=mistakes)

    g = np.random.default_rng(4)

    @chk.case("the first step (t = 1, m = v = 0): each coordinate moves by about lr")
    def _():
        run_case(np.array([1.0, -2.0, 0.5]), np.array([3.0, -0.01, 0.5]), np.zeros(3),
                 np.zeros(3), 1, 0.1, 0.9, 0.999, 1e-8)

    @chk.case("step t = 5 of a (2, 3) weight matrix with running moments")
    def _():
        grad = g.normal(size=(2, 3))
        run_case(g.normal(size=(2, 3)), grad, 0.3 * g.normal(size=(2, 3)),
                 0.2 * g.random((2, 3)) + 0.01, 5, 0.01, 0.9, 0.999, 1e-8)

    @chk.case("other betas (0.5, 0.9) and a large eps = 0.1, at t = 3")
    def _():
        run_case(np.array([0.2, 0.4]), np.array([0.05, -2.0]), np.array([0.01, -0.5]),
                 np.array([0.001, 1.5]), 3, 0.05, 0.5, 0.9, 0.1)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_max_stable_lr(max_stable_lr: Callable[..., Any], *, verbose: bool = True
                        ) -> CheckResult:
    """Check ``max_stable_lr(A) -> float``: the bound :math:`2/\\lambda_{\\max}(A)`.

    ``A`` is the (symmetric, positive definite) matrix of the quadratic
    :math:`\\mathcal{L}(\\theta) = \\frac12 \\theta^\\top A \\theta`, its Hessian; gradient
    descent converges from every start iff :math:`0 < \\eta < 2/\\lambda_{\\max}`. Cases:
    a diagonal matrix, the chapter's rotated bowl (where the diagonal entries are *not*
    the eigenvalues) and a 4 x 4 matrix. Each case then runs gradient descent just below
    and just above the returned rate, to show what the bound means.

    Examples
    --------
    >>> check_max_stable_lr(lambda A: 2 / np.linalg.eigvalsh(A).max(), verbose=False).passed
    True
    """
    chk = Checker("max_stable_lr")
    fn = max_stable_lr

    def expect(A: np.ndarray) -> None:
        lam = np.linalg.eigvalsh(A)
        want = 2.0 / lam[-1]
        got = chk.call(fn, A, arg_names=("A",))
        if hasattr(got, "shape") and np.size(got) == A.shape[0] and A.shape[0] > 1:
            chk.fail(f"max_stable_lr returned {np.size(got)} numbers (one per eigenvalue?); "
                     "return one number, the bound of the steepest direction: "
                     "float(2 / lambda_max)")
        value = chk.expect_number(got, what="the rate", scalar=True)
        both = "2/(lambda_min + lambda_max)" + (" (for a 2 x 2 matrix also 2/trace(A))"
                                                 if A.shape[0] == 2 else "")
        mistakes = [
            (1.0 / lam[-1], "that is 1/lambda_max, the rate without oscillation; the "
                            "stability bound is twice as large: |1 - lr lambda| < 1 "
                            "means 0 < lr < 2/lambda"),
            (2.0 / lam[0], "you used the smallest eigenvalue; the steepest direction "
                           "(largest eigenvalue) diverges first"),
            (2.0 / (lam[0] + lam[-1]), f"that is {both}, the rate that converges fastest "
                                       "(eq-gd-best-rate), not the largest stable one; the "
                                       "bound is 2/lambda_max"),
            (2.0 / np.max(np.diag(A)), "the diagonal entries of A are not its eigenvalues "
                                       "unless A is diagonal: use np.linalg.eigvalsh(A)"),
            (2.0 / np.max(A), "the largest entry of A is not its largest eigenvalue: use "
                              "np.linalg.eigvalsh(A)"),
            (2.0 / np.linalg.norm(A), "the Frobenius norm is not the largest eigenvalue "
                                      "(use np.linalg.eigvalsh(A), or the 2-norm ord=2)"),
            (2.0 / lam[-1] ** 2, "divide by lambda_max, not lambda_max squared"),
        ]
        if A.shape[0] > 2:  # for 2 x 2, trace = lambda_min + lambda_max (named above)
            mistakes.append((2.0 / np.trace(A), "the trace is the sum of all eigenvalues, "
                                                "not the largest"))
        chk.expect_close(value, want, what="the rate", rtol=1e-8, atol=0.0, mistakes=mistakes)
        # what the bound means: just below it converges, just above it diverges
        e0 = np.ones(A.shape[0])
        for factor, ok in ((0.98, True), (1.02, False)):
            M = np.eye(A.shape[0]) - factor * want * A
            e = np.linalg.matrix_power(M, 2000) @ e0
            if (np.linalg.norm(e) < np.linalg.norm(e0)) != ok:  # pragma: no cover - sanity
                chk.fail("internal check of the bound failed")

    @chk.case("a diagonal Hessian diag(1, 4) -> 0.5")
    def _():
        expect(np.diag([1.0, 4.0]))

    @chk.case("the chapter's rotated bowl (eigenvalues 0.5 and 10, axes turned by 30 degrees)")
    def _():
        a = np.radians(30.0)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        A = R @ np.diag([0.5, 10.0]) @ R.T
        expect((A + A.T) / 2)

    @chk.case("a 4 x 4 Hessian with off-diagonal coupling")
    def _():
        B = np.random.default_rng(7).normal(size=(4, 4))
        expect(B @ B.T + 0.5 * np.eye(4))

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def dnnlib_warmup_cosine(lr_max: float, warmup_steps: int, total_steps: int,
                         lr_min: float = 0.0, start_factor: float = 0.1) -> LinearWarmup:
    r"""Warm-up then cosine, built from dnnlib's schedules (the reference of the checker).

    :class:`~dnnlib.optim.LinearWarmup` ramps the factor from ``start_factor`` to 1 over
    the first ``W = warmup_steps`` steps; the inner schedule is a
    :class:`~dnnlib.optim.CosineAnnealing` over the remaining ``T - W`` steps, started at
    step ``W`` (before that it is ``lr_max``).

    Examples
    --------
    >>> s = dnnlib_warmup_cosine(1.0, warmup_steps=2, total_steps=6)
    >>> [round(s(t), 3) for t in range(8)]
    [0.1, 0.55, 1.0, 0.854, 0.5, 0.146, 0.0, 0.0]
    """
    cosine = CosineAnnealing(lr_max, T_max=total_steps - warmup_steps, eta_min=lr_min)
    return LinearWarmup(lambda t: cosine(max(t - warmup_steps, 0)), warmup_steps,
                        start_factor=start_factor)


def check_warmup_cosine(warmup_cosine: Callable[..., Any], *, verbose: bool = True
                        ) -> CheckResult:
    """Check ``warmup_cosine(t, lr_max, warmup_steps, total_steps, lr_min, start_factor)``.

    The rate of step ``t`` (from 0): linear warm-up from ``start_factor * lr_max`` to
    ``lr_max`` over ``W`` steps, then half a cosine from ``lr_max`` to ``lr_min`` over
    the remaining ``T - W`` steps, then ``lr_min``; compared with
    :func:`dnnlib_warmup_cosine` for every step of each case.

    Examples
    --------
    >>> ref = lambda t, a, W, T, lo=0.0, f=0.1: dnnlib_warmup_cosine(a, W, T, lo, f)(t)
    >>> check_warmup_cosine(ref, verbose=False).passed
    True
    """
    chk = Checker("warmup_cosine")
    fn = warmup_cosine

    def variant(t, a, W, T, lo, f, *, warm0=False, shift=True, use_min: Any = True,
                clamp=True, t_plus_1=False):
        if t < W:
            frac = (t + 1) / W if t_plus_1 else t / W
            return a * frac if warm0 else a * (f + (1 - f) * frac)
        if clamp and t >= T:
            return lo if use_min in (True, "after") else 0.0
        s, span = ((t - W), (T - W)) if shift else (t, T)
        cos = 0.5 * (1 + np.cos(np.pi * s / span))
        return lo + (a - lo) * cos if use_min is True else a * cos

    def expect(a: float, W: int, T: int, lo: float, f: float, ts: list[int]) -> None:
        ref = dnnlib_warmup_cosine(a, W, T, lo, f)
        got = []
        for t in ts:
            out = chk.call(fn, t, a, W, T, lo, f, arg_names=(
                "t", "lr_max", "warmup_steps", "total_steps", "lr_min", "start_factor"))
            got.append(chk.expect_number(out, what=f"the rate of step t = {t}", scalar=True))
        got_a = np.asarray(got)

        def series(**kw):
            return np.asarray([variant(t, a, W, T, lo, f, **kw) for t in ts])

        want = np.asarray([ref(t) for t in ts])
        mistakes = [
            (series(warm0=True), "the warm-up starts at start_factor * lr_max (step 0 must "
                                 "not waste a step at rate 0): lr_max * (f + (1 - f) t / W)"),
            (series(shift=False), "the cosine must start when the warm-up ends: use "
                                  "(t - W) / (T - W) as its progress, not t / T"),
            *[(series(use_min=u), "you forgot lr_min in the cosine: lr_min + (lr_max - "
                                  "lr_min) * (1 + cos(pi s)) / 2") for u in (False, "after")],
            (series(clamp=False), "after total_steps the rate must stay at lr_min; the "
                                  "cosine rises again if t keeps growing"),
            (series(t_plus_1=True), "off by one in the warm-up: step 0 uses "
                                    "start_factor * lr_max and step W is the first at lr_max"),
        ]
        bad = [i for i in range(len(ts)) if not np.isclose(got_a[i], want[i], rtol=1e-9,
                                                             atol=1e-12)]
        if bad:
            i = bad[0]
            for wrong, hint in mistakes:
                if np.allclose(got_a, wrong, rtol=1e-9, atol=1e-12):
                    chk.fail(f"wrong rates. Likely mistake: {hint}")
            w_text, g_text = digits_pair(float(want[i]), float(got_a[i]))
            chk.fail(f"the rate of step t = {ts[i]} is wrong: expected {w_text}, got {g_text} "
                     f"({len(bad)} of {len(ts)} steps differ)")

    @chk.case("lr_max = 1, W = 5 warm-up steps, T = 25 steps, every step 0..30")
    def _():
        expect(1.0, 5, 25, 0.0, 0.1, list(range(31)))

    @chk.case("lr_max = 0.5, lr_min = 0.05, W = 10, T = 110, start_factor = 0.01")
    def _():
        expect(0.5, 10, 110, 0.05, 0.01, list(range(0, 121, 3)) + [10, 60, 110, 5000])

    @chk.case("edge case: one warm-up step (W = 1, T = 4)")
    def _():
        expect(0.2, 1, 4, 0.0, 0.5, list(range(7)))

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 4
def dnnlib_momentum_step(theta: np.ndarray, grad: np.ndarray, m: np.ndarray,
                         lr: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    r"""One step of :class:`dnnlib.optim.SGD` with momentum, from the buffer :math:`m_{t-1}`.

    The reference of :func:`check_momentum_step`: a :class:`~dnnlib.layers.Parameter`
    holding a copy of ``theta``, an ``SGD(momentum=beta)`` whose momentum buffer is set to
    ``m`` (past its first step), one ``opt.step()``. That is {eq}`eq-momentum`,
    :math:`m_t = \beta m_{t-1} + g_t`, :math:`\theta_t = \theta_{t-1} - \eta m_t`.

    Returns
    -------
    theta_new, m_new : numpy.ndarray, each shaped like ``theta``

    Examples
    --------
    >>> th, m = dnnlib_momentum_step(np.array([1.0]), np.array([2.0]), np.array([0.5]),
    ...                              lr=0.1, beta=0.9)
    >>> np.round(th, 6), np.round(m, 6)
    (array([0.755]), array([2.45]))
    """
    theta = np.array(theta, dtype=np.float64)
    if beta == 0:  # no buffer in SGD: m_t = g_t
        return theta - lr * np.asarray(grad, dtype=np.float64), np.array(grad, np.float64)
    p = Parameter(theta, "theta")
    opt = SGD([p], lr=lr, momentum=beta)
    opt.state[0]["momentum_buffer"][...] = m
    opt.step_count = 1  # not the first step: m_t = beta m_(t-1) + g_t (m_0 = 0 gives m_1 = g_1)
    p.grad[...] = grad
    opt.step()
    return p.data.copy(), opt.state[0]["momentum_buffer"].copy()


def check_momentum_step(momentum_step: Callable[..., Any], *, verbose: bool = True
                        ) -> CheckResult:
    r"""Check ``momentum_step(theta, grad, m, lr, beta) -> (theta_new, m_new)``.

    One step of momentum, {eq}`eq-momentum`: :math:`m_t = \beta\, m_{t-1} + g_t` and
    :math:`\theta_t = \theta_{t-1} - \eta\, m_t` (``m`` is the buffer :math:`m_{t-1}`,
    zeros before the first step). Compared with :class:`dnnlib.optim.SGD`
    (``momentum=beta``), on one step and on five steps in a row fed back into the reader's
    function. Named mistakes: the other convention (the learning rate inside the buffer),
    a damped average :math:`\beta m + (1 - \beta) g`, a step with the old buffer,
    Nesterov's step, an uphill step, a missing learning rate.

    Examples
    --------
    >>> check_momentum_step(dnnlib_momentum_step, verbose=False).passed
    True
    """
    chk = Checker("momentum_step")
    fn = momentum_step
    names = ("theta", "grad", "m", "lr", "beta")

    def one(theta, grad, m, lr, beta) -> None:
        got = chk.call(fn, theta, grad, m, lr, beta, arg_names=names)
        th_new, m_new = chk.expect_tuple(got, ("theta_new", "m_new"))
        want_th, want_m = dnnlib_momentum_step(theta, grad, m, lr, beta)
        chk.expect_shape(th_new, theta.shape, what="theta_new")
        chk.expect_shape(m_new, theta.shape, what="m_new")
        other = ("the other common convention, where the buffer holds the step itself "
                 "(step = beta * step - lr * g, then theta + step); here, as in PyTorch and "
                 "dnnlib, the buffer is m_t = beta m_(t-1) + g_t and the step is theta - lr m_t")
        chk.expect_close(m_new, want_m, what="m_new", rtol=1e-10, atol=1e-12, mistakes=[
            (beta * m + lr * grad, "the buffer holds lr g: " + other),
            (beta * m - lr * grad, "the buffer holds -lr g: " + other),
            (beta * m + (1 - beta) * grad, "beta m + (1 - beta) g is a damped average "
                                           "(dampening = beta); momentum adds the whole "
                                           "gradient: m_t = beta m_(t-1) + g_t"),
            (m + beta * grad, "beta multiplies the old buffer, not the gradient: m_t = beta "
                              "m_(t-1) + g_t"),
            (beta * (m + grad), "only the old buffer is multiplied by beta: m_t = beta "
                                "m_(t-1) + g_t"),
            (m, "the buffer was not updated: m_t = beta m_(t-1) + g_t"),
            (grad, "the buffer forgot its past: m_t = beta m_(t-1) + g_t"),
        ])
        want_b = beta * m + grad
        chk.expect_close(th_new, want_th, what="theta_new", rtol=1e-10, atol=1e-12, mistakes=[
            (theta - lr * m, "the step used the old buffer m_(t-1): update the buffer "
                             "first, then theta_t = theta_(t-1) - lr m_t"),
            (theta + lr * want_b, "the step goes uphill: theta_t = theta_(t-1) - lr m_t"),
            (theta - lr * (grad + beta * want_b), "that is Nesterov's look-ahead step; plain "
                                                  "momentum steps along m_t: theta - lr m_t"),
            (theta - want_b, "the learning rate is missing: theta_t = theta_(t-1) - lr m_t"),
            (theta - lr * grad, "you stepped along the gradient alone (plain gradient "
                                "descent); momentum steps along the buffer m_t"),
        ])

    g = np.random.default_rng(5)

    @chk.case("the first step (m = 0): theta moves by -lr * grad, the buffer becomes grad")
    def _():
        # lr = 0.05, not 0.1: with lr = 1 - beta two named mistakes would coincide
        one(np.array([1.0, -2.0, 0.5]), np.array([0.3, -1.0, 2.0]), np.zeros(3), 0.05, 0.9)

    @chk.case("a later step of a (2, 3) weight matrix, beta 0.9, lr 0.05")
    def _():
        one(g.normal(size=(2, 3)), g.normal(size=(2, 3)), g.normal(size=(2, 3)), 0.05, 0.9)

    @chk.case("other hyperparameters: beta 0.5, lr 0.3")
    def _():
        one(np.array([0.2, 0.4]), np.array([0.05, -2.0]), np.array([0.7, -0.5]), 0.3, 0.5)

    @chk.case("edge case: beta = 0 is plain gradient descent")
    def _():
        one(np.array([1.0, 2.0]), np.array([0.5, -0.5]), np.array([0.3, 0.1]), 0.2, 0.0)

    @chk.case("five steps in a row on f = theta^T A theta / 2 follow dnnlib's SGD(momentum=0.8)")
    def _():
        A = np.array([[3.0, 1.0], [1.0, 2.0]])
        theta, m = np.array([1.0, -1.0]), np.zeros(2)
        th_ref = theta.copy()
        p = Parameter(th_ref, "theta")
        opt = SGD([p], lr=0.1, momentum=0.8)
        for step in range(1, 6):
            got = chk.call(fn, theta, A @ theta, m, 0.1, 0.8, arg_names=names)
            theta, m = chk.expect_tuple(got, ("theta_new", "m_new"))
            theta = chk.expect_shape(theta, (2,), what="theta_new").astype(np.float64)
            m = chk.expect_shape(m, (2,), what="m_new").astype(np.float64)
            opt.zero_grad()
            p.grad[...] = A @ p.data
            opt.step()
            chk.expect_close(theta, p.data, what=f"theta after step {step}", rtol=1e-10,
                             atol=1e-12)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 5
def heavy_ball_spectral_radius(A: np.ndarray, lr: float, beta: float) -> float:
    r"""Spectral radius of one heavy-ball step on :math:`\tfrac12 \theta^\top A \theta`.

    The step maps :math:`(\theta_{t-1}, \theta_{t-2})` linearly to :math:`(\theta_t,
    \theta_{t-1})`: ``[[(1 + beta) I - lr A, -beta I], [I, 0]]`` ({eq}`eq-heavy-ball`);
    the iteration converges from every start iff the radius is below 1.

    Parameters
    ----------
    A : numpy.ndarray, shape (D, D)
        The symmetric matrix of the quadratic (its Hessian).
    lr : float
        The learning rate :math:`\eta`.
    beta : float
        The momentum coefficient :math:`\beta`.

    Examples
    --------
    >>> A = np.diag([1.0, 4.0])
    >>> heavy_ball_spectral_radius(A, 0.74, 0.5) < 1 < heavy_ball_spectral_radius(A, 0.76, 0.5)
    True
    """
    D = A.shape[0]
    eye = np.eye(D)
    step = np.block([[(1 + beta) * eye - lr * A, -beta * eye],
                     [eye, np.zeros((D, D))]])
    return float(np.max(np.abs(np.linalg.eigvals(step))))


def check_heavy_ball_max_lr(heavy_ball_max_lr: Callable[..., Any], *, verbose: bool = True
                            ) -> CheckResult:
    r"""Check ``heavy_ball_max_lr(A, beta) -> float``: :math:`2(1 + \beta)/\lambda_{\max}`.

    Gradient descent with momentum :math:`\beta \in [0, 1)` on
    :math:`\tfrac12 \theta^\top A \theta` converges from every start iff
    :math:`0 < \eta < 2(1 + \beta)/\lambda_{\max}(A)`: in each eigen-direction the root of
    :math:`r^2 - (1 + \beta - \eta\lambda_i) r + \beta` crosses :math:`r = -1` at
    :math:`\eta\lambda_i = 2(1 + \beta)`. The last case verifies the reader's number
    numerically, without the formula: the spectral radius of the heavy-ball step
    (:func:`heavy_ball_spectral_radius`) is below 1 at 0.99 times the rate and above 1 at
    1.01 times it, and :class:`dnnlib.optim.SGD` (momentum) converges at 0.9 times the
    rate and diverges at 1.1 times it.

    Examples
    --------
    >>> def heavy_ball_max_lr(A, beta):
    ...     return float(2 * (1 + beta) / np.linalg.eigvalsh(A)[-1])
    >>> check_heavy_ball_max_lr(heavy_ball_max_lr, verbose=False).passed
    True
    """
    chk = Checker("heavy_ball_max_lr")
    fn = heavy_ball_max_lr

    def rate(A: np.ndarray, beta: float) -> float:
        got = chk.call(fn, A, beta, arg_names=("A", "beta"))
        if hasattr(got, "shape") and np.size(got) == A.shape[0] and A.shape[0] > 1:
            chk.fail(f"heavy_ball_max_lr returned {np.size(got)} numbers (one per eigenvalue?); "
                     "return one number, the bound of the steepest direction")
        return chk.expect_number(got, what="the rate", scalar=True)

    def expect(A: np.ndarray, beta: float) -> None:
        lam = np.linalg.eigvalsh(A)
        lo, hi = lam[0], lam[-1]
        value = rate(A, beta)
        want = 2 * (1 + beta) / hi
        chk.expect_close(value, want, what="the rate", rtol=1e-8, atol=0.0, mistakes=[
            (2 / hi, "that is the bound of plain gradient descent, 2/lambda_max; momentum "
                     "enlarges it: the root of r^2 - (1 + beta - lr lambda) r + beta crosses "
                     "r = -1 at lr lambda = 2 (1 + beta)"),
            (2 * (1 - beta) / hi, "the factor is (1 + beta), not (1 - beta): put r = -1 in "
                                  "r^2 - (1 + beta - lr lambda) r + beta = 0"),
            (2 / ((1 + beta) * hi), "(1 + beta) multiplies the bound, it does not divide it: "
                                    "r = -1 gives 1 + (1 + beta - lr lambda) + beta = 0"),
            ((1 + beta) / hi, "a factor 2 is missing: r = -1 gives lr lambda = 2 + 2 beta"),
            (2 / ((1 - beta) * hi), "1/(1 - beta) is the gain of momentum along a steady "
                                    "slope (eq-momentum); stability is decided by the "
                                    "alternating mode, whose root crosses -1 at "
                                    "lr lambda = 2 (1 + beta)"),
            (2 * (1 + beta) / lo, "you used the smallest eigenvalue; the steepest direction "
                                  "(largest eigenvalue) leaves the unit circle first"),
            (2 * (1 + beta) / np.max(np.diag(A)), "the diagonal entries of A are not its "
                                                  "eigenvalues unless A is diagonal"),
            ((1 + np.sqrt(beta)) ** 2 / hi, "(1 + sqrt(beta))^2 / lambda is where the two "
                                            "roots turn real again; they stay inside the unit "
                                            "circle until one reaches -1, at lr lambda = "
                                            "2 (1 + beta)"),
            (4 / (np.sqrt(hi) + np.sqrt(lo)) ** 2, "that is the fastest rate lr* of "
                                                   "eq-momentum-rate, not the largest stable "
                                                   "one"),
        ])

    @chk.case("a diagonal Hessian diag(1, 4) with beta 0.5 -> 0.75")
    def _():
        expect(np.diag([1.0, 4.0]), 0.5)

    @chk.case("the chapter's rotated bowl (eigenvalues 0.5 and 10) with beta 0.9")
    def _():
        a = np.radians(30.0)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        A = R @ np.diag([0.5, 10.0]) @ R.T
        expect((A + A.T) / 2, 0.9)

    @chk.case("a 4 x 4 Hessian with off-diagonal coupling, beta 0.3")
    def _():
        B = np.random.default_rng(8).normal(size=(4, 4))
        expect(B @ B.T + 0.5 * np.eye(4), 0.3)

    @chk.case("edge case: beta = 0 gives back plain gradient descent's 2/lambda_max")
    def _():
        expect(np.diag([2.0, 0.5, 8.0]), 0.0)

    @chk.case("verified without the formula: the heavy ball converges just below your rate "
              "and diverges just above it (A 3 x 3, beta 0.8)")
    def _():
        B = np.random.default_rng(9).normal(size=(3, 3))
        A = B @ B.T + 0.2 * np.eye(3)
        beta = 0.8
        value = rate(A, beta)
        if value <= 0:
            chk.fail(f"the rate is {value:g}; a learning rate is positive")
        below = heavy_ball_spectral_radius(A, 0.99 * value, beta)
        above = heavy_ball_spectral_radius(A, 1.01 * value, beta)
        if below >= 1:
            chk.fail(f"at 0.99 x your rate ({0.99 * value:.4g}) the heavy ball diverges "
                     f"(spectral radius of its step {below:.4f} > 1): your bound is too large")
        if above < 1:
            chk.fail(f"at 1.01 x your rate ({1.01 * value:.4g}) the heavy ball still converges "
                     f"(spectral radius {above:.4f} < 1): your bound is too small")
        # and dnnlib's optimizer agrees, far from the edge
        for factor, converges in ((0.9, True), (1.1, False)):
            p = Parameter(np.ones(3), "theta")
            opt = SGD([p], lr=factor * value, momentum=beta)
            for _ in range(600):
                opt.zero_grad()
                p.grad[...] = A @ p.data
                opt.step()
            ok = bool(np.linalg.norm(p.data) < 1e-3) if converges else \
                bool(np.linalg.norm(p.data) > 1e3)
            if not ok:  # pragma: no cover - the radius decides first
                chk.fail(f"dnnlib's SGD(momentum={beta}) at {factor} x your rate ended at "
                         f"|theta| = {np.linalg.norm(p.data):.3g}")

    return chk.run(fn, verbose=verbose)
