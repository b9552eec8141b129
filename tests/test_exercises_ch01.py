"""The chapter 1 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dnnlib.exercises import ch01
from dnnlib.exercises._checker import Checker, _same_code

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- dense_forward
def dense_ok(x, W, b):
    return x @ W + b


def dense_stub(x, W, b):
    raise NotImplementedError


DENSE_WRONG = {
    "no bias": (lambda x, W, b: x @ W, "you forgot the bias b"),
    "transposed W": (lambda x, W, b: x @ W.T + b, "transpose"),
    "activation": (lambda x, W, b: np.maximum(x @ W + b, 0.0), "applied an activation"),
    "transposed output": (lambda x, W, b: (x @ W + b).T, "transposed"),
    "squeezed batch": (lambda x, W, b: np.squeeze(x @ W + b), "dropped the batch axis"),
    "in place": (lambda x, W, b: _inplace(x, W, b), "modified its input"),
    "returns None": (lambda x, W, b: None, "forget the `return`"),
    "returns a list": (lambda x, W, b: (x @ W + b).tolist(), "return a NumPy array"),
}


def _inplace(x, W, b):
    z = x @ W + b
    x *= 2.0
    return z


@pytest.mark.parametrize("name", sorted(DENSE_WRONG))
def test_dense_forward_rejects_wrong_answers(name):
    fn, hint = DENSE_WRONG[name]
    r = ch01.check_dense_forward(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_dense_forward_accepts_solution_and_reports_stub(capsys):
    r = ch01.check_dense_forward(dense_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 5
    assert out.strip().splitlines()[-1] == "All 5 checks passed."
    r = ch01.check_dense_forward(dense_stub)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out
    assert "checking" not in out  # stops at once, no list of failures


def test_dense_forward_shape_error_is_explained():
    r = ch01.check_dense_forward(lambda x, W, b: W @ x + b, verbose=False)
    assert r.status == "failed"
    assert "do not fit a matrix product" in r.text


# --------------------------------------------------------------------------- count_parameters
def count_ok(sizes):
    return sum(a * b + b for a, b in pairwise(sizes))


COUNT_WRONG = {
    "weights only": (lambda s: sum(a * b for a, b in pairwise(s)),
                     "counted the weights only"),
    "input biases": (lambda s: count_ok(s) + s[0], "input layer biases too"),
    "units": (lambda s: sum(s), "counted units, not parameters"),
    "float": (lambda s: float(count_ok(s)), "return an int"),
    "no output layer": (lambda s: count_ok(list(s)[:-1]), "left out the output layer"),
    "(n_in+1)(n_out+1)": (lambda s: sum((a + 1) * (b + 1) for a, b in pairwise(s)),
                          "extra unit"),
}


@pytest.mark.parametrize("name", sorted(COUNT_WRONG))
def test_count_parameters_rejects_wrong_answers(name):
    fn, hint = COUNT_WRONG[name]
    r = ch01.check_count_parameters(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_count_parameters_accepts_solution_and_matches_dnnlib():
    assert ch01.check_count_parameters(count_ok, verbose=False).passed
    from dnnlib.layers import Dense, ReLU
    from dnnlib.model import Sequential

    m = Sequential(Dense(784, 128, rng=0), ReLU(), Dense(128, 10, rng=0))
    assert count_ok([784, 128, 10]) == m.num_params() == 101770


def test_count_parameters_stub():
    def count_parameters(sizes):
        raise NotImplementedError

    assert ch01.check_count_parameters(count_parameters, verbose=False).status == \
        "not_attempted"


# --------------------------------------------------------------------------- two_layer_forward
def two_ok(X, W1, b1, W2, b2):
    return np.maximum(0.0, X @ W1 + b1) @ W2 + b2


TWO_WRONG = {
    "no relu": (lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2, "removed the ReLU"),
    "no b1": (lambda X, W1, b1, W2, b2: np.maximum(0.0, X @ W1) @ W2 + b2, "lost its bias b1"),
    "relu on output": (lambda X, W1, b1, W2, b2: np.maximum(0.0, two_ok(X, W1, b1, W2, b2)),
                       "no activation"),
    "transposed output": (lambda X, W1, b1, W2, b2: two_ok(X, W1, b1, W2, b2).T, "transposed"),
    # a "fix" that only works when N = D = H: still W1 @ X
    "still W1 @ X": (lambda X, W1, b1, W2, b2: np.maximum(0.0, W1 @ X + b1) @ W2 + b2
                     if X.ndim == 2 and X.shape[0] == W1.shape[1] else two_ok(X, W1, b1, W2, b2),
                     "still W1 @ X"),
}


@pytest.mark.parametrize("name", sorted(TWO_WRONG))
def test_two_layer_forward_rejects_wrong_answers(name):
    fn, hint = TWO_WRONG[name]
    r = ch01.check_two_layer_forward(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


def test_two_layer_forward_handout_is_not_attempted_and_solution_passes():
    r = ch01.check_two_layer_forward(ch01.handout_two_layer_forward, verbose=False)
    assert r.status == "not_attempted"
    assert ch01.check_two_layer_forward(two_ok, verbose=False).passed


def test_two_layer_forward_handout_with_a_tiny_edit_is_checked():
    def two_layer_forward(X, W1, b1, W2, b2):
        A1 = np.maximum(0.0, W1 @ X + b1) + 0.0
        return A1 @ W2 + b2

    r = ch01.check_two_layer_forward(two_layer_forward, verbose=False)
    assert r.status == "failed" and "do not fit a matrix product" in r.text


def test_notebook_handout_is_the_module_handout():
    """The buggy cell of the chapter is exactly ch01.handout_two_layer_forward, so an
    untouched cell is reported as "not attempted yet"."""
    nb = json.loads((ROOT / "book" / "01_architecture.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    handout = [s for s in sources if s.startswith("def two_layer_forward(")]
    assert len(handout) == 1
    path = ROOT / "build_handout_tmp.py"  # inspect.getsource needs a file
    ns: dict = {"np": np}
    code = compile(handout[0], str(path), "exec")
    import linecache

    linecache.cache[str(path)] = (len(handout[0]), None, handout[0].splitlines(True), str(path))
    try:
        exec(code, ns)
        assert _same_code(ns["two_layer_forward"], ch01.handout_two_layer_forward)
    finally:
        linecache.cache.pop(str(path), None)


# --------------------------------------------------------------------------- machinery
def test_checker_not_callable_and_exception_feedback(capsys):
    r = ch01.check_dense_forward(42)
    assert r.status == "failed" and "expected a function" in capsys.readouterr().out

    def boom(x, W, b):
        raise KeyError("oops")

    r = ch01.check_dense_forward(boom, verbose=False)
    assert "raised KeyError" in r.text


def test_checker_result_is_silent_in_notebooks_and_has_a_summary():
    chk = Checker("f")

    @chk.case("c")
    def _():
        chk.expect_equal(chk.call(lambda: 3), 3)

    r = chk.run(verbose=False)
    assert r.passed and bool(r) and str(r) == "f: passed (1/1 checks)"
    assert r._ipython_display_() is None


def test_checker_nan_feedback():
    chk = Checker("f")

    @chk.case("c")
    def _():
        chk.expect_close(chk.call(lambda: np.array([np.nan])), np.array([1.0]))

    r = chk.run(verbose=False)
    assert "NaN or infinity" in r.text
