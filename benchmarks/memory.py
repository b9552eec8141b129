"""Peak memory of a training run against what it has to hold.

Each case (implementation x dtype x batch, Adam) runs in a fresh process:

1. import the libraries and warm the BLAS up on the step's GEMM shapes at batch <= 256
   (BLAS allocates per-thread buffers on first use), give freed heap pages back
   (``malloc_trim``), then read the resident set: the baseline;
2. build the model, optimizer and batch, run one step (PyTorch creates Adam's state
   lazily), reset the peak RSS (``/proc/self/clear_refs``), run more steps, read the peak;
3. for the NumPy implementations, trace one more step with ``tracemalloc`` (NumPy reports
   its buffers to it): the per-step transient peak, free of allocator effects.

The theoretical size is ``params + grads + optimizer state + input batch + activations``,
with activations = every layer output kept for the backward pass (``z1, h1, z2, h2`` of
``(N, 256)``, logits and probabilities ``(N, 10)``). ``RSS / theory`` near 1 means no
hidden copies; above 1 shows temporaries and allocator slack.

Run alone: ``.venv/bin/python -m benchmarks.memory [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from benchmarks import harness as H
from benchmarks import impls as I
from benchmarks.floor import SIZES

MB = 1024.0**2


def theory(dtype: str, batch: int, optimizer: str = "adam") -> dict[str, float]:
    """Bytes a training step must hold, by component."""
    import numpy as np

    b = np.dtype(dtype).itemsize
    p = I.n_params()
    state = 2 if optimizer == "adam" else 1
    acts = batch * (4 * SIZES[1] + 2 * SIZES[-1])
    parts = {"params": p * b, "grads": p * b, "optimizer state": state * p * b,
             "input batch": batch * SIZES[0] * b + batch * 8, "activations": acts * b}
    parts["total"] = sum(parts.values())
    return parts


def _malloc_trim() -> None:
    """glibc's malloc_trim(0): return free heap pages to the OS (no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def child(case: str, steps: int) -> dict[str, Any]:
    """Measure one case in this (fresh) process."""
    name, dtype, opt, batch = case.split(":")
    batch = int(batch)
    if name == "torch":
        import torch

        torch.set_num_threads(H.blas_threads())
    if name == "dnnlib":
        import dnnlib  # noqa: F401
    from benchmarks.mlp_step import GemmOnly

    warm = GemmOnly(dtype, min(batch, 256))  # BLAS buffers, NumPy's caches
    for _ in range(3):
        warm.step()
    del warm
    if name == "torch":
        a = torch.ones(min(batch, 256), SIZES[0], dtype=getattr(torch, dtype))
        (a @ torch.ones(SIZES[0], SIZES[1], dtype=a.dtype)).sum()
        del a
    _malloc_trim()  # give freed heap memory back, so the baseline holds none to reuse
    base, _ = H.rss_bytes()
    im = I.build(name, dtype, opt, batch)
    im.step()
    built, _ = H.rss_bytes()
    can_reset = H.reset_peak_rss()
    t0 = time.perf_counter()
    for _ in range(steps):
        im.step()
    elapsed = time.perf_counter() - t0
    cur, peak = H.rss_bytes()
    out = {"case": case, "impl": name, "dtype": dtype, "opt": opt, "batch": batch,
           "baseline_rss": base, "after_build_rss": built, "peak_rss": peak,
           "peak_over_baseline": peak - base, "peak_reset": can_reset,
           "theory": theory(dtype, batch, opt), "step_s": elapsed / steps}
    if name in ("dnnlib", "floor"):
        import tracemalloc

        tracemalloc.start()
        start, _ = tracemalloc.get_traced_memory()
        im.step()
        _, tpeak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["tracemalloc_step_peak"] = tpeak - start
    return out


def cases(quick: bool, has_torch: bool) -> list[str]:
    names = ["dnnlib", "floor"] + (["torch"] if has_torch else [])
    dtypes = ("float32",) if quick else ("float32", "float64")
    batches = (1024,) if quick else (1024, 8192)
    return [f"{n}:{d}:adam:{b}" for d in dtypes for b in batches for n in names]


def report(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r.get("case", "?"), "error", r["error"]] + [""] * 8)
            continue
        t = r["theory"]
        state = t["params"] + t["grads"] + t["optimizer state"]
        tm = r.get("tracemalloc_step_peak")
        rows.append([r["impl"], r["dtype"], r["batch"], f"{state / MB:.1f}",
                     f"{t['input batch'] / MB:.1f}", f"{t['activations'] / MB:.1f}",
                     f"{t['total'] / MB:.1f}", f"{r['peak_over_baseline'] / MB:.1f}",
                     f"{r['peak_over_baseline'] / t['total']:.2f}",
                     f"{tm / MB:.1f}" if tm is not None else "-",
                     f"{tm / t['activations']:.2f}" if tm is not None else "-"])
    return ("**Peak memory of a training run** (Adam; MiB; RSS over the post-import baseline)\n\n"
            + H.table(["impl", "dtype", "batch", "params+grads+Adam", "input", "activations",
                       "theory total", "peak RSS", "RSS/theory", "per-step transient "
                       "(tracemalloc)", "transient/activations"], rows))


def run(quick: bool, blas: str = "asis") -> list[dict[str, Any]]:
    steps = "5" if quick else "10"
    return [dict(H.run_child("memory", ["--case", c, "--steps", steps], blas=blas), case=c)
            for c in cases(quick, I.torch_available())]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--case", help="IMPL:DTYPE:OPT:BATCH (internal: measure one case here)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--json")
    a = p.parse_args(argv)
    if a.case:
        H.write_json(a.json, child(a.case, a.steps))
        return 0
    res = run(a.quick)
    print(report(res))
    H.write_json(a.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
