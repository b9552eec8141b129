"""One chapter, two media: MyST that the web book resolves and JupyterLab cannot.

JupyterLab renders one notebook at a time with jupyterlab-myst, which

* cannot resolve a citation (it never reads a ``.bib`` file: every ``{cite:p}`key``` shows
  as the bare key with a "Citation Not Found" icon, with or without a ``bibliography`` in
  the frontmatter);
* cannot resolve a reference to another notebook (``{eq}`eq-mlp``` from chapter 2 logs
  "Cross reference target was not found: eq-mlp" to the console at every re-render, and
  shows the label);
* numbers equations and exercises from 1 ("(5)", "Exercise 1") where the web book, a
  numbered Sphinx toctree, says "(4.5)", "Exercise 4.1".

This module gives each medium what it can read, from the same notebook:

**Web spans.** The markdown holds ``<!--web ROLE-->TEXT<!--/web-->``: ROLE is the MyST role
the web book uses (``{cite:p}`glorot2010```), TEXT is what that role prints in the web book,
written as plain markdown (``[Glorot and Bengio, 2010]``, or a link to the other notebook,
``[(1.5)](01_architecture.ipynb#eq-mlp)``). JupyterLab (and GitHub, and VS Code) hide the
comments and show TEXT; the Sphinx extension below replaces every span by its ROLE when the
book is built (the ``source-read`` event, before myst-nb parses the notebook), so the web
book is exactly what it was with the bare role: same links, numbers, bibliography lists.

**Numbering.** The first cell of a numbered chapter is a markdown cell tagged
``remove-cell`` that holds only a YAML frontmatter, ``numbering: enumerator: "4.%s"``:
jupyterlab-myst reads the frontmatter of the first cell and numbers "(4.5)", "Exercise 4.1";
myst-nb drops cells tagged ``remove-cell``, so the web book never sees it (a frontmatter in
a cell the web book keeps fails the build: "Document or section may not begin with a
transition").

Command line (the chapters' transformation; idempotent)::

    python scripts/web_spans.py --apply book/*.ipynb   # convert, refresh, add numbering
    python scripts/web_spans.py --check book/*.ipynb   # exit 1 and list what --apply would do

``--apply`` turns every citation role, and every ``{eq}``/``{ref}`` whose target is in
another notebook, into a web span; rewrites the TEXT of every span from ``book/references.bib``
and the other notebooks (a chapter's number from ``_toc.yml``, an equation's number from its
rank among the chapter's labelled equations, as Sphinx counts them); and writes the
numbering cell. A span must not open a line (CommonMark would make that line an HTML block):
the line is joined to the one before; a role that opens a paragraph is left as it is and
reported (rephrase the sentence).

Sphinx extension: listed in ``_config.yml`` under ``sphinx: local_extensions``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

#: ``<!--web ROLE-->TEXT<!--/web-->`` on one line.
SPAN = re.compile(r"<!--web (\{[\w:-]+\}`[^`\n]*`)-->(.*?)<!--/web-->")
#: A role that may need a span.
ROLE = re.compile(r"\{(cite(?::\w+)?|eq|ref|numref)\}`([^`\n]*)`")
#: Labels defined in a notebook's markdown.
_LABELS = [
    re.compile(r"^\s*\(([^()\s]+)\)=\s*$", re.M),           # (label)= before a heading
    re.compile(r"^\s*:label:\s*(\S+)", re.M),               # directive option
    re.compile(r"\$\$[ \t]*\(([^()\s]+)\)"),                 # $$ ... $$ (label)
]
_EQ_LABELS = [re.compile(r"\$\$[ \t]*\(([^()\s]+)\)"),
              re.compile(r"```\{math\}[^\n]*\n(?:\s*:[\w-]+:[^\n]*\n)*?\s*:label:\s*(\S+)")]
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)

NUMBERING_ID = "lab-numbering"
NUMBERING_TAG = "remove-cell"


def numbering_source(chapter: int) -> str:
    """The numbering cell of chapter ``chapter``."""
    return (
        "---\n"
        "# JupyterLab (jupyterlab-myst) reads this frontmatter and numbers equations and\n"
        "# exercises as the web book does; the web book drops this cell (tag remove-cell).\n"
        "# Written by scripts/web_spans.py.\n"
        "numbering:\n"
        f'  enumerator: "{chapter}.%s"\n'
        "---"
    )


# --------------------------------------------------------------------------- the web side
def to_web(markdown: str) -> str:
    """``markdown`` as the web book reads it: every web span replaced by its role."""
    return SPAN.sub(lambda m: m.group(1), markdown)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    text = source[0]
    if "<!--web " not in text:
        return
    if str(app.env.doc2path(docname)).endswith(".ipynb"):
        nb = json.loads(text)
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "markdown":
                cell["source"] = to_web(_cell_source(cell))
        source[0] = json.dumps(nb, ensure_ascii=False)
    else:
        source[0] = to_web(text)


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------- the book
def _cell_source(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _markdown(nb: dict) -> str:
    return "\n\n".join(_cell_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"
                       and NUMBERING_TAG not in c.get("metadata", {}).get("tags", []))


def chapter_numbers(root: Path = ROOT) -> dict[str, int]:
    """``{"02_activations": 2, ...}``: the numbers Sphinx gives the chapters of numbered
    parts of ``_toc.yml`` (counted across parts, as sphinx-multitoc-numbering does)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    out, n = {}, 0
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            if part.get("numbered"):
                n += 1
                out[Path(ch["file"]).name] = n
    return out


@dataclass
class Book:
    """What the Lab texts are made of: the bibliography, the chapters' labels and numbers."""

    folder: Path
    chapters: dict[str, int]
    entries: dict[str, tuple[list[str], str, str]] = field(default_factory=dict)
    #: label -> (notebook stem, kind, text the web book prints)
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path = BOOK, root: Path = ROOT) -> Book:
        book = cls(folder, chapter_numbers(root))
        bib = folder / "references.bib"
        if bib.is_file():
            book.entries = read_bib(bib)
        for path in sorted(folder.glob("*.ipynb")):
            nb = json.loads(path.read_text(encoding="utf-8"))
            book._add_labels(path.stem, to_web(_markdown(nb)))
        return book

    def _add_labels(self, stem: str, md: str) -> None:
        eqs = []
        for rx in _EQ_LABELS:
            eqs += [(m.start(), m.group(1)) for m in rx.finditer(md)]
        chapter = self.chapters.get(stem)
        for k, (_, label) in enumerate(sorted(eqs), 1):
            number = f"{chapter}.{k}" if chapter else str(k)
            self.labels[label] = (stem, "eq", f"({number})")
        for m in re.finditer(r"^\s*\(([^()\s]+)\)=\s*\n+\s*#+\s+(.+?)\s*$", md, re.M):
            self.labels[m.group(1)] = (stem, "heading", m.group(2))


def read_bib(path: Path) -> dict[str, tuple[list[str], str, str]]:
    """``{key: (family names of the authors (or editors), year, title)}`` from a .bib file."""
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin
    from pybtex.richtext import Text

    backend = find_plugin("pybtex.backends", "text")()  # looked up once: it is slow

    def plain(latex: str) -> str:
        return Text.from_latex(latex).render(backend)

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
        out[key] = (names, entry.fields.get("year", ""), plain(entry.fields.get("title", "")))
    return out


def _authors(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} *et al.*"


def cite_text(role: str, content: str, entries: dict[str, tuple[list[str], str, str]]) -> str:
    """What sphinxcontrib-bibtex's author-year style prints for ``{role}`content```, as
    markdown: ``{cite:p}`` -> ``[Glorot and Bengio, 2010]``, ``{cite:t}`` -> ``He *et al.*
    [2015]``; several keys are sorted by author, year and title (the "plain" sorting) and
    joined by ", "."""
    keys = [k.strip() for k in content.split(",") if k.strip()]
    missing = [k for k in keys if k not in entries]
    if missing:
        raise ValueError(f"cite_text: {missing} not in the bibliography")
    if "{" in content:
        raise ValueError(f"cite_text: pre- or post-text in {content!r} is not supported")
    keys.sort(key=lambda k: (entries[k][0], entries[k][1], entries[k][2]))
    kind = role.split(":")[1] if ":" in role else "p"
    if kind == "p":
        return "[" + ", ".join(f"{_authors(entries[k][0])}, {entries[k][1]}"
                               for k in keys) + "]"
    if kind == "t":
        return ", ".join(f"{_authors(entries[k][0])} [{entries[k][1]}]" for k in keys)
    raise ValueError(f"cite_text: role {{{role}}} is not supported (use cite:p or cite:t)")


def lab_text(role: str, content: str, book: Book) -> str:
    """The markdown JupyterLab shows for ``{role}`content```: what the web book prints."""
    if role.startswith("cite"):
        return cite_text(role, content, book.entries)
    m = _EXPLICIT.match(content)
    title, label = (m.group(1), m.group(2)) if m else (None, content)
    if label not in book.labels:
        raise ValueError(f"lab_text: {{{role}}}`{content}`: no notebook in {book.folder} "
                         f"defines the label {label!r}")
    stem, kind, text = book.labels[label]
    if role == "eq" and kind == "eq":
        if title:
            raise ValueError(f"lab_text: {{eq}}`{content}`: the web book ignores the "
                             "explicit title of an equation reference; write {eq}`label`")
        return f"[{text}]({stem}.ipynb#{label})"
    if role == "ref" and kind == "heading":
        return f"[{title or text}]({stem}.ipynb#{label})"
    raise ValueError(f"lab_text: {{{role}}}`{content}` (a {kind} in {stem}) is not supported")


# --------------------------------------------------------------------------- one notebook
def _is_text_line(line: str) -> bool:
    """Whether ``line`` is a line of paragraph text, to which the next line can be joined."""
    s = line.strip()
    return bool(s) and not re.match(r"(#{1,6}\s|:::|```|~~~|\$\$|:[\w-]+:|\||\(\S+\)=$|<!--)",
                                    s) and not s.endswith("$$")


def _protected(md: str) -> list[tuple[int, int]]:
    """Spans of ``md`` where roles are not touched: literal code blocks, code spans, web
    spans."""
    out = []
    fence = None
    pos = 0
    for line in md.splitlines(keepends=True):
        m = re.match(r"\s*(`{3,}|~{3,})(.*)$", line)
        if fence:
            out.append((pos, pos + len(line)))
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
        elif m and not m.group(2).strip().startswith("{"):
            fence = m.group(1)
            out.append((pos, pos + len(line)))
        pos += len(line)
    out += [(m.start(), m.end()) for m in SPAN.finditer(md)]
    out += [(m.start(), m.end()) for m in re.finditer(r"(?<!`)`(?!`)[^`\n]*`(?!`)", md)
            if not re.search(r"\{[\w:-]+\}$", md[max(0, m.start() - 20):m.start()])]
    return out


def convert_markdown(md: str, local: set[str], book: Book) -> tuple[str, list[str]]:
    """Turn the roles of ``md`` that JupyterLab cannot resolve into web spans and refresh
    the text of every span; return the new markdown and the problems left."""
    problems: list[str] = []
    prot = _protected(md)

    def needs_span(role: str, content: str) -> bool:
        if role.startswith("cite"):
            return True
        m = _EXPLICIT.match(content)
        return (m.group(2) if m else content) not in local

    out, last = [], 0
    for m in ROLE.finditer(md):
        if any(a <= m.start() < b for a, b in prot) or not needs_span(m.group(1), m.group(2)):
            continue
        try:
            text = lab_text(m.group(1), m.group(2), book)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        out.append(md[last:m.start()])
        out.append(f"<!--web {m.group(0)}-->{text}<!--/web-->")
        last = m.end()
    out.append(md[last:])
    md = "".join(out)

    def refresh(m: re.Match[str]) -> str:
        r = ROLE.fullmatch(m.group(1))
        if r is None:
            problems.append(f"unknown role in a web span: {m.group(1)}")
            return m.group(0)
        try:
            return f"<!--web {m.group(1)}-->{lab_text(r.group(1), r.group(2), book)}<!--/web-->"
        except ValueError as exc:
            problems.append(str(exc))
            return m.group(0)

    md = SPAN.sub(refresh, md)
    # A span must not open a line: join the line to the previous line of the paragraph.
    lines = md.split("\n")
    i = 1
    while i < len(lines):
        if lines[i].lstrip().startswith("<!--web "):
            if _is_text_line(lines[i - 1]):
                lines[i - 1] = lines[i - 1].rstrip() + " " + lines[i].lstrip()
                del lines[i]
                continue
            span = SPAN.match(lines[i].lstrip())
            role = span.group(1) if span else lines[i].strip()[:40]
            problems.append(f"{role} opens a paragraph (a line that starts with an HTML "
                            "comment is an HTML block in JupyterLab): rephrase so that a word "
                            "comes first")
            # put the bare role back: the web book stays right, JupyterLab shows the key
            lines[i] = lines[i].replace(span.group(0), span.group(1)) if span else lines[i]
        i += 1
    if lines and lines[0].lstrip().startswith("<!--web "):
        span = SPAN.match(lines[0].lstrip())
        problems.append(f"{span.group(1) if span else lines[0][:40]} opens a cell: rephrase "
                        "so that a word comes first")
        if span:
            lines[0] = lines[0].replace(span.group(0), span.group(1))
    return "\n".join(lines), problems


def _local_labels(nb: dict) -> set[str]:
    md = to_web(_markdown(nb))
    return {m.group(1) for rx in _LABELS for m in rx.finditer(md)}


def _set_source(cell: dict, text: str) -> None:
    lines = text.splitlines(keepends=True)
    cell["source"] = lines if isinstance(cell["source"], list) else text


def transform(nb: dict, stem: str, book: Book) -> list[str]:
    """Apply the transformation to ``nb`` in place; return the problems left (roles that
    could not be converted, with the reason)."""
    problems = []
    local = _local_labels(nb)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown" or cell.get("id") == NUMBERING_ID:
            continue
        src = _cell_source(cell)
        new, probs = convert_markdown(src, local, book)
        problems += [f"cell {i}: {p}" for p in probs]
        if new != src:
            _set_source(cell, new)
    # the numbering cell: first, in numbered chapters only
    cells = [c for c in nb["cells"] if c.get("id") != NUMBERING_ID]
    chapter = book.chapters.get(stem)
    if chapter is not None:
        cells.insert(0, {"cell_type": "markdown", "id": NUMBERING_ID,
                         "metadata": {"tags": [NUMBERING_TAG]},
                         "source": numbering_source(chapter).splitlines(keepends=True)})
    nb["cells"] = cells
    return problems


def check(nb: dict, stem: str, book: Book) -> list[str]:
    """What ``transform`` would change or could not do: empty when the notebook is done."""
    before = json.dumps(nb, sort_keys=True)
    copy = json.loads(before)
    problems = transform(copy, stem, book)
    if json.dumps(copy, sort_keys=True) != before:
        old = {c.get("id"): _cell_source(c) for c in nb["cells"]}
        for c in copy["cells"]:
            if old.get(c.get("id")) != _cell_source(c):
                what = "missing numbering cell" if c.get("id") == NUMBERING_ID else \
                    "roles to convert or stale web-span text"
                problems.append(f"cell {c.get('id')}: {what} (run scripts/web_spans.py --apply)")
        if [c.get("id") for c in copy["cells"]] != [c.get("id") for c in nb["cells"]]:
            problems.append("the numbering cell is missing, misplaced or should not be there")
    return problems


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (sorted keys, one-space indent, a final newline)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _paths(args: Iterable[Path]) -> list[Path]:
    return [p for p in args if p.suffix == ".ipynb"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--apply", action="store_true", help="rewrite the notebooks")
    mode.add_argument("--check", action="store_true", help="report, change nothing")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    paths = _paths(args.notebooks)
    if not paths:
        parser.error("no .ipynb among the arguments")
    folder = paths[0].resolve().parent
    book = Book.load(folder, ROOT if folder == BOOK else folder.parent)
    rc = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            problems = check(nb, path.stem, book)
        else:
            before = json.dumps(nb)
            problems = transform(nb, path.stem, book)
            if json.dumps(nb) != before:
                path.write_text(dumps(nb), encoding="utf-8")
                print(f"{path}: rewritten")
        for p in problems:
            print(f"{path}: {p}")
        rc |= bool(problems)
    return rc


if __name__ == "__main__":
    sys.exit(main())
