"""Figures the chapters share, drawn with matplotlib's object API (imported lazily).

Every function returns a :class:`matplotlib.figure.Figure` (a :class:`BookFigure`,
which displays itself as a PNG in Jupyter) with a title, axis labels and units.
Nothing here uses :mod:`matplotlib.pyplot`: no global figure state, no figure left
open, and the same call gives the same PNG bytes on every run (see
:func:`figure_png`), which keeps stored notebooks and the widgets' web fallbacks
deterministic.

``import dnnlib`` never imports this module; ``dl.plot`` (or ``from dnnlib import
plot``) does, and only then is matplotlib imported.

Functions
---------
new_figure              an empty BookFigure (the one place figures are created)
figure_png              PNG bytes of a figure, byte-identical run to run
network_diagram         the vocabulary figure: input, hidden and output layers (chapter 1)
decision_regions        a model's decision regions on 2-D data (chapters 1, 2, 6, 7)
function_and_derivative g(z) and g'(z) side by side (chapters 2, 3)
loss_curves             training / validation curves per epoch (chapters 4, 6, 7, 8)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.patches
import numpy as np
from matplotlib.figure import Figure

from . import backend as B

__all__ = [
    "BookFigure",
    "new_figure",
    "figure_png",
    "network_diagram",
    "decision_regions",
    "function_and_derivative",
    "loss_curves",
    "CLASS_COLORS",
]

#: Colours of class 0, 1, 2, ... (colour-blind safe, Okabe-Ito), used by every chapter.
CLASS_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")

_PNG_METADATA = {"Software": None}  # no version string in the bytes: identical run to run


class BookFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter without pyplot.

    A plain ``Figure`` made without pyplot displays as ``<Figure size ...>`` unless
    the inline backend is active; this subclass adds ``_repr_png_`` so that a figure
    returned by a cell is drawn, exactly once, with deterministic bytes.
    """

    def _repr_png_(self) -> bytes:
        return figure_png(self)


def new_figure(figsize: tuple[float, float] = (6.4, 4.0), dpi: int = 100, *, nrows: int = 1,
               ncols: int = 1, **subplot_kw: Any) -> tuple[BookFigure, Any]:
    """A new figure and its axes (``ax`` or an array of axes), without pyplot.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> type(fig).__name__, ax.get_title()
    ('BookFigure', '')
    """
    fig = BookFigure(figsize=figsize, dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    return fig, axes


def figure_png(fig: Figure, dpi: int | None = None) -> bytes:
    """The PNG bytes of ``fig``, identical on every run (no 'Software' metadata).

    Examples
    --------
    >>> fig, ax = new_figure(figsize=(2, 1), dpi=50)
    >>> figure_png(fig) == figure_png(fig)
    True
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"figure_png: fig must be a matplotlib Figure, got {type(fig).__name__}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi if dpi is not None else fig.dpi,
                metadata=_PNG_METADATA)
    return buf.getvalue()


def _host(a: Any, name: str, fn: str) -> np.ndarray:
    arr = B.to_numpy(a) if B.is_array(a) else np.asarray(a)
    if arr.dtype.kind not in "iufb":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {arr.dtype}")
    return arr


# --------------------------------------------------------------------------- chapter 1
def network_diagram(sizes: Sequence[int], *, title: str = "A multi-layer perceptron",
                    max_units: int = 7, ax: Any = None,
                    figsize: tuple[float, float] = (7.0, 4.2)) -> Figure:
    """Draw a fully connected network: units as circles, weights as lines.

    The vocabulary figure of chapter 1: the **input layer** (features
    :math:`x_1 \\dots x_D`, no parameters), the **hidden layers** (activations
    :math:`a^{[l]}`) and the **output layer** (:math:`\\hat y`), each column
    labelled with its size and the shape of the weight matrix feeding it.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first: ``[D, H1, ..., C]`` (at least two entries).
    title : str
        The figure title.
    max_units : int
        Columns with more units are drawn with the first and last few and a
        vertical ellipsis.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = network_diagram([3, 4, 4, 1])
    >>> fig.axes[0].get_title()
    'A multi-layer perceptron'
    """
    fn = "plot.network_diagram"
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"{fn}: sizes must list at least an input and an output layer, "
                         f"got {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"{fn}: sizes must be positive ints, got {sizes}")
    if max_units < 3:
        raise ValueError(f"{fn}: max_units must be >= 3, got {max_units}")
    if ax is None:
        fig, ax = new_figure(figsize=figsize)
    else:
        fig = ax.figure

    n_layers = len(sizes)
    xgap = 2.6  # horizontal distance between layers, in unit-row heights
    xs = xgap * np.arange(n_layers, dtype=float)
    colors = ["#E69F00"] + ["#56B4E9"] * (n_layers - 2) + ["#009E73"]

    def shown(n: int) -> list[float | None]:
        # unit indices drawn (None marks the ellipsis), at most max_units rows
        if n <= max_units:
            return list(range(n))
        head = (max_units - 1) // 2
        tail = max_units - 1 - head
        return list(range(head)) + [None] + list(range(n - tail, n))

    rows = [shown(n) for n in sizes]
    height = max(len(r) for r in rows)

    def ys(r: list) -> np.ndarray:
        return (np.arange(len(r)) - (len(r) - 1) / 2.0)[::-1]

    radius = 0.3
    for l_idx in range(n_layers - 1):
        y0, y1 = ys(rows[l_idx]), ys(rows[l_idx + 1])
        for i, u in enumerate(rows[l_idx]):
            for j, v in enumerate(rows[l_idx + 1]):
                if u is None or v is None:
                    continue
                ax.plot([xs[l_idx], xs[l_idx + 1]], [y0[i], y1[j]], color="0.6", lw=0.6,
                        zorder=1)
    for l_idx, r in enumerate(rows):
        yy = ys(r)
        for y, u in zip(yy, r, strict=True):
            if u is None:
                ax.text(xs[l_idx], y, "\u22ee", ha="center", va="center", fontsize=16)
                continue
            circ = matplotlib.patches.Circle((xs[l_idx], y), radius, facecolor=colors[l_idx],
                                             edgecolor="black", lw=1.0, zorder=3)
            ax.add_patch(circ)
            if l_idx == 0:
                label = f"$x_{{{u + 1}}}$"
            elif l_idx == n_layers - 1:
                label = "$\\hat y$" if sizes[-1] == 1 else f"$\\hat y_{{{u + 1}}}$"
            else:
                label = ""
            if label:
                ax.text(xs[l_idx], y, label, ha="center", va="center", fontsize=10, zorder=4)
        if l_idx == 0:
            name = f"input layer\n$D={sizes[0]}$ features"
        elif l_idx == n_layers - 1:
            name = f"output layer {l_idx}\n{sizes[-1]} unit" + ("s" if sizes[-1] > 1 else "")
        else:
            name = f"hidden layer {l_idx}\n$H_{{{l_idx}}}={sizes[l_idx]}$ units"
        ax.text(xs[l_idx], -height / 2.0 - 0.35, name, ha="center", va="top", fontsize=9)
        if l_idx > 0:
            ax.text((xs[l_idx - 1] + xs[l_idx]) / 2.0, height / 2.0 + 0.05,
                    f"$W^{{[{l_idx}]}}: {sizes[l_idx - 1]}\\times{sizes[l_idx]}$",
                    ha="center", va="bottom", fontsize=9, color="0.25")
    ax.set_xlim(-0.5 * xgap, xs[-1] + 0.5 * xgap)
    ax.set_ylim(-height / 2.0 - 1.3, height / 2.0 + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    """Scores of ``model`` on host array ``X`` (evaluation mode, restored afterwards)."""
    was_training = getattr(model, "training", None)
    has_modes = callable(getattr(model, "eval", None)) and callable(getattr(model, "train", None))
    if has_modes and was_training is not None:
        model.eval()
    try:
        out = model(B.asarray(X))
    finally:
        if has_modes and was_training is not None:
            model.train(bool(was_training))
    return B.to_numpy(out)


def decision_regions(model: Callable[[Any], Any], X: Any, y: Any, *, ax: Any = None,
                     title: str = "Decision regions", threshold: float = 0.5,
                     resolution: int = 150, padding: float = 0.5,
                     xlabel: str = "$x_1$ (feature 1, unitless)",
                     ylabel: str = "$x_2$ (feature 2, unitless)",
                     colorbar: bool = True, levels: int = 11,
                     figsize: tuple[float, float] = (5.0, 4.0)) -> Figure:
    """Colour the plane by a model's output and overlay the labelled points.

    Parameters
    ----------
    model : callable
        A dnnlib layer or ``Sequential`` (put in evaluation mode for the call and
        restored), or any function mapping an ``(N, 2)`` array to scores: shape
        ``(N,)`` or ``(N, 1)`` for two classes (a probability, or a logit with
        ``threshold=0``), ``(N, C)`` for ``C`` classes (arg-max regions).
    X : array, shape (N, 2)
        The points.
    y : array of int, shape (N,)
        Their classes.
    threshold : float
        Where the binary decision boundary is drawn.
    resolution : int
        Grid points per axis.
    levels : int
        Colour bands of the binary output (fewer bands, smaller PNGs).

    Returns
    -------
    Figure

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> fig = decision_regions(lambda Z: Z[:, 0] + Z[:, 1] - 1.0, X, y, threshold=0.0)
    >>> fig.axes[0].get_xlabel()
    '$x_1$ (feature 1, unitless)'
    """
    fn = "plot.decision_regions"
    X = _host(X, "X", fn).astype(np.float64)
    y = _host(y, "y", fn)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{fn}: X must have shape (N, 2), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"{fn}: y must have shape ({X.shape[0]},), got {y.shape}")
    if ax is None:
        fig, ax = new_figure(figsize=figsize)
    else:
        fig = ax.figure
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    scores = np.asarray(_predict(model, grid), dtype=np.float64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    if scores.ndim == 1:
        cmap = LinearSegmentedColormap.from_list("dnnlib_binary",
                                                 [CLASS_COLORS[0], "white", CLASS_COLORS[1]])
        s = scores.reshape(g1.shape)
        span = max(float(np.max(np.abs(s - threshold))), 1e-12)
        im = ax.contourf(g1, g2, s, levels=levels, cmap=cmap, alpha=0.55,
                         vmin=threshold - span, vmax=threshold + span)
        if s.min() < threshold < s.max():
            ax.contour(g1, g2, s, levels=[threshold], colors="black", linewidths=1.2)
        if colorbar:
            fig.colorbar(im, ax=ax, label="model output")
    else:
        n_cls = scores.shape[1]
        labels = np.argmax(scores, axis=1).reshape(g1.shape)
        cmap = ListedColormap([CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(n_cls)])
        ax.contourf(g1, g2, labels, levels=np.arange(n_cls + 1) - 0.5, cmap=cmap, alpha=0.35)
    for k in np.unique(y):
        m = y == k
        ax.scatter(X[m, 0], X[m, 1], s=14, color=CLASS_COLORS[int(k) % len(CLASS_COLORS)],
                   edgecolors="black", linewidths=0.4, label=f"class {int(k)}", zorder=3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.8)
    return fig


# --------------------------------------------------------------------------- chapters 2-3
def function_and_derivative(functions: Mapping[str, tuple[Callable, Callable]], *,
                            z: Any = None, title: str | None = None,
                            xlabel: str = "pre-activation $z$ (unitless)",
                            panel_size: tuple[float, float] = (3.2, 2.8)) -> Figure:
    """One panel per function: :math:`g(z)` and :math:`g'(z)` on the same axes.

    Parameters
    ----------
    functions : mapping name -> (g, g_prime)
        Each callable maps a float64 array to an array of the same shape (dnnlib's
        ``functional`` functions work as they are).
    z : array, optional
        The abscissae (default: 401 points in [-6, 6]).

    Examples
    --------
    >>> import numpy as np
    >>> fig = function_and_derivative({"square": (np.square, lambda z: 2 * z)})
    >>> fig.axes[0].get_title()
    'square'
    """
    fn = "plot.function_and_derivative"
    if not isinstance(functions, Mapping) or not functions:
        raise TypeError(f"{fn}: functions must be a non-empty mapping name -> (g, g_prime)")
    zz = np.linspace(-6.0, 6.0, 401) if z is None else _host(z, "z", fn).astype(np.float64)
    n = len(functions)
    fig, axes = new_figure(figsize=(panel_size[0] * n, panel_size[1]), ncols=n, sharey=False)
    axes = np.atleast_1d(axes)
    for ax, (name, pair) in zip(axes, functions.items(), strict=True):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(map(callable, pair))):
            raise TypeError(f"{fn}: functions[{name!r}] must be a pair (g, g_prime) of callables")
        g, dg = pair
        ax.axhline(0.0, color="0.8", lw=0.8)
        ax.axvline(0.0, color="0.8", lw=0.8)
        ax.plot(zz, B.to_numpy(g(zz)), color=CLASS_COLORS[0], lw=2, label="$g(z)$")
        ax.plot(zz, B.to_numpy(dg(zz)), color=CLASS_COLORS[1], lw=1.5, ls="--",
                label="$g'(z)$")
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value (unitless)")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- chapters 4-8
def loss_curves(curves: Any, *, title: str = "Learning curves", xlabel: str = "epoch",
                ylabel: str = "loss (mean cross-entropy, nats)", logy: bool = False,
                ax: Any = None, figsize: tuple[float, float] = (5.5, 3.5)) -> Figure:
    """Plot named sequences against the epoch (1, 2, ...).

    Parameters
    ----------
    curves : mapping name -> sequence of float, or an object with a ``history`` mapping
        For example ``{"train": [...], "validation": [...]}`` or a ``History``
        returned by ``dnnlib.train.fit`` (non-numeric entries are skipped).
    logy : bool
        Logarithmic loss axis.

    Examples
    --------
    >>> fig = loss_curves({"train": [1.0, 0.5, 0.3]})
    >>> fig.axes[0].get_xlabel()
    'epoch'
    """
    fn = "plot.loss_curves"
    if not isinstance(curves, Mapping):
        curves = getattr(curves, "history", None)
        if not isinstance(curves, Mapping):
            raise TypeError(f"{fn}: curves must be a mapping name -> values or have a "
                            f"'history' mapping, got {type(curves).__name__}")
    if ax is None:
        fig, ax = new_figure(figsize=figsize)
    else:
        fig = ax.figure
    drawn = 0
    for k, (name, values) in enumerate(curves.items()):
        try:
            v = np.asarray([float(B.to_numpy(t)) for t in values], dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if v.ndim != 1 or v.size == 0:
            continue
        ax.plot(np.arange(1, v.size + 1), v, marker="o" if v.size <= 30 else None, ms=3,
                color=CLASS_COLORS[k % len(CLASS_COLORS)], label=str(name))
        drawn += 1
    if drawn == 0:
        raise ValueError(f"{fn}: no numeric curve to draw in {list(curves)}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
