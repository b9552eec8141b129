"""Web spans (scripts/web_spans.py): citations and references to other chapters readable in
JupyterLab, the same roles in the web book, the web book's numbering in both.

Fast tests on strings and a small fixture book; one slow test builds that fixture book and
checks that the web book prints, for every span, exactly the text JupyterLab shows; one test
per chapter checks that the chapter is converted (it fails until
``scripts/web_spans.py --apply book/*.ipynb`` has run on the chapters).
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import web_spans as ws  # noqa: E402

#: the chapters' spans are rebuilt from _toc.yml (PyYAML) and references.bib (pybtex), both in
#: the book extra; CI's NumPy 1.26 venv has only the test extra
needs_book_stack = pytest.mark.skipif(
    importlib.util.find_spec("yaml") is None or importlib.util.find_spec("pybtex") is None,
    reason="PyYAML and pybtex are part of the book extra (pip install -e .[book])")

BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))


def _nb(*markdown: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": m}
                      for i, m in enumerate(markdown)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _md(nb: dict) -> str:
    return "\n\n".join(ws._cell_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


# The fixture book: chapter 1 defines an equation and a labelled chapter; chapter 2 cites and
# refers to them; an unnumbered appendix cites.
CH1 = ["(ch-one)=\n# The first chapter\n\nText.",
       "$$\na = b\n$$ (eq-one-a)\n\nand\n\n$$\nc = d\n$$ (eq-one-b)\n\nLocal: {eq}`eq-one-b`."]
CH2 = ["(ch-two)=\n# The second chapter\n\nAs {cite:t}`glorot2010` showed, saturating units\n"
       "slow training {cite:p}`glorot2010`. Two sources {cite:p}`nair2010,glorot2011`;\n"
       "{cite:p}`montufar2014` counted regions; see also {cite:t}`he2015`.",
       "$$\ne = f\n$$ (eq-two-a)\n\nThe model of chapter 1, {eq}`eq-one-b`, and ours,\n"
       "{eq}`eq-two-a`. Read {ref}`ch-one` or {ref}`the start <ch-one>`.\n\n"
       "```python\nx = '{cite:p}`glorot2010`'  # code: untouched\n```",
       ":::{exercise} An exercise\n:label: ex-two\n\nUse {eq}`eq-two-a` and `code {cite:p}`.\n:::",
       "## References\n\n```{bibliography}\n:filter: docname in docnames\n```"]
APPENDIX = ["(app-x)=\n# An appendix\n\nAdam {cite:p}`kingma2015` and {ref}`ch-two`.",
            "```{bibliography}\n:filter: docname in docnames\n```"]
TOC = {"format": "jb-book", "root": "intro", "parts": [
    {"caption": "Part", "numbered": True,
     "chapters": [{"file": "book/c01_one"}, {"file": "book/c02_two"}]},
    {"caption": "Appendices", "chapters": [{"file": "book/a1_app"}]}]}


@pytest.fixture
def fixture_book(tmp_path) -> Path:
    yaml = pytest.importorskip("yaml")
    (tmp_path / "book").mkdir()
    shutil.copy(BOOK / "references.bib", tmp_path / "book" / "references.bib")
    for stem, cells in (("c01_one", CH1), ("c02_two", CH2), ("a1_app", APPENDIX)):
        (tmp_path / "book" / f"{stem}.ipynb").write_text(json.dumps(_nb(*cells), indent=1))
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(TOC))
    (tmp_path / "intro.md").write_text("# Fixture\n\nHello.\n")
    return tmp_path


def _load(root: Path, stem: str) -> dict:
    return json.loads((root / "book" / f"{stem}.ipynb").read_text())


# --------------------------------------------------------------------------- texts
def test_the_web_side_gets_the_role_back():
    md = "as <!--web {cite:p}`glorot2010`-->[Glorot and Bengio, 2010]<!--/web--> showed"
    assert ws.to_web(md) == "as {cite:p}`glorot2010` showed"
    assert ws.to_web("no span {eq}`x`") == "no span {eq}`x`"


@needs_book_stack
def test_citation_texts_follow_the_author_year_style():
    entries = ws.read_bib(BOOK / "references.bib")
    assert ws.cite_text("cite:p", "glorot2010", entries) == "[Glorot and Bengio, 2010]"
    assert ws.cite_text("cite:t", "glorot2010", entries) == "Glorot and Bengio [2010]"
    assert ws.cite_text("cite:t", "he2015", entries) == "He *et al.* [2015]"
    # several keys: sorted by author (Glorot before Nair), joined by ", "
    assert ws.cite_text("cite:p", "nair2010, glorot2011", entries) == \
        "[Glorot *et al.*, 2011, Nair and Hinton, 2010]"
    # LaTeX accents become letters
    assert ws.cite_text("cite:p", "montufar2014", entries) == "[Montúfar *et al.*, 2014]"
    with pytest.raises(ValueError, match="not in the bibliography"):
        ws.cite_text("cite:p", "nobody1900", entries)
    with pytest.raises(ValueError, match="not supported"):
        ws.cite_text("cite:year", "he2015", entries)


def test_chapter_numbers_come_from_the_numbered_parts_of_the_toc(fixture_book):
    assert ws.chapter_numbers(fixture_book) == {"c01_one": 1, "c02_two": 2}
    real = ws.chapter_numbers(ROOT)
    assert real["01_architecture"] == 1 and "A1_playground" not in real


# --------------------------------------------------------------------------- the transformation
def test_apply_converts_what_lab_cannot_resolve_and_nothing_else(fixture_book):
    book = ws.Book.load(fixture_book / "book", fixture_book)
    nb = _load(fixture_book, "c02_two")
    problems = ws.transform(nb, "c02_two", book)
    assert problems == []
    md = _md(nb)
    assert "As <!--web {cite:t}`glorot2010`-->Glorot and Bengio [2010]<!--/web--> showed" in md
    assert "<!--web {cite:p}`nair2010,glorot2011`-->[Glorot *et al.*, 2011, Nair and " \
           "Hinton, 2010]<!--/web-->" in md
    # another notebook's equation: its web number and a link that opens that notebook
    assert "<!--web {eq}`eq-one-b`-->[(1.2)](c01_one.ipynb#eq-one-b)<!--/web-->" in md
    assert "<!--web {ref}`ch-one`-->[The first chapter](c01_one.ipynb#ch-one)<!--/web-->" in md
    assert "<!--web {ref}`the start <ch-one>`-->[the start](c01_one.ipynb#ch-one)<!--/web-->" \
        in md
    # local references and code stay as they are
    assert "ours,\n{eq}`eq-two-a`" in md and "Use {eq}`eq-two-a`" in md
    assert "x = '{cite:p}`glorot2010`'" in md and "`code {cite:p}`" in md
    # a span never opens a line: "{cite:p}`montufar2014` counted" was joined to its line
    assert not [ln for ln in md.splitlines() if ln.lstrip().startswith("<!--")]
    assert "nair2010,glorot2011`-->[Glorot *et al.*, 2011, Nair and Hinton, 2010]<!--/web-->; " \
           "<!--web {cite:p}`montufar2014`-->" in md
    # the web book reads back exactly the original markdown, up to joined lines
    original = _md(_load(fixture_book, "c02_two"))
    assert " ".join(ws.to_web(ws._markdown(nb)).split()) == " ".join(original.split())


def test_numbering_cell_first_in_numbered_chapters_only(fixture_book):
    book = ws.Book.load(fixture_book / "book", fixture_book)
    nb = _load(fixture_book, "c02_two")
    ws.transform(nb, "c02_two", book)
    first = nb["cells"][0]
    assert first["id"] == ws.NUMBERING_ID and first["metadata"]["tags"] == ["remove-cell"]
    src = ws._cell_source(first)
    assert src.startswith("---\n") and src.endswith("\n---") and 'enumerator: "2.%s"' in src
    app = _load(fixture_book, "a1_app")
    assert ws.transform(app, "a1_app", book) == []
    assert all(c["id"] != ws.NUMBERING_ID for c in app["cells"])
    assert "<!--web {ref}`ch-two`-->[The second chapter](c02_two.ipynb#ch-two)<!--/web-->" in \
        _md(app)


def test_apply_is_idempotent_and_check_reports_until_applied(fixture_book):
    book = ws.Book.load(fixture_book / "book", fixture_book)
    nb = _load(fixture_book, "c02_two")
    assert ws.check(nb, "c02_two", book), "an unconverted chapter must be reported"
    ws.transform(nb, "c02_two", book)
    once = json.dumps(nb)
    assert ws.transform(nb, "c02_two", book) == [] and json.dumps(nb) == once
    assert ws.check(nb, "c02_two", book) == []
    # a stale text (the bibliography or a chapter changed) is reported and mended
    stale = json.loads(once.replace("[(1.2)]", "[(1.7)]"))
    assert any("stale" in p for p in ws.check(stale, "c02_two", book))
    ws.transform(stale, "c02_two", book)
    assert json.dumps(stale) == once


def test_a_role_that_opens_a_paragraph_is_left_bare_and_reported(fixture_book):
    book = ws.Book.load(fixture_book / "book", fixture_book)
    nb = _nb("Intro.\n\n{cite:t}`he2015` showed it.", "{cite:p}`he2015` opens a cell.")
    problems = ws.transform(nb, "c02_two", book)
    assert len(problems) == 2 and all("rephrase" in p for p in problems)
    assert "\n\n{cite:t}`he2015` showed it." in _md(nb)
    assert ws._cell_source(nb["cells"][2]).startswith("{cite:p}`he2015`")


def test_unknown_targets_are_reported(fixture_book):
    book = ws.Book.load(fixture_book / "book", fixture_book)
    nb = _nb("See {eq}`eq-nowhere` and {cite:p}`nobody1900`.")
    problems = ws.transform(nb, "c02_two", book)
    assert any("eq-nowhere" in p for p in problems)
    assert any("nobody1900" in p for p in problems)


def test_the_sphinx_hook_hands_the_roles_back():
    class Env:
        def doc2path(self, docname):
            return Path(f"/x/{docname}.ipynb")

    class App:
        env = Env()

    nb = _nb("as <!--web {cite:p}`he2015`-->[He *et al.*, 2015]<!--/web--> showed")
    source = [json.dumps(nb)]
    ws._source_read(App(), "book/x", source)
    assert json.loads(source[0])["cells"][0]["source"] == "as {cite:p}`he2015` showed"


def test_the_command_line_applies_and_checks(fixture_book, capsys):
    paths = [str(p) for p in sorted((fixture_book / "book").glob("*.ipynb"))]
    assert ws.main(["--check", *paths]) == 1
    assert ws.main(["--apply", *paths]) == 0
    assert ws.main(["--check", *paths]) == 0
    text = (fixture_book / "book" / "c02_two.ipynb").read_text()
    assert text == ws.dumps(json.loads(text))  # written as nbformat writes


# --------------------------------------------------------------------------- the real chapters
@needs_book_stack
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_readable_in_jupyterlab(path):
    """Citations and references to other chapters as web spans with fresh texts, and the
    numbering cell (run ``scripts/web_spans.py --apply book/*.ipynb``)."""
    book = ws.Book.load(BOOK, ROOT)
    problems = ws.check(json.loads(path.read_text(encoding="utf-8")), path.stem, book)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the web book
def _web_citations(page: str) -> list[str]:
    spans = re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", s)).split()) for s in spans]


def _lab_citations(nb: dict) -> list[str]:
    return [m.group(2).replace("*", "") for m in ws.SPAN.finditer(_md(nb))
            if m.group(1).startswith("{cite")]


def web_and_lab_disagree(nb: dict, page: str) -> list[str]:
    """Where the web page prints something else than the notebook's web spans say: the
    citations, in order, and the number of each reference to another notebook's equation."""
    problems = []
    web, lab = _web_citations(page), _lab_citations(nb)
    if web != lab:
        problems.append(f"citations: web {web} != lab {lab}")
    for m in ws.SPAN.finditer(_md(nb)):
        r = re.fullmatch(r"\{eq\}`([^`]+)`", m.group(1))
        if r:
            link = re.match(r"\[(.*?)\]\((\w+)\.ipynb#", m.group(2))
            want = f'href="{link.group(2)}.html#equation-{r.group(1)}">{link.group(1)}</a>'
            if want not in page:
                problems.append(f"{m.group(1)}: the web page has no {want}")
    return problems


@pytest.mark.slow
def test_the_web_book_prints_what_the_spans_say(fixture_book, tmp_path_factory):
    """Build the converted fixture book with the repository's configuration: it builds
    without warnings, the numbering cell is gone, and every span's text is what the web book
    prints in its place."""
    yaml = pytest.importorskip("yaml")
    import book_html

    if book_html.jupyter_book() is None:
        pytest.skip("jupyter-book is not installed (pip install -e .[book])")
    paths = sorted((fixture_book / "book").glob("*.ipynb"))
    assert ws.main(["--apply", *map(str, paths)]) == 0
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["bibtex_bibfiles"] = ["book/references.bib"]
    config["sphinx"]["local_extensions"] = {"web_spans": str(ROOT / "scripts")}
    config["exclude_patterns"] = ["_build"]
    (fixture_book / "_config.yml").write_text(yaml.safe_dump(config))
    built = book_html.build(fixture_book, tmp_path_factory.mktemp("web_spans_out"))
    assert built.returncode == 0 and not built.warnings(), built.log[-3000:]
    for path in paths:
        page = (built.html / "book" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert "enumerator" not in page and "&lt;!--web" not in page and "<!--web" not in page
        nb = json.loads(path.read_text())
        assert not web_and_lab_disagree(nb, page), web_and_lab_disagree(nb, page)
    two = (built.html / "book" / "c02_two.html").read_text(encoding="utf-8")
    assert len(_web_citations(two)) == 5 and "(1.2)" in two


@pytest.mark.slow
def test_the_book_prints_what_its_spans_say(book_build):
    """The same agreement on the real book (the session's one build)."""
    problems = []
    for path in CHAPTERS:
        page = book_build.html / "book" / f"{path.stem}.html"
        problems += [f"{path.name}: {p}" for p in web_and_lab_disagree(
            json.loads(path.read_text(encoding="utf-8")), page.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)
