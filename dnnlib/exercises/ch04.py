"""Checkers for the exercises of chapter 4 (the learning rate).

* :func:`check_adam_step` - one Adam update, compared with :class:`dnnlib.optim.Adam`;
* :func:`check_max_stable_lr` - the largest stable learning rate of gradient descent on
  a quadratic, :math:`2/\\lambda_{\\max}(H)`;
* :func:`check_warmup_cosine` - linear warm-up followed by cosine annealing, compared
  with dnnlib's schedules (:class:`~dnnlib.optim.LinearWarmup` around a shifted
  :class:`~dnnlib.optim.CosineAnnealing`).

Each prints one line per case and names the likely mistake ("you forgot the bias
correction", "the diagonal entries are not the eigenvalues"...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..layers import Parameter
from ..optim import Adam, CosineAnnealing, LinearWarmup
from ._checker import Checker, CheckResult

__all__ = [
    "check_adam_step",
    "check_max_stable_lr",
    "check_warmup_cosine",
    "dnnlib_adam_step",
    "dnnlib_warmup_cosine",
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
        args = [a.copy() for a in (theta, grad, m, v)]
        got = chk.call(fn, *args, t, lr, b1, b2, eps)
        for before, after, name in zip((theta, grad, m, v), args, ("theta", "grad", "m", "v"),
                                       strict=True):
            chk.expect_unchanged(before, after, name)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            chk.fail("return the three arrays (theta_new, m_new, v_new) as a tuple; the next "
                     "step needs the new moments too")
        th_new, m_new, v_new = got
        want_th, want_m, want_v = dnnlib_adam_step(theta, grad, m, v, t, lr, b1, b2, eps)
        base = (theta, grad, m, v, t, lr, b1, b2, eps)
        chk.expect_close(m_new, want_m, rtol=1e-9, atol=1e-12, mistakes=[
            (_adam_variant(*base, swap_m=True)[1],
             "beta1 and 1 - beta1 are swapped: m_t = beta1 m_(t-1) + (1 - beta1) g_t keeps "
             "90% of the old average"),
            (m, "m was not updated: m_t = beta1 m_(t-1) + (1 - beta1) g_t"),
        ])
        chk.expect_close(v_new, want_v, rtol=1e-9, atol=1e-12, mistakes=[
            (_adam_variant(*base, g2=False)[2],
             "v averages the squared gradient: use g * g (or g**2), not |g|"),
            (b2 * v + (1 - b2) * grad, "v averages the squared gradient g**2, not g"),
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
        chk.expect_close(th_new, want_th, rtol=1e-9, atol=1e-12, mistakes=mistakes)

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
    """Check ``max_stable_lr(H) -> float``: the bound :math:`2/\\lambda_{\\max}(H)`.

    ``H`` is the (symmetric, positive definite) Hessian of
    :math:`f(\\theta) = \\frac12 \\theta^\\top H \\theta`; gradient descent converges
    from every start iff :math:`0 < \\eta < 2/\\lambda_{\\max}`. Cases: a diagonal
    matrix, the chapter's rotated bowl (where the diagonal entries are *not* the
    eigenvalues) and a 4 x 4 matrix. Each case then runs gradient descent just below
    and just above the returned rate, to show what the bound means.

    Examples
    --------
    >>> check_max_stable_lr(lambda H: 2 / np.linalg.eigvalsh(H).max(), verbose=False).passed
    True
    """
    chk = Checker("max_stable_lr")
    fn = max_stable_lr

    def expect(H: np.ndarray) -> None:
        lam = np.linalg.eigvalsh(H)
        want = 2.0 / lam[-1]
        got = chk.call(fn, H.copy())
        if isinstance(got, (list, tuple)) or (hasattr(got, "shape") and got.shape != ()):
            chk.fail(f"max_stable_lr returned {type(got).__name__} "
                     f"{np.asarray(got).shape}; return one number, e.g. float(...)")
        chk.expect_close(np.asarray(got, dtype=np.float64), want, rtol=1e-8, atol=0.0,
                         mistakes=[
            (1.0 / lam[-1], "that is 1/lambda_max, the rate without oscillation; the "
                            "stability bound is twice as large: |1 - lr lambda| < 1 "
                            "means 0 < lr < 2/lambda"),
            (2.0 / lam[0], "you used the smallest eigenvalue; the steepest direction "
                           "(largest eigenvalue) diverges first"),
            (2.0 / np.max(np.diag(H)), "the diagonal entries of H are not its eigenvalues "
                                       "unless H is diagonal: use np.linalg.eigvalsh(H)"),
            (2.0 / np.max(H), "the largest entry of H is not its largest eigenvalue: use "
                              "np.linalg.eigvalsh(H)"),
            (2.0 / np.trace(H), "the trace is the sum of all eigenvalues, not the largest"),
            (2.0 / np.linalg.norm(H), "the Frobenius norm is not the largest eigenvalue "
                                      "(use np.linalg.eigvalsh(H), or the 2-norm ord=2)"),
            (2.0 / lam[-1] ** 2, "divide by lambda_max, not lambda_max squared"),
        ])
        # what the bound means: just below it converges, just above it diverges
        e0 = np.ones(H.shape[0])
        for factor, ok in ((0.98, True), (1.02, False)):
            M = np.eye(H.shape[0]) - factor * want * H
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
        H = R @ np.diag([0.5, 10.0]) @ R.T
        expect((H + H.T) / 2)

    @chk.case("a 4 x 4 Hessian with off-diagonal coupling")
    def _():
        A = np.random.default_rng(7).normal(size=(4, 4))
        expect(A @ A.T + 0.5 * np.eye(4))

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
            out = chk.call(fn, t, a, W, T, lo, f)
            if isinstance(out, (list, tuple)) or (hasattr(out, "shape") and out.shape != ()):
                chk.fail(f"warmup_cosine({t}, ...) returned a {type(out).__name__}; return "
                         "one number, the rate of step t")
            got.append(float(out))
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
            chk.fail(f"step t = {ts[i]}: expected {want[i]:.6g}, got {got_a[i]:.6g}")

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
