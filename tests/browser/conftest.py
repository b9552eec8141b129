"""Fixtures of the browser tests: the built book served on 127.0.0.1, JupyterLab, Chromium.

Everything here is started on demand and torn down in all cases:

* ``book_site``: the book built ONCE per session (``scripts/vendor_web_assets.sh`` first, so
  MathJax and the widget scripts are served by the book itself) into a temporary folder and
  served by a threaded ``http.server`` on 127.0.0.1 at a random port;
* ``jupyterlab``: a JupyterLab server on 127.0.0.1 with a random port and token, config, data,
  runtime, IPython and Matplotlib folders in a temporary folder (no old workspace, no news
  pop-up, no update check), serving a temporary copy of ``book/``;
* ``browser``: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; each test gets
  its own context (``new_context``) so localStorage and cookies never leak between tests.

All tests in this folder are marked ``browser`` and skip, with the reason, where Chromium or
Playwright is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import REPO, Lab, build_book, serve, start_lab, stop_lab

CHROMIUM = Path(os.environ.get("DNNLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium; "
                ".ci/run installs the packages of .ci/apt-packages.txt)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is missing (pip install -e '.[test]')"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and item.get_closest_marker("browser"):
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


# --------------------------------------------------------------------------- Chromium
# Package scope: Playwright's sync API keeps an event loop running while it is open, so it
# must stop once the browser tests are done (later tests use asyncio themselves).
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(20_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder for the screenshots of every page (named in failure messages)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="package")
def book_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the whole book, built once per session and served on 127.0.0.1."""
    if not (REPO / "_config.yml").exists() or not (REPO / "_toc.yml").exists():
        pytest.fail("_config.yml or _toc.yml missing: no book to test")
    html = build_book(REPO, tmp_path_factory.mktemp("book"))
    server, base = serve(html)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()



@pytest.fixture(scope="package")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab serving a throwaway copy of ``book/`` (Lab's autosave never touches the
    repository's notebooks)."""
    workdir = tmp_path_factory.mktemp("jupyterlab")
    root = workdir / "root"
    shutil.copytree(REPO / "book", root / "book",
                    ignore=shutil.ignore_patterns("_build", "_vendor", ".ipynb_checkpoints"))
    lab = start_lab(workdir, root)
    try:
        yield lab
    finally:
        stop_lab(lab)
