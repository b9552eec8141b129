"""Precomputed playground runs to scrub through, live or in the web book (Appendix A1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .config import PlaygroundConfig
from .drawing import PlaygroundView, draw_view
from .session import Session

__all__ = ["gallery"]


def gallery(runs: Mapping[str, PlaygroundConfig], epochs: Sequence[int], *,
            title: str | None = None, figsize: tuple[float, float] = (8.0, 4.5),
            dpi: int | None = None, grid: int = 32) -> Any:
    """Precomputed playground runs to scrub through, live or without a kernel.

    Each configuration is trained once up to ``max(epochs)``; a snapshot
    (:class:`PlaygroundView`) is kept at each epoch listed. The result is a
    :class:`dnnlib.widgets.Explorer` with a ``run`` choice and an ``epoch`` slider: live
    in Jupyter, and in the web book a script-free set of precomputed frames (palette
    PNGs of 64 colours, to keep the notebook small).

    Parameters
    ----------
    runs : mapping name -> PlaygroundConfig
    epochs : sequence of int
        Increasing epochs to keep (0 is the initial network).
    title : str, optional
    figsize, grid
        Frame size (inches) and grid points per axis of the tiles.
    dpi : int, optional
        None (default): the web book's frames at their true size and twice as many image
        pixels, like every :class:`~dnnlib.widgets.Explorer`; an int keeps small frames
        of that resolution (the doctest below, a quick preview).

    Returns
    -------
    Explorer
        Its ``snapshots`` attribute holds ``{name: {epoch: PlaygroundView}}``.

    Examples
    --------
    >>> ex = gallery({"tanh": PlaygroundConfig(hidden=(2,))}, [0, 2], grid=8, dpi=30)
    >>> ex.n_frames, sorted(ex.snapshots["tanh"])
    (2, [0, 2])
    """
    from ..widgets import Choice, Explorer, Slider

    fn = "gallery"
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"{fn}: runs must be a non-empty mapping name -> PlaygroundConfig")
    eps = [int(e) for e in epochs]
    if not eps or eps != sorted(set(eps)) or eps[0] < 0:
        raise ValueError(f"{fn}: epochs must be increasing ints >= 0, got {list(epochs)}")
    snapshots: dict[str, dict[int, PlaygroundView]] = {}
    for name, cfg in runs.items():
        if not isinstance(cfg, PlaygroundConfig):
            raise TypeError(f"{fn}: runs[{name!r}] must be a PlaygroundConfig, got "
                            f"{type(cfg).__name__}")
        pg = Session(cfg)
        snaps = {}
        for e in eps:
            pg.run(e - pg.epoch)
            snaps[e] = pg.view(grid=grid)
        snapshots[name] = snaps

    def nearest(run: str, epoch: float) -> PlaygroundView:
        snaps = snapshots[run]
        return snaps[min(snaps, key=lambda e: abs(e - float(epoch)))]

    def draw(run: str, epoch: float) -> Any:
        return draw_view(nearest(run, epoch), figsize=figsize, dpi=dpi or 72, title=run)

    def readout(run: str, epoch: float) -> str:
        v = nearest(run, epoch)
        h = v.history
        return (f"{run}, epoch {v.epoch}: loss train {h['train_loss'][-1]:.3f} / test "
                f"{h['test_loss'][-1]:.3f}, accuracy train {h['train_accuracy'][-1]:.3f} / "
                f"test {h['test_accuracy'][-1]:.3f}")

    names = list(runs)
    lo, hi = eps[0], eps[-1]
    if lo == hi:
        hi = lo + 1
    ex = Explorer(draw, Choice("run", names),
                  Slider("epoch", float(lo), float(hi), value=float(eps[-1]),
                         frames=[float(e) for e in eps], step=1.0, fmt="{:.0f}", snap=True),
                  title=title, readout=readout, dpi=dpi,
                  max_frames=len(names) * len(eps))
    ex.snapshots = snapshots
    return ex
