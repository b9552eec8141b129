"""Find what a reader of the web book would see as broken: raw TeX and doubled parentheses.

In the HTML that Jupyter Book (Sphinx + MyST) writes, every formula MyST parsed sits in a
MathJax container, ``<span class="math notranslate nohighlight">\\(...\\)</span>`` or
``<div class="math notranslate nohighlight">\\[...\\]</div>``, and MathJax typesets only
those. TeX anywhere else reaches the reader as source text. It happens when MyST does not
see a formula, for example when a wrapped line inside ``$...$`` starts with ``+``, ``-`` or
``*``: the line becomes a list item, the ``$`` pairs no longer match, and the paragraph
shows ``$c_t = A r_1^t``, a stray bullet and ``\\mu$``.

:func:`find_problems` reads one page and reports, in the article's text outside math
containers, code, preformatted output, scripts and styles:

* ``$``: a dollar sign (an inline formula MyST did not parse);
* a TeX command: a backslash followed by letters (``\\frac``, ``\\mathbf``, ``\\sum``...);
* a TeX subscript or superscript: a one-letter name followed by ``_`` and a character or
  ``{`` (``r_2``, ``r_{1,2}``), or ``^`` between characters (``r^2``, ``2^t``);
* a backtick: a code span or a role (``{eq}``, ``{cite:p}``) MyST did not parse, for example
  because a wrapped line inside it starts with ``+``;
* ``((``: an opening parenthesis just before an equation number, as ``({eq}`x`)`` renders
  (the role prints its own parentheses, so the reader sees "((4.5))");
* prose written directly into a list item or a section, outside any paragraph: a markdown
  line MyST passed through as raw HTML (a line that starts with ``<!--``, such as a glue
  span, is an HTML block: it breaks the paragraph and its markdown is not parsed).

:func:`build` runs ``jupyter-book build`` on a book folder (the repository, or a small
book a test writes) into another folder.

Run as a script on built pages to list the problems:
``python tests/book_html.py _build/html/book/*.html``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

# Elements whose text is not prose: their content is never checked.
_SKIP_TAGS = {"pre", "code", "kbd", "samp", "script", "style", "textarea", "svg", "math"}
# Block-level elements: the text is split into one block per element.
_BLOCK_TAGS = {"p", "li", "ul", "ol", "div", "section", "td", "th", "tr", "table", "dt", "dd",
               "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption",
               "caption", "figure", "br", "hr", "article", "aside", "details", "summary"}
# Prose written directly into one of these (not inside a <p>) is a line that MyST passed
# through as raw HTML: a markdown line that starts with "<!--" (a glue span, say) becomes an
# HTML block, breaks its paragraph, and its code spans and math are not parsed.
_NO_LOOSE_TEXT = {"li", "section", "article", "blockquote", "ul", "ol", "dl"}
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
              "source", "track", "wbr"}

CHECKS: list[tuple[str, re.Pattern[str]]] = [
    ("a '$' outside math (an inline formula MyST did not parse)", re.compile(r"\$")),
    ("a TeX command outside math", re.compile(r"\\[A-Za-z]+")),
    ("a TeX subscript outside math",
     re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]_(?:\{|[A-Za-z0-9](?![A-Za-z0-9_]))")),
    ("a TeX superscript outside math", re.compile(r"[A-Za-z0-9)}]\^(?:\{|[A-Za-z0-9(\\])")),
    ("a '`' outside code (a code span or role MyST did not parse)", re.compile(r"`")),
    ("'((' before an equation number: write {eq}`label`, not ({eq}`label`)",
     re.compile(r"\(\s*\(\s*\d+(?:\.\d+)*\s*\)")),
]


def _is_math(attrs: list[tuple[str, str | None]]) -> bool:
    classes = (dict(attrs).get("class") or "").split()
    return "math" in classes or any(c.startswith("MathJax") for c in classes)


class _ProseText(HTMLParser):
    """Collects the article's prose as blocks of (line, text), skipping math and code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._text: list[str] = []
        self._line = 0
        self._skip: list[str] = []        # the tag that opened the skipped element, nested
        self._in_article = 0               # depth inside <article>; 0: not yet / no article
        self._seen_article = False
        self._open: list[str] = []        # open elements, innermost last (outside skips)
        self.loose: list[tuple[int, str]] = []

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        if text:
            self.blocks.append((self._line, text))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._seen_article = True
            self._in_article += 1
        if self._skip:
            if tag == self._skip[0] and tag not in _VOID_TAGS:
                self._skip.append(tag)
            return
        if tag in _SKIP_TAGS or (tag in ("span", "div") and _is_math(attrs)):
            if tag not in _VOID_TAGS:
                self._skip.append(tag)
            return
        if tag not in _VOID_TAGS:
            self._open.append(tag)
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[0]:
                self._skip.pop()
            return
        if tag in self._open:
            while self._open.pop() != tag:
                pass
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "article" and self._in_article:
            self._in_article -= 1

    def handle_data(self, data: str) -> None:
        if self._skip or not self._in_article:
            return
        if not self._text:
            self._line = self.getpos()[0]
        self._text.append(data)
        if data.strip() and self._open and self._open[-1] in _NO_LOOSE_TEXT:
            self.loose.append((self.getpos()[0], data.strip()))


def _parse(html: str) -> _ProseText:
    parser = _ProseText()
    parser.feed(html)
    parser.close()
    parser._flush()
    if not parser._seen_article:
        raise ValueError("book_html: the page has no <article> element (not a Jupyter "
                         "Book page?)")
    return parser


def prose_blocks(html: str) -> list[tuple[int, str]]:
    """The prose of the page's ``<article>``: ``(line, text)`` per block, math and code removed."""
    return _parse(html).blocks


def find_problems(html: str) -> list[str]:
    """Every rendering problem in the page, as ``"line N: what: text"``."""
    parser = _parse(html)
    loose: dict[int, str] = {}
    for line, text in parser.loose:
        loose[line] = f"{loose.get(line, '')} {text}".strip()
    problems = [f"line {line}: text outside any paragraph (a markdown line read as raw "
                f"HTML, e.g. one starting with '<!--'): {text[:80]}"
                for line, text in loose.items()]
    for line, text in parser.blocks:
        for what, pattern in CHECKS:
            m = pattern.search(text)
            if m:
                lo, hi = max(0, m.start() - 40), min(len(text), m.end() + 40)
                problems.append(f"line {line}: {what}: ...{text[lo:hi]}...")
    return problems


class Build(NamedTuple):
    """The result of :func:`build`: the exit status, the log, and the HTML folder."""

    returncode: int
    log: str
    html: Path

    def warnings(self) -> list[str]:
        return [ln for ln in self.log.splitlines() if re.search(r"WARNING|ERROR", ln)]


def jupyter_book() -> str | None:
    """The ``jupyter-book`` of this Python's environment, or None."""
    return shutil.which("jupyter-book", path=str(Path(sys.executable).parent))


def build(source: Path, out: Path, *, strict: bool = True, timeout: int = 600) -> Build:
    """``jupyter-book build source --path-output out`` (with ``-W -n --keep-going`` if strict)."""
    jb = jupyter_book()
    if jb is None:
        raise RuntimeError("build: jupyter-book is not installed (pip install -e .[book])")
    cmd = [jb, "build", str(source), "--path-output", str(out)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=source, timeout=timeout)
    return Build(proc.returncode, proc.stdout + proc.stderr, out / "_build" / "html")


def main(paths: list[str]) -> int:
    bad = 0
    for path in paths:
        problems = find_problems(Path(path).read_text(encoding="utf-8"))
        bad += bool(problems)
        print(f"{path}: {len(problems)} problem(s)")
        for p in problems:
            print("   ", p)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
