"""The students' edition: the chapters and the web book without the solutions.

The solution cells carry the tag ``solution`` (see ``scripts/tag_solutions.py``, which
sets it from the ``{solution-start}`` ... ``{solution-end}`` blocks). This script drops
exactly those cells; the exercise, the reader's cell and the checker cell stay. A
solution directive left without its tag is an error, so an untagged notebook can never
leak its solutions into the edition.

Usage::

    # (a) the notebooks without solution cells, for download
    python scripts/students_edition.py notebooks --out _build/students/notebooks

    # (b) the web book without solutions (a copy of the sources, stripped, built with
    #     jupyter-book build -W -n --keep-going into --out; other arguments go to
    #     jupyter-book build). ./dev book --students runs this.
    python scripts/students_edition.py book --out _build/students

In (b) the book's sources (``_config.yml``, ``_toc.yml``, the folders of the table of
contents, the local Sphinx extensions and the bibliography) are copied to a temporary
folder, the notebooks there are stripped, the title gets "(students' edition)", and
``jupyter-book build`` writes ``<out>/_build/html``. sphinx-exercise's own ``:hidden:``
option cannot be used instead: with gated solutions it breaks the build (see
TOOLCHAIN-NOTES).
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tag_solutions import SOLUTION_TAG, solution_blocks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_IGNORE = shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__", ".jupyter_cache")


def strip_solutions(nb: dict) -> dict:
    """A copy of the notebook without its ``solution``-tagged cells.

    Raises
    ------
    ValueError
        If a ``{solution-start}``/``{solution-end}`` cell is not tagged (run
        ``scripts/tag_solutions.py`` first), or a remaining cell still holds one.
    """
    cells = nb["cells"]
    for start, end in solution_blocks(cells):
        untagged = [i for i in range(start, end + 1)
                    if SOLUTION_TAG not in cells[i]["metadata"].get("tags", [])]
        if untagged:
            raise ValueError(f"cells {untagged} of the solution block at cells {start}-{end} "
                             f"lack the tag '{SOLUTION_TAG}': run scripts/tag_solutions.py "
                             "on the notebook first")
    out = copy.deepcopy(nb)
    out["cells"] = [c for c in out["cells"]
                    if SOLUTION_TAG not in c["metadata"].get("tags", [])]
    if solution_blocks(out["cells"]):  # pragma: no cover - guarded above
        raise ValueError("a solution block survived the stripping")
    return out


def write_notebooks(paths: list[Path], out: Path) -> list[Path]:
    """Write each notebook, stripped, into ``out``; return the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        stripped = strip_solutions(nb)
        nbformat.validate(stripped)
        target = out / path.name
        nbformat.write(stripped, target)
        written.append(target)
    return written


def _toc_files(toc_text: str) -> list[str]:
    return re.findall(r"(?:file|root):\s*(\S+)", toc_text)


def _sources(source: Path) -> list[Path]:
    """What a build needs: config, toc, the TOC's folders, local extensions, bib files."""
    config = (source / "_config.yml").read_text(encoding="utf-8")
    toc = (source / "_toc.yml").read_text(encoding="utf-8")
    paths = {source / "_config.yml", source / "_toc.yml"}
    for entry in _toc_files(toc):
        first = Path(entry).parts[0]
        candidate = source / first
        if candidate.is_dir():
            paths.add(candidate)
        else:
            paths.update(p for p in source.glob(entry + ".*") if p.is_file())
    for m in re.finditer(r"^\s+\w+:\s*(\S+/)\s*$", config, re.M):  # local_extensions
        if (source / m.group(1)).is_dir():
            paths.add(source / m.group(1).rstrip("/"))
    for m in re.finditer(r"^\s*-\s*(\S+\.bib)\s*$", config, re.M):
        parent = Path(m.group(1)).parts[0]
        paths.add(source / parent if (source / parent).is_dir() else source / m.group(1))
    return sorted(paths)


def build_book(source: Path, out: Path, *, keep_temp: bool = False,
               extra_args: tuple[str, ...] = ()) -> Path:
    """Build the web book of ``source`` without solutions into ``out``; return the html dir."""
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or \
        shutil.which("jupyter-book")
    if jb is None:
        raise RuntimeError("students_edition: jupyter-book is not installed "
                           "(pip install -e .[book])")
    tmp = Path(tempfile.mkdtemp(prefix="students_edition_"))
    try:
        for path in _sources(source):
            target = tmp / path.relative_to(source)
            if path.is_dir():
                shutil.copytree(path, target, ignore=_IGNORE)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        for nb_path in tmp.rglob("*.ipynb"):
            if ".ipynb_checkpoints" in nb_path.parts:
                continue
            nbformat.write(strip_solutions(nbformat.read(nb_path, as_version=4)), nb_path)
        config = tmp / "_config.yml"
        text = config.read_text(encoding="utf-8")
        text = re.sub(r'^title:\s*"?(.*?)"?\s*$', lambda m: f'title: "{m.group(1)} '
                      "(students' edition)\"", text, count=1, flags=re.M)
        config.write_text(text, encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        cmd = [jb, "build", str(tmp), "--path-output", str(out.resolve()), "-W", "-n",
               "--keep-going", *extra_args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        log = proc.stdout + proc.stderr
        warnings = [ln for ln in log.splitlines() if re.search(r"WARNING|ERROR", ln)]
        if proc.returncode != 0 or warnings:
            raise RuntimeError("students_edition: the build failed:\n"
                               + ("\n".join(warnings) or log[-3000:]))
    finally:
        if keep_temp:
            print(f"sources kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return out / "_build" / "html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    nbs = sub.add_parser("notebooks", help="write the notebooks without solution cells")
    nbs.add_argument("paths", nargs="*", type=Path,
                     help="notebooks (default: every notebook of book/)")
    nbs.add_argument("--out", type=Path, default=ROOT / "_build" / "students" / "notebooks")
    book = sub.add_parser("book", help="build the web book without solutions")
    book.add_argument("--source", type=Path, default=ROOT,
                      help="the folder with _config.yml and _toc.yml (default: the repository)")
    book.add_argument("--out", type=Path, default=ROOT / "_build" / "students")
    book.add_argument("--keep-temp", action="store_true",
                      help="keep the stripped copy of the sources (its path is printed)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.what != "book":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.what == "notebooks":
            paths = args.paths or sorted((ROOT / "book").glob("*.ipynb"))
            for p in write_notebooks(paths, args.out):
                print(f"wrote {p}")
        else:
            html = build_book(args.source, args.out, keep_temp=args.keep_temp,
                              extra_args=tuple(extra))
            print(f"The students' edition is built. Open: file://{html.resolve()}/index.html")
    except (ValueError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
