"""Numbers in the prose come from the code: glued spans, and typed numbers that should be.

A chapter quotes a computed number by *gluing* it. A code cell stores the value with
myst-nb's ``glue`` (``glue("ch08_gap", float(gap), display=False)``), and the markdown
writes the number between two HTML comments that name the key and a Python format spec::

    the gap is <!--glue:ch08_gap:.0f-->17<!--/glue--> points

The comments are invisible in the web book and in JupyterLab, so both show the number.
(myst-nb's ``{glue:text}`` role would render in the web book only: jupyterlab-myst shows
its raw key, checked with jupyterlab-myst 2.4 on JupyterLab 4.4.) :func:`refresh` rewrites
the text between the comments from the glued values, so nobody types a computed number;
``scripts/execute_notebook.py`` calls it after executing a notebook.
``tests/test_book_numbers.py`` fails on a span whose text is stale or whose key is unknown,
and on a typed number that should have been glued:

    A number in a markdown cell (outside code spans, roles, labels, links, HTML tags and
    glue spans; single-digit integers 0-9 exempt) is *flagged* when it equals a number
    printed by a code cell of the same notebook, both rounded to the prose number's
    significant digits (at most 3; a percentage is also compared as a fraction), unless the
    notebook declares it in ``metadata["book"]["typed_numbers"]`` (literal text -> why it
    is typed: a constant, a definition, a hyperparameter).

Usage::

    python scripts/book_numbers.py book/08_batch_normalization.ipynb   # list what is flagged
    python scripts/book_numbers.py --refresh book/08_batch_normalization.ipynb
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

GLUE_SPAN = re.compile(r"<!--glue:([A-Za-z_][\w]*):([^>]*?)-->(.*?)<!--/glue-->", re.S)

# Markup whose digits are not prose numbers.
_STRIP = [
    GLUE_SPAN,
    # web spans (scripts/web_spans.py): the text is what a citation or a reference prints
    re.compile(r"<!--web .*?<!--/web-->"),
    re.compile(r"\{[\w:-]+\}`[^`]*`"),                 # roles: {eq}`..`, {cite:p}`..`, {glue:..}
    re.compile(r"```.*?```", re.S),                    # fenced blocks
    re.compile(r"`[^`]*`"),                             # code spans
    re.compile(r"^\([\w:.-]+\)=\s*$", re.M),            # (label)=
    re.compile(r"^\s*:[\w-]+:.*$", re.M),               # directive options
    re.compile(r"\$\$\s*\([\w-]+\)"),                   # $$ (eq-label)
    re.compile(r"\]\([^)]*\)"),                         # link targets
    re.compile(r"https?://\S+"),
    re.compile(r"<[^>]+>"),                             # HTML tags and comments
    re.compile(r"\\(?:label|tag|ref|eqref)\{[^}]*\}"),
    re.compile(r"\b(?:eq|ex|fig|sec|ch|tab)-[\w-]+"),   # label names
]
_POW10 = re.compile(r"10\^\{?([-−]?\d+)\}?")
_NUM = re.compile(
    r"(?<![\w.^_\\])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*(?:e|E|\\times\s*10\^|×\s*10\^)\{?([-+−]?\d+)\}?)?"
    r"(\s*(?:\\?%))?")
_PRINTED = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_BASE64 = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")
_NP_SCALAR = re.compile(r"^np\.\w+\((.*)\)$", re.S)


# --------------------------------------------------------------------------- glued values
def glued_values(nb: dict) -> dict[str, object]:
    """``{key: value}`` of every ``glue(...)`` output stored in the notebook."""
    values: dict[str, object] = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            scrap = out.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            prefix = scrap.get("mime_prefix", "application/papermill.record/")
            text = out.get("data", {}).get(prefix + "text/plain")
            if text is None:
                continue
            text = "".join(text) if isinstance(text, list) else text
            values[scrap["name"]] = _literal(text)
    return values


def _literal(text: str) -> object:
    text = text.strip()
    m = _NP_SCALAR.match(text)  # NumPy 2 scalars repr as np.float64(0.5)
    if m:
        text = m.group(1)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text.strip("'\"")


def spans(nb: dict) -> Iterable[tuple[int, str, str, str]]:
    """``(cell index, key, format spec, text)`` of every glue span in the markdown."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            for m in GLUE_SPAN.finditer(_source(cell)):
                yield i, m.group(1), m.group(2), m.group(3)


def render(value: object, spec: str) -> str:
    return format(value, spec)


def stale_spans(nb: dict) -> list[str]:
    """Problems: spans whose key is not glued, whose spec fails, or whose text is stale."""
    values, problems = glued_values(nb), []
    for i, key, spec, text in spans(nb):
        if key not in values:
            problems.append(f"cell {i}: glue key {key!r} is not glued by any code cell")
            continue
        try:
            want = render(values[key], spec)
        except (ValueError, TypeError) as exc:
            problems.append(f"cell {i}: glue {key}:{spec} cannot format {values[key]!r}: {exc}")
            continue
        if text != want:
            problems.append(f"cell {i}: glue {key}:{spec} says {text!r}, the code gives {want!r}")
    return problems


def refresh(nb: dict) -> int:
    """Rewrite every glue span's text from the glued values; return how many changed."""
    values, changed = glued_values(nb), 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = _source(cell)

        def sub(m: re.Match[str]) -> str:
            nonlocal changed
            key, spec, text = m.group(1), m.group(2), m.group(3)
            if key not in values:
                return m.group(0)
            want = render(values[key], spec)
            changed += want != text
            return f"<!--glue:{key}:{spec}-->{want}<!--/glue-->"

        new = GLUE_SPAN.sub(sub, src)
        if new != src:
            cell["source"] = new
    return changed


# --------------------------------------------------------------------------- typed numbers
def _source(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def prose_text(src: str) -> str:
    for rx in _STRIP:
        src = rx.sub(" ", src)
    return src


def prose_numbers(text: str) -> list[tuple[str, float, int]]:
    """``(literal text, value, significant digits)`` of the numbers in ``text``."""
    found = []
    for m in _POW10.finditer(text):
        found.append((m.group(0), 10.0 ** int(m.group(1).replace("−", "-")), 1))
    text = _POW10.sub(" ", text)
    for m in _NUM.finditer(text):
        mant, exp, pct = m.group(1), m.group(2), m.group(3)
        plain = mant.replace(",", "")
        digits = plain.replace(".", "").lstrip("0")
        if "." in plain:
            k = max(len(digits), 1)
        else:
            k = max(len(digits.rstrip("0")), 1)
        value = float(Decimal(plain))
        if exp:
            value *= 10.0 ** int(exp.replace("−", "-"))
        literal = m.group(0).strip()
        if not exp and not pct and "." not in plain and value <= 9:
            continue  # single-digit integers: counts, indices, "two layers"
        found.append((literal, value, k))
        if pct:
            found.append((literal, value / 100, k))
    return found


def printed_numbers(nb: dict) -> set[float]:
    """Every number in the code cells' printed outputs (text, HTML; images excluded)."""
    values: set[float] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            texts = []
            if out["output_type"] == "stream":
                texts.append(_join(out["text"]))
            elif "data" in out and not out.get("metadata", {}).get("scrapbook"):
                data = out["data"]
                for key in ("text/plain", "text/html", "text/markdown", "text/latex"):
                    if key in data:
                        texts.append(_BASE64.sub(" ", _join(data[key])))
            for t in texts:
                for m in _PRINTED.finditer(t):
                    v = float(m.group(0))
                    if math.isfinite(v) and v != 0:
                        values.add(abs(v))
    return values


def _join(x: object) -> str:
    return "".join(x) if isinstance(x, list) else str(x)


def _round_sig(v: float, k: int) -> float:
    return round(v, k - 1 - int(math.floor(math.log10(abs(v)))))


def unglued_numbers(nb: dict) -> list[tuple[int, str]]:
    """``(cell index, literal)`` of prose numbers that equal a printed number (see module doc)."""
    typed = nb.get("metadata", {}).get("book", {}).get("typed_numbers", {})
    printed = printed_numbers(nb)
    flagged = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        seen = set()
        for literal, value, k in prose_numbers(prose_text(_source(cell))):
            if literal in typed or literal.rstrip("%\\ ") in typed or value == 0:
                continue
            k = min(k, 3)
            target = _round_sig(abs(value), k)
            if any(_round_sig(p, k) == target for p in printed) and literal not in seen:
                seen.add(literal)
                flagged.append((i, literal))
    return flagged


# --------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--refresh", action="store_true",
                        help="rewrite the glue spans from the stored glued values")
    args = parser.parse_args(argv)
    bad = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if args.refresh:
            import nbformat

            nb = nbformat.read(path, as_version=4)
            n = refresh(nb)
            nbformat.write(nb, path)
            print(f"{path}: {n} glue span(s) rewritten")
        problems = stale_spans(nb)
        flagged = unglued_numbers(nb)
        bad += len(problems) + len(flagged)
        print(f"{path}: {len(problems)} stale glue span(s), {len(flagged)} typed number(s) "
              "that a code cell prints (glue them, or declare them in "
              "metadata.book.typed_numbers)")
        for p in problems:
            print("   ", p)
        by_literal: dict[str, list[int]] = {}
        for i, literal in flagged:
            by_literal.setdefault(literal, []).append(i)
        for literal, cells in sorted(by_literal.items(), key=lambda kv: kv[1][0]):
            print(f"    {literal!r} in cell(s) {cells}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
