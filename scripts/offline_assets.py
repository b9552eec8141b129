"""Sphinx extension: serve MathJax, require.js and the widget manager from the book itself.

``scripts/vendor_web_assets.sh`` (run by ``./dev book``) copies the npm packages pinned in
``package.json`` into ``book/_vendor/offline/``. When that folder is complete, this extension
adds it to ``html_static_path`` (its files land in ``_build/html/_static/offline/``) and points
Sphinx's ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js`` at those copies, so the built book
makes no request outside its own folder. When it is missing (no Node.js/npm on this machine),
the book still builds, warning-free, with the CDN defaults, and a notice says so.

It also drops exact duplicates from each page's ``<script>`` list: Jupyter Book 1.0.4 with
Sphinx 7.4 emits sphinx-thebe's and sphinx-togglebutton's inline configuration twice, and the
second ``const THEBE_JS_URL = ...`` throws a SyntaxError in every reader's console.

It is listed in ``_config.yml`` under ``sphinx: local_extensions``. The folder is not a root
``_static/``: Jupyter Book v1 would add every ``.js`` found there to every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent.parent / "book" / "_vendor"
#: Paths relative to the built book's ``_static/`` folder.
MATHJAX = "offline/mathjax/es5/tex-mml-chtml.js"
REQUIREJS = "offline/requirejs/require.js"
HTML_MANAGER = "offline/html-manager/embed-amd.js"


def vendored(root: Path | None = None) -> bool:
    """Whether ``vendor_web_assets.sh`` left a complete copy of the three libraries."""
    root = VENDOR if root is None else root
    return (root / "offline" / "ASSETS.txt").is_file() and all(
        (root / rel).is_file() for rel in (MATHJAX, REQUIREJS, HTML_MANAGER)
    )


def _configure(app: Any, config: Any) -> None:
    if not vendored():
        print(
            "notice: book/_vendor/offline is missing (run scripts/vendor_web_assets.sh, which "
            "needs Node.js/npm): MathJax and the widget scripts load from CDNs."
        )
        return
    config.html_static_path = [*config.html_static_path, str(VENDOR)]
    config.mathjax_path = MATHJAX
    config.nb_ipywidgets_js = {
        REQUIREJS: {},
        # Third-party widget modules (none in this book) would still come from this CDN.
        HTML_MANAGER: {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"},
    }


def _dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for js in files:
        attrs = getattr(js, "attributes", {}) or {}
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((str(k), str(v))
                                                              for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique  # Sphinx restores the builder's list after each page


def setup(app: Any) -> dict[str, Any]:
    # Before Sphinx validates html_static_path (priority 800) and myst-nb reads its config.
    app.connect("config-inited", _configure, priority=100)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
