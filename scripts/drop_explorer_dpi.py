"""Drop the ``dpi=NN,`` argument of the chapters' ``Explorer(...)`` calls (issue 19).

``dnnlib.widgets.Explorer`` draws its web frames at their true size (96 CSS pixels per inch,
at most ``width`` = 800) with 2 image pixels per CSS pixel, unless a call gives ``dpi``: then
the frames keep that resolution and their pixel size (the old behaviour: 360 to 560 pixels
wide, text 5 to 8 pixels high). The chapters were written with ``dpi=50`` ... ``dpi=70``; this
script removes that line, a line of its own inside the ``Explorer(`` call of a code cell::

    python scripts/drop_explorer_dpi.py --apply book/*.ipynb   # rewrite (idempotent)
    python scripts/drop_explorer_dpi.py --check book/*.ipynb   # exit 1 if a call keeps dpi

Then re-execute the chapters (``scripts/execute_notebook.py``): their stored fallbacks change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_DPI_LINE = re.compile(r"^\s*dpi=\d+,?\s*$")


def drop_dpi(source: str) -> str:
    """``source`` without the ``dpi=NN,`` lines of its ``Explorer(`` calls."""
    lines = source.splitlines(keepends=True)
    out, inside, depth = [], False, 0
    for line in lines:
        if not inside and re.search(r"\bExplorer\(", line):
            inside, depth = True, 0
        if inside:
            if _DPI_LINE.match(line) and depth == 1:
                continue
            depth += line.count("(") - line.count(")")
            if depth <= 0:
                inside = False
        out.append(line)
    return "".join(out)


def transform(nb: dict) -> int:
    """Drop the lines in place; return how many cells changed."""
    changed = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"]
        text = "".join(src) if isinstance(src, list) else src
        new = drop_dpi(text)
        if new != text:
            cell["source"] = new.splitlines(keepends=True) if isinstance(src, list) else new
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--apply", action="store_true")
    mode.add_argument("--check", action="store_true")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rc = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        n = transform(nb)
        if n and args.check:
            print(f"{path}: {n} Explorer call(s) still give dpi")
            rc = 1
        elif n:
            path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            print(f"{path}: dpi dropped from {n} Explorer call(s)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
