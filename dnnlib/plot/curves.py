"""Curves: functions and their derivatives, learning curves, sweeps, the range test.

Chapters 2-8 (and appendix A1): every figure that draws numbers against an epoch, a
step, a learning rate or another hyperparameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import backend as B
from ._base import CLASS_COLORS, figure_and_axes, host_array, new_figure, pick

__all__ = ["function_and_derivative", "learning_curves", "loss_curves", "hyperparameter_sweep",
           "lr_range_test"]


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
    zz = np.linspace(-6.0, 6.0, 401) if z is None else host_array(z, "z", fn).astype(np.float64)
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



# --------------------------------------------------------------------------- learning curves
def _curve_rows(values: Any, label: str, fn: str) -> np.ndarray | None:
    """``values`` as a float64 array ``(runs, T)``; None for a non-numeric record."""
    try:
        if B.is_array(values) or isinstance(values, np.ndarray):
            v = np.asarray(B.to_numpy(values), dtype=np.float64)
        else:
            v = np.asarray([np.asarray(B.to_numpy(t) if B.is_array(t) else t, dtype=np.float64)
                            for t in values], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[1] == 0:
        raise ValueError(f"{fn}: curve {label!r} must be a sequence of numbers (T,) or an "
                         f"array (runs, T) with T > 0, got shape {v.shape}")
    return v


def _records(curves: Any, fn: str) -> Mapping[str, Any]:
    """The mapping ``label -> values`` of ``curves`` (a mapping, or a History)."""
    if isinstance(curves, Mapping):
        return curves
    for attr in ("epochs", "history"):  # dnnlib's History, or a Keras-like one
        rec = getattr(curves, attr, None)
        if isinstance(rec, Mapping):
            return rec
    raise TypeError(f"{fn}: curves must be a mapping label -> values or a History, got "
                    f"{type(curves).__name__}")


def learning_curves(curves: Any, *, x: Any = None, ax: Any = None,
                    title: str = "Learning curves", xlabel: str = "epoch",
                    ylabel: str = "loss (mean cross-entropy, nats)", logx: bool = False,
                    logy: bool = False, colors: Any = None, linestyles: Any = None,
                    markers: Any = None, spread: str = "band", center: str = "mean",
                    smooth: int | None = None, floor: float | None = None,
                    ylim: tuple[float, float] | None = None, legend: bool = True,
                    legend_loc: str = "best",
                    figsize: tuple[float, float] = (5.5, 3.5)) -> Figure:
    r"""Curves against the epoch (or the step, or any ``x``): one line per named run.

    The figure of every training run in the book: training and validation loss per
    epoch (chapters 6-8), the loss per step of several optimizers (chapter 4), the
    same setting over several seeds as a mean with a band (chapter 7).

    Parameters
    ----------
    curves : mapping label -> values, or a ``History``
        ``values`` is a sequence of ``T`` numbers (one run), or an array of shape
        ``(runs, T)``: several runs of one setting (seeds), drawn as ``spread`` says.
        A :class:`~dnnlib.train.History` draws its per-epoch records. Non-numeric
        records are skipped.
    x : array (T,), or mapping label -> array, optional
        The abscissae; default ``1, ..., T`` (epochs counted from 1).
    ax : matplotlib Axes, optional
        Draw into this axes (a panel of a larger figure; its title is then set in a
        smaller font).
    title, xlabel, ylabel : str
        Say what is drawn and in which units.
    logx, logy : bool
        Logarithmic axes.
    colors, linestyles, markers : mapping label -> value, list, or one value
        Styles per curve (a list is cycled; absent labels get the default). Colours
        default to :data:`CLASS_COLORS` in order; markers to ``"o"`` for curves of at
        most 30 points (``False``: none).
    spread : {"band", "runs", "none"}
        For ``(runs, T)`` values: the ``center`` line with a band from the smallest to
        the largest run, every run as a thin line, or the ``center`` line alone.
    center : {"mean", "median"}
        The line drawn for several runs.
    smooth : int, optional
        A trailing moving average over ``smooth`` points (noisy per-step losses); the
        curve then starts at point ``smooth``.
    floor : float, optional
        Values below ``floor`` are drawn at ``floor`` (a loss of exactly 0 on a log
        axis).
    ylim : (float, float), optional
    legend : bool
        Draw a legend (only when some curve has a label).
    legend_loc : str
        Where (matplotlib's ``loc``).
    figsize : (float, float)
        Size of a new figure, in inches.

    Returns
    -------
    Figure
        The figure holding the axes (``fig.axes``); its lines are ``ax.lines``.

    Examples
    --------
    >>> import numpy as np
    >>> fig = learning_curves({"training": [1.0, 0.5, 0.3],
    ...                        "validation": np.array([[1.1, 0.7, 0.6], [1.3, 0.9, 0.8]])})
    >>> ax = fig.axes[0]
    >>> [line.get_label() for line in ax.lines], len(ax.collections)  # 1 band for 2 runs
    (['training', 'validation'], 1)
    """
    fn = "plot.learning_curves"
    if spread not in ("band", "runs", "none"):
        raise ValueError(f"{fn}: spread must be 'band', 'runs' or 'none', got {spread!r}")
    if center not in ("mean", "median"):
        raise ValueError(f"{fn}: center must be 'mean' or 'median', got {center!r}")
    if smooth is not None and (isinstance(smooth, bool) or not isinstance(smooth, int)
                               or smooth < 1):
        raise ValueError(f"{fn}: smooth must be a positive int, got {smooth!r}")
    records = _records(curves, fn)
    panel = ax is not None
    fig, ax = figure_and_axes(ax, figsize)
    drawn = 0
    for k, (label, values) in enumerate(records.items()):
        v = _curve_rows(values, str(label), fn)
        if v is None:
            continue
        xs = x.get(label) if isinstance(x, Mapping) else x
        xs = (np.arange(1, v.shape[1] + 1, dtype=np.float64) if xs is None
              else host_array(xs, "x", fn).astype(np.float64).ravel())
        if xs.shape != (v.shape[1],):
            raise ValueError(f"{fn}: x of curve {label!r} must have {v.shape[1]} entries, "
                             f"got {xs.shape[0]}")
        if smooth is not None and smooth > 1:
            if v.shape[1] < smooth:
                raise ValueError(f"{fn}: curve {label!r} has {v.shape[1]} points, fewer than "
                                 f"smooth={smooth}")
            kernel = np.ones(smooth) / smooth
            v = np.array([np.convolve(row, kernel, mode="valid") for row in v])
            xs = xs[smooth - 1:]
        if floor is not None:
            v = np.maximum(v, float(floor))
        color = pick(colors, label, k, CLASS_COLORS[k % len(CLASS_COLORS)])
        ls = pick(linestyles, label, k, "-")
        mk = pick(markers, label, k, None)
        if mk is None:
            mk = "o" if v.shape[1] <= 30 else ""
        elif mk is True:
            mk = "o"
        elif mk is False:
            mk = ""
        mid = np.mean(v, axis=0) if center == "mean" else np.median(v, axis=0)
        text = str(label) or None
        if v.shape[0] > 1 and spread == "runs":
            for r, row in enumerate(v):
                ax.plot(xs, row, ls=ls, marker=mk, ms=3, lw=0.8, alpha=0.6, color=color,
                        label=text if r == 0 else None)
        else:
            if v.shape[0] > 1 and spread == "band":
                ax.fill_between(xs, v.min(axis=0), v.max(axis=0), color=color, alpha=0.25,
                                lw=0)
            ax.plot(xs, mid, ls=ls, marker=mk, ms=3, color=color, label=text)
        drawn += 1
    if drawn == 0:
        raise ValueError(f"{fn}: no numeric curve to draw in {list(records)}")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10 if panel else None)  # a panel of a larger figure: smaller
    ax.grid(alpha=0.3, which="both" if logy or logx else "major")
    if legend and any(line.get_label() and not line.get_label().startswith("_")
                      for line in ax.lines):
        ax.legend(fontsize=8, loc=legend_loc)
    return fig


def loss_curves(curves: Any, *, title: str = "Learning curves", xlabel: str = "epoch",
                ylabel: str = "loss (mean cross-entropy, nats)", logy: bool = False,
                ax: Any = None, figsize: tuple[float, float] = (5.5, 3.5)) -> Figure:
    """Plot named sequences against the epoch (1, 2, ...): :func:`learning_curves`.

    Parameters
    ----------
    curves : mapping name -> sequence of float, or a History
        For example ``{"train": [...], "validation": [...]}`` or the ``History``
        returned by ``dnnlib.train.fit`` (non-numeric entries are skipped).
    logy : bool
        Logarithmic loss axis.

    Examples
    --------
    >>> fig = loss_curves({"train": [1.0, 0.5, 0.3]})
    >>> fig.axes[0].get_xlabel()
    'epoch'
    """
    return learning_curves(curves, title=title, xlabel=xlabel, ylabel=ylabel, logy=logy,
                           ax=ax, figsize=figsize)


# --------------------------------------------------------------------------- sweeps
def hyperparameter_sweep(values: Any, results: Mapping[str, Any], *, ax: Any = None,
                         title: str = "Results against a hyperparameter",
                         xlabel: str = "learning rate $\\eta$", ylabel: str = "test accuracy",
                         logx: bool = False, logy: bool = False, colors: Any = None,
                         ylim: tuple[float, float] | None = None, legend: bool = True,
                         legend_loc: str = "best",
                         figsize: tuple[float, float] = (5.5, 3.5)) -> Figure:
    r"""One result per value of a hyperparameter, for a few settings; failed runs marked.

    The figure of a learning-rate sweep (chapters 4, 6, 8) or of a sweep of the drop
    probability (chapter 7): each setting is a line through its results, a run that
    diverged is an ``x`` at the bottom of the axes, and several runs (seeds) of one
    setting are dots around the line through their mean.

    Parameters
    ----------
    values : sequence of K numbers
        The hyperparameter's values (the abscissae).
    results : mapping label -> sequence of K entries
        One entry per value: a number; ``None`` or NaN for a run that diverged (or
        failed); or a sequence of numbers, one per run.
    ax, title, xlabel, ylabel, logx, logy, colors, ylim, legend, legend_loc, figsize
        As in :func:`learning_curves`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = hyperparameter_sweep([0.1, 1.0, 10.0], {"plain": [0.9, 0.95, None],
    ...                                                "normalized": [0.8, 0.96, 0.95]},
    ...                            logx=True)
    >>> ax = fig.axes[0]
    >>> [line.get_label() for line in ax.lines]
    ['plain', 'plain: diverged', 'normalized']
    """
    fn = "plot.hyperparameter_sweep"
    xs = host_array(values, "values", fn).astype(np.float64).ravel()
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"{fn}: results must be a non-empty mapping label -> results")
    panel = ax is not None
    fig, ax = figure_and_axes(ax, figsize)
    from matplotlib.transforms import blended_transform_factory

    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    for k, (label, row) in enumerate(results.items()):
        row = list(row)
        if len(row) != xs.size:
            raise ValueError(f"{fn}: results[{label!r}] must have one entry per value "
                             f"({xs.size}), got {len(row)}")
        color = pick(colors, label, k, CLASS_COLORS[k % len(CLASS_COLORS)])
        mean, failed, dots_x, dots_y = [], [], [], []
        for xv, entry in zip(xs, row, strict=True):
            runs = (np.atleast_1d(np.asarray(entry, dtype=np.float64))
                    if entry is not None else np.array([np.nan]))
            if runs.ndim != 1 or runs.size == 0:
                raise ValueError(f"{fn}: results[{label!r}] holds an entry of shape "
                                 f"{runs.shape}; expected a number or a list of numbers")
            ok = runs[np.isfinite(runs)]
            mean.append(float(ok.mean()) if ok.size else np.nan)
            if ok.size < runs.size:
                failed.append(xv)
            if runs.size > 1:
                dots_x += [xv] * ok.size
                dots_y += ok.tolist()
        several = bool(dots_x)
        ax.plot(xs, mean, "o-", ms=4, color=color,
                label=f"{label}: mean" if several else str(label))
        if several:
            ax.plot(dots_x, dots_y, "o", ms=3, alpha=0.45, color=color,
                    label=f"{label}: each run")
        if failed:
            ax.plot(failed, [0.03] * len(failed), "x", ms=9, mew=2, color=color,
                    transform=bottom, clip_on=False, label=f"{label}: diverged")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10 if panel else None)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=8, loc=legend_loc)
    return fig


def lr_range_test(result: Any, *, ax: Any = None,
                  title: str = "Learning-rate range test",
                  ylabel: str = "training loss (nats)", ylim: tuple[float, float] | None = None,
                  figsize: tuple[float, float] = (6.0, 3.5)) -> Figure:
    r"""The curve of :func:`dnnlib.train.lr_find`: loss against the learning rate.

    Parameters
    ----------
    result : LRFindResult
        What ``lr_find`` returned (``rates``, ``losses``, ``smoothed``,
        ``suggested_lr``).
    ax, title, ylabel, ylim, figsize
        As in :func:`learning_curves`.

    Returns
    -------
    Figure
        Grey dots: the mini-batch loss of each step; a line: the smoothed loss; a dashed
        vertical line: the suggested rate (Chapter 4).

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.train import LRFindResult
    >>> r = np.geomspace(1e-3, 1.0, 5)
    >>> res = LRFindResult(r, np.array([2.0, 1.9, 1.0, 0.8, 5.0]),
    ...                    np.array([2.0, 1.95, 1.6, 1.3, 2.0]), 0.03)
    >>> fig = lr_range_test(res)
    >>> fig.axes[0].get_xscale(), len(fig.axes[0].lines)
    ('log', 3)
    """
    fn = "plot.lr_range_test"
    try:
        rates = host_array(result.rates, "result.rates", fn).astype(np.float64)
        losses = host_array(result.losses, "result.losses", fn).astype(np.float64)
        smoothed = host_array(result.smoothed, "result.smoothed", fn).astype(np.float64)
        suggested = float(result.suggested_lr)
    except AttributeError:
        raise TypeError(f"{fn}: result must be what dnnlib.train.lr_find returns, got "
                        f"{type(result).__name__}") from None
    if not (rates.shape == losses.shape == smoothed.shape) or rates.ndim != 1:
        raise ValueError(f"{fn}: result.rates, losses and smoothed must be 1-D arrays of one "
                         f"length, got {rates.shape}, {losses.shape}, {smoothed.shape}")
    panel = ax is not None
    fig, ax = figure_and_axes(ax, figsize)
    ax.plot(rates, losses, ".", ms=4, color="0.6", label="loss of each step")
    ax.plot(rates, smoothed, color=CLASS_COLORS[0], label="smoothed")
    ax.axvline(suggested, color=CLASS_COLORS[1], ls="--",
               label=f"suggested lr = {suggested:.3g}")
    ax.set_xscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("learning rate $\\eta$ (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10 if panel else None)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
