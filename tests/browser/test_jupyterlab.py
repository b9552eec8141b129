"""The chapters as live notebooks in a real JupyterLab, driven by headless Chromium.

For each notebook of the TOC: open it, wait for a connected idle kernel (the toolbar says
"idle" before a kernel is attached, so Run All would do nothing), run all cells, wait until
the kernel is idle again, assert no error output, then move the chapter's main widget (its
first slider, else its first dropdown) and assert that its output changed (the redrawn figure
or the printed value). Plus the reader's own notebook: ``import dnnlib`` and a small ``fit``
with its progress bar widget. The server runs on a throwaway copy of ``book/``.
"""

from __future__ import annotations

import inspect
import json
import re

import pytest

from . import webchecks as wc

# A hung browser call must fail one test, not stall the suite (pytest-timeout).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

NOTEBOOKS = wc.toc_notebooks()
RUN_TIMEOUT_MS = 150_000

_KERNEL_READY = """() => {
  const app = window.jupyterapp, w = app && app.shell.currentWidget;
  const s = w && w.sessionContext, k = s && s.session && s.session.kernel;
  return !!(k && w.context && w.context.isReady && w.content && w.content.model
            && k.connectionStatus === 'connected' && k.status === 'idle');
}"""

# Done when every non-empty code cell has run (or the run stopped at an error: the queued
# cells then lose their [*]), no prompt shows [*] and the kernel is idle, twice in a row.
_RUN_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget, k = w.sessionContext.session.kernel;
  const busy = k.status !== 'idle' ||
    [...w.node.querySelectorAll('.jp-InputArea-prompt')].some(p => p.textContent.includes('*'));
  if (busy) { window.__idleTicks = 0; return false; }
  window.__idleTicks = (window.__idleTicks || 0) + 1;
  return window.__idleTicks >= 3;
}"""

_RUN_REPORT = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const errors = [], notRun = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const src = c.sharedModel.getSource();
    if (src.trim() && c.executionCount === null) notRun.push(i + 1);
    const outs = c.outputs ? c.outputs.toJSON() : [];
    for (const o of outs)
      if (o.output_type === 'error') errors.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
  }
  return {errors, notRun, n: cells.length};
}"""

# What the reader sees of a widget's output: images (the figure) and text, controls excluded.
_OUTPUT_STATE = """(el) => {
  const area = el.closest('.jp-OutputArea-output') || el.closest('.jp-OutputArea');
  const imgs = [...area.querySelectorAll('img')].map(i => i.src);
  const texts = [...area.querySelectorAll(
      '.widget-html-content, .widget-output, .jp-RenderedText, .widget-label')]
      .filter(e => !e.closest('.widget-slider, .widget-dropdown'))
      .map(e => e.textContent.trim());
  return JSON.stringify([imgs, texts]);
}"""


_STUCK_REPORT = """() => {
  const w = window.jupyterapp.shell.currentWidget, k = w.sessionContext.session.kernel;
  const prompts = [...w.node.querySelectorAll('.jp-InputArea-prompt')].map(p => p.textContent);
  const busy = prompts.map((p, i) => [i + 1, p]).filter(([i, p]) => p.includes('*'));
  return {kernel: k.status, connection: k.connectionStatus, busyCells: busy.slice(0, 5),
          prompts: prompts.length};
}"""


class RunStuck(AssertionError):
    """Run All did not finish: the kernel or the page lost track of the queue."""


def _open_and_run(page, lab, notebook: str) -> dict:  # type: ignore[no-untyped-def]
    page.goto(lab.url(notebook), wait_until="domcontentloaded")
    page.wait_for_function(_KERNEL_READY, timeout=90_000, polling=250)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.model.cells.length > 0 && "
        "[...Array(window.jupyterapp.shell.currentWidget.content.model.cells.length).keys()]"
        ".some(i => window.jupyterapp.shell.currentWidget.content.model.cells.get(i)"
        ".executionCount !== null)", timeout=60_000, polling=250)
    try:
        page.wait_for_function(_RUN_DONE, timeout=RUN_TIMEOUT_MS, polling=500)
    except Exception as exc:  # playwright TimeoutError: say what was still running
        state = page.evaluate(_STUCK_REPORT)
        raise RunStuck(f"{notebook}: Run All did not finish in {RUN_TIMEOUT_MS // 1000} s: "
                       f"{state}") from exc
    return page.evaluate(_RUN_REPORT)


def _shot(page, screenshots, name: str) -> str:  # type: ignore[no-untyped-def]
    path = screenshots / ("lab-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
    page.screenshot(path=str(path))
    return str(path)


def _controls(page) -> list:  # type: ignore[no-untyped-def]
    """The live controls of the outputs, first sliders then dropdowns (at most 3 each)."""
    sliders = page.locator(".jp-OutputArea .widget-slider")
    dropdowns = page.locator(".jp-OutputArea .widget-dropdown select")
    return ([("slider", sliders.nth(i)) for i in range(min(sliders.count(), 3))]
            + [("dropdown", dropdowns.nth(i)) for i in range(min(dropdowns.count(), 3))])


def _move(page, kind, control) -> tuple[str, str, object]:  # type: ignore[no-untyped-def]
    """Move one control: (description, output state before, element to watch)."""
    if kind == "slider":
        handle = control.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        before = handle.evaluate(_OUTPUT_STATE)
        v0 = handle.get_attribute("aria-valuenow")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        if handle.get_attribute("aria-valuenow") == v0:
            for _ in range(10):
                page.keyboard.press("ArrowLeft")
        label = control.locator(".widget-label")
        desc = label.first.inner_text() if label.count() else "slider"
        return f"slider {desc!r} {v0} -> {handle.get_attribute('aria-valuenow')}", before, handle
    control.scroll_into_view_if_needed()
    before = control.evaluate(_OUTPUT_STATE)
    options = control.locator("option").all_inner_texts()
    current = control.evaluate("s => s.options[s.selectedIndex].text")
    other = next((o for o in options if o != current), current)
    control.select_option(label=other)
    return f"dropdown {current!r} -> {other!r}", before, control


# Seen here (1 in 3-5 tests on a loaded machine): Run All in a fresh Lab page never
# completes while kernel and browser sit idle. A new try in a new page passes; RunStuck
# records the state. Root cause still open.
@pytest.mark.flaky(reruns=2, only_rerun=["RunStuck", "Timeout"])
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_chapter_runs_and_its_widget_responds(notebook, jupyterlab, context, screenshots):
    """Run all cells; then some live control of the chapter must redraw its output.

    Controls are tried in turn (sliders, then dropdowns): a control can rightly leave the
    figure as it is in some states (chapter 2's leaky slope does nothing to a ReLU)."""
    page = context.new_page()
    try:
        try:
            report = _open_and_run(page, jupyterlab, notebook)
        except RunStuck as exc:
            raise RunStuck(f"{exc}; screenshot {_shot(page, screenshots, notebook + '-stuck')}"
                           ) from None
        shot = _shot(page, screenshots, notebook)
        assert not report["errors"], f"{notebook}: error outputs {report['errors']}; {shot}"
        assert not report["notRun"], f"{notebook}: cells never ran: {report['notRun']}; {shot}"
        controls = _controls(page)
        assert controls, (
            f"{notebook}: no live slider or dropdown in the outputs (each chapter has a main "
            f"widget, e.g. a dnnlib.widgets.Explorer); screenshot {shot}")
        tried = []
        for kind, control in controls:
            what, before, element = _move(page, kind, control)
            tried.append(what)
            try:
                page.wait_for_function(f"(el) => ({_OUTPUT_STATE})(el) !== {json.dumps(before)}",
                                       arg=element.element_handle(), timeout=30_000,
                                       polling=250)
                return
            except Exception:  # playwright TimeoutError: try the next control
                continue
        shot = _shot(page, screenshots, notebook + "-widget")
        raise AssertionError(f"{notebook}: moved {tried} but no output changed within 30 s "
                             f"each; screenshot {shot}")
    finally:
        page.close()


def _fit_kwargs(fit) -> str:  # type: ignore[no-untyped-def]
    params = inspect.signature(fit).parameters
    for name in ("progress", "progress_bar", "verbose"):
        if name in params:
            return f", {name}=True"
    return ""


def test_reader_notebook_imports_dnnlib_and_fits(jupyterlab, context, screenshots):
    try:
        from dnnlib.train import fit
    except ImportError as exc:
        pytest.skip(f"dnnlib.train.fit is not importable yet: {exc}")
    code = [
        "import numpy as np\nimport dnnlib as dl\nfrom dnnlib.layers import Dense, ReLU\n"
        "from dnnlib.model import Sequential\nfrom dnnlib.losses import SoftmaxCrossEntropy\n"
        "from dnnlib.optim import Adam\nfrom dnnlib.train import fit",
        "g = np.random.default_rng(0)\nX = g.normal(size=(256, 4)).astype('float32')\n"
        "y = (X[:, 0] + X[:, 1] > 0).astype('int64')\n"
        "model = Sequential(Dense(4, 16, rng=0), ReLU(), Dense(16, 2, rng=1))\n"
        "history = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=1e-2), X, y, "
        f"epochs=3, batch_size=32, rng=0{_fit_kwargs(fit)})",
        "print('trained', type(history).__name__)",
    ]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                   "execution_count": None, "id": f"c{i}"} for i, c in enumerate(code)]}
    (jupyterlab.root / "reader_fit.ipynb").write_text(json.dumps(nb))
    page = context.new_page()
    report = _open_and_run(page, jupyterlab, "reader_fit.ipynb")
    shot = _shot(page, screenshots, "reader_fit")
    assert not report["errors"] and not report["notRun"], f"{report}; screenshot {shot}"
    bar = page.locator(".jp-OutputArea .widget-hprogress, .jp-OutputArea progress").first
    assert bar.count() and bar.is_visible(), (
        f"no progress bar widget (tqdm) in the output of fit; screenshot {shot}")
    assert "trained" in page.locator(".jp-OutputArea").last.inner_text()
