#!/usr/bin/env python
"""Run every benchmark and print one summary: ``python -m benchmarks [--quick]``.

1. ``mlp_step`` once per BLAS setting, each in a fresh process: the environment as it is,
   and with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` removed (in that child process
   only; nothing else changes its environment). When neither variable is set the two
   settings are the same and the step benchmark runs once.
2. ``memory``: peak RSS of a training run against its theoretical size.
3. ``book``: ``import dnnlib`` time, nbval over every notebook, the web book build.
4. ``gpu``: only prints "no CUDA device" on a machine without one.
5. ``part2``: the convolution and GRU steps of Part II against PyTorch (``part2.py``).

``--markdown FILE`` also writes every table to FILE (that is how RESULTS.md is made).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import book, memory, mlp_step, part2  # noqa: E402
from benchmarks import harness as H  # noqa: E402

PARTS = ("mlp", "memory", "book", "gpu", "part2")


def blas_settings(choice: str) -> list[str]:
    if choice != "both":
        return [choice]
    if all(v is None for v in H.blas_env().values()):
        print("note: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are not set here, so 'as is' and "
              "'unset' are the same setting: the step benchmark runs once.", flush=True)
        return ["unset"]
    return ["asis", "unset"]


def target_summary(runs: dict[str, dict]) -> str:
    """One table: every target, its value under each BLAS setting."""
    per = {label: {t["target"]: t for t in mlp_step.targets(res)}
           for label, res in runs.items() if "configs" in res}
    if not per:
        return "(no step results)"
    labels = list(per)
    names = list(next(iter(per.values())))
    rows = []
    for n in names:
        row = [n]
        for lab in labels:
            t = per[lab].get(n)
            row.append("-" if t is None else
                       f"{t['value']:.2f} {'met' if t['met'] else 'MISSED'}")
        t0 = per[labels[-1]][n]
        row.append(f"{t0['op']} {t0['limit']}")
        rows.append(row)
    return H.table(["target"] + [f"BLAS env {lab}" for lab in labels] + ["limit"], rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    p.add_argument("--blas", choices=("both", "asis", "unset"), default="both",
                   help="BLAS environment(s) for the step benchmark (default: both)")
    p.add_argument("--threads", type=int, help="BLAS/torch threads for the step benchmark "
                   "(default: what NumPy's BLAS uses, normally one per core)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="step timing clock; 'cpu' (with --threads 1) resists a busy machine")
    p.add_argument("--only", default=",".join(PARTS), help=f"subset of {','.join(PARTS)}")
    p.add_argument("--markdown", help="also write all tables to this Markdown file")
    a = p.parse_args(argv)
    parts = a.only.split(",")
    quick = ["--quick"] if a.quick else []
    t_start = time.perf_counter()
    md = [f"Run: `python -m benchmarks {' '.join(argv or sys.argv[1:])}` "
          f"on {time.strftime('%Y-%m-%d %H:%M')}\n", "```", H.describe_machine(), "```\n"]
    print(md[2], flush=True)
    runs: dict[str, dict] = {}
    if "mlp" in parts:
        for blas in blas_settings(a.blas):
            print(f"\n=== MLP training step, BLAS env '{blas}' ===", flush=True)
            extra = (["--threads", str(a.threads)] if a.threads else []) + ["--clock", a.clock]
            res = H.run_child("mlp_step", quick + extra, blas=blas)
            runs[blas] = res
            if "configs" in res:
                md += [f"### MLP step, BLAS env '{blas}'\n", "```", res["machine"], "```\n",
                       mlp_step.report(res), ""]
            else:
                md.append(f"MLP step, BLAS env '{blas}': {res.get('error')}")
    if "memory" in parts:
        print("\n=== Memory ===", flush=True)
        mem = memory.run(a.quick)
        text = memory.report(mem)
        print(text, flush=True)
        md += ["### Memory\n", text, ""]
    if "book" in parts:
        print("\n=== The book ===", flush=True)
        text = book.report(book.run(a.quick))
        print(text, flush=True)
        md += ["### The book\n", text, ""]
    if "gpu" in parts:
        print("\n=== GPU ===", flush=True)
        res = H.run_child("gpu", quick)
        md += ["### GPU\n", str(res.get("skipped") or "see the gpu.py output above"), ""]
    if "part2" in parts:
        print("\n=== Part II: convolution and GRU steps ===", flush=True)
        extra = (["--threads", str(a.threads)] if a.threads else []) + ["--clock", a.clock]
        res = H.run_child("part2", quick + extra)
        if "results" in res:
            text = part2.report(res)
            print(text, flush=True)
            md += ["### Part II steps\n", "```", res["machine"], "```\n", text, ""]
        else:
            md.append(f"Part II steps: {res.get('error')}")
    if runs:
        summary = target_summary(runs)
        print("\n=== Speed targets (issues 7 and 16) ===")
        print(summary)
        md += ["### Speed targets\n", summary, ""]
    total = time.perf_counter() - t_start
    print(f"\nall benchmarks: {total:.0f} s")
    md.append(f"Total benchmark time: {total:.0f} s")
    if a.markdown:
        Path(a.markdown).write_text("\n".join(md) + "\n")
        print(f"tables written to {a.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
