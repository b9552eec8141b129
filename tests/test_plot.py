"""dnnlib.plot: every figure has a title and labelled axes; headless (no pyplot)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from dnnlib import plot  # noqa: E402


def test_plot_and_widgets_never_import_pyplot():
    import subprocess

    code = ("import sys, dnnlib.plot as P, dnnlib.widgets;"
            "P.network_diagram([2, 3, 1]); P.figure_png(P.new_figure()[0]);"
            "assert 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_figure_png_is_deterministic_and_unstamped():
    fig = plot.network_diagram([3, 5, 2])
    a, b = plot.figure_png(fig), plot.figure_png(plot.network_diagram([3, 5, 2]))
    assert a == b and a.startswith(b"\x89PNG") and b"matplotlib" not in a.lower()
    assert plot.BookFigure._repr_png_(fig) == a
    with pytest.raises(TypeError, match="matplotlib Figure"):
        plot.figure_png("nope")


def test_network_diagram_labels_layers():
    fig = plot.network_diagram([784, 128, 64, 10], title="MNIST MLP")
    ax = fig.axes[0]
    assert ax.get_title() == "MNIST MLP"
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "input layer" in texts and "hidden layer 1" in texts and "hidden layer 2" in texts
    assert "output layer" in texts and "784" in texts and "\u22ee" in texts  # ellipsis


@pytest.mark.parametrize("sizes", [[3], [2, 0, 1], [2, 1.5, 1], [2, True]])
def test_network_diagram_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match="network_diagram"):
        plot.network_diagram(sizes)


def _data(n=40, seed=0):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, 2))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def test_decision_regions_binary_with_a_dnnlib_model_restores_mode():
    from dnnlib.layers import Dense, Dropout, Sigmoid
    from dnnlib.model import Sequential

    X, y = _data()
    model = Sequential(Dense(2, 4, rng=0), Dropout(0.5, rng=0), Dense(4, 1, rng=1), Sigmoid())
    model.train()
    fig = plot.decision_regions(model, X, y, title="regions")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "regions" and "x_1" in ax.get_xlabel() and "x_2" in ax.get_ylabel()
    assert "unitless" in ax.get_xlabel()
    assert model.layers[1].training  # put back in training mode
    assert len(fig.axes) == 2  # the colour bar


def test_decision_regions_multiclass_and_logits():
    X, y = _data()
    y3 = (np.arange(len(y)) % 3).astype(np.int64)
    fig = plot.decision_regions(lambda Z: np.stack([Z[:, 0], Z[:, 1], -Z[:, 0]], 1), X, y3)
    assert fig.axes[0].get_legend() is not None
    fig = plot.decision_regions(lambda Z: Z[:, 0], X, y, threshold=0.0, colorbar=False)
    assert len(fig.axes) == 1


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((5, 3)), np.zeros(5, dtype=int), "shape \\(N, 2\\)"),
    (np.zeros((5, 2)), np.zeros(4, dtype=int), "y must have shape"),
    (np.array([["a", "b"]]), np.zeros(1, dtype=int), "numeric"),
])
def test_decision_regions_validates(X, y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        plot.decision_regions(lambda Z: Z[:, 0], X, y)


def test_function_and_derivative_panels():
    from dnnlib import functional as F

    fig = plot.function_and_derivative({"sigmoid": (F.sigmoid, F.sigmoid_grad),
                                        "tanh": (F.tanh, F.tanh_grad)}, title="Activations")
    assert [ax.get_title() for ax in fig.axes] == ["sigmoid", "tanh"]
    assert "z" in fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert fig._suptitle.get_text() == "Activations"
    with pytest.raises(TypeError):
        plot.function_and_derivative({"bad": (np.tanh,)})
    with pytest.raises(TypeError):
        plot.function_and_derivative({})


def test_loss_curves_from_dict_and_history_like():
    fig = plot.loss_curves({"train": [1.0, 0.5, 0.25], "validation": [1.1, 0.7, 0.6]},
                           logy=True)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() == "epoch" and "loss" in ax.get_ylabel()
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"

    class History:
        history = {"loss": [0.9, 0.4], "note": ["a", "b"]}

    assert len(plot.loss_curves(History()).axes[0].lines) == 1
    with pytest.raises(TypeError):
        plot.loss_curves(42)
    with pytest.raises(ValueError, match="no numeric curve"):
        plot.loss_curves({"x": ["a"]})


def test_new_figure_grid():
    fig, axes = plot.new_figure(nrows=2, ncols=2)
    assert isinstance(fig, plot.BookFigure) and axes.shape == (2, 2)
