"""The browser checks fail when they should.

A throwaway Jupyter Book (same Sphinx setup as the real one: MyST math, sphinx-exercise,
text/html ranked above widget views, the offline-assets extension) is built in a temporary
folder with one sound page and pages broken on purpose: an equation MathJax cannot typeset and
one left raw, a widget cell with no fallback, a fallback whose slider changes nothing, images
that do not load or come from another host, a solution that cannot be collapsed. Each
breakage is caught by the very functions test_web_book.py runs on the real book, and the
sound page passes them (so they are not merely always failing).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from . import webchecks as wc
from .harness import REPO, build_book, serve

pytestmark = pytest.mark.browser


def _png(rgb: tuple[int, int, int], size: int = 24) -> str:
    """A tiny solid PNG as a data URI (no matplotlib needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _fallback(oninput: bool) -> str:
    """A script-free slider fallback shaped like dnnlib.widgets.Explorer's."""
    js = ("var k=+this.querySelector('input').value,g=this.parentNode.querySelectorAll("
          "'figure');for(var i=0;i<g.length;i++){g[i].style.display=(i==k)?'':'none';}")
    form = (f'<form oninput="{js}">' if oninput else "<form>") + (
        '<input type="range" min="0" max="2" step="1" value="0" aria-label="w"></form>')
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    figs = "".join(f'<figure{"" if k == 0 else " style=display:none"}><img src="{_png(c)}">'
                   "</figure>" for k, c in enumerate(colours))
    return f'<div class="explorer">{form}{figs}</div>'


def _explorer_html(dead: bool = False) -> str:
    """A real dnnlib.widgets.Explorer fallback (8-inch frames, a slider and a choice);
    ``dead``: without its handlers (nothing responds)."""
    from dnnlib.plot import new_figure
    from dnnlib.widgets import Choice, Explorer, Slider

    def draw(a, kind):
        fig, ax = new_figure(figsize=(8.0, 2.5))
        ax.plot([0, 1], [0, a], ls="-" if kind == "solid" else "--")
        ax.set_title(f"{kind}, a = {a:.1f}")
        return fig

    page = Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]),
                    Choice("kind", ["solid", "dashed"]), title="A sound explorer",
                    readout=lambda a, kind: f"slope {a:.1f}").fallback_html()
    if dead:
        page = re.sub(r' on(input|change)="[^"]*"', "", page)
    return page


def _old_explorer() -> str:
    """An explorer as dnnlib.widgets wrote them before: a small low-resolution frame, the
    readout in the theme's caption colour (grey on the dark theme's grey output box), a
    faded note."""
    return ('<div class="dnnlib-explorer"><strong>An old explorer</strong><form><label>a '
            '<input type="range" min="0" max="0" value="0"> <output>0</output></label></form>'
            f'<figure data-k="0"><img src="{_png((200, 30, 30), 24)}" alt="a = 0" '
            'style="max-width:100%"><figcaption style="font-family:monospace">slope 0.0'
            '</figcaption></figure><small style="opacity:0.7">Static preview.</small></div>')


def _notebook(outputs: list[dict]) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# A notebook page"},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "show()",
         "outputs": [{"output_type": "display_data", "metadata": {}, "data": d}
                     for d in outputs]},
    ]
    return json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}})


WIDGET_VIEW = {"application/vnd.jupyter.widget-view+json": {
    "model_id": "0123456789abcdef", "version_major": 2, "version_minor": 0}}

PAGES = {
    "good.md": r"""# Sound page
Inline $a + b$ and a display equation:

$$ \sigma(z) = \frac{1}{1 + e^{-z}} $$

:::{exercise}
:label: ex-tiny
Compute it.
:::

:::{solution} ex-tiny
:class: dropdown
It is one half at zero.
:::
""",
    "broken_math.md": r"""# Broken equations
A TeX error (double exponent):

$$ x^2^3 $$

An undefined macro:

$$ \sigmoid(z) $$

Unbalanced braces (MathJax never finds the end of it):

$$ \frac{1}{1 + e^{-z} $$

Math the parser never saw, shown raw:

<p>$$ E = m c^2 $$</p>
""",
    "resources.md": """# Resources
<img src="http://example.invalid/figure.png" alt="from another host">

<img src="missing-figure.png" alt="not in the book">

<script>console.error("something broke in the page");</script>
""",
    "bad_solution.md": """# A solution that cannot be collapsed
<div class="solution dropdown"><p class="admonition-title">Solution</p>
<p>Always in view.</p></div>
""",
}


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    src = tmp_path_factory.mktemp("tiny-book-src")
    for name, text in PAGES.items():
        (src / name).write_text(text, encoding="utf-8")
    (src / "good_widget.ipynb").write_text(_notebook(
        [{**WIDGET_VIEW, "text/plain": "Explorer(...)", "text/html": _fallback(True)}]))
    (src / "no_fallback.ipynb").write_text(_notebook(
        [{**WIDGET_VIEW, "text/plain": "IntSlider(value=3)"}]))
    (src / "dead_fallback.ipynb").write_text(_notebook(
        [{"text/plain": "Explorer(...)", "text/html": _fallback(False)}]))
    (src / "explorer.ipynb").write_text(_notebook(
        [{**WIDGET_VIEW, "text/plain": "Explorer(...)", "text/html": _explorer_html()}]))
    (src / "dead_explorer.ipynb").write_text(_notebook(
        [{"text/plain": "Explorer(...)", "text/html": _explorer_html(dead=True)}]))
    (src / "old_explorer.ipynb").write_text(_notebook(
        [{"text/plain": "Explorer(...)", "text/html": _old_explorer()}]))
    files = ["good_widget", "broken_math", "resources", "bad_solution", "no_fallback",
             "dead_fallback", "explorer", "dead_explorer", "old_explorer"]
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: good\nchapters:\n" + "".join(f"  - file: {f}\n" for f in files))
    (src / "_config.yml").write_text(f"""title: Breakage
only_build_toc_files: true
execute:
  execute_notebooks: "off"
parse:
  myst_enable_extensions: [amsmath, dollarmath, colon_fence]
sphinx:
  extra_extensions: [sphinx_exercise]
  local_extensions:
    offline_assets: {REPO / "scripts"}
  config:
    nb_mime_priority_overrides:
      - [html, application/vnd.jupyter.widget-view+json, 35]
      - [dirhtml, application/vnd.jupyter.widget-view+json, 35]
""")
    html = build_book(src, tmp_path_factory.mktemp("tiny-book-out"))
    server, base = serve(Path(html))
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _open(context, base: str, name: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    log = wc.watch(context, page, base)
    wc.load(page, f"{base}{name}.html")
    return page, log


@pytest.mark.parametrize("name", ["good", "good_widget"])
def test_sound_pages_pass(name, tiny_site, context):
    page, log = _open(context, tiny_site, name)
    problems = (log.problems() + wc.math_problems(page) + wc.image_problems(page)
                + wc.widget_problems(page) + wc.solution_problems(page))
    assert problems == []
    assert wc.count_solutions(page) == (1 if name == "good" else 0)
    assert wc.count_fallbacks(page) == (1 if name == "good_widget" else 0)


def _themes(page, check):  # type: ignore[no-untyped-def]
    found = []
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        page.wait_for_timeout(200)
        found += check(page)
    return found


def test_sound_explorer_passes(tiny_site, context):
    page, log = _open(context, tiny_site, "explorer")
    assert wc.count_explorers(page) == 1 and wc.count_fallbacks(page) == 2
    assert wc.explorer_image_problems(page) == []
    assert _themes(page, wc.explorer_contrast_problems) == []
    assert wc.widget_problems(page) + log.problems() == []


def test_explorer_whose_choice_does_not_respond_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "dead_explorer")
    problems = wc.widget_problems(page)
    assert any(p.startswith("choice 'kind'") and "did not change" in p for p in problems), \
        problems
    assert any(p.startswith("slider 'a'") for p in problems), problems


def test_small_blurry_grey_explorer_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "old_explorer")
    images = wc.explorer_image_problems(page)
    assert any("less than 600 px" in p for p in images), images
    assert any("less than 2x" in p for p in images), images
    dark = _themes(page, wc.explorer_contrast_problems)
    assert any(p.startswith("dark theme") and "<figcaption> 'slope 0.0'" in p
               for p in dark), dark


def test_broken_equation_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "broken_math")
    problems = wc.math_problems(page)
    assert any(p.startswith("MathJax error") and "Double exponent" in p
               for p in problems), problems
    assert any(p.startswith("undefined TeX macro") and "sigmoid" in p for p in problems), problems
    assert any(p.startswith("display equation #3 not rendered") for p in problems), problems
    assert any(p.startswith("raw TeX left") and "m c^2" in p for p in problems), problems


def test_widget_without_fallback_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "no_fallback")
    problems = wc.widget_problems(page)
    assert any("no static fallback" in p and "0123456789abcdef" in p for p in problems), problems


def test_fallback_that_does_not_respond_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "dead_fallback")
    problems = wc.widget_problems(page)
    assert any("the frame did not change" in p for p in problems), problems


def test_bad_resources_are_caught(tiny_site, context):
    page, log = _open(context, tiny_site, "resources")
    images = wc.image_problems(page)
    assert any("example.invalid" in p for p in images), images
    assert any("missing-figure.png" in p for p in images), images
    assert any("example.invalid" in u for u in log.external_requests), log
    assert any("missing-figure.png" in u for u in log.failed_requests), log
    assert any("something broke" in m for m in log.console_errors), log


def test_solution_that_cannot_collapse_is_caught(tiny_site, context):
    page, _ = _open(context, tiny_site, "bad_solution")
    problems = wc.solution_problems(page)
    assert any("no toggle button" in p for p in problems), problems


def test_search_miss_is_caught(tiny_site, context):
    page = context.new_page()
    assert wc.search_results(page, tiny_site, "zyxwvut") == []
    assert wc.search_results(page, tiny_site, "sigma") or wc.search_results(
        page, tiny_site, "sound"), "the search check never finds anything"
