"""The chapter 5 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub or hand-out as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import json
import linecache
from pathlib import Path

import numpy as np
import pytest

from dnnlib.exercises import ch05
from dnnlib.exercises._checker import _same_code
from dnnlib.layers import Layer, Parameter

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- dense_backward
def dense_backward_ok(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def dense_backward_stub(dout, x, W):
    raise NotImplementedError


def _inplace(dout, x, W):
    out = dense_backward_ok(dout, x, W)
    dout *= 0.0
    return out[0], out[1], out[2]


DENSE_WRONG = {
    "dW transposed (shape)": (lambda d, x, W: (d @ W.T, d.T @ x, d.sum(0)), "dW is transposed"),
    "dW averaged": (lambda d, x, W: (d @ W.T, x.T @ d / len(x), d.sum(0)), "divided dW by N"),
    "dW sign": (lambda d, x, W: (d @ W.T, -(x.T @ d), d.sum(0)), "sign of dW"),
    "db wrong axis": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum(1)), "wrong axis"),
    "db sum all": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum()), "summed over everything"),
    "db keepdims": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum(0, keepdims=True)), "keepdims"),
    "db not summed": (lambda d, x, W: (d @ W.T, x.T @ d, d), "shared by all examples"),
    "db averaged": (lambda d, x, W: (d @ W.T, x.T @ d, d.mean(0)), "averaged db"),
    "dx uses W": (lambda d, x, W: (d @ W if W.shape[0] == W.shape[1] else d @ W.T, x.T @ d,
                                   d.sum(0)), "dx uses W instead of W.T"),
    "dx zero": (lambda d, x, W: (np.zeros_like(x), x.T @ d, d.sum(0)), "dx is zero"),
    "two values": (lambda d, x, W: (x.T @ d, d.sum(0)), "tuple (dx, dW, db)"),
    "shape error": (lambda d, x, W: (d @ W, x.T @ d, d.sum(0)), "do not fit a matrix product"),
    "in place": (_inplace, "modified its input dout"),
}


@pytest.mark.parametrize("name", sorted(DENSE_WRONG))
def test_dense_backward_rejects_wrong_answers(name):
    fn, hint = DENSE_WRONG[name]
    r = ch05.check_dense_backward(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_dense_backward_accepts_solution_and_reports_stub(capsys):
    r = ch05.check_dense_backward(dense_backward_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 3
    assert out.strip().splitlines()[-1] == "All 3 checks passed."
    r = ch05.check_dense_backward(dense_backward_stub)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


def test_dense_backward_solution_agrees_with_dnnlib():
    from dnnlib.layers import Dense

    g = np.random.default_rng(0)
    layer = Dense(3, 2, rng=0, dtype="float64")
    x, dout = g.normal(size=(4, 3)), g.normal(size=(4, 2))
    layer(x)
    dx = layer.backward(dout)
    mine = dense_backward_ok(dout, x, layer.W.data)
    np.testing.assert_allclose(mine[0], dx)
    np.testing.assert_allclose(mine[1], layer.W.grad)
    np.testing.assert_allclose(mine[2], layer.b.grad)


# --------------------------------------------------------------------------- PReLU
def make_prelu(backward=None, *, forward=None, alpha_in_params=True, shape=None,
               dtype=np.float64):
    class PReLU(Layer):
        def __init__(self, num_features, alpha=0.25):
            super().__init__()
            self.alpha = Parameter(np.full(shape or num_features, alpha, dtype=dtype), "alpha")

        @property
        def params(self):
            return [self.alpha] if alpha_in_params else []

        def forward(self, x):
            self.cache = x
            if forward is not None:
                return forward(self, x)
            return np.where(x > 0, x, self.alpha.data * x)

        def backward(self, dout):
            return backward(self, dout)

    return PReLU


def prelu_backward_ok(self, dout):
    x = self.cache
    self.alpha.grad += np.sum(dout * np.minimum(x, 0.0), axis=0)
    return dout * np.where(x > 0, 1.0, self.alpha.data)


def _stub(self, dout):
    raise NotImplementedError


def _with(dx_rule=None, dalpha_rule=None, assign=False):
    def backward(self, dout):
        x = self.cache
        da = (dalpha_rule or (lambda x, d: np.sum(d * np.minimum(x, 0.0), axis=0)))(x, dout)
        if assign:
            self.alpha.grad = da
        else:
            self.alpha.grad = self.alpha.grad + da
        return (dx_rule or (lambda s, x, d: d * np.where(x > 0, 1.0, s.alpha.data)))(self, x,
                                                                                     dout)
    return backward


PRELU_WRONG = {
    "dx ignores alpha": (make_prelu(_with(dx_rule=lambda s, x, d: d * (x > 0))),
                         "dx ignores alpha"),
    "slopes swapped": (make_prelu(_with(dx_rule=lambda s, x, d: d * np.where(x > 0, s.alpha.data,
                                                                              1.0))),
                       "slopes are swapped"),
    "dx forgot dout": (make_prelu(_with(dx_rule=lambda s, x, d: np.where(x > 0, 1.0,
                                                                        s.alpha.data) + 0 * d)),
                       "forgot the upstream gradient"),
    "dalpha not summed": (make_prelu(_with(dalpha_rule=lambda x, d: d * np.minimum(x, 0.0))),
                          "summed over the batch"),
    "dalpha all inputs": (make_prelu(_with(dalpha_rule=lambda x, d: np.sum(d * x, axis=0))),
                          "only negative inputs depend on alpha"),
    "dalpha averaged": (make_prelu(_with(dalpha_rule=lambda x, d: np.mean(d * np.minimum(x, 0),
                                                                          axis=0))),
                        "averaged over the batch"),
    "dalpha missing": (make_prelu(_with(dalpha_rule=lambda x, d: np.zeros(x.shape[1]))),
                       "alpha.grad stayed 0"),
    "dalpha overwritten": (make_prelu(_with(assign=True)), "overwritten (=) instead of"),
    "forward is relu": (make_prelu(prelu_backward_ok, forward=lambda s, x: np.maximum(x, 0)),
                        "forward ignores alpha"),
    "alpha not a param": (make_prelu(prelu_backward_ok, alpha_in_params=False),
                          "not listed in `params`"),
    "alpha one value": (make_prelu(prelu_backward_ok, shape=(1,)), "alpha must have shape"),
    "alpha float32": (make_prelu(prelu_backward_ok, dtype=np.float32), "must be float64"),
}


@pytest.mark.parametrize("name", sorted(PRELU_WRONG))
def test_prelu_rejects_wrong_answers(name):
    cls, hint = PRELU_WRONG[name]
    r = ch05.check_prelu(cls, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_prelu_gradient_check_case_names_the_wrong_array():
    # wrong only where the value cases do not look: dx off for |x| > 4, which only the
    # wider inputs of the gradient-check case reach
    def backward(self, dout):
        x = self.cache
        self.alpha.grad += np.sum(dout * np.minimum(x, 0.0), axis=0)
        return dout * np.where(x > 0, 1.0, self.alpha.data) * np.where(np.abs(x) > 4.0, 1.5, 1)

    r = ch05.check_prelu(make_prelu(backward), verbose=False)
    assert r.status == "failed"
    assert "gradient check failed" in r.text and "input[" in r.text, r.text


def test_prelu_accepts_solution_and_reports_stub(capsys):
    assert ch05.check_prelu(make_prelu(prelu_backward_ok), verbose=False).passed
    r = ch05.check_prelu(make_prelu(_stub))
    assert r.status == "not_attempted" and "Write the backward method" in capsys.readouterr().out


# --------------------------------------------------------------------------- find the bug
def dense_tanh_ok(dout, x, W, b):
    a = np.tanh(x @ W + b)
    dz = dout * (1.0 - a**2)
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


def _variant(dx=None, dW=None, db=None, dz=None):
    def fn(dout, x, W, b):
        a = np.tanh(x @ W + b)
        z_grad = dz(dout, a) if dz else dout * (1.0 - a**2)
        return ((dx or (lambda g: g @ W.T))(z_grad if not dx else (dout, z_grad, W)),
                (dW or (lambda g: x.T @ g))(z_grad if not dW else (dout, z_grad, x)),
                (db or (lambda g: g.sum(axis=0)))(z_grad if not db else (dout, z_grad)))
    return fn


def still_buggy(dout, x, W, b):  # the hand-out with a cosmetic edit: still the dW bug
    a = np.tanh(x @ W + b)
    dz = dout * (1.0 - a * a)
    return dz @ W.T, x.T @ dout, dz.sum(axis=0)


TANH_WRONG = {
    "still the dW bug": (still_buggy, ["dW is wrong", "dx and db are right",
                                       "dW uses dout, the gradient *after* tanh"]),
    "db from dout": (_variant(db=lambda t: t[0].sum(axis=0)),
                     ["db is wrong", "dx and dW are right", "db uses dout"]),
    "dx from dout": (_variant(dx=lambda t: t[0] @ t[2].T),
                     ["dx is wrong", "dW and db are right", "dx uses dout"]),
    "dx with W": (_variant(dx=lambda t: t[1] @ t[2] if t[2].shape[0] == t[2].shape[1]
                           else t[1] @ t[2].T), ["dx is wrong", "dW and db are right"]),
    "wrong tanh derivative": (_variant(dz=lambda d, a: d * (1.0 - a)),
                              ["dx is wrong", "dW is wrong", "db is wrong", "all three"]),
    "db wrong shape": (_variant(db=lambda t: t[1].sum(axis=1)), ["db is wrong (shape"]),
    "two values": (lambda d, x, W, b: (x, W), ["tuple (dx, dW, db)"]),
}


@pytest.mark.parametrize("name", sorted(TANH_WRONG))
def test_dense_tanh_backward_names_the_wrong_gradient(name):
    fn, hints = TANH_WRONG[name]
    r = ch05.check_dense_tanh_backward(fn, verbose=False)
    assert r.status == "failed"
    for hint in hints:
        assert hint in r.text, r.text


def test_dense_tanh_backward_handout_is_not_attempted_and_fix_passes(capsys):
    r = ch05.check_dense_tanh_backward(ch05.handout_dense_tanh_backward)
    assert r.status == "not_attempted" and "code handed out" in capsys.readouterr().out
    assert ch05.check_dense_tanh_backward(dense_tanh_ok, verbose=False).passed


def _notebook_function(prefix: str, name: str) -> object:
    nb = json.loads((ROOT / "book" / "05_backpropagation.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    found = [s for s in sources if s.startswith(prefix)]
    assert len(found) == 1, found
    path = str(ROOT / f"build_{name}_tmp.py")  # inspect.getsource needs a file
    linecache.cache[path] = (len(found[0]), None, found[0].splitlines(True), path)
    ns: dict = {"np": np}
    exec(compile(found[0], path, "exec"), ns)
    return ns[name], path


def test_notebook_handout_is_the_module_handout():
    """The buggy cell of the chapter is exactly ch05.handout_dense_tanh_backward, so an
    untouched cell is reported as "not attempted yet"."""
    fn, path = _notebook_function("def dense_tanh_backward(", "dense_tanh_backward")
    try:
        assert _same_code(fn, ch05.handout_dense_tanh_backward)
    finally:
        linecache.cache.pop(path, None)
