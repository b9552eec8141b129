r"""Distributions inside a network: per-layer histograms and percentiles over training.

What the monitors of :mod:`dnnlib.lab.monitors` record (chapter 8), and the
pre-activations and activations of chapters 2 and 5: one panel per layer, or the
percentiles of one layer as training goes on (Ioffe & Szegedy's figure 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._base import CLASS_COLORS, figure_and_axes, host_array, new_figure

__all__ = ["layer_histograms", "percentile_curves"]


def layer_histograms(values: Sequence[Any], *, bins: int = 32,
                     value_range: tuple[float, float] = (-4.0, 4.0),
                     reference: str | None = "normal", title: str | None = None,
                     xlabel: str = "pre-activation $z$ (unitless)",
                     names: Sequence[str] | None = None, color: str = CLASS_COLORS[0],
                     ylim: tuple[float, float] | None = None, ncols: int = 4,
                     panel_size: tuple[float, float] = (2.0, 1.8), dpi: int = 72) -> Figure:
    r"""One histogram per layer of the values a layer holds, on a common axis.

    Parameters
    ----------
    values : sequence of arrays
        ``values[l]``: the values of layer ``l + 1`` (any shape, for example
        :math:`Z^{[l]}` of shape :math:`(N, n_l)`; all units pooled), any backend.
    bins : int
        Number of bins over ``value_range``.
    value_range : (float, float)
        The common horizontal axis. Values outside it are counted in the first or
        last bin (a wide distribution shows bumps at the edges), so every panel holds
        all its values.
    reference : {"normal", None}
        ``"normal"`` adds the standard normal density :math:`\mathcal N(0, 1)` as a
        dashed line.
    title : str, optional
        The figure's title (say what, when and in which network).
    xlabel : str
        Label of the bottom row's horizontal axes.
    names : sequence of str, optional
        A title per panel; default ``"layer l: std s"`` with the standard deviation of
        the layer's values (before clipping).
    color : str
        The bars' colour.
    ylim : (float, float), optional
        The density axis of every panel (default: matplotlib's, per panel).
    ncols : int
        Panels per row.
    panel_size : (float, float)
        Inches per panel.
    dpi : int
        Resolution of the figure.

    Returns
    -------
    Figure
        ``len(values)`` panels (empty cells of the last row are switched off), each a
        density histogram: the bars of a panel integrate to 1.

    Examples
    --------
    >>> import numpy as np
    >>> fig = layer_histograms([np.array([[-1.0, 1.0]]), np.array([[-2.0, 2.0], [2.0, -2.0]])],
    ...                        title="Two layers")
    >>> [ax.get_title() for ax in fig.axes]
    ['layer 1: std 1.00', 'layer 2: std 2.00']
    """
    fn = "plot.layer_histograms"
    layers = [host_array(v, f"values[{i}]", fn).astype(np.float64).ravel()
              for i, v in enumerate(values)]
    if not layers or any(v.size == 0 for v in layers):
        raise ValueError(f"{fn}: values must hold at least one non-empty array per layer")
    lo, hi = (float(t) for t in value_range)
    if not hi > lo:
        raise ValueError(f"{fn}: value_range must be (low, high) with low < high, got "
                         f"{value_range!r}")
    if reference not in ("normal", None):
        raise ValueError(f"{fn}: reference must be 'normal' or None, got {reference!r}")
    if names is not None and len(names) != len(layers):
        raise ValueError(f"{fn}: names must have one entry per layer ({len(layers)}), got "
                         f"{len(names)}")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"{fn}: ncols must be a positive int, got {ncols!r}")
    cols = min(ncols, len(layers))
    rows = -(-len(layers) // cols)
    fig, axes = new_figure(figsize=(panel_size[0] * cols, panel_size[1] * rows + 0.4), dpi=dpi,
                           nrows=rows, ncols=cols)
    axes = np.atleast_1d(axes).ravel()
    edges = np.linspace(lo, hi, bins + 1)
    z = np.linspace(lo, hi, 200)
    for i, ax in enumerate(axes):
        if i >= len(layers):
            ax.set_axis_off()
            continue
        v = layers[i]
        ax.hist(np.clip(v, lo, hi), bins=edges, density=True, color=color)
        if reference == "normal":
            ax.plot(z, np.exp(-z**2 / 2) / np.sqrt(2 * np.pi), "k--", lw=0.8)
        ax.set_title(names[i] if names is not None else f"layer {i + 1}: std {v.std():.2f}",
                     fontsize=9)
        ax.set_xlim(lo, hi)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.tick_params(labelsize=8)
        if i >= len(layers) - cols:
            ax.set_xlabel(xlabel, fontsize=9)
        if i % cols == 0:
            ax.set_ylabel("density", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def percentile_curves(x: Any, percentiles: Any, q: Sequence[float] = (15, 50, 85), *,
                      ax: Any = None, title: str = "Percentiles during training",
                      xlabel: str = "optimizer step",
                      ylabel: str = "pre-activation $z$ (unitless)",
                      color: str = CLASS_COLORS[0], ylim: tuple[float, float] | None = None,
                      figsize: tuple[float, float] = (5.0, 3.4)) -> Figure:
    r"""Percentiles of a layer's values at each record: the median solid, the others dashed.

    Parameters
    ----------
    x : array (R,)
        When each record was taken (for example a monitor's ``steps``).
    percentiles : array (R, len(q))
        The percentiles at each record (for example
        ``PreActivationMonitor.percentiles(q, layer=-1)``).
    q : sequence of float
        Which percentiles the columns are (for the legend).
    ax, title, xlabel, ylabel, ylim, figsize
        As in :func:`learning_curves`.
    color : str
        One colour for all the lines.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import numpy as np
    >>> pct = np.array([[-1.0, 0.0, 1.0], [-1.5, -0.1, 1.2]])
    >>> ax = percentile_curves([0, 10], pct).axes[0]
    >>> [line.get_label() for line in ax.lines]
    ['15th percentile', '50th percentile', '85th percentile']
    """
    fn = "plot.percentile_curves"
    xs = host_array(x, "x", fn).astype(np.float64).ravel()
    pct = host_array(percentiles, "percentiles", fn).astype(np.float64)
    q = [float(v) for v in q]
    if pct.shape != (xs.size, len(q)):
        raise ValueError(f"{fn}: percentiles must have shape (len(x), len(q)) = "
                         f"({xs.size}, {len(q)}), got {pct.shape}")
    panel = ax is not None
    fig, ax = figure_and_axes(ax, figsize)
    for k, level in enumerate(q):
        ax.plot(xs, pct[:, k], "-" if level == 50 else "--", color=color,
                label=f"{level:g}th percentile")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10 if panel else None)  # a panel of a larger figure: smaller
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig
