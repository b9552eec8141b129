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
    assert h1.count('style="display:none;') == 5  # exactly one frame visible
    # the slider is a range input with its output, the choice two radio buttons
    assert h1.count('<input type="range"') == 1 and h1.count("<output ") == 1
    assert h1.count('<input type="radio" name="kind"') == 2 and h1.count(" checked>") == 1
    assert 'oninput="' in h1 and 'onchange="' in h1 and "data:image/png;base64," in h1
    assert "Test &lt;explorer&gt;" in h1  # escaped
    # the visible frame is the one nearest to the initial values (a=0.5 -> 0.0 or 1.0)
    visible = re.findall(r'<figure data-k="(\d+)" class="dnnlib-frame" style="margin', h1)
    assert visible in (["2"], ["4"])
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
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0), width=50), ValueError, "width"),
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0), scale=0), ValueError, "scale"),
        (lambda: Explorer(draw, Slider("a", 0.0, 1.0), colors=1), ValueError, "colors"),
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
    assert page.count('type="range"') == 1 and page.count("<output ") == 1
    assert "b = 0.50" in page and "varies in the live notebook" in page


def _png_info(png: bytes) -> tuple[int, int, int]:
    """(width, height, PNG colour type) from the IHDR chunk (3: palette, 6: RGBA)."""
    import struct

    w, h, _, ctype = struct.unpack(">IIBB", png[16:26])
    return w, h, ctype


def _frames(page: str) -> list[tuple[bytes, int, int, str]]:
    import base64

    out = []
    for m in re.finditer(r'<img src="data:image/png;base64,([^"]+)" alt="[^"]*" width="(\d+)" '
                         r'height="(\d+)" style="([^"]*)"', page):
        out.append((base64.b64decode(m.group(1)), int(m.group(2)), int(m.group(3)),
                    m.group(4)))
    return out


def test_frames_show_at_true_size_capped_at_width_and_drawn_at_twice_the_pixels():
    def wide(a):
        fig, ax = new_figure(figsize=(8.0, 3.0), dpi=50)
        ax.plot([0, 1], [0, a])
        ax.set_title(f"a = {a}")
        return fig

    # 2 x 1.5 in: its true size, 192 x 144 CSS pixels, drawn at 384 x 288
    (png, w, h, style), *_ = _frames(make().fallback_html())
    assert (w, h) == (192, 144) and _png_info(png)[:2] == (384, 288)
    assert "width:100%;max-width:192px;height:auto" in style
    # 8 x 3 in would be 768 CSS pixels: capped at width=700, drawn at scale 3
    ex = Explorer(wide, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]), width=700, scale=3)
    for png, w, h, _ in _frames(ex.fallback_html()):
        pw, ph = _png_info(png)[:2]
        assert (w, h) == (700, 262) and pw == 2100 and abs(ph - 3 * 262.5) <= 1


def test_an_explicit_dpi_keeps_small_frames_at_their_pixel_size():
    ex = Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]), dpi=40)
    assert ex.frame_size(draw(0.0)) == (80, 60, 40.0)
    (png, w, h, style), *_ = _frames(ex.fallback_html())
    assert (w, h) == (80, 60) and _png_info(png)[:2] == (80, 60)


def test_frames_are_palette_pngs_unless_asked_otherwise():
    (png, *_), *_ = _frames(make().fallback_html())
    assert _png_info(png)[2] == 3  # palette
    full = Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]), colors=None)
    (png2, *_), *_ = _frames(full.fallback_html())
    assert _png_info(png2)[2] == 6 and len(png2) > len(png)


def test_the_readout_inherits_the_text_colour_and_outputs_keep_their_width():
    page = make().fallback_html()
    assert '<figcaption style="font-family:monospace;color:inherit">a*2 = 2.00' in page
    # values "-1.00", "0.00", "1.00": the output reserves 5 characters, so nothing moves
    assert "<output style=\"display:inline-block;min-width:5ch;" in page
    assert "opacity" not in page  # no faded text: low contrast on the dark theme's grey box


def test_a_choice_is_toggle_buttons_live_or_a_dropdown_when_long():
    widgets = pytest.importorskip("ipywidgets")
    assert isinstance(Choice("bn", ["without", "with"]).make_widget(widgets),
                      widgets.ToggleButtons)
    many = Choice("k", [f"option {i}" for i in range(8)])
    assert isinstance(many.make_widget(widgets), widgets.Dropdown)
    long = Choice("k", ["a rather long option name", "another rather long option name",
                        "and a third one"])
    assert isinstance(long.make_widget(widgets), widgets.Dropdown)
    box = make().widget
    toggle = box._dnnlib_controls[1]
    before = box._dnnlib_image.value
    toggle.value = "dash"
    assert box._dnnlib_image.value != before
