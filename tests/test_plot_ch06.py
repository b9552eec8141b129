"""dnnlib.plot helpers of chapter 6: confusion_matrix and digit_grid."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from dnnlib import plot  # noqa: E402


def test_confusion_matrix_counts_rows_true_columns_predicted():
    g = np.random.default_rng(0)
    t = g.integers(0, 4, size=200)
    p = np.where(g.random(200) < 0.7, t, g.integers(0, 4, size=200))
    fig = plot.confusion_matrix(t, p)
    m = fig.confusion
    want = np.zeros((4, 4), dtype=np.int64)
    for a, b in zip(t, p, strict=True):
        want[a, b] += 1
    assert np.array_equal(m, want)
    assert m.sum() == 200 and np.trace(m) == np.sum(t == p)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "Confusion matrix"


def test_confusion_matrix_num_classes_names_and_backends(xp):
    import dnnlib as dl

    t = dl.backend.asarray(np.array([0, 1, 1], dtype=np.int64))
    p = dl.backend.asarray(np.array([0, 0, 1], dtype=np.int64))
    fig = plot.confusion_matrix(t, p, num_classes=3, class_names=["a", "b", "c"],
                                title="T")
    assert fig.confusion.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    assert [tk.get_text() for tk in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    assert plot.figure_png(fig) == plot.figure_png(
        plot.confusion_matrix(t, p, num_classes=3, class_names=["a", "b", "c"], title="T"))


@pytest.mark.parametrize("args, kwargs, err, match", [
    ((np.array([0.0, 1.0]), np.array([0, 1])), {}, TypeError, "int class labels"),
    ((np.array([[0, 1]]), np.array([[0, 1]])), {}, TypeError, "1-D"),
    ((np.array([0, 1]), np.array([0, 1, 1])), {}, ValueError, "same shape"),
    ((np.array([0, 3]), np.array([0, 1])), {"num_classes": 2}, ValueError, "num_classes"),
    ((np.array([0, -1]), np.array([0, 1])), {}, ValueError, ">= 0"),
    ((np.array([0, 1]), np.array([0, 1])), {"class_names": ["x"]}, ValueError, "class_names"),
])
def test_confusion_matrix_rejects_bad_input(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        plot.confusion_matrix(*args, **kwargs)


def test_digit_grid_layout_titles_and_colours():
    imgs = np.arange(5 * 64, dtype=np.float64).reshape(5, 64)
    fig = plot.digit_grid(imgs, titles=list("abcde"), ncols=3, title="Digits",
                          title_colors=["red"] * 5)
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the last one empty
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    assert not fig.axes[5].images
    assert fig._suptitle.get_text() == "Digits"
    assert fig.axes[0].images[0].get_array().shape == (8, 8)
    # 3-D input and a single image work too
    assert len(plot.digit_grid(imgs.reshape(5, 8, 8)).axes) == 5
    assert len(plot.digit_grid(imgs[:1]).axes) == 1


@pytest.mark.parametrize("images, kwargs, match", [
    (np.zeros((2, 63)), {}, "do not fit"),
    (np.zeros((0, 64)), {}, "K > 0"),
    (np.zeros((2, 64)), {"titles": ["a"]}, "one entry per image"),
    (np.zeros((2, 64)), {"ncols": 0}, "ncols"),
])
def test_digit_grid_rejects_bad_input(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot.digit_grid(images, **kwargs)
