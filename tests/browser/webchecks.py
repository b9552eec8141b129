"""What a reader of the web book must see, as check functions over a Playwright page.

Every ``*_problems`` function returns a list of human-readable problems (empty: the check
passed). The real tests (test_web_book.py) and the breakage tests (test_catches_breakage.py)
call the very same functions, so a check that cannot fail is caught.

Playwright is imported by the fixtures only; this module needs nothing at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parents[2]

#: Console errors that are not the book's fault, each with the reason it is tolerated.
ALLOWED_CONSOLE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    # pydata-sphinx-theme logs this with console.error on a first visit (empty localStorage)
    # and then picks "auto" itself: nothing is wrong on the page.
    (re.compile(r"^Got invalid theme mode: \. Resetting to auto\.$"), "theme first visit"),
]
#: Failed resources tolerated: Chromium asks every site for /favicon.ico by itself (the book
#: declares no favicon); Playwright never sees that request, only its console line.
ALLOWED_FAILED_URL = re.compile(r"^http://127\.0\.0\.1:\d+/favicon\.ico$")

#: Delimiters of TeX that MathJax should have consumed. Their presence in the visible text
#: (outside code) means an equation was shown raw.
RAW_TEX = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)|\\begin\{")


# --------------------------------------------------------------------------- the TOC
def toc_files(root: Path = REPO) -> list[str]:
    """Every file of ``_toc.yml`` (root first), without extension, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    out = [toc["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in toc.items() if k in ("parts", "chapters", "sections")})
    return [re.sub(r"\.(md|ipynb|rst)$", "", f) for f in out]


def toc_notebooks(root: Path = REPO) -> list[str]:
    """The TOC's files that are notebooks (``book/01_architecture.ipynb``...)."""
    return [f + ".ipynb" for f in toc_files(root) if (root / (f + ".ipynb")).is_file()]


# --------------------------------------------------------------------------- page log
@dataclass
class PageLog:
    """Console errors, failed and external requests seen by one browser context."""

    base: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
            + [f"request outside 127.0.0.1 (the book must be self-contained): {u}"
               for u in self.external_requests]
        )


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def watch(context: Any, page: Any, base: str) -> PageLog:
    """Record what goes wrong on ``page``; requests leaving 127.0.0.1 are recorded and aborted
    (the machine may have no internet: a CDN request would hang or fail later)."""
    log = PageLog(base)

    def route(r: Any) -> None:
        if _is_local(r.request.url):
            r.continue_()
        else:
            log.external_requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        text, url = msg.text, (msg.location or {}).get("url", "")
        if any(p.search(text) for p, _ in ALLOWED_CONSOLE_ERRORS):
            return
        if text.startswith("Failed to load resource") and ALLOWED_FAILED_URL.match(url):
            return
        if text.startswith("Failed to load resource") and not _is_local(url):
            return  # already reported as an external request
        log.console_errors.append(f"{text} [{url}]" if url else text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: log.console_errors.append(f"uncaught exception: {exc}"))

    def on_failed(req: Any) -> None:
        if _is_local(req.url):
            log.failed_requests.append(f"{req.url} ({req.failure})")

    page.on("requestfailed", on_failed)
    page.on("response", lambda resp: resp.status >= 400 and log.failed_requests.append(
        f"{resp.url} (HTTP {resp.status})"))
    return log


def load(page: Any, url: str, timeout_ms: int = 30_000) -> None:
    """Open ``url``; wait for its resources, MathJax (if any), the fonts and every image.

    Playwright's ``networkidle`` is only a hint here: when one page object navigates from
    page to page, Chromium sometimes never reports the network idle although no request is
    pending (measured: 1 of 3 runs of chapter 1 then chapter 2, with no unfinished request
    in Playwright's own events). The page is ready when ``load`` has fired (every resource
    of the HTML), MathJax's startup promise has settled and ``document.fonts`` and every
    image are complete, which the checks below wait for explicitly.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="load", timeout=timeout_ms)
    try:
        page.wait_for_load_state("networkidle", timeout=min(timeout_ms, 2_000))
    except PlaywrightTimeout:
        pass  # see the docstring: readiness is established below
    page.evaluate(
        """() => new Promise(resolve => {
               const mj = window.MathJax;
               if (!mj || !mj.startup || !mj.startup.promise) return resolve(null);
               const t = setTimeout(() => resolve('timeout'), 20000);
               mj.startup.promise.then(() => { clearTimeout(t); resolve(null); },
                                       () => { clearTimeout(t); resolve(null); });
           })"""
    )
    page.wait_for_function(
        "document.fonts.status === 'loaded' && [...document.images].every(i => i.complete)",
        timeout=timeout_ms)


# --------------------------------------------------------------------------- math
_MATH_JS = r"""
(rawPattern) => {
  const out = [];
  const short = s => s.replace(/\s+/g, ' ').trim().slice(0, 90);
  document.querySelectorAll('div.math').forEach((d, i) => {
    if (!d.querySelector('mjx-container'))
      out.push(`display equation #${i + 1} not rendered by MathJax: ${short(d.textContent)}`);
  });
  document.querySelectorAll('span.math').forEach((d, i) => {
    if (!d.querySelector('mjx-container'))
      out.push(`inline equation #${i + 1} not rendered by MathJax: ${short(d.textContent)}`);
  });
  document.querySelectorAll('mjx-merror').forEach(e => {
    const c = e.closest('mjx-container');
    const err = e.getAttribute('data-mjx-error') || e.textContent;
    out.push(`MathJax error: ${short(err)}`);
  });
  // MathJax's noundefined extension shows an unknown macro as red text instead of an error;
  // CHTML draws glyphs with CSS, so the TeX source comes from MathJax's own list of items.
  const items = (window.MathJax && MathJax.startup && MathJax.startup.document &&
                 MathJax.startup.document.math) ? [...MathJax.startup.document.math] : [];
  document.querySelectorAll('mjx-container mjx-mtext').forEach(e => {
    if (!/color:\s*red/.test(e.getAttribute('style') || '')) return;
    const item = items.find(m => m.typesetRoot && m.typesetRoot.contains(e));
    out.push(`undefined TeX macro (shown in red) in: ${short(item ? item.math : '?')}`);
  });
  const re = new RegExp(rawPattern);
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .search, ' +
               'nav, .bd-sidebar-primary, .bd-sidebar-secondary, #search-results';
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    if (re.test(node.textContent))
      out.push(`raw TeX left in the page (not typeset): "${short(node.textContent)}"`);
  }
  return out;
}
"""


def math_problems(page: Any) -> list[str]:
    """Every equation typeset by MathJax: no unrendered ``.math``, no MathJax error, no
    undefined macro (shown in red), no raw ``$$``/``\\[``/``\\(``/``\\begin{`` left in the
    visible text outside code."""
    return page.evaluate(_MATH_JS, RAW_TEX.pattern)


# --------------------------------------------------------------------------- images
_IMG_JS = r"""
async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 10000);
  })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0))
             .map(i => (i.getAttribute('src') || '(no src)').slice(0, 120));
}
"""


def image_problems(page: Any) -> list[str]:
    """Every ``<img>`` loaded (``naturalWidth > 0``), hidden frames included."""
    return [f"image not loaded: {src}" for src in page.evaluate(_IMG_JS)]


# --------------------------------------------------------------------------- widgets
_FRAMES_JS = r"""
([idx]) => {
  const input = document.querySelectorAll('main input[type=range]')[idx];
  let box = input, hops = 0;
  while (box && box.querySelectorAll('img').length === 0 && hops < 8) {
    box = box.parentElement; hops++;
  }
  if (!box || box.querySelectorAll('img').length === 0) return null;
  // shown: no element between the image and the box is display:none (the box itself may
  // sit in a closed dropdown)
  const shown = img => {
    for (let e = img; e && e !== box; e = e.parentElement)
      if (getComputedStyle(e).display === 'none') return false;
    return true;
  };
  return [...box.querySelectorAll('img')].filter(shown).map(i => i.src).join(' | ');
}
"""


def widget_problems(page: Any) -> list[str]:
    """Widgets in the web book are static fallbacks that respond.

    * an ipywidgets view in the page (``script[type=application/vnd.jupyter.widget-view+json]``)
      is a widget cell without a fallback: without a kernel it is blank or frozen;
    * each ``<input type=range>`` of the content moves (keyboard for a visible one, the same
      ``input``/``change`` events for one inside a closed dropdown) and the shown frame (the
      ``src`` of the visible ``<img>`` beside it) changes.
    """
    out = []
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]')
    for i in range(views.count()):
        model = re.search(r'"model_id":\s*"([^"]+)"', views.nth(i).inner_html() or "")
        out.append(
            "widget output with no static fallback (a live ipywidgets view is dead in the web "
            f"book): model {model.group(1) if model else '?'}; give it a text/html rendering "
            "(dnnlib.widgets.Explorer)"
        )
    out += _choice_problems(page)
    ranges = page.locator("main input[type=range]")
    for i in range(ranges.count()):
        el = ranges.nth(i)
        name = el.get_attribute("aria-label") or el.get_attribute("name") or f"#{i + 1}"
        before = page.evaluate(_FRAMES_JS, [i])
        if before is None:
            out.append(f"slider {name!r}: no figure next to it")
            continue
        lo, hi, v0 = (el.evaluate(f"e => +e.{a}") for a in ("min", "max", "value"))
        target = hi if v0 != hi else lo
        if el.is_visible():
            el.focus()
            page.keyboard.press("End" if target == hi else "Home")
        else:
            el.evaluate(
                """(e, v) => { e.value = v;
                     e.dispatchEvent(new Event('input', {bubbles: true}));
                     e.dispatchEvent(new Event('change', {bubbles: true})); }""",
                target,
            )
        if el.evaluate("e => +e.value") == v0:
            out.append(f"slider {name!r}: does not move")
            continue
        after = page.evaluate(_FRAMES_JS, [i])
        if after == before:
            out.append(f"slider {name!r} moved from {v0} to {target} but the frame did not "
                       "change")
    return out


_GROUP_FRAME_JS = r"""
([idx]) => {
  const group = document.querySelectorAll('main [role=radiogroup]')[idx];
  const box = group.closest('.dnnlib-explorer') || group.parentElement.parentElement;
  const shown = [...box.querySelectorAll('img')].filter(i => {
    for (let e = i; e && e !== box; e = e.parentElement)
      if (getComputedStyle(e).display === 'none') return false;
    return true;
  });
  return shown.map(i => i.src).join(' | ');
}
"""


def _choice_problems(page: Any) -> list[str]:
    """Each radio group of a fallback (a Choice): checking another option changes the frame."""
    out = []
    groups = page.locator("main [role=radiogroup]")
    for i in range(groups.count()):
        group = groups.nth(i)
        name = group.get_attribute("aria-label") or f"#{i + 1}"
        radios = group.locator("input[type=radio]")
        if radios.count() < 2:
            out.append(f"choice {name!r}: fewer than two radio buttons")
            continue
        before = page.evaluate(_GROUP_FRAME_JS, [i])
        start = next((j for j in range(radios.count()) if radios.nth(j).is_checked()), None)
        target = next(j for j in range(radios.count()) if not radios.nth(j).is_checked())
        _check_radio(radios.nth(target))
        if page.evaluate(_GROUP_FRAME_JS, [i]) == before:
            out.append(f"choice {name!r}: checked option {target + 1} but the frame did not "
                       "change")
        if start is not None:
            # back to the page's initial choice: the sliders are then checked from the
            # state the reader first sees (a slider that only matters for the initial
            # choice, such as chapter 2's leaky slope, would look dead otherwise)
            _check_radio(radios.nth(start))
            if page.evaluate(_GROUP_FRAME_JS, [i]) != before:
                out.append(f"choice {name!r}: checking option {start + 1} again does not "
                           "bring its frame back")
    return out


def _check_radio(radio: Any) -> None:
    if radio.is_visible():
        radio.check()
    else:
        radio.evaluate(
            """e => { e.checked = true;
                 e.dispatchEvent(new Event('input', {bubbles: true}));
                 e.dispatchEvent(new Event('change', {bubbles: true})); }""")


def count_fallbacks(page: Any) -> int:
    return page.locator("main input[type=range], main [role=radiogroup]").count()


# --------------------------------------------------------------------------- explorers
_EXPLORER_IMG_JS = r"""
() => [...document.querySelectorAll('main .dnnlib-explorer')].map((ex, n) => {
  const img = [...ex.querySelectorAll('figure img')].find(i => i.offsetParent !== null);
  return img ? {n: n + 1, css: img.clientWidth, natural: img.naturalWidth, alt: img.alt}
             : {n: n + 1, css: 0, natural: 0, alt: '(no visible frame)'};
})
"""


def explorer_image_problems(page: Any, min_width: int = 600, density: float = 2.0) -> list[str]:
    """Each explorer's visible frame is at least ``min_width`` CSS pixels wide (readable at
    the page's width) and has ``density`` image pixels per CSS pixel (sharp on high-density
    screens)."""
    out = []
    for im in page.evaluate(_EXPLORER_IMG_JS):
        where = f"explorer #{im['n']} ({im['alt'][:50]})"
        if im["css"] < min_width:
            out.append(f"{where}: shown {im['css']} px wide, less than {min_width} px")
        if im["natural"] < density * im["css"]:
            out.append(f"{where}: {im['natural']} image pixels for {im['css']} CSS pixels, "
                       f"less than {density:g}x (blurry on sharp screens)")
    return out


# WCAG 2 contrast of each piece of text of an explorer against what is behind it: the
# background colours of the ancestors composited (alpha), the text colour with its alpha and
# the elements' opacity.
_CONTRAST_JS = r"""
() => {
  const rgba = s => { const m = s.match(/[\d.]+/g).map(Number);
                      return m.length > 3 ? m : [...m, 1]; };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const bgOf = e => { const layers = [];
    for (; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg; };
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const out = [];
  document.querySelectorAll('main .dnnlib-explorer').forEach((ex, n) => {
    ex.querySelectorAll('strong, label, output, figcaption, small, span').forEach(el => {
      if (el.offsetParent === null) return;
      const own = [...el.childNodes].some(t => t.nodeType === 3 && t.textContent.trim());
      if (!own) return;
      let op = 1; for (let e = el; e; e = e.parentElement) op *= +getComputedStyle(e).opacity;
      const bg = bgOf(el), fg = rgba(getComputedStyle(el).color);
      const text = over([fg[0], fg[1], fg[2], fg[3] * op], bg);
      const [a, b] = [lum(text), lum(bg)].sort((x, y) => y - x);
      out.push({n: n + 1, tag: el.tagName.toLowerCase(), ratio: (a + 0.05) / (b + 0.05),
                text: el.textContent.trim().slice(0, 40),
                fg: getComputedStyle(el).color, bg: 'rgb(' + bg.slice(0, 3).map(Math.round) + ')'});
    });
  });
  return out;
}
"""


def explorer_contrast_problems(page: Any, min_ratio: float = 4.5) -> list[str]:
    """Every piece of text of every explorer (title, controls, values, readout, note) has a
    contrast ratio of at least ``min_ratio`` (WCAG AA) against its background, in the
    page's current theme."""
    theme = page.evaluate("document.documentElement.dataset.theme || 'light'")
    return [f"{theme} theme, explorer #{t['n']}: <{t['tag']}> {t['text']!r} has contrast "
            f"{t['ratio']:.2f} ({t['fg']} on {t['bg']}), less than {min_ratio}"
            for t in page.evaluate(_CONTRAST_JS) if t["ratio"] < min_ratio]


def count_explorers(page: Any) -> int:
    return page.locator("main .dnnlib-explorer").count()


# --------------------------------------------------------------------------- solutions
def solution_problems(page: Any) -> list[str]:
    """Each collapsed solution starts closed, opens on a click and closes on a second one."""
    out = []
    sols = page.locator("div.solution.dropdown")
    for i in range(sols.count()):
        sol = sols.nth(i)
        title = sol.locator(".admonition-title").first
        label = (title.inner_text() or f"solution #{i + 1}").strip()[:60]
        body = sol.locator(":scope > :not(.admonition-title)").first
        if body.count() == 0:
            out.append(f"{label}: empty solution")
            continue
        button = sol.locator("button.toggle-button").first
        if button.count() == 0:
            out.append(f"{label}: no toggle button (the solution cannot be collapsed)")
            continue
        states = [body.is_visible()]
        for _ in range(2):
            button.click()
            page.wait_for_timeout(400)  # the theme animates the toggle
            states.append(body.is_visible())
        if states != [False, True, False]:
            out.append(f"{label}: visible states on load/click/click were {states}, expected "
                       "[False, True, False]")
    return out


def count_solutions(page: Any) -> int:
    return page.locator("div.solution.dropdown").count()


# --------------------------------------------------------------------------- theme, search
def dark_mode_problems(page: Any) -> list[str]:
    """The theme switch reaches dark and light, and the page's background follows."""
    button = page.locator("button.theme-switch-button").first
    if button.count() == 0:
        return ["no theme switch button (button.theme-switch-button)"]
    seen: dict[str, str] = {}
    for _ in range(3):
        button.click()
        page.wait_for_timeout(200)
        theme = page.evaluate("document.documentElement.dataset.theme")
        seen[theme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
    out = []
    if not {"light", "dark"} <= set(seen):
        out.append(f"data-theme took the values {sorted(seen)}, expected light and dark")
    elif seen["light"] == seen["dark"]:
        out.append(f"background stays {seen['light']} in dark and light modes")
    return out


def search_results(page: Any, base: str, term: str) -> list[str]:
    """Titles of the pages the book's own search (``search.html?q=``) lists for ``term``."""
    page.goto(f"{base}search.html?q={term.replace(' ', '+')}", wait_until="load")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary, "
        "#search-results p'); return s && /found|did not match/i.test(s.textContent); }",
        timeout=20_000,
    )
    return [t.strip() for t in page.locator("#search-results ul.search li a").all_inner_texts()]
