"""Classifiers and their data: decision regions, confusion matrices, image grids.

Chapters 1, 2, 6 and 7 (and the playground of appendix A1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import backend as B
from ._base import CLASS_COLORS, host_array, new_figure

__all__ = ["decision_regions", "confusion_matrix", "digit_grid"]


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    """Scores of ``model`` on host array ``X`` (a dnnlib model in evaluation mode, restored
    afterwards; any other callable as it is)."""
    from ..layers import Layer
    from ..model import preserved

    if not isinstance(model, Layer):
        return B.to_numpy(model(B.asarray(X)))
    with preserved(model, training=False):
        return B.to_numpy(model(B.asarray(X)))


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
    X = host_array(X, "X", fn).astype(np.float64)
    y = host_array(y, "y", fn)
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
    t = host_array(y_true, "y_true", fn)
    p = host_array(y_pred, "y_pred", fn)
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
    a = host_array(images, "images", fn).astype(np.float64)
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


