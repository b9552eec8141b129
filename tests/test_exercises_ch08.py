"""The chapter 8 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers, each with the message it must
get; the reference solutions pass; untouched stubs are "not attempted yet".
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from dnnlib.exercises import ch08


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


def test_doctests():
    res = doctest.testmod(ch08, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


# --------------------------------------------------------------------------- forward
def fwd_ok(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def fwd_stub(x, gamma, beta, eps=1e-5):
    raise NotImplementedError


def _fwd_inplace(x, gamma, beta, eps=1e-5):
    y = fwd_ok(x, gamma, beta, eps)
    x -= x.mean(axis=0)
    return y


FWD_WRONG = {
    "unbiased variance": (lambda x, g, b, eps=1e-5: g * (x - x.mean(0)) / np.sqrt(
        x.var(0, ddof=1) + eps) + b, "unbiased variance"),
    "axis 1": (lambda x, g, b, eps=1e-5: g * (x - x.mean(1, keepdims=True)) / np.sqrt(
        x.var(1, keepdims=True) + eps) + b, "over the batch: mean and variance over axis=0"),
    "eps outside": (lambda x, g, b, eps=1e-5: g * (x - x.mean(0)) / (np.sqrt(x.var(0)) + eps)
                    + b, "outside the square root"),
    "no gamma beta": (lambda x, g, b, eps=1e-5: (x - x.mean(0)) / np.sqrt(x.var(0) + eps),
                      "you returned x_hat"),
    "swapped": (lambda x, g, b, eps=1e-5: b * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + g,
                "gamma and beta are swapped"),
    "no eps": (lambda x, g, b, eps=1e-5: g * (x - x.mean(0)) / np.sqrt(x.var(0)) + b,
               "forgot eps"),
    "ignores eps argument": (lambda x, g, b, eps=1e-5: fwd_ok(x, g, b),
                             "the output of batchnorm_forward is wrong: at ["),
    "variance not std": (lambda x, g, b, eps=1e-5: g * (x - x.mean(0)) / (x.var(0) + eps) + b,
                         "divided by the variance"),
    "statistics": (lambda x, g, b, eps=1e-5: x.mean(0), "one number per feature"),
    "in place": (_fwd_inplace, "modified its input x"),
}


def test_forward_accepts_solution_and_reports_stub(capsys):
    r = ch08.check_batchnorm_forward(fwd_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."
    r = ch08.check_batchnorm_forward(fwd_stub)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


# --------------------------------------------------------------------------- backward
def _parts(x, gamma, eps):
    N = x.shape[0]
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    xhat = (x - x.mean(axis=0)) * inv_std
    return N, inv_std, xhat


def bwd_ok(dout, x, gamma, eps=1e-5):
    N, inv_std, xhat = _parts(x, gamma, eps)
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dx = gamma * inv_std / N * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def bwd_stub(dout, x, gamma, eps=1e-5):
    raise NotImplementedError


def _bwd_with(dx_fn=None, dgamma_fn=None, dbeta_fn=None):
    def f(dout, x, gamma, eps=1e-5):
        dx, dgamma, dbeta = bwd_ok(dout, x, gamma, eps)
        N, inv_std, xhat = _parts(x, gamma, eps)
        if dx_fn is not None:
            dx = dx_fn(dout * gamma, inv_std, xhat, dout)
        if dgamma_fn is not None:
            dgamma = dgamma_fn(dout, x, xhat)
        if dbeta_fn is not None:
            dbeta = dbeta_fn(dout)
        return dx, dgamma, dbeta
    return f


def _bwd_dout_inplace(dout, x, gamma, eps=1e-5):
    dout *= gamma
    N, inv_std, xhat = _parts(x, gamma, eps)
    dbeta, dgamma = dout.sum(axis=0) / gamma, (dout * xhat).sum(axis=0) / gamma
    dx = inv_std / N * (N * dout - dout.sum(0) - xhat * (dout * xhat).sum(0))
    return dx, dgamma, dbeta


BWD_WRONG = {
    "constants": (_bwd_with(dx_fn=lambda d, s, xh, dout: d * s), "treats mu and sigma^2 as "
                  "constants"),
    "no variance path": (_bwd_with(dx_fn=lambda d, s, xh, dout: s * (d - d.mean(0))),
                         "not the one through sigma^2"),
    "no mean path": (_bwd_with(dx_fn=lambda d, s, xh, dout: s * (d - xh * (d * xh).mean(0))),
                     "not the one through mu"),
    "no gamma": (_bwd_with(dx_fn=lambda d, s, xh, dout: s * (dout - dout.mean(0) - xh * (
        dout * xh).mean(0))), "dx forgot gamma"),
    "sign": (_bwd_with(dx_fn=lambda d, s, xh, dout: s * (d - d.mean(0) + xh * (d * xh).mean(0))),
             "sign of the variance term"),
    "dgamma with x": (_bwd_with(dgamma_fn=lambda dout, x, xh: (dout * x).sum(0)),
                      "dgamma multiplies dout by x"),
    "dgamma = dbeta": (_bwd_with(dgamma_fn=lambda dout, x, xh: dout.sum(0)),
                       "dgamma equals dbeta"),
    "dbeta mean": (_bwd_with(dbeta_fn=lambda dout: dout.mean(0)), "you averaged dbeta"),
    "dbeta not summed": (_bwd_with(dbeta_fn=lambda dout: dout), "summed over the batch"),
    "two values": (lambda dout, x, gamma, eps=1e-5: bwd_ok(dout, x, gamma, eps)[:2],
                   "return the 3 values as a tuple (dx, dgamma, dbeta)"),
    "a dict": (lambda dout, x, gamma, eps=1e-5: dict(zip(("dx", "dgamma", "dbeta"),
                                                          bwd_ok(dout, x, gamma, eps),
                                                          strict=True)), "returned a dict"),
    "dout edited in place": (_bwd_dout_inplace, "modified its input dout in place"),
    "dgamma as a list": (_bwd_with(dgamma_fn=lambda dout, x, xh: (dout * xh).sum(0).tolist()),
                         "dgamma is a list"),
}


def test_backward_gradcheck_case_reports_the_relative_error():
    # a dx that no named mistake describes: only the numbers can tell
    wrong = _bwd_with(dx_fn=lambda d, s, xh, dout: 1.01 * s * (d - d.mean(0) - xh * (
        d * xh).mean(0)))
    r = ch08.check_batchnorm_backward(wrong, verbose=False)
    assert r.status == "failed"
    assert "the gradient check failed: relative error" in r.text


def test_backward_accepts_solution_and_reports_stub(capsys):
    r = ch08.check_batchnorm_backward(bwd_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."
    r = ch08.check_batchnorm_backward(bwd_stub)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


# --------------------------------------------------------------------------- eval
def _eval_generic(unbiased=True, pytorch=True, var0=1.0, mode="running", eps_in=True,
                  average=False):
    def f(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
        D = x_test.shape[1]
        rm, rv = np.zeros(D), np.full(D, var0)
        means, variances = [], []
        for b in train_batches:
            mu, var = b.mean(axis=0), b.var(axis=0, ddof=1 if unbiased else 0)
            means.append(mu)
            variances.append(var)
            if pytorch:
                rm = (1 - momentum) * rm + momentum * mu
                rv = (1 - momentum) * rv + momentum * var
            else:
                rm = momentum * rm + (1 - momentum) * mu
                rv = momentum * rv + (1 - momentum) * var
        if average:
            rm = np.mean(means, axis=0)
        e = eps if eps_in else 0.0
        if mode == "running":
            m, v = rm, rv
        elif mode == "test batch":
            m, v = x_test.mean(axis=0), x_test.var(axis=0)
        else:  # last training batch
            m, v = train_batches[-1].mean(axis=0), train_batches[-1].var(axis=0)
        return gamma * (x_test - m) / np.sqrt(v + e) + beta, rm, rv
    return f


def eval_stub(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
    raise NotImplementedError


def _eval_pops(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
    D = x_test.shape[1]
    rm, rv = np.zeros(D), np.ones(D)
    while train_batches:
        b = train_batches.pop(0)
        rm = (1 - momentum) * rm + momentum * b.mean(axis=0)
        rv = (1 - momentum) * rv + momentum * b.var(axis=0, ddof=1)
    return gamma * (x_test - rm) / np.sqrt(rv + eps) + beta, rm, rv


def _eval_std(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
    y, rm, rv = _eval_generic()(train_batches, x_test, gamma, beta, momentum, eps)
    return y, rm, np.sqrt(rv)


def _eval_xtest_inplace(train_batches, x_test, gamma, beta, momentum=0.1, eps=1e-5):
    y, rm, rv = _eval_generic()(train_batches, x_test, gamma, beta, momentum, eps)
    x_test -= rm
    return y, rm, rv


EVAL_WRONG = {
    "biased running var": (_eval_generic(unbiased=False), "uses the biased batch variance"),
    "keras momentum": (_eval_generic(pytorch=False), "wrong momentum convention"),
    "batch stats in eval": (_eval_generic(mode="test batch"), "its own batch statistics"),
    "last batch stats": (_eval_generic(mode="last batch"), "last training batch"),
    "no eps": (_eval_generic(eps_in=False), "you forgot eps"),
    "var starts at 0": (_eval_generic(var0=0.0), "running_var starts at 1"),
    "plain average": (_eval_generic(average=True), "averaged the batch means"),
    "two values": (lambda *a, **k: _eval_generic()(*a, **k)[:2], "return the 3 values"),
    # the issue: a batchnorm_eval that pops its batches crashed the checker
    "pops the batches": (_eval_pops, "modified its input train_batches in place"),
    "running var as std": (_eval_std, "tracked the standard deviation"),
    "x_test edited in place": (_eval_xtest_inplace, "modified its input x_test in place"),
}


def test_eval_accepts_solution_and_reports_stub(capsys):
    r = ch08.check_batchnorm_eval(_eval_generic())
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 3
    assert out.strip().splitlines()[-1] == "All 3 checks passed."
    r = ch08.check_batchnorm_eval(eval_stub)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


def test_eval_solution_agrees_with_dnnlib_batchnorm():
    """The checker's reference is the layer's own behaviour (PyTorch semantics)."""
    from dnnlib.layers import BatchNorm1d

    g = np.random.default_rng(0)
    batches = [g.normal(size=(5, 3)) for _ in range(4)]
    x_test = g.normal(size=(2, 3))
    gamma, beta = g.uniform(0.5, 2, 3), g.normal(size=3)
    layer = BatchNorm1d(3, dtype="float64")
    layer.gamma.data[...] = gamma
    layer.beta.data[...] = beta
    for b in batches:
        layer(b)
    y = layer.eval()(x_test)
    got_y, rm, rv = _eval_generic()(batches, x_test, gamma, beta)
    np.testing.assert_allclose(rm, layer.running_mean)
    np.testing.assert_allclose(rv, layer.running_var)
    np.testing.assert_allclose(got_y, y)


TABLES = {
    "batchnorm_forward": (ch08.check_batchnorm_forward, FWD_WRONG),
    "batchnorm_backward": (ch08.check_batchnorm_backward, BWD_WRONG),
    "batchnorm_eval": (ch08.check_batchnorm_eval, EVAL_WRONG),
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
