"""What the playground shows: :class:`PlaygroundView` (a snapshot as host arrays) and the
dashboard drawn from it with matplotlib (imported when a figure is drawn)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import MAX_TILES, PlaygroundConfig

__all__ = ["PlaygroundView", "draw_view", "png"]


@dataclass
class PlaygroundView:
    """What the figures show, as host (NumPy) arrays: a snapshot of one moment.

    Attributes
    ----------
    epoch : int
    extent : (x1_min, x1_max, x2_min, x2_max)
        The plane shown (the data's range plus a margin).
    output : (G, G)
        The predicted probability of class 1 on a ``G x G`` grid over ``extent``
        (row ``i`` is the ``i``-th value of :math:`x_2`, from the bottom).
    features : (F, G, G)
        Each input feature on the grid.
    units : list of (H_l, G, G)
        Each hidden unit's activation on the grid (evaluation mode), layer by layer.
    weights : list of (in, out)
        Every ``Dense`` layer's weight matrix.
    X_train, y_train, X_test, y_test : the points (N, 2) and labels (N,)
    history : dict of lists
        ``epoch``, ``lr``, ``train_loss``, ``test_loss``, ``train_accuracy``,
        ``test_accuracy``.
    config : PlaygroundConfig
    """

    epoch: int
    extent: tuple[float, float, float, float]
    output: np.ndarray
    features: np.ndarray
    units: list[np.ndarray]
    weights: list[np.ndarray]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    history: dict[str, list[float]]
    config: PlaygroundConfig
    diverged: str | None = None


def png(fig: Any, dpi: int) -> bytes:
    """The figure as PNG bytes (deterministic: no metadata)."""
    from ..plot import figure_png

    return figure_png(fig, dpi=dpi)


# =========================================================================== drawing
def _cmap() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    from ..plot import CLASS_COLORS

    return LinearSegmentedColormap.from_list("dnnlib_playground",
                                             [CLASS_COLORS[0], "#FFFFFF", CLASS_COLORS[1]])


def _network_canvas(view: PlaygroundView, ax: Any) -> None:
    """Draw features, hidden-unit tiles and output as TF Playground does, into ``ax``."""
    from matplotlib.collections import LineCollection

    from ..plot import CLASS_COLORS

    cmap = _cmap()
    cfg = view.config
    G = view.output.shape[0]
    columns: list[tuple[str, list[np.ndarray], list[str], int]] = []
    columns.append(("inputs", list(view.features), list(cfg.features), len(cfg.features)))
    for li, (u, act) in enumerate(zip(view.units, cfg.activation, strict=True)):
        shown = list(u[:MAX_TILES])
        extra = ["BN"] if cfg.batchnorm else []
        extra += [f"drop {cfg.dropout[li]:g}"] if cfg.dropout[li] else []
        act_s = {"leaky_relu": "leaky"}.get(act, act)
        columns.append((f"{u.shape[0]} {act_s}" + ("\n" + ", ".join(extra) if extra else ""),
                        shown, [], u.shape[0]))
    columns.append(("output", [2.0 * (view.output - 0.5)], [], 1))

    t, gy, gx = G, max(G // 4, 2), 3 * G
    heights = [len(c[1]) * t + (len(c[1]) - 1) * gy for c in columns]
    H = max(heights)
    W = len(columns) * t + (len(columns) - 1) * gx
    canvas = np.zeros((H, W, 4))
    centers: list[list[float]] = []
    for c, (_, tiles, _, _) in enumerate(columns):
        x0 = c * (t + gx)
        top = (H - heights[c]) / 2.0
        ys = []
        for i, tile in enumerate(tiles):
            y0 = int(round(top + i * (t + gy)))
            span = float(np.max(np.abs(tile))) if c < len(columns) - 1 else 1.0
            norm = tile / span if span > 1e-12 else np.zeros_like(tile)
            canvas[y0:y0 + t, x0:x0 + t] = cmap((np.clip(norm, -1, 1)[::-1] + 1) / 2)
            ys.append(y0 + t / 2.0)
        centers.append(ys)
    # connections: width ~ |w| (per layer), colour = sign
    segs, widths, colors = [], [], []
    for c, Wm in enumerate(view.weights):
        if c + 1 >= len(columns):
            break
        m = float(np.max(np.abs(Wm))) or 1.0
        xa, xb = c * (t + gx) + t, (c + 1) * (t + gx)
        for i, ya in enumerate(centers[c]):
            for j, yb in enumerate(centers[c + 1]):
                w = Wm[i, j]
                segs.append([(xa, ya), (xb, yb)])
                widths.append(0.2 + 2.3 * abs(w) / m)
                colors.append(CLASS_COLORS[1] if w > 0 else CLASS_COLORS[0])
    if segs:
        ax.add_collection(LineCollection(segs, linewidths=widths, colors=colors, alpha=0.6,
                                         zorder=1))
    ax.imshow(canvas, extent=(0, W, H, 0), interpolation="nearest", zorder=2)
    for c, (label, tiles, names, n) in enumerate(columns):
        xc = c * (t + gx) + t / 2.0
        ax.text(xc, -gy, label, ha="center", va="bottom", fontsize=7)
        for name, yc in zip(names, centers[c], strict=False):
            ax.text(c * (t + gx) - 2, yc, name, ha="right", va="center", fontsize=6)
        if n > len(tiles):
            ax.text(xc, centers[c][-1] + t / 2 + 2, f"+{n - len(tiles)} more", ha="center",
                    va="top", fontsize=6)
    ax.set_xlim(-1.2 * t, W + 2)
    ax.set_ylim(H + t * 0.7, -t * 1.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("network: tile = a unit's response over the plane,\n"
                 "line width = |weight| (orange +, blue \u2212)", fontsize=8)


def draw_view(view: PlaygroundView, *, figsize: tuple[float, float] = (10.0, 5.6),
              dpi: int = 72, title: str | None = None) -> Any:
    """The playground's dashboard for one snapshot: network, decision regions, loss curves.

    Parameters
    ----------
    view : PlaygroundView
        From :meth:`Playground.view`.
    figsize, dpi
        Figure size (inches) and resolution.
    title : str, optional
        A heading above the panels.

    Returns
    -------
    matplotlib.figure.Figure
        A :class:`dnnlib.plot.BookFigure` (deterministic PNG bytes).

    Examples
    --------
    >>> from dnnlib.playground import Session
    >>> fig = draw_view(Session(hidden=(3,)).view(grid=12), figsize=(6, 4), dpi=40)
    >>> [ax.get_title()[:8] for ax in fig.axes]
    ['network:', 'decision', 'loss, ep']
    """
    from ..plot import CLASS_COLORS, BookFigure

    # A fixed layout (no constrained layout): half the drawing time, and the live view
    # redraws it every few epochs.
    # Margins in inches, so that nothing overlaps at any figure size: above the panels the
    # network's two-line title (and the heading), between the two right panels the regions'
    # x label and the loss panel's title.
    fig = BookFigure(figsize=figsize, dpi=dpi)
    height = float(figsize[1])
    top_in, bottom_in, gap_in = (0.68 if title else 0.42), 0.42, 0.62
    panel_in = max((height - top_in - bottom_in - gap_in) / 2, 0.2)
    axes = fig.subplot_mosaic([["net", "regions"], ["net", "loss"]], width_ratios=[1.1, 1.0],
                              gridspec_kw={"left": 0.01, "right": 0.98,
                                           "bottom": bottom_in / height,
                                           "top": 1 - top_in / height, "wspace": 0.12,
                                           "hspace": gap_in / panel_in})
    _network_canvas(view, axes["net"])

    ax = axes["regions"]
    x0, x1, y0, y1 = view.extent
    ax.imshow(view.output, extent=view.extent, origin="lower", cmap=_cmap(), vmin=0, vmax=1,
              alpha=0.6, interpolation="bilinear", aspect="auto")
    if view.output.min() < 0.5 < view.output.max():
        G = view.output.shape[0]
        ax.contour(np.linspace(x0, x1, G), np.linspace(y0, y1, G), view.output, levels=[0.5],
                   colors="black", linewidths=1.0)
    for k in (0, 1):
        m = view.y_train == k
        ax.scatter(view.X_train[m, 0], view.X_train[m, 1], s=12, color=CLASS_COLORS[k],
                   edgecolors="white", linewidths=0.5, zorder=3,
                   label=f"train, class {k}")
    for k in (0, 1):
        m = view.y_test == k
        ax.scatter(view.X_test[m, 0], view.X_test[m, 1], s=12, color=CLASS_COLORS[k],
                   edgecolors="black", linewidths=0.6, marker="^", zorder=3,
                   label=f"test, class {k}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$ (unitless)", fontsize=8)
    ax.set_ylabel("$x_2$ (unitless)", fontsize=8)
    ax.tick_params(labelsize=7)
    h = view.history
    ax.set_title(f"decision regions, epoch {view.epoch}: test accuracy "
                 f"{h['test_accuracy'][-1]:.3f}", fontsize=8)
    ax.legend(fontsize=6, loc="lower right", framealpha=0.8, ncol=2, handletextpad=0.2,
              columnspacing=0.6)

    ax = axes["loss"]
    ep = h["epoch"]
    marker = "o" if len(ep) <= 30 else None
    ax.plot(ep, h["train_loss"], color=CLASS_COLORS[0], marker=marker, ms=3, label="train")
    ax.plot(ep, h["test_loss"], color=CLASS_COLORS[1], marker=marker, ms=3, label="test")
    unit = "nats" if view.config.loss == "bce" else "squared error"  # short: a small panel
    ax.set_xlim(0, max(ep[-1], 1))
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel(f"loss ({unit})", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"loss, epoch {view.epoch}: train {h['train_loss'][-1]:.3f}, test "
                 f"{h['test_loss'][-1]:.3f}", fontsize=8)
    if view.diverged:
        ax.text(0.5, 0.5, "diverged", transform=ax.transAxes, ha="center", color="red")
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.06 / height, va="top")
    return fig
