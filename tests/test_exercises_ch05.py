"""The chapter 5 checkers against tables of wrong answers.

For every exercise (the three of the chapter and the scalar engine): at least six
plausible wrong answers, each with the message it must get; the reference solutions
pass; stubs and the untouched hand-out are "not attempted yet"; the "find the bug"
checker gives its hints in steps.
"""

from __future__ import annotations

import doctest
import json
import linecache
from pathlib import Path

import numpy as np
import pytest

from dnnlib.exercises import ch05
from dnnlib.exercises._checker import _same_code
from dnnlib.layers import Layer, Parameter

ROOT = Path(__file__).resolve().parents[1]


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


# --------------------------------------------------------------------------- dense_backward
def dense_backward_ok(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def dense_backward_stub(dout, x, W):
    raise NotImplementedError  # your code here


def _inplace(dout, x, W):
    out = dense_backward_ok(dout, x, W)
    dout *= 0.0
    return out[0], out[1], out[2]


def _dout_divided_in_place(dout, x, W):
    dout /= x.shape[0]      # "the mean": in place, so every gradient below is divided
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


DENSE_WRONG = {
    "dW transposed (shape)": (lambda d, x, W: (d @ W.T, d.T @ x, d.sum(0)), "dW is transposed"),
    "dW averaged": (lambda d, x, W: (d @ W.T, x.T @ d / len(x), d.sum(0)),
                    "dW is wrong. Likely mistake: you divided dW by N"),
    "dW sign": (lambda d, x, W: (d @ W.T, -(x.T @ d), d.sum(0)), "sign of dW"),
    "db wrong axis": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum(1)), "wrong axis"),
    "db sum all": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum()), "summed over everything"),
    "db keepdims": (lambda d, x, W: (d @ W.T, x.T @ d, d.sum(0, keepdims=True)), "keepdims"),
    "db not summed": (lambda d, x, W: (d @ W.T, x.T @ d, d), "shared by all examples"),
    "db averaged": (lambda d, x, W: (d @ W.T, x.T @ d, d.mean(0)), "averaged db"),
    "dx uses W": (lambda d, x, W: (d @ W if W.shape[0] == W.shape[1] else d @ W.T, x.T @ d,
                                   d.sum(0)), "dx uses W instead of W.T"),
    "dx zero": (lambda d, x, W: (np.zeros_like(x), x.T @ d, d.sum(0)), "dx is zero"),
    "dx divided by N": (lambda d, x, W: (d @ W.T / len(x), x.T @ d, d.sum(0)),
                        "you divided dx by N"),
    "two values": (lambda d, x, W: (x.T @ d, d.sum(0)), "tuple (dx, dW, db)"),
    "a dict": (lambda d, x, W: dict(zip(("dx", "dW", "db"), dense_backward_ok(d, x, W),
                                        strict=True)), "returned a dict of 3 items"),
    "dW as a list": (lambda d, x, W: (d @ W.T, (x.T @ d).tolist(), d.sum(0)),
                     "dW is a list"),
    "shape error": (lambda d, x, W: (d @ W, x.T @ d, d.sum(0)), "do not fit a matrix product"),
    "in place": (_inplace, "modified its input dout"),
    # the issue: `dout /= N` (in place) was reported as "you divided dW by N"
    "dout /= N in place": (_dout_divided_in_place, (["modified its input dout in place"],
                                                    ["you divided dW by N"])),
}


# --------------------------------------------------------------------------- PReLU
def make_prelu(backward=None, *, forward=None, alpha_in_params=True, shape=None,
               dtype=np.float64, as_list=False):
    class PReLU(Layer):
        def __init__(self, num_features, alpha=0.25):
            super().__init__()
            if as_list:  # the issue: Parameter([a] * D) crashed the checker
                self.alpha = Parameter([alpha] * num_features, "alpha")
            else:
                self.alpha = Parameter(np.full(shape or num_features, alpha, dtype=dtype),
                                       "alpha")

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


class PReLUStub(Layer):
    """The notebook's hand-out: forward given, backward to write."""

    def __init__(self, num_features, alpha=0.25):
        super().__init__()
        self.alpha = Parameter(np.full(num_features, alpha), "alpha")

    @property
    def params(self):
        return [self.alpha]

    def forward(self, x):
        self.cache = x
        return np.where(x > 0, x, self.alpha.data * x)

    def backward(self, dout):
        raise NotImplementedError  # your code here


def _backward_dout_inplace(self, dout):
    x = self.cache
    self.alpha.grad += np.sum(dout * np.minimum(x, 0.0), axis=0)
    dout *= np.where(x > 0, 1.0, self.alpha.data)
    return dout


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
    "Parameter([alpha] * D)": (make_prelu(prelu_backward_ok, as_list=True),
                               "alpha.data is a list of 3 items, not a NumPy array"),
    "an instance, not the class": (make_prelu(prelu_backward_ok)(3),
                                   "expected the class itself, got an instance"),
    "backward edits dout in place": (make_prelu(_backward_dout_inplace),
                                     "PReLU.backward modified its input dout in place"),
    "dx as a list": (make_prelu(_with(dx_rule=lambda s, x, d: (d * np.where(
        x > 0, 1.0, s.alpha.data)).tolist())), "dx is a list"),
}


# --------------------------------------------------------------------------- find the bug
def dense_tanh_ok(dout, x, W, b):
    a = np.tanh(x @ W + b)
    dz = dout * (1.0 - a**2)
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


def _variant(dx=None, dW=None, db=None, dz=None):
    def fn(dout, x, W, b):
        a = np.tanh(x @ W + b)
        z_grad = dz(dout, a, x @ W + b) if dz else dout * (1.0 - a**2)
        return ((dx or (lambda g: g @ W.T))(z_grad if not dx else (dout, z_grad, W)),
                (dW or (lambda g: x.T @ g))(z_grad if not dW else (dout, z_grad, x)),
                (db or (lambda g: g.sum(axis=0)))(z_grad if not db else (dout, z_grad)))
    return fn


def still_buggy(dout, x, W, b):  # the hand-out with a renamed variable: still the dW bug
    a = np.tanh(x @ W + b)
    dpre = dout * (1.0 - a**2)
    return dpre @ W.T, x.T @ dout, dpre.sum(axis=0)


FIX = "dW uses dout, the gradient *after* tanh"

# without hint=True: which gradient is wrong and by how much, never the fix
TANH_WRONG = {
    # the issue: renaming dz printed the full diagnosis and the fix
    "renamed dz, still the dW bug": (still_buggy, ([
        "still returns what the hand-out returns", "dW is wrong (relative error",
        "dx and db are right", "hint=True"], [FIX])),
    "db from dout": (_variant(db=lambda t: t[0].sum(axis=0)),
                     (["db is wrong", "dx and dW are right"], ["db uses dout"])),
    "dx from dout": (_variant(dx=lambda t: t[0] @ t[2].T),
                     (["dx is wrong", "dW and db are right"], ["dx uses dout"])),
    "dx with W": (_variant(dx=lambda t: t[1] @ t[2] if t[2].shape[0] == t[2].shape[1]
                           else t[1] @ t[2].T), ["dx is wrong", "dW and db are right"]),
    "wrong tanh derivative": (_variant(dz=lambda d, a, z: d * (1.0 - a)),
                              ["dx is wrong", "dW is wrong", "db is wrong"]),
    "db wrong shape": (_variant(db=lambda t: t[1].sum(axis=1)), ["db is wrong (shape"]),
    "two values": (lambda d, x, W, b: (x, W), ["tuple (dx, dW, db)"]),
    "in place": (lambda d, x, W, b: (lambda a: (d.__imul__(1 - a**2), (d @ W.T, x.T @ d,
                                                                       d.sum(0)))[1])(
        np.tanh(x @ W + b)), "modified its input dout in place"),
}

# with hint=True: the likely mistake and its fix
TANH_WRONG_HINT = {
    "renamed dz, still the dW bug": (still_buggy, FIX),
    "db from dout": (_variant(db=lambda t: t[0].sum(axis=0)), "db uses dout"),
    "dx from dout": (_variant(dx=lambda t: t[0] @ t[2].T), "dx uses dout"),
    "1 - a instead of 1 - a**2": (_variant(dz=lambda d, a, z: d * (1.0 - a)),
                                  "not 1 - a"),
    "the sigmoid's derivative": (_variant(dz=lambda d, a, z: d * a * (1.0 - a)),
                                 "the sigmoid's"),
    "1 - z**2": (_variant(dz=lambda d, a, z: d * (1.0 - z**2)), "with the input z"),
}


# --------------------------------------------------------------------------- scalar engine
MUL_OK = "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad"
TANH_OK = "self.grad += (1 - t**2) * out.grad"
STUB = "raise NotImplementedError  # your code here"


def make_value(mul=MUL_OK, tanh=TANH_OK, tag="ok"):
    """The hand-out with the two _backward bodies filled in (as in a notebook cell)."""
    src = ch05.HANDOUT_VALUE.replace(STUB, mul, 1).replace(STUB, tanh, 1)
    path = str(ROOT / f"value_cell_{tag}_tmp.py")  # inspect.getsource needs a file
    linecache.cache[path] = (len(src), None, src.splitlines(True), path)
    ns: dict = {}
    exec(compile(src, path, "exec"), ns)
    return ns["Value"]


VALUE_WRONG = {
    "mul operands swapped": (make_value(mul="self.grad += self.data * out.grad\n"
                                            "            other.grad += other.data * out.grad",
                                        tag="swap"), "the operands are swapped"),
    "mul without out.grad": (make_value(mul="self.grad += other.data\n"
                                            "            other.grad += self.data", tag="noout"),
                             "missing the factor out.grad"),
    "mul with = not +=": (make_value(mul="self.grad = other.data * out.grad\n"
                                         "            other.grad = self.data * out.grad",
                                     tag="assign"), "kept only one of its two contributions"),
    "mul updates one operand": (make_value(mul="self.grad += other.data * out.grad",
                                           tag="one"), "updates BOTH operands"),
    "mul as for +": (make_value(mul="self.grad += out.grad\n            other.grad += out.grad",
                                tag="add"), "that is the derivative of a + b"),
    "tanh with the input": (make_value(tanh="self.grad += (1 - self.data**2) * out.grad",
                                       tag="input"), "you used the input"),
    "tanh without out.grad": (make_value(tanh="self.grad += 1 - t**2", tag="tnoout"),
                              "x.grad is missing the factor out.grad"),
    "tanh with =": (make_value(tanh="self.grad = (1 - t**2) * out.grad", tag="tassign"),
                    "kept only one of the two uses"),
    "tanh sigmoid's derivative": (make_value(tanh="self.grad += t * (1 - t) * out.grad",
                                             tag="sig"), "the sigmoid's derivative"),
    "tanh without the square": (make_value(tanh="self.grad += (1 - t) * out.grad", tag="sq"),
                                "the square is missing"),
    "tanh still a stub": (make_value(tanh=STUB, tag="tstub"),
                          "_backward inside Value.tanh is not written yet"),
    "an instance": (make_value()(1.0), "expected the class itself, got an instance"),
}

TABLES = {
    "dense_backward": (ch05.check_dense_backward, DENSE_WRONG),
    "PReLU": (ch05.check_prelu, PRELU_WRONG),
    "dense_tanh_backward": (ch05.check_dense_tanh_backward, TANH_WRONG),
    "dense_tanh_backward(hint=True)": (
        lambda f, verbose: ch05.check_dense_tanh_backward(f, hint=True, verbose=verbose),
        TANH_WRONG_HINT),
    "Value": (ch05.check_value_engine, VALUE_WRONG),
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


# --------------------------------------------------------------------------- solutions, stubs
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


def test_prelu_gradient_check_case_names_the_wrong_array():
    # wrong only where the value cases do not look: dx off for |x| > 4, which only the
    # wider inputs of the gradient-check case reach
    def backward(self, dout):
        x = self.cache
        self.alpha.grad += np.sum(dout * np.minimum(x, 0.0), axis=0)
        return dout * np.where(x > 0, 1.0, self.alpha.data) * np.where(np.abs(x) > 4.0, 1.5, 1)

    r = ch05.check_prelu(make_prelu(backward), verbose=False)
    assert_feedback(r, ["gradient check failed", "input["])


def test_prelu_accepts_solution_and_reports_stub(capsys):
    assert ch05.check_prelu(make_prelu(prelu_backward_ok), verbose=False).passed
    r = ch05.check_prelu(PReLUStub)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "Write the backward method" in out
    assert "checking" not in out


def test_dense_tanh_backward_handout_is_not_attempted_and_fix_passes(capsys):
    r = ch05.check_dense_tanh_backward(ch05.handout_dense_tanh_backward)
    assert r.status == "not_attempted" and "code handed out" in capsys.readouterr().out
    assert ch05.check_dense_tanh_backward(dense_tanh_ok, verbose=False).passed
    assert ch05.check_dense_tanh_backward(dense_tanh_ok, hint=True, verbose=False).passed


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


def test_value_engine_reference_passes_and_stub_is_not_attempted(capsys):
    from dnnlib.autograd import Value

    r = ch05.check_value_engine(make_value())
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 8 and out.strip().endswith("All 8 checks passed.")
    assert ch05.check_value_engine(Value, verbose=False).passed   # dnnlib's own engine
    r = ch05.check_value_engine(make_value(mul=STUB, tanh=STUB, tag="stub"))
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "_backward inside Value.__mul__" in out
    assert "checking" not in out


def test_notebook_value_cell_is_the_module_handout():
    """The reader's cell of the scalar-engine exercise is ch05.HANDOUT_VALUE verbatim."""
    nb = json.loads((ROOT / "book" / "05_backpropagation.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    found = [s for s in sources if "class Value:" in s and "NotImplementedError" in s]
    if not found:
        pytest.skip("chapter 5 has no scalar-engine exercise yet (issue 15, phase 2: "
                    "/work/helpers/new_exercises/ch05_value_engine.md)")
    assert found[0].strip() == ch05.HANDOUT_VALUE.strip()


def test_tiny_mlp_trains_with_the_readers_engine():
    losses, params = ch05.train_tiny_mlp(make_value())
    assert len(losses) == 30 and len(params) == 13
    assert losses[-1] < 0.2 * losses[0]


def test_doctests():
    res = doctest.testmod(ch05, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
