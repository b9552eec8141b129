"""The machinery behind every exercise checker (shared by all chapters).

A checker runs the reader's function on a list of *cases* (typical inputs and edge
cases), prints one line per case and a final verdict, and returns a
:class:`CheckResult` (used by the tests; silent in notebooks, since the feedback
was already printed). Three outcomes:

* **not attempted yet**: the function still raises ``NotImplementedError`` (the
  stub), or is the unchanged code handed out (``untouched=`` in :meth:`Checker.run`);
  checking stops at once with a friendly line;
* **failed**: each failing case prints what was expected, what came back and, when
  the answer matches a known wrong answer, the likely mistake ("you used W
  transposed", "you forgot the bias"...);
* **passed**: the last line reads ``All N checks passed.``

Writing a checker for a new chapter (see :mod:`dnnlib.exercises.ch01`)::

    def check_relu(relu):
        chk = Checker("relu")

        @chk.case("a batch with negative, zero and positive entries")
        def _():
            z = np.array([[-2.0, 0.0, 3.0]])
            got = chk.call(relu, z.copy())          # catches stubs, exceptions, None
            chk.expect_shape(got, z.shape)
            chk.expect_close(got, np.maximum(z, 0), mistakes=[
                (np.abs(z), "you returned |z|: negative inputs must give 0"),
            ])

        return chk.run(relu)

Inside a case, every ``expect_*`` that fails raises :class:`CheckFailed` with the
message to print; the case stops there and the next case runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Checker", "CheckFailed", "CheckResult", "NotAttempted"]

PASS, FAIL = "\u2714", "\u2718"  # check mark, ballot x


class CheckFailed(Exception):
    """Raised inside a case: the message is the feedback printed for the reader."""


class NotAttempted(Exception):
    """Raised when the reader's function is still the stub."""


@dataclass
class CheckResult:
    """What a checker found (printed for readers, inspected by tests).

    Attributes
    ----------
    name : str
        The exercise (function) name.
    status : {"passed", "failed", "not_attempted"}
    n_checks, n_passed : int
    messages : list of str
        One message per failed case (empty when passed).
    """

    name: str
    status: str
    n_checks: int
    n_passed: int
    messages: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def text(self) -> str:
        """All messages in one string (handy in tests: ``"transposed" in r.text``)."""
        return "\n".join(self.messages)

    def _ipython_display_(self) -> None:
        # The checker already printed its feedback; showing the result object as the
        # value of the cell would only repeat it. print(result) still shows it.
        return None

    def __str__(self) -> str:
        return f"{self.name}: {self.status} ({self.n_passed}/{self.n_checks} checks)"


def _describe(x: Any) -> str:
    """A short description of a value for feedback messages."""
    if x is None:
        return "None"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"an array of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, (int, float, np.integer, np.floating)):
        return repr(x.item() if hasattr(x, "item") else x)
    return f"a {type(x).__name__}"


def _short(a: np.ndarray, n: int = 6) -> str:
    flat = np.asarray(a, dtype=np.float64).ravel()
    body = np.array2string(flat[:n], precision=4, separator=", ", suppress_small=True)
    return body if flat.size <= n else body[:-1] + ", ...]"


class Checker:
    """Collects cases for one exercise, runs them, prints feedback.

    Parameters
    ----------
    name : str
        The name of the reader's function (used in every message).
    stub_hint : str
        What to do with an untouched stub.

    Examples
    --------
    >>> import numpy as np
    >>> chk = Checker("double")
    >>> @chk.case("a vector")
    ... def _():
    ...     got = chk.call(f, np.array([1.0, 2.0]))
    ...     chk.expect_close(got, np.array([2.0, 4.0]), mistakes=[
    ...         (np.array([1.0, 4.0]), "you squared x instead of doubling it")])
    >>> def f(x):
    ...     return 2 * x
    >>> r = chk.run(f)
    double: checking 1 case
      ✔ a vector
    All 1 checks passed.
    >>> r.passed
    True
    """

    def __init__(self, name: str, *, stub_hint: str | None = None) -> None:
        self.name = name
        self.stub_hint = stub_hint or ("Replace `raise NotImplementedError` with your code, "
                                       "run that cell,\nthen run this cell again.")
        self._cases: list[tuple[str, Callable[[], None]]] = []

    # ------------------------------------------------------------------ registering
    def case(self, description: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Decorator: register a case (a function of no argument) under a description."""
        def register(f: Callable[[], None]) -> Callable[[], None]:
            self._cases.append((description, f))
            return f
        return register

    # ------------------------------------------------------------------ inside a case
    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the reader's function; turn a stub, an exception or ``None`` into feedback."""
        try:
            out = fn(*args, **kwargs)
        except NotImplementedError:
            raise NotAttempted from None
        except CheckFailed:
            raise
        except Exception as exc:  # the reader's bug, reported as feedback
            raise CheckFailed(self._explain_exception(exc, args)) from None
        if out is None:
            raise CheckFailed(f"{self.name} returned None: did you forget the `return` "
                              "statement?")
        return out

    def _explain_exception(self, exc: Exception, args: Sequence[Any]) -> str:
        msg = f"{self.name} raised {type(exc).__name__}: {exc}"
        text = str(exc)
        if "matmul" in text or "shapes" in text and "aligned" in text or "mismatch" in text:
            shapes = ", ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
            msg += (f". The shapes do not fit a matrix product (inputs: {shapes}): in "
                    "`A @ B` the last axis of A must equal the first axis of B. Check the "
                    "order of the operands and whether a matrix needs its transpose.")
        return msg

    def fail(self, message: str) -> None:
        """Fail the current case with ``message``."""
        raise CheckFailed(message)

    def expect_array(self, got: Any) -> np.ndarray:
        """``got`` as a NumPy float array, or fail (a list, a string... is reported)."""
        if isinstance(got, (list, tuple)):
            self.fail(f"{self.name} returned a {type(got).__name__}; return a NumPy array "
                      "(np.asarray(...) converts it)")
        try:
            import dnnlib as dl

            arr = dl.to_numpy(got)
        except Exception:
            arr = np.asarray(got)
        if arr.dtype.kind not in "iuf":
            self.fail(f"{self.name} returned {_describe(got)}; expected an array of numbers")
        return arr

    def expect_shape(self, got: Any, shape: tuple[int, ...],
                     mistakes: Iterable[tuple[tuple[int, ...], str]] = ()) -> np.ndarray:
        """Fail unless ``got`` has ``shape``; a known wrong shape gives its hint."""
        arr = self.expect_array(got)
        if tuple(arr.shape) != tuple(shape):
            msg = f"wrong shape: expected {tuple(shape)}, got {tuple(arr.shape)}"
            for wrong, hint in mistakes:
                if tuple(arr.shape) == tuple(wrong):
                    msg += f". Likely mistake: {hint}"
                    break
            self.fail(msg)
        return arr

    def expect_close(self, got: Any, want: Any, *,
                     mistakes: Iterable[tuple[Any, str]] = (), rtol: float = 1e-6,
                     atol: float = 1e-8) -> np.ndarray:
        """Fail unless ``got`` is close to ``want``; compare with known wrong answers first.

        ``mistakes`` pairs a wrong answer (an array of the same shape as ``want``)
        with the hint printed when the reader's output matches it.
        """
        arr = self.expect_array(got)
        want = np.asarray(want, dtype=np.float64)
        if arr.shape != want.shape:
            self.expect_shape(arr, want.shape)
        if not np.all(np.isfinite(arr)):
            self.fail(f"{self.name} returned NaN or infinity (first values {_short(arr)}); "
                      "look for an overflow or a division by zero")
        if np.allclose(arr, want, rtol=rtol, atol=atol):
            return arr
        for wrong, hint in mistakes:
            w = np.asarray(wrong, dtype=np.float64)
            if w.shape == arr.shape and np.allclose(arr, w, rtol=rtol, atol=atol):
                self.fail(f"wrong values. Likely mistake: {hint}")
        err = float(np.max(np.abs(arr.astype(np.float64) - want)))
        self.fail(f"wrong values: expected {_short(want)}, got {_short(arr)} "
                  f"(largest difference {err:.3g})")
        return arr  # pragma: no cover

    def expect_equal(self, got: Any, want: Any, *,
                     mistakes: Iterable[tuple[Any, str]] = ()) -> Any:
        """Fail unless ``got == want`` (ints, strings, tuples); known wrong answers hint."""
        if isinstance(want, int) and not isinstance(want, bool):
            if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
                if isinstance(got, (float, np.floating)) and math.isfinite(got) \
                        and float(got).is_integer():
                    self.fail(f"{self.name} returned the float {got!r}; return an int "
                              f"(a count), e.g. int(...)")
                self.fail(f"{self.name} returned {_describe(got)}; expected an int")
        if got == want:
            return got
        for wrong, hint in mistakes:
            if got == wrong:
                self.fail(f"expected {want!r}, got {got!r}. Likely mistake: {hint}")
        self.fail(f"expected {want!r}, got {got!r}")
        return got  # pragma: no cover

    def expect_unchanged(self, before: np.ndarray, after: Any, name: str) -> None:
        """Fail if the reader's function modified its input ``name`` in place."""
        if not np.array_equal(np.asarray(before), np.asarray(after)):
            self.fail(f"{self.name} modified its input {name} in place; compute a new array "
                      "instead (for example `z = x @ W` rather than `x @= W`)")

    # ------------------------------------------------------------------ running
    def run(self, fn: Callable[..., Any] | None = None, *,
            untouched: Callable[..., Any] | None = None, verbose: bool = True) -> CheckResult:
        """Run every case in order; print feedback; return a :class:`CheckResult`.

        Parameters
        ----------
        fn : callable, optional
            The reader's function (used to detect an untouched hand-out and a
            non-callable answer).
        untouched : callable, optional
            The code handed out (for "fix the bug" exercises): a function whose code
            is identical counts as "not attempted yet".
        verbose : bool
            Print the feedback (the default; the tests pass False).
        """
        out: list[str] = []
        say = out.append
        n = len(self._cases)
        if fn is not None and not callable(fn):
            say(f"{FAIL} {self.name}: expected a function, got {_describe(fn)}. Pass the "
                f"function itself, without calling it: check_{self.name}({self.name})")
            return self._finish(out, "failed", n, 0, [out[-1]], verbose)
        if fn is not None and untouched is not None and _same_code(fn, untouched):
            say(f"{self.name}: not attempted yet.\nThis is still the code handed out: fix it "
                "in the cell above, run that cell,\nthen run this cell again.")
            return self._finish(out, "not_attempted", n, 0, [out[-1]], verbose)
        say(f"{self.name}: checking {n} case{'s' if n != 1 else ''}")
        n_passed, messages = 0, []
        for description, case in self._cases:
            try:
                case()
            except NotAttempted:
                out.clear()
                say(f"{self.name}: not attempted yet.\n{self.stub_hint}")
                return self._finish(out, "not_attempted", n, 0, [out[-1]], verbose)
            except CheckFailed as exc:
                messages.append(f"{description}: {exc}")
                say(f"  {FAIL} {description}: {exc}")
                continue
            n_passed += 1
            say(f"  {PASS} {description}")
        if n_passed == n:
            say(f"All {n} checks passed.")
            return self._finish(out, "passed", n, n_passed, [], verbose)
        say(f"{n_passed} of {n} checks passed. Fix the first {FAIL} above, run your cell "
            "again, then this one.")
        return self._finish(out, "failed", n, n_passed, messages, verbose)

    def _finish(self, out: list[str], status: str, n: int, n_passed: int,
                messages: list[str], verbose: bool) -> CheckResult:
        if verbose:
            print("\n".join(out))
        return CheckResult(self.name, status, n, n_passed, messages)


def _normalized_source(f: Any) -> str | None:
    """The AST of a function's arguments and body (name, comments and layout ignored)."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return ast.dump(node.args) + ast.dump(ast.Module(body=node.body, type_ignores=[]))


def _same_code(f: Any, g: Any) -> bool:
    """True when two functions have the same code, up to their names and comments.

    Compares the syntax trees of their sources (works for functions defined in
    notebook cells, which IPython keeps in ``linecache``); without a source, the
    bytecode, constants and names.
    """
    sf, sg = _normalized_source(f), _normalized_source(g)
    if sf is not None and sg is not None:
        return sf == sg
    cf, cg = getattr(f, "__code__", None), getattr(g, "__code__", None)
    if cf is None or cg is None:
        return False
    return (cf.co_code, cf.co_consts, cf.co_names, cf.co_varnames) == \
        (cg.co_code, cg.co_consts, cg.co_names, cg.co_varnames)
