"""The web book shows what the chapters mean: no raw TeX, no "((4.5))", no broken paragraphs.

Two layers of checks:

* on the **sources** (fast): every ``{tip}``/``{note}``/code fence is closed; no wrapped line
  starts a list item (``+``, ``-``, ``*``, ``1.``) inside inline math or a code span; an
  equation that continues a list item is indented to the item; no line starts with a glue
  span (CommonMark reads it as an HTML block); no ``({eq}`...`)``; one spelling,
  "normaliz-", in the prose (markdown cells and ``.md`` files of ``book/``);
* on the **built HTML** (slow, the session's one build of the book, shared with
  ``tests/test_book.py``): ``book_html.find_problems`` on every page, that is TeX and ``$``
  outside MathJax's containers, stray backticks, "((" before an equation number, and text
  outside any paragraph.

Each check is shown to bite: on strings for the source checks, and for the HTML check on
a small book built from chapter 4's cells as they were on ``main`` with the heavy-ball
defect (``tests/book_defects/``), next to fixed twins that must come out clean.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import book_html
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
DEFECTS = Path(__file__).resolve().parent / "book_defects"
SOURCES = sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))
PAGES = [p.stem for p in SOURCES]


def _markdown(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for each markdown cell of a notebook, or the whole of a .md file."""
    if path.suffix == ".md":
        return [(path.name, path.read_text(encoding="utf-8"))]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(f"{path.name} cell {i}", "".join(c["source"])) for i, c in enumerate(cells)
            if c["cell_type"] == "markdown"]


# --------------------------------------------------------------------------- source checks
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$")


def unclosed_fences(text: str) -> list[str]:
    """Fences (```` ``` ````, ``~~~``, ``:::``) opened in ``text`` and never closed."""
    stack: list[tuple[str, int, int, str]] = []  # (char, length, line, info)
    for no, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if not m:
            continue
        fence, info = m.group(1), m.group(2)
        if stack:
            char, length, _, top_info = stack[-1]
            if fence[0] == char and len(fence) >= length and not info:
                stack.pop()
                continue
            if char in "`~" and not top_info.startswith("{"):
                continue  # inside a literal code block: not a fence
        stack.append((fence[0], len(fence), no, info))
    return [f"line {no}: {char * n}{info} is never closed" for char, n, no, info in stack]


_LIST_START = re.compile(r"^\s*(?:[-+*]|\d+[.)])(?:\s|$)")


def wrapped_list_starts(text: str) -> list[str]:
    """Lines that start a list item while inline math (``$``) or a code span is open.

    MyST ends the paragraph there: the ``$`` (or backtick) pairs no longer match and the
    reader sees raw TeX (or backticks) and a stray bullet.
    """
    problems = []
    dollars = ticks = 0
    in_block = None  # "$$" or a code fence
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_block:
            if (in_block == "$$" and stripped.startswith("$$")) or \
                    (in_block != "$$" and stripped.startswith(in_block)):
                in_block = None
            continue
        if not stripped:
            dollars = ticks = 0  # a blank line ends the paragraph
            continue
        if stripped.startswith("$$") and stripped.count("$$") == 1:
            in_block, dollars, ticks = "$$", 0, 0
            continue
        m = _FENCE.match(line)
        if m and m.group(1)[0] in "`~":
            in_block, dollars, ticks = m.group(1), 0, 0
            continue
        if (dollars % 2 or ticks % 2) and _LIST_START.match(line):
            inside = "inline math" if dollars % 2 else "a code span"
            problems.append(f"line {no} starts a list item inside {inside}: {line.strip()[:60]}")
        bare = re.sub(r"\\\$|\$\$", "", line)
        dollars += bare.count("$")
        ticks += line.count("`")
    return problems


def list_equations_unindented(text: str) -> list[str]:
    """``$$`` equations that continue a list item's sentence but start at column 0.

    A list item ending with ``,`` or ``:`` (no full stop), a blank line, then ``$$`` at a
    column left of the item's text: MyST ends the list there, so the equation and the
    text after it fall out of the item. Indent the equation to the item's text.
    """
    problems = []
    item_column = None  # the column of the open list item's text
    last = ""           # the last non-blank line outside display math and code
    in_block = None
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_block:
            if stripped.startswith(in_block):
                in_block = None
            continue
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        m = _FENCE.match(line)
        if stripped.startswith("$$") or (m and m.group(1)[0] in "`~"):
            if stripped.startswith("$$") and item_column is not None and \
                    indent < item_column and not last.rstrip().endswith((".", "!", "?")):
                problems.append(f"line {no}: $$ at column {indent}, inside the list item "
                                f"ending {last.strip()[-40:]!r} (its text is at column "
                                f"{item_column})")
            if not (stripped.startswith("$$") and stripped.count("$$") == 2):
                in_block = "$$" if stripped.startswith("$$") else m.group(1)
            continue
        item = re.match(r"^(\s*(?:[-+*]|\d+[.)])\s+)", line)
        if item:
            item_column = len(item.group(1))
        elif item_column is not None and indent < item_column and \
                text.splitlines()[no - 2].strip() == "":
            item_column = None  # a paragraph left of the item after a blank line ends it
        last = line
    return problems


def glue_line_starts(text: str) -> list[str]:
    """Lines that start with an HTML comment, a glue span say: CommonMark makes it an
    HTML block, which breaks the paragraph and leaves the line's markdown unparsed."""
    return [f"line {no}: {line.strip()[:60]}" for no, line in enumerate(text.splitlines(), 1)
            if line.lstrip().startswith("<!--")]


def parenthesised_eq_roles(text: str) -> list[str]:
    return re.findall(r"\(\s*\{eq\}`[^`]*`[^)\n]{0,40}\)?", text)


def british_normalis(text: str) -> list[str]:
    return re.findall(r"\b\w*normalis\w*", text, re.I)


SOURCE_CHECKS = {  # id: (what is wrong, the check)
    "fences": ("a fence is never closed", unclosed_fences),
    "wrapped-lists": ("a wrapped line starts a list item inside inline math or a code span "
                      "(the reader sees raw TeX or backticks): wrap the line elsewhere",
                      wrapped_list_starts),
    "list-equations": ("an equation that continues a list item starts at column 0 (the "
                       "list ends there): indent it to the item's text",
                       list_equations_unindented),
    "glue-line-start": ("a line starts with an HTML comment (a glue span?): it becomes an "
                        "HTML block; move a word in front of it", glue_line_starts),
    "eq-parens": ("({eq}`label`) prints '((4.5))': write {eq}`label` alone",
                  parenthesised_eq_roles),
    "spelling": ("'normalis-': the book spells 'normalization', 'normalize'",
                 british_normalis),
}


@pytest.mark.parametrize("check", list(SOURCE_CHECKS))
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_markdown_sources(path, check):
    what, find = SOURCE_CHECKS[check]
    found = [f"{where}: {hit}" for where, text in _markdown(path) for hit in find(text)]
    assert not found, f"{path.name}: {what}:\n" + "\n".join(found)


def test_source_checks_bite():
    heavy_ball = (DEFECTS / "ch04_heavy_ball_cell13.md").read_text(encoding="utf-8")
    adam = (DEFECTS / "ch04_adam_solution_cell55.md").read_text(encoding="utf-8")
    found = wrapped_list_starts(heavy_ball)
    assert len(found) == 1 and "inline math" in found[0] and "+ B r_2^t$" in found[0]
    assert wrapped_list_starts(_fixed_heavy_ball(heavy_ball)) == []
    assert "a code span" in wrapped_list_starts(adam)[0]
    assert wrapped_list_starts(_fixed_adam(adam)) == []
    # a real list, and a list after a paragraph whose math is closed, are fine
    assert wrapped_list_starts("Text $a$ and\n- an item $b$\n- another\n") == []
    assert wrapped_list_starts("$$\nx\n+ y\n$$ (eq-a)\n\n```python\n$a\n- b\n```\n") == []
    # appendix A1's first cell opened ```{tip} and never closed it
    tip = "Intro.\n\n```{tip}\nOpen it in JupyterLab.\n"
    assert unclosed_fences(tip) == ["line 3: ```{tip} is never closed"]
    assert unclosed_fences(tip + "```\n") == []
    assert unclosed_fences("````{tip}\n```python\nx = 1\n```\n````\n") == []
    assert unclosed_fences("```python\n```{note}\n```\n") == []  # literal inside code
    # chapter 7's inverted dropout: the item's sentence goes on in an equation at column 0
    item = ("1. **Inverted dropout**: divide by the keep probability,\n\n$$\nx\n$$ (eq-a)\n"
            "\nso that the mean is kept.\n")
    assert len(list_equations_unindented(item)) == 1
    assert list_equations_unindented(item.replace("$$\nx\n$$", "   $$\n   x\n   $$")) == []
    assert list_equations_unindented("- the list ends here.\n\n$$\nx\n$$\n") == []
    assert glue_line_starts("with\n<!--glue:a1_x:.3f-->0.5<!--/glue--> of it") != []
    assert glue_line_starts("with <!--glue:a1_x:.3f-->0.5<!--/glue-->\nof it") == []
    assert parenthesised_eq_roles("the layer ({eq}`eq-layer`), then") == ["({eq}`eq-layer`)"]
    assert parenthesised_eq_roles("the layer {eq}`eq-layer`, then") == []
    assert british_normalis("Batch normalisation, normalised") == ["normalisation",
                                                                  "normalised"]
    assert british_normalis("Batch normalization, normalized") == []


def _code_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(the heading above, lines)`` of each fenced code block of a markdown text."""
    blocks, heading, inside = [], "", None
    for line in text.splitlines():
        if inside is None and line.startswith("#"):
            heading = line.lstrip("# ").strip()
        m = _FENCE.match(line)
        if m and m.group(1)[0] == "`":
            if inside is None:
                inside = []
            else:
                blocks.append((heading, inside))
                inside = None
        elif inside is not None:
            inside.append(line)
    return blocks


def test_landing_page_code_is_not_clipped():
    """A code line longer than its box scrolls, the end hidden until the reader scrolls.

    Measured in headless Chromium on the built landing page (sphinx-book-theme 1.3, code at
    0.875 rem, 8.4 px per character): the box holds 77 characters at a 1280 px window (both
    sidebars shown), 83 to 85 at 800 to 1024 px (sidebars folded away), 38 on a 390 px
    phone. The old "How to run it" lines (88 characters) scrolled at 1280 px. So: 60
    characters at most on the landing page, and 38 in "How to run it" and "Running on a
    GPU", which then fit a phone.
    """
    blocks = _code_blocks((BOOK / "intro.md").read_text(encoding="utf-8"))
    assert any(h == "How to run it" for h, _ in blocks)
    for heading, lines in blocks:
        limit = 38 if heading in ("How to run it", "Running on a GPU") else 60
        long = [ln for ln in lines if len(ln) > limit]
        assert not long, f"intro.md, code under {heading!r}: lines over {limit} characters: {long}"
    run = next(lines for h, lines in blocks if h == "How to run it")
    # the README's order: build the book, then the notebooks in JupyterLab, then the tests
    assert [ln.split("#")[0].strip() for ln in run] == ["./dev book", "./dev lab", "./dev test"]


# --------------------------------------------------------------------------- the built book
@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_built_page_has_no_raw_tex(book_build, page):
    path = book_build.html / "book" / f"{page}.html"
    assert path.exists(), f"{path} was not built:\n" + "\n".join(book_build.warnings())
    problems = book_html.find_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{page}.html, {len(problems)} problem(s):\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the HTML check bites
def _fixed_heavy_ball(text: str) -> str:
    old = "$c_t = A r_1^t\n+ B r_2^t$, where"
    assert old in text
    return text.replace(old, "$c_t = A r_1^t + B r_2^t$,\nwhere")


def _fixed_adam(text: str) -> str:
    old = "Writing `m = beta1 * m\n+ ...` creates"
    assert old in text
    return text.replace(old, "Writing\n`m = beta1 * m + ...` creates")


_EQ_CELL = "$$\nx = 1\n$$ (eq-gd-best-rate)\n\n$$\ny = 2\n$$ (eq-other)\n"
# (name, defective markdown, fixed twin, what the check must report for the defect)
_CASES = {
    "heavy_ball": (lambda: (DEFECTS / "ch04_heavy_ball_cell13.md").read_text(encoding="utf-8"),
                   _fixed_heavy_ball, ["a '$' outside math", "a TeX command outside math",
                                       "a TeX subscript outside math"]),
    "adam_solution": (lambda: (DEFECTS / "ch04_adam_solution_cell55.md").read_text(
        encoding="utf-8"), _fixed_adam, ["a '`' outside code"]),
    "double_parens": (lambda: "The batch form ({eq}`eq-other`) is a matrix product.\n",
                      lambda t: t.replace("({eq}`eq-other`)", "{eq}`eq-other`"),
                      ["'((' before an equation number"]),
    "glue_line_start": (lambda: "The accuracy is\n<!--glue:x:.1%-->98.7%<!--/glue--> with "
                                "`point_losses`.\n",
                        lambda t: t.replace("is\n<!--", "\nis <!--"),
                        ["text outside any paragraph", "a '`' outside code"]),
}


def _notebook(*markdown: str) -> str:
    cells = [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": m}
             for i, m in enumerate(markdown)]
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture(scope="module")
def defect_book(tmp_path_factory):
    """A small book: one page per defect, one per fixed twin, with the book's MyST settings."""
    yaml = pytest.importorskip("yaml")
    if book_html.jupyter_book() is None:
        pytest.skip("jupyter-book is not installed (pip install -e .[book])")
    src = tmp_path_factory.mktemp("defects")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    small = {"title": "defects", "only_build_toc_files": True,
             "execute": {"execute_notebooks": "off"}, "parse": config["parse"],
             "bibtex_bibfiles": ["references.bib"],
             "sphinx": {"config": {"math_numfig": True, "numfig": True}}}
    shutil.copy(BOOK / "references.bib", src / "references.bib")
    (src / "_config.yml").write_text(yaml.safe_dump(small), encoding="utf-8")
    pages = []
    for name, (defect, fix, _) in _CASES.items():
        text = defect()
        for kind, body in (("defect", text), ("fixed", fix(text))):
            page = f"{kind}_{name}"
            (src / f"{page}.ipynb").write_text(_notebook(
                f"# {page}", _EQ_CELL.replace("eq-", f"eq-{page}-"),
                body.replace("{eq}`eq-", f"{{eq}}`eq-{page}-").replace(
                    "$$ (eq-", f"$$ (eq-{page}-"),
                "```{bibliography}\n:filter: docname in docnames\n```"), encoding="utf-8")
            pages.append(page)
    (src / "index.md").write_text("# Defects\n", encoding="utf-8")
    toc = {"format": "jb-book", "root": "index", "chapters": [{"file": p} for p in pages]}
    (src / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    built = book_html.build(src, tmp_path_factory.mktemp("defects_out"), strict=False)
    assert built.returncode == 0, built.log[-3000:]
    return built


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_CASES))
def test_the_html_check_fails_on_the_defect_and_passes_its_fix(defect_book, case):
    def problems(kind):
        return book_html.find_problems(
            (defect_book.html / f"{kind}_{case}.html").read_text(encoding="utf-8"))

    found = problems("defect")
    for expected in _CASES[case][2]:
        assert any(expected in p for p in found), \
            f"{case}: expected {expected!r} among {found}"
    assert problems("fixed") == []
