r"""Checkers for the exercises of chapter 8 (batch normalization).

* :func:`check_batchnorm_forward`: ``batchnorm_forward(x, gamma, beta, eps=1e-5) -> y``,
  the training-mode forward pass with the batch statistics,
  :math:`y = \gamma (x - \mu_\mathcal{B}) / \sqrt{\sigma^2_\mathcal{B} + \epsilon} + \beta`.
* :func:`check_batchnorm_backward`: ``batchnorm_backward(dout, x, gamma, eps=1e-5) ->
  (dx, dgamma, dbeta)``, checked with :func:`dnnlib.gradcheck.check_gradients` and
  against :class:`dnnlib.layers.BatchNorm1d`.
* :func:`check_batchnorm_eval`: ``batchnorm_eval(train_batches, x_test, gamma, beta,
  momentum=0.1, eps=1e-5) -> (y_test, running_mean, running_var)``: the running
  statistics (PyTorch's convention) and the evaluation-mode forward pass.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..gradcheck import check_gradients
from ._checker import Checker, CheckResult

__all__ = ["check_batchnorm_forward", "check_batchnorm_backward", "check_batchnorm_eval"]


def _rng_data(seed: int, *shapes: tuple[int, ...], scale: float = 1.0) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(scale * g.normal(size=s) + 0.5, 3) for s in shapes]


def _affine(seed: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed + 100)
    return np.round(g.uniform(0.5, 2.0, size=D), 2), np.round(g.normal(size=D), 2)


def _bn(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, *, axis: int = 0,
        ddof: int = 0) -> np.ndarray:
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


# --------------------------------------------------------------------------- exercise 1
def check_batchnorm_forward(batchnorm_forward: Callable[..., Any], *, verbose: bool = True
                            ) -> CheckResult:
    r"""Check ``batchnorm_forward(x, gamma, beta, eps=1e-5) -> y`` (training mode).

    ``x: (N, D)``, ``gamma, beta: (D,)``; per feature :math:`j`, over the batch,
    :math:`\mu_j = \frac1N \sum_n x_{nj}`, :math:`\sigma_j^2 = \frac1N \sum_n
    (x_{nj} - \mu_j)^2` (biased), :math:`y_{nj} = \gamma_j (x_{nj} - \mu_j) /
    \sqrt{\sigma_j^2 + \epsilon} + \beta_j` (chapter 8). Cases: a batch, a large
    ``eps`` (its place shows), a constant feature, a batch of two, and inputs left
    unmodified. The feedback names: the unbiased variance, statistics over the wrong
    axis, ``eps`` outside the square root, a forgotten ``gamma``/``beta`` or ``eps``.

    Examples
    --------
    >>> def batchnorm_forward(x, gamma, beta, eps=1e-5):
    ...     mu, var = x.mean(axis=0), x.var(axis=0)
    ...     return gamma * (x - mu) / np.sqrt(var + eps) + beta
    >>> check_batchnorm_forward(batchnorm_forward, verbose=False).passed
    True
    """
    chk = Checker("batchnorm_forward")
    fn = batchnorm_forward

    def mistakes(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
                 ) -> list[tuple[Any, str]]:
        mu, var = x.mean(axis=0), x.var(axis=0)
        out = [
            (_bn(x, gamma, beta, eps, ddof=1),
             "you used the unbiased variance (ddof=1, divide by N - 1); batch normalization "
             "normalizes with the biased batch variance, divide by N (np.var's default)"),
            (_bn(x, gamma, beta, eps, axis=1),
             "you normalized each example over its features (axis=1); batch normalization "
             "normalizes each feature over the batch: mean and variance over axis=0"),
            (gamma * (x - mu) / (np.sqrt(var) + eps) + beta,
             "eps is added outside the square root; divide by sqrt(var + eps)"),
            ((x - mu) / np.sqrt(var + eps),
             "you returned x_hat: scale by gamma and shift by beta, y = gamma * x_hat + beta"),
            (beta * (x - mu) / np.sqrt(var + eps) + gamma,
             "gamma and beta are swapped: gamma scales, beta shifts"),
            (gamma * (x - mu) / (var + eps) + beta,
             "you divided by the variance; divide by the standard deviation sqrt(var + eps)"),
            (gamma * x / np.sqrt(var + eps) + beta,
             "you forgot to subtract the batch mean mu before dividing"),
        ]
        if np.all(var > 0):
            out.append((gamma * (x - mu) / np.sqrt(var) + beta,
                        "you forgot eps: divide by sqrt(var + eps)"))
        return out

    def expect(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float | None) -> None:
        x0, g0, b0 = x, gamma, beta
        args = (x, gamma, beta) if eps is None else (x, gamma, beta, eps)
        got = chk.call(fn, *args, arg_names=("x", "gamma", "beta", "eps"))
        e = 1e-5 if eps is None else eps
        chk.expect_shape(got, x0.shape, mistakes=[
            ((x0.shape[1],), "you returned one number per feature (a statistic); return the "
                             "normalized batch, shape (N, D)"),
        ])
        chk.expect_close(got, _bn(x0, g0, b0, e), mistakes=mistakes(x0, g0, b0, e),
                         rtol=1e-6, atol=1e-9)

    @chk.case("a batch x (6, 3) with gamma, beta (3,) and the default eps")
    def _():
        (x,) = _rng_data(1, (6, 3), scale=2.0)
        gamma, beta = _affine(1, 3)
        expect(x, gamma, beta, None)

    @chk.case("a large eps = 0.5, passed as an argument (its place in the formula shows)")
    def _():
        (x,) = _rng_data(2, (5, 4))
        gamma, beta = _affine(2, 4)
        expect(x, gamma, beta, 0.5)

    @chk.case("edge case: a constant feature (variance 0) -> gamma * 0 + beta, no NaN")
    def _():
        (x,) = _rng_data(3, (4, 3))
        x[:, 1] = 2.5
        gamma, beta = _affine(3, 3)
        got = chk.call(fn, x, gamma, beta, arg_names=("x", "gamma", "beta"))
        arr = chk.expect_shape(got, x.shape)
        if not np.all(np.isfinite(arr)):
            chk.fail("NaN or infinity for the constant feature: its variance is 0, so you "
                     "divided by zero. Add eps inside the square root: sqrt(var + eps)")
        chk.expect_close(arr, _bn(x, gamma, beta, 1e-5),
                         mistakes=mistakes(x, gamma, beta, 1e-5), rtol=1e-6, atol=1e-9)

    @chk.case("edge case: a batch of two examples -> x_hat = +-1 (almost) per feature")
    def _():
        (x,) = _rng_data(4, (2, 3), scale=3.0)
        gamma, beta = _affine(4, 3)
        expect(x, gamma, beta, None)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def _bn_grads(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference gradients, from dnnlib's own BatchNorm1d (float64, training mode)."""
    from ..layers import BatchNorm1d

    layer = BatchNorm1d(x.shape[1], eps=eps, dtype="float64")
    layer.gamma.data[...] = gamma
    layer.forward(x)
    dx = layer.backward(dout)
    return np.asarray(dx), np.asarray(layer.gamma.grad), np.asarray(layer.beta.grad)


def check_batchnorm_backward(batchnorm_backward: Callable[..., Any], *, verbose: bool = True
                             ) -> CheckResult:
    r"""Check ``batchnorm_backward(dout, x, gamma, eps=1e-5) -> (dx, dgamma, dbeta)``.

    The forward pass is the training-mode one of :func:`check_batchnorm_forward` (batch
    statistics); ``dout`` is :math:`\partial L / \partial y`, shape ``(N, D)``. Each case
    compares ``dgamma``, ``dbeta`` and ``dx`` with :class:`dnnlib.layers.BatchNorm1d`'s
    backward pass, naming the likely mistake; one case runs
    :func:`dnnlib.gradcheck.check_gradients` on the reader's ``dx`` (centred finite
    differences of :math:`L = \sum_{n,j} y_{nj}\, \text{dout}_{nj}`).

    Examples
    --------
    >>> def batchnorm_backward(dout, x, gamma, eps=1e-5):
    ...     N = x.shape[0]
    ...     inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    ...     xhat = (x - x.mean(axis=0)) * inv_std
    ...     dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    ...     dx = gamma * inv_std / N * (N * dout - dbeta - xhat * dgamma)
    ...     return dx, dgamma, dbeta
    >>> check_batchnorm_backward(batchnorm_backward, verbose=False).passed
    True
    """
    chk = Checker("batchnorm_backward")
    fn = batchnorm_backward

    def expect(seed: int, N: int, D: int, eps: float | None) -> None:
        x, dout = _rng_data(seed, (N, D), (N, D), scale=1.5)
        gamma, _ = _affine(seed, D)
        e = 1e-5 if eps is None else eps
        x0, d0, g0 = x, dout, gamma
        args = (dout, x, gamma) if eps is None else (dout, x, gamma, eps)
        got = chk.call(fn, *args, arg_names=("dout", "x", "gamma", "eps"))
        dx, dgamma, dbeta = chk.expect_tuple(got, ("dx", "dgamma", "dbeta"))
        want_dx, want_dgamma, want_dbeta = _bn_grads(d0, x0, g0, e)
        mu, var = x0.mean(axis=0), x0.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + e)
        xhat = (x0 - mu) * inv_std
        chk.expect_shape(dbeta, (D,), what="dbeta", mistakes=[
            ((N, D), "dbeta must be summed over the batch (axis=0): beta is shared by all "
                     "examples"),
            ((), "dbeta summed over everything: sum over the batch only, axis=0"),
        ])
        chk.expect_close(dbeta, want_dbeta, what="dbeta", mistakes=[
            (want_dbeta / N, "you averaged dbeta over the batch: the 1/N of the mean loss is "
                             "already inside dout, so dbeta = dout.sum(axis=0)"),
        ], rtol=1e-6, atol=1e-9)
        chk.expect_shape(dgamma, (D,), what="dgamma", mistakes=[
            ((N, D), "dgamma must be summed over the batch (axis=0)"),
        ])
        chk.expect_close(dgamma, want_dgamma, what="dgamma", mistakes=[
            ((d0 * x0).sum(axis=0), "dgamma multiplies dout by x; gamma scales the "
                                    "normalized x_hat: dgamma = (dout * x_hat).sum(axis=0)"),
            (want_dbeta, "dgamma equals dbeta: gamma multiplies x_hat, so dgamma = "
                         "(dout * x_hat).sum(axis=0)"),
            (want_dgamma / N, "you averaged dgamma over the batch; sum it"),
        ], rtol=1e-6, atol=1e-9)
        chk.expect_shape(dx, (N, D), what="dx")
        dxhat = d0 * g0
        chk.expect_close(dx, want_dx, what="dx", mistakes=[
            (dxhat * inv_std, "dx treats mu and sigma^2 as constants (dx = gamma * dout / "
                              "sqrt(var + eps)): in training mode both depend on every x in "
                              "the batch, so two more paths of the graph reach x"),
            (inv_std * (dxhat - dxhat.mean(axis=0)),
             "dx follows the path through mu but not the one through sigma^2: the term "
             "- x_hat * mean(dxhat * x_hat) is missing"),
            (inv_std * (dxhat - xhat * (dxhat * xhat).mean(axis=0)),
             "dx follows the path through sigma^2 but not the one through mu: the term "
             "- mean(dxhat) over the batch is missing"),
            (inv_std * (d0 - d0.mean(axis=0) - xhat * (d0 * xhat).mean(axis=0)),
             "dx forgot gamma: the upstream gradient of x_hat is dxhat = gamma * dout"),
            (inv_std * (dxhat - dxhat.mean(axis=0) + xhat * (dxhat * xhat).mean(axis=0)),
             "the sign of the variance term is flipped: dx = (dxhat - mean(dxhat) - x_hat * "
             "mean(dxhat * x_hat)) / sqrt(var + eps)"),
        ], rtol=1e-6, atol=1e-9)

    @chk.case("a batch x (5, 4): dgamma, dbeta and dx against dnnlib's BatchNorm1d")
    def _():
        expect(1, 5, 4, None)

    @chk.case("a large eps = 0.5, passed as an argument, N = D = 3")
    def _():
        expect(2, 3, 3, 0.5)

    @chk.case("edge case: a batch of two examples")
    def _():
        expect(3, 2, 3, None)

    @chk.case("dnnlib.gradcheck.check_gradients: your dx against centred finite differences")
    def _():
        x, dout = _rng_data(4, (6, 3), (6, 3), scale=2.0)
        gamma, beta = _affine(4, 3)

        def loss(x_: np.ndarray) -> float:
            return float(np.sum(_bn(x_, gamma, beta, 1e-5) * dout))

        def grad(x_: np.ndarray) -> Any:
            got = chk.call(fn, dout, x_, gamma, arg_names=("dout", "x", "gamma"))
            dx = chk.expect_tuple(got, ("dx", "dgamma", "dbeta"))[0]
            arr = chk.expect_shape(dx, x_.shape, what="dx")
            return arr.astype(np.float64)

        result = check_gradients(loss, x, grad=grad, tol=1e-6)
        if not result.ok:
            chk.fail(f"the gradient check failed: relative error {result.max_rel_error:.1e} "
                     f"(tolerance {result.tol:.0e}), worst at {result.where}")

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def _running(batches: Sequence[np.ndarray], momentum: float, *, unbiased: bool = True,
             pytorch: bool = True, var0: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    D = batches[0].shape[1]
    rm, rv = np.zeros(D), np.full(D, var0)
    for b in batches:
        m, v = b.mean(axis=0), b.var(axis=0, ddof=1 if unbiased else 0)
        if pytorch:
            rm, rv = (1 - momentum) * rm + momentum * m, (1 - momentum) * rv + momentum * v
        else:
            rm, rv = momentum * rm + (1 - momentum) * m, momentum * rv + (1 - momentum) * v
    return rm, rv


def check_batchnorm_eval(batchnorm_eval: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    r"""Check ``batchnorm_eval(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5)``.

    The function starts from ``running_mean = 0`` and ``running_var = 1`` (shape
    ``(D,)``), updates them after each training batch ``b`` (a list of ``(N_k, D)``
    arrays) as PyTorch does,

    .. math:: \mu_{\text{run}} \leftarrow (1 - \nu)\, \mu_{\text{run}} + \nu\, \mu_b,
              \qquad \sigma^2_{\text{run}} \leftarrow (1 - \nu)\, \sigma^2_{\text{run}}
              + \nu\, \tfrac{N_k}{N_k - 1} \sigma_b^2,

    with :math:`\nu` = ``momentum`` (chapter 8, {eq}`eq-bn-running`), and returns
    ``(y_test, running_mean, running_var)`` with the evaluation-mode output
    :math:`y = \gamma (x - \mu_{\text{run}}) / \sqrt{\sigma^2_{\text{run}} + \epsilon} +
    \beta` for ``x_test``. The feedback names: the biased variance in the running update, the
    momentum convention reversed (Keras's), a plain average, and the test batch's own
    statistics (or the last training batch's) used in evaluation mode.

    Examples
    --------
    >>> def batchnorm_eval(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
    ...     D = x_test.shape[1]
    ...     rm, rv = np.zeros(D), np.ones(D)
    ...     for b in train_batches:
    ...         rm = (1 - momentum) * rm + momentum * b.mean(axis=0)
    ...         rv = (1 - momentum) * rv + momentum * b.var(axis=0, ddof=1)
    ...     return gamma * (x_test - rm) / np.sqrt(rv + eps) + beta, rm, rv
    >>> check_batchnorm_eval(batchnorm_eval, verbose=False).passed
    True
    """
    chk = Checker("batchnorm_eval")
    fn = batchnorm_eval

    def expect(seed: int, sizes: Sequence[int], D: int, n_test: int, momentum: float | None,
               eps: float | None) -> None:
        g = np.random.default_rng(seed)
        batches = [np.round(g.normal(loc=2.0, scale=3.0, size=(n, D)), 3) for n in sizes]
        x_test = np.round(g.normal(loc=2.0, scale=3.0, size=(n_test, D)), 3)
        gamma, beta = _affine(seed, D)
        m = 0.1 if momentum is None else momentum
        e = 1e-5 if eps is None else eps
        saved = batches, x_test, gamma, beta
        kwargs = {}
        if momentum is not None:
            kwargs["momentum"] = momentum
        if eps is not None:
            kwargs["eps"] = eps
        got = chk.call(fn, batches, x_test, gamma, beta, **kwargs,
                       arg_names=("train_batches", "x_test", "gamma", "beta"))
        y, rm, rv = chk.expect_tuple(got, ("y_test", "running_mean", "running_var"))
        bs, xt, gm, bt = saved
        want_rm, want_rv = _running(bs, m)
        chk.expect_shape(rm, (D,), what="running_mean")
        chk.expect_close(rm, want_rm, what="running_mean", mistakes=[
            (_running(bs, 1 - m)[0], "wrong momentum convention: in PyTorch (and dnnlib) "
                                     "momentum is the weight of the NEW batch statistic, "
                                     "running_mean = (1 - momentum) * running_mean + "
                                     "momentum * mu_batch (Keras "
                                     "writes it the other way round)"),
            (np.mean([b.mean(axis=0) for b in bs], axis=0),
             "you averaged the batch means; the running mean is an exponential moving "
             "average, running_mean = (1 - momentum) * running_mean + momentum * "
             "mu_batch, starting from 0"),
            (bs[-1].mean(axis=0), "running_mean is the last batch's mean; it must average "
                                  "over all batches: running_mean = (1 - momentum) "
                                  "* running_mean + momentum * mu_batch"),
        ], rtol=1e-6, atol=1e-9)
        chk.expect_shape(rv, (D,), what="running_var")
        chk.expect_close(rv, want_rv, what="running_var", mistakes=[
            (_running(bs, m, unbiased=False)[1],
             "running_var uses the biased batch variance (divide by N); PyTorch's running "
             "variance uses the unbiased one, var * N / (N - 1) (np.var(..., ddof=1)), "
             "while the training forward pass normalizes with the biased one"),
            (_running(bs, 1 - m)[1], "wrong momentum convention: momentum is the weight of "
                                     "the NEW batch statistic, running_var = (1 - "
                                     "momentum) * running_var + momentum * var_batch"),
            (_running(bs, m, var0=0.0)[1], "running_var starts at 1 (and running_mean at 0), "
                                           "as in PyTorch"),
            (np.sqrt(want_rv), "you tracked the standard deviation; running_var holds the "
                               "variance"),
        ], rtol=1e-6, atol=1e-9)
        y_mistakes: list[tuple[Any, str]] = [
            (_bn(xt, gm, bt, e), "you normalized x_test with its own batch statistics "
                                 "(training mode); evaluation mode uses the running "
                                 "statistics, so each example's output depends on it alone"),
            (gm * (xt - bs[-1].mean(axis=0)) / np.sqrt(bs[-1].var(axis=0) + e) + bt,
             "you normalized with the last training batch's statistics; use the running "
             "statistics"),
            (gm * (xt - want_rm) / np.sqrt(want_rv) + bt,
             "you forgot eps: divide by sqrt(running_var + eps)"),
            ((xt - want_rm) / np.sqrt(want_rv + e), "you forgot gamma and beta: "
                                                    "y = gamma * x_hat + beta"),
        ]
        if n_test > 1:
            y_mistakes.append((_bn(xt, gm, bt, e, ddof=1),
                               "you normalized x_test with its own (unbiased) statistics; "
                               "evaluation mode uses the running statistics"))
        chk.expect_shape(y, xt.shape, what="y_test")
        chk.expect_close(y, gm * (xt - want_rm) / np.sqrt(want_rv + e) + bt, what="y_test",
                         mistakes=y_mistakes, rtol=1e-6, atol=1e-9)

    @chk.case("three training batches of 4 examples (D = 3), a test batch of 5")
    def _():
        expect(1, [4, 4, 4], 3, 5, None, None)

    @chk.case("momentum = 0.5 and eps = 0.5 passed as arguments, batches of 6, 3 and 5")
    def _():
        expect(2, [6, 3, 5], 2, 4, 0.5, 0.5)

    @chk.case("edge case: one test example, x_test of shape (1, 4)")
    def _():
        expect(3, [8, 8], 4, 1, None, None)

    return chk.run(fn, verbose=verbose)
