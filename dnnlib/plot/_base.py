"""The plumbing every figure of :mod:`dnnlib.plot` shares (internal to the package).

A module whose name starts with ``_`` is the package's shared internals: its public
names (``new_figure``, ``host_array``...) may be imported by the other modules of
``dnnlib.plot``; readers import them from ``dnnlib.plot`` itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import backend as B

__all__ = ["CLASS_COLORS", "BookFigure", "new_figure", "figure_png", "host_array",
           "figure_and_axes", "pick", "named"]

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
    return palette_png(buf.getvalue(), colors)


def palette_png(png: bytes, colors: int = 64) -> bytes:
    """``png`` as a palette PNG of at most ``colors`` colours (2 to 256).

    Median cut without dithering: deterministic, so the bytes are identical run to run,
    and about 3x smaller than the full-colour PNG of a plot.
    """
    if isinstance(colors, bool) or not isinstance(colors, int) or not 2 <= colors <= 256:
        raise ValueError(f"palette_png: colors must be an int in [2, 256], got {colors!r}")
    from PIL import Image  # Pillow: a dependency of matplotlib

    with Image.open(io.BytesIO(png)) as im:
        q = im.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.NONE)
    out = io.BytesIO()
    q.save(out, format="PNG", optimize=True)
    return out.getvalue()


def host_array(a: Any, name: str, fn: str) -> np.ndarray:
    """``a`` as a NumPy array (from any backend); ``TypeError`` unless it is numeric."""
    arr = B.to_numpy(a) if B.is_array(a) else np.asarray(a)
    if arr.dtype.kind not in "iufb":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {arr.dtype}")
    return arr


def figure_and_axes(ax: Any, figsize: tuple[float, float], dpi: int = 100) -> tuple[Figure, Any]:
    """``(ax.figure, ax)`` when an axes is given, else a new figure with one axes."""
    if ax is None:
        return new_figure(figsize=figsize, dpi=dpi)
    return ax.figure, ax


def pick(option: Any, name: str, k: int, default: Any) -> Any:
    """The style of curve ``k`` called ``name``: from a mapping (by name, ``default`` if
    absent), a list or tuple (by position, cycled), or one value for every curve."""
    if option is None:
        return default
    if isinstance(option, Mapping):
        return option.get(name, default)
    if isinstance(option, (list, tuple)) and option:
        return option[k % len(option)]
    return option


def named(items: Any, fn: str, what: str) -> dict[str, Any]:
    """``items`` as an ordered ``{label: item}``: a mapping as it is, a sequence numbered
    ``"1"``, ``"2"``..., one item as ``{"": item}``."""
    if isinstance(items, Mapping):
        if not items:
            raise ValueError(f"{fn}: {what} must not be empty")
        return {str(k): v for k, v in items.items()}
    if isinstance(items, Sequence) and not isinstance(items, (str, bytes)) and items and \
            not np.isscalar(items[0]) and not B.is_array(items):
        return {str(i + 1): v for i, v in enumerate(items)}
    return {"": items}
