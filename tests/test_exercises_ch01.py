"""The chapter 1 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers (common mistakes, near misses,
wrong types, in-place edits), each with the message it must get; the reference solution
passes; the untouched stub is "not attempted yet".
"""

from __future__ import annotations

import doctest
import json
import linecache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dnnlib.exercises import ch01
from dnnlib.exercises._checker import _same_code

ROOT = Path(__file__).resolve().parents[1]


def assert_feedback(result, expected):
    """A failed result, no checker error, and every expected substring in its messages."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"


# --------------------------------------------------------------------------- dense_forward
def dense_ok(x, W, b):
    return x @ W + b


def dense_stub(x, W, b):
    raise NotImplementedError


def _dense_inplace(x, W, b):
    z = x @ W + b
    x *= 2.0
    return z


def _dense_boom(x, W, b):
    raise KeyError("oops")


DENSE_WRONG = {
    "no bias": (lambda x, W, b: x @ W, "you forgot the bias b"),
    "transposed W": (lambda x, W, b: x @ W.T + b, "W transposed"),
    "activation": (lambda x, W, b: np.maximum(x @ W + b, 0.0), "applied an activation"),
    "transposed output": (lambda x, W, b: (x @ W + b).T, "transposed"),
    "squeezed batch": (lambda x, W, b: np.squeeze(x @ W + b), "dropped the batch axis"),
    "always a batch": (lambda x, W, b: np.atleast_2d(x) @ W + b, "not a batch of one"),
    "bias subtracted": (lambda x, W, b: x @ W - b, "added, not subtracted"),
    "sum of the bias": (lambda x, W, b: x @ W + b.sum(), "sum of b"),
    "W @ x (shape error)": (lambda x, W, b: W @ x + b, "do not fit a matrix product"),
    "in place": (_dense_inplace, "modified its input x in place"),
    "returns None": (lambda x, W, b: None, "forget the `return`"),
    "returns a list": (lambda x, W, b: (x @ W + b).tolist(), "return a NumPy array"),
    "returns a str": (lambda x, W, b: str(x @ W + b), "is the str"),
    "raises": (_dense_boom, ["raised KeyError", "in _dense_boom"]),
}


# --------------------------------------------------------------------------- count_parameters
def count_ok(sizes):
    return sum(a * b + b for a, b in pairwise(sizes))


def _count_pop(sizes):
    n = count_ok(sizes)
    if isinstance(sizes, list):
        sizes.pop()
    return n


COUNT_WRONG = {
    "weights only": (lambda s: sum(a * b for a, b in pairwise(s)), "counted the weights only"),
    "input biases": (lambda s: count_ok(s) + s[0], "input layer biases too"),
    "units": (lambda s: sum(s), "counted units, not parameters"),
    "float": (lambda s: float(count_ok(s)), "return an int"),
    "no output layer": (lambda s: count_ok(list(s)[:-1]), "left out the output layer"),
    "(n_in+1)(n_out+1)": (lambda s: sum((a + 1) * (b + 1) for a, b in pairwise(s)),
                          "extra unit"),
    "no first layer": (lambda s: count_ok(list(s)[1:]), "left out the first layer"),
    "one count per layer": (lambda s: [a * b + b for a, b in pairwise(s)],
                            "one count per layer"),
    "a str": (lambda s: str(count_ok(s)), "is the str"),
    "pops sizes": (_count_pop, "modified its input sizes in place"),
}


# --------------------------------------------------------------------------- two_layer_forward
def two_ok(X, W1, b1, W2, b2):
    return np.maximum(0.0, X @ W1 + b1) @ W2 + b2


def _two_tiny_edit(X, W1, b1, W2, b2):
    A1 = np.maximum(0.0, W1 @ X + b1) + 0.0
    return A1 @ W2 + b2


def _two_inplace(X, W1, b1, W2, b2):
    X @= W1
    X += b1
    np.maximum(X, 0.0, out=X)
    return X @ W2 + b2


TWO_WRONG = {
    "no relu": (lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2, "removed the ReLU"),
    "no b1": (lambda X, W1, b1, W2, b2: np.maximum(0.0, X @ W1) @ W2 + b2, "lost its bias b1"),
    "no b2": (lambda X, W1, b1, W2, b2: np.maximum(0.0, X @ W1 + b1) @ W2, "lost its bias b2"),
    "relu on output": (lambda X, W1, b1, W2, b2: np.maximum(0.0, two_ok(X, W1, b1, W2, b2)),
                       "no activation"),
    "transposed output": (lambda X, W1, b1, W2, b2: two_ok(X, W1, b1, W2, b2).T, "transposed"),
    # a "fix" that only works when N = D = H: still W1 @ X
    "still W1 @ X": (lambda X, W1, b1, W2, b2: np.maximum(0.0, W1 @ X + b1) @ W2 + b2
                     if X.ndim == 2 and X.shape[0] == W1.shape[1] else two_ok(X, W1, b1, W2, b2),
                     "still W1 @ X"),
    "the hand-out with a tiny edit": (_two_tiny_edit, "do not fit a matrix product"),
    "in place": (_two_inplace, "modified its input X in place"),
    "returns the hidden layer": (lambda X, W1, b1, W2, b2: np.maximum(0.0, X @ W1 + b1),
                                 "wrong shape"),
}

TABLES = {
    "dense_forward": (ch01.check_dense_forward, DENSE_WRONG),
    "count_parameters": (ch01.check_count_parameters, COUNT_WRONG),
    "two_layer_forward": (ch01.check_two_layer_forward, TWO_WRONG),
}
CASES = [(ex, name) for ex, (_, table) in TABLES.items() for name in table]


@pytest.mark.parametrize(("exercise", "name"), CASES, ids=[f"{e}: {n}" for e, n in CASES])
def test_wrong_answer_gets_its_message(exercise, name):
    check, table = TABLES[exercise]
    answer, expected = table[name]
    assert_feedback(check(answer, verbose=False), expected)


def test_every_exercise_has_at_least_six_wrong_answers():
    assert all(len(table) >= 6 for _, table in TABLES.values())


# --------------------------------------------------------------------------- solutions, stubs
def test_dense_forward_accepts_solution_and_reports_stub(capsys):
    r = ch01.check_dense_forward(dense_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 5 and not r.internal_errors
    assert out.strip().splitlines()[-1] == "All 5 checks passed."
    r = ch01.check_dense_forward(dense_stub)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out
    assert "checking" not in out  # stops at once, no list of failures


def test_count_parameters_accepts_solution_and_matches_dnnlib():
    assert ch01.check_count_parameters(count_ok, verbose=False).passed
    assert ch01.check_count_parameters(lambda s: np.int64(count_ok(s)), verbose=False).passed
    from dnnlib.layers import Dense, ReLU
    from dnnlib.model import Sequential

    m = Sequential(Dense(784, 128, rng=0), ReLU(), Dense(128, 10, rng=0))
    assert count_ok([784, 128, 10]) == m.num_params() == 101770

    def count_parameters(sizes):
        raise NotImplementedError

    assert ch01.check_count_parameters(count_parameters, verbose=False).status == \
        "not_attempted"


def test_two_layer_forward_handout_is_not_attempted_and_solution_passes():
    r = ch01.check_two_layer_forward(ch01.handout_two_layer_forward, verbose=False)
    assert r.status == "not_attempted"
    assert ch01.check_two_layer_forward(two_ok, verbose=False).passed


def test_notebook_handout_is_the_module_handout():
    """The buggy cell of the chapter is exactly ch01.handout_two_layer_forward, so an
    untouched cell is reported as "not attempted yet"."""
    nb = json.loads((ROOT / "book" / "01_architecture.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    handout = [s for s in sources if s.startswith("def two_layer_forward(")]
    assert len(handout) == 1
    path = str(ROOT / "build_handout_tmp.py")  # inspect.getsource needs a file
    ns: dict = {"np": np}
    linecache.cache[path] = (len(handout[0]), None, handout[0].splitlines(True), path)
    try:
        exec(compile(handout[0], path, "exec"), ns)
        assert _same_code(ns["two_layer_forward"], ch01.handout_two_layer_forward)
    finally:
        linecache.cache.pop(path, None)


def test_not_a_function():
    for bad in (None, 42, "dense_forward"):
        r = ch01.check_dense_forward(bad, verbose=False)
        assert r.status == "failed" and "expected a function" in r.text


def test_doctests():
    res = doctest.testmod(ch01, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
