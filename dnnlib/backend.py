"""Which array library computes: NumPy (CPU, the default) or CuPy (GPU).

Two rules, borrowed from the array-API world (SciPy, scikit-learn, Chainer):

* **Computation follows the data.** A function finds the array library from its
  inputs (:func:`namespace`), so a CuPy array in means GPU compute out, and
  no chapter code changes.
* **Creation uses the current backend.** New arrays (initial weights, data sets,
  buffers) are made by :func:`xp` / :func:`asarray`, on the backend chosen by
  :func:`set_backend`, :func:`use_backend` or the environment variable
  ``DNNLIB_BACKEND`` (read once, here, at import).

This is the only module that imports CuPy, and only when asked for it.
A third backend, ``"array_api_strict"``, exists for the test suite: it is a
strict CPU stand-in that rejects any NumPy-only call, which proves the CuPy
path uses nothing CuPy lacks.

Examples
--------
>>> import dnnlib as dl
>>> dl.get_backend()
'numpy'
>>> with dl.use_backend("numpy"):
...     x = dl.backend.asarray([1.0, 2.0])
>>> dl.to_numpy(x).dtype
dtype('float32')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "BACKENDS",
    "set_backend",
    "get_backend",
    "use_backend",
    "xp",
    "namespace",
    "asarray",
    "to_numpy",
    "is_array",
    "set_default_dtype",
    "get_default_dtype",
    "default_dtype",
    "as_generator",
    "random_uniform",
    "random_normal",
]

#: Backend names accepted by :func:`set_backend`.
BACKENDS = ("numpy", "cupy", "array_api_strict")
_DTYPES = ("float32", "float64")

_state: dict[str, str] = {"backend": "numpy", "dtype": "float32"}


# --------------------------------------------------------------------------- backends
def _import_cupy(fn: str) -> ModuleType:
    """Import CuPy and make sure a CUDA device answers, or raise a clear RuntimeError."""
    try:
        import cupy
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            f"{fn}: the 'cupy' backend needs CuPy, which is not installed "
            f"({exc}). Install it with: pip install -e .[gpu]  (a CUDA 12 GPU is required)"
        ) from None
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError is a RuntimeError; be broad on purpose
        raise RuntimeError(
            f"{fn}: CuPy is installed but no CUDA device answers ({exc}). "
            "Use the 'numpy' backend on this machine."
        ) from None
    if n < 1:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"{fn}: CuPy is installed but found no CUDA device.")
    return cupy


def _module(name: str, fn: str) -> ModuleType:
    """The array-API namespace of backend ``name`` (wrapped by array_api_compat)."""
    if name == "numpy":
        import array_api_compat.numpy as m

        return m
    if name == "cupy":
        _import_cupy(fn)
        import array_api_compat.cupy as m

        return m
    if name == "array_api_strict":
        try:
            import array_api_strict as m
        except ImportError:
            raise RuntimeError(
                f"{fn}: the 'array_api_strict' test backend needs the package "
                "array-api-strict: pip install -e .[test]"
            ) from None
        return m
    raise ValueError(f"{fn}: backend must be one of {BACKENDS}, got {name!r}")


def _check_name(name: Any, fn: str) -> str:
    if not isinstance(name, str):
        raise TypeError(
            f"{fn}: backend must be a str, one of {BACKENDS}; got {type(name).__name__}"
        )
    key = name.strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"{fn}: backend must be one of {BACKENDS}, got {name!r}")
    return key


def set_backend(name: str) -> None:
    """Choose the array library that creates new arrays: ``"numpy"`` or ``"cupy"``.

    Parameters
    ----------
    name : {"numpy", "cupy", "array_api_strict"}
        ``"array_api_strict"`` is a strict CPU stand-in used by the tests.

    Raises
    ------
    ValueError
        For an unknown name.
    RuntimeError
        For ``"cupy"`` when CuPy is not installed or no CUDA device answers.

    Examples
    --------
    >>> import dnnlib as dl
    >>> dl.set_backend("numpy")
    >>> dl.get_backend()
    'numpy'
    """
    key = _check_name(name, "set_backend")
    _module(key, "set_backend")  # fail now, with a clear message, not at first use
    _state["backend"] = key


def get_backend() -> str:
    """The name of the current backend: ``"numpy"``, ``"cupy"`` or ``"array_api_strict"``."""
    return _state["backend"]


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[ModuleType]:
    """Switch the backend inside a ``with`` block, then switch back (even on error).

    Yields the namespace of the backend, so ``with use_backend("cupy") as xp:`` works.
    """
    previous = _state["backend"]
    set_backend(name)
    try:
        yield xp()
    finally:
        _state["backend"] = previous


def xp() -> ModuleType:
    """The array-API namespace of the current backend (used to *create* arrays)."""
    return _module(_state["backend"], "dnnlib.backend.xp")


# --------------------------------------------------------------------------- arrays
def _is_cupy_array(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "cupy"


def is_array(x: Any) -> bool:
    """True for a NumPy, CuPy or array-api-strict array (not for lists or scalars)."""
    if type(x) is np.ndarray:  # fast path for the common case
        return True
    import array_api_compat

    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.generic)


def _backend_of(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return "numpy"
    if _is_cupy_array(x):
        return "cupy"
    return type(x).__module__.split(".")[0]


backend_of = _backend_of  # public: "numpy", "cupy" or "array_api_strict" for an array


_npx: ModuleType | None = None  # array_api_compat.numpy, imported on first use


def _load_npx() -> ModuleType:
    global _npx
    import array_api_compat.numpy as m

    _npx = m
    return m


def namespace(*arrays: Any, fn: str = "dnnlib") -> ModuleType:
    """The array-API namespace shared by ``arrays`` (``None`` and Python scalars ignored).

    Parameters
    ----------
    *arrays
        Arrays of one backend.
    fn : str
        The name of the calling function, used in error messages.

    Raises
    ------
    TypeError
        When the arrays come from two backends (for example a NumPy and a CuPy
        array): dnnlib never copies between CPU and GPU behind your back.
    """
    # Fast path, the training loop's case: only NumPy arrays. Same answer as the generic
    # detection below (array_api_compat's NumPy namespace), ~4 us cheaper a call.
    # A plain loop: a generator inside all() costs more than the check itself here.
    for a in arrays:
        if type(a) is not np.ndarray:
            break
    else:
        if arrays:
            return _npx or _load_npx()
    import array_api_compat

    found = [a for a in arrays if a is not None and is_array(a)]
    if not found:
        return xp()
    kinds = {_backend_of(a) for a in found}
    if len(kinds) > 1:
        raise TypeError(
            f"{fn}: got arrays from different backends {sorted(kinds)}; move them to one "
            "backend first (dnnlib.to_numpy(x) for NumPy, or create them under "
            "dnnlib.use_backend(...)). dnnlib never copies between CPU and GPU silently. "
            f"(A Python list or scalar becomes an array of the current backend, "
            f"{_state['backend']!r}.)"
        )
    return array_api_compat.array_namespace(*found)


def default_dtype(xp_: ModuleType | None = None) -> Any:
    """The default floating dtype object of namespace ``xp_`` (current backend if None)."""
    m = xp() if xp_ is None else xp_
    return getattr(m, _state["dtype"])


def set_default_dtype(dtype: str) -> None:
    """Set the floating dtype that new parameters use: ``"float32"`` (default) or ``"float64"``.

    Examples
    --------
    >>> import dnnlib as dl
    >>> dl.set_default_dtype("float64"); dl.get_default_dtype()
    'float64'
    >>> dl.set_default_dtype("float32")
    """
    name = getattr(dtype, "__name__", None) or str(dtype)
    name = {"<class 'numpy.float32'>": "float32", "<class 'numpy.float64'>": "float64"}.get(
        name, name
    )
    if name not in _DTYPES:
        raise ValueError(f"set_default_dtype: dtype must be one of {_DTYPES}, got {dtype!r}")
    _state["dtype"] = name


def get_default_dtype() -> str:
    """The name of the default floating dtype: ``"float32"`` or ``"float64"``."""
    return _state["dtype"]


def asarray(obj: Any, dtype: Any = None, *, like: Any = None) -> Any:
    """Make an array on the current backend (or on the backend of ``like``).

    Python floats and lists become the default dtype (float32 unless changed),
    not NumPy's float64; an existing array keeps its dtype unless ``dtype`` is given.
    This is the explicit door from the host to the backend (a NumPy array in, a CuPy
    array out under the "cupy" backend). A GPU array is never copied back to the host
    here: that is :func:`to_numpy`'s job.
    """
    m = namespace(like, fn="asarray") if like is not None else xp()
    if is_array(obj):
        src = _backend_of(obj)
        if src == "cupy" and not m.__name__.endswith("cupy"):
            raise TypeError(
                "asarray: got a cupy (GPU) array for a CPU backend; copy it to the host "
                "explicitly with dnnlib.to_numpy(x)"
            )
        if src not in ("numpy", "cupy"):
            obj = np.asarray(obj)
        return m.asarray(obj, dtype=dtype) if dtype is not None else m.asarray(obj)
    arr = np.asarray(obj)
    if dtype is None and arr.dtype.kind == "f" and not isinstance(obj, np.generic):
        # Python floats and lists take the default dtype; a NumPy scalar keeps its own
        dtype = default_dtype(m)
    return m.asarray(arr, dtype=dtype) if dtype is not None else m.asarray(arr)


def to_numpy(x: Any) -> np.ndarray:
    """Any backend's array (or a scalar or list) as a ``numpy.ndarray`` on the host.

    This is the one door from the GPU to the CPU: plots and tests go through it.

    Examples
    --------
    >>> import numpy as np, dnnlib as dl
    >>> dl.to_numpy(np.arange(3.0))
    array([0., 1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x
    if _is_cupy_array(x):
        return x.get()
    return np.asarray(x)


# --------------------------------------------------------------------------- randomness
def as_generator(rng: Any, fn: str = "dnnlib") -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``rng``: a Generator, an int seed or None.

    dnnlib never touches global random state: every random draw takes an explicit
    ``rng``. Initial weights are drawn on the host and moved to the backend, so one
    seed gives the same network on NumPy and on CuPy.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{fn}: rng seed must be a non-negative int, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(
        f"{fn}: rng must be a numpy.random.Generator, an int seed or None; "
        f"got {type(rng).__name__}"
    )


# A device-side generator per host generator, seeded from it on first use, so that
# per-step random numbers (dropout masks) are drawn where the data lives.
# A plain dict keyed by the Generator object (hashed by identity): numpy Generators
# do not support weak references, so a WeakKeyDictionary raised TypeError on .get().
_device_generators: dict[np.random.Generator, Any] = {}
device_generators = _device_generators  # public: pop a key after restoring that host rng


def _dtype_name(dtype: Any) -> str:
    """'float32', 'int64', ... for a NumPy/CuPy dtype or type, or an array-api-strict dtype."""
    try:
        return np.dtype(dtype).name
    except TypeError:  # array_api_strict.float64 and friends print as "array_api_strict.float64"
        return str(dtype).rsplit(".", 1)[-1]


dtype_name = _dtype_name  # public: 'float32', 'int64', ... for any backend's dtype


def random_uniform(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, xp_: ModuleType):
    """Uniform numbers in [0, 1) of ``shape`` and ``dtype`` in namespace ``xp_``."""
    shape = tuple(int(s) for s in shape)
    if xp_.__name__.endswith("cupy"):
        import cupy

        g = _device_generators.get(rng)
        if g is None:
            g = cupy.random.default_rng(int(rng.integers(2**63)))
            _device_generators[rng] = g
        return g.random(shape, dtype=_dtype_name(dtype))
    return xp_.asarray(rng.random(shape, dtype=np.dtype(_dtype_name(dtype))))


def random_normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, xp_: ModuleType, std: float = 1.0
):
    """Normal numbers N(0, std^2), drawn on the host (float64) and cast, in namespace ``xp_``."""
    shape = tuple(int(s) for s in shape)
    host = (std * rng.standard_normal(shape)).astype(_dtype_name(dtype))
    return xp_.asarray(host)


# --------------------------------------------------------------------------- start-up
def _from_environment() -> None:
    """Apply ``DNNLIB_BACKEND``; a bad or unavailable value fails ``import dnnlib``, naming it.

    An explicit request for the GPU is not silently replaced by the CPU: the error says
    to unset the variable (or set it to ``numpy``) instead.
    """
    name = os.environ.get("DNNLIB_BACKEND")
    if name:
        try:
            set_backend(name)
        except ValueError as exc:
            raise ValueError(f"environment variable DNNLIB_BACKEND={name!r}: {exc}") from None
        except RuntimeError as exc:
            raise RuntimeError(
                f"environment variable DNNLIB_BACKEND={name!r}: {exc} Unset the variable, "
                "or set DNNLIB_BACKEND=numpy, to use the CPU."
            ) from None


_from_environment()
