"""Checkers for the exercises of chapter 2 (activation functions).

* :func:`check_stable_sigmoid`: ``stable_sigmoid(z)``, the logistic sigmoid without
  overflow, NaN or warnings, tried at ``z = -1000`` and ``z = +1000``.
* :func:`check_leaky_relu`: ``leaky_relu(z, eps)`` and ``leaky_relu_grad(z, eps)``,
  :math:`\\max(\\epsilon z, z)` and its derivative.
* :func:`check_tanh_via_sigmoid`: ``tanh_via_sigmoid(z)``, the identity
  :math:`\\tanh z = 2\\sigma(2z) - 1` computed from a sigmoid alone.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._checker import Checker, CheckResult

__all__ = ["check_stable_sigmoid", "check_leaky_relu", "check_tanh_via_sigmoid"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The reference sigmoid, float64, stable (``exp`` only of ``-|z|``)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _call_watching(chk: Checker, fn: Callable[..., Any], *args: Any, name: str | None = None
                   ) -> tuple[Any, list[str]]:
    """Call the reader's function (on copies); return its output and NumPy's warnings.

    The warnings ("overflow encountered in exp", "invalid value encountered in
    divide"...) are recorded by :meth:`Checker.call`, so they neither clutter the
    notebook nor turn into errors under pytest's ``error::RuntimeWarning`` filter.
    Underflow (``exp(-1000) = 0``) is harmless and is what a stable sigmoid relies on.
    """
    with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
        out = chk.call(fn, *args, name=name, arg_names=("z",) + ("eps",) * (len(args) - 1))
    return out, [m for m in chk.warnings if "encountered" in m or "overflow" in m]


_BOTH_BRANCHES = (
    " If you wrote np.where(z >= 0, A, B): NumPy computes A and B for EVERY entry before "
    "choosing, so the exp in the branch you do not want still overflows. Compute "
    "e = np.exp(-np.abs(z)) once (always <= 1) and build both branches from e."
)


# --------------------------------------------------------------------------- exercise 1
def check_stable_sigmoid(stable_sigmoid: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    """Check ``stable_sigmoid(z)``: :math:`\\sigma(z) = 1 / (1 + e^{-z})` for any finite z.

    Cases: ordinary values; ``z = -1000`` and ``z = +1000`` (the naive formulas
    overflow in ``exp`` or return NaN, and the checker says which); a float32 batch
    with ``|z| = 100`` (``exp(100)`` overflows float32) whose dtype must be kept;
    and the input left unmodified. NumPy's overflow warnings count as failures:
    a right answer reached through an ``inf`` is luck, not stability.

    Examples
    --------
    >>> import numpy as np
    >>> def stable_sigmoid(z):
    ...     e = np.exp(-np.abs(z))
    ...     return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    >>> check_stable_sigmoid(stable_sigmoid, verbose=False).passed
    True
    """
    chk = Checker("stable_sigmoid")
    fn = stable_sigmoid

    def mistakes(z: np.ndarray) -> list[tuple[Any, str]]:
        return [
            (_sigmoid(-z), "you computed sigma(-z) = 1 / (1 + e^{z}); the sigmoid is "
                           "1 / (1 + e^{-z}), which tends to 1 for large z"),
            (np.exp(-np.abs(z)),
             "you returned e^{-|z|}, the helper quantity; the sigmoid is 1 / (1 + e^{-z}) "
             "for z >= 0 and e^{z} / (1 + e^{z}) for z < 0"),
            (np.where(z >= 0, _sigmoid(z), 1.0 - _sigmoid(z)),
             "the branch for z < 0 is wrong: there sigma(z) = e^{z} / (1 + e^{z}) "
             "= e / (1 + e) with e = e^{-|z|}, not 1 / (1 + e)"),
        ]

    @chk.case("ordinary values z in [-5, 5]")
    def _():
        z = np.linspace(-5.0, 5.0, 11)
        got, warns = _call_watching(chk, fn, z)
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, _sigmoid(z), mistakes=mistakes(z))

    def extreme(z_value: float) -> None:
        z = np.array([z_value, 0.0, -2.0, 2.0])
        got, warns = _call_watching(chk, fn, z)
        arr = chk.expect_shape(got, z.shape)
        side = "+1000" if z_value > 0 else "-1000"
        if not np.all(np.isfinite(arr)):
            bad = float(arr[0])
            chk.fail(
                f"NaN or infinity at z = {side} (got {bad}). Likely mistake: overflow in exp: "
                f"e^{{1000}} is inf in floating point (the largest float64 is about 1.8e308 = "
                f"e^{{709.8}}), and inf / inf or inf - inf is NaN. Use exp only of -|z| <= 0."
                + _BOTH_BRANCHES)
        overflow = [m for m in warns if "overflow" in m]
        if overflow:
            chk.fail(
                f"overflow at z = {side}: NumPy warned '{overflow[0]}'. e^{{1000}} is inf; "
                "the answer came out right only because 1 / (1 + inf) = 0. A stable sigmoid "
                "never computes exp of a large positive number." + _BOTH_BRANCHES)
        if warns:
            chk.fail(f"NumPy warned '{warns[0]}' at z = {side}: an intermediate value was "
                     "inf or NaN; use exp only of -|z| <= 0." + _BOTH_BRANCHES)
        chk.expect_close(got, _sigmoid(z), mistakes=mistakes(z))

    @chk.case("edge case: z = -1000 (e^{-z} overflows)")
    def _():
        extreme(-1000.0)

    @chk.case("edge case: z = +1000 (e^{z} overflows)")
    def _():
        extreme(1000.0)

    @chk.case("a float32 batch of shape (2, 3) with |z| up to 100 stays float32")
    def _():
        z = np.array([[-100.0, -20.0, -0.5], [0.5, 20.0, 100.0]], dtype=np.float32)
        z0 = z.copy()
        got, warns = _call_watching(chk, fn, z)
        arr = chk.expect_shape(got, z0.shape)
        if not np.all(np.isfinite(arr)) or any("overflow" in m for m in warns):
            chk.fail("overflow in float32: e^{100} is inf in float32 (its largest value is "
                     "about 3.4e38 = e^{88.7}). Use exp only of -|z| <= 0." + _BOTH_BRANCHES)
        if arr.dtype != np.float32:
            chk.fail(f"the dtype changed from float32 to {arr.dtype}: keep the input's "
                     "dtype (NumPy does, as long as you compute with z itself; avoid "
                     "np.float64(...) or np.asarray(z, dtype=float))")
        chk.expect_close(got, _sigmoid(z0), rtol=1e-5, atol=1e-7,
                         mistakes=mistakes(z0.astype(np.float64)))

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_leaky_relu(leaky_relu: Callable[..., Any], leaky_relu_grad: Callable[..., Any], *,
                     verbose: bool = True) -> CheckResult:
    """Check ``leaky_relu(z, eps)`` = :math:`\\max(\\epsilon z, z)` and its derivative.

    ``leaky_relu_grad(z, eps)`` must return 1 where ``z > 0`` and ``eps`` where
    ``z < 0``; at ``z = 0`` either value is accepted (the derivative does not exist
    there; dnnlib and PyTorch use ``eps``). Cases use ``eps = 0.1`` and ``eps = 0.25``
    (a hard-coded 0.01 is caught), a 2-D batch and inputs left unmodified. Every
    message names the function it is about (``leaky_relu`` or ``leaky_relu_grad``).

    Examples
    --------
    >>> import numpy as np
    >>> def leaky_relu(z, eps=0.01):
    ...     return np.where(z > 0, z, eps * z)
    >>> def leaky_relu_grad(z, eps=0.01):
    ...     return np.where(z > 0, 1.0, eps)
    >>> check_leaky_relu(leaky_relu, leaky_relu_grad, verbose=False).passed
    True
    """
    chk = Checker("leaky_relu", stub_hint=(
        "Replace `raise NotImplementedError` in leaky_relu AND leaky_relu_grad with your "
        "code,\nrun that cell, then run this cell again."))
    f_name, g_name = "leaky_relu", "leaky_relu_grad"

    def ref(z: np.ndarray, eps: float) -> np.ndarray:
        return np.where(z > 0, z, eps * z)

    def ref_grad(z: np.ndarray, eps: float) -> np.ndarray:
        return np.where(z > 0, 1.0, eps)

    def value_mistakes(z: np.ndarray, eps: float) -> list[tuple[Any, str]]:
        return [
            (np.maximum(z, 0.0), "you wrote the plain ReLU max(z, 0); the leaky ReLU keeps "
                                 "a small slope for z < 0: max(eps * z, z)"),
            (eps * z, "you multiplied every entry by eps; only negative z get the slope eps, "
                      "positive z pass unchanged"),
            (np.minimum(eps * z, z), "you took the minimum; the leaky ReLU is max(eps * z, z) "
                                     "(for 0 <= eps < 1)"),
            (ref(z, 0.01), "you used eps = 0.01 whatever eps was passed: use the argument"),
            (np.where(z > 0, z, eps), "for z < 0 return eps * z, not eps"),
            (np.where(z > 0, z, -eps * z), "the sign is wrong for z < 0: eps * z is negative "
                                           "there"),
            (z, "you returned z unchanged (the identity): for z < 0 the leaky ReLU is eps * z"),
        ]

    def grad_mistakes(z: np.ndarray, eps: float) -> list[tuple[Any, str]]:
        return [
            (np.where(z > 0, 1.0, 0.0), "this is the ReLU's derivative: for z < 0 the leaky "
                                        "ReLU's slope is eps, not 0"),
            (ref(z, eps), "you returned the function, not its derivative: 1 for z > 0, eps "
                          "for z < 0"),
            (np.where(z > 0, 1.0, eps * z), "for z < 0 the derivative of eps * z is the "
                                            "constant eps, not eps * z"),
            (ref_grad(z, 0.01), "you used eps = 0.01 whatever eps was passed: use the "
                                "argument"),
            (np.where(z > 0, eps, 1.0), "the two branches are swapped: slope 1 for z > 0, "
                                        "eps for z < 0"),
            (np.where(z > 0, z, 1.0), "for z > 0 the derivative of z is 1, not z"),
            (np.ones_like(z), "slope 1 everywhere: that is the derivative of z itself. For "
                              "z < 0 the leaky ReLU is eps * z, whose slope is eps"),
            (np.where(z > 0, 1.0, -eps), "the slope for z < 0 is +eps (eps * z grows with z), "
                                         "not -eps"),
        ]

    def check_pair(z: np.ndarray, eps: float) -> None:
        got = chk.call(leaky_relu, z, eps, name=f_name, arg_names=("z", "eps"))
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, ref(z, eps), mistakes=value_mistakes(z, eps))
        got = chk.call(leaky_relu_grad, z, eps, name=g_name, arg_names=("z", "eps"))
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, ref_grad(z, eps), mistakes=grad_mistakes(z, eps))

    @chk.case("values and derivatives for eps = 0.1, z = -3 ... 3 (no zero)")
    def _():
        check_pair(np.array([-3.0, -1.5, -0.2, 0.2, 1.5, 3.0]), 0.1)

    @chk.case("a batch of shape (3, 4) with eps = 0.25")
    def _():
        z = np.round(np.random.default_rng(2).normal(size=(3, 4)) * 2.0, 2)
        z[z == 0.0] = 0.5
        check_pair(z, 0.25)

    @chk.case("edge case: at z = 0 the value is 0 and the slope is eps or 1")
    def _():
        z = np.array([0.0, -1.0, 1.0])
        got = chk.call(leaky_relu, z, 0.1, name=f_name, arg_names=("z", "eps"))
        chk.expect_close(got, np.array([0.0, -0.1, 1.0]))
        got = chk.call(leaky_relu_grad, z, 0.1, name=g_name, arg_names=("z", "eps"))
        arr = chk.expect_shape(got, (3,))
        if not (np.isclose(arr[0], 0.1) or np.isclose(arr[0], 1.0)):
            chk.fail(f"the output of leaky_relu_grad at z = 0 should be eps (0.1, the "
                     f"convention of dnnlib and PyTorch) or 1, got {float(arr[0])}")
        chk.expect_close(arr[1:], np.array([0.1, 1.0]))

    @chk.case("the derivative matches a centred finite difference of your leaky_relu")
    def _():
        z = np.array([-2.0, -0.7, 0.3, 1.9])
        h = 1e-6
        plus = chk.expect_shape(chk.call(leaky_relu, z + h, 0.2, name=f_name), z.shape)
        minus = chk.expect_shape(chk.call(leaky_relu, z - h, 0.2, name=f_name), z.shape)
        num = (plus.astype(np.float64) - minus.astype(np.float64)) / (2 * h)
        got = chk.call(leaky_relu_grad, z, 0.2, name=g_name, arg_names=("z", "eps"))
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, num, rtol=1e-5, atol=1e-6, mistakes=grad_mistakes(z, 0.2))

    return chk.run(leaky_relu, others={g_name: leaky_relu_grad}, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def check_tanh_via_sigmoid(tanh_via_sigmoid: Callable[..., Any], *, verbose: bool = True
                           ) -> CheckResult:
    """Check ``tanh_via_sigmoid(z)`` = :math:`2\\sigma(2z) - 1`, computed without ``tanh``.

    Cases: ordinary values against ``np.tanh`` (the identity holds to round-off),
    a batch, and ``z = +-1000`` (the sigmoid used must be stable). Calling a tanh
    (``np.tanh``, ``math.tanh``, ``F.tanh``, through any alias or helper) defeats the
    exercise and is reported: it is recognised by its result, which is accurate near
    ``z = 0`` where :math:`2\\sigma(2z) - 1` must lose digits to cancellation.

    Examples
    --------
    >>> import numpy as np
    >>> def tanh_via_sigmoid(z):
    ...     e = np.exp(-np.abs(2 * z))
    ...     s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    ...     return 2 * s - 1
    >>> check_tanh_via_sigmoid(tanh_via_sigmoid, verbose=False).passed
    True
    """
    chk = Checker("tanh_via_sigmoid")
    fn = tanh_via_sigmoid

    def mistakes(z: np.ndarray) -> list[tuple[Any, str]]:
        return [
            (2.0 * _sigmoid(z) - 1.0, "you used sigma(z); the identity needs sigma(2z): "
                                      "2 sigma(z) - 1 is tanh(z / 2)"),
            (2.0 * _sigmoid(2.0 * z), "you forgot the '- 1': 2 sigma(2z) lies in (0, 2), "
                                      "tanh in (-1, 1)"),
            (_sigmoid(2.0 * z) - 1.0, "the factor 2 in front is missing: 2 sigma(2z) - 1"),
            (1.0 - 2.0 * _sigmoid(2.0 * z), "the sign is flipped: tanh(z) = 2 sigma(2z) - 1, "
                                            "not 1 - 2 sigma(2z)"),
            (2.0 * _sigmoid(2.0 * z) + 1.0, "subtract 1, do not add it: 2 sigma(2z) - 1"),
            (2.0 * _sigmoid(z / 2.0) - 1.0, "sigma of 2z, not of z / 2"),
        ]

    @chk.case("computed from a sigmoid, without calling tanh")
    def _():
        z = np.linspace(-3.0, 3.0, 13)
        got, _ = _call_watching(chk, fn, z)
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, np.tanh(z), mistakes=mistakes(z))
        # The fingerprint of 2 sigma(2z) - 1: near z = 0, 2 sigma(2z) is about 1 and the
        # subtraction cancels the leading digits, leaving an absolute error of about
        # 1e-16, i.e. a relative error of about 1e-12 at |z| = 1e-4. A tanh (np.tanh,
        # math.tanh, dnnlib's, through any alias or helper) is accurate to the last digit
        # there. Running the function is the test, so no spelling of tanh escapes it.
        tiny = np.geomspace(1e-4, 1e-2, 48) * np.where(np.arange(48) % 2, 1.0, -1.0)
        small, _ = _call_watching(chk, fn, tiny)
        arr = chk.expect_shape(small, tiny.shape).astype(np.float64)
        rel = np.abs(arr - np.tanh(tiny)) / np.abs(np.tanh(tiny))
        if np.all(rel < 1e-13):
            chk.fail("your results agree with np.tanh to the last digits even at z = 1e-4, "
                     "where 2 sigma(2z) - 1 must lose about 12 of its 16 digits to "
                     "cancellation (2 sigma(2z) is about 1, and 1 is subtracted). So your "
                     "function does not compute 2 sigma(2z) - 1: it calls a tanh (np.tanh, "
                     "math.tanh or F.tanh, maybe through an alias or a helper). Compute "
                     "tanh from the sigmoid alone")

    @chk.case("a batch of shape (4, 5): equal to np.tanh up to round-off")
    def _():
        z = np.random.default_rng(3).normal(size=(4, 5)) * 3.0
        got, _ = _call_watching(chk, fn, z)
        chk.expect_shape(got, z.shape)
        chk.expect_close(got, np.tanh(z), rtol=1e-9, atol=1e-12, mistakes=mistakes(z))

    @chk.case("edge case: z = -1000 and z = +1000 give -1 and +1 without overflow")
    def _():
        z = np.array([-1000.0, 1000.0])
        got, warns = _call_watching(chk, fn, z)
        arr = chk.expect_shape(got, z.shape)
        if not np.all(np.isfinite(arr)) or any("overflow" in m for m in warns):
            chk.fail("overflow in exp at z = +-1000 (e^{2000} is inf): build on a stable "
                     "sigmoid, for example dnnlib.functional.sigmoid or your stable_sigmoid "
                     "from the first exercise")
        chk.expect_close(got, np.array([-1.0, 1.0]), mistakes=mistakes(z))

    return chk.run(fn, verbose=verbose)
