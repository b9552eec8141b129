"""Time per training step of the 784-256-256-10 ReLU MLP: dnnlib vs PyTorch CPU vs the floor.

For float32 and float64, SGD (momentum 0.9) and Adam, batch 1, 8, 32, 128 and 1024:

* A = dnnlib on NumPy, B = PyTorch CPU eager (``torch.set_num_threads`` = NumPy's BLAS
  threads), C = the hand-written NumPy floor (:mod:`benchmarks.floor`), and G = the step's
  eight GEMMs alone in NumPy (what BLAS needs, with nothing around it);
* all four are built from the same weights and timed interleaved in this process
  (:func:`benchmarks.harness.interleaved`); the table gives median step times, the ratios
  A/B and A/C (median over rounds, min-max), and the achieved GFLOP/s of each, next to
  the measured GEMM rate of the same library (1024x1024x1024) in the same run.

Run alone::

    .venv/bin/python -m benchmarks.mlp_step [--quick] [--batches 1,128] [--dtypes float32]
    .venv/bin/python -m benchmarks.mlp_step --profile dnnlib:float64:adam:1   # cProfile a step
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

import numpy as np

from benchmarks import harness as H
from benchmarks import impls as I
from benchmarks.floor import SIZES

BATCHES = (1, 8, 32, 128, 1024)
DTYPES = ("float32", "float64")
OPTIMIZERS = ("adam", "sgd")


class GemmOnly:
    """The step's GEMMs alone (forward 3, weight gradients 3, input gradients 2), NumPy,
    into preallocated outputs: the time BLAS needs for one step, with nothing around it."""

    name = "gemm"

    def __init__(self, dtype: str, n: int):
        rng = np.random.default_rng(0)
        mk = lambda *s: rng.random(s).astype(dtype)  # noqa: E731
        self.W = [mk(i, o) for i, o in zip(SIZES[:-1], SIZES[1:], strict=True)]
        self.h = [mk(n, d) for d in SIZES]  # layer inputs/outputs
        self.dz = [mk(n, d) for d in SIZES]
        self.gW = [np.empty_like(w) for w in self.W]

    def step(self):
        W, h, dz, gW = self.W, self.h, self.dz, self.gW
        for i in range(3):
            np.matmul(h[i], W[i], out=h[i + 1])
        for i in (2, 1, 0):
            if h[i].shape[0] == 1:
                np.dot(h[i].T, dz[i + 1], out=gW[i])
            else:
                np.matmul(h[i].T, dz[i + 1], out=gW[i])
            if i:
                np.matmul(dz[i + 1], W[i].T, out=dz[i])

    def sync(self):
        pass


def bench_config(dtype: str, opt: str, batch: int, names: list[str], timing: dict[str, Any]
                 ) -> dict[str, Any]:
    impls = {n: I.build(n, dtype, opt, batch) for n in names}
    impls["gemm"] = GemmOnly(dtype, batch)
    res = H.interleaved(impls, **timing)
    flops = I.step_flops(batch)
    out: dict[str, Any] = {"dtype": dtype, "opt": opt, "batch": batch, "k": res["k"],
                           "rounds": timing["rounds"], "flops": flops, "step_s": {},
                           "gflops": {}, "ratio": {}}
    for n, ts in res["times"].items():
        med = statistics.median(ts)
        out["step_s"][n] = med
        out["gflops"][n] = flops / med / 1e9
    b = res["blocks"]
    if "torch" in b:
        out["ratio"]["A/B"] = H.ratio(b["dnnlib"], b["torch"])
    out["ratio"]["A/C"] = H.ratio(b["dnnlib"], b["floor"])
    out["ratio"]["C/B"] = H.ratio(b["floor"], b["torch"]) if "torch" in b else None
    out["ratio"]["G/C"] = H.ratio(b["gemm"], b["floor"])
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    has_torch = I.torch_available() and not args.no_torch
    if args.threads:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    threads = H.blas_threads()
    if has_torch:
        import torch

        torch.set_num_threads(threads)
    import dnnlib  # noqa: F401  (after torch, so the BLAS report lists every library)

    print(H.describe_machine(), flush=True)
    gemm = {}
    for dt in args.dtypes:
        gemm[f"numpy {dt}"] = H.gemm_rate("numpy", dt, reps=args.gemm_reps, clock=args.clock)
        if has_torch:
            gemm[f"torch {dt}"] = H.gemm_rate("torch", dt, reps=args.gemm_reps, clock=args.clock)
    print("GEMM rate 1024^3 (GFLOP/s): " + ", ".join(f"{k} {v:.0f}" for k, v in gemm.items()),
          flush=True)
    names = ["dnnlib", "floor"] + (["torch"] if has_torch else [])
    timing = {"rounds": args.rounds, "block_s": args.block_s, "warmup_s": args.warmup_s,
              "clock": args.clock}
    configs = []
    for dt in args.dtypes:
        for opt in args.opts:
            for n in args.batches:
                c = bench_config(dt, opt, n, names, timing)
                configs.append(c)
                print(f"  {dt} {opt:4s} batch {n:5d}: dnnlib {H.fmt_time(c['step_s']['dnnlib'])}"
                      f"  A/B {H.fmt_ratio(c['ratio'].get('A/B'))}"
                      f"  A/C {H.fmt_ratio(c['ratio']['A/C'])}", flush=True)
    gemm_after = {f"numpy {dt}": H.gemm_rate("numpy", dt, reps=args.gemm_reps, clock=args.clock)
                  for dt in args.dtypes}
    return {"machine": H.describe_machine(), "blas_env": H.blas_env(), "threads": threads,
            "clock": args.clock,
            "torch": has_torch, "gemm_gflops": gemm, "gemm_gflops_after": gemm_after,
            "configs": configs}


# ----------------------------------------------------------------------------- reports
def _find(configs, dtype, opt, batch):
    for c in configs:
        if (c["dtype"], c["opt"], c["batch"]) == (dtype, opt, batch):
            return c
    return None


def report(res: dict[str, Any]) -> str:
    """Markdown tables of one run."""
    out = []
    g = res["gemm_gflops"]
    for dt in sorted({c["dtype"] for c in res["configs"]}):
        for opt in [o for o in OPTIMIZERS if any(c["opt"] == o for c in res["configs"])]:
            rows = []
            for c in [c for c in res["configs"] if c["dtype"] == dt and c["opt"] == opt]:
                s, gf, r = c["step_s"], c["gflops"], c["ratio"]
                pa = 100 * gf["dnnlib"] / g[f"numpy {dt}"]
                pb = 100 * gf["torch"] / g[f"torch {dt}"] if "torch" in s else None
                rows.append([c["batch"], H.fmt_time(s["dnnlib"]), H.fmt_time(s.get("torch")),
                             H.fmt_time(s["floor"]), H.fmt_time(s["gemm"]),
                             H.fmt_ratio(r.get("A/B")), H.fmt_ratio(r["A/C"]),
                             f"{gf['dnnlib']:.1f} ({pa:.0f}%)",
                             f"{gf['torch']:.1f} ({pb:.0f}%)" if pb is not None else "-",
                             f"{gf['floor']:.1f}", c["k"]])
            out.append(f"**{dt}, {opt}** (GEMM rate 1024^3: NumPy {g[f'numpy {dt}']:.0f}"
                       + (f", torch {g[f'torch {dt}']:.0f}" if f"torch {dt}" in g else "")
                       + " GFLOP/s)\n")
            out.append(H.table(["batch", "A dnnlib", "B torch", "C floor", "G GEMMs only",
                                "A/B", "A/C", "A GFLOP/s (% NumPy GEMM)",
                                "B GFLOP/s (% torch GEMM)", "C GFLOP/s", "steps/block"], rows))
            out.append("")
    # float64 / float32
    rows = []
    for opt in OPTIMIZERS:
        for n in sorted({c["batch"] for c in res["configs"]}):
            c32, c64 = _find(res["configs"], "float32", opt, n), _find(res["configs"], "float64",
                                                                        opt, n)
            if c32 and c64:
                rows.append([opt, n] + [f"{c64['step_s'][k] / c32['step_s'][k]:.2f}"
                                        if k in c32["step_s"] else "-"
                                        for k in ("dnnlib", "torch", "floor", "gemm")])
    if rows:
        out.append("**float64 / float32 step time** (ratio of medians)\n")
        out.append(H.table(["opt", "batch", "dnnlib", "torch", "floor", "GEMMs only"], rows))
    return "\n".join(out)


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues' speed targets evaluated on one run: name (with its issue), value,
    limit, met. Issue 7 set the first ones; issue 16 (the core redesign) asked for
    dnnlib/floor <= 1.10 from batch 32 to 1024 and dnnlib/PyTorch <= 0.75 at batch 128,
    <= 1.0 at batch 1 (float32 Adam)."""
    cs, out = res["configs"], []

    def add(name, value, limit, op):
        if value is None:
            return
        met = value <= limit if op == "<=" else value >= limit
        out.append({"target": name, "value": value, "limit": limit, "op": op, "met": met})

    for n, lim, issue in ((128, 0.7, "7"), (128, 0.75, "16"), (1, 1.0, "7, 16"),
                          (1024, 0.8, "7")):
        c = _find(cs, "float32", "adam", n)
        if c and c["ratio"].get("A/B"):
            add(f"dnnlib/torch float32 Adam batch {n} ({'issues' if ',' in issue else 'issue'}"
                f" {issue})",
                c["ratio"]["A/B"]["median"], lim, "<=")
    for c in cs:
        both = c["dtype"] == "float32" and c["opt"] == "adam" and 32 <= c["batch"] <= 1024
        add(f"dnnlib/floor {c['dtype']} {c['opt']} batch {c['batch']} "
            f"({'issues 7, 16' if both else 'issue 7'})", c["ratio"]["A/C"]["median"], 1.10,
            "<=")
    for n in sorted({c["batch"] for c in cs}):
        c32, c64 = _find(cs, "float32", "adam", n), _find(cs, "float64", "adam", n)
        if c32 and c64:
            add(f"dnnlib float64/float32 Adam batch {n} (issue 7)",
                c64["step_s"]["dnnlib"] / c32["step_s"]["dnnlib"], 2.3, "<=")
    for opt in OPTIMIZERS:
        c = _find(cs, "float32", opt, 1024)
        if c:
            add(f"dnnlib float32 {opt} batch 1024, % of NumPy GEMM rate (issue 7)",
                100 * c["gflops"]["dnnlib"] / res["gemm_gflops"]["numpy float32"], 90, ">=")
    return out


def fmt_targets(ts: list[dict[str, Any]], label: str = "") -> str:
    rows = []
    for t in ts:
        v, lim = t["value"], t["limit"]
        if t["op"] == "<=":
            by = f"{100 * (v / lim - 1):+.0f}% vs limit"
        else:
            by = f"{v - lim:+.0f} points"
        rows.append([t["target"], f"{v:.2f}", f"{t['op']} {lim}",
                     "met" if t["met"] else "MISSED", by])
    return (f"**Targets{(' - ' + label) if label else ''}**\n\n"
            + H.table(["target", "value", "limit", "", "margin"], rows))


# ----------------------------------------------------------------------------- profiling
def profile(spec: str, steps: int = 200) -> None:
    """cProfile ``steps`` steps of ``impl:dtype:opt:batch`` and print the top functions."""
    name, dtype, opt, batch = spec.split(":")
    im = I.build(name, dtype, opt, int(batch))
    H.profile_steps(im.step, warmup=10, steps=steps, top=18,
                    title=f"cProfile of {steps} steps of {spec} (tottime = time inside the "
                          "function itself)")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter rounds (~20 s)")
    p.add_argument("--batches", default=",".join(map(str, BATCHES)))
    p.add_argument("--dtypes", default=",".join(DTYPES))
    p.add_argument("--opts", default=",".join(OPTIMIZERS))
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--block-s", type=float, default=None, help="seconds per timed block")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads for NumPy (and torch.set_num_threads); default: as found")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="cpu: process CPU time, robust on a busy machine (use with --threads 1)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--profile", metavar="IMPL:DTYPE:OPT:BATCH",
                   help="cProfile a step instead of benchmarking, e.g. dnnlib:float64:adam:1")
    p.add_argument("--json", help="write the results as JSON to this file")
    a = p.parse_args(argv)
    a.batches = [int(b) for b in a.batches.split(",")]
    a.dtypes = a.dtypes.split(",")
    a.opts = a.opts.split(",")
    a.rounds = a.rounds or (3 if a.quick else 9)
    a.block_s = a.block_s or (0.02 if a.quick else 0.12)
    a.warmup_s = 0.05 if a.quick else 0.3
    a.gemm_reps = 5 if a.quick else 15
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.profile:
        if args.threads:
            import threadpoolctl

            threadpoolctl.threadpool_limits(args.threads, user_api="blas")
        if I.torch_available():
            import torch

            torch.set_num_threads(H.blas_threads())
        profile(args.profile)
        return 0
    res = run(args)
    print()
    print(report(res))
    print()
    print(fmt_targets(targets(res)))
    H.write_json(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
