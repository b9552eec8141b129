"""dnnlib.widgets.Explorer: the live widget and the script-free web fallback, headless."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from dnnlib.plot import new_figure  # noqa: E402
from dnnlib.widgets import Choice, Explorer, Slider  # noqa: E402

VIEW = "application/vnd.jupyter.widget-view+json"


def draw(a, kind="line"):
    fig, ax = new_figure(figsize=(2.0, 1.5), dpi=40)
    ax.plot([0.0, 1.0], [0.0, a], label=kind)
    ax.set_title(f"{kind}: a = {a:.2f}")
    return fig


def make(**kw):
    return Explorer(draw, Slider("a", -1.0, 1.0, value=0.5, frames=[-1.0, 0.0, 1.0]),
                    Choice("kind", ["line", "dash"]), title="Test <explorer>",
                    readout=lambda a, kind: f"a*2 = {2 * a:.2f}", **kw)


def test_mime_bundle_has_the_widget_view_and_the_fallback():
    pytest.importorskip("ipywidgets")
    bundle = make()._repr_mimebundle_()
    assert {"text/plain", "text/html", VIEW} <= set(bundle)
    assert bundle[VIEW]["model_id"]
    assert bundle["text/plain"].startswith("Explorer('Test <explorer>'")


def test_fallback_is_deterministic_script_free_and_complete():
    h1, h2 = make().fallback_html(), make().fallback_html()
    assert h1 == h2  # byte-identical run to run: nbval compares text/html
    assert "<script" not in h1.lower()
    assert h1.count("<figure data-k=") == 6  # 3 x 2 frames
    assert h1.count('style="display:none"') == 5  # exactly one frame visible
    assert h1.count('<input type="range"') == 2 and h1.count("<output>") == 2
    assert 'oninput="' in h1 and "data:image/png;base64," in h1
    assert "Test &lt;explorer&gt;" in h1  # escaped
    # the visible frame is the one nearest to the initial values (a=0.5 -> 0.0 or 1.0)
    visible = re.search(r'<figure data-k="(\d+)" class', h1).group(1)
    assert visible in {"2", "4"}
    assert "a*2 = 2.00" in h1 and "a*2 = -2.00" in h1  # readouts of every frame


def test_fallback_png_frames_carry_no_software_stamp():
    import base64

    h = make().fallback_html()
    png = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", h).group(1))
    assert png.startswith(b"\x89PNG") and b"matplotlib" not in png.lower()


def test_live_widget_redraws_on_slider_change():
    pytest.importorskip("ipywidgets")
    calls = []

    def spy(a, kind):
        calls.append((a, kind))
        return draw(a, kind)

    ex = Explorer(spy, Slider("a", -1.0, 1.0, value=0.0), Choice("kind", ["line", "dash"]),
                  readout=lambda a, kind: f"value {a:.2f} {kind}")
    box = ex.widget
    slider, dropdown = box._dnnlib_controls
    image, label = box._dnnlib_image, box._dnnlib_label
    before = image.value
    assert calls[-1] == (0.0, "line") and "value 0.00 line" in label.value
    slider.value = 0.75
    assert calls[-1] == (0.75, "line")
    assert image.value != before and "value 0.75 line" in label.value
    dropdown.value = "dash"
    assert calls[-1] == (0.75, "dash")


def test_live_widget_shows_errors_instead_of_dying():
    pytest.importorskip("ipywidgets")

    def fragile(a):
        if a > 0.5:
            raise ValueError("too big")
        return draw(a)

    box = Explorer(fragile, Slider("a", 0.0, 1.0, value=0.0)).widget
    box._dnnlib_controls[0].value = 0.9
    assert "too big" in box._dnnlib_label.value


def test_bundle_without_ipywidgets_still_has_the_fallback(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    bundle = make()._repr_mimebundle_()
    assert "text/html" in bundle and VIEW not in bundle


@pytest.mark.parametrize(
    "factory, exc, match",
    [
        (lambda: Slider("a", 1.0, 0.0), ValueError, "min must be < max"),
        (lambda: Slider("a", 0.0, 1.0, frames=[0.0, 2.0]), ValueError, "frames must lie in"),
        (lambda: Slider("a", 0.0, 1.0, frames=[0.5, 0.2]), ValueError, "strictly increasing"),
        (lambda: Slider("a", 0.0, 1.0, value=3.0), ValueError, "value must lie in"),
        (lambda: Slider("a", 0.0, float("nan")), TypeError, "finite number"),
        (lambda: Slider("not a name", 0.0, 1.0), ValueError, "Python identifier"),
        (lambda: Choice("k", []), ValueError, "at least one value"),
        (lambda: Choice("k", ["x", "y"], value="z"), ValueError, "value must be one of"),
        (lambda: Explorer(draw), ValueError, "at least one parameter"),
        (lambda: Explorer(42, Slider("a", 0.0, 1.0)), TypeError, "draw must be callable"),
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0), Slider("a", 0.0, 1.0)), ValueError,
         "distinct"),
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 0.2, 0.4, 0.6, 0.8]),
                          Choice("kind", list("abcd"))), ValueError, "max_frames"),
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0), dpi=500), ValueError, "dpi"),
        (lambda: Explorer(draw, ("a", 0.0, 1.0)), TypeError, "Slider or Choice"),
    ],
)
def test_parameter_validation(factory, exc, match):
    with pytest.raises(exc, match=match):
        factory()


def test_draw_must_return_a_figure_and_render_checks_names():
    ex = Explorer(lambda a: "not a figure", Slider("a", 0.0, 1.0))
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        ex.fallback_html()
    with pytest.raises(ValueError, match="unknown parameter"):
        make().render(b=1.0)


def test_importing_dnnlib_does_not_import_matplotlib_or_ipywidgets():
    code = ("import sys, dnnlib, dnnlib.exercises, dnnlib.exercises.ch01, dnnlib.layers;"
            "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules];"
            "assert not bad, bad;"
            "import dnnlib.widgets;"
            "assert 'matplotlib' in sys.modules and 'ipywidgets' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_snapping_slider_offers_only_its_frames_live():
    widgets = pytest.importorskip("ipywidgets")
    s = Slider("epoch", 0.0, 100.0, value=100.0, frames=[0.0, 10.0, 30.0, 100.0], snap=True)
    w = s.make_widget(widgets)
    assert isinstance(w, widgets.SelectionSlider)
    assert [v for _, v in w.options] == [0.0, 10.0, 30.0, 100.0] and w.value == 100.0
    assert isinstance(Slider("w", 0.0, 1.0).make_widget(widgets), widgets.FloatSlider)


def test_a_single_frame_parameter_gets_no_dead_slider_in_the_fallback():
    def draw(a, b):
        fig, ax = new_figure(figsize=(2, 1.5), dpi=40)
        ax.set_title(f"{a} {b}")
        return fig

    ex = Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]),
                  Slider("b", 0.0, 1.0, value=0.5, frames=[0.5]), dpi=30)
    page = ex.fallback_html()
    assert page.count('type="range"') == 1 and page.count("<output>") == 1
    assert "b = 0.50" in page and "varies in the live notebook" in page
