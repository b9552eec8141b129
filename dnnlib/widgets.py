"""Explorers: one cell, two renderings (live in Jupyter, script-free in the web book).

An :class:`Explorer` wraps a function ``draw(**params) -> Figure`` of one or a few
parameters. Displayed as the last expression of a cell, it offers two renderings in
its mime bundle:

* ``application/vnd.jupyter.widget-view+json``: a live ipywidgets UI (sliders,
  dropdowns) that calls ``draw`` again whenever a control moves (JupyterLab,
  Notebook 7, VS Code).
* ``text/html``: a fallback that needs **no kernel and no script file**: a few
  frames precomputed at the parameters' ``frames`` values, embedded as base64 PNGs,
  an ``<input type="range">`` per numeric parameter (an ``<output>`` shows its value)
  and a group of radio buttons per choice; the form's ``oninput`` shows the
  matching frame. The book's ``_config.yml`` ranks ``text/html`` above the widget view
  for the HTML builders, so the web book shows this fallback. Its bytes are identical
  run to run (figures drawn with :mod:`dnnlib.plot`'s object API, saved without the
  'Software' stamp as palette PNGs), so nbval compares it like any other output.

The fallback shows a figure at its true size (96 CSS pixels per inch of ``figsize``,
so a 10 pt label reads as 10 pt), at most ``width`` CSS pixels wide and shrunk to the
column on a narrow screen, with ``scale`` (2) image pixels per CSS pixel for sharp
screens; its text stays readable in the web book's light and dark themes.

``import dnnlib`` never imports this module; ipywidgets and matplotlib are imported
here only, and ipywidgets only when the live view is asked for.

Example (a chapter cell)::

    from dnnlib.widgets import Explorer, Slider, Choice

    def draw(w, activation):
        fig, ax = dl.plot.new_figure(figsize=(5, 3))
        ...
        return fig

    Explorer(draw, Slider("w", -2.0, 2.0, value=1.0, frames=[-2, -1, 0, 1, 2]),
             Choice("activation", ["relu", "tanh"]), title="One unit")
"""

from __future__ import annotations

import base64
import html
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .plot import figure_png

__all__ = ["Slider", "Choice", "Explorer", "MAX_FRAMES"]

#: Default limit on the number of precomputed frames of a fallback (repository size).
MAX_FRAMES = 16
#: A choice is shown live as toggle buttons up to this many options and characters in all,
#: as a dropdown beyond.
TOGGLE_MAX_OPTIONS = 6
TOGGLE_MAX_CHARS = 60
#: CSS pixels per inch of a figure in the fallback (the CSS inch: fonts keep their size).
CSS_PX_PER_INCH = 96


def _fmt_value(v: Any, fmt: str) -> str:
    if isinstance(v, float) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f"):
        return fmt.format(float(v))
    return str(v)


@dataclass(frozen=True)
class Slider:
    """A numeric parameter: a continuous slider live, ``frames`` in the web fallback.

    Parameters
    ----------
    name : str
        The keyword passed to ``draw``.
    min, max : float
        The live slider's range.
    value : float, optional
        The initial value (default: the middle of ``frames``).
    step : float, optional
        The live slider's step (default: (max - min) / 100).
    frames : sequence of float, optional
        Values precomputed for the web book (default: 5 evenly spaced values from
        ``min`` to ``max``); each lies in [min, max].
    label : str, optional
        Shown beside the control (default: ``name``).
    fmt : str
        Format of the value shown (``"{:.2f}"``).
    snap : bool
        If True, the live slider also offers only the ``frames`` (a selection slider):
        for results that exist only at those values, such as precomputed training runs.

    Examples
    --------
    >>> Slider("w", -1.0, 1.0).frames
    (-1.0, -0.5, 0.0, 0.5, 1.0)
    """

    name: str
    min: float
    max: float
    value: float | None = None
    step: float | None = None
    frames: Sequence[float] | None = None
    label: str | None = None
    fmt: str = "{:.2f}"
    snap: bool = False

    def __post_init__(self) -> None:
        fn = f"Slider({self.name!r})"
        _check_name(self.name, fn)
        for attr in ("min", "max"):
            v = getattr(self, attr)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise TypeError(f"{fn}: {attr} must be a finite number, got {v!r}")
        if not self.min < self.max:
            raise ValueError(f"{fn}: min must be < max, got min={self.min}, max={self.max}")
        frames = self.frames
        if frames is None:
            frames = [self.min + (self.max - self.min) * k / 4 for k in range(5)]
        frames = tuple(float(f) for f in frames)
        if not frames:
            raise ValueError(f"{fn}: frames must hold at least one value")
        if any(not (self.min <= f <= self.max) for f in frames):
            raise ValueError(f"{fn}: frames must lie in [{self.min}, {self.max}], got {frames}")
        if list(frames) != sorted(set(frames)):
            raise ValueError(f"{fn}: frames must be strictly increasing, got {frames}")
        value = frames[(len(frames) - 1) // 2] if self.value is None else self.value
        if not (self.min <= value <= self.max):
            raise ValueError(f"{fn}: value must lie in [{self.min}, {self.max}], got {value}")
        step = (self.max - self.min) / 100 if self.step is None else self.step
        if not step > 0:
            raise ValueError(f"{fn}: step must be > 0, got {step}")
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "value", float(value))
        object.__setattr__(self, "step", float(step))

    @property
    def options(self) -> tuple[Any, ...]:
        return tuple(self.frames)  # type: ignore[arg-type]

    def start_index(self) -> int:
        """The frame nearest to ``value`` (shown first in the fallback)."""
        return min(range(len(self.options)), key=lambda i: abs(self.options[i] - self.value))

    def text(self, v: Any) -> str:
        return _fmt_value(float(v), self.fmt)

    def make_widget(self, widgets: Any) -> Any:
        if self.snap:
            options = [(self.text(v), v) for v in self.options]
            return widgets.SelectionSlider(options=options, value=self.options[self.start_index()],
                                           description=self.label or self.name,
                                           continuous_update=False)
        return widgets.FloatSlider(value=self.value, min=self.min, max=self.max, step=self.step,
                                   description=self.label or self.name, continuous_update=False,
                                   readout_format=self.fmt.strip("{}:") or ".2f")


@dataclass(frozen=True)
class Choice:
    """A discrete parameter: toggle buttons live (a dropdown when the options are many or
    long), radio buttons in the web fallback, every option precomputed there.

    Examples
    --------
    >>> Choice("activation", ["relu", "tanh"]).value
    'relu'
    """

    name: str
    options: Sequence[Any] = field(default_factory=tuple)
    value: Any = None
    label: str | None = None
    fmt: str = "{:.2f}"

    def __post_init__(self) -> None:
        fn = f"Choice({self.name!r})"
        _check_name(self.name, fn)
        opts = tuple(self.options)
        if not opts:
            raise ValueError(f"{fn}: options must hold at least one value")
        if len(set(map(repr, opts))) != len(opts):
            raise ValueError(f"{fn}: options must be distinct, got {opts}")
        value = opts[0] if self.value is None else self.value
        if value not in opts:
            raise ValueError(f"{fn}: value must be one of {opts}, got {value!r}")
        object.__setattr__(self, "options", opts)
        object.__setattr__(self, "value", value)

    def start_index(self) -> int:
        return list(self.options).index(self.value)

    def text(self, v: Any) -> str:
        return _fmt_value(v, self.fmt)

    def make_widget(self, widgets: Any) -> Any:
        options = [(self.text(o), o) for o in self.options]
        if len(options) <= TOGGLE_MAX_OPTIONS and \
                sum(len(t) for t, _ in options) <= TOGGLE_MAX_CHARS:
            return widgets.ToggleButtons(options=options, value=self.value,
                                         description=self.label or self.name,
                                         style={"button_width": "auto"})
        return widgets.Dropdown(options=options, value=self.value,
                                description=self.label or self.name)


def _check_name(name: Any, fn: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{fn}: name must be a Python identifier (a keyword of draw), "
                         f"got {name!r}")


_Param = Slider | Choice


class Explorer:
    """A figure that depends on a few parameters: live widget + static web fallback.

    Parameters
    ----------
    draw : callable
        ``draw(**{p.name: value for p in params}) -> matplotlib Figure``. Use
        :func:`dnnlib.plot.new_figure` (no pyplot) so frames are deterministic.
    *params : Slider or Choice
        The parameters, in the order of the controls.
    title : str, optional
        A heading shown above the controls.
    readout : callable, optional
        ``readout(**values) -> str``: a line of text under the figure (for example
        the network's output), plain text, escaped.
    width : int
        Largest width of a fallback frame, in CSS pixels (default 800, about the text
        column of the web book at 1280 pixels); below it a frame shows at its true size,
        96 CSS pixels per inch of the figure.
    scale : int
        Image pixels per CSS pixel of the fallback's frames (2: sharp on high-density
        screens).
    colors : int or None
        Frames are palette PNGs of at most this many colours (64: a fallback of 12 frames
        of an 8-inch figure at scale 2 takes about as many bytes as full-colour frames at
        60 dpi); None keeps full-colour PNGs.
    dpi : int, optional
        If given, the fallback's frames are drawn at this resolution and shown at their
        pixel size (``width`` and ``scale`` then do not apply): the behaviour before
        ``width`` and ``scale`` existed, for a caller that must keep its frames small.
        The live view uses the figure's own dpi.
    max_frames : int
        Upper bound on the number of frames (the product of the parameters'
        frame counts).

    Examples
    --------
    >>> from dnnlib.plot import new_figure
    >>> def draw(a):
    ...     fig, ax = new_figure(figsize=(2, 1.5), dpi=40)
    ...     ax.plot([0, 1], [0, a]); ax.set_title(f"a = {a:.1f}")
    ...     return fig
    >>> ex = Explorer(draw, Slider("a", 0.0, 1.0, frames=[0.0, 1.0]))
    >>> ex.n_frames, "<input" in ex.fallback_html()
    (2, True)
    >>> ex.frame_size(draw(0.5))  # (CSS width, CSS height, dpi of the image)
    (192, 144, 192.0)
    """

    def __init__(self, draw: Callable[..., Any], *params: _Param, title: str | None = None,
                 readout: Callable[..., str] | None = None, width: int = 800, scale: int = 2,
                 colors: int | None = 64, dpi: int | None = None,
                 max_frames: int = MAX_FRAMES) -> None:
        fn = "Explorer"
        if not callable(draw):
            raise TypeError(f"{fn}: draw must be callable, got {type(draw).__name__}")
        if not params:
            raise ValueError(f"{fn}: give at least one parameter (Slider or Choice)")
        for p in params:
            if not isinstance(p, (Slider, Choice)):
                raise TypeError(f"{fn}: parameters must be Slider or Choice, got "
                                f"{type(p).__name__}")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"{fn}: parameter names must be distinct, got {names}")
        if readout is not None and not callable(readout):
            raise TypeError(f"{fn}: readout must be callable or None")
        if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, int)
                                or not 20 <= dpi <= 200):
            raise ValueError(f"{fn}: dpi must be an int in [20, 200], got {dpi!r}")
        for name, v, lo, hi in (("width", width, 100, 4000), ("scale", scale, 1, 4)):
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{fn}: {name} must be an int in [{lo}, {hi}], got {v!r}")
        if colors is not None and (isinstance(colors, bool) or not isinstance(colors, int)
                                   or not 2 <= colors <= 256):
            raise ValueError(f"{fn}: colors must be an int in [2, 256] or None, got "
                             f"{colors!r}")
        n = math.prod(len(p.options) for p in params)
        if n > max_frames:
            raise ValueError(
                f"{fn}: the web fallback would need {n} frames "
                f"({' x '.join(str(len(p.options)) for p in params)}), more than "
                f"max_frames={max_frames}; use fewer frames per parameter"
            )
        self.draw = draw
        self.params: tuple[_Param, ...] = tuple(params)
        self.title = title
        self.readout = readout
        self.width, self.scale, self.colors, self.dpi = width, scale, colors, dpi
        self.n_frames = n
        self._html: str | None = None
        self._widget: Any = None

    # -------------------------------------------------------------------- drawing
    def values(self) -> dict[str, Any]:
        """The initial parameter values, by name."""
        return {p.name: p.value for p in self.params}

    def render(self, dpi: int | None = None, **values: Any) -> tuple[bytes, str]:
        """PNG bytes and readout text for one set of values (missing ones: initial)."""
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise ValueError(f"Explorer.render: unknown parameter(s) {sorted(unknown)}; "
                             f"parameters are {[p.name for p in self.params]}")
        kw = self.values() | values
        fig = self._figure(kw)
        png = figure_png(fig, dpi=dpi)
        text = str(self.readout(**kw)) if self.readout is not None else ""
        return png, text

    def _figure(self, kw: dict[str, Any]) -> Any:
        fig = self.draw(**kw)
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise TypeError(f"Explorer: draw must return a matplotlib Figure, got "
                            f"{type(fig).__name__}")
        return fig

    def frame_size(self, fig: Any) -> tuple[int, int, float]:
        """``(css_width, css_height, dpi)`` of ``fig`` in the fallback: its true size (96 CSS
        pixels per inch) capped at ``width``, drawn at ``scale`` image pixels per CSS pixel
        (with an explicit ``dpi``: drawn at ``dpi``, shown at its pixel size)."""
        w_in, h_in = (float(v) for v in fig.get_size_inches())
        if self.dpi is not None:
            return round(w_in * self.dpi), round(h_in * self.dpi), float(self.dpi)
        css_w = min(self.width, round(CSS_PX_PER_INCH * w_in))
        return css_w, round(css_w * h_in / w_in), self.scale * css_w / w_in

    # -------------------------------------------------------------------- web fallback
    def fallback_html(self) -> str:
        """The script-free HTML: every frame as a base64 PNG, a control per parameter.

        Frame ``k`` for option indices ``(i_1, ..., i_m)`` is the mixed-radix number
        ``k = (...(i_1 n_2 + i_2) n_3 + ...) + i_m``. Each parameter with more than one
        frame has a wrapper ``[data-n]`` (its number of frames) holding a range input
        (a ``Slider``; its ``<output>`` shows the value) or radio buttons (a ``Choice``);
        the form's ``oninput``/``onchange`` handler recomputes ``k`` and shows that frame.
        Computed once, then cached.
        """
        if self._html is not None:
            return self._html
        esc = html.escape
        radices = [len(p.options) for p in self.params]
        names = [p.name for p in self.params]
        frames = []
        for k, combo in enumerate(itertools.product(*(p.options for p in self.params))):
            kw = self.values() | dict(zip(names, combo, strict=True))
            fig = self._figure(kw)
            css_w, css_h, dpi = self.frame_size(fig)
            png = figure_png(fig, dpi=dpi, colors=self.colors)
            text = str(self.readout(**kw)) if self.readout is not None else ""
            b64 = base64.b64encode(png).decode("ascii")
            alt = ", ".join(f"{p.name} = {p.text(v)}" for p, v in zip(self.params, combo,
                                                                      strict=True))
            # color: inherit: the theme's caption colour is grey, and the web book's dark
            # mode puts HTML outputs on a light grey box (grey on grey)
            cap = ('<figcaption style="font-family:monospace;color:inherit">'
                   f"{esc(text)}</figcaption>") if text else ""
            frames.append((k, b64, esc(alt), cap, css_w, css_h))
        start = 0
        for p, r in zip(self.params, radices, strict=True):
            start = start * r + p.start_index()
        # k from the controls (mixed radix), show frame k, write the sliders' outputs.
        js = ("var f=this,k=0,i,j,v,e,c=f.querySelectorAll('[data-n]');"
              "for(i=0;i<c.length;i++){e=c[i].querySelectorAll('input');v=0;"
              "if(e[0].type=='range'){v=+e[0].value;c[i].querySelector('output').value="
              "c[i].getAttribute('data-v').split('|')[v];}"
              "else{for(j=0;j<e.length;j++){if(e[j].checked){v=j;}}}"
              "k=k*(+c[i].getAttribute('data-n'))+v;}"
              "var g=f.parentNode.querySelectorAll('figure[data-k]');"
              "for(i=0;i<g.length;i++){g[i].style.display=(i==k)?'':'none';}")
        box = "display:inline-block;margin:0.2em 1.5em 0.2em 0"
        parts = ['<div class="dnnlib-explorer" style="max-width:100%">']
        if self.title:
            parts.append(f"<strong>{esc(self.title)}</strong>")
        parts.append(f'<form oninput="{esc(js)}" onchange="{esc(js)}" '
                     'onsubmit="return false" style="margin:0.3em 0">')
        for p in self.params:
            label = esc(p.label or p.name)
            texts = [p.text(v) for v in p.options]
            i0 = p.start_index()
            if len(p.options) == 1:  # nothing to move in the web book: say so, no dead control
                parts.append(f'<span style="{box}">{label} = {esc(texts[0])} '
                             "<small>(varies in the live notebook)</small></span>")
                continue
            if isinstance(p, Choice):
                radios = "".join(
                    f'<label style="margin-left:0.6em;white-space:nowrap">'
                    f'<input type="radio" name="{esc(p.name)}" value="{i}"'
                    f'{" checked" if i == i0 else ""}> {esc(t)}</label>'
                    for i, t in enumerate(texts))
                parts.append(f'<span data-n="{len(texts)}" role="radiogroup" '
                             f'aria-label="{label}" style="{box}">{label}{radios}</span>')
                continue
            # the output keeps the width of its longest value: nothing after it moves
            widest = max(len(t) for t in texts)
            parts.append(
                f'<label data-n="{len(texts)}" data-v="{esc("|".join(texts))}" '
                f'style="{box}">{label} '
                f'<input type="range" name="{esc(p.name)}" min="0" max="{len(texts) - 1}" '
                f'step="1" value="{i0}" aria-label="{label}" style="vertical-align:middle"> '
                f'<output style="display:inline-block;min-width:{widest}ch;'
                f'font-variant-numeric:tabular-nums">{esc(texts[i0])}</output></label>'
            )
        parts.append("</form>")
        for k, b64, alt, cap, css_w, css_h in frames:
            hidden = "" if k == start else "display:none;"
            parts.append(
                f'<figure data-k="{k}" class="dnnlib-frame" style="{hidden}margin:0.4em 0">'
                f'<img src="data:image/png;base64,{b64}" alt="{alt}" width="{css_w}" '
                f'height="{css_h}" style="width:100%;max-width:{css_w}px;height:auto">'
                + cap + "</figure>")
        parts.append(
            "<small>Static preview: "
            f'{self.n_frames} precomputed frame{"s" if self.n_frames != 1 else ""}. '
            "Run the notebook in JupyterLab for the live, continuous version.</small></div>"
        )
        self._html = "\n".join(parts)
        return self._html

    # -------------------------------------------------------------------- live widget
    @property
    def widget(self) -> Any:
        """The live ipywidgets UI (built on first access): controls, image, readout."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        controls = [p.make_widget(widgets) for p in self.params]
        png, text = self.render()
        image = widgets.Image(value=png, format="png", layout=widgets.Layout(max_width="100%"))
        label = widgets.HTML(value=f"<code>{html.escape(text)}</code>" if text else "")

        def redraw(change: Any = None) -> None:
            values = {p.name: c.value for p, c in zip(self.params, controls, strict=True)}
            try:
                png, text = self.render(**values)
            except Exception as exc:  # show the error in the UI, keep the widget alive
                label.value = f"<code>error: {html.escape(repr(exc))}</code>"
                return
            image.value = png
            label.value = f"<code>{html.escape(text)}</code>" if text else ""

        for c in controls:
            c.observe(redraw, names="value")
        children = []
        if self.title:
            children.append(widgets.HTML(value=f"<strong>{html.escape(self.title)}</strong>"))
        children += [widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")),
                     image, label]
        box = widgets.VBox(children)
        box._dnnlib_redraw = redraw  # for tests
        box._dnnlib_controls = controls
        box._dnnlib_image = image
        box._dnnlib_label = label
        return box

    # -------------------------------------------------------------------- display
    def __repr__(self) -> str:
        ps = ", ".join(f"{p.name}={p.text(p.value)}" for p in self.params)
        return f"Explorer({self.title or 'untitled'!r}; {ps}; {self.n_frames} web frames)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self.fallback_html()}
        try:
            view = self.widget._repr_mimebundle_()
        except Exception:  # ipywidgets missing or no kernel: the fallback still shows
            view = None
        if view:
            key = "application/vnd.jupyter.widget-view+json"
            if key in view:
                bundle[key] = view[key]
        return bundle
