"""dnnlib.plot.curves: learning curves, sweeps and the range test draw what they are given."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from dnnlib import plot  # noqa: E402
from dnnlib.plot import CLASS_COLORS  # noqa: E402

PLOT_MODULES = ["_base", "diagrams", "classification", "curves", "surfaces", "histograms"]


@pytest.mark.parametrize("name", PLOT_MODULES)
def test_doctests(name):
    module = importlib.import_module(f"dnnlib.plot.{name}")
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and (res.attempted > 0 or name == "_base")


def test_every_public_name_is_importable_from_the_package():
    for name in plot.__all__:
        assert getattr(plot, name) is not None, name
    # the names the widgets and the playground use
    from dnnlib.plot import CLASS_COLORS, BookFigure, figure_png  # noqa: F401


def _labels(ax):
    return [line.get_label() for line in ax.lines]


def test_learning_curves_one_line_per_run_with_default_x_from_one():
    fig = plot.learning_curves({"training": [1.0, 0.5, 0.25], "validation": [1.2, 0.8, 0.7]},
                               title="T", ylabel="loss (nats)")
    ax = fig.axes[0]
    assert ax.get_title() == "T" and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss (nats)"
    assert _labels(ax) == ["training", "validation"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.2, 0.8, 0.7])
    assert ax.lines[0].get_marker() == "o"                       # few points: markers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    assert ax.lines[0].get_color() == CLASS_COLORS[0] and ax.lines[1].get_color() == CLASS_COLORS[1]


def test_learning_curves_several_runs_as_band_runs_or_center():
    runs = np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 5.0]])
    ax = plot.learning_curves({"seeds": runs}).axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, 2.0, 3.0])   # the mean
    (band,) = ax.collections
    verts = band.get_paths()[0].vertices
    assert verts[:, 1].min() == 1.0 and verts[:, 1].max() == 5.0           # min .. max
    ax = plot.learning_curves({"seeds": runs}, spread="runs").axes[0]
    assert len(ax.lines) == 2 and not ax.collections
    assert ax.lines[0].get_label() == "seeds" and ax.lines[1].get_label().startswith("_")
    ax = plot.learning_curves({"seeds": runs}, spread="none", center="median").axes[0]
    assert len(ax.lines) == 1 and not ax.collections
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, 2.0, 3.0])


def test_learning_curves_x_styles_smooth_floor_and_log_axes():
    steps = np.arange(0, 40)
    fig = plot.learning_curves(
        {"a": np.arange(40.0), "b": np.zeros(40)}, x={"a": steps, "b": steps + 1},
        colors={"b": "black"}, linestyles=["-", "--"], smooth=10, floor=1e-3, logy=True,
        xlabel="step $t$")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step $t$"
    a, b = ax.lines
    np.testing.assert_array_equal(a.get_xdata(), steps[9:])              # smooth=10
    np.testing.assert_allclose(a.get_ydata(), np.arange(4.5, 35.0))      # trailing means
    assert b.get_color() == "black" and b.get_linestyle() == "--"
    np.testing.assert_array_equal(b.get_ydata(), np.full(31, 1e-3))      # the floor
    assert a.get_marker() in ("", "None")                                # > 30 points


def test_learning_curves_reads_a_dnnlib_history_and_skips_non_numeric_records():
    from dnnlib.callbacks import History

    h = History(epochs={"loss": [0.9, 0.4], "val_loss": [1.0, 0.8]})
    assert _labels(plot.learning_curves(h).axes[0]) == ["loss", "val_loss"]

    class KerasLike:
        history = {"loss": [0.9, 0.4], "note": ["a", "b"]}

    assert len(plot.loss_curves(KerasLike()).axes[0].lines) == 1


def test_learning_curves_draws_into_a_given_axes():
    fig, (ax1, ax2) = plot.new_figure(ncols=2)
    assert plot.learning_curves({"x": [1.0, 2.0]}, ax=ax2, title="right") is fig
    assert ax2.get_title() == "right" and not ax1.lines


@pytest.mark.parametrize("curves, kwargs, err, match", [
    (42, {}, TypeError, "mapping label -> values or a History"),
    ({"x": ["a"]}, {}, ValueError, "no numeric curve"),
    ({"x": [1.0, 2.0]}, {"x": [1.0]}, ValueError, "must have 2 entries"),
    ({"x": np.ones((2, 2, 2))}, {}, ValueError, "curve 'x' must be"),
    ({"x": [1.0, 2.0]}, {"spread": "cloud"}, ValueError, "spread"),
    ({"x": [1.0, 2.0]}, {"center": "mode"}, ValueError, "center"),
    ({"x": [1.0, 2.0]}, {"smooth": 0}, ValueError, "smooth"),
    ({"x": [1.0, 2.0]}, {"smooth": 3}, ValueError, "fewer than smooth=3"),
])
def test_learning_curves_rejects_bad_input(curves, kwargs, err, match):
    with pytest.raises(err, match=match):
        plot.learning_curves(curves, **kwargs)


def test_hyperparameter_sweep_marks_diverged_runs_and_draws_seeds_as_dots():
    fig = plot.hyperparameter_sweep(
        [0.01, 0.1, 1.0], {"plain": [0.5, 0.9, None], "seeds": [[0.4, 0.6], [0.8, 1.0],
                                                                [0.9, float("nan")]]},
        logx=True, title="sweep", ylabel="test accuracy")
    ax = fig.axes[0]
    assert ax.get_title() == "sweep" and ax.get_xscale() == "log"
    assert _labels(ax) == ["plain", "plain: diverged", "seeds: mean", "seeds: each run",
                           "seeds: diverged"]
    plain, plain_x, mean, dots, seeds_x = ax.lines
    np.testing.assert_array_equal(plain.get_ydata()[:2], [0.5, 0.9])
    assert np.isnan(plain.get_ydata()[2])                       # no line through the failure
    assert plain_x.get_marker() == "x" and list(plain_x.get_xdata()) == [1.0]
    assert plain_x.get_ydata()[0] == 0.03                        # at the bottom of the axes
    np.testing.assert_allclose(mean.get_ydata(), [0.5, 0.9, 0.9])  # mean of the finite runs
    assert len(dots.get_xdata()) == 5                            # 2 + 2 + 1 finite runs


@pytest.mark.parametrize("values, results, err, match", [
    ([1, 2], {"a": [1.0]}, ValueError, "one entry per value"),
    ([1, 2], {}, TypeError, "non-empty mapping"),
    ([1, 2], {"a": [1.0, [[1.0]]]}, ValueError, "shape"),
    (["a", "b"], {"a": [1.0, 2.0]}, TypeError, "numeric"),
])
def test_hyperparameter_sweep_rejects_bad_input(values, results, err, match):
    with pytest.raises(err, match=match):
        plot.hyperparameter_sweep(values, results)


def test_lr_range_test_draws_the_result_of_lr_find():
    from dnnlib.layers import Dense
    from dnnlib.losses import MSE
    from dnnlib.model import Sequential
    from dnnlib.optim import SGD
    from dnnlib.train import lr_find

    g = np.random.default_rng(0)
    X = g.normal(size=(64, 3))
    y = X @ np.array([[1.0], [2.0], [-1.0]])
    model = Sequential(Dense(3, 1, rng=0, dtype="float64"))
    res = lr_find(model, MSE(), SGD(model.params, lr=0.1), X, y, num_steps=30, rng=0)
    ax = plot.lr_range_test(res, ylim=(0, 10)).axes[0]
    steps, smooth, suggested = ax.lines
    np.testing.assert_array_equal(steps.get_xdata(), res.rates)
    np.testing.assert_array_equal(smooth.get_ydata(), res.smoothed)
    assert list(suggested.get_xdata()) == [res.suggested_lr] * 2
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0, 10)
    assert "learning rate" in ax.get_xlabel() and ax.get_title()
    with pytest.raises(TypeError, match="lr_find"):
        plot.lr_range_test({"rates": [1.0]})
