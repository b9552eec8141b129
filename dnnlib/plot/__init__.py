"""Figures the chapters share, drawn with matplotlib's object API (imported lazily).

Every function returns a :class:`matplotlib.figure.Figure` (a :class:`BookFigure`,
which displays itself as a PNG in Jupyter) with a title, axis labels and units. Most
take ``ax=`` to draw one panel of a larger figure. Nothing here uses
:mod:`matplotlib.pyplot`: no global figure state, no figure left open, and the same
call gives the same PNG bytes on every run (see :func:`figure_png`), which keeps stored
notebooks and the widgets' web fallbacks deterministic.

``import dnnlib`` never imports this package; ``dl.plot`` (or ``from dnnlib import
plot``) does, and only then is matplotlib imported.

Functions
---------
new_figure              an empty BookFigure (the one place figures are created)
figure_png              PNG bytes of a figure, byte-identical run to run
palette_png             a PNG as a palette PNG of few colours (the explorers' frames)
network_diagram         the vocabulary figure: input, hidden and output layers (chapter 1)
computation_graph       a scalar Value's graph with data and gradients (chapter 5)
decision_regions        a model's decision regions on 2-D data (chapters 1, 2, 6, 7)
confusion_matrix        true class against predicted class (chapter 6)
digit_grid              small grey-scale images with captions (chapter 6)
function_and_derivative g(z) and g'(z) side by side (chapters 2, 3)
learning_curves         curves per epoch or step; several runs as a band (chapters 3-8)
loss_curves             learning_curves with the defaults of a loss per epoch
hyperparameter_sweep    one result per hyperparameter value, diverged runs marked (4, 7, 8)
lr_range_test           the curve of dnnlib.train.lr_find (chapter 4)
loss_surface            contours of a 2-D loss surface with optimizer paths (chapter 4)
path_losses             the loss along each optimizer path, per step (chapter 4)
layer_histograms        one histogram per layer of pre-activations or activations (2, 5, 8)
percentile_curves       a layer's percentiles during training (chapter 8)

Modules: :mod:`~dnnlib.plot.diagrams`, :mod:`~dnnlib.plot.classification`,
:mod:`~dnnlib.plot.curves`, :mod:`~dnnlib.plot.surfaces`, :mod:`~dnnlib.plot.histograms`.
"""

from __future__ import annotations

from ._base import CLASS_COLORS, BookFigure, figure_png, new_figure, palette_png
from .classification import confusion_matrix, decision_regions, digit_grid
from .curves import (
    function_and_derivative,
    hyperparameter_sweep,
    learning_curves,
    loss_curves,
    lr_range_test,
)
from .diagrams import computation_graph, network_diagram
from .histograms import layer_histograms, percentile_curves
from .surfaces import loss_surface, path_losses

__all__ = [
    "BookFigure",
    "new_figure",
    "figure_png",
    "palette_png",
    "network_diagram",
    "decision_regions",
    "function_and_derivative",
    "loss_curves",
    "computation_graph",
    "confusion_matrix",
    "digit_grid",
    "CLASS_COLORS",
    "learning_curves",
    "hyperparameter_sweep",
    "lr_range_test",
    "loss_surface",
    "path_losses",
    "layer_histograms",
    "percentile_curves",
]
