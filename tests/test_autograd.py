"""Tests for dnnlib.autograd: the scalar reverse-mode engine of chapter 5.

Oracles: float64 centred finite differences for every operation, PyTorch autograd
(float64) for compound expressions, and dnnlib's vectorised Dense/activation
backward pass for the scalar MLP.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.autograd import (
    MLP,
    Layer,
    Neuron,
    Value,
    graph,
    layout,
    topological_order,
    trace,
    zero_grad,
)
from dnnlib.lab.twins import from_dense, mlp_from_sequential
from dnnlib.layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from dnnlib.model import Sequential

EPS = 1e-6


def numerical_derivative(f, x: float, eps: float = EPS) -> float:
    """Centred difference (f(x + eps) - f(x - eps)) / (2 eps) in float64."""
    return (f(x + eps) - f(x - eps)) / (2.0 * eps)


def grad_of(f, x: float) -> float:
    """dL/dx by the engine for L = f(Value(x))."""
    v = Value(x)
    f(v).backward()
    return v.grad


# --------------------------------------------------------------------------- unary ops
UNARY = [
    ("exp", lambda v: v.exp(), math.exp, [-2.0, 0.3, 1.7]),
    ("log", lambda v: v.log(), math.log, [0.2, 1.0, 3.5]),
    ("tanh", lambda v: v.tanh(), math.tanh, [-1.5, 0.0, 0.8]),
    ("sigmoid", lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), [-3.0, 0.0, 2.0]),
    ("relu", lambda v: v.relu(), lambda x: max(0.0, x), [-1.2, 0.7]),
    ("leaky_relu", lambda v: v.leaky_relu(0.1), lambda x: x if x > 0 else 0.1 * x, [-1.2, 0.7]),
    ("neg", lambda v: -v, lambda x: -x, [-1.0, 2.5]),
    ("pow2", lambda v: v**2, lambda x: x**2, [-1.3, 0.4]),
    ("pow3", lambda v: v**3, lambda x: x**3, [-1.3, 0.4]),
    ("pow-1", lambda v: v**-1, lambda x: x**-1, [-1.3, 0.4]),
    ("pow0.5", lambda v: v**0.5, lambda x: x**0.5, [0.3, 2.0]),
    ("pow-2.5", lambda v: v**-2.5, lambda x: x**-2.5, [0.3, 2.0]),
    ("pow0", lambda v: v**0, lambda x: x**0, [0.3, -2.0]),
    ("rpow", lambda v: 2.5**v, lambda x: 2.5**x, [-1.0, 0.6]),
]


@pytest.mark.parametrize(("name", "op", "ref", "points"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_value_and_gradient_match_finite_differences(name, op, ref, points):
    for x in points:
        assert op(Value(x)).data == pytest.approx(ref(x), rel=1e-15, abs=1e-15)
        expected = numerical_derivative(ref, x)
        assert grad_of(op, x) == pytest.approx(expected, rel=1e-7, abs=1e-9), (name, x)


def test_sigmoid_is_stable_far_from_zero():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
    assert grad_of(lambda v: v.sigmoid(), -800.0) == 0.0


def test_relu_and_leaky_relu_derivative_at_the_kink_follow_pytorch():
    assert grad_of(lambda v: v.relu(), 0.0) == 0.0
    assert grad_of(lambda v: v.leaky_relu(0.2), 0.0) == 0.2


# --------------------------------------------------------------------------- binary ops
BINARY = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b),
]


@pytest.mark.parametrize(("name", "op"), BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize(("x", "y"), [(1.5, -0.7), (-2.0, 3.0)])
def test_binary_op_gradients_match_finite_differences(name, op, x, y):
    a, b = Value(x), Value(y)
    out = op(a, b)
    assert out.data == op(x, y)
    assert out.op == name
    out.backward()
    assert a.grad == pytest.approx(numerical_derivative(lambda t: op(t, y), x), rel=1e-7)
    assert b.grad == pytest.approx(numerical_derivative(lambda t: op(x, t), y), rel=1e-7)


@pytest.mark.parametrize(("name", "op"), BINARY, ids=[b[0] for b in BINARY])
def test_numbers_on_either_side(name, op):
    x, c = 1.25, 3.0
    for left in (True, False):
        v = Value(x)
        out = op(v, c) if left else op(c, v)
        assert out.data == (op(x, c) if left else op(c, x))
        out.backward()
        ref = (lambda t: op(t, c)) if left else (lambda t: op(c, t))
        assert v.grad == pytest.approx(numerical_derivative(ref, x), rel=1e-7)


def test_numpy_scalars_are_numbers_and_defer_to_value():
    v = Value(2.0)
    for out in (np.float64(3.0) * v, v * np.float32(3.0), np.int64(3) * v, np.float64(3.0) + v):
        assert isinstance(out, Value)


# --------------------------------------------------------------------------- against PyTorch
def _expressions(lib):
    """Compound expressions written once, evaluated with Values or torch tensors."""
    if lib == "torch":
        import torch

        def relu(t):
            return t.relu()

        def sigmoid(t):
            return torch.sigmoid(t)

        def leaky(t, s):
            return torch.nn.functional.leaky_relu(t, s)
    else:
        def relu(t):
            return t.relu()

        def sigmoid(t):
            return t.sigmoid()

        def leaky(t, s):
            return t.leaky_relu(s)

    def micrograd_sanity(a, b):
        z = 2 * a + 2 + a
        q = relu(z) + z * a
        h = relu(z * z)
        return h + q + q * a + b * 0

    def micrograd_more_ops(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + relu(b + a)
        d = d + 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    def neuron(a, b):
        n = a * 0.7 + b * (-1.3) + 0.2
        return (n.tanh() * sigmoid(a - b) + leaky(n, 0.05) * 0.3 + (a * a).exp().log()) / (1 + b**2)

    def softplus_like(a, b):
        return (1 + (a * b).exp()).log() - 2.0 ** (a / 3) + (b - a) ** 0.5

    return [micrograd_sanity, micrograd_more_ops, neuron, softplus_like]


@pytest.mark.parametrize("k", range(4), ids=["sanity", "more_ops", "neuron", "softplus"])
@pytest.mark.parametrize(("x", "y"), [(-4.0, 2.0), (0.6, 1.9)])
def test_compound_expressions_match_pytorch(k, x, y):
    torch = pytest.importorskip("torch")
    ours = _expressions("value")[k]
    theirs = _expressions("torch")[k]
    a, b = Value(x), Value(y)
    out = ours(a, b)
    out.backward()
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    tout = theirs(ta, tb)
    tout.backward()
    scale = max(1.0, abs(tout.item()))
    assert abs(out.data - tout.item()) <= 1e-12 * scale
    for v, t in ((a, ta), (b, tb)):
        assert abs(v.grad - t.grad.item()) <= 1e-12 * max(1.0, abs(t.grad.item()))


# --------------------------------------------------------------------------- backward
def test_deep_chain_backward_does_not_hit_the_recursion_limit():
    n = 5000
    assert n > sys.getrecursionlimit() // 2
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 0.999 + 0.001
    assert len(topological_order(y)) == 4 * n + 1  # x, and per step: const, *, const, +
    y.backward()
    assert x.grad == pytest.approx(0.999**n, rel=1e-12)


def test_a_node_used_twice_accumulates_both_paths():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a2 = Value(3.0)
    (a2 * a2).backward()
    assert a2.grad == 6.0
    # diamond: d = (a * 2) * (a + 1), both paths meet again at d
    a3 = Value(3.0)
    d = (a3 * 2) * (a3 + 1)
    d.backward()
    assert a3.grad == 2 * (3.0 + 1) + 2 * 3.0


def test_backward_twice_accumulates_in_leaves_only_and_zero_grad_resets():
    w = Value(2.0)
    y = (w * w).tanh()
    y.backward()
    g1, inner = w.grad, y.parents[0].grad
    y.backward()
    assert w.grad == pytest.approx(2 * g1, rel=1e-15)
    assert y.parents[0].grad == inner  # intermediates are recomputed, not accumulated
    zero_grad(y)
    assert all(node.grad == 0.0 for node in topological_order(y))
    y.backward(grad=3.0)
    assert w.grad == pytest.approx(3 * g1, rel=1e-15)
    y.zero_grad()
    assert w.grad == 0.0


def test_repr():
    a = Value(2.0, label="a").sigmoid()
    a.label = "a"
    a.grad = a.data * (1 - a.data)
    assert repr(a) == "Value(data=0.8808, grad=0.1050, label='a')"
    assert repr(Value(-3.0)) == "Value(data=-3.0000, grad=0.0000)"
    assert repr(Value(1e-9)) == "Value(data=1.0000e-09, grad=0.0000)"


# --------------------------------------------------------------------------- graph helpers
def _expr():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L


def test_topological_order_graph_and_trace():
    L = _expr()
    order = topological_order(L)
    assert [v.label for v in order] == ["a", "b", "e", "c", "d", "f", "L"]
    index = {id(v): i for i, v in enumerate(order)}
    for v in order:
        assert all(index[id(p)] < index[id(v)] for p in v.parents)
    nodes, edges = graph(L)
    assert nodes == order
    assert [(s.label, t.label) for s, t in edges] == [
        ("a", "e"), ("b", "e"), ("e", "d"), ("c", "d"), ("d", "L"), ("f", "L")]
    steps = trace(L)
    assert [(n.label, op, tuple(p.label for p in ps)) for n, op, ps in steps] == [
        ("a", "", ()), ("b", "", ()), ("e", "*", ("a", "b")), ("c", "", ()),
        ("d", "+", ("e", "c")), ("f", "", ()), ("L", "*", ("d", "f"))]
    a = Value(1.0)
    assert len(graph(a + a)[1]) == 1 and len(trace(a + a)[-1][2]) == 2


def test_layout_is_layered_deterministic_and_collision_free():
    L = _expr()
    pos = layout(L)
    assert set(map(id, pos)) == {id(v) for v in topological_order(L)}
    assert len(set(pos.values())) == len(pos)
    for node in pos:
        for p in node.parents:
            assert pos[p][0] < pos[node][0]
    by_label = {v.label: xy for v, xy in pos.items()}
    assert by_label["L"][0] == max(x for x, _ in pos.values())
    assert by_label["f"][0] == by_label["L"][0] - 1  # a leaf sits just before its use
    assert by_label == {v.label: xy for v, xy in layout(_expr()).items()}


@pytest.mark.parametrize("fn", [topological_order, graph, trace, layout])
def test_graph_helpers_refuse_non_values(fn):
    with pytest.raises(TypeError, match=fn.__name__):
        fn(3.0)


# --------------------------------------------------------------------------- errors
BAD_OPERANDS = [
    ("__add__", lambda v: v + "a"),
    ("__radd__", lambda v: "a" + v),
    ("__sub__", lambda v: v - None),
    ("__rsub__", lambda v: [1.0] - v),
    ("__mul__", lambda v: v * "a"),
    ("__rmul__", lambda v: "a" * v),
    ("__mul__", lambda v: v * np.ones(2)),
    ("__truediv__", lambda v: v / {}),
    ("__rtruediv__", lambda v: (1.0, 2.0) / v),
    ("__pow__", lambda v: v ** Value(2.0)),
    ("__pow__", lambda v: v ** "2"),
    ("__rpow__", lambda v: "2" ** v),
    ("__add__", lambda v: v + True),
]


@pytest.mark.parametrize(("method", "op"), BAD_OPERANDS, ids=[f"{m}-{i}" for i, (m, _) in
                                                             enumerate(BAD_OPERANDS)])
def test_bad_operands_raise_type_error_naming_the_op(method, op):
    with pytest.raises(TypeError, match=rf"Value\.{method} "):
        op(Value(2.0))


@pytest.mark.parametrize(("exc", "match", "op"), [
    (ValueError, "Value.log: data must be > 0", lambda: Value(-1.0).log()),
    (ValueError, "Value.log", lambda: Value(0.0).log()),
    (ZeroDivisionError, "__truediv__", lambda: Value(1.0) / 0),
    (ZeroDivisionError, "__pow__", lambda: Value(0.0) ** -1),
    (ValueError, "negative base", lambda: Value(-2.0) ** 0.5),
    (ValueError, "base c > 0", lambda: (-2.0) ** Value(1.0)),
    (OverflowError, "Value.exp", lambda: Value(1000.0).exp()),
    (TypeError, "Value: data", lambda: Value("1.0")),
    (TypeError, "Value: data", lambda: Value(np.ones(1))),
    (TypeError, "label", lambda: Value(1.0, label=3)),
    (TypeError, "slope", lambda: Value(1.0).leaky_relu("x")),
])
def test_bad_values_raise_clear_errors(exc, match, op):
    with pytest.raises(exc, match=match):
        op()


# --------------------------------------------------------------------------- the tiny MLP
def test_mlp_is_seeded_by_rng_and_counts_parameters():
    a, b = MLP(3, [4, 4, 1], rng=7), MLP(3, [4, 4, 1], rng=np.random.default_rng(7))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert len(a.parameters()) == (3 * 4 + 4) + (4 * 4 + 4) + (4 + 1)
    assert [p.data for p in MLP(3, [4, 1], rng=8).parameters()] != [
        p.data for p in MLP(3, [4, 1], rng=7).parameters()]
    assert [la.neurons[0].activation for la in a.layers] == ["tanh", "tanh", "linear"]
    out = a([1.0, -2.0, 0.5])
    assert len(out) == 1 and isinstance(out[0], Value)


def test_mlp_training_step_reduces_the_loss():
    mlp = MLP(2, [4, 1], rng=0)
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [-1.0, 1.0, 1.0, -1.0]

    def loss_fn():
        return sum((mlp(x)[0] - t) ** 2 for x, t in zip(X, y, strict=True)) / len(X)

    first = loss_fn()
    for _ in range(20):
        mlp.zero_grad()
        loss = loss_fn()
        loss.backward()
        for p in mlp.parameters():
            p.data -= 0.1 * p.grad
    assert loss_fn().data < first.data


@pytest.mark.parametrize("bad", [
    lambda: Neuron(0), lambda: Neuron(2, "softmax"), lambda: Layer(2, 0),
    lambda: MLP(2, 3), lambda: MLP(2, []), lambda: Neuron(2, weights=[1.0]),
    lambda: Neuron(2, weights=[1.0, 2.0])([1.0]),
])
def test_mlp_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        bad()


SEQUENTIALS = {
    "tanh-linear": lambda: [Dense(3, 4, rng=0, dtype="float64"), Tanh(),
                            Dense(4, 2, rng=1, dtype="float64")],
    "relu-sigmoid": lambda: [Dense(3, 5, rng=2, dtype="float64"), ReLU(),
                             Dense(5, 2, rng=3, dtype="float64"), Sigmoid()],
    "leaky-tanh-nobias": lambda: [Dense(3, 4, rng=4, dtype="float64", init="glorot"),
                                  LeakyReLU(0.2), Dense(4, 3, rng=5, dtype="float64"), Tanh(),
                                  Dense(3, 2, bias=False, rng=6, dtype="float64")],
}


@pytest.mark.parametrize("name", list(SEQUENTIALS))
def test_scalar_mlp_gradients_equal_the_vectorised_backward(name, rng):
    model = Sequential(*SEQUENTIALS[name]())
    for layer in model.layers:  # non-zero biases, so that db is exercised
        if isinstance(layer, Dense) and layer.b is not None:
            layer.b.data[...] = rng.normal(size=layer.b.shape)
    mlp = mlp_from_sequential(model)
    N = 5
    X = rng.normal(size=(N, 3))
    Y = rng.normal(size=(N, 2))

    # vectorised: L = sum((out - Y)^2) / N
    out = model.forward(X)
    dX = model.backward(2.0 * (out - Y) / N)

    # scalar: the same loss, one example at a time
    xs = [[Value(float(v)) for v in row] for row in X]
    outs = [mlp(x) for x in xs]
    loss = sum(((o - float(t)) ** 2 for row, trow in zip(outs, Y, strict=True)
                for o, t in zip(row, trow, strict=True)), Value(0.0)) / N
    loss.backward()

    np.testing.assert_allclose([[o.data for o in row] for row in outs], out,
                               rtol=1e-12, atol=1e-12)
    assert loss.data == pytest.approx(float(np.sum((out - Y) ** 2) / N), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in xs], dX,
                               rtol=1e-12, atol=1e-12)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert len(dense) == len(mlp.layers)
    for d, (dW, db) in zip(dense, mlp.grads(), strict=True):
        np.testing.assert_allclose(dW, dl.to_numpy(d.W.grad), rtol=1e-12, atol=1e-12)
        if d.b is None:
            assert db is None
        else:
            np.testing.assert_allclose(db, dl.to_numpy(d.b.grad), rtol=1e-12, atol=1e-12)


def test_from_dense_copies_weights_and_activation():
    dense = Dense(3, 2, rng=0, dtype="float64")
    layer = from_dense(dense, LeakyReLU(0.3))
    W, b = layer.weights()
    np.testing.assert_array_equal(W, dl.to_numpy(dense.W.data))
    np.testing.assert_array_equal(b, dl.to_numpy(dense.b.data))
    assert layer.neurons[0].activation == "leaky_relu" and layer.neurons[0].slope == 0.3
    assert from_dense(dense, "tanh").neurons[0].activation == "tanh"
    assert from_dense(dense).neurons[0].activation == "linear"
    with pytest.raises(TypeError, match="from_dense"):
        from_dense(Tanh())
    with pytest.raises(TypeError, match="from_dense"):
        from_dense(dense, Dropout(0.5))


@pytest.mark.parametrize(("layers", "match"), [
    (lambda: [Dense(2, 2, rng=0), Dropout(0.5)], "layer 1 .* not supported"),
    (lambda: [Tanh(), Dense(2, 2, rng=0)], "layer 0 .* without a Dense"),
    (lambda: [Dense(2, 2, rng=0), ReLU(), ReLU()], "layer 2 .* without a Dense"),
])
def test_mlp_from_sequential_rejects_other_layers(layers, match):
    with pytest.raises(TypeError, match=match):
        mlp_from_sequential(Sequential(*layers()))


def test_mlp_from_sequential_rejects_non_models():
    with pytest.raises(TypeError, match="mlp_from_sequential: model must be"):
        mlp_from_sequential([Dense(2, 2, rng=0)])


def test_autograd_does_not_import_plotting():
    import subprocess

    code = ("import sys, dnnlib.autograd; "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets') for m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
