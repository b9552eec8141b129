"""Checkers for the exercises of chapter 3 (cross-entropy loss).

* :func:`check_bce_with_logits`: ``bce_with_logits(z, y)``, the mean binary
  cross-entropy of :math:`\\sigma(z)` against ``y``, finite for logits of any size.
* :func:`check_bce_with_logits_grad`: ``bce_with_logits_grad(z, y)``, its gradient
  :math:`(\\sigma(z) - y) / N` with respect to the logits.
* :func:`check_softmax_cross_entropy`: ``softmax_cross_entropy(logits, labels)``,
  the mean over the batch of :math:`-\\log \\operatorname{softmax}(z_n)_{y_n}`.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`. The cases with huge logits
(:math:`|z| = 1000`) also fail when the reader's code makes NumPy warn (an overflow
in ``exp``, a ``log(0)``), even where the value happens to come out right: that is
the naive formula at work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._checker import Checker, CheckResult

__all__ = [
    "check_bce_with_logits",
    "check_bce_with_logits_grad",
    "check_softmax_cross_entropy",
]


# --------------------------------------------------------------------------- references
def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _bce_terms(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-entry loss max(z, 0) - z y + log(1 + e^{-|z|}), in float64."""
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    d = z - np.max(z, axis=axis, keepdims=True)
    return d - np.log(np.sum(np.exp(d), axis=axis, keepdims=True))


def _picked(m: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return m[np.arange(m.shape[0]), labels]


def _call(chk: Checker, fn: Callable[..., Any], *args: Any, names: tuple[str, ...]
          ) -> tuple[Any, list[str]]:
    """Call the reader's function on copies; also return NumPy's RuntimeWarnings."""
    with np.errstate(over="warn", divide="warn", invalid="warn"):
        out = chk.call(fn, *args, arg_names=names)
    return out, list(chk.warnings)


def _expect_scalar(chk: Checker, got: Any, n: int, c: int | None = None) -> float:
    """``got`` as one float (a one-element array is accepted), or fail naming the shape."""
    shape = tuple(np.shape(got)) if hasattr(got, "shape") else None
    if shape is not None and int(np.prod(shape)) != 1:
        if shape == (n,) or shape == (n, 1):
            chk.fail(f"{chk.name} returned an array of shape {shape}, one loss per example. "
                     "Likely mistake: a missing mean over the batch; return one number, the "
                     "mean of the N losses")
        if c is not None and shape == (c,):
            chk.fail(f"{chk.name} returned an array of shape {shape}, one value per class. "
                     "Likely mistake: wrong axis; sum the terms over the classes (axis 1), "
                     "then take the mean over the examples (axis 0)")
        if c is not None and shape == (n, c):
            chk.fail(f"{chk.name} returned the whole (N, C) = {shape} array of terms; pick "
                     "the correct class of each row, then take the mean over the batch")
    return chk.expect_number(got, what="the loss", finite=False)


def _no_warnings(chk: Checker, texts: list[str], advice: str) -> None:
    if texts:
        chk.fail(f"NumPy warned while running {chk.name}: {texts[0]!r}. {advice}")


_BCE_NAIVE = ("this is the naive formula -[y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))]: "
              "sigmoid(1000) rounds to exactly 1, so log(1 - 1) = -inf (and exp(1000) "
              "overflows). Rewrite the loss with the logits: max(z, 0) - z y + "
              "log(1 + exp(-|z|)), where exp only ever sees -|z| <= 0")
_SIGMOID_ADVICE = ("The naive sigmoid 1 / (1 + exp(-z)) overflows for z = -1000; compute "
                   "exp(-|z|) only (chapter 2's stable sigmoid), or use dnnlib.functional."
                   "sigmoid")


# --------------------------------------------------------------------------- exercise 1
def check_bce_with_logits(bce_with_logits: Callable[..., Any], *, verbose: bool = True
                          ) -> CheckResult:
    r"""Check ``bce_with_logits(z, y) -> float``: the mean binary cross-entropy from logits.

    :math:`\mathcal{L} = \frac1N \sum_n \big[\max(z_n, 0) - z_n y_n + \log(1 +
    e^{-|z_n|})\big]`, the loss of chapter 3 with :math:`a = \sigma(z)`. Cases:
    ordinary logits, :math:`z = 0` (the loss is :math:`\log 2`), and logits of
    :math:`\pm 1000` in float64 and float32, where the naive formula gives NaN or
    infinity and a clipped probability gives a loss that is far too small.

    Examples
    --------
    >>> import numpy as np
    >>> def bce_with_logits(z, y):
    ...     return np.mean(np.logaddexp(0.0, z) - z * y)
    >>> check_bce_with_logits(bce_with_logits, verbose=False).passed
    True
    """
    chk = Checker("bce_with_logits")
    fn = bce_with_logits
    names = ("z", "y")

    def softplus(v: np.ndarray) -> np.ndarray:
        return np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v)))

    def usual_mistakes(z: np.ndarray, y: np.ndarray) -> list[tuple[Any, str]]:
        n = z.size
        t = _bce_terms(z, y)
        with np.errstate(over="ignore"):
            no_abs = np.maximum(z, 0.0) + np.log1p(np.exp(-z)) - z * y
        return [
            (np.sum(t), "you summed over the batch; the loss is the mean: divide by N"),
            (-np.mean(t), "the sign is flipped: the loss is the NEGATIVE log-likelihood, "
                          "and it is >= 0"),
            (np.mean(_bce_terms(z, 1.0 - y)), "you swapped y and 1 - y: the term y log y_hat "
                                              "belongs to the label 1"),
            (np.mean(softplus(z)), "you dropped the -z y term: the loss is softplus(z) - z y"),
            (np.mean(t + 2 * z * y), "the z y term has the wrong sign: the loss is "
                                     "softplus(z) - z y"),
            (np.sum(t) / (n - 1) if n > 1 else np.nan,
             "you divided by N - 1; the mean divides by N"),
            (np.mean(no_abs), "the softplus lacks its absolute value: max(z, 0) + "
                              "log(1 + exp(-z)) counts |z| twice for z < 0. The stable "
                              "softplus is max(z, 0) + log(1 + exp(-|z|))"),
            (np.mean(softplus(-z) - z * y), "you used softplus(-z), which is -log sigma(z): "
                                            "the loss is y softplus(-z) + (1 - y) "
                                            "softplus(z) = softplus(z) - z y"),
            (np.mean(softplus(-z)), "you returned the mean of -log sigma(z) for every "
                                    "example, as if all labels were 1; the loss is "
                                    "softplus(z) - z y"),
        ]

    @chk.case("ordinary logits: a batch of 6, z from -2 to 3, labels 0 and 1")
    def _():
        # distinct values for every named mistake (with fewer points two can coincide)
        z = np.array([-2.0, -0.5, 0.0, 1.5, 3.0, -1.0])
        y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
        got, _w = _call(chk, fn, z, y, names=names)
        value = _expect_scalar(chk, got, z.size)
        chk.expect_close(value, np.mean(_bce_terms(z, y)), what="the loss",
                         mistakes=usual_mistakes(z, y))

    @chk.case("edge case: z = 0 means y_hat = 1/2, so the loss is log 2 for either label")
    def _():
        z, y = np.zeros(4), np.array([0.0, 1.0, 0.0, 1.0])
        got, _w = _call(chk, fn, z, y, names=names)
        value = _expect_scalar(chk, got, z.size)
        chk.expect_close(value, np.log(2.0), what="the loss", mistakes=usual_mistakes(z, y))

    def diagnose_nonfinite(z: np.ndarray, y: np.ndarray, value: float) -> None:
        """Run the reader's function on each entry alone to say where it breaks."""
        for zi, yi in zip(z, y, strict=True):
            one, _ = _call(chk, fn, np.array([zi]), np.array([yi]), names=names)
            try:
                v = float(np.asarray(one, dtype=np.float64).reshape(()))
            except (TypeError, ValueError):
                continue
            if math.isfinite(v):
                continue
            where = f"z = {float(zi):g} with label {float(yi):g}"
            should = float(_bce_terms(np.array([zi]), np.array([yi]))[0])
            if math.isnan(v):
                chk.fail(f"the loss is nan for {where} (it should be {should:g}). Likely "
                         "mistake: " + _BCE_NAIVE)
            if zi < 0:
                chk.fail(f"the loss is {v} for {where} (it should be {should:g}): exp(-z) = "
                         "exp(1000) overflowed. Likely mistake: a softplus log(1 + exp(-z)) "
                         "without the absolute value; the stable softplus is max(z, 0) + "
                         "log(1 + exp(-|z|)), where exp only sees -|z| <= 0")
            chk.fail(f"the loss is {v} for {where} (it should be {should:g}): exp(z) = "
                     "exp(1000) overflowed (the naive softplus log(1 + exp(z)), or log of a "
                     "sigmoid that rounded to 0). Write the loss as max(z, 0) - z y + "
                     "log(1 + exp(-|z|)), where exp only sees -|z| <= 0")
        chk.fail(f"the loss is {value} for logits of +-1000. Likely mistake: " + _BCE_NAIVE)

    def huge(dtype: Any) -> None:
        # two confident right answers, three confident wrong ones of different sizes: no
        # symmetry for a wrong formula to hide in (+-1000 only would let softplus(-z) - zy
        # pass)
        z = np.array([1000.0, -1000.0, 800.0, -600.0, 1000.0], dtype=dtype)
        y = np.array([1.0, 0.0, 0.0, 1.0, 0.0], dtype=dtype)
        want = float(np.mean(_bce_terms(z, y)))  # (0 + 0 + 800 + 600 + 1000) / 5 = 480
        got, texts = _call(chk, fn, z, y, names=names)
        value = _expect_scalar(chk, got, z.size)
        if not math.isfinite(value):
            diagnose_nonfinite(z, y, value)
        if 0.0 <= value < 0.5 * want:
            chk.fail(f"the loss is {value:.4g}, far below {want:.4g}: a confident "
                         "wrong prediction (z = 800 for y = 0) must cost |z| = 800. Likely "
                     "mistake: you clipped y_hat = sigmoid(z) into [eps, 1 - eps] (or added "
                     "eps inside the log), which caps every loss at -log(eps); use the "
                     "logits form max(z, 0) - z y + log(1 + exp(-|z|)) instead")
        _no_warnings(chk, texts, "The value is right, but exp overflowed on the way: keep "
                     "every exponent <= 0, as in max(z, 0) - z y + log(1 + exp(-|z|))")
        chk.expect_close(value, want, what="the loss", rtol=1e-5,
                         mistakes=usual_mistakes(z.astype(np.float64), y.astype(np.float64)))

    @chk.case("huge logits in float64: z up to +-1000, two right and three wrong -> 480")
    def _():
        huge(np.float64)

    @chk.case("huge logits in float32 (the default dtype of training)")
    def _():
        huge(np.float32)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_bce_with_logits_grad(bce_with_logits_grad: Callable[..., Any], *,
                               verbose: bool = True) -> CheckResult:
    r"""Check ``bce_with_logits_grad(z, y) -> dz``: the gradient of the mean loss.

    :math:`\partial \mathcal{L} / \partial z_n = (\sigma(z_n) - y_n) / N`, shaped like
    ``z``, with ``N = z.size``. Cases: a batch of 5, a column of shape ``(4, 1)``,
    and logits of :math:`\pm 1000` in float64 and float32 (finite, no overflow).

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.functional import sigmoid
    >>> def bce_with_logits_grad(z, y):
    ...     return (sigmoid(z) - y) / z.size
    >>> check_bce_with_logits_grad(bce_with_logits_grad, verbose=False).passed
    True
    """
    chk = Checker("bce_with_logits_grad")
    fn = bce_with_logits_grad

    def mistakes(z: np.ndarray, y: np.ndarray) -> list[tuple[Any, str]]:
        n = z.size
        a = _sigmoid(z)
        with np.errstate(all="ignore"):
            dl_da = (a - y) / (a * (1.0 - a)) / n
        return [
            ((a - y), "you forgot to divide by N: the loss is a mean over the batch, so "
                      "each example's gradient is (sigmoid(z) - y) / N"),
            ((y - a) / n, "the sign is flipped: dL/dz = (sigmoid(z) - y) / N, positive when "
                          "the prediction is above the label"),
            ((z - y) / n, "you used z where sigmoid(z) belongs: dL/dz = (y_hat - y) / N "
                          "with y_hat = sigmoid(z)"),
            ((a - y) * a * (1.0 - a) / n,
             "you multiplied by sigmoid'(z) = y_hat (1 - y_hat); for the cross-entropy that "
             "factor cancels against the denominator of dL/dy_hat, leaving (y_hat - y) / N"),
            (2.0 * (a - y) * a * (1.0 - a) / n,
             "that is the gradient of the squared error (y_hat - y)^2, not of the "
             "cross-entropy"),
            (dl_da, "that is dL/dy_hat, the gradient with respect to the probability "
                    "y_hat; multiply by dy_hat/dz = y_hat (1 - y_hat) to get dL/dz = "
                    "(y_hat - y) / N"),
        ]

    def run_case(z: np.ndarray, y: np.ndarray, *, huge: bool = False) -> None:
        got, texts = _call(chk, fn, z, y, names=("z", "y"))
        arr = chk.expect_shape(got, z.shape, mistakes=[
            ((), "you returned one number; the gradient has one entry per logit, shaped "
                 "like z"),
            ((1,), "you returned one number; the gradient has one entry per logit, shaped "
                   "like z"),
        ])
        if huge:
            if not np.all(np.isfinite(arr)):
                chk.fail("the gradient is not finite for logits of +-1000. " + _SIGMOID_ADVICE)
            _no_warnings(chk, texts, _SIGMOID_ADVICE + ". The value may be right here, but "
                         "the same code gives NaN once the overflow meets a division")
        want = (_sigmoid(z.astype(np.float64)) - y) / z.size
        chk.expect_close(arr, want, rtol=1e-5, atol=1e-7 if huge else 1e-8,
                         mistakes=mistakes(z.astype(np.float64), y.astype(np.float64)))

    @chk.case("a batch of 5 logits from -2 to 3, labels 0 and 1")
    def _():
        run_case(np.array([-2.0, -0.5, 0.0, 1.0, 3.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0]))

    @chk.case("a column of logits, shape (4, 1) -> gradient of shape (4, 1)")
    def _():
        run_case(np.array([[0.5], [-1.5], [2.0], [-0.2]]),
                 np.array([[1.0], [1.0], [0.0], [0.0]]))

    @chk.case("huge logits in float64: z = +-1000 -> (0, 0, 1/N, -1/N)")
    def _():
        run_case(np.array([1000.0, -1000.0, 1000.0, -1000.0]),
                 np.array([1.0, 0.0, 0.0, 1.0]), huge=True)

    @chk.case("huge logits in float32")
    def _():
        run_case(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=np.float32),
                 np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32), huge=True)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def check_softmax_cross_entropy(softmax_cross_entropy: Callable[..., Any], *,
                                verbose: bool = True) -> CheckResult:
    r"""Check ``softmax_cross_entropy(logits, labels) -> float`` (mean over the batch).

    :math:`\mathcal{L} = -\frac1N \sum_n \log \operatorname{softmax}(z_n)_{y_n}` for
    logits ``(N, C)`` and integer labels ``(N,)``. Cases: ``N = 4, C = 3`` (``N != C``,
    so a wrong axis or a wrong divisor shows), a batch of one, and huge logits where
    only the log-sum-exp with the row maximum subtracted stays finite. The feedback
    names a missing mean, a mean over all ``N * C`` entries, the softmax taken over
    the wrong axis, a missing log-sum-exp and ``[:, labels]`` indexing.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.functional import log_softmax
    >>> def softmax_cross_entropy(logits, labels):
    ...     n = logits.shape[0]
    ...     return -np.mean(log_softmax(logits, axis=1)[np.arange(n), labels])
    >>> check_softmax_cross_entropy(softmax_cross_entropy, verbose=False).passed
    True
    """
    chk = Checker("softmax_cross_entropy")
    fn = softmax_cross_entropy

    def mistakes(z: np.ndarray, labels: np.ndarray) -> list[tuple[Any, str]]:
        n, c = z.shape
        per_example = -_picked(_log_softmax(z, axis=1), labels)
        m = [
            (np.sum(per_example), "a missing mean over the batch: you summed the N losses; "
                                  "divide by N (np.mean over the examples)"),
            (np.sum(per_example) / (n * c),
             "you divided by N * C (np.mean over the whole (N, C) array of one-hot terms); "
             "the mean runs over the N examples only: sum over the classes, then average"),
            (-np.mean(_picked(_log_softmax(z, axis=0), labels)),
             "wrong axis: you normalised the softmax over axis 0 (the examples of the "
             "batch); each row is one example, so normalise over axis 1 (its C classes)"),
            (-np.mean(_picked(z, labels)),
             "you forgot the normalisation: -log softmax(z)_y = -z_y + log sum_k exp(z_k); "
             "the log-sum-exp term is missing"),
            (-np.mean(_picked(np.exp(_log_softmax(z, axis=1)), labels)),
             "you forgot the log: the loss is -log y_hat_y, not -y_hat_y"),
            (np.mean(_picked(_log_softmax(z, axis=1), labels)),
             "the sign is flipped: the loss is the NEGATIVE log-probability of the label, "
             "and it is >= 0"),
        ]
        if n > 1:
            m.append((-np.mean(_log_softmax(z, axis=1)[:, labels]),
                      "you indexed with [:, labels], which picks N * N entries; pick one "
                      "entry per row with [np.arange(N), labels]"))
        return m

    def run_case(z: np.ndarray, labels: np.ndarray, *, huge: bool = False) -> None:
        n, c = z.shape
        got, texts = _call(chk, fn, z, labels, names=("logits", "labels"))
        value = _expect_scalar(chk, got, n, c)
        if huge:
            overflow = [t for t in texts if "overflow" in t]
            log0 = [t for t in texts if "divide by zero encountered in log" in t]
            if overflow:
                chk.fail(f"NumPy warned {overflow[0]!r} (the loss is {value}). Likely "
                         "mistake: exp of a large logit overflowed. Subtract each row's "
                         "maximum before exp: log sum_k exp(z_k) = z_max + log sum_k "
                         "exp(z_k - z_max), z_max = max_k z_k (the log-sum-exp trick, "
                         "eq-ce-lse)")
            if log0 or not math.isfinite(value):
                warned = f" and NumPy warned {log0[0]!r}" if log0 else ""
                chk.fail(f"the loss is {value}{warned}. Likely mistake: the probability "
                         "of a label underflowed to 0 (softmax of [0, 1000, 0] gives "
                         "e^-1000 = 0 for class 0, even with the maximum subtracted), and "
                         "log(0) = -inf. Do not take the log of the softmax: compute "
                         "log y_hat = (z - z_max) - log sum_k exp(z_k - z_max) directly "
                         "(log-softmax), then pick the label's entry")
            _no_warnings(chk, texts, "Compute the log-probabilities with the log-sum-exp "
                         "trick, so that no exp sees a large number and no log sees 0")
        want = np.mean(-_picked(_log_softmax(z.astype(np.float64), axis=1), labels))
        chk.expect_close(value, want, what="the loss", rtol=1e-6,
                         mistakes=mistakes(z.astype(np.float64), labels))

    @chk.case("a batch of N = 4 examples, C = 3 classes")
    def _():
        g = np.random.default_rng(3)
        run_case(np.round(g.normal(scale=2.0, size=(4, 3)), 2), np.array([0, 2, 1, 2]))

    @chk.case("a batch of N = 2 examples, C = 5 classes (more classes than examples)")
    def _():
        g = np.random.default_rng(4)
        run_case(np.round(g.normal(size=(2, 5)), 2), np.array([4, 1]))

    @chk.case("edge case: a batch of one example")
    def _():
        run_case(np.array([[1.0, 2.0, 0.5, -1.0]]), np.array([1]))

    @chk.case("huge logits: [[1000, 0, -1000], [0, 1000, 0]] with labels [0, 0] -> 500")
    def _():
        run_case(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), np.array([0, 0]),
                 huge=True)

    return chk.run(fn, verbose=verbose)
