"""The book itself: it builds with warnings as errors, every notebook is in the table of
contents and uses the python3 kernel, and nbval really checks the stored outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
SANITIZE = BOOK / "sanitize.cfg"


def _toc_files() -> list[str]:
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- structure
def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebook in book/"


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    files = _toc_files()
    listed = {f.removesuffix(".ipynb").removesuffix(".md") for f in files}
    for nb in NOTEBOOKS:
        assert f"book/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml"
    for f in files:
        stem = ROOT / f
        assert any(stem.with_suffix(s).exists() for s in (".ipynb", ".md")) or stem.exists(), \
            f"_toc.yml lists {f}, which does not exist"


def test_toc_has_parts_with_numbered_chapters():
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["format"] == "jb-book" and toc["parts"]
    for part in toc["parts"]:
        assert part.get("caption")
        # chapters are numbered (equations and figures take the chapter's number);
        # appendices are not
        if not part["caption"].startswith("Appendi"):
            assert part.get("numbered") is True, part["caption"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "stored widget state: re-execute with the script"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    # restart-and-run-all: every code cell ran, in order, once
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run with scripts/execute_notebook.py"
    for c in code:
        assert "execution" not in c.get("metadata", {}), "timing metadata stored"
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"a stored error in: {''.join(c['source'])}"
    first = "".join(code[0]["source"])
    assert "SEED" in first, "seeds belong in the first code cell"
    text = json.dumps(nb)
    assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text, \
        "absolute path stored in the notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_checked_before_and_after_their_solution(path):
    """Each {exercise} is followed by the reader's cell, a checker cell that runs it, and a
    {solution-start}...{solution-end} block that runs the checker on the solution."""
    cells = _load(path)["cells"]
    src = ["".join(c["source"]) for c in cells]
    starts = [i for i, s in enumerate(src) if "{solution-start}" in s]
    assert len(starts) == sum("{exercise}" in s for s in src)
    for i in starts:
        end = next(j for j in range(i, len(src)) if "{solution-end}" in src[j])
        assert "dropdown" in src[i]
        inside = [src[j] for j in range(i, end) if cells[j]["cell_type"] == "code"]
        assert any("check_" in s for s in inside), "the solution is not run through its checker"
        before = [src[j] for j in range(max(0, i - 3), i) if cells[j]["cell_type"] == "code"]
        assert any("check_" in s for s in before), "no checker cell for the reader's code"


# --------------------------------------------------------------------------- build
@pytest.mark.slow
def test_book_builds_with_warnings_as_errors(book_build):
    # book_build (tests/conftest.py): one build per session, shared with test_book_rendering
    warnings = book_build.warnings()
    assert book_build.returncode == 0 and not warnings, \
        "\n".join(warnings) or book_build.log[-3000:]
    html = book_build.html
    assert (html / "index.html").exists()
    for nb in NOTEBOOKS:
        page = html / "book" / f"{nb.stem}.html"
        assert page.exists(), f"{page} missing"
        text = page.read_text(encoding="utf-8")
        # the widget fallback is shown, not a dead widget view
        if "Explorer(" in nb.read_text(encoding="utf-8"):
            assert "dnnlib-explorer" in text
        assert "application/vnd.jupyter.widget-state+json" not in text
    chapter1 = (html / "book" / "01_architecture.html").read_text(encoding="utf-8")
    assert 'class="solution dropdown' in chapter1 and "citation" in chapter1


# --------------------------------------------------------------------------- nbval bites
def _nbval(*paths: Path, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           "--rootdir", str(cwd), "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", str(SANITIZE), *map(str, paths)]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _tamper(nb: dict) -> tuple[int, str]:
    """Change the last digit of the first computed decimal (3+ places) in a stored stream
    output, after the first code cell; return the cell's index and the change."""
    seen_code = 0
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        seen_code += 1
        if seen_code == 1:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream":
                continue
            text = "".join(out["text"])
            m = re.search(r"\d+\.\d{3,}", text)
            if m is None:
                continue
            old = m.group(0)
            new = old[:-1] + str((int(old[-1]) + 1) % 10)
            out["text"] = text[: m.start()] + new + text[m.end():]
            return index, f"{old} -> {new}"
    raise AssertionError("no stored number to tamper with")


@pytest.mark.slow
def test_nbval_fails_on_a_changed_stored_number_and_passes_untouched(tmp_path):
    pytest.importorskip("nbval")
    src = BOOK / "01_architecture.ipynb"
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    nb = _load(src)
    index, change = _tamper(nb)
    # keep the cells up to the tampered one: enough to prove the point, and quick
    nb["cells"] = nb["cells"][: index + 1]
    (bad / src.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    untouched = _load(src)
    untouched["cells"] = untouched["cells"][: index + 1]
    (good / src.name).write_text(json.dumps(untouched, indent=1), encoding="utf-8")
    procs = [_nbval(good / src.name, cwd=good), _nbval(bad / src.name, cwd=bad)]
    (out_good, _), (out_bad, _) = (p.communicate(timeout=600) for p in procs)
    assert procs[0].returncode == 0, out_good[-3000:]
    assert procs[1].returncode != 0, f"nbval accepted a tampered output ({change})"
    assert "1 failed" in out_bad, out_bad[-3000:]
