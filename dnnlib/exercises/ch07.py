r"""Checkers for the exercises of chapter 7 (dropout).

* :func:`check_inverted_dropout`: an ``InvertedDropout`` layer class, forward and
  backward. The checker measures the drop rate and the expectation
  :math:`\mathbb{E}[y] = x` statistically (fixed seeds, tolerances of five standard
  errors), checks the scaling of the kept entries, the identity in evaluation mode,
  that the backward pass reuses the forward mask, and runs
  :func:`dnnlib.gradcheck.check_gradients` on the layer.
* :func:`check_dropout_preactivation_moments`: the mean and variance of the
  pre-activations :math:`Z = \tilde A W + b` of the layer after a dropout layer.
* :func:`check_mc_dropout_mean_std`: the mean and standard deviation of ``T``
  stochastic forward passes (Monte-Carlo dropout), leaving the model in its mode.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_gradients
from ._checker import Checker, CheckResult

__all__ = [
    "check_inverted_dropout",
    "check_dropout_preactivation_moments",
    "check_mc_dropout_mean_std",
]


def _positive(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Inputs in [0.5, 1.5]: never 0, so y / x recovers the scaled mask."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def _host(chk: Checker, got: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    arr = chk.expect_shape(got, shape, what=what)
    if not np.all(np.isfinite(arr)):
        chk.fail(f"{what} contains NaN or infinity; look for a division by zero")
    return arr.astype(np.float64)


# --------------------------------------------------------------------------- exercise 1
def check_inverted_dropout(InvertedDropout: Any, *, verbose: bool = True) -> CheckResult:
    r"""Check an ``InvertedDropout(p, rng=None)`` layer class: forward and backward.

    ``p`` is the probability to **drop** an entry. In training mode ``forward(x)``
    returns :math:`y = r \odot x / (1 - p)` with mask bits :math:`r \sim
    \mathrm{Bernoulli}(1 - p)` drawn from ``self.rng``, one per entry, anew at every
    call; in evaluation mode it returns ``x``. ``backward(dout)`` returns
    :math:`dx = r \odot \text{dout} / (1 - p)` with the mask of the last forward pass
    (``dout`` in evaluation mode). The class derives from
    :class:`dnnlib.layers.Layer` (which gives ``train()``, ``eval()`` and
    ``training``). Chapter 7.

    Feedback names the usual mistakes: the missing :math:`1/(1 - p)`, ``p`` used as the
    keep probability, one mask for the whole batch, the same mask at every call,
    dropping in evaluation mode, and a backward pass that does not reuse the forward
    mask.

    Examples
    --------
    >>> from dnnlib.layers import Layer
    >>> class InvertedDropout(Layer):
    ...     def __init__(self, p=0.5, rng=None):
    ...         super().__init__()
    ...         self.p, self.rng = p, np.random.default_rng(rng)
    ...     def forward(self, x):
    ...         if not self.training:
    ...             self.cache = None
    ...             return x
    ...         keep = self.rng.random(x.shape) >= self.p
    ...         self.cache = keep.astype(x.dtype) / (1 - self.p)
    ...         return x * self.cache
    ...     def backward(self, dout):
    ...         return dout if self.cache is None else dout * self.cache
    >>> check_inverted_dropout(InvertedDropout, verbose=False).passed
    True
    """
    chk = Checker("InvertedDropout", stub_hint="Write forward and backward (replace `raise "
                  "NotImplementedError`), run that cell,\nthen run this cell again.")

    def build(p: float, seed: int) -> Any:
        layer = chk.call(InvertedDropout, p, rng=seed, name="InvertedDropout")
        if not hasattr(layer, "training") or not callable(getattr(layer, "eval", None)):
            chk.fail("the layer has no `training` flag or `eval()` method: derive it from "
                     "dnnlib.layers.Layer (class InvertedDropout(Layer)) and call "
                     "super().__init__() first in __init__")
        return layer

    def call_forward(layer: Any, x: np.ndarray) -> Any:
        return chk.call(layer.forward, x, name="InvertedDropout.forward", arg_names=("x",))

    def call_backward(layer: Any, dout: np.ndarray) -> Any:
        return chk.call(layer.backward, dout, name="InvertedDropout.backward",
                        arg_names=("dout",))

    def forward(layer: Any, x: np.ndarray) -> np.ndarray:
        return _host(chk, call_forward(layer, x), x.shape, "the output of forward(x)")

    def backward(layer: Any, dout: np.ndarray) -> np.ndarray:
        return _host(chk, call_backward(layer, dout), dout.shape,
                     "the output of backward(dout)")

    def kept_scale_hint(ratio: np.ndarray, p: float) -> None:
        """Fail with the likely mistake when the kept entries are not x / (1 - p)."""
        kept = ratio[ratio != 0.0]
        if kept.size == 0:
            chk.fail("every entry was dropped")
        for value, hint in [
            (1.0 / (1.0 - p), None),
            (1.0, "the kept entries are not rescaled: you are missing the factor 1/(1 - p). "
                  "Inverted dropout divides the kept entries by the keep probability 1 - p, "
                  "so that E[y] = x"),
            (1.0 - p, "you multiplied the kept entries by (1 - p): that is the test-time "
                      "correction of the original dropout. Inverted dropout DIVIDES by "
                      "(1 - p) during training"),
            (1.0 / p if p > 0 else math.inf,
             "you divided by p: divide by the keep probability 1 - p (p is the drop "
             "probability)"),
            (p, "you multiplied by p: divide by the keep probability 1 - p instead"),
        ]:
            if np.allclose(kept, value, rtol=1e-5):
                if hint is None:
                    return
                chk.fail(hint)
        chk.fail(f"the kept entries must equal x / (1 - p) = {1 / (1 - p):.4g} x; got "
                 f"ratios y / x between {kept.min():.4g} and {kept.max():.4g}")

    @chk.case("training mode, p = 0.25, x (400, 25): about a fraction p of the entries "
              "are dropped, each entry independently")
    def _():
        p, x = 0.25, _positive(1, (400, 25))
        y = forward(build(p, 0), x)
        dropped = y == 0.0
        frac, n = float(dropped.mean()), dropped.size
        tol = 5.0 * math.sqrt(p * (1.0 - p) / n)  # five standard errors of a proportion
        if frac == 0.0:
            chk.fail("nothing was dropped in training mode (a new layer starts in training "
                     "mode: self.training is True)")
        if np.all(dropped == dropped[0]):
            chk.fail("every row has the same mask: draw one mask entry per entry of x "
                     "(shape x.shape), not one per feature shared by the whole batch")
        if np.all(dropped == dropped[:, :1]):
            chk.fail("each row is either dropped entirely or kept entirely: draw one mask "
                     "entry per entry of x (shape x.shape), not one per example")
        if abs(frac - (1.0 - p)) <= tol:
            chk.fail(f"{frac:.3f} of the entries were dropped, about 1 - p = {1 - p}: you used "
                     "p as the keep probability. Here (as in PyTorch) p is the probability "
                     "to DROP: keep an entry where self.rng.random(x.shape) >= p")
        if abs(frac - p) > tol:
            chk.fail(f"{frac:.4f} of the entries were dropped; expected about p = {p} (within "
                     f"{tol:.4f}, five standard errors)")

    @chk.case("training mode: a kept entry is x / (1 - p), a dropped one is 0")
    def _():
        for p in (0.25, 0.6):
            x = _positive(2, (50, 20))
            y = forward(build(p, 1), x)
            kept_scale_hint(y / x, p)

    @chk.case("E[y] = x entry by entry: the mean of 4000 forward passes of the same x (3, 4), "
              "p = 0.4, within five standard errors")
    def _():
        p, T = 0.4, 4000
        x = _positive(3, (3, 4))
        layer = build(p, 2)
        total = np.zeros_like(x)
        first = None
        for _ in range(T):
            y = forward(layer, x)
            first = y if first is None else first
            total += y
        if np.array_equal(first, y):
            chk.fail("the same mask came back at every forward pass: draw a new mask at "
                     "every call (in forward, from self.rng)")
        mean = total / T
        se = x * math.sqrt(p / (1.0 - p) / T)  # sd of y_i is x_i sqrt(p / (1 - p))
        if np.all(np.abs(mean - x) <= 5.0 * se):
            return
        ratio = float(np.mean(mean / x))
        for value, hint in [
            (1.0 - p, "on average y is (1 - p) x: the factor 1/(1 - p) is missing"),
            (p, "on average y is p x: you used p as the keep probability and did not "
                "rescale"),
            (p / (1.0 - p), "on average y is p x / (1 - p): you used p as the keep "
                            "probability (keep where rng.random(shape) >= p)"),
            ((1.0 - p) ** 2, "on average y is (1 - p)^2 x: you multiplied by (1 - p) "
                             "instead of dividing"),
        ]:
            if abs(ratio - value) < 0.05:
                chk.fail(hint)
        worst = float(np.max(np.abs(mean - x) / se))
        chk.fail(f"the average output is not x: mean(y) / x is {ratio:.3f} on average, "
                 f"{worst:.1f} standard errors away at worst (expected 1)")

    @chk.case("the masks come from self.rng: two layers built with rng=7 drop the same "
              "entries, rng=8 others")
    def _():
        x = _positive(4, (6, 5))
        a, b, c = (forward(build(0.5, s), x) for s in (7, 7, 8))
        if not np.array_equal(a, b):
            chk.fail("two layers built with the same seed dropped different entries: draw the "
                     "mask from self.rng (self.rng.random(x.shape)), not from np.random's "
                     "global functions")
        if np.array_equal(a, c):
            chk.fail("layers built with different seeds dropped the same entries: draw the "
                     "mask from self.rng")

    @chk.case("evaluation mode (layer.eval()): forward returns x unchanged, backward dout")
    def _():
        p, x = 0.3, _positive(5, (8, 6))
        dout = np.random.default_rng(6).normal(size=x.shape)
        layer = build(p, 3)
        layer.eval()
        y = forward(layer, x)
        if np.any(y == 0.0):
            chk.fail("entries were dropped in evaluation mode: check self.training in "
                     "forward and return x when it is False")
        chk.expect_close(y, x, mistakes=[
            (x * (1.0 - p), "in evaluation mode you multiplied by (1 - p): that is the rule "
                            "of the original dropout. Inverted dropout scaled during "
                            "training already, so evaluation returns x unchanged"),
            (x / (1.0 - p), "in evaluation mode you divided by (1 - p): evaluation returns "
                            "x unchanged"),
        ])
        dx = backward(layer, dout)
        chk.expect_close(dx, dout, mistakes=[
            (dout * (1.0 - p), "backward in evaluation mode must return dout unchanged (the "
                               "layer is the identity)"),
            (dout / (1.0 - p), "backward in evaluation mode must return dout unchanged (the "
                               "layer is the identity)"),
        ])

    @chk.case("backward in training mode: dx = dout * mask / (1 - p), with the mask of the "
              "forward pass")
    def _():
        p, x = 0.5, _positive(7, (10, 8))
        dout = np.random.default_rng(8).normal(size=x.shape)
        layer = build(p, 4)
        y = forward(layer, x)
        scaled_mask = y / x
        dx = backward(layer, dout)
        want = dout * scaled_mask
        if np.allclose(dx, want):
            return
        zero_dx, zero_y = dx == 0.0, y == 0.0
        if zero_dx.any() and not np.array_equal(zero_dx, zero_y):
            chk.fail("backward zeroed other entries than forward dropped: it used a new mask. "
                     "Keep the forward mask (for example in self.cache) and reuse it in "
                     "backward: the gradient flows exactly through the entries that were "
                     "kept")
        chk.expect_close(dx, want, mistakes=[
            (dout, "backward ignores the mask: a dropped entry did not reach the output, "
                   "so its gradient is 0; dx = dout * mask / (1 - p)"),
            (dout * (~zero_y), "backward is missing the factor 1/(1 - p): y = r x / (1 - p), "
                               "so dy/dx = r / (1 - p)"),
            (dout * (~zero_y) * (1.0 - p), "backward multiplies by (1 - p): dy/dx = "
                                           "r / (1 - p)"),
            (dout * y, "backward multiplies dout by the output y; the derivative of "
                       "y = r x / (1 - p) with respect to x is r / (1 - p)"),
        ])

    @chk.case("dnnlib.gradcheck.check_gradients(layer, x) in training mode (float64)")
    def _():
        x = np.random.default_rng(9).normal(size=(4, 5))
        layer = build(0.4, 5)
        call_forward(layer, x)  # an input modified in place is named, not blamed on gradients
        result = chk.call(check_gradients, layer, x, name="check_gradients")
        if not result.ok:
            chk.fail(f"the gradient check failed: relative error {result.max_rel_error:.1e} "
                     f"at {result.where} (the tolerance is {result.tol:.0e})")

    @chk.case("edge case: p = 0 keeps everything, y = x")
    def _():
        x = _positive(10, (5, 4))
        y = forward(build(0.0, 6), x)
        chk.expect_close(y, x)

    @chk.case("a float32 input gives a float32 output and gradient")
    def _():
        x = _positive(11, (6, 3)).astype(np.float32)
        layer = build(0.5, 7)
        y = call_forward(layer, x)
        arr = chk.expect_shape(y, x.shape, what="the output of forward(x)")
        if arr.dtype != np.float32:
            chk.fail(f"forward returned {arr.dtype} for a float32 x: the mask from "
                     "self.rng.random(...) is float64; cast it with .astype(x.dtype)")
        dx = call_backward(layer, np.ones_like(x))
        arr = chk.expect_shape(dx, x.shape, what="the output of backward(dout)")
        if arr.dtype != np.float32:
            chk.fail(f"backward returned {arr.dtype} for a float32 dout: keep the mask in "
                     "x's dtype (.astype(x.dtype))")

    return chk.run(InvertedDropout, kind="class", required=("forward", "backward"),
                   verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_dropout_preactivation_moments(dropout_preactivation_moments: Callable[..., Any], *,
                                        verbose: bool = True) -> CheckResult:
    r"""Check ``dropout_preactivation_moments(A, W, b, p) -> (mean, var)``.

    With inverted dropout on the activations ``A: (N, H)`` and the next layer
    ``Z = Ã W + b`` (``W: (H, n_next)``, ``b: (n_next,)``; :math:`W_{ij}` connects unit
    :math:`i` of the dropout layer to unit :math:`j` of the next), the moments over the
    masks are

    .. math:: \mathbb{E}[Z] = A W + \mathbf{1} b^\top, \qquad
              \operatorname{Var}[Z_{nj}] = \frac{p}{1 - p} \sum_i A_{ni}^2 W_{ij}^2,

    i.e. ``mean = A @ W + b`` and ``var = p / (1 - p) * (A**2) @ (W**2)``, both of
    shape ``(N, n_next)`` (chapter 7, where :math:`n_{l+1}` is ``n_next``).

    Examples
    --------
    >>> def moments(A, W, b, p):
    ...     return A @ W + b, p / (1 - p) * (A**2) @ (W**2)
    >>> check_dropout_preactivation_moments(moments, verbose=False).passed
    True
    """
    chk = Checker("dropout_preactivation_moments")
    fn = dropout_preactivation_moments

    def expect(seed: int, N: int, H: int, K: int, p: float) -> None:  # K = n_next
        g = np.random.default_rng(seed)
        A = np.round(np.abs(g.normal(size=(N, H))), 2)  # ReLU activations: >= 0
        W = np.round(g.normal(size=(H, K)), 2)
        b = np.round(g.normal(size=K), 2)
        got = chk.call(fn, A, W, b, p, arg_names=("A", "W", "b", "p"))
        mean, var = chk.expect_tuple(got, ("mean", "var"))
        AW = A @ W
        chk.expect_shape(mean, (N, K), what="mean", mistakes=[
            ((K,), "return one mean per example and unit of the next layer, shape "
                   "(N, n_next) = (N, W.shape[1]); do not average over the batch"),
        ])
        chk.expect_close(mean, AW + b, what="mean", mistakes=[
            ((1.0 - p) * AW + b, "E[Z] has no factor (1 - p): inverted dropout keeps the "
                                 "mean, E[r_i / (1 - p)] = 1, so E[Z] = A W + b"),
            (AW, "the mean lost the bias b (the bias is not dropped)"),
        ])
        want = p / (1.0 - p) * (A**2) @ (W**2)
        chk.expect_shape(var, (N, K), what="var")
        swapped = [] if p == 0 else [
            ((1.0 - p) / p * (A**2) @ (W**2), "p and 1 - p are swapped: Var[r / (1 - p)] = "
                                               "p / (1 - p)")]
        chk.expect_close(var, want, what="var", mistakes=swapped + [
            (p * (1.0 - p) * (A**2) @ (W**2),
             "p (1 - p) is the variance of the unscaled mask r; the mask here is r / (1 - p), "
             "whose variance is p (1 - p) / (1 - p)^2 = p / (1 - p)"),
            (p / (1.0 - p) ** 2 * (A**2) @ (W**2),
             "Var[r / (1 - p)] = p (1 - p) / (1 - p)^2 = p / (1 - p): one factor (1 - p) "
             "cancels"),
            (p / (1.0 - p) * AW**2, "you squared the sum; the masks of different units are "
                                    "independent, so their variances add: sum over i of "
                                    "A_ni^2 W_ij^2 p / (1 - p)"),
            (p / (1.0 - p) * (A**2) @ W, "each term A_ni r_i W_ij / (1 - p) has variance "
                                         "proportional to W_ij^2: square W too"),
            (p / (1.0 - p) * A @ (W**2), "each term A_ni r_i W_ij / (1 - p) has variance "
                                         "proportional to A_ni^2: square A too"),
            (p / (1.0 - p) * ((A**2) @ (W**2) + b**2), "the bias is not dropped: it adds no "
                                                        "variance"),
            (np.zeros((N, K)), "the variance is zero only for p = 0"),
        ])

    @chk.case("a batch: A (4, 5), W (5, 3), b (3,), p = 0.3")
    def _():
        expect(1, 4, 5, 3, 0.3)

    @chk.case("a single example as a batch of one: A (1, 6), W (6, 2), p = 0.8")
    def _():
        expect(2, 1, 6, 2, 0.8)

    @chk.case("edge case: p = 0 (no dropout) -> variance 0")
    def _():
        expect(3, 3, 4, 2, 0.0)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def _mc_model(seed: int) -> Any:
    from ..layers import Dense, Dropout, ReLU, Sigmoid
    from ..model import Sequential

    return Sequential(Dense(2, 16, rng=seed, dtype="float64"), ReLU(),
                      Dropout(0.5, rng=seed + 1), Dense(16, 1, rng=seed + 2, dtype="float64"),
                      Sigmoid())


def check_mc_dropout_mean_std(mc_dropout_mean_std: Callable[..., Any], *, verbose: bool = True
                              ) -> CheckResult:
    r"""Check ``mc_dropout_mean_std(model, X, n_samples) -> (mean, std)``.

    ``n_samples`` forward passes of ``model`` on ``X`` **with dropout on**, drawing
    the masks from the model's own Dropout layers; ``mean`` and ``std`` (NumPy's
    ``std``, ``ddof=0``) over the passes, each shaped like one output (``(N, 1)`` for
    one output unit), as NumPy arrays. The model must be left in the mode it was in
    (chapter 7).

    The checker compares with the same loop run on an identical model (the same
    seeds give the same masks); a different but valid way of drawing the masks is
    accepted within five standard errors.

    Examples
    --------
    >>> import dnnlib as dl
    >>> def mc(model, X, n_samples):
    ...     was = model.training
    ...     model.train()
    ...     s = np.stack([dl.to_numpy(model(X)) for _ in range(n_samples)])
    ...     model.train(was)
    ...     return s.mean(axis=0), s.std(axis=0)
    >>> check_mc_dropout_mean_std(mc, verbose=False).passed
    True
    """
    chk = Checker("mc_dropout_mean_std")
    fn = mc_dropout_mean_std

    def reference(seed: int, X: np.ndarray, T: int) -> np.ndarray:
        model = _mc_model(seed).train()
        return np.stack([np.asarray(model(X)) for _ in range(T)])

    def run(seed: int, N: int, T: int, training: bool) -> None:
        X = np.random.default_rng(seed).normal(size=(N, 2))
        model = _mc_model(seed).train(training)
        got = chk.call(fn, model, X, T, arg_names=("model", "X", "n_samples"))
        mean, std = chk.expect_tuple(got, ("mean", "std"))
        mean, std = chk.expect_array(mean, what="mean"), chk.expect_array(std, what="std")
        samples = reference(seed, X, T)
        for name, arr in (("mean", mean), ("std", std)):
            chk.expect_shape(arr, (N, 1), what=name, mistakes=[
                ((T, N, 1), f"{name} still has one entry per pass: reduce over the passes "
                            "(axis 0)"),
                ((N,), f"keep the output's shape (N, 1) for {name}"),
                ((T, 1), f"{name} was reduced over the examples: reduce over the passes "
                         "(axis 0)"),
            ])
        if model.training != training:
            chk.fail(f"the model was in {'training' if training else 'evaluation'} mode "
                     f"before the call and in {'training' if model.training else 'evaluation'}"
                     " mode after it: remember model.training and restore it (model.train("
                     "was_training)); a model left in training mode gives random predictions")
        eval_out = np.asarray(_mc_model(seed).eval()(X))
        if np.allclose(std, 0.0):
            if np.allclose(mean, eval_out):
                chk.fail("every pass gave the same output (std 0, mean = the eval-mode "
                         "prediction): dropout was off. Switch it on with model.train() "
                         "before the passes")
            chk.fail("std is 0: the passes must differ, each with new masks")
        want_mean, want_std = samples.mean(axis=0), samples.std(axis=0)
        if np.allclose(mean, want_mean) and np.allclose(std, want_std):
            return
        if np.allclose(mean, want_mean) and np.allclose(std, samples.std(axis=0, ddof=1)):
            chk.fail("std uses ddof=1; use the population standard deviation over the "
                     "passes (np.std's default, ddof=0)")
        if np.allclose(std, samples.var(axis=0)):
            chk.fail("you returned the variance; return its square root, the standard "
                     "deviation")
        # Other masks than the reference's loop: accept within five standard errors.
        big = reference(seed, X, 4000)
        mu, sd = big.mean(axis=0), big.std(axis=0)
        if np.allclose(mean, eval_out) and not np.allclose(mu, eval_out, atol=5 * sd /
                                                           math.sqrt(T)):
            chk.fail("mean is the eval-mode prediction, not the average of the passes")
        ok_mean = np.all(np.abs(mean - mu) <= 5.0 * sd / math.sqrt(T) + 1e-12)
        ok_std = np.all(np.abs(std - sd) <= 5.0 * sd * math.sqrt(2.0 / T) + 0.02 * sd + 1e-12)
        if not ok_mean:
            chk.fail(f"mean is not the average of the passes: expected about {mu.ravel()[:3]} "
                     f"for the first examples, got {mean.ravel()[:3]}")
        if not ok_std:
            chk.fail(f"std is not the spread of the passes: expected about {sd.ravel()[:3]} "
                     f"for the first examples, got {std.ravel()[:3]}")

    @chk.case("a model in evaluation mode (as after training): 200 passes on 5 inputs; "
              "the model stays in evaluation mode")
    def _():
        run(0, 5, 200, training=False)

    @chk.case("a model in training mode (mid-training): it stays in training mode")
    def _():
        run(10, 4, 100, training=True)

    @chk.case("edge case: one pass (n_samples = 1) -> std 0, the mean is that pass")
    def _():
        X = np.random.default_rng(20).normal(size=(3, 2))
        model = _mc_model(20).eval()
        got = chk.call(fn, model, X, 1, arg_names=("model", "X", "n_samples"))
        mean, std = chk.expect_tuple(got, ("mean", "std"))
        mean, std = chk.expect_array(mean, what="mean"), chk.expect_array(std, what="std")
        if std.shape == (3, 1) and np.all(np.isnan(std)):
            chk.fail("std is NaN for one pass: with ddof=1 it divides by n_samples - 1 = 0; "
                     "use ddof=0 (np.std's default)")
        chk.expect_shape(std, (3, 1), what="std")
        chk.expect_close(std, np.zeros((3, 1)), what="std")
        chk.expect_shape(mean, (3, 1), what="mean")
        if not np.all((mean > 0.0) & (mean < 1.0)):
            chk.fail("with one pass the mean is that pass's output, a probability in (0, 1)")

    return chk.run(fn, verbose=verbose)
