"""The chapter 10 checkers against tables of wrong answers."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from dnnlib.exercises import ch10


def assert_feedback(result, expected):
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"


def test_doctests():
    res = doctest.testmod(ch10, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted >= 3


# --------------------------------------------------------------------------- step backward
def step_ok(dh, x, h_prev, W_ih, W_hh, b):
    h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
    delta = dh * (1 - h ** 2)
    return delta @ W_ih, delta @ W_hh, delta.T @ x, delta.T @ h_prev, delta.sum(axis=0)


def _step(delta_of, dW_hh_of=None, dh_prev_of=None, db_of=None):
    def f(dh, x, h_prev, W_ih, W_hh, b):
        h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
        d = delta_of(dh, h, h_prev)
        dW_hh = dW_hh_of(d, h, h_prev) if dW_hh_of else d.T @ h_prev
        dh_prev = dh_prev_of(d, W_hh, dh) if dh_prev_of else d @ W_hh
        db = db_of(d) if db_of else d.sum(axis=0)
        return d @ W_ih, dh_prev, d.T @ x, dW_hh, db
    return f


def _good_delta(dh, h, h_prev):
    return dh * (1 - h ** 2)


STEP_WRONG = {
    "no tanh derivative": (_step(lambda dh, h, hp: dh), "the derivative of tanh is missing"),
    "derivative at h_prev": (_step(lambda dh, h, hp: dh * (1 - hp ** 2)),
                             "tanh's derivative is taken at h_prev"),
    "1 - h": (_step(lambda dh, h, hp: dh * (1 - h)), "1 - h is not the derivative of tanh"),
    "tanh twice": (_step(lambda dh, h, hp: dh * (1 - np.tanh(h) ** 2)),
                   "you applied tanh twice"),
    "dW_hh transposed": (_step(_good_delta, dW_hh_of=lambda d, h, hp: hp.T @ d),
                         "dW_hh is transposed"),
    "dW_hh with h": (_step(_good_delta, dW_hh_of=lambda d, h, hp: d.T @ h),
                     "dW_hh pairs delta with this step's h"),
    "dh_prev with W_hh.T": (_step(_good_delta, dh_prev_of=lambda d, W, dh: d @ W.T),
                            "dh_prev uses W_hh.T"),
    "dh_prev = dh": (_step(_good_delta, dh_prev_of=lambda d, W, dh: dh),
                     "dh_prev is dh itself"),
    "db averaged": (_step(_good_delta, db_of=lambda d: d.mean(axis=0)), "you averaged db"),
    "db not summed": (_step(_good_delta, db_of=lambda d: d), "summed over the batch"),
    "dW_ih transposed": (lambda dh, x, hp, Wi, Wh, b: (lambda r: (r[0], r[1], r[2].T, r[3], r[4]))(
        step_ok(dh, x, hp, Wi, Wh, b)), "dW_ih is transposed"),
    "four values": (lambda *a: step_ok(*a)[:4], "return the 5 values"),
    "in place": (lambda dh, x, hp, Wi, Wh, b: step_ok(dh, x, hp, Wi, Wh, b)
                 if hp.fill(0.0) is None else None, "modified its input h_prev in place"),
}


def test_step_accepts_solution_and_reports_stub(capsys):
    r = ch10.check_rnn_step_backward(step_ok)
    assert r.passed and r.n_checks == 4
    assert capsys.readouterr().out.strip().endswith("All 4 checks passed.")

    def stub(dh, x, h_prev, W_ih, W_hh, b):
        raise NotImplementedError

    assert ch10.check_rnn_step_backward(stub, verbose=False).status == "not_attempted"


@pytest.mark.parametrize("name", list(STEP_WRONG))
def test_step_wrong_answers(name):
    f, msg = STEP_WRONG[name]
    assert_feedback(ch10.check_rnn_step_backward(f, verbose=False), msg)


# --------------------------------------------------------------------------- BPTT
def bptt_ok(xs, W_ih, W_hh, b, dh_last, kind="ok"):
    N, T, D = xs.shape
    hs = [np.zeros((N, W_hh.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(xs[:, t] @ W_ih.T + hs[-1] @ W_hh.T + b))
    dxs = np.zeros_like(xs)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
    g = dh_last
    for t in reversed(range(T)):
        deriv = (1 - hs[t] ** 2) if kind == "deriv_prev" else (1 - hs[t + 1] ** 2)
        delta = g * deriv
        dxs[:, t] = delta @ W_ih
        dW_ih += delta.T @ xs[:, t]
        dW_hh += delta.T @ (hs[t + 1] if kind == "h_not_prev" else hs[t])
        db += delta.sum(axis=0)
        g = (0 * g) if kind == "no_recurrence" else delta @ W_hh
        if kind == "truncated":
            break
    if kind == "reversed":
        dxs = dxs[:, ::-1]
    return dxs, dW_ih, dW_hh, db


BPTT_WRONG = {
    "truncated": ("truncated", "only the last step contributes"),
    "no recurrence": ("no_recurrence", "only the last step contributes"),
    "h_t for h_{t-1}": ("h_not_prev", "dW_hh pairs delta_t with h_t"),
    "derivative at h_{t-1}": ("deriv_prev", "tanh's derivative is taken at h_{t-1}"),
    "dxs reversed": ("reversed", "dxs is reversed in time"),
}


def test_bptt_accepts_solution_and_reports_stub():
    assert ch10.check_rnn_bptt(bptt_ok, verbose=False).passed

    def stub(xs, W_ih, W_hh, b, dh_last):
        raise NotImplementedError

    assert ch10.check_rnn_bptt(stub, verbose=False).status == "not_attempted"


@pytest.mark.parametrize("name", list(BPTT_WRONG))
def test_bptt_wrong_answers(name):
    kind, msg = BPTT_WRONG[name]

    def f(xs, W_ih, W_hh, b, dh_last):
        return bptt_ok(xs, W_ih, W_hh, b, dh_last, kind)

    assert_feedback(ch10.check_rnn_bptt(f, verbose=False), msg)


def test_bptt_other_failures():
    r = ch10.check_rnn_bptt(lambda xs, Wi, Wh, b, d: bptt_ok(xs, Wi, Wh, b, d)[1:],
                            verbose=False)
    assert_feedback(r, "return the 4 values as a tuple (dxs, dW_ih, dW_hh, db)")
    r = ch10.check_rnn_bptt(lambda xs, Wi, Wh, b, d: xs @ Wi, verbose=False)
    assert r.status == "failed" and not r.internal_errors


# --------------------------------------------------------------------------- clipping
def clip_ok(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        grads = [g * factor for g in grads]
    return grads, total


def _clip_inplace(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        for g in grads:
            g *= factor
    return grads, total


CLIP_WRONG = {
    "per array": (lambda grads, c: ([g * min(1, c / (np.linalg.norm(g) + 1e-6)) for g in grads],
                                    np.sqrt(sum(np.sum(g ** 2) for g in grads))),
                  "each array is clipped on its own"),
    "always": (lambda grads, c: ([g * c / (np.sqrt(sum(np.sum(h ** 2) for h in grads)) + 1e-6)
                                  for g in grads], np.sqrt(sum(np.sum(g ** 2) for g in grads))),
               "rescaled even though their norm is below max_norm"),
    "by value": (lambda grads, c: ([np.clip(g, -c, c) for g in grads],
                                   np.sqrt(sum(np.sum(g ** 2) for g in grads))),
                 "clipping by value"),
    "norm after": (lambda grads, c: (clip_ok(grads, c)[0],
                                     min(c, np.sqrt(sum(np.sum(g ** 2) for g in grads)))),
                   "the norm after clipping"),
    "squared norm": (lambda grads, c: (clip_ok(grads, c)[0], sum(np.sum(g ** 2) for g in grads)),
                     "the squared norm"),
    "in place": (_clip_inplace, "modified its input grads in place"),
    "array not list": (lambda grads, c: (np.concatenate([g.ravel() for g in grads]),
                                         clip_ok(grads, c)[1]), "return a list of"),
    "norm as string": (lambda grads, c: (clip_ok(grads, c)[0], str(clip_ok(grads, c)[1])),
                       "not its text"),
}


def test_clip_accepts_solution_and_reports_stub():
    assert ch10.check_clip_grad_norm(clip_ok, verbose=False).passed

    def stub(grads, max_norm):
        raise NotImplementedError

    assert ch10.check_clip_grad_norm(stub, verbose=False).status == "not_attempted"


@pytest.mark.parametrize("name", list(CLIP_WRONG))
def test_clip_wrong_answers(name):
    f, msg = CLIP_WRONG[name]
    assert_feedback(ch10.check_clip_grad_norm(f, verbose=False), msg)
