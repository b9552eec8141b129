"""Diagrams: the vocabulary figure of chapter 1 and the computational graphs of chapter 5."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.patches
import numpy as np
from matplotlib.figure import Figure

from ._base import new_figure

__all__ = ["network_diagram", "computation_graph"]


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

    from .. import autograd as AG

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

