"""Shared fixtures: every numeric test runs on every backend available here.

``xp`` is parametrized over NumPy, array-api-strict (a strict CPU stand-in that
rejects NumPy-only calls, so the CuPy path is exercised without a GPU) and CuPy
(skipped with a reason where no CUDA device answers). Inside a test the backend
is switched with ``dnnlib.use_backend``, so creation (weights, buffers) happens
on that backend too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import backend as B


def _cupy_reason() -> str | None:
    try:
        B._import_cupy("tests")
    except RuntimeError as exc:
        return str(exc)
    return None


_CUPY_SKIP = _cupy_reason()

BACKEND_PARAMS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("array_api_strict", id="strict"),
    pytest.param(
        "cupy",
        id="cupy",
        marks=pytest.mark.skipif(_CUPY_SKIP is not None, reason=f"CuPy unavailable: {_CUPY_SKIP}"),
    ),
]


@pytest.fixture(params=BACKEND_PARAMS)
def xp(request):
    """The array namespace of one backend, made current for the test's duration."""
    with dl.use_backend(request.param) as ns:
        yield ns


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Each test starts on NumPy with float32 as the default dtype, whatever it changes."""
    backend, dtype = B.get_backend(), B.get_default_dtype()
    yield
    B._state["backend"], B._state["dtype"] = backend, dtype


def assert_namespace(arr, xp) -> None:
    """The output stayed in the namespace of the input (no silent host/device copy)."""
    assert B._backend_of(arr) == B._backend_of(xp.asarray(0.0)), (
        f"output is a {type(arr)}, expected an array of {xp.__name__}"
    )


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def book_build(tmp_path_factory):
    """The whole book, built once per session with warnings as errors (``book_html.build``).

    Shared by the build test of ``tests/test_book.py`` and the rendering tests of
    ``tests/test_book_rendering.py``, so the suite builds the book once.
    """
    import book_html

    if book_html.jupyter_book() is None:
        pytest.skip("jupyter-book is not installed (pip install -e .[book])")
    root = Path(__file__).resolve().parents[1]
    return book_html.build(root, tmp_path_factory.mktemp("book"))
