r"""Loss surfaces of two parameters and the paths optimizers take on them (chapter 4).

A surface is any object with a ``grid(n)`` method returning ``(X1, X2, F)`` on a
plotting window ``xlim``, ``ylim``, and a ``minimum`` :math:`\theta^*` (the surfaces of
:mod:`dnnlib.lab.surfaces` are); a path is a :class:`~dnnlib.lab.surfaces.Trajectory`
(what :func:`~dnnlib.lab.surfaces.optimize_path` returns) or an array of points
``(K + 1, 2)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import backend as B
from ._base import CLASS_COLORS, figure_and_axes, host_array, named, pick
from .curves import learning_curves

__all__ = ["loss_surface", "path_losses"]


def _points(path: Any, fn: str) -> np.ndarray:
    pts = getattr(path, "points", path)
    arr = host_array(pts, "a path", fn).astype(np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"{fn}: a path must be a Trajectory or an array of points (K + 1, 2), "
                         f"got shape {arr.shape}")
    return arr


def loss_surface(surface: Any, paths: Any = None, *, ax: Any = None, title: str | None = None,
                 levels: int = 14, n: int = 120, eigenvectors: bool = False,
                 max_points: int | None = None, colors: Any = None, legend: bool = True,
                 legend_loc: str = "upper right",
                 figsize: tuple[float, float] = (4.6, 3.8)) -> Figure:
    r"""Contours of a 2-D loss surface, its minimum, and optimizer paths on it.

    Parameters
    ----------
    surface : Surface
        For example :class:`~dnnlib.lab.surfaces.Quadratic` or
        :class:`~dnnlib.lab.surfaces.Rosenbrock`: contours of :math:`\mathcal L(\theta)`
        on the surface's window, spaced geometrically (a loss spans decades), and the
        minimum :math:`\theta^*` as a black star.
    paths : Trajectory, array (K + 1, 2), sequence or mapping label -> path, optional
        The paths to draw: each a line through its points (dots for paths of at most
        101 points) with a square at the start; labelled paths get a legend.
    ax : matplotlib Axes, optional
        Draw into this axes (a panel of a larger figure).
    title : str, optional
        Default: the surface's ``name``.
    levels : int
        Number of contour lines.
    n : int
        Grid points per axis.
    eigenvectors : bool
        Dashed lines through the minimum along the eigenvectors of a quadratic's
        matrix (``surface.eigenvectors``): its flat and steep directions.
    max_points : int, optional
        Draw only the first ``max_points`` points of each path.
    colors : mapping label -> colour, list, or one colour
        Default: :data:`CLASS_COLORS` in order.
    legend : bool
        A legend of the labelled paths (``False``: none, for example when a panel
        beside it has one).
    legend_loc : str
        Where the legend goes.
    figsize : (float, float)
        Size of a new figure, in inches.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from dnnlib.lab.surfaces import Quadratic, optimize_path
    >>> bowl = Quadratic([[2.0, 0.0], [0.0, 1.0]])
    >>> path = optimize_path(bowl, "sgd", start=[3.0, 3.0], steps=10, lr=0.3)
    >>> fig = loss_surface(bowl, {"SGD, lr = 0.3": path}, eigenvectors=True)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_legend().get_texts()[0].get_text()
    ('$\\theta_1$ (unitless)', 'SGD, lr = 0.3')
    """
    fn = "plot.loss_surface"
    if not (hasattr(surface, "grid") and hasattr(surface, "minimum")):
        raise TypeError(f"{fn}: surface must have grid() and minimum (a dnnlib.lab.surfaces "
                        f"Surface), got {type(surface).__name__}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"{fn}: levels must be an int >= 2, got {levels!r}")
    fig, ax = figure_and_axes(ax, figsize)
    X1, X2, F = surface.grid(n=n)
    lo = max(float(np.min(F)), 1e-3) + 1e-2
    ax.contour(X1, X2, F, levels=np.geomspace(lo, float(np.max(F)), levels), colors="0.6",
               linewidths=0.6)
    minimum = np.asarray(B.to_numpy(surface.minimum), dtype=np.float64)
    ax.plot(*minimum, marker="*", ms=11, color="black", zorder=5, ls="")
    if eigenvectors:
        vecs = getattr(surface, "eigenvectors", None)
        if vecs is None:
            raise ValueError(f"{fn}: eigenvectors=True needs a surface with eigenvectors (a "
                             f"Quadratic), got {type(surface).__name__}")
        for vec in np.asarray(vecs, dtype=np.float64).T:
            ax.axline(tuple(minimum), tuple(minimum + vec), ls="--", lw=0.7, color="0.4")
    labelled = False
    if paths is not None:
        for k, (label, path) in enumerate(named(paths, fn, "paths").items()):
            pts = _points(path, fn)[:max_points]
            color = pick(colors, label, k, CLASS_COLORS[k % len(CLASS_COLORS)])
            ax.plot(pts[:, 0], pts[:, 1], "-o" if len(pts) <= 101 else "-", ms=2.5, lw=1.1,
                    color=color, label=label or None)
            ax.plot(*pts[0], "s", ms=5, color=color)
            labelled = labelled or bool(label)
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_xlabel(r"$\theta_1$ (unitless)")
    ax.set_ylabel(r"$\theta_2$ (unitless)")
    ax.set_title(title if title is not None else str(getattr(surface, "name", "")),
                 fontsize=10)
    if labelled and legend:
        ax.legend(fontsize=7, loc=legend_loc)
    return fig


def path_losses(paths: Any, *, ax: Any = None, title: str = "Loss per step",
                floor: float = 1e-16, colors: Any = None, linestyles: Any = None,
                ylim: tuple[float, float] | None = None, legend_loc: str = "best",
                figsize: tuple[float, float] = (5.5, 3.5)) -> Figure:
    r"""The loss :math:`\mathcal L(\theta_t)` along each path, step by step, on a log axis.

    Parameters
    ----------
    paths : mapping label -> Trajectory (or its ``losses``), or a sequence of them
        The runs to compare; step 0 is the start.
    floor : float
        Losses below ``floor`` are drawn at ``floor`` (a path that reaches the minimum
        exactly has loss 0).
    ax, title, colors, linestyles, ylim, legend_loc, figsize
        As in :func:`learning_curves`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from dnnlib.lab.surfaces import Quadratic, optimize_path
    >>> bowl = Quadratic([[2.0, 0.0], [0.0, 1.0]])
    >>> paths = {f"lr = {lr}": optimize_path(bowl, "sgd", [1.0, 1.0], 20, lr=lr)
    ...          for lr in (0.1, 0.5)}
    >>> ax = path_losses(paths).axes[0]
    >>> ax.get_yscale(), [line.get_label() for line in ax.lines]
    ('log', ['lr = 0.1', 'lr = 0.5'])
    """
    fn = "plot.path_losses"
    curves, xs = {}, {}
    for label, path in named(paths, fn, "paths").items():
        losses = host_array(getattr(path, "losses", path), "losses", fn).astype(np.float64)
        if losses.ndim != 1:
            raise ValueError(f"{fn}: the losses of path {label!r} must be 1-D, got shape "
                             f"{losses.shape}")
        curves[label], xs[label] = losses, np.arange(losses.size)
    return learning_curves(curves, x=xs, ax=ax, title=title, xlabel="step $t$",
                           ylabel=r"loss $\mathcal{L}(\theta_t)$ (log scale)", logy=True,
                           colors=colors, linestyles=linestyles, markers=False, floor=floor,
                           ylim=ylim, legend_loc=legend_loc, figsize=figsize)
