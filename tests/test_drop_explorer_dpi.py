"""scripts/drop_explorer_dpi.py: the chapters' Explorer calls lose their ``dpi=NN,`` line, so
their web frames are drawn at the default (true size, 2x pixels; issue 19)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import drop_explorer_dpi as dd  # noqa: E402

CALL = '''Explorer(
    draw_unit,
    Slider("w1", -r, r, value=w1_0, frames=sorted({-abs(w1_0), 0.0}), label="w1"),
    title="Move the weights",
    readout=readout,
    dpi=65,
)
fig, ax = new_figure(figsize=(2, 1),
    dpi=40,
)
'''


def test_the_dpi_line_of_an_explorer_call_goes_and_nothing_else():
    out = dd.drop_dpi(CALL)
    assert "dpi=65" not in out and "    dpi=40,\n" in out  # another call's dpi stays
    assert out == CALL.replace("    dpi=65,\n", "")
    assert dd.drop_dpi(out) == out  # idempotent
    nested = "Explorer(\n    draw,\n    gallery(\n        dpi=30,\n    ),\n)\n"
    assert dd.drop_dpi(nested) == nested  # an argument of an inner call stays


def test_the_command_line_checks_then_applies(tmp_path, capsys):
    nb = {"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "outputs": [],
                     "execution_count": None, "source": CALL.splitlines(keepends=True)},
                    {"cell_type": "markdown", "id": "b", "metadata": {},
                     "source": "Explorer(\n    dpi=60,\n)"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "ch.ipynb"
    path.write_text(json.dumps(nb))
    assert dd.main(["--check", str(path)]) == 1
    assert dd.main(["--apply", str(path)]) == 0
    assert dd.main(["--check", str(path)]) == 0
    cells = json.loads(path.read_text())["cells"]
    assert "dpi=65" not in "".join(cells[0]["source"])
    assert cells[1]["source"] == "Explorer(\n    dpi=60,\n)"  # markdown untouched


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_chapter_explorers_use_the_default_resolution(path):
    """Fails until ``scripts/drop_explorer_dpi.py --apply book/*.ipynb`` has run."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert dd.transform(nb) == 0, f"{path.name}: an Explorer call still gives dpi"
