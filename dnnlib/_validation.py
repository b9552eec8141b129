"""Input checks shared by every module, so that each error names who complains,
which argument, what was expected and what was given.

Private: readers meet these only through the messages they produce.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend as B


def _dtype_str(dtype: Any) -> str:
    return str(dtype).split(".")[-1].replace("'>", "").replace("<class '", "")


#: The floating dtypes dnnlib computes in. float16 (and longdouble) are refused: half
#: precision has a 5-bit exponent (largest value 65504, smallest normal 6.1e-5), too
#: narrow for the cut-offs that keep exp, log and the softmax finite (sigmoid(0) would be
#: 1.0 and softmax NaN), and nothing in the book needs it. Cast with x.astype("float32").
FLOAT_DTYPES = ("float32", "float64")


def is_floating(xp: Any, x: Any) -> bool:
    """True when ``x`` has a real floating dtype (float16/32/64 ...)."""
    if type(x) is np.ndarray:  # fast path: numpy.isdtype costs ~10 us a call
        return x.dtype.kind == "f"
    return bool(xp.isdtype(x.dtype, "real floating"))


def is_supported_float(xp: Any, x: Any) -> bool:
    """True when ``x`` is float32 or float64 (the dtypes dnnlib computes in)."""
    if type(x) is np.ndarray:  # fast path: 'f' is float32, 'd' float64
        return x.dtype.char in "fd"
    return is_floating(xp, x) and _dtype_str(x.dtype) in FLOAT_DTYPES


def as_float_array(x: Any, fn: str, name: str = "x", *, ndim: tuple[int, ...] | None = None,
                   finite: bool = False, like: Any = None) -> Any:
    """Return ``x`` as a float32 or float64 array of its own backend, or raise a clear error.

    * Python scalars and lists become arrays of the default dtype (float32 unless
      changed), on the backend of ``like`` when given (so that a list meets the array it
      is combined with), else on the current backend; arrays keep their backend and dtype.
    * Integer or boolean arrays are refused (TypeError): dnnlib never guesses a
      float dtype for you. So are float16 and other floating dtypes besides float32 and
      float64 (TypeError; see ``FLOAT_DTYPES``).
    * ``ndim`` restricts the number of dimensions (ValueError otherwise).
    * ``finite=True`` refuses NaN and infinity (ValueError).
    """
    if type(x) is np.ndarray and x.dtype.char in "fd" and not finite and (
            ndim is None or x.ndim in ndim):
        return x  # the common case, checked in one line
    if not B.is_array(x):
        if isinstance(x, (str, bytes, dict, set)) or x is None:
            raise TypeError(f"{fn}: {name} must be an array of floats, got {type(x).__name__}")
        try:
            arr = np.asarray(x)
        except Exception:  # ragged lists and the like
            raise TypeError(f"{fn}: {name} must be an array of floats, got {type(x).__name__}"
                            ) from None
        if arr.dtype.kind != "f":
            raise TypeError(
                f"{fn}: {name} must contain floats, got {type(x).__name__} of dtype {arr.dtype}"
                " (write 1.0, not 1, or pass a float array)"
            )
        x = B.asarray(x, like=like)  # lists: the default dtype; NumPy scalars keep theirs
    xp = B.namespace(x, fn=fn)
    if not is_floating(xp, x):
        raise TypeError(
            f"{fn}: {name} must have a floating dtype (float32 or float64), got "
            f"{_dtype_str(x.dtype)}; convert with x.astype('float32')"
        )
    if not is_supported_float(xp, x):
        dt = _dtype_str(x.dtype)
        why = " (half precision is too narrow for its exp and log cut-offs)" if dt == "float16" \
            else ""
        raise TypeError(f"{fn}: {name} has dtype {dt}; dnnlib computes in float32 or float64 "
                        f"only{why}; convert with {name}.astype('float32')")
    if ndim is not None and x.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{fn}: {name} must be {want}, got a {x.ndim}-D array of shape "
                         f"{tuple(x.shape)}")
    if finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{fn}: {name} contains NaN or infinity")
    return x


def as_label_array(y: Any, fn: str, name: str = "labels", *, n_classes: int | None = None,
                   like: Any = None) -> Any:
    """Integer class labels in ``[0, n_classes)`` as an array on ``like``'s backend.

    Float arrays holding whole numbers are refused too: labels are counts, not values
    (TypeError names the dtype); out-of-range labels raise ValueError with the offender.
    """
    if type(y) is np.ndarray and y.dtype.kind in "iu" and (like is None
                                                         or type(like) is np.ndarray):
        xp = np  # the common case, checked in one line (numpy.isdtype costs ~10 us)
    else:
        if not B.is_array(y):
            arr = np.asarray(y)
            if arr.dtype.kind not in "iu":
                raise TypeError(f"{fn}: {name} must be integer class indices, got dtype "
                                f"{arr.dtype}")
            y = B.asarray(arr, like=like) if like is not None else B.asarray(arr)
        xp = B.namespace(y, like, fn=fn)
        if not xp.isdtype(y.dtype, "integral"):
            raise TypeError(f"{fn}: {name} must be integer class indices (int64), got dtype "
                            f"{_dtype_str(y.dtype)}")
    if n_classes is not None and math.prod(y.shape) > 0:  # the caller checks the shape
        lo, hi = (int(y.min()), int(y.max())) if xp is np else (int(xp.min(y)), int(xp.max(y)))
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{fn}: {name} must lie in [0, {n_classes - 1}] for {n_classes} classes, "
                f"got {bad}"
            )
    return y


def check_int(value: Any, fn: str, name: str, *, minimum: int = 0) -> int:
    """An int >= ``minimum`` (bools refused), else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(value: Any, fn: str, name: str, *, low: float | None = None,
                high: float | None = None, low_open: bool = False, high_open: bool = False
                ) -> float:
    """A finite real number in the interval given, else TypeError/ValueError.

    ``low_open``/``high_open`` make the bound strict; the message shows the interval.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    lo_s = "(" if low_open else "["
    hi_s = ")" if high_open else "]"
    interval = f"{lo_s}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi_s}"
    bad = not math.isfinite(v)
    if low is not None and (v < low or (low_open and v == low)):
        bad = True
    if high is not None and (v > high or (high_open and v == high)):
        bad = True
    if bad:
        raise ValueError(f"{fn}: {name} must lie in {interval}, got {value!r}")
    return v


def check_same_length(a: Any, b: Any, fn: str, name_a: str = "X", name_b: str = "y") -> None:
    """Both arrays must have rows (at least 1-D), the same number of them; ``b`` may be None."""
    for arr, name in ((a, name_a), (b, name_b)):
        if arr is not None and arr.ndim == 0:
            raise ValueError(f"{fn}: {name} must have at least one dimension (its rows), got "
                             "a 0-D array")
    if b is not None and a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{fn}: {name_a} and {name_b} must have the same number of rows, got "
            f"{a.shape[0]} and {b.shape[0]}"
        )


def _kind(x: Any) -> str:
    """NumPy's one-letter dtype kind ('b', 'i', 'u', 'f', 'c', 'U', 'V', 'O' ...) of any array."""
    if isinstance(x.dtype, np.dtype):  # NumPy and CuPy
        return x.dtype.kind
    xp = B.namespace(x)
    for kind, name in (("b", "bool"), ("i", "signed integer"), ("u", "unsigned integer"),
                       ("f", "real floating"), ("c", "complex floating")):
        if xp.isdtype(x.dtype, name):
            return kind
    return "?"


def check_state_arrays(fn: str, targets: dict[str, Any], given: Any) -> dict[str, Any]:
    """Check a state dict against the live arrays it will overwrite, changing nothing.

    Parameters
    ----------
    fn : str
        Who complains (``"Sequential.load_state_dict"``).
    targets : dict of str to array
        Key -> the live array (a parameter's data, a buffer) the value will be copied into.
    given : mapping of str to array-like
        The state dict (NumPy arrays from a file, arrays of any backend, lists).

    Returns
    -------
    dict of str to array
        Every value moved to its target's backend and cast to its dtype, ready for
        ``target[...] = value``: the caller assigns only after this returned, so a
        failed load changes nothing.

    Raises
    ------
    TypeError
        ``given`` is not a mapping.
    ValueError
        Listing every missing key, unexpected key, shape mismatch and unusable value
        (strings, complex, structured or object arrays; floats for an integer target;
        finite values beyond the target dtype's range, which would become infinity).
    """
    if not hasattr(given, "keys") or not hasattr(given, "__getitem__"):
        raise TypeError(f"{fn}: state_dict must be a dict of arrays, got {type(given).__name__}")
    keys = set(given.keys())
    missing = [k for k in targets if k not in keys]
    unexpected = sorted(str(k) for k in keys - set(targets))
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, target in targets.items():
        if key not in keys:
            continue
        txp = B.namespace(target, fn=fn)
        v = given[key]
        if not B.is_array(v):
            try:
                v = np.asarray(v)
            except Exception:  # ragged lists and the like
                problems.append(f"{key}: expected an array, got {type(v).__name__}")
                continue
        kind = _kind(v)
        want_int = bool(txp.isdtype(target.dtype, "integral"))
        if kind not in ("iu" if want_int else "fiu"):
            problems.append(f"{key}: expected {'integer' if want_int else 'real'} numbers "
                            f"for a {_dtype_str(target.dtype)} array, got dtype "
                            f"{_dtype_str(v.dtype)}")
            continue
        if tuple(v.shape) != tuple(target.shape):
            problems.append(f"{key}: expected shape {tuple(target.shape)}, got {tuple(v.shape)}")
            continue
        try:
            v = B.asarray(v, like=target)
        except TypeError as exc:  # a GPU array for a CPU model
            problems.append(f"{key}: {exc}")
            continue
        xp = B.namespace(v, target, fn=fn)
        if kind == "f" and not want_int and v.dtype != target.dtype:
            top = float(xp.finfo(target.dtype).max)
            if bool(xp.any(xp.isfinite(v) & (xp.abs(v) > top))):
                problems.append(f"{key}: holds finite values beyond the range of "
                                f"{_dtype_str(target.dtype)} (largest {top:.3g}); they "
                                "would become infinity")
                continue
        values[key] = xp.astype(v, target.dtype) if v.dtype != target.dtype else v
    if missing or unexpected or problems:
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected}")
        if problems:
            parts.append("; ".join(problems))
        raise ValueError(f"{fn}: " + ", ".join(parts) + " (nothing was changed)")
    return values


def check_bool(value: Any, fn: str, name: str) -> bool:
    """A bool (NumPy's included), else TypeError: ``"no"`` is not False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {type(value).__name__} "
                        f"{value!r}")
    return bool(value)


def as_path(value: Any, fn: str, name: str = "path") -> Any:
    """``value`` as a ``pathlib.Path`` (a str or a path-like), else TypeError."""
    import os
    from pathlib import Path

    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{fn}: {name} must be a file path (a str or a pathlib.Path), got "
                        f"{type(value).__name__}")
    return Path(value)
