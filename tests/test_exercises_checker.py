"""The discipline every checker inherits from dnnlib.exercises._checker.

Copies and in-place edits first, any return type, the reader's line for an exception,
stubs versus a NotImplementedError raised for one case, "expected a function", named
outputs with the digits that differ, streaming output, a watched call graph, and no
crash of the library whatever the reader's code does.
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dnnlib.exercises._checker import Checker, digits_pair


def one_case_checker(body, name="f"):
    chk = Checker(name)

    @chk.case("the case")
    def _():
        body(chk)

    return chk


def run_on(fn, want=(2.0, 4.0), **close):
    want = np.asarray(want)
    chk = Checker("f")

    @chk.case("a vector")
    def _():
        got = chk.call(fn, np.array([1.0, 2.0]), arg_names=("x",))
        chk.expect_close(got, want, **close)

    return chk.run(fn, verbose=False)


# --------------------------------------------------------------------------- copies, in place
def test_reader_gets_copies_and_in_place_edits_are_named_before_the_values():
    x = np.array([1.0, 2.0])

    def f(v):
        v /= 2.0           # in place AND a wrong value: the in-place edit is named
        return v

    chk = Checker("f")

    @chk.case("c")
    def _():
        got = chk.call(f, x, arg_names=("x",))
        chk.expect_close(got, 2 * x)

    r = chk.run(f, verbose=False)
    assert "modified its input x in place" in r.text and "is wrong" not in r.text
    np.testing.assert_array_equal(x, [1.0, 2.0])  # the checker's own array is untouched


def test_a_list_argument_that_is_emptied_is_named():
    def f(batches):
        while batches:
            batches.pop()
        return np.zeros(1)

    chk = one_case_checker(lambda c: c.call(f, [np.ones(2), np.ones(3)],
                                            arg_names=("train_batches",)))
    assert "modified its input train_batches in place" in chk.run(f, verbose=False).text


# --------------------------------------------------------------------------- return types
@pytest.mark.parametrize(("answer", "expected"), [
    (lambda x: None, "forget the `return`"),
    (lambda x: [2.0, 4.0], "is a list of 2 items; return a NumPy array"),
    (lambda x: "2, 4", "is the str '2, 4'"),
    (lambda x: {"z": 2 * x}, "is a dict of 1 item"),
    (lambda x: (2 * x).astype(complex), "holds complex numbers"),
    (lambda x: x > 0, "holds booleans"),
    (lambda x: (i for i in x), "is a generator"),
    (lambda x: 2 * x[None], "wrong shape: expected (2,), got (1, 2)"),
    (lambda x: np.array([2.0, np.nan]), "NaN or infinity"),
    (lambda x: x.astype(object), "expected an array of numbers"),
])
def test_any_return_type_gets_a_message(answer, expected):
    r = run_on(answer)
    assert r.status == "failed" and not r.internal_errors
    assert expected in r.text, r.text


def test_a_required_dtype_is_named():
    chk = one_case_checker(lambda c: c.expect_array(
        c.call(lambda z: z.astype(np.float64), np.ones(2, np.float32)), dtype=np.float32))
    assert "has dtype float64, expected float32" in chk.run(verbose=False).text


@pytest.mark.parametrize(("value", "expected"), [
    (None, "is None"), ("0.5", "is the str '0.5'"), (1 + 2j, "is the complex number"),
    ({"lr": 0.5}, "is a dict"), ([0.5], "is a list"), (True, "is the bool True"),
    (np.ones(3), "is an array of shape (3,)"), (float("nan"), "is nan"),
])
def test_expect_number_handles_any_type(value, expected):
    chk = one_case_checker(lambda c: c.expect_number(c.call(lambda: value, allow_none=True),
                                                     what="the rate"))
    r = chk.run(verbose=False)
    assert r.status == "failed" and not r.internal_errors
    assert expected in r.text and "the rate" in r.text, r.text


def test_expect_tuple_names_what_to_return():
    chk = one_case_checker(lambda c: c.expect_tuple(c.call(lambda: np.ones(2)),
                                                    ("dx", "dW", "db")))
    assert "return the tuple (dx, dW, db)" in chk.run(verbose=False).text
    chk = one_case_checker(lambda c: c.expect_tuple(c.call(lambda: (1, 2)), ("dx", "dW", "db")))
    assert "return the 3 values as a tuple (dx, dW, db)" in chk.run(verbose=False).text


# --------------------------------------------------------------------------- exceptions
def _raises_here(x):
    y = x @ np.ones((3, 3))  # the reader's line
    return y


def test_an_exception_names_the_readers_file_line_and_code():
    r = run_on(_raises_here)
    assert r.status == "failed" and not r.internal_errors
    assert "f raised ValueError" in r.text
    assert "test_exercises_checker.py, line" in r.text and "in _raises_here" in r.text
    assert "y = x @ np.ones((3, 3))  # the reader's line" in r.text
    assert "do not fit a matrix product" in r.text


def test_an_exception_in_a_notebook_cell_names_the_cell(monkeypatch):
    code = "def g(x):\n    return x['key']\n"
    filename = "/tmp/ipykernel_1/123456.py"
    import linecache

    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    ns: dict = {}
    exec(compile(code, filename, "exec"), ns)
    shell = types.SimpleNamespace(compile=types.SimpleNamespace(_filename_map={filename: 7}))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    try:
        r = run_on(ns["g"])
    finally:
        linecache.cache.pop(filename, None)
    assert "at Cell In[7], line 2, in g:" in r.text and "return x['key']" in r.text


def test_a_stub_is_not_attempted_but_notimplemented_for_one_case_is_a_failure():
    def stub(x):
        """Docstring."""
        raise NotImplementedError  # your code here

    r = run_on(stub)
    assert r.status == "not_attempted"

    def partial(x):
        if x.ndim == 1:
            raise NotImplementedError("1-D inputs")
        return 2 * x

    r = run_on(partial)
    assert r.status == "failed" and "raises NotImplementedError for this case" in r.text
    assert "in partial" in r.text


def test_a_stub_reached_after_a_written_case_fails_that_case_only():
    def g(x):
        raise NotImplementedError

    chk = Checker("pair")

    @chk.case("f")
    def _():
        chk.call(lambda x: x, np.ones(1))

    @chk.case("g")
    def _():
        chk.call(g, np.ones(1))

    r = chk.run(verbose=False)
    assert r.status == "failed" and r.n_passed == 1
    assert "g inside test_a_stub_reached_after_a_written_case" in r.text
    assert "is not written yet (it still raises NotImplementedError)" in r.text


def test_a_class_whose_methods_are_all_stubs_is_not_attempted():
    class Layer:
        def forward(self, x):
            return x

        def backward(self, dout):
            raise NotImplementedError

    chk = one_case_checker(lambda c: None, name="Layer")
    r = chk.run(Layer, kind="class", required=("backward",), verbose=False)
    assert r.status == "not_attempted" and "backward still raises" in r.text
    r = chk.run(Layer, kind="class", required=("forward", "backward"), verbose=False)
    assert r.status == "passed"
    r = chk.run(Layer(), kind="class", verbose=False)
    assert "expected the class itself, got an instance" in r.text


@pytest.mark.parametrize("bad", [None, 3.0, "f", [np.sum]])
def test_not_a_function(bad):
    r = one_case_checker(lambda c: None).run(bad, verbose=False)
    assert r.status == "failed" and "expected a function" in r.text


def test_a_second_answer_that_is_not_a_function():
    r = one_case_checker(lambda c: None).run(np.sum, others={"g": None}, verbose=False)
    assert r.status == "failed" and "g: expected a function, got None" in r.text


def test_an_error_in_the_checker_is_recorded_not_raised():
    # a checker that lives in the library (as every real one does), with a bug
    import dnnlib.exercises as ex

    source = (
        "from dnnlib.exercises._checker import Checker\n"
        "def make():\n"
        "    chk = Checker('f')\n"
        "    @chk.case('the case')\n"
        "    def _():\n"
        "        raise ZeroDivisionError('checker bug')\n"
        "    return chk\n")
    ns: dict = {}
    exec(compile(source, str(Path(ex.__file__).with_name("_fake_checker.py")), "exec"), ns)
    r = ns["make"]().run(verbose=False)
    assert r.status == "failed" and "could not finish this case" in r.text
    assert r.internal_errors and "checker bug" in r.internal_errors[0]


def test_an_error_in_the_readers_object_used_by_the_checker_is_the_readers():
    class Weird:
        @property
        def params(self):
            return 1 / 0

    r = one_case_checker(lambda c: Weird().params).run(verbose=False)
    assert r.status == "failed" and not r.internal_errors
    assert "ZeroDivisionError" in r.text and "in params" in r.text


# --------------------------------------------------------------------------- values
def test_a_near_miss_shows_the_digits_that_differ():
    r = run_on(lambda x: 2 * x * (1 + 3e-9), rtol=1e-9, atol=1e-12)
    assert "expected 4.00000000, got 4.00000001" in r.text and "relative error 3e-09" in r.text
    assert "2 of 2 entries differ" in r.text
    assert digits_pair(0.1, 0.1 + 1e-12) == ("0.100000000000", "0.100000000001")


def test_hints_several_matches_and_a_hint_equal_to_the_answer_is_ignored():
    mistakes = [(np.array([1.0, 4.0]), "first"), (np.array([1.0, 4.0]), "second"),
                (np.array([2.0, 4.0]), "equals the right answer")]
    chk = Checker("f")

    @chk.case("c")
    def _():
        chk.expect_close(chk.call(lambda: np.array([1.0, 4.0])), np.array([2.0, 4.0]),
                         mistakes=mistakes, what="dW")

    r = chk.run(verbose=False)
    assert "dW is wrong. Likely mistake: first. Or: second" in r.text
    assert "equals the right answer" not in r.text


# --------------------------------------------------------------------------- call graph
def _helper_batches(X):
    from dnnlib.data import batches as b  # an alias inside a helper

    return list(b(X, X, 2))


def test_forbidden_functions_are_seen_through_aliases_and_helpers():
    from dnnlib.data import batches

    chk = one_case_checker(lambda c: c.call(_helper_batches, np.ones((4, 1)),
                                            forbid={batches: "no batches here"}))
    assert "no batches here" in chk.run(verbose=False).text
    chk = one_case_checker(lambda c: c.call(lambda X: X, np.ones((4, 1)),
                                            forbid={batches: "no batches here"}))
    assert chk.run(verbose=False).passed


# --------------------------------------------------------------------------- streaming
def test_feedback_streams_case_by_case():
    seen_when_case_2_ran = []
    buffer = io.StringIO()
    chk = Checker("f")

    @chk.case("first")
    def _():
        pass

    @chk.case("second")
    def _():
        seen_when_case_2_ran.append(buffer.getvalue())
        raise RuntimeError("late failure in the checker")

    with contextlib.redirect_stdout(buffer):
        r = chk.run()
    assert "f: checking 2 cases\n  \u2714 first" in seen_when_case_2_ran[0]
    out = buffer.getvalue()
    assert "\u2718 second" in out and out.strip().endswith("then this one.")
    assert r.n_passed == 1


def test_result_is_silent_in_notebooks_and_has_a_summary():
    chk = one_case_checker(lambda c: c.expect_equal(c.call(lambda: 3), 3))
    r = chk.run(verbose=False)
    assert r.passed and bool(r) and str(r) == "f: passed (1/1 checks)"
    assert r._ipython_display_() is None
