"""The book's own costs: ``import dnnlib``, validating the notebooks, building the web book.

* ``import dnnlib`` time: median of fresh interpreters timing the import alone (the
  interpreter's own start-up is not counted), plus the slowest imports under
  ``python -X importtime`` and a check that matplotlib, ipywidgets, tqdm and cupy stay out;
* notebook validation: ``pytest --nbval --nbval-current-env --nbval-sanitize-with
  book/sanitize.cfg book`` (the command of ``./dev test``), wall time and outcome;
* book build: ``jupyter-book build . -W -n --keep-going`` (the command of ``./dev book``)
  into a temporary folder, so the working tree's ``_build`` is not touched.

A book with only some chapters is fine: whatever notebooks exist are timed, and a missing
``_config.yml``/``_toc.yml`` or ``jupyter-book`` skips the build with a note.

Run alone: ``.venv/bin/python -m benchmarks.book [--quick]`` (``--quick``: import time only).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import harness as H

ROOT = H.ROOT
HEAVY = ("matplotlib", "ipywidgets", "tqdm", "cupy", "torch", "scipy", "pandas")
IMPORT_SNIPPET = (
    "import time, sys; t = time.perf_counter(); import dnnlib; "
    "dt = time.perf_counter() - t; "
    f"print(dt, ','.join(m for m in {HEAVY!r} if m in sys.modules))"
)


def import_time(repeats: int = 7) -> dict[str, Any]:
    """Median seconds of ``import dnnlib`` in fresh interpreters (and of ``import numpy``
    alone, interleaved, since NumPy is most of it), and the slowest modules."""
    env = H.env_for("asis")
    times, np_times, heavy = [], [], ""
    np_snippet = ("import time; t = time.perf_counter(); import numpy; "
                  "print(time.perf_counter() - t)")
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", IMPORT_SNIPPET], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
        np_times.append(float(subprocess.run([sys.executable, "-c", np_snippet], cwd=ROOT,
                                             env=env, capture_output=True, text=True,
                                             check=True).stdout))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import dnnlib"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)), m.group(4)))
    # dnnlib's own imports (depth 1-2 under it), NumPy included as one entry
    top = sorted((r for r in rows if 3 <= r[1] <= 5), reverse=True)[:8]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "numpy_median_s": statistics.median(np_times),
            "heavy_modules_loaded": heavy.split(",") if heavy else [],
            "slowest_cumulative_us": [(name, us) for us, _, name in top]}


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                  if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def nbval_time() -> dict[str, Any]:
    nbs = notebooks()
    if not nbs:
        return {"skipped": "no notebooks under book/ yet"}
    cmd = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p",
           "no:cacheprovider", "-q", "-o", "addopts=", "-W", "ignore::DeprecationWarning"]
    if (ROOT / "book" / "sanitize.cfg").exists():
        cmd += ["--nbval-sanitize-with", "book/sanitize.cfg"]
    cmd += [str(p.relative_to(ROOT)) for p in nbs]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=H.env_for("asis"), capture_output=True, text=True)
    dt = time.perf_counter() - t0
    summary = (proc.stdout.strip().splitlines() or ["?"])[-1]
    return {"notebooks": len(nbs), "seconds": dt, "rc": proc.returncode, "summary": summary}


def build_time() -> dict[str, Any]:
    if not (ROOT / "_config.yml").exists() or not (ROOT / "_toc.yml").exists():
        return {"skipped": "no _config.yml/_toc.yml at the repository root yet"}
    jb = Path(sys.executable).with_name("jupyter-book")
    if not jb.exists():
        jb = shutil.which("jupyter-book")
        if jb is None:
            return {"skipped": "jupyter-book is not installed (pip install -e .[book])"}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(jb), "build", ".", "-W", "-n", "--keep-going", "--path-output", tmp]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=H.env_for("asis"), capture_output=True,
                              text=True)
        dt = time.perf_counter() - t0
        pages = len(list(Path(tmp).rglob("*.html")))
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
    return {"seconds": dt, "rc": proc.returncode, "html_pages": pages, "tail": tail}


def run(quick: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"import": import_time(3 if quick else 7)}
    if quick:
        res["nbval"] = {"skipped": "--quick"}
        res["build"] = {"skipped": "--quick"}
    else:
        res["nbval"] = nbval_time()
        res["build"] = build_time()
    return res


def report(res: dict[str, Any]) -> str:
    imp = res["import"]
    rows = [["`import dnnlib` (fresh process)",
             f"{imp['median_s'] * 1e3:.0f} ms ({imp['min_s'] * 1e3:.0f}-{imp['max_s'] * 1e3:.0f})",
             "<= 150 ms", "met" if imp["median_s"] <= 0.15 else "MISSED",
             f"of which `import numpy` alone: {imp['numpy_median_s'] * 1e3:.0f} ms; heavy modules"
             " loaded: " + (", ".join(imp["heavy_modules_loaded"]) or "none")]]
    nb = res["nbval"]
    if "skipped" in nb:
        rows.append(["validate all notebooks (nbval)", "-", "<= 180 s", "skipped", nb["skipped"]])
    else:
        rows.append([f"validate all notebooks (nbval, {nb['notebooks']} notebooks)",
                     f"{nb['seconds']:.1f} s", "<= 180 s",
                     "met" if nb["seconds"] <= 180 else "MISSED",
                     f"rc {nb['rc']}: {nb['summary']}"])
    b = res["build"]
    if "skipped" in b:
        rows.append(["build the web book", "-", "<= 60 s", "skipped", b["skipped"]])
    else:
        rows.append(["build the web book (jupyter-book -W -n)", f"{b['seconds']:.1f} s",
                     "<= 60 s", "met" if b["seconds"] <= 60 else "MISSED",
                     f"rc {b['rc']}, {b['html_pages']} HTML pages"])
    slow = ", ".join(f"{n} {us / 1e3:.0f} ms" for n, us in imp["slowest_cumulative_us"][:5])
    return ("**The book**\n\n" + H.table(["what", "time", "target", "", "note"], rows)
            + f"\n\nSlowest imports inside `import dnnlib` (cumulative, -X importtime): {slow}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="import time only")
    p.add_argument("--json")
    a = p.parse_args(argv)
    os.chdir(ROOT)
    res = run(a.quick)
    print(report(res))
    H.write_json(a.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
