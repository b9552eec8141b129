"""The book's numbers hold: the prose quotes what the code prints, and nothing hides from nbval.

* Every number glued into the prose (``<!--glue:key:spec-->text<!--/glue-->``) is what the
  chapter's code glued under that key, formatted with that spec.
* A typed number in the prose that equals a number printed by the same chapter is flagged
  unless it is glued or declared as a constant (the rule is ``scripts/book_numbers.py``'s
  docstring); the tests below prove the rule bites.
* A cell whose output nbval ignores says why, in a comment line ``# nbval-ignore-output: why``.

Run as a script to list what is flagged: ``python tests/test_book_numbers.py book/X.ipynb``.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import book_numbers  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
_IGNORE_REASON = re.compile(r"^\s*#\s*nbval-ignore-output:\s*\S.{5,}", re.M)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glued_numbers_are_what_the_code_gives(path):
    problems = book_numbers.stale_spans(_load(path))
    assert not problems, (f"{path.name}: re-execute with scripts/execute_notebook.py "
                          "(it rewrites the glued numbers):\n" + "\n".join(problems))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_does_not_type_numbers_the_code_prints(path):
    nb = _load(path)
    flagged = book_numbers.unglued_numbers(nb)
    listed = sorted({lit for _, lit in flagged})
    assert not flagged, (
        f"{path.name}: the prose types {len(listed)} number(s) that a code cell prints: "
        f"{listed}. Glue each computed one (<!--glue:key:spec-->...<!--/glue-->) and declare "
        "constants in metadata.book.typed_numbers (python scripts/book_numbers.py "
        f"{path.relative_to(ROOT)} lists the cells)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_declared_typed_numbers_have_a_reason_and_are_used(path):
    nb = _load(path)
    typed = nb.get("metadata", {}).get("book", {}).get("typed_numbers", {})
    assert isinstance(typed, dict)
    prose = " ".join(book_numbers.prose_text(_src(c)) for c in nb["cells"]
                     if c["cell_type"] == "markdown")
    literals = {lit for lit, _, _ in book_numbers.prose_numbers(prose)}
    for literal, why in typed.items():
        assert isinstance(why, str) and len(why.split()) >= 2, \
            f"{path.name}: typed number {literal!r} needs a reason (a few words), got {why!r}"
        assert literal in literals or literal + "%" in literals, \
            f"{path.name}: typed number {literal!r} is declared but no longer in the prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_say_why(path):
    for i, cell in enumerate(_load(path)["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and ("nbval-ignore-output" in tags or "nbval-skip" in tags):
            assert _IGNORE_REASON.search(_src(cell)), (
                f"{path.name} cell {i} is tagged {tags} but has no comment line "
                "'# nbval-ignore-output: <why its output can never be stable>'")


def test_ignored_cells_are_few_and_listed():
    """The list of cells nbval does not compare, so that a new one is a visible decision."""
    ignored = {}
    for path in NOTEBOOKS:
        for i, cell in enumerate(_load(path)["cells"]):
            tags = cell.get("metadata", {}).get("tags", [])
            if "nbval-ignore-output" in tags or "nbval-skip" in tags:
                ignored.setdefault(path.name, []).append(i)
    total = sum(len(v) for v in ignored.values())
    assert total <= len(NOTEBOOKS), f"{total} cells escape nbval: {ignored}"


# --------------------------------------------------------------------------- the rule bites
def _nb(markdown: str, printed: str, glued: dict | None = None, typed: dict | None = None):
    outputs = [{"output_type": "stream", "name": "stdout", "text": printed}]
    for key, value in (glued or {}).items():
        outputs.append({"output_type": "display_data", "metadata": {"scrapbook": {
            "name": key, "mime_prefix": "application/papermill.record/"}},
            "data": {"application/papermill.record/text/plain": repr(value)}})
    nb = {"metadata": {}, "cells": [
        {"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs},
        {"cell_type": "markdown", "source": markdown, "metadata": {}}]}
    if typed:
        nb["metadata"]["book"] = {"typed_numbers": typed}
    return nb


@pytest.mark.parametrize("markdown, printed, flagged", [
    ("accuracy 0.879 on the test set", "test accuracy 0.8793\n", ["0.879"]),
    ("about 20 points lower", "gap: 19.6 points\n", ["20"]),          # rounded at its 1 digit
    ("it grew by 76% in all", "growth 0.7612\n", ["76%"]),            # percent vs fraction
    ("a loss of about $10^{13}$", "loss 1.2e+13\n", ["10^{13}"]),
    ("diverged at 3.89e+14", "3.8912e+14", ["3.89e+14"]),
    ("1,347 training digits", "(1347, 64)", ["1,347"]),
    ("the gap is 17 points", "gap: 19.6\n", []),                     # different number
    ("`0.879` in code, {eq}`eq-12` in a role", "0.879 12", []),       # markup is skipped
    ("three layers, 2 of them hidden", "2 3", []),                    # single digits exempt
])
def test_the_rule_flags_typed_copies_of_printed_numbers(markdown, printed, flagged):
    got = [lit for _, lit in book_numbers.unglued_numbers(_nb(markdown, printed))]
    assert got == flagged


def test_declared_and_glued_numbers_are_not_flagged():
    nb = _nb("lr 0.1 and <!--glue:acc:.3f-->0.879<!--/glue--> accuracy", "lr=0.1 acc=0.879",
             glued={"acc": 0.8793}, typed={"0.1": "the learning rate, a constant"})
    assert book_numbers.unglued_numbers(nb) == []
    assert book_numbers.stale_spans(nb) == []


def test_a_stale_or_unknown_glue_span_fails_and_refresh_mends_it():
    nb = _nb("<!--glue:acc:.3f-->0.912<!--/glue--> and <!--glue:nope:.1f-->1.0<!--/glue-->",
             "", glued={"acc": 0.8793})
    problems = book_numbers.stale_spans(nb)
    assert len(problems) == 2 and "'0.912'" in problems[0] and "'nope'" in problems[1]
    fixed = copy.deepcopy(nb)
    assert book_numbers.refresh(fixed) == 1
    assert "<!--glue:acc:.3f-->0.879<!--/glue-->" in fixed["cells"][1]["source"]
    assert len(book_numbers.stale_spans(fixed)) == 1  # the unknown key still fails


def test_numpy_scalar_reprs_are_read():
    nb = _nb("<!--glue:g:.2f-->0.50<!--/glue-->", "", glued={})
    nb["cells"][0]["outputs"].append({"output_type": "display_data", "metadata": {"scrapbook": {
        "name": "g", "mime_prefix": "application/papermill.record/"}},
        "data": {"application/papermill.record/text/plain": "np.float32(0.5)"}})
    assert book_numbers.stale_spans(nb) == []


def test_an_ignored_cell_without_reason_is_caught(tmp_path):
    cell = {"cell_type": "code", "source": "t0 = time.time()",
            "metadata": {"tags": ["nbval-ignore-output"]}, "outputs": []}
    assert not _IGNORE_REASON.search(_src(cell))
    cell["source"] = "# nbval-ignore-output: wall-clock timings differ run to run\nt0 = 1"
    assert _IGNORE_REASON.search(_src(cell))


if __name__ == "__main__":
    sys.exit(book_numbers.main(sys.argv[1:]))
