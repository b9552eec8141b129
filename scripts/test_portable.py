"""Check that the notebooks' stored outputs hold on other CPUs: nbval under several profiles.

Usage (from the repository root)::

    .venv/bin/python scripts/test_portable.py                      # every notebook, 3 profiles
    .venv/bin/python scripts/test_portable.py book/08_batch_normalization.ipynb
    .venv/bin/python scripts/test_portable.py --profiles native,older --list
    .venv/bin/python scripts/test_portable.py --profiles all       # also the SSE-only profile

A stored output that differs between two CPUs was recorded from last-bit rounding
(float32 GEMM kernels and NumPy's SIMD loops round differently on AVX2 and AVX-512),
amplified by a chaotic computation. Rather than wait for a reader with another CPU,
this script emulates one on this machine, and runs nbval (strict, the test suite's
command) once per profile:

``native``
    the machine as it is (the profile the test suite and CI run).
``older``
    an older CPU: on an AVX-512 machine NumPy's AVX-512 loops off and OpenBLAS's
    ``Haswell`` kernel; on an AVX2 machine NumPy's AVX2 loops off and ``Sandybridge``.
``one-thread``
    one BLAS thread instead of the machine's count (GEMM splits its work differently).
``sse``
    (only with ``--profiles all``) NumPy's AVX2 and AVX-512 loops off and OpenBLAS's
    ``Sandybridge`` kernel, whatever the machine.

The variables are set here, for the child processes only: the project's tests and
CI never set them. Each profile's run first prints what NumPy and OpenBLAS really
use (so a variable that did not take effect is seen, not assumed). Exit status: 0 if
every profile passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_AVX512_OFF = "X86_V4 AVX512_ICL AVX512_SPR"

PROBE = r"""
import ctypes, glob, os
import numpy as np
try:
    from numpy._core._multiarray_umath import __cpu_features__ as f
except ImportError:  # NumPy 1.x
    from numpy.core._multiarray_umath import __cpu_features__ as f
libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*.so*"))
core, threads = "?", "?"
for path in libs:
    lib = ctypes.CDLL(path)
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            name = f"{prefix}get_corename{suffix}"
            if hasattr(lib, name):
                getattr(lib, name).restype = ctypes.c_char_p
                core = getattr(lib, name)().decode()
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")()
                break
        if core != "?":
            break
simd = [k for k in ("AVX512F", "AVX2", "AVX", "SSE42") if f.get(k)]
x86 = [k for k in ("X86_V4", "X86_V3") if f.get(k)]
print(f"numpy {np.__version__}: CPU has {'/'.join(simd)}, NumPy dispatches "
      f"{'/'.join(x86) or 'baseline'} | OpenBLAS kernel {core}, {threads} thread(s)")
"""


def _has_avx512() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as f
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as f
    return bool(f.get("AVX512F"))


def profiles() -> dict[str, dict[str, str]]:
    """Environment variables of each profile, for this machine."""
    if _has_avx512():
        older = {"NPY_DISABLE_CPU_FEATURES": _AVX512_OFF, "OPENBLAS_CORETYPE": "Haswell"}
    else:
        older = {"NPY_DISABLE_CPU_FEATURES": "X86_V3", "OPENBLAS_CORETYPE": "Sandybridge"}
    return {
        "native": {},
        "older": older,
        "one-thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        "sse": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 " + _AVX512_OFF,
                "OPENBLAS_CORETYPE": "Sandybridge"},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=["book"],
                        help="notebooks or folders (default: book)")
    parser.add_argument("--profiles", default="native,older,one-thread",
                        help="comma-separated profile names, or 'all' (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="print the profiles and exit")
    args, pytest_args = parser.parse_known_args(argv)
    table = profiles()
    names = list(table) if args.profiles == "all" else args.profiles.split(",")
    unknown = [n for n in names if n not in table]
    if unknown:
        parser.error(f"unknown profile(s) {unknown}; choose from {list(table)} or 'all'")
    if args.list:
        for name in names:
            print(f"{name:11s} {table[name] or '(the machine as it is)'}")
        return 0

    results = []
    for name in names:
        env = dict(os.environ)
        for var in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"):
            env.pop(var, None)  # a profile starts from the machine, not from the caller's shell
        env.update(table[name])
        print(f"\n==> profile {name}: {table[name] or '(the machine as it is)'}", flush=True)
        subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, check=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
               "--nbval-current-env", "--nbval-sanitize-with",
               str(ROOT / "book" / "sanitize.cfg"), *args.paths, *pytest_args]
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        results.append((name, rc, time.perf_counter() - t0))

    print("\n==> portability summary")
    for name, rc, dt in results:
        print(f"  {name:11s} {'passed' if rc == 0 else f'FAILED (pytest exit {rc})'}"
              f"  ({dt:.0f} s)")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
