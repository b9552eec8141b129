"""Tag the solution cells of the chapters and collapse them in JupyterLab.

The tag scheme (one source, two editions):

* every cell of a ``{solution-start}`` ... ``{solution-end}`` block, both marker cells
  included, carries the cell tag ``solution`` (``metadata.tags``); the students' edition
  (``scripts/students_edition.py``) drops exactly these cells;
* inside a block, the cells between the markers are collapsed in JupyterLab, as the web
  book collapses them in a dropdown: code cells get ``metadata.jupyter = {"source_hidden":
  true, "outputs_hidden": true}`` and ``metadata.collapsed = true`` (JupyterLab 4 reads
  ``jupyter.source_hidden`` for the input and keeps ``collapsed`` and
  ``jupyter.outputs_hidden`` in sync for the output), markdown cells get
  ``metadata.jupyter = {"source_hidden": true}``. The reader clicks the collapsed cell to
  see the solution. The ``{solution-start}`` marker stays visible: it is the header that
  says a solution follows.

Cells outside every block lose a stale ``solution`` tag and the collapse keys. Running the
script twice changes nothing the second time; cell ids and other metadata are kept.

Usage::

    python scripts/tag_solutions.py book/0*_*.ipynb           # tag and write back
    python scripts/tag_solutions.py --check book/*.ipynb      # exit 1 if a file would change
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
_CODE_HIDDEN = {"source_hidden": True, "outputs_hidden": True}
_MARKDOWN_HIDDEN = {"source_hidden": True}


def solution_blocks(cells: list) -> list[tuple[int, int]]:
    """``(start, end)`` cell indices (inclusive) of each solution block, in order.

    Raises
    ------
    ValueError
        For a block that is not closed, an end without a start, or nested blocks.
    """
    blocks, start = [], None
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "{solution-start}" in text:
            if start is not None:
                raise ValueError(f"cell {i}: a {{solution-start}} inside the solution block "
                                 f"that starts at cell {start}")
            start = i
        if "{solution-end}" in text:
            if start is None:
                raise ValueError(f"cell {i}: {{solution-end}} without a {{solution-start}}")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"cell {start}: {{solution-start}} without a {{solution-end}}")
    return blocks


def _set_hidden(cell: dict, hidden: bool) -> None:
    meta = cell["metadata"]
    jupyter = dict(meta.get("jupyter", {}))
    keys = _CODE_HIDDEN if cell["cell_type"] == "code" else _MARKDOWN_HIDDEN
    if hidden:
        jupyter.update(keys)
    else:
        for k in keys:
            jupyter.pop(k, None)
    if jupyter:
        meta["jupyter"] = jupyter
    else:
        meta.pop("jupyter", None)
    if cell["cell_type"] == "code":
        if hidden:
            meta["collapsed"] = True
        else:
            meta.pop("collapsed", None)


def tag_notebook(nb: dict) -> dict:
    """A copy of the notebook with the solution tags and the JupyterLab collapse set."""
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    inside: dict[int, bool] = {}  # cell index -> is a marker
    for start, end in solution_blocks(cells):
        for i in range(start, end + 1):
            inside[i] = i in (start, end)
    for i, cell in enumerate(cells):
        meta = cell.setdefault("metadata", {})
        tags = [t for t in meta.get("tags", []) if t != SOLUTION_TAG]
        if i in inside:
            tags.append(SOLUTION_TAG)
        if tags:
            meta["tags"] = tags
        else:
            meta.pop("tags", None)
        if i in inside and not inside[i]:
            _set_hidden(cell, True)
        elif i not in inside:
            _set_hidden(cell, False)
        else:  # a marker: always visible
            _set_hidden(cell, False)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a notebook is not tagged as it should be")
    args = parser.parse_args(argv)
    stale = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        tagged = tag_notebook(nb)
        nbformat.validate(tagged)
        n_blocks = len(solution_blocks(tagged["cells"]))
        n_cells = sum(SOLUTION_TAG in c["metadata"].get("tags", []) for c in tagged["cells"])
        changed = tagged != nb
        stale += changed
        state = ("would change" if args.check else "tagged") if changed else "up to date"
        print(f"{path}: {n_blocks} solution blocks, {n_cells} cells tagged '{SOLUTION_TAG}' "
              f"({state})")
        if changed and not args.check:
            nbformat.write(tagged, path)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
