"""The chapter 9 checkers against tables of wrong answers.

For every exercise: plausible wrong answers, each with the message it must get; the
reference solutions pass; untouched stubs are "not attempted yet"; inputs modified in
place are named.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from dnnlib.exercises import ch09


def assert_feedback(result, expected):
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"


def test_doctests():
    res = doctest.testmod(ch09, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted >= 4


# --------------------------------------------------------------------------- forward
def fwd_ok(x, W, b, stride=1, padding=0):
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    L_out = (L + 2 * padding - K) // stride + 1
    z = np.zeros((N, C_out, L_out))
    for n in range(N):
        for o in range(C_out):
            for l in range(L_out):
                z[n, o, l] = np.sum(W[o] * xp[n, :, l * stride:l * stride + K]) + b[o]
    return z


def fwd_stub(x, W, b, stride=1, padding=0):
    raise NotImplementedError


def _fwd_variant(flip=False, bias=True, first_channel=False, use_stride=True, use_pad=True,
                 extra=0):
    def f(x, W, b, stride=1, padding=0):
        s = stride if use_stride else 1
        p = padding if use_pad else 0
        Wv = W[:, :, ::-1] if flip else W
        if first_channel:
            x, Wv = x[:, :1], Wv[:, :1]
        N, C_in, L = x.shape
        C_out, _, K = Wv.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
        L_out = (L + 2 * p - K) // s + 1 + extra
        z = np.zeros((N, C_out, max(L_out, 0)))
        for l in range(max(L_out, 0)):
            w = xp[:, :, l * s:l * s + K]
            if w.shape[2] < K:
                w = np.pad(w, ((0, 0), (0, 0), (0, K - w.shape[2])))
            z[:, :, l] = np.einsum("nck,ock->no", w, Wv) + (b if bias else 0.0)
        return z
    return f


def _fwd_inplace(x, W, b, stride=1, padding=0):
    z = fwd_ok(x, W, b, stride, padding)
    W *= 1.0
    W[0, 0, 0] += 1.0
    return z


FWD_WRONG = {
    "flipped kernel": (_fwd_variant(flip=True), "the kernel is flipped"),
    "no bias": (_fwd_variant(bias=False), "the bias b[o] is missing"),
    "first channel only": (_fwd_variant(first_channel=True), "only the first input channel"),
    "stride ignored": (_fwd_variant(use_stride=False), "stride ignored"),
    "padding ignored": (_fwd_variant(use_pad=False), "padding ignored"),
    "one window too few": (_fwd_variant(extra=-1), "one window too few"),
    "one window too many": (_fwd_variant(extra=1), "one window too many"),
    "returns a list": (lambda x, W, b, stride=1, padding=0: fwd_ok(x, W, b, stride,
                                                                   padding).tolist(),
                       "return a NumPy array"),
    "no return": (lambda x, W, b, stride=1, padding=0: None, "returned None"),
    "in place": (_fwd_inplace, "modified its input W in place"),
}


def test_forward_accepts_solution_and_reports_stub(capsys):
    r = ch09.check_conv1d_forward(fwd_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."
    r = ch09.check_conv1d_forward(fwd_stub)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(FWD_WRONG))
def test_forward_wrong_answers(name):
    f, msg = FWD_WRONG[name]
    assert_feedback(ch09.check_conv1d_forward(f, verbose=False), msg)


# --------------------------------------------------------------------------- backward
def bwd_ok(dout, x, W, stride=1, padding=0):
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for l in range(dout.shape[2]):
        s = l * stride
        dW += np.einsum("no,nck->ock", dout[:, :, l], xp[:, :, s:s + K])
        dxp[:, :, s:s + K] += np.einsum("no,ock->nck", dout[:, :, l], W)
    return dxp[:, :, padding:padding + L], dW, dout.sum(axis=(0, 2))


def bwd_stub(dout, x, W, stride=1, padding=0):
    raise NotImplementedError


def _bwd(change):
    def f(dout, x, W, stride=1, padding=0):
        return change(dout, x, W, stride, padding)
    return f


def _no_crop(dout, x, W, s, p):
    dx, dW, db = bwd_ok(dout, x, W, s, p)
    K = W.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    dxp = np.zeros_like(xp)
    for l in range(dout.shape[2]):
        dxp[:, :, l * s:l * s + K] += np.einsum("no,ock->nck", dout[:, :, l], W)
    return dxp, dW, db


BWD_WRONG = {
    "db averaged": (_bwd(lambda d, x, W, s, p: (*bwd_ok(d, x, W, s, p)[:2],
                                              d.mean(axis=(0, 2)))), "you averaged db"),
    "db over batch only": (_bwd(lambda d, x, W, s, p: (*bwd_ok(d, x, W, s, p)[:2],
                                                     d.sum(axis=0))), "summed over the positions"),
    "dW averaged": (_bwd(lambda d, x, W, s, p: (bwd_ok(d, x, W, s, p)[0],
                                              bwd_ok(d, x, W, s, p)[1] / x.shape[0],
                                              bwd_ok(d, x, W, s, p)[2])),
                    "averaged dW over the batch"),
    "dW flipped": (_bwd(lambda d, x, W, s, p: (bwd_ok(d, x, W, s, p)[0],
                                             bwd_ok(d, x, W, s, p)[1][:, :, ::-1],
                                             bwd_ok(d, x, W, s, p)[2])), "dW is flipped"),
    "dx with the flipped kernel": (_bwd(lambda d, x, W, s, p: (
        bwd_ok(d, x, W[:, :, ::-1], s, p)[0], *bwd_ok(d, x, W, s, p)[1:])),
        "dx uses the kernel the wrong way round"),
    "dx not cropped": (_bwd(_no_crop), "dx includes the padding"),
    "dx over N": (_bwd(lambda d, x, W, s, p: (bwd_ok(d, x, W, s, p)[0] / x.shape[0],
                                            *bwd_ok(d, x, W, s, p)[1:])),
                  "divided dx by the batch size"),
    "two values": (_bwd(lambda d, x, W, s, p: bwd_ok(d, x, W, s, p)[:2]),
                   "return the 3 values as a tuple (dx, dW, db)"),
    "crashes": (_bwd(lambda d, x, W, s, p: d @ W), "Traceback"),
}


def test_backward_accepts_solution_and_reports_stub(capsys):
    r = ch09.check_conv1d_backward(bwd_ok)
    assert r.passed and r.n_checks == 4, r.text
    assert ch09.check_conv1d_backward(bwd_stub).status == "not_attempted"


@pytest.mark.parametrize("name", list(BWD_WRONG))
def test_backward_wrong_answers(name):
    f, msg = BWD_WRONG[name]
    r = ch09.check_conv1d_backward(f, verbose=False)
    if name == "crashes":
        assert r.status == "failed" and not r.internal_errors
        return
    assert_feedback(r, msg)


# --------------------------------------------------------------------------- output size
def size_ok(L, K, stride=1, padding=0):
    return (L + 2 * padding - K) // stride + 1


SIZE_WRONG = {
    "no +1": (lambda L, K, stride=1, padding=0: (L + 2 * padding - K) // stride,
              "the + 1 is missing"),
    "true division": (lambda L, K, stride=1, padding=0: (L + 2 * padding - K) / stride + 1,
                      "returned the float"),
    "padding once": (lambda L, K, stride=1, padding=0: (L + padding - K) // stride + 1,
                     "at BOTH ends"),
    "ceil": (lambda L, K, stride=1, padding=0: -((L + 2 * padding - K) // -stride) + 1,
             "rounded the division up"),
    "no stride": (lambda L, K, stride=1, padding=0: L + 2 * padding - K + 1,
                  "the stride is ignored"),
    "no padding": (lambda L, K, stride=1, padding=0: (L - K) // stride + 1, "padding ignored"),
    "float of the right value": (lambda L, K, stride=1, padding=0: float(size_ok(L, K, stride,
                                                                                 padding)),
                                 "return an int"),
    "string": (lambda L, K, stride=1, padding=0: str(size_ok(L, K, stride, padding)),
               "expected an int"),
}


def test_size_accepts_solution():
    assert ch09.check_conv_output_length(size_ok, verbose=False).passed


@pytest.mark.parametrize("name", list(SIZE_WRONG))
def test_size_wrong_answers(name):
    f, msg = SIZE_WRONG[name]
    assert_feedback(ch09.check_conv_output_length(f, verbose=False), msg)


# --------------------------------------------------------------------------- max-pool backward
def pool_ok(dout, x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    dx = np.zeros_like(x)
    for l in range(dout.shape[2]):
        w = x[:, :, l * s:l * s + kernel_size]
        k = w.argmax(axis=2)
        n, c = np.indices(k.shape)
        dx[n, c, l * s + k] += dout[:, :, l]
    return dx


def _pool_even(dout, x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    dx = np.zeros_like(x)
    for l in range(dout.shape[2]):
        dx[:, :, l * s:l * s + kernel_size] += dout[:, :, l:l + 1] / kernel_size
    return dx


def _pool_ties(dout, x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    dx = np.zeros_like(x)
    for l in range(dout.shape[2]):
        w = x[:, :, l * s:l * s + kernel_size]
        dx[:, :, l * s:l * s + kernel_size] += (w == w.max(axis=2, keepdims=True)) * \
            dout[:, :, l:l + 1]
    return dx


def _pool_assign(dout, x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    dx = np.zeros_like(x)
    for l in range(dout.shape[2]):
        w = x[:, :, l * s:l * s + kernel_size]
        k = w.argmax(axis=2)
        n, c = np.indices(k.shape)
        dx[n, c, l * s + k] = dout[:, :, l]
    return dx


def _pool_stride_ignored(dout, x, kernel_size, stride=None):
    return pool_ok(dout, x, kernel_size, None)


POOL_WRONG = {
    "spread evenly": (_pool_even, "spread evenly over the window"),
    "every tied maximum": (_pool_ties, "only the FIRST one"),
    "overwrite": (_pool_assign, "overlapping windows overwrite each other"),
    "shape of dout": (lambda dout, x, k, stride=None: dout.copy(), "shaped like dout"),
    "stride ignored": (_pool_stride_ignored, "maxpool1d_backward"),
    "modifies dout": (lambda dout, x, k, stride=None: pool_ok(dout.__imul__(1.0), x, k, stride)
                      if dout.__setitem__((0, 0, 0), 7.0) is None else None,
                      "modified its input dout in place"),
}


def test_pool_accepts_solution_and_reports_stub():
    assert ch09.check_maxpool1d_backward(pool_ok, verbose=False).passed

    def stub(dout, x, kernel_size, stride=None):
        raise NotImplementedError

    assert ch09.check_maxpool1d_backward(stub, verbose=False).status == "not_attempted"


@pytest.mark.parametrize("name", list(POOL_WRONG))
def test_pool_wrong_answers(name):
    f, msg = POOL_WRONG[name]
    assert_feedback(ch09.check_maxpool1d_backward(f, verbose=False), msg)
