"""dnnlib.plot.computation_graph: the graph of a scalar Value, drawn with matplotlib."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

from dnnlib import plot  # noqa: E402
from dnnlib.autograd import Value, graph  # noqa: E402


def _expr():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    e = a * b
    e.label = "e"
    L = (e + c).tanh() ** 2
    L.label = "L"
    L.backward()
    return L, a, b, c, e


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_every_node_is_a_box_with_label_value_and_gradient():
    L, a, b, c, e = _expr()
    fig = plot.computation_graph(L, title="L = tanh(ab + c)^2")
    assert isinstance(fig, Figure) and fig.axes[0].get_title() == "L = tanh(ab + c)^2"
    nodes, edges = graph(L)
    patches = fig.axes[0].patches
    boxes = [p for p in patches if isinstance(p, FancyBboxPatch)]
    circles = [p for p in patches if isinstance(p, Circle)]
    arrows = [p for p in patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(nodes)
    assert len(circles) == sum(not n.is_leaf for n in nodes)  # one per operation
    assert len(arrows) == len(edges)
    texts = _texts(fig)
    for label in "abceL":
        assert label in texts
    assert f"{a.data:.3f}" in texts and f"{a.grad:.3f}" in texts
    assert f"{L.data:.3f}" in texts and "1.000" in texts  # dL/dL = 1
    assert {"\u00d7", "+", "tanh", "x\u00b2"} <= set(texts)  # the operations' symbols
    assert "?" not in texts


def test_values_and_gradients_can_be_hidden_and_nodes_highlighted():
    L, a, b, c, e = _expr()
    fig = plot.computation_graph(L, show_data=[a, b, c], show_grad=False, highlight=[e])
    texts = _texts(fig)
    assert f"{a.data:.3f}" in texts and f"{e.data:.3f}" not in texts
    assert f"{a.grad:.3f}" not in texts
    n_nodes = len(graph(L)[0])
    assert texts.count("?") == (n_nodes - 3) + n_nodes  # hidden data + every hidden grad
    faces = [to_hex(p.get_facecolor()) for p in fig.axes[0].patches
             if isinstance(p, FancyBboxPatch)]
    assert faces.count("#ffd28a") == 1  # the highlighted node
    assert faces.count("#d6eaf8") == 3  # the leaves a, b, c


def test_draws_into_a_given_axes_and_is_deterministic():
    L = _expr()[0]
    fig, ax = plot.new_figure(figsize=(6, 3), dpi=50)
    assert plot.computation_graph(L, ax=ax) is fig
    png = [plot.figure_png(plot.computation_graph(_expr()[0]), dpi=40) for _ in range(2)]
    assert png[0] == png[1]


def test_op_symbols():
    x = Value(2.0, label="x")
    out = ((-x) / 2 - x.exp() + x ** 3 + 2 ** x + x.sigmoid() + x.leaky_relu() + x.log()
           + x ** 0.5)
    texts = _texts(plot.computation_graph(out))
    for sym in ("\u2212x", "\u00f7", "\u2212", "exp", "x\u00b3", "2^x", "\u03c3", "lrelu",
                "log", "x^0.5"):
        assert sym in texts, sym


def test_bad_arguments():
    L, a, *_ = _expr()
    with pytest.raises(TypeError, match="computation_graph: root must be"):
        plot.computation_graph(3.0)
    with pytest.raises(ValueError, match="highlight holds"):
        plot.computation_graph(L, highlight=[Value(1.0)])
    with pytest.raises(TypeError, match="show_grad must be a bool or a collection"):
        plot.computation_graph(L, show_grad=1.5)
    assert a.grad != 0.0  # drawing changed nothing


def test_no_pyplot():
    import subprocess

    code = ("import sys, dnnlib.plot as P; from dnnlib.autograd import Value;"
            "x = Value(1.0, label='x'); y = (x * x).tanh(); y.backward();"
            "P.computation_graph(y); assert 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
