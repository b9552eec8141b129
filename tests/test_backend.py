"""The backend switch: names, errors, context manager, creation, conversion, randomness."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import _CUPY_SKIP

import dnnlib as dl
from dnnlib import backend as B


def test_default_backend_is_numpy():
    assert dl.get_backend() == "numpy"
    assert dl.get_default_dtype() == "float32"


def test_use_backend_restores_even_on_error():
    with pytest.raises(ZeroDivisionError):
        with dl.use_backend("array_api_strict"):
            assert dl.get_backend() == "array_api_strict"
            raise ZeroDivisionError
    assert dl.get_backend() == "numpy"


def test_set_backend_then_back():
    dl.set_backend("array_api_strict")
    assert dl.get_backend() == "array_api_strict"
    a = B.asarray([1.0, 2.0])
    assert type(a).__module__.startswith("array_api_strict")
    dl.set_backend("numpy")
    assert isinstance(B.asarray([1.0]), np.ndarray)


@pytest.mark.parametrize(
    "name, exc, match",
    [
        ("torch", ValueError, r"set_backend: backend must be one of .*got 'torch'"),
        ("", ValueError, r"set_backend: backend must be one of"),
        (3, TypeError, r"set_backend: backend must be a str.*got int"),
        (None, TypeError, r"set_backend: backend must be a str.*got NoneType"),
    ],
)
def test_set_backend_rejects_bad_names(name, exc, match):
    with pytest.raises(exc, match=match):
        dl.set_backend(name)
    assert dl.get_backend() == "numpy"


@pytest.mark.skipif(_CUPY_SKIP is None, reason="a CUDA device is present here")
def test_cupy_missing_is_a_clear_runtime_error():
    with pytest.raises(RuntimeError, match=r"set_backend: .*(pip install -e \.\[gpu\]|no CUDA)"):
        dl.set_backend("cupy")
    assert dl.get_backend() == "numpy"


def test_mixed_backends_are_refused():
    import array_api_strict as strict

    with pytest.raises(TypeError, match=r"myfn: got arrays from different backends"):
        B.namespace(np.ones(2), strict.ones(2), fn="myfn")


def test_namespace_follows_the_data_not_the_current_backend():
    with dl.use_backend("array_api_strict"):
        ns = B.namespace(np.ones(2))
    assert ns.__name__.endswith("numpy")


def test_asarray_uses_the_default_dtype_for_python_floats():
    assert B.asarray([1.0, 2.0]).dtype == np.float32
    dl.set_default_dtype("float64")
    assert B.asarray([1.0, 2.0]).dtype == np.float64
    assert B.asarray(np.ones(2, dtype=np.float32)).dtype == np.float32  # arrays keep theirs
    assert B.asarray([1, 2]).dtype.kind == "i"


@pytest.mark.parametrize("bad", ["float16", "int32", "double", None])
def test_set_default_dtype_rejects(bad):
    with pytest.raises(ValueError, match=r"set_default_dtype: dtype must be one of"):
        dl.set_default_dtype(bad)


def test_set_default_dtype_accepts_numpy_types():
    dl.set_default_dtype(np.float64)
    assert dl.get_default_dtype() == "float64"


def test_to_numpy(xp):
    a = B.asarray([1.0, 2.0])
    out = dl.to_numpy(a)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [1.0, 2.0])
    assert dl.to_numpy(3.0).shape == ()


def test_as_generator():
    g = np.random.default_rng(0)
    assert B.as_generator(g) is g
    a = B.as_generator(5).random()
    assert a == np.random.default_rng(5).random()
    with pytest.raises(TypeError, match=r"f: rng must be a numpy.random.Generator"):
        B.as_generator("seed", fn="f")
    with pytest.raises(TypeError, match=r"rng must be"):
        B.as_generator(True)
    with pytest.raises(ValueError, match=r"f: rng seed must be a non-negative int, got -1"):
        B.as_generator(-1, fn="f")


def test_random_numbers_live_on_the_requested_backend(xp):
    g = np.random.default_rng(0)
    u = B.random_uniform(g, (3, 4), xp.float64, xp)
    n = B.random_normal(g, (3, 4), xp.float32, xp, std=2.0)
    assert B._backend_of(u) == B._backend_of(xp.asarray(0.0))
    assert u.dtype == xp.float64 and n.dtype == xp.float32
    hu = dl.to_numpy(u)
    assert ((hu >= 0) & (hu < 1)).all()


def test_same_seed_same_numbers_on_numpy_and_strict():
    import array_api_compat.numpy as cnp
    import array_api_strict as strict

    a = B.random_normal(np.random.default_rng(3), (5,), cnp.float64, cnp)
    b = B.random_normal(np.random.default_rng(3), (5,), strict.float64, strict)
    np.testing.assert_array_equal(dl.to_numpy(a), dl.to_numpy(b))


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_environment_variable_selects_the_backend():
    r = _run("import dnnlib as dl; print(dl.get_backend())", DNNLIB_BACKEND="array_api_strict")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "array_api_strict"


def test_environment_variable_with_a_bad_name_fails_clearly():
    r = _run("import dnnlib", DNNLIB_BACKEND="tensorflow")
    assert r.returncode != 0
    assert "DNNLIB_BACKEND" in r.stderr and "tensorflow" in r.stderr


def test_numpy_scalars_keep_their_dtype():
    import dnnlib.functional as F

    assert B.asarray(np.float64(0.7)).dtype == np.float64
    assert F.sigmoid(np.float64(0.7)).dtype == np.float64
    assert F.sigmoid(0.7).dtype == np.float32  # a Python float takes the default dtype
    assert B.asarray(0.7).dtype == np.float32


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_d_inputs_keep_their_dtype_on_numpy_1_and_2(dtype):
    """NumPy 1.x casts a 0-d float32 array op a Python float to float64 (by value);
    dnnlib.functional casts such results back there, NumPy 2 needs nothing."""
    import dnnlib.functional as F

    z = np.asarray(0.7, dtype=dtype)
    y = np.asarray(1.0, dtype=dtype)
    for name in F.__all__:
        f = getattr(F, name)
        if name in ("softmax", "log_softmax"):
            out = f(np.asarray([0.7], dtype=dtype))
        elif name == "softmax_and_log_softmax":
            for out in f(np.asarray([0.7, -0.2], dtype=dtype)):
                assert out.dtype == np.dtype(dtype) and out.shape == (2,)
            continue
        elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse"):
            out = f(z, y)
        elif name == "softmax_cross_entropy":
            out = f(np.asarray([[0.7, -0.2]], dtype=dtype), np.asarray([1]))
        else:
            out = f(z)
        assert out.dtype == np.dtype(dtype), f"functional.{name}: {dtype} in, {out.dtype} out"
        assert np.ndim(out) == np.ndim(z if name not in ("softmax", "log_softmax") else [0])
