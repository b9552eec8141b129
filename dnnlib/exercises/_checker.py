"""The machinery behind every exercise checker (shared by all chapters).

A checker runs the reader's function on a list of *cases* (typical inputs and edge
cases), prints one line per case **as soon as the case finishes**, then a verdict, and
returns a :class:`CheckResult` (used by the tests; silent in notebooks, since the
feedback was already printed). Three outcomes:

* **not attempted yet**: the first case reached a stub, a function whose body is only
  ``raise NotImplementedError`` (or the unchanged hand-out, ``untouched=`` in
  :meth:`Checker.run`); checking stops at once with a friendly line;
* **failed**: each failing case names the output that is wrong (``dW``, ``m``...), shows
  the expected and the returned value with enough digits to see the difference, and,
  when the answer matches a known wrong answer, the likely mistake;
* **passed**: the last line reads ``All N checks passed.``

The discipline every checker follows (the tests of each chapter enforce it with tables
of wrong answers):

1. The reader's code runs on **copies** of the inputs (:meth:`Checker.call`); an input
   modified in place is reported first, under its name, before any value is compared.
2. Any return value is handled: ``None``, a list, a string, a dict, a complex number, a
   wrong dtype or shape each get a message (:meth:`Checker.expect_array`,
   :meth:`Checker.expect_number`, :meth:`Checker.expect_tuple`).
3. An exception in the reader's code is reported with the reader's cell (or file) and
   line, never as a crash of the checker. A ``NotImplementedError`` means "not attempted
   yet" only when it comes from an untouched stub; raised from a written function, the
   case fails and says so.
4. Each failure names what is wrong (``dx``, ``dgamma``, ``theta``...) and shows the
   numbers with as many digits as it takes to tell them apart.
5. Feedback streams: each case prints when it ends, so an exception in a later case
   never hides the earlier lines.

Writing a checker (see :mod:`dnnlib.exercises.ch01`)::

    def check_relu(relu):
        chk = Checker("relu")

        @chk.case("a batch with negative, zero and positive entries")
        def _():
            z = np.array([[-2.0, 0.0, 3.0]])
            got = chk.call(relu, z, arg_names=("z",))   # copies, stubs, exceptions
            chk.expect_shape(got, z.shape)
            chk.expect_close(got, np.maximum(z, 0), mistakes=[
                (np.abs(z), "you returned |z|: negative inputs must give 0"),
            ])

        return chk.run(relu)

Inside a case, every ``expect_*`` that fails raises :class:`CheckFailed` with the
message to print; the case stops there and the next case runs.
"""

from __future__ import annotations

import ast
import copy
import inspect
import linecache
import math
import numbers
import os
import sys
import sysconfig
import textwrap
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Checker", "CheckFailed", "CheckResult", "NotAttempted", "describe", "digits_pair",
           "exception_feedback"]

PASS, FAIL = "\u2714", "\u2718"  # check mark, ballot x
_MISSING = object()


class CheckFailed(Exception):
    """Raised inside a case: the message is the feedback printed for the reader."""


class NotAttempted(Exception):
    """Raised when the reader's code reached a stub (``raise NotImplementedError`` only).

    ``args[0]`` is the qualified name of the stub (``"leaky_relu_grad"``,
    ``"PReLU.backward"``...), or ``""``.
    """


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
    internal_errors : list of str
        Exceptions raised by the checker itself rather than by the reader's code (a
        checker bug; the tests require this list to stay empty). The reader sees a
        failed case with a message, never a traceback from the library.
    """

    name: str
    status: str
    n_checks: int
    n_passed: int
    messages: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)

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


# =========================================================================== describing values
def describe(x: Any) -> str:
    """A short description of a value for feedback messages ("a list of 3 items"...)."""
    if x is None:
        return "None"
    if isinstance(x, (bool, np.bool_)):
        return f"the bool {bool(x)}"
    if isinstance(x, str):
        text = x if len(x) <= 30 else x[:27] + "..."
        return f"the str {text!r}"
    if isinstance(x, (complex, np.complexfloating)):
        return f"the complex number {complex(x)}"
    if isinstance(x, (numbers.Integral, np.integer)):
        return f"the int {int(x)}"
    if isinstance(x, (numbers.Real, np.floating)):
        return f"the float {float(x)!r}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"an array of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, (list, tuple, dict, set)):
        n = len(x)
        return f"a {type(x).__name__} of {n} item{'s' if n != 1 else ''}"
    if inspect.isgenerator(x):
        return "a generator"
    if inspect.isclass(x):
        return f"the class {x.__name__}"
    return f"a {type(x).__name__}"


def digits_pair(want: float, got: float) -> tuple[str, str]:
    """``want`` and ``got`` formatted with the fewest digits (at least 4) that differ."""
    for p in range(4, 18):
        a, b = f"{want:#.{p}g}", f"{got:#.{p}g}"
        if a != b:
            return a, b
    return repr(float(want)), repr(float(got))


def _index_text(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]"


# =========================================================================== the reader's code
def _library_dirs() -> tuple[str, ...]:
    dirs = {os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # dnnlib
            os.path.dirname(os.path.abspath(np.__file__))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(sorted(dirs))


_LIBRARY_DIRS = _library_dirs()


def _is_library_file(filename: str) -> bool:
    if filename.startswith("<frozen") or filename.startswith("<__array_function__"):
        return True
    if filename.startswith("<"):
        return False  # "<stdin>", "<string>", "<ipython-input-...>": the reader's
    path = os.path.abspath(filename)
    return any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def _cell_name(filename: str) -> str | None:
    """"Cell In[12]" for a file that IPython compiled from a notebook cell, else None."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        number = shell.compile._filename_map.get(filename) if shell is not None else None
    except Exception:
        return None
    return None if number is None else f"Cell In[{number}]"


def _reader_frame(tb: Any) -> tuple[str, int, str] | None:
    """(filename, line number, function name) of the innermost frame of the reader's code."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if not _is_library_file(filename):
            found = (filename, lineno, frame.f_code.co_name)
    return found


def _where(filename: str, lineno: int, func: str) -> str:
    """"Cell In[12], line 5, in leaky_relu_grad:\\n      <the line>"."""
    place = _cell_name(filename)
    if place is None:
        place = filename if filename.startswith("<") else os.path.basename(filename)
    text = linecache.getline(filename, lineno).strip()
    where = f"at {place}, line {lineno}, in {func}"
    return where + (f":\n      {text}" if text else "")


def _stub_body(node: Any) -> bool:
    """True when a function's body is only ``raise NotImplementedError`` (docstring,
    ``pass`` and ``...`` aside)."""
    body = list(node.body)
    while body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body.pop(0)  # docstring or ...
    body = [s for s in body if not isinstance(s, ast.Pass)]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    exc = body[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _is_stub_code(code: Any) -> bool:
    """True when the code object is a function whose whole body raises NotImplementedError."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return _stub_body(node)
        return False  # a lambda cannot raise
    # no source (a function built by exec): a stub refers to no other global name
    return set(code.co_names) == {"NotImplementedError"}


_NO_CODE = (lambda: 0).__code__  # a code object that is never a stub


def _stub_name(exc: BaseException) -> str | None:
    """The qualified name of the stub that raised ``exc``, or None if the raising
    function has other code (a written function that raises for one case)."""
    frames = list(traceback.walk_tb(exc.__traceback__))
    if not frames:
        return None
    code = frames[-1][0].f_code
    if _is_library_file(code.co_filename) or not _is_stub_code(code):
        return None
    return getattr(code, "co_qualname", code.co_name)


def _friendly_qualname(qualname: str) -> str:
    """"Value.tanh.<locals>._backward" -> "_backward inside Value.tanh"."""
    parts = qualname.split(".<locals>.")
    return parts[-1] if len(parts) == 1 else f"{parts[-1]} inside {'.'.join(parts[:-1])}"


def exception_feedback(name: str, exc: BaseException, args: Sequence[Any] = ()) -> str:
    """"name raised Error: text", the reader's line, and a hint for shape errors."""
    msg = f"{name} raised {type(exc).__name__}: {exc}"
    frame = _reader_frame(exc.__traceback__)
    if frame is not None:
        msg += "\n  " + _where(*frame)
    text = str(exc)
    if "matmul" in text or ("shapes" in text and "aligned" in text) or (
            "mismatch" in text and "dimension" in text):
        shapes = ", ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
        msg += (f"\n  The shapes do not fit a matrix product (inputs: {shapes}): in "
                "`A @ B` the last axis of A must equal the first axis of B. Check the "
                "order of the operands and whether a matrix needs its transpose.")
    return msg


# =========================================================================== watching calls
class _CallWatcher:
    """Records which of some Python functions run during a block (``sys.setprofile``).

    It follows the call graph, so a function reached through an alias
    (``from dnnlib.data import batches as b``) or a helper is seen too.
    """

    def __init__(self, functions: Iterable[Callable[..., Any]]) -> None:
        self.codes = {getattr(f, "__code__", None): f for f in functions}
        self.codes.pop(None, None)
        self.seen: set[Any] = set()

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in self.codes:
            self.seen.add(self.codes[frame.f_code])

    def __enter__(self) -> _CallWatcher:
        self._old = sys.getprofile()
        if self.codes:
            sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.setprofile(self._old)


def _snapshot(value: Any) -> Any:
    """A copy of an argument the reader could modify: an array, or a list (deep)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        try:
            return copy.deepcopy(value)
        except Exception:
            return _NO_SNAPSHOT
    return _NO_SNAPSHOT


_NO_SNAPSHOT = object()


def _same(before: Any, after: Any) -> bool:
    """True when ``after`` still equals the snapshot ``before``."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape:
            return False
        return bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, list):
        if not isinstance(after, list) or len(before) != len(after):
            return False
        return all(_same(b, a) for b, a in zip(before, after, strict=True))
    try:
        return bool(before == after) or (before != before and after != after)  # NaN
    except Exception:
        return True


def _argument_names(fn: Any, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n)]


# =========================================================================== the checker
class Checker:
    """Collects cases for one exercise, runs them, streams feedback.

    Parameters
    ----------
    name : str
        The name of the reader's function or class (used in every message).
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
        self.warnings: list[str] = []
        self._last = name

    # ------------------------------------------------------------------ registering
    def case(self, description: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Decorator: register a case (a function of no argument) under a description."""
        def register(f: Callable[[], None]) -> Callable[[], None]:
            self._cases.append((description, f))
            return f
        return register

    # ------------------------------------------------------------------ calling the reader
    def call(self, fn: Callable[..., Any], *args: Any, name: str | None = None,
             arg_names: Sequence[str] | None = None,
             forbid: dict[Callable[..., Any], str] | None = None, allow_none: bool = False,
             **kwargs: Any) -> Any:
        """Call the reader's ``fn`` on copies of the array arguments; return its output.

        In order: an exception is reported with the reader's line (a stub makes the
        exercise "not attempted yet"); an array argument modified in place is named;
        a call of a ``forbid`` function (seen through aliases and helpers) fails with
        its message; ``None`` fails unless ``allow_none``. NumPy's RuntimeWarnings
        raised on the way are recorded in :attr:`warnings` (never shown, never errors).

        Parameters
        ----------
        name : str, optional
            The name used in messages (default: the checker's name).
        arg_names : sequence of str, optional
            Names of the positional arguments for the in-place message (default: the
            parameter names of ``fn``).
        """
        label = name or self.name
        self._last = label
        names = list(arg_names) if arg_names is not None else _argument_names(fn, len(args))
        names += [f"argument {i + 1}" for i in range(len(names), len(args))]
        snaps = [_snapshot(a) for a in args]
        kw_snaps = {k: _snapshot(v) for k, v in kwargs.items()}
        # the reader gets copies; the originals stay with the checker
        passed = [a if s is _NO_SNAPSHOT else _snapshot(s) for a, s in zip(args, snaps,
                                                                            strict=True)]
        kw_passed = {k: v if kw_snaps[k] is _NO_SNAPSHOT else _snapshot(kw_snaps[k])
                     for k, v in kwargs.items()}
        self.warnings = []
        with warnings.catch_warnings(record=True) as caught, _CallWatcher(forbid or {}) as \
                watcher:
            warnings.simplefilter("always")
            try:
                out = fn(*passed, **kw_passed)
            except NotImplementedError as exc:
                stub = _stub_name(exc)
                if stub is not None:
                    raise NotAttempted(stub) from None
                raise CheckFailed(
                    exception_feedback(label, exc, args) + "\n  Your code raises "
                    "NotImplementedError for this case: handle it too (it is part of the "
                    "exercise).") from None
            except (CheckFailed, NotAttempted):
                raise
            except Exception as exc:  # the reader's bug, reported as feedback
                raise CheckFailed(exception_feedback(label, exc, args)) from None
        self.warnings = [str(w.message) for w in caught if issubclass(w.category, Warning)]
        for i, (snap, given) in enumerate(zip(snaps, passed, strict=True)):
            if snap is not _NO_SNAPSHOT and not _same(snap, given):
                self._fail_inplace(label, names[i])
        for k, snap in kw_snaps.items():
            if snap is not _NO_SNAPSHOT and not _same(snap, kw_passed[k]):
                self._fail_inplace(label, k)
        for f, message in (forbid or {}).items():
            if f in watcher.seen:
                self.fail(message)
        if out is None and not allow_none:
            self.fail(f"{label} returned None: did you forget the `return` statement?")
        return out

    def _fail_inplace(self, label: str, arg: str) -> None:
        self.fail(f"{label} modified its input {arg} in place (for example `{arg} *= ...`, "
                  f"`{arg} /= ...`, `{arg}[...] = ...` or `{arg}.pop()`). The caller still "
                  f"holds that array and sees it changed. Compute a new array instead "
                  f"(`{arg} = {arg} * ...` or `y = {arg} * ...`)")

    def fail(self, message: str) -> None:
        """Fail the current case with ``message``."""
        raise CheckFailed(message)

    # ------------------------------------------------------------------ outputs
    def _noun(self, what: str | None) -> str:
        return what if what is not None else f"the output of {self._last}"

    def expect_array(self, got: Any, *, what: str | None = None, dtype: Any = None
                     ) -> np.ndarray:
        """``got`` as a NumPy array of real numbers, or fail naming what came back.

        ``dtype``: the dtype the answer must keep (``np.float32`` ...), or None.
        """
        noun = self._noun(what)
        if got is None:
            self.fail(f"{noun} is None: did you forget a `return` (or return the result "
                      "of an in-place method such as list.append)?")
        if isinstance(got, (list, tuple)):
            self.fail(f"{noun} is {describe(got)}; return a NumPy array (np.asarray(...) "
                      "converts it)")
        if isinstance(got, (str, bytes, dict, set)) or inspect.isgenerator(got) or callable(got):
            self.fail(f"{noun} is {describe(got)}; expected a NumPy array of numbers")
        try:
            import dnnlib as dl

            arr = dl.to_numpy(got) if not isinstance(got, np.ndarray) else got
        except Exception:
            arr = np.asarray(got)
        arr = np.asarray(arr)
        if arr.dtype.kind == "c":
            self.fail(f"{noun} holds complex numbers ({describe(got)}); the answer is real. "
                      "A complex value appears with the square root or log of a negative "
                      "number through np.emath or cmath, or with 1j")
        if arr.dtype.kind == "b":
            self.fail(f"{noun} holds booleans (True/False); return numbers, e.g. "
                      "(z > 0).astype(z.dtype) or np.where(z > 0, 1.0, 0.0)")
        if arr.dtype.kind not in "iuf":
            self.fail(f"{noun} is {describe(got)}; expected an array of numbers")
        if dtype is not None and arr.dtype != np.dtype(dtype):
            self.fail(f"{noun} has dtype {arr.dtype}, expected {np.dtype(dtype)}: keep the "
                      f"input's dtype (compute with the input itself; np.float64(...), "
                      f"np.asarray(..., dtype=float) or a float64 mask change it)")
        return arr

    def expect_shape(self, got: Any, shape: tuple[int, ...], *, what: str | None = None,
                     mistakes: Iterable[tuple[tuple[int, ...], str]] = (), dtype: Any = None
                     ) -> np.ndarray:
        """Fail unless ``got`` is an array of ``shape``; a known wrong shape gives its hint."""
        arr = self.expect_array(got, what=what, dtype=dtype)
        if tuple(arr.shape) != tuple(shape):
            msg = (f"{self._noun(what)} has the wrong shape: expected {tuple(shape)}, got "
                   f"{tuple(arr.shape)}")
            for wrong, hint in mistakes:
                if tuple(arr.shape) == tuple(wrong):
                    msg += f". Likely mistake: {hint}"
                    break
            self.fail(msg)
        return arr

    def expect_number(self, got: Any, *, what: str | None = None, finite: bool = True,
                      scalar: bool = False) -> float:
        """``got`` as one real number, or fail naming what came back.

        A 0-d array is accepted, and so is a one-element array unless ``scalar``.
        """
        noun = self._noun(what)
        if got is None:
            self.fail(f"{noun} is None: did you forget the `return` statement?")
        if isinstance(got, (bool, np.bool_)):
            self.fail(f"{noun} is {describe(got)}; return a number")
        if isinstance(got, (complex, np.complexfloating)):
            self.fail(f"{noun} is {describe(got)}; the answer is real. A complex value "
                      "appears with the square root or log of a negative number (cmath, "
                      "np.emath, ** 0.5 of a negative float) or with 1j")
        if isinstance(got, str):
            self.fail(f"{noun} is {describe(got)}; return the number itself, not its text "
                      "(no str(...) or f-string)")
        if isinstance(got, (list, tuple, dict, set)):
            self.fail(f"{noun} is {describe(got)}; return one number, e.g. float(...)")
        if hasattr(got, "shape") and hasattr(got, "dtype"):
            arr = self.expect_array(got, what=what)
            if arr.size != 1 or (scalar and arr.ndim > 0):
                self.fail(f"{noun} is {describe(got)}; return one number, e.g. float(...)")
            value = float(arr.reshape(()))
        elif isinstance(got, (numbers.Real, np.floating, np.integer)):
            value = float(got)
        else:
            self.fail(f"{noun} is {describe(got)}; expected one number")
        if finite and not math.isfinite(value):
            self.fail(f"{noun} is {value}: look for an overflow (exp of a large number) or a "
                      "division by zero")
        return value

    def expect_tuple(self, got: Any, names: Sequence[str]) -> tuple[Any, ...]:
        """``got`` as a tuple (or list) of ``len(names)`` items, or fail saying what to return."""
        want = "(" + ", ".join(names) + ")"
        if not isinstance(got, (tuple, list)):
            self.fail(f"{self._last} returned {describe(got)}; return the tuple {want}")
        if len(got) != len(names):
            self.fail(f"{self._last} returned {describe(got)}; return the {len(names)} "
                      f"values as a tuple {want}")
        return tuple(got)

    def expect_close(self, got: Any, want: Any, *, what: str | None = None,
                     mistakes: Iterable[tuple[Any, str]] = (), rtol: float = 1e-6,
                     atol: float = 1e-8, dtype: Any = None) -> np.ndarray:
        """Fail unless ``got`` is close to ``want``; compare with known wrong answers.

        ``mistakes`` pairs a wrong answer (shaped like ``want``) with the hint printed
        when the reader's output matches it; a wrong answer that equals ``want`` on this
        case is ignored, and several matching hints are all printed.
        """
        noun = self._noun(what)
        want = np.asarray(want, dtype=np.float64)
        if np.ndim(got) == 0 and want.shape == () and not hasattr(got, "shape"):
            arr = np.asarray(self.expect_number(got, what=what, finite=False))
        else:
            arr = self.expect_array(got, what=what, dtype=dtype)
        if arr.shape != want.shape:
            self.expect_shape(arr, want.shape, what=what)
        a64 = arr.astype(np.float64)
        if not np.all(np.isfinite(a64)):
            bad = np.argwhere(~np.isfinite(a64))
            at = f" at {_index_text(tuple(bad[0]))}" if a64.ndim else ""
            self.fail(f"{noun} contains NaN or infinity ({a64[tuple(bad[0])] if a64.ndim else a64}"
                      f"{at}): look for an overflow (exp of a large number) or a division by "
                      "zero")
        close = np.isclose(a64, want, rtol=rtol, atol=atol)
        if np.all(close):
            return arr
        hints: list[str] = []
        for wrong, hint in mistakes:
            w = np.asarray(wrong, dtype=np.float64)
            if w.shape != a64.shape or not np.all(np.isfinite(w)):
                continue
            if np.allclose(w, want, rtol=rtol, atol=atol):
                continue  # indistinguishable from the right answer on this case
            if np.allclose(a64, w, rtol=rtol, atol=atol) and hint not in hints:
                hints.append(hint)
        if hints:
            self.fail(f"{noun} is wrong. Likely mistake: " + ". Or: ".join(hints))
        self.fail(f"{noun} is wrong: " + self._difference(a64, want, close, rtol, atol))
        return arr  # pragma: no cover

    @staticmethod
    def _difference(got: np.ndarray, want: np.ndarray, close: np.ndarray, rtol: float,
                    atol: float) -> str:
        with np.errstate(divide="ignore", invalid="ignore"):
            excess = np.abs(got - want) / (atol + rtol * np.abs(want))
        excess = np.where(np.isnan(excess), np.inf, excess)
        idx = np.unravel_index(int(np.argmax(excess)), got.shape) if got.ndim else ()
        w, g = float(want[idx]), float(got[idx])
        ws, gs = digits_pair(w, g)
        where = f"at {_index_text(tuple(int(i) for i in idx))} " if got.ndim else ""
        rel = abs(g - w) / abs(w) if w != 0 else math.inf
        text = (f"{where}expected {ws}, got {gs} (difference {abs(g - w):.2g}, relative "
                f"error {rel:.2g}; tolerance rtol={rtol:g}, atol={atol:g})")
        n_bad, n = int(np.sum(~close)), close.size
        if n > 1:
            text += f"; {n_bad} of {n} entries differ"
        return text

    def expect_equal(self, got: Any, want: Any, *, what: str | None = None,
                     mistakes: Iterable[tuple[Any, str]] = ()) -> Any:
        """Fail unless ``got == want`` (ints, strings, tuples); known wrong answers hint."""
        noun = self._noun(what)
        if isinstance(want, int) and not isinstance(want, bool):
            if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
                if isinstance(got, (float, np.floating)) and math.isfinite(got) \
                        and float(got).is_integer():
                    self.fail(f"{noun} is the float {float(got)!r}; return an int (a count), "
                              "e.g. int(...)")
                self.fail(f"{noun} is {describe(got)}; expected an int")
            got = int(got)
        if got == want:
            return got
        for wrong, hint in mistakes:
            if got == wrong and wrong != want:
                self.fail(f"{noun}: expected {want!r}, got {got!r}. Likely mistake: {hint}")
        self.fail(f"{noun}: expected {want!r}, got {got!r}")
        return got  # pragma: no cover

    def expect_unchanged(self, before: Any, after: Any, name: str) -> None:
        """Fail if ``after`` differs from the copy ``before`` (modified in place)."""
        if not _same(before if isinstance(before, list) else np.asarray(before),
                     after if isinstance(before, list) else np.asarray(after)):
            self._fail_inplace(self._last, name)

    # ------------------------------------------------------------------ running
    def run(self, fn: Any = _MISSING, *, others: dict[str, Any] | None = None,
            untouched: Callable[..., Any] | None = None, kind: str = "function",
            required: Sequence[str] = (), verbose: bool = True) -> CheckResult:
        """Run every case in order, printing each line as it ends; return a CheckResult.

        Parameters
        ----------
        fn : callable or class
            The reader's answer (checked first: ``None`` or a number gets "expected a
            function", an instance gets "expected the class").
        others : dict, optional
            Further answers of the same exercise, by name (``{"leaky_relu_grad": g}``).
        untouched : callable, optional
            The code handed out (for "fix the bug" exercises): a function whose code
            is identical counts as "not attempted yet".
        kind : {"function", "class"}
        required : sequence of str
            For a class: the methods the reader writes. When every one of them is still
            a stub, the exercise is "not attempted yet" before any case runs.
        verbose : bool
            Print the feedback (the default; the tests pass False).
        """
        n = len(self._cases)
        lines: list[str] = []
        printed = [False]

        def say(line: str) -> None:
            lines.append(line)
            if verbose:
                if not printed[0] and len(lines) > 1:
                    print(lines[0], flush=True)  # the header, with the first case
                printed[0] = True
                print(line, flush=True)

        answers = ([(self.name, fn)] if fn is not _MISSING else []) + list((others or {}).items())
        for label, obj in answers:
            bad = self._not_an_answer(label, obj, kind)
            if bad:
                return self._finish([f"{FAIL} {bad}"], "failed", n, 0, [bad], [], verbose)
        stubs = [m for m in required if _is_stub_code(getattr(getattr(fn, m, None), "__code__",
                                                               _NO_CODE))]
        if required and len(stubs) == len(required):
            msg = (f"{self.name}: not attempted yet ({', '.join(stubs)} still raise"
                   f"{'s' if len(stubs) == 1 else ''} NotImplementedError).\n{self.stub_hint}")
            return self._finish([msg], "not_attempted", n, 0, [msg], [], verbose)
        if fn is not _MISSING and untouched is not None and _same_code(fn, untouched):
            msg = (f"{self.name}: not attempted yet.\nThis is still the code handed out: fix it "
                   "in the cell above, run that cell,\nthen run this cell again.")
            return self._finish([msg], "not_attempted", n, 0, [msg], [], verbose)
        lines.append(f"{self.name}: checking {n} case{'s' if n != 1 else ''}")
        n_passed, n_done, messages, internal = 0, 0, [], []
        for description, case in self._cases:
            try:
                try:
                    case()
                except (CheckFailed, NotAttempted):
                    raise
                except Exception as exc:  # a reader's object misbehaving, or a checker bug
                    raise self._unexpected(exc, internal) from None
            except NotAttempted as stub:
                where = stub.args[0] if stub.args else ""
                if n_done == 0:
                    msg = f"{self.name}: not attempted yet"
                    if where and where not in (self.name, getattr(fn, "__qualname__", None)):
                        msg += f" ({_friendly_qualname(where)} still raises NotImplementedError)"
                    msg += ".\n" + self.stub_hint
                    return self._finish([msg], "not_attempted", n, 0, [msg], [], verbose)
                msg = (f"{_friendly_qualname(where) or 'a function'} is not written yet (it "
                       "still raises NotImplementedError): write it, run its cell, then run "
                       "this check again")
                messages.append(f"{description}: {msg}")
                say(f"  {FAIL} {description}: {_indent(msg)}")
            except CheckFailed as exc:
                messages.append(f"{description}: {exc}")
                say(f"  {FAIL} {description}: {_indent(str(exc))}")
            else:
                n_passed += 1
                say(f"  {PASS} {description}")
            n_done += 1
        if n_passed == n:
            say(f"All {n} checks passed.")
            return self._finish(lines, "passed", n, n_passed, [], internal, verbose, True)
        say(f"{n_passed} of {n} checks passed. Fix the first {FAIL} above, run your cell "
            "again, then this one.")
        return self._finish(lines, "failed", n, n_passed, messages, internal, verbose, True)

    def _unexpected(self, exc: Exception, internal: list[str]) -> Exception:
        """Turn an exception that escaped a case into feedback (never a crash)."""
        if isinstance(exc, NotImplementedError):
            stub = _stub_name(exc)
            if stub is not None:
                return NotAttempted(stub)
        if _reader_frame(exc.__traceback__) is not None:
            return CheckFailed(exception_feedback(f"your {self.name}", exc))
        internal.append("".join(traceback.format_exception(exc)))
        return CheckFailed(f"the checker could not finish this case with your answer "
                           f"({type(exc).__name__}: {exc}). Check the types your code returns "
                           "against the exercise's description")

    def _not_an_answer(self, label: str, obj: Any, kind: str) -> str | None:
        if kind == "class":
            if inspect.isclass(obj):
                return None
            if obj is not None and inspect.isclass(type(obj)) and \
                    type(obj).__name__ == label:
                return (f"{label}: expected the class itself, got an instance of it. Pass "
                        f"{label}, not {label}(...)")
            return (f"{label}: expected a class, got {describe(obj)}. Pass the class "
                    f"itself: check_...({label})")
        if obj is None or not callable(obj):
            return (f"{label}: expected a function, got {describe(obj)}. Pass the function "
                    f"itself, without calling it: check_...({label}), not "
                    f"check_...({label}(...))")
        return None

    def _finish(self, out: list[str], status: str, n: int, n_passed: int,
                messages: list[str], internal: list[str], verbose: bool,
                streamed: bool = False) -> CheckResult:
        if verbose and not streamed:
            print("\n".join(out), flush=True)
        return CheckResult(self.name, status, n, n_passed, messages, internal)


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


# =========================================================================== same code
def _normalized_source(f: Any) -> str | None:
    """The AST of a function's arguments and body (name, comments and layout ignored)."""
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
