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
    "computation_graph",
    "confusion_matrix",
    "digit_grid",
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


def figure_png(fig: Figure, dpi: float | None = None, *, colors: int | None = None) -> bytes:
    """The PNG bytes of ``fig``, identical on every run (no 'Software' metadata).

    Parameters
    ----------
    fig : matplotlib Figure
    dpi : float, optional
        Pixels per inch of the figure (default: the figure's own).
    colors : int, optional
        If given (2 to 256), a palette PNG of at most that many colours: median cut without
        dithering, deterministic, about 3x smaller than the full-colour PNG of a plot (the
        web book's explorers store their frames this way).

    Examples
    --------
    >>> fig, ax = new_figure(figsize=(2, 1), dpi=50)
    >>> figure_png(fig) == figure_png(fig)
    True
    >>> figure_png(fig, colors=64) == figure_png(fig, colors=64)
    True
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"figure_png: fig must be a matplotlib Figure, got {type(fig).__name__}")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, int)
                               or not 2 <= colors <= 256):
        raise ValueError(f"figure_png: colors must be an int in [2, 256] or None, got {colors!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi if dpi is not None else fig.dpi,
                metadata=_PNG_METADATA)
    if colors is None:
        return buf.getvalue()
    from PIL import Image  # Pillow: a dependency of matplotlib

    with Image.open(buf) as im:
        q = im.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.NONE)
    out = io.BytesIO()
    q.save(out, format="PNG", optimize=True)
    return out.getvalue()


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


# --------------------------------------------------------------------------- chapter 5
_OP_SYMBOLS = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "\u00f7", "neg": "\u2212x",
               "sigmoid": "\u03c3", "leaky_relu": "lrelu"}


def _op_symbol(op: str) -> str:
    """A short symbol for a :class:`~dnnlib.autograd.Value` operation (``"**2"`` -> ``"x^2"``)."""
    if op in _OP_SYMBOLS:
        return _OP_SYMBOLS[op]
    if op in ("**2", "**3"):
        return "x" + {"2": "\u00b2", "3": "\u00b3"}[op[2:]]
    if op.startswith("**"):
        return "x^" + op[2:]
    if op.endswith("**"):
        return op[:-2] + "^x"
    return op


def _node_set(which: Any, nodes: Sequence[Any], name: str, fn: str) -> set[int]:
    """ids of the nodes selected by ``which`` (True: all, False: none, or a collection)."""
    if which is True:
        return {id(n) for n in nodes}
    if which is False or which is None:
        return set()
    try:
        chosen = list(which)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a bool or a collection of Values, got "
                        f"{type(which).__name__}") from None
    known = {id(n) for n in nodes}
    ids = set()
    for v in chosen:
        if id(v) not in known:
            raise ValueError(f"{fn}: {name} holds {v!r}, which is not a node of the graph")
        ids.add(id(v))
    return ids


def computation_graph(root: Any, *, show_data: Any = True, show_grad: Any = True,
                      highlight: Any = (), title: str = "A computational graph",
                      ax: Any = None, figsize: tuple[float, float] | None = None,
                      fontsize: float = 8.5, fmt: str = "{:.3f}",
                      unit: float = 0.62) -> Figure:
    r"""Draw the computational graph of a scalar :class:`~dnnlib.autograd.Value`.

    Each node is a box with three lines: its label, its value (``data``, black) and
    the gradient of the output with respect to it (``grad``, red). The operation
    that produced it sits in a small circle on its left, fed by arrows from its
    operands. Columns follow
    :func:`dnnlib.autograd.layout` (forward pass from left to right). Inputs and
    parameters (leaves) are blue, computed nodes white, ``highlight`` ed nodes
    orange. Our own matplotlib code: no Graphviz needed.

    Parameters
    ----------
    root : Value
        The output of the graph (usually the loss :math:`L`).
    show_data, show_grad : bool or collection of Value
        Which values and gradients to print; the others show ``?`` (the step-through
        of chapter 5 reveals them step by step).
    highlight : collection of Value
        Nodes drawn in orange (the ones computed in the current step).
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new figure sized to the graph.
    figsize : (float, float), optional
        Size of the new figure (default: ``unit`` inches per layout unit).
    fontsize : float
        Size of the text in the boxes, in points.
    fmt : str
        Format of the numbers.
    unit : float
        Inches per layout unit, for the default ``figsize``.

    Returns
    -------
    Figure

    Notes
    -----
    Chapter 5: a node :math:`v` shows :math:`v` and :math:`\bar v = \partial L /
    \partial v`; backpropagation fills the :math:`\bar v` from right to left,
    :math:`\bar u \mathrel{+}= \bar v\, \partial v / \partial u` along every edge
    :math:`u \to v`.

    Examples
    --------
    >>> from dnnlib.autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = (a * b).tanh(); L.label = "L"
    >>> L.backward()
    >>> fig = computation_graph(L, title="L = tanh(ab)")
    >>> fig.axes[0].get_title()
    'L = tanh(ab)'
    """
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    from . import autograd as AG

    fn = "plot.computation_graph"
    if not isinstance(root, AG.Value):
        raise TypeError(f"{fn}: root must be a dnnlib.autograd.Value, got "
                        f"{type(root).__name__}")
    nodes, edges = AG.graph(root)
    data_ids = _node_set(show_data, nodes, "show_data", fn)
    grad_ids = _node_set(show_grad, nodes, "show_grad", fn)
    hi_ids = _node_set(highlight, nodes, "highlight", fn)
    pos = AG.layout(root)
    xgap, ygap = 1.8, 1.1  # layout units between columns and rows
    bw, r = 1.0, 0.21  # box width, radius of the operation's circle
    bh = 0.9  # three lines: label, data, grad
    xy = {id(n): (pos[n][0] * xgap, -pos[n][1] * ygap) for n in nodes}
    xs = [p[0] for p in xy.values()]
    ys = [p[1] for p in xy.values()]
    x0, x1 = min(xs) - bw / 2 - 0.1, max(xs) + bw / 2 + 0.1
    y0, y1 = min(ys) - bh / 2 - 0.1, max(ys) + bh / 2 + 0.1
    if ax is None:
        size = figsize or ((x1 - x0) * unit, (y1 - y0) * unit + 0.45)
        fig, ax = new_figure(figsize=size)
    else:
        fig = ax.figure

    def op_centre(n: Any) -> tuple[float, float]:
        x, y = xy[id(n)]
        return x - bw / 2 - r, y

    for u, v in edges:  # operand -> the operation that uses it
        (xu, yu), (xv, yv) = xy[id(u)], op_centre(v)
        ax.add_patch(FancyArrowPatch((xu + bw / 2, yu), (xv - r, yv), arrowstyle="-|>",
                                     mutation_scale=8, color="0.45", lw=0.9,
                                     shrinkA=0, shrinkB=0, zorder=1))
    for n in nodes:
        x, y = xy[id(n)]
        if id(n) in hi_ids:
            face = "#FFD28A"
        elif n.is_leaf:
            face = "#D6EAF8"
        else:
            face = "white"
        ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=face, edgecolor="black",
                                    lw=1.6 if n is root else 0.9, zorder=2))
        data = fmt.format(n.data) if id(n) in data_ids else "?"
        grad = fmt.format(n.grad) if id(n) in grad_ids else "?"
        ax.text(x, y + 0.26, n.label or "", ha="center", va="center", fontsize=fontsize,
                fontweight="bold", zorder=3)
        ax.text(x, y, data, ha="center", va="center", fontsize=fontsize,
                color="black" if id(n) in data_ids else "0.55", zorder=3)
        ax.text(x, y - 0.26, grad, ha="center", va="center", fontsize=fontsize,
                color="#B03A2E" if id(n) in grad_ids else "0.55", zorder=3)
        if not n.is_leaf:
            cx, cy = op_centre(n)
            ax.add_patch(Circle((cx, cy), r, facecolor="#F2F3F4", edgecolor="black", lw=0.8,
                                zorder=2))
            ax.plot([cx + r, x - bw / 2], [cy, y], color="black", lw=0.8, zorder=1)
            sym = _op_symbol(n.op)
            ax.text(cx, cy, sym, ha="center", va="center", zorder=3,
                    fontsize=fontsize * (1.0 if len(sym) <= 2 else 0.8))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- chapter 6
def confusion_matrix(y_true: Any, y_pred: Any, *, num_classes: int | None = None,
                     class_names: Sequence[str] | None = None, ax: Any = None,
                     title: str = "Confusion matrix",
                     figsize: tuple[float, float] = (4.8, 4.2)) -> Figure:
    r"""Draw the confusion matrix of integer labels: row = true class, column = predicted.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (N,)
        True and predicted classes in ``{0, ..., C-1}`` (any backend).
    num_classes : int, optional
        ``C``; default ``max(y_true, y_pred) + 1``.
    class_names : sequence of str, optional
        Tick labels (default ``0, 1, ...``).

    Returns
    -------
    Figure
        One axes; cell ``(i, j)`` shows :math:`M_{ij}`, the number of examples of class
        ``i`` predicted as ``j``; the diagonal holds the correct predictions. The counts
        are in ``fig.confusion`` (a ``(C, C)`` int array).

    Notes
    -----
    :math:`M_{ij} = \#\{n : y_n = i,\ \hat y_n = j\}`; accuracy is
    :math:`\operatorname{tr} M / N` (Chapter 6).

    Examples
    --------
    >>> import numpy as np
    >>> fig = confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
    >>> fig.confusion.tolist()
    [[1, 0], [1, 1]]
    """
    fn = "plot.confusion_matrix"
    t = _host(y_true, "y_true", fn)
    p = _host(y_pred, "y_pred", fn)
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise TypeError(f"{fn}: {name} must be a 1-D array of int class labels, got "
                            f"dtype {a.dtype} and shape {a.shape}")
        if a.size and a.min() < 0:
            raise ValueError(f"{fn}: {name} must hold labels >= 0, got {int(a.min())}")
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true and y_pred must have the same shape, got {t.shape} "
                         f"and {p.shape}")
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    c = top if num_classes is None else int(num_classes)
    if c < max(top, 1):
        raise ValueError(f"{fn}: num_classes must be >= {max(top, 1)} (the largest label + 1), "
                         f"got {num_classes}")
    names = [str(k) for k in range(c)] if class_names is None else [str(s) for s in class_names]
    if len(names) != c:
        raise ValueError(f"{fn}: class_names must have {c} entries, got {len(names)}")
    m = np.bincount(t.astype(np.int64) * c + p.astype(np.int64), minlength=c * c).reshape(c, c)
    if ax is None:
        fig, ax = new_figure(figsize=figsize)
    else:
        fig = ax.figure
    im = ax.imshow(m, cmap="Blues", vmin=0, vmax=max(int(m.max()), 1))
    half = max(int(m.max()), 1) / 2
    for i in range(c):
        for j in range(c):
            if m[i, j]:
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if m[i, j] > half else ("black" if i == j else "#B00000"))
    ax.set_xticks(range(c), names)
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="number of examples", shrink=0.8)
    fig.confusion = m
    return fig


def digit_grid(images: Any, *, titles: Sequence[str] | None = None, ncols: int = 10,
               image_shape: tuple[int, int] = (8, 8), title: str | None = None,
               title_colors: Sequence[str] | None = None, cell_size: float = 0.8) -> Figure:
    """Show small grey-scale images (rows of pixels) in a grid, with optional captions.

    Parameters
    ----------
    images : array, shape (K, H*W) or (K, H, W)
        One image per row (for example ``load_digits(as_float=False)`` pixels).
    titles : sequence of str, optional
        A caption per image (for example ``"7 -> 9"``: true -> predicted).
    ncols : int
        Images per row of the grid.
    image_shape : (H, W)
        Shape of one image when ``images`` is 2-D.
    title_colors : sequence of str, optional
        A colour per caption.
    cell_size : float
        Inches per image.

    Returns
    -------
    Figure
        Dark pixels are high values (ink), as on paper.

    Examples
    --------
    >>> import numpy as np
    >>> fig = digit_grid(np.zeros((3, 64)), titles=["a", "b", "c"], ncols=2)
    >>> len(fig.axes), fig.axes[2].get_title()
    (4, 'c')
    """
    fn = "plot.digit_grid"
    a = _host(images, "images", fn).astype(np.float64)
    h, w = (int(s) for s in image_shape)
    if a.ndim == 2:
        if a.shape[1] != h * w:
            raise ValueError(f"{fn}: images of {a.shape[1]} pixels do not fit image_shape "
                             f"{(h, w)}")
        a = a.reshape(-1, h, w)
    if a.ndim != 3 or a.shape[0] == 0:
        raise ValueError(f"{fn}: images must have shape (K, H*W) or (K, H, W) with K > 0, "
                         f"got {a.shape}")
    k = a.shape[0]
    if titles is not None and len(titles) != k:
        raise ValueError(f"{fn}: titles must have one entry per image ({k}), got {len(titles)}")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"{fn}: ncols must be a positive int, got {ncols!r}")
    cols = min(ncols, k)
    rows = -(-k // cols)
    extra = 0.35 if titles is not None else 0.1
    fig, axes = new_figure(figsize=(cols * cell_size, rows * (cell_size + extra) +
                                    (0.35 if title else 0.0)), nrows=rows, ncols=cols)
    axes = np.atleast_1d(axes).ravel()
    lo, hi = float(a.min()), float(a.max())
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= k:
            continue
        ax.imshow(a[i], cmap="gray_r", vmin=lo, vmax=hi if hi > lo else lo + 1.0,
                  interpolation="nearest")
        if titles is not None:
            color = "black" if title_colors is None else title_colors[i]
            ax.set_title(str(titles[i]), fontsize=8, color=color, pad=2)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


