"""(Re)execute book notebooks in place, the way nbval will re-run them.

Usage (from the repository root)::

    .venv/bin/python scripts/execute_notebook.py book/01_architecture.ipynb
    .venv/bin/python scripts/execute_notebook.py            # every notebook in book/
    .venv/bin/python scripts/execute_notebook.py --check book/01_architecture.ipynb

What it does, per notebook:

* removes ``metadata.widgets`` (stored widget state makes myst-nb inject an old
  widget manager and CDN scripts into the web page) and sets the kernelspec to
  ``python3`` (nbval with ``--nbval-current-env`` and the book build expect it);
* runs every cell top to bottom in a fresh ``python3`` kernel started in the
  notebook's folder (as nbval and JupyterLab do), with
  ``store_widget_state=False`` and no per-cell timing metadata;
* clears cell ``execution`` metadata and the ``collapsed`` state of code cells, except
  on the solution cells (tag ``solution``: ``scripts/tag_solutions.py`` collapses them),
  and writes the notebook back (nbformat 4);
* joins a cell's consecutive stdout (or stderr) chunks into one stream output, as
  Jupyter shows them and nbval compares them (a busy machine splits them at random);
* rewrites the numbers glued into the prose (``<!--glue:key:spec-->...<!--/glue-->``)
  from the values the code cells stored (``scripts/book_numbers.py``).

``--check`` then runs nbval strictly on the result (twice), the same command as
the test suite. The wall time per notebook is printed here, never stored in
the notebook (no timings in compared outputs).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_numbers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop widget state and timing metadata; pin the kernelspec to python3."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and "solution" not in cell.metadata.get("tags", []):
            # a stray collapse state left by an editor; a solution keeps its collapse
            # (scripts/tag_solutions.py sets it so that JupyterLab hides the solution)
            cell.metadata.pop("collapsed", None)


def join_streams(nb: nbformat.NotebookNode) -> int:
    """Merge consecutive stream outputs of the same name in every code cell; return how
    many outputs were merged away."""
    merged = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs: list = []
        for out in cell.get("outputs", []):
            prev = outputs[-1] if outputs else None
            if (out.output_type == "stream" and prev is not None
                    and prev.output_type == "stream" and prev.name == out.name):
                prev.text += out.text
                merged += 1
            else:
                outputs.append(out)
        cell.outputs = outputs
    return merged


def execute(path: Path, timeout: int = 300) -> float:
    """Execute ``path`` in place; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    clean_metadata(nb)
    ep = ExecutePreprocessor(timeout=timeout, kernel_name="python3",
                             store_widget_state=False, record_timing=False)
    t0 = time.perf_counter()
    ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    elapsed = time.perf_counter() - t0
    clean_metadata(nb)
    join_streams(nb)
    n = book_numbers.refresh(nb)
    if n:
        print(f"{path.name}: {n} glued number(s) in the prose rewritten")
    for problem in book_numbers.stale_spans(nb):
        print(f"{path.name}: WARNING {problem}")
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def nbval(paths: list[Path]) -> int:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "book" / "sanitize.cfg"),
           *map(str, paths)]
    return subprocess.call(cmd, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: book/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout, seconds")
    parser.add_argument("--check", action="store_true",
                        help="then run nbval (strict) twice on the executed notebooks")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for p in paths:
        if p.suffix != ".ipynb" or not p.exists():
            parser.error(f"not a notebook: {p}")
        dt = execute(p.resolve(), timeout=args.timeout)
        print(f"executed {p} in {dt:.1f} s")
    if args.check:
        for attempt in (1, 2):
            rc = nbval(paths)
            print(f"nbval run {attempt}: {'passed' if rc == 0 else 'FAILED'}")
            if rc:
                return rc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
