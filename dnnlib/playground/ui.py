"""The live playground: :class:`Playground`, a :class:`~.session.Session` with an ipywidgets UI.

The session trains and tells its listeners what changed; this module listens (the
controls follow the settings, the picture follows the state) and turns the controls'
events into session calls. ipywidgets is imported when the widget is first shown.
Training runs as an asyncio task on the kernel's event loop, a few epochs between
redraws, yielding after each epoch so the notebook stays responsive; pausing, closing
the widget or re-running the cell stops it.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import html
from collections.abc import Callable
from typing import Any

from .config import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    LOSSES,
    MAX_EPOCHS,
    OPTIMIZERS,
    SCHEDULES,
    PlaygroundConfig,
)
from .drawing import png
from .session import Session

__all__ = ["Playground"]


class Playground(Session):
    """A TensorFlow-Playground-style lab: set, train, watch, export (Appendix A1).

    A :class:`~dnnlib.playground.session.Session` (its parameters, attributes and
    methods) with a live UI: displayed in Jupyter it shows controls for every
    setting, play/pause/step/reset buttons, and the dashboard of :func:`draw_view`
    redrawn as it trains; the web book shows a static snapshot instead.

    Attributes
    ----------
    playing : bool
        Whether the play loop is running.
    epochs_per_frame : int
        Epochs between two redraws while playing.
    controls : dict of str -> widget
        The UI's widgets, once it is built.

    Examples
    --------
    >>> pg = Playground(dataset="moons", hidden=(8,), activation="relu", optimizer="adam",
    ...                 lr=0.03, noise=0.1)
    >>> before = pg.history["test_loss"][-1]
    >>> _ = pg.run(20)
    >>> pg.epoch, pg.history["test_loss"][-1] < before
    (20, True)
    """

    def __init__(self, config: PlaygroundConfig | None = None, *, data: Any = None,
                 **settings: Any) -> None:
        self.epochs_per_frame = 5
        self.playing = False
        self._task: Any = None
        self._closed = False
        self._widget: Any = None
        self.controls: dict[str, Any] = {}
        self._syncing = False
        super().__init__(config, data=data, **settings)
        self.subscribe(self._on_session_change)

    def _on_session_change(self, what: str) -> None:
        if what == "config":
            self._sync_controls()
        else:
            self._refresh()

    def _restart(self) -> None:
        self.playing = False  # new weights: stop playing
        super()._restart()

    # ------------------------------------------------------------------ live UI
    def play(self) -> None:
        """Start training in the background (Jupyter): a few epochs, a redraw, repeat.

        The training runs as an asyncio task on the kernel's event loop and yields after
        every epoch, so the notebook stays responsive and the controls keep working.
        It stops on :meth:`pause`, :meth:`close`, divergence, or after
        :data:`MAX_EPOCHS` epochs.
        """
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("Playground.play: no running event loop. play() is for the "
                               "live widget in Jupyter; in a script call run(epochs)") from None
        self.playing = True
        self._task = loop.create_task(self.play_async())
        self._sync_controls()

    def pause(self) -> None:
        """Stop playing after the current epoch."""
        self.playing = False
        self._sync_controls()

    async def play_async(self, max_epochs: int | None = None) -> int:
        """The play loop as a coroutine; returns the number of epochs trained.

        ``epochs_per_frame`` epochs between redraws, ``await asyncio.sleep(0)`` after
        each epoch (the kernel then handles clicks and slider moves).
        """
        self.playing = True
        n = 0
        try:
            while self.playing and not self._is_closed() and self.epoch < MAX_EPOCHS:
                for _ in range(max(1, int(self.epochs_per_frame))):
                    self.step_epoch()
                    n += 1
                    if self.diverged or (max_epochs is not None and n >= max_epochs):
                        break
                    await asyncio.sleep(0)
                    if not self.playing or self._is_closed():
                        break
                self._refresh()
                if self.diverged or (max_epochs is not None and n >= max_epochs):
                    break
                await asyncio.sleep(0.02)
        except Exception as exc:  # show it in the UI rather than in a lost task
            self._message(f"error: {exc!r}")
        finally:
            self.playing = False
            self._sync_controls()
            self._refresh()
        return n

    def _is_closed(self) -> bool:
        w = self._widget
        return self._closed or (w is not None and getattr(w, "comm", 1) is None)

    def close(self) -> None:
        """Stop training and close the widget (its views disappear)."""
        self.playing = False
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._widget is not None:
            for w in [*self.controls.values(), self._widget]:
                w.close()

    @property
    def widget(self) -> Any:
        """The live ipywidgets UI (built on first access)."""
        if self._widget is None:
            self._widget = _build_ui(self)
            self._refresh()
        return self._widget

    def _sync_controls(self) -> None:
        """Show the configuration in the controls (after a change from Python)."""
        if not self.controls:
            return
        self._syncing = True
        try:
            ds = self.controls.get("dataset")
            if ds is not None and self.has_custom_data and "custom" not in ds.options:
                ds.options = [*DATASETS, "custom"]
            for name, value in _control_values(self.config).items():
                c = self.controls.get(name)
                if c is not None and c.value != value:
                    c.value = value
            play = self.controls.get("play")
            if play is not None:
                play.value = self.playing
                play.description = "pause" if self.playing else "play"
                play.icon = "pause" if self.playing else "play"
        finally:
            self._syncing = False

    def _message(self, text: str, error: bool = True) -> None:
        m = self.controls.get("message")
        if m is not None:
            color = "#b00020" if error else "inherit"
            m.value = f'<span style="color:{color}">{html.escape(text)}</span>' if text else ""

    def _refresh(self) -> None:
        if self._widget is None or self._is_closed():
            return
        self.controls["status"].value = f"<code>{html.escape(self.status())}</code>"
        self.controls["image"].value = png(self.figure(), 72)

    def fallback_html(self, dpi: int = 60) -> str:
        """A script-free snapshot for the web book: the dashboard PNG and a call to go live."""
        image = self.controls.get("image")
        if image is not None and image.value and not self._is_closed():
            picture = bytes(image.value)  # the live view's current picture: no redrawing
        else:
            picture = png(self.figure(dpi=dpi), dpi)

        from ..plot import palette_png  # matplotlib's stack only when a snapshot is asked for

        b64 = base64.b64encode(palette_png(picture)).decode("ascii")
        return (
            '<div class="dnnlib-playground">'
            f"<p><strong>Playground</strong>: <code>{html.escape(self.status())}</code></p>"
            f'<img src="data:image/png;base64,{b64}" alt="playground dashboard" '
            'style="max-width:100%">'
            '<p><small style="opacity:0.7">Static snapshot. The live playground (controls, '
            "play/pause, export) runs when this notebook is opened in JupyterLab or "
            "Jupyter Notebook and the cell is executed.</small></p></div>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        try:
            view = self.widget._repr_mimebundle_()
        except Exception:  # ipywidgets missing: the fallback still shows
            view = None
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self.fallback_html()}
        key = "application/vnd.jupyter.widget-view+json"
        if view and key in view:
            bundle[key] = view[key]
        return bundle


# =========================================================================== the widget UI
def _control_values(cfg: PlaygroundConfig) -> dict[str, Any]:
    """Config -> the values the controls show (text fields for per-layer settings)."""
    vals: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if f.name == "features":
            for feat in FEATURES:
                vals[f"feature:{feat}"] = feat in v
        elif f.name == "hidden":
            vals["hidden"] = ", ".join(map(str, v))
        elif f.name == "activation":
            vals["activation"] = v[0] if len(set(v)) == 1 else ", ".join(v)
        elif f.name == "dropout":
            vals["dropout"] = (f"{v[0]:g}" if len(set(v)) == 1 else
                               ", ".join(f"{p:g}" for p in v)) if v else "0"
        else:
            vals[f.name] = v
    return vals


def _parse_list(text: str, kind: type, name: str) -> Any:
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        values = tuple(kind(p) for p in parts)
    except ValueError:
        raise ValueError(f"{name}: expected comma-separated {kind.__name__} values, got "
                         f"{text!r}") from None
    return values


def _build_ui(pg: Playground) -> Any:
    import ipywidgets as w

    cfg = pg.config
    vals = _control_values(cfg)
    c: dict[str, Any] = {}
    lay = w.Layout(width="300px")
    style = {"description_width": "110px"}

    def mk(cls: Any, name: str, desc: str, **kw: Any) -> Any:
        c[name] = cls(value=vals[name], description=desc, style=style, layout=lay, **kw)
        return c[name]

    # data
    data_opts = list(DATASETS) + (["custom"] if pg.has_custom_data else [])
    c["dataset"] = w.Dropdown(options=data_opts, value=cfg.dataset, description="data",
                              style=style, layout=lay)
    mk(w.FloatSlider, "noise", "noise", min=0.0, max=0.5, step=0.01)
    mk(w.FloatSlider, "train_ratio", "train ratio", min=0.1, max=0.9, step=0.05)
    mk(w.IntSlider, "n_samples", "points", min=50, max=1000, step=10)
    mk(w.BoundedIntText, "data_seed", "data seed", min=0, max=2**31)
    c["csv"] = w.FileUpload(accept=".csv", multiple=False, description="CSV (x1,x2,label)")
    # features
    for feat in FEATURES:
        c[f"feature:{feat}"] = w.Checkbox(value=vals[f"feature:{feat}"], description=feat,
                                          indent=False, layout=w.Layout(width="90px"))
    # network
    mk(w.Text, "hidden", "hidden units", placeholder="e.g. 8, 8 (empty: none)",
       continuous_update=False)
    mk(w.Combobox, "activation", "activation", options=list(ACTIVATIONS),
       placeholder="one, or one per layer", continuous_update=False, ensure_option=False)
    mk(w.BoundedFloatText, "leaky_slope", "leaky slope", min=0.0, max=0.99, step=0.01)
    mk(w.Text, "dropout", "dropout p", placeholder="one, or one per layer",
       continuous_update=False)
    mk(w.Checkbox, "batchnorm", "batch norm")
    mk(w.BoundedIntText, "seed", "seed", min=0, max=2**31)
    # training
    mk(w.Dropdown, "loss", "loss", options=list(LOSSES))
    mk(w.Dropdown, "optimizer", "optimizer", options=list(OPTIMIZERS))
    mk(w.FloatLogSlider, "lr", "learning rate", base=10, min=-4, max=0.5, step=0.1,
       readout_format=".2g")
    mk(w.FloatSlider, "momentum", "momentum", min=0.0, max=0.99, step=0.01)
    mk(w.FloatSlider, "beta1", "Adam beta1", min=0.0, max=0.99, step=0.01)
    mk(w.FloatSlider, "beta2", "Adam beta2", min=0.9, max=0.9999, step=0.0001,
       readout_format=".4f")
    mk(w.FloatSlider, "alpha", "RMSProp alpha", min=0.5, max=0.999, step=0.001,
       readout_format=".3f")
    mk(w.BoundedFloatText, "weight_decay", "L2 decay", min=0.0, max=1.0, step=1e-4)
    mk(w.Dropdown, "schedule", "lr schedule", options=list(SCHEDULES))
    mk(w.FloatSlider, "schedule_gamma", "schedule gamma", min=0.05, max=1.0, step=0.05)
    mk(w.BoundedIntText, "schedule_epochs", "schedule epochs", min=1, max=MAX_EPOCHS)
    mk(w.IntSlider, "batch_size", "batch size", min=1, max=100)
    # actions and output
    c["play"] = w.ToggleButton(value=False, description="play", icon="play",
                               button_style="success", layout=w.Layout(width="90px"))
    c["step"] = w.Button(description="step", icon="step-forward", tooltip="one epoch",
                         layout=w.Layout(width="80px"))
    c["reset"] = w.Button(description="reset", icon="refresh", tooltip="new weights from seed",
                          layout=w.Layout(width="80px"))
    c["close"] = w.Button(description="close", icon="times", tooltip="stop and close",
                          layout=w.Layout(width="80px"))
    c["epochs_per_frame"] = w.IntSlider(value=pg.epochs_per_frame, min=1, max=50,
                                        description="epochs/frame", style=style, layout=lay)
    c["export_path"] = w.Text(value="playground.npz", description="checkpoint", style=style,
                              layout=lay)
    c["export"] = w.Button(description="export", icon="download",
                           tooltip="save the checkpoint and show the code")
    c["code"] = w.Textarea(value="", layout=w.Layout(width="95%", height="220px"))
    c["status"] = w.HTML()
    c["message"] = w.HTML()
    c["image"] = w.Image(format="png", layout=w.Layout(max_width="100%"))
    pg.controls = c

    # callbacks ------------------------------------------------------------
    def guarded(f: Callable[[], None]) -> None:
        try:
            f()
            pg._message("")
        except Exception as exc:  # shown in the UI; the settings stay as they were
            pg._message(str(exc))
            pg._sync_controls()

    def on_setting(name: str) -> Callable[[Any], None]:
        def handler(change: Any) -> None:
            if pg._syncing:
                return
            v = change["new"]

            def apply() -> None:
                if name.startswith("feature:"):
                    feats = tuple(f for f in FEATURES if c[f"feature:{f}"].value)
                    pg.set(features=feats)
                elif name == "hidden":
                    pg.set(hidden=_parse_list(v, int, "hidden units"))
                elif name == "activation":
                    pg.set(activation=_parse_list(v, str, "activation"))
                elif name == "dropout":
                    pg.set(dropout=_parse_list(v, float, "dropout"))
                else:
                    pg.set(**{name: v})
            guarded(apply)
        return handler

    for name in _control_values(cfg):
        if name in c:
            c[name].observe(on_setting(name), names="value")

    def on_csv(change: Any) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        content = bytes(item["content"])

        guarded(lambda: pg.load_csv(content))

    c["csv"].observe(on_csv, names="value")

    def on_play(change: Any) -> None:
        if pg._syncing:
            return
        if change["new"]:
            guarded(pg.play)
        else:
            pg.pause()

    c["play"].observe(on_play, names="value")
    c["step"].on_click(lambda _: guarded(lambda: pg.run(1)))
    c["reset"].on_click(lambda _: guarded(pg.reset))
    c["close"].on_click(lambda _: pg.close())

    def on_epf(change: Any) -> None:
        pg.epochs_per_frame = int(change["new"])

    c["epochs_per_frame"].observe(on_epf, names="value")

    def on_export(_: Any) -> None:
        def apply() -> None:
            path = pg.export(c["export_path"].value)
            c["code"].value = pg.export_code(path)
            pg._message(f"saved {path}", error=False)
        try:
            apply()
        except Exception as exc:
            pg._message(str(exc))

    c["export"].on_click(on_export)

    # layout ----------------------------------------------------------------
    def col(*names: str) -> Any:
        return w.VBox([c[n] for n in names])

    tabs = w.Tab(children=[
        w.HBox([col("dataset", "noise", "train_ratio"), col("n_samples", "data_seed", "csv")]),
        w.HBox([c[f"feature:{f}"] for f in FEATURES],
               layout=w.Layout(flex_flow="row wrap")),
        w.HBox([col("hidden", "activation", "leaky_slope"),
                col("dropout", "batchnorm", "seed")]),
        w.HBox([col("loss", "optimizer", "lr", "batch_size", "weight_decay"),
                col("momentum", "beta1", "beta2", "alpha"),
                col("schedule", "schedule_gamma", "schedule_epochs")]),
        w.VBox([w.HBox([c["export_path"], c["export"]]), c["code"]]),
    ])
    for i, t in enumerate(("data", "features", "network", "training", "export")):
        tabs.set_title(i, t)
    buttons = w.HBox([c["play"], c["step"], c["reset"], c["epochs_per_frame"], c["close"]])
    box = w.VBox([w.HTML("<strong>dnnlib playground</strong>"), tabs, buttons, c["status"],
                  c["message"], c["image"]])
    return box
