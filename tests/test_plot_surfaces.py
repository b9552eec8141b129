"""dnnlib.plot.surfaces and dnnlib.plot.histograms draw what they are given."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_hex  # noqa: E402

from dnnlib import plot  # noqa: E402
from dnnlib.lab.surfaces import Quadratic, Rosenbrock, optimize_path  # noqa: E402


@pytest.fixture
def bowl():
    return Quadratic([[3.0, 1.0], [1.0, 3.0]])


def test_loss_surface_contours_minimum_eigenvectors_and_paths(bowl):
    sgd = optimize_path(bowl, "sgd", [3.0, -2.0], 10, lr=0.2)
    adam = optimize_path(bowl, "adam", [3.0, -2.0], 200, lr=0.05)
    fig = plot.loss_surface(bowl, {"SGD": sgd, "Adam": adam}, eigenvectors=True,
                            title="a bowl", colors={"Adam": "black"})
    ax = fig.axes[0]
    assert ax.get_title() == "a bowl"
    assert ax.get_xlabel().startswith(r"$\theta_1$") and ax.get_ylabel().startswith(r"$\theta_2$")
    assert ax.get_xlim() == bowl.xlim and ax.get_ylim() == bowl.ylim
    axlines = [line for line in ax.lines if type(line).__name__ == "AxLine"]
    assert len(axlines) == 2                                         # the two eigenvectors
    star, sgd_line, sgd_start, adam_line, adam_start = [line for line in ax.lines
                                                        if line not in axlines]
    assert star.get_marker() == "*" and list(star.get_xdata()) == [0.0]
    np.testing.assert_array_equal(sgd_line.get_xdata(), sgd.points[:, 0])
    assert sgd_line.get_marker() == "o" and adam_line.get_marker() in ("", "None")  # 201 points
    assert sgd_start.get_marker() == "s" and list(sgd_start.get_xdata()) == [3.0]
    assert to_hex(adam_line.get_color()) == "#000000"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD", "Adam"]
    assert ax.collections  # the contour set


def test_loss_surface_single_path_array_max_points_and_default_title(bowl):
    pts = np.array([[1.0, 1.0], [0.5, 0.5], [0.2, 0.1], [0.0, 0.0]])
    ax = plot.loss_surface(Rosenbrock(), pts, max_points=2).axes[0]
    assert ax.get_title().startswith("Rosenbrock") and ax.get_legend() is None
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0, 0.5])
    fig, axes = plot.new_figure(ncols=2)
    assert plot.loss_surface(bowl, ax=axes[1]) is fig and axes[1].lines and not axes[0].lines


@pytest.mark.parametrize("args, kwargs, err, match", [
    (("not a surface",), {}, TypeError, "grid"),
    ((Rosenbrock(),), {"eigenvectors": True}, ValueError, "eigenvectors"),
    ((Rosenbrock(), np.zeros((3, 3))), {}, ValueError, r"\(K \+ 1, 2\)"),
    ((Rosenbrock(),), {"levels": 1}, ValueError, "levels"),
])
def test_loss_surface_rejects_bad_input(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        plot.loss_surface(*args, **kwargs)


def test_path_losses_from_step_zero_on_a_log_axis(bowl):
    paths = {"to the minimum": optimize_path(bowl, "sgd", [1.0, 1.0], 5, lr=0.25),
             "diverging": optimize_path(bowl, "sgd", [1.0, 1.0], 5, lr=0.6)}
    ax = plot.path_losses(paths, title="loss").axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "loss" and ax.get_xlabel() == "step $t$"
    first, second = ax.lines
    np.testing.assert_array_equal(first.get_xdata(), np.arange(6))
    np.testing.assert_allclose(first.get_ydata(), np.maximum(paths["to the minimum"].losses,
                                                             1e-16))
    assert second.get_ydata()[-1] > second.get_ydata()[0]
    ax = plot.path_losses([np.array([1.0, 0.0])], floor=1e-8).axes[0]   # a loss of exactly 0
    assert ax.lines[0].get_ydata()[-1] == 1e-8
    with pytest.raises(ValueError, match="1-D"):
        plot.path_losses({"a": np.ones((2, 2))})


def test_layer_histograms_one_density_panel_per_layer_with_clipped_tails():
    g = np.random.default_rng(0)
    values = [g.normal(size=(50, 4)), np.full((10, 3), 9.0), g.normal(size=(20, 2))]
    fig = plot.layer_histograms(values, ncols=2, title="after epoch 1", value_range=(-3, 3),
                                bins=12)
    axes = fig.axes
    assert len(axes) == 4 and not axes[3].axison                     # 3 panels, one blank
    assert fig._suptitle.get_text() == "after epoch 1"
    assert axes[1].get_title() == "layer 2: std 0.00"
    heights = np.array([p.get_height() for p in axes[1].patches])
    assert heights.size == 12 and heights[-1] > 0 and np.all(heights[:-1] == 0)  # 9 -> last bin
    for ax in axes[:3]:
        widths = np.array([p.get_width() for p in ax.patches])
        assert np.isclose(np.sum(widths * [p.get_height() for p in ax.patches]), 1.0)
        assert len(ax.lines) == 1                                   # the N(0, 1) reference
    assert axes[2].get_xlabel() and axes[0].get_ylabel() == "density"
    fig = plot.layer_histograms(values[:1], reference=None, names=["first"], ylim=(0, 1))
    assert fig.axes[0].get_title() == "first" and not fig.axes[0].lines


@pytest.mark.parametrize("values, kwargs, match", [
    ([], {}, "at least one"),
    ([np.ones(3)], {"value_range": (1, 1)}, "value_range"),
    ([np.ones(3)], {"reference": "laplace"}, "reference"),
    ([np.ones(3)], {"names": ["a", "b"]}, "names"),
    ([np.ones(3)], {"ncols": 0}, "ncols"),
])
def test_layer_histograms_rejects_bad_input(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot.layer_histograms(values, **kwargs)


def test_percentile_curves_median_solid_others_dashed():
    pct = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.1, 1.5], [-2.5, 0.2, 2.0]])
    ax = plot.percentile_curves([0, 3, 6], pct, ylim=(-3, 3), title="layer 8").axes[0]
    lo, mid, hi = ax.lines
    assert mid.get_linestyle() == "-" and lo.get_linestyle() == hi.get_linestyle() == "--"
    np.testing.assert_array_equal(hi.get_ydata(), [1.0, 1.5, 2.0])
    assert ax.get_title() == "layer 8" and ax.get_ylim() == (-3, 3)
    with pytest.raises(ValueError, match="shape"):
        plot.percentile_curves([0, 1], pct)


def test_percentile_curves_from_a_monitor():
    from dnnlib.data import make_moons
    from dnnlib.lab.monitors import PreActivationMonitor
    from dnnlib.layers import Dense, ReLU
    from dnnlib.losses import SoftmaxCrossEntropy
    from dnnlib.model import Sequential
    from dnnlib.optim import SGD
    from dnnlib.train import fit

    X, y = make_moons(64, rng=0)
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 8, rng=1), ReLU(), Dense(8, 2, rng=2))
    mon = PreActivationMonitor(X, every=2)
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=2, batch_size=16,
        rng=0, progress=False, callbacks=[mon])
    ax = plot.percentile_curves(mon.steps, mon.percentiles((15, 50, 85), layer=-1)).axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), mon.steps)
    fig = plot.layer_histograms(mon.values[-1])
    assert len(fig.axes) == 2
