"""Explorers: one cell, two renderings (live in Jupyter, script-free in the web book).

An :class:`Explorer` wraps a function ``draw(**params) -> Figure`` of one or a few
parameters. Displayed as the last expression of a cell, it offers two renderings in
its mime bundle:

* ``application/vnd.jupyter.widget-view+json``: a live ipywidgets UI (sliders,
  dropdowns) that calls ``draw`` again whenever a control moves (JupyterLab,
  Notebook 7, VS Code).
* ``text/html``: a fallback that needs **no kernel and no script file**: a few
  frames precomputed at the parameters' ``frames`` values, embedded as base64 PNGs,
  and an ``<input type="range" oninput="...">`` per parameter that shows the
  matching frame; an ``<output>`` shows the value. The book's ``_config.yml``
  ranks ``text/html`` above the widget view for the HTML builders, so the web book
  shows this fallback. Its bytes are identical run to run (figures drawn with
  :mod:`dnnlib.plot`'s object API and saved without the 'Software' stamp), so
  nbval compares it like any other output.

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
    """A discrete parameter: a dropdown live, every option in the web fallback.

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
        return widgets.Dropdown(options=[(self.text(o), o) for o in self.options],
                                value=self.value, description=self.label or self.name)


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
    dpi : int
        Resolution of the fallback's frames (modest: the frames are stored in the
        notebook). The live view uses the figure's own dpi.
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
    """

    def __init__(self, draw: Callable[..., Any], *params: _Param, title: str | None = None,
                 readout: Callable[..., str] | None = None, dpi: int = 60,
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
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not 20 <= dpi <= 200:
            raise ValueError(f"{fn}: dpi must be an int in [20, 200], got {dpi!r}")
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
        self.dpi = dpi
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
        fig = self.draw(**kw)
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise TypeError(f"Explorer: draw must return a matplotlib Figure, got "
                            f"{type(fig).__name__}")
        png = figure_png(fig, dpi=dpi)
        text = str(self.readout(**kw)) if self.readout is not None else ""
        return png, text

    # -------------------------------------------------------------------- web fallback
    def fallback_html(self) -> str:
        """The script-free HTML: every frame as a base64 PNG, one range input per parameter.

        Frame ``k`` for option indices ``(i_1, ..., i_m)`` is the mixed-radix number
        ``k = (...(i_1 n_2 + i_2) n_3 + ...) + i_m``; the form's ``oninput`` handler
        recomputes ``k``, shows that frame and hides the others, and writes the values
        into the ``<output>`` elements. Computed once, then cached.
        """
        if self._html is not None:
            return self._html
        esc = html.escape
        radices = [len(p.options) for p in self.params]
        frames = []
        for k, combo in enumerate(itertools.product(*(p.options for p in self.params))):
            png, text = self.render(dpi=self.dpi, **dict(zip([p.name for p in self.params],
                                                             combo, strict=True)))
            b64 = base64.b64encode(png).decode("ascii")
            alt = ", ".join(f"{p.name} = {p.text(v)}" for p, v in zip(self.params, combo,
                                                                      strict=True))
            cap = f'<figcaption style="font-family:monospace">{esc(text)}</figcaption>' \
                if text else ""
            frames.append((k, b64, esc(alt), cap))
        start = 0
        for p, r in zip(self.params, radices, strict=True):
            start = start * r + p.start_index()
        # oninput: k from the inputs (mixed radix), show frame k, update the outputs.
        js = ("var f=this,k=0,i,e=f.querySelectorAll('input[type=range]'),"
              "o=f.querySelectorAll('output');"
              "for(i=0;i<e.length;i++){k=k*(+e[i].max+1)+(+e[i].value);"
              "o[i].value=e[i].getAttribute('data-v').split('|')[+e[i].value];}"
              "var g=f.parentNode.querySelectorAll('figure[data-k]');"
              "for(i=0;i<g.length;i++){g[i].style.display=(i==k)?'':'none';}")
        parts = ['<div class="dnnlib-explorer" style="max-width:100%">']
        if self.title:
            parts.append(f"<strong>{esc(self.title)}</strong>")
        parts.append(f'<form oninput="{esc(js)}" onsubmit="return false" '
                     'style="margin:0.3em 0">')
        for p in self.params:
            labels = "|".join(p.text(v) for v in p.options)
            i0 = p.start_index()
            if len(p.options) == 1:  # nothing to move in the web book: say so, no dead slider
                parts.append(
                    '<label style="display:inline-block;margin-right:1.5em">'
                    f'{esc(p.label or p.name)} = {esc(p.text(p.options[0]))} '
                    '<small style="opacity:0.7">(varies in the live notebook)</small></label>'
                )
                continue
            parts.append(
                '<label style="display:inline-block;margin-right:1.5em">'
                f'{esc(p.label or p.name)} '
                f'<input type="range" name="{esc(p.name)}" min="0" '
                f'max="{len(p.options) - 1}" step="1" value="{i0}" data-v="{esc(labels)}" '
                f'aria-label="{esc(p.label or p.name)}"> '
                f'<output>{esc(p.text(p.options[i0]))}</output></label>'
            )
        parts.append("</form>")
        for k, b64, alt, cap in frames:
            style = "" if k == start else ' style="display:none"'
            parts.append(f'<figure data-k="{k}"{style} class="dnnlib-frame">'
                         f'<img src="data:image/png;base64,{b64}" alt="{alt}" '
                         'style="max-width:100%">' + cap + "</figure>")
        parts.append(
            '<small style="opacity:0.7">Static preview: '
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
