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


def is_floating(xp: Any, x: Any) -> bool:
    """True when ``x`` has a real floating dtype (float16/32/64)."""
    if type(x) is np.ndarray:  # fast path: numpy.isdtype costs ~10 us a call
        return x.dtype.kind == "f"
    return bool(xp.isdtype(x.dtype, "real floating"))


def as_float_array(x: Any, fn: str, name: str = "x", *, ndim: tuple[int, ...] | None = None,
                   finite: bool = False) -> Any:
    """Return ``x`` as a floating array of its own backend, or raise a clear error.

    * Python scalars and lists become arrays of the current backend with the
      default dtype (float32 unless changed); arrays keep their backend and dtype.
    * Integer or boolean arrays are refused (TypeError): dnnlib never guesses a
      float dtype for you.
    * ``ndim`` restricts the number of dimensions (ValueError otherwise).
    * ``finite=True`` refuses NaN and infinity (ValueError).
    """
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
        x = B.asarray(x)  # a list or scalar: the default dtype (B.asarray would keep arr's float64)
    xp = B.namespace(x, fn=fn)
    if not is_floating(xp, x):
        raise TypeError(
            f"{fn}: {name} must have a floating dtype (float32 or float64), got "
            f"{_dtype_str(x.dtype)}; convert with x.astype('float32')"
        )
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
    if not B.is_array(y):
        arr = np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{fn}: {name} must be integer class indices, got dtype {arr.dtype}")
        y = B.asarray(arr, like=like) if like is not None else B.asarray(arr)
    xp = B.namespace(y, like, fn=fn)
    if not xp.isdtype(y.dtype, "integral"):
        raise TypeError(
            f"{fn}: {name} must be integer class indices (int64), got dtype {_dtype_str(y.dtype)}"
        )
    if n_classes is not None and y.shape[0] > 0:
        lo, hi = int(xp.min(y)), int(xp.max(y))
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
    """Both arrays must have the same number of rows."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{fn}: {name_a} and {name_b} must have the same number of rows, got "
            f"{a.shape[0]} and {b.shape[0]}"
        )
