"""Shared machinery: interleaved timing, ratios, BLAS report, GEMM rate, RSS, env handling.

Timing method (used by every speed benchmark here)
---------------------------------------------------
All implementations of one configuration live in the same process and are
timed **interleaved**: after a warm-up, ``rounds`` rounds each run a block of
``k`` steps of every implementation, in an order rotated from round to round.
Every step is timed alone (``time.perf_counter``, after ``sync()``), so

* a step time is the median of all timed steps of that implementation;
* a ratio ``A/B`` is computed per round (median of A's block / median of B's
  block) and reported as the median over rounds with its min-max, so a
  neighbour stealing the CPU for a second moves one round, not the ratio.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BLAS_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ----------------------------------------------------------------------------- timing
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_calls(fn: Callable[[], Any], sync: Callable[[], None], k: int,
               clock: Callable[[], float] = time.perf_counter) -> list[float]:
    """``k`` timed calls of ``fn`` (seconds each), synchronising before reading the clock."""
    out = []
    for _ in range(k):
        t0 = clock()
        fn()
        sync()
        out.append(clock() - t0)
    return out


def interleaved(impls: dict[str, Any], *, rounds: int, block_s: float, warmup_s: float,
                min_warmup: int = 3, min_block: int = 3, max_block: int = 200,
                clock: str = "wall") -> dict[str, Any]:
    """Time ``impl.step`` of every implementation, interleaved (see the module docstring).

    ``clock="cpu"`` reads the process CPU time instead of the wall clock: with one BLAS
    thread it equals the wall time of a quiet machine and ignores time the process spends
    descheduled, which makes runs on a busy machine comparable (with several threads it
    sums them, so use it with ``--threads 1`` only).

    Returns ``{"times": {name: [s, ...]}, "blocks": {name: [median per round]},
    "k": steps per block}``.
    """
    names = list(impls)
    est = {}
    for name in names:  # warm-up, and a per-step estimate to size the blocks
        im = impls[name]
        t_end = time.perf_counter() + warmup_s
        ts = time_calls(im.step, im.sync, min_warmup)
        while time.perf_counter() < t_end:
            ts += time_calls(im.step, im.sync, 1)
        est[name] = statistics.median(ts[-min_warmup:])
    k = int(max(min_block, min(max_block, block_s / max(max(est.values()), 1e-7))))
    times: dict[str, list[float]] = {n: [] for n in names}
    blocks: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            im = impls[name]
            ts = time_calls(im.step, im.sync, k, CLOCKS[clock])
            times[name] += ts
            blocks[name].append(statistics.median(ts))
    return {"times": times, "blocks": blocks, "k": k}


def profile_steps(step: Callable[[], Any], *, warmup: int, steps: int, title: str,
                  top: int) -> None:
    """cProfile ``steps`` calls of ``step`` after ``warmup`` calls; print the ``top``
    functions by time spent inside them (tottime)."""
    import cProfile
    import pstats

    for _ in range(warmup):
        step()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step()
    pr.disable()
    print(title)
    pstats.Stats(pr).sort_stats("tottime").print_stats(top)


def ratio(blocks_a: Sequence[float], blocks_b: Sequence[float]) -> dict[str, float]:
    """Per-round ratios A/B: median, min and max."""
    rs = [a / b for a, b in zip(blocks_a, blocks_b, strict=True)]
    return {"median": statistics.median(rs), "min": min(rs), "max": max(rs)}


def fmt_ratio(r: dict[str, float] | None) -> str:
    if not r:
        return "-"
    return f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})"


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal too)."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    line = lambda c: "| " + " | ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(c) for c in cells[1:]])


# ----------------------------------------------------------------------------- BLAS
def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries (empty if unavailable)."""
    try:
        import threadpoolctl
    except ImportError:
        return []
    return [{k: v for k, v in d.items() if k != "filepath"} | {"file": Path(d["filepath"]).name}
            for d in threadpoolctl.threadpool_info()]


def blas_threads() -> int:
    """Threads of NumPy's BLAS (what torch.set_num_threads is set to)."""
    for d in blas_info():
        if d.get("user_api") == "blas":
            return int(d["num_threads"])
    return os.cpu_count() or 1


def blas_env() -> dict[str, str | None]:
    return {v: os.environ.get(v) for v in BLAS_ENV_VARS}


def describe_machine() -> str:
    """One paragraph: CPU, cores, Python, NumPy, torch, BLAS libraries and the BLAS env vars."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [f"CPU: {cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
             f"NumPy {np.__version__}"]
    try:
        import torch

        cfg = torch.__config__.show()
        blas = next((p.split("=")[1] for p in cfg.replace(",", " ").split()
                     if p.startswith("BLAS_INFO=")), "?")
        lines.append(f"torch {torch.__version__} (BLAS {blas}, "
                     f"{torch.get_num_threads()} intra-op threads)")
    except ImportError:
        lines.append("torch: not installed")
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in blas_env().items())
    lines.append(f"env: {env}")
    lines.append(load_note())
    for d in blas_info():
        lines.append("threadpoolctl: " + ", ".join(
            f"{k}={d.get(k)}" for k in ("user_api", "internal_api", "version", "architecture",
                                        "threading_layer", "num_threads", "file")
            if d.get(k) is not None))
    return "\n".join(lines)


def load_note() -> str:
    """The 1-minute load average, with a warning when other work shares the CPU."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not Unix
        return "load average: unknown"
    note = f"load average (1 min): {load:.2f} on {os.cpu_count()} cores"
    if load > 0.5:
        note += ("  WARNING: other processes use the CPU; times are inflated and ratios "
                 "noisy (with several BLAS threads, meaningless): prefer "
                 "--threads 1 --clock cpu")
    return note


def gemm_rate(lib: str, dtype: str, m: int = 1024, k: int = 1024, n: int = 1024,
              reps: int = 10, clock: str = "wall") -> float:
    """Measured GEMM rate (GFLOP/s, median of ``reps``) of ``lib`` ("numpy"/"torch") for
    ``(m, k) @ (k, n)`` into a preallocated output."""
    if lib == "numpy":
        import numpy as np

        rng = np.random.default_rng(0)
        a = rng.random((m, k)).astype(dtype)
        b = rng.random((k, n)).astype(dtype)
        c = np.empty((m, n), dtype=dtype)
        fn = lambda: np.matmul(a, b, out=c)  # noqa: E731
    else:
        import torch

        a = torch.rand(m, k, dtype=getattr(torch, dtype))
        b = torch.rand(k, n, dtype=getattr(torch, dtype))
        c = torch.empty(m, n, dtype=getattr(torch, dtype))
        fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
    for _ in range(2):
        fn()
    ts = time_calls(fn, lambda: None, reps, CLOCKS[clock])
    return 2.0 * m * k * n / statistics.median(ts) / 1e9


# ----------------------------------------------------------------------------- memory
def rss_bytes() -> tuple[int, int]:
    """(current, peak) resident set size of this process, from /proc (Linux) or resource."""
    try:
        cur = peak = 0
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
        return cur, peak
    except OSError:  # pragma: no cover - not Linux
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak


def reset_peak_rss() -> bool:
    """Reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- subprocesses
def env_for(blas: str) -> dict[str, str]:
    """The environment for a benchmark child: ``"asis"`` or ``"unset"`` (the BLAS env vars
    removed, in this child only)."""
    env = dict(os.environ)
    if blas == "unset":
        for v in BLAS_ENV_VARS:
            env.pop(v, None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(module: str, args: Sequence[str], *, blas: str = "asis",
              timeout: float | None = None) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> --json FILE args`` in a fresh process and return
    its JSON (its stdout/stderr pass through to ours)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", f"benchmarks.{module}", "--json", str(out), *args]
        proc = subprocess.run(cmd, cwd=ROOT, env=env_for(blas), timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            return {"error": f"{' '.join(cmd)} exited with {proc.returncode}"}
        return json.loads(out.read_text())


def write_json(path: str | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=1, default=str))
