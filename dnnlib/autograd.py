r"""A tiny scalar reverse-mode automatic differentiation engine (chapter 5).

In the spirit of Karpathy's *micrograd*: a :class:`Value` wraps one Python float,
remembers the operation and the operands that produced it, and knows the local
derivative of that operation. :meth:`Value.backward` visits the graph in reverse
topological order and applies the chain rule,

.. math:: \frac{\partial L}{\partial u} = \sum_{v \,:\, u \to v}
          \frac{\partial L}{\partial v}\,\frac{\partial v}{\partial u},

one edge at a time: every ``_backward`` closure **adds** (``+=``) its contribution
to the gradients of its operands, so a value used twice receives both.

Each operation below is written with its forward formula right beside its local
derivative. The second half of the module builds a small multilayer perceptron
out of :class:`Value` objects (:class:`Neuron`, :class:`Layer`, :class:`MLP`), and
:func:`dnnlib.lab.twins.mlp_from_sequential` copies the weights of a dnnlib
:class:`~dnnlib.model.Sequential` into one, so chapter 5 can check the vectorised
backward pass of :mod:`dnnlib.layers` against this scalar engine.

:func:`graph`, :func:`trace` and :func:`layout` describe a graph for drawing
(:mod:`dnnlib.plot` draws it with matplotlib; this module imports no plotting
library).

Examples
--------
>>> a = Value(2.0, label="a")
>>> b = Value(-0.5, label="b")
>>> L = (a * b + a).tanh(); L.label = "L"      # L = tanh(ab + a)
>>> L.backward()
>>> L
Value(data=0.7616, grad=1.0000, label='L')
>>> a                                           # dL/da = (1 - L^2)(b + 1)
Value(data=2.0000, grad=0.2100, label='a')
>>> round(b.grad, 4)                            # dL/db = (1 - L^2) a
0.8399
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import backend as B

__all__ = [
    "Value",
    "topological_order",
    "graph",
    "trace",
    "layout",
    "zero_grad",
    "Neuron",
    "Layer",
    "MLP",
]


def _noop() -> None:
    """The ``_backward`` of a leaf: nothing to propagate."""


def _is_real(x: Any) -> bool:
    """A real Python/NumPy number, bools excluded."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _as_value(other: Any, method: str, symbol: str) -> Value:
    """``other`` as a :class:`Value` (a constant leaf for a number), else a TypeError."""
    if isinstance(other, Value):
        return other
    if _is_real(other):
        return Value(float(other))
    raise TypeError(
        f"Value.{method} ({symbol}): operand must be a Value, int or float, got "
        f"{type(other).__name__} {other!r:.40}"
    )


def _fmt(x: float) -> str:
    """Four decimals for ordinary numbers, scientific notation for tiny or huge ones."""
    if x == 0.0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


class Value:
    r"""A scalar in a computational graph, with the gradient of the output w.r.t. it.

    Parameters
    ----------
    data : float
        The value (an int or a NumPy scalar is converted to ``float``).
    label : str, optional
        A name shown in ``repr`` and on drawn graphs (``"w1"``, ``"L"``...).
    _children : tuple of Value, optional
        The operands that produced this value (set by the operations, not by you).
        In the drawn graph the edges go from them into this node: they are its
        :attr:`parents`.
    _op : str, optional
        The operation that produced this value (``"+"``, ``"*"``, ``"tanh"``...);
        ``""`` for a leaf.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        :math:`\partial L / \partial \text{this}` after ``L.backward()``; starts at 0.

    Notes
    -----
    Supported: ``+ - * /`` (with Values or numbers on either side), ``**`` with an
    int or float exponent, ``c ** x`` for a number :math:`c > 0`, unary ``-``, and
    the methods :meth:`exp`, :meth:`log`, :meth:`tanh`, :meth:`sigmoid`,
    :meth:`relu` and :meth:`leaky_relu`. Every operation returns a new ``Value``
    whose ``_backward`` closure applies the local derivative
    (chapter 5, the chain rule on a computational graph):

    .. math:: \bar u \mathrel{+}= \bar v\,\frac{\partial v}{\partial u},
              \qquad \bar x := \frac{\partial L}{\partial x}.

    Values hash by identity (they are graph nodes), so ``==`` compares identity
    too; compare ``a.data == b.data`` for numbers.

    Examples
    --------
    >>> x = Value(0.5, label="x")
    >>> y = 2 * x ** 2 + 1          # numbers on either side are fine
    >>> y.backward()
    >>> y.data, x.grad               # dy/dx = 4x
    (1.5, 2.0)
    >>> Value(2.0).sigmoid()
    Value(data=0.8808, grad=0.0000)
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")
    # Make NumPy scalars defer to Value's reflected operators (np.float64(2) * v).
    __array_ufunc__ = None

    def __init__(self, data: float, label: str = "", _children: tuple[Value, ...] = (),
                 _op: str = "") -> None:
        if not _is_real(data):
            raise TypeError(f"Value: data must be an int or float, got {type(data).__name__} "
                            f"{data!r:.40}")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev: tuple[Value, ...] = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = _noop

    # -- read-only views for drawing and teaching ---------------------------------
    @property
    def op(self) -> str:
        """The operation that produced this value (``""`` for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands of :attr:`op`, in order (empty for a leaf; ``a + a`` gives two)."""
        return self._prev

    @property
    def is_leaf(self) -> bool:
        """True for an input, a parameter or a constant (no operands)."""
        return not self._prev

    # -- binary operations: forward formula | local derivatives -------------------
    def __add__(self, other: Any) -> Value:
        other = _as_value(other, "__add__", "+")
        out = Value(self.data + other.data, _children=(self, other), _op="+")  # v = a + b

        def _backward() -> None:
            self.grad += out.grad  # dv/da = 1
            other.grad += out.grad  # dv/db = 1

        out._backward = _backward
        return out

    def __sub__(self, other: Any) -> Value:
        other = _as_value(other, "__sub__", "-")
        out = Value(self.data - other.data, _children=(self, other), _op="-")  # v = a - b

        def _backward() -> None:
            self.grad += out.grad  # dv/da = 1
            other.grad -= out.grad  # dv/db = -1

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> Value:
        other = _as_value(other, "__mul__", "*")
        out = Value(self.data * other.data, _children=(self, other), _op="*")  # v = a b

        def _backward() -> None:
            self.grad += other.data * out.grad  # dv/da = b
            other.grad += self.data * out.grad  # dv/db = a

        out._backward = _backward
        return out

    def __truediv__(self, other: Any) -> Value:
        other = _as_value(other, "__truediv__", "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__ (/): division of {self.data!r} by zero")
        out = Value(self.data / other.data, _children=(self, other), _op="/")  # v = a / b

        def _backward() -> None:
            self.grad += out.grad / other.data  # dv/da = 1/b
            other.grad -= out.grad * self.data / other.data**2  # dv/db = -a/b^2

        out._backward = _backward
        return out

    def __pow__(self, k: Any) -> Value:
        if isinstance(k, Value):
            raise TypeError("Value.__pow__ (**): the exponent must be an int or float, got "
                            "Value; write (y * x.log()).exp() for x ** y with a Value y")
        if not _is_real(k):
            raise TypeError(f"Value.__pow__ (**): the exponent must be an int or float, got "
                            f"{type(k).__name__} {k!r:.40}")
        k = int(k) if isinstance(k, (int, np.integer)) else float(k)  # plain Python number
        x = self.data
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"Value.__pow__ (**): 0.0 ** {k!r} is undefined")
        if x < 0.0 and not float(k).is_integer():
            raise ValueError(f"Value.__pow__ (**): a negative base ({x!r}) to a non-integer "
                             f"power ({k!r}) is not a real number")
        out = Value(x**k, _children=(self,), _op=f"**{k!r}")  # v = x^k

        def _backward() -> None:
            # dv/dx = k x^(k-1); infinite at x = 0 for 0 < k < 1 (as PyTorch)
            if k == 0:
                return
            local = k * x ** (k - 1) if (x != 0.0 or k >= 1) else math.inf
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __rpow__(self, c: Any) -> Value:
        if not _is_real(c):
            raise TypeError(f"Value.__rpow__ (**): the base must be an int or float, got "
                            f"{type(c).__name__} {c!r:.40}")
        if c <= 0:
            raise ValueError(f"Value.__rpow__ (**): c ** x needs a base c > 0, got {c!r}")
        c = int(c) if isinstance(c, (int, np.integer)) else float(c)
        ln_c = math.log(c)
        out = Value(float(c) ** self.data, _children=(self,), _op=f"{c!r}**")  # v = c^x

        def _backward() -> None:
            self.grad += out.data * ln_c * out.grad  # dv/dx = c^x ln c

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, _children=(self,), _op="neg")  # v = -x

        def _backward() -> None:
            self.grad -= out.grad  # dv/dx = -1

        out._backward = _backward
        return out

    # -- a number on the left: 2 + x, 2 - x, 2 * x, 2 / x ------------------------
    def __radd__(self, other: Any) -> Value:
        return _as_value(other, "__radd__", "+") + self

    def __rsub__(self, other: Any) -> Value:
        return _as_value(other, "__rsub__", "-") - self

    def __rmul__(self, other: Any) -> Value:
        return _as_value(other, "__rmul__", "*") * self

    def __rtruediv__(self, other: Any) -> Value:
        return _as_value(other, "__rtruediv__", "/") / self

    # -- elementary functions -----------------------------------------------------
    def exp(self) -> Value:
        r"""``exp(x)``; derivative :math:`e^x` (the output itself).

        Examples
        --------
        >>> Value(0.0).exp().data
        1.0
        """
        try:
            e = math.exp(self.data)  # v = e^x
        except OverflowError:
            raise OverflowError(f"Value.exp: exp({self.data!r}) overflows a float") from None
        out = Value(e, _children=(self,), _op="exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # dv/dx = e^x

        out._backward = _backward
        return out

    def log(self) -> Value:
        r"""Natural logarithm; derivative :math:`1/x`. Needs ``x > 0`` (ValueError).

        Examples
        --------
        >>> Value(1.0).log().data
        0.0
        """
        x = self.data
        if not x > 0.0:
            raise ValueError(f"Value.log: data must be > 0, got {x!r}")
        out = Value(math.log(x), _children=(self,), _op="log")  # v = ln x

        def _backward() -> None:
            self.grad += out.grad / x  # dv/dx = 1/x

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        r"""Hyperbolic tangent; derivative :math:`1 - \tanh^2(x)`.

        Examples
        --------
        >>> Value(0.0).tanh().data
        0.0
        """
        t = math.tanh(self.data)  # v = tanh x
        out = Value(t, _children=(self,), _op="tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad  # dv/dx = 1 - tanh^2 x

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        r"""Logistic sigmoid :math:`\sigma(x) = 1/(1+e^{-x})`; derivative :math:`\sigma(1-\sigma)`.

        Computed without overflow for any finite ``x``.

        Examples
        --------
        >>> Value(0.0).sigmoid().data
        0.5
        """
        x = self.data
        if x >= 0.0:  # v = 1 / (1 + e^-x), written so that e^(...) never overflows
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad  # dv/dx = s (1 - s)

        out._backward = _backward
        return out

    def relu(self) -> Value:
        r"""``max(0, x)``; derivative :math:`\mathbb{1}[x > 0]` (0 at 0, as PyTorch).

        Examples
        --------
        >>> Value(-2.0).relu().data, Value(3.0).relu().data
        (0.0, 3.0)
        """
        x = self.data
        out = Value(x if x > 0.0 else 0.0, _children=(self,), _op="relu")  # v = max(0, x)

        def _backward() -> None:
            self.grad += (1.0 if x > 0.0 else 0.0) * out.grad  # dv/dx = 1[x > 0]

        out._backward = _backward
        return out

    def leaky_relu(self, slope: float = 0.01) -> Value:
        r"""``x`` for ``x > 0``, else ``slope * x``; derivative 1 or ``slope``.

        Examples
        --------
        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        if not _is_real(slope):
            raise TypeError(f"Value.leaky_relu: slope must be a float, got "
                            f"{type(slope).__name__}")
        a = float(slope)
        x = self.data
        out = Value(x if x > 0.0 else a * x, _children=(self,), _op="leaky_relu")  # max(x, ax)

        def _backward() -> None:
            self.grad += (1.0 if x > 0.0 else a) * out.grad  # dv/dx = 1 or a

        out._backward = _backward
        return out

    # -- backpropagation ----------------------------------------------------------
    def backward(self, grad: float = 1.0) -> None:
        r"""Fill ``.grad`` of every node of the graph with :math:`\partial L/\partial\,\cdot`.

        Parameters
        ----------
        grad : float, default 1.0
            The seed :math:`\partial L / \partial \text{self}` (1 when ``self`` is ``L``).

        Notes
        -----
        The nodes are visited in reverse topological order (:func:`topological_order`,
        iterative, so graphs deeper than Python's recursion limit work), so a node's
        gradient is complete before it is passed on. The gradients of intermediate
        nodes are recomputed from zero at each call; those of leaves (inputs,
        parameters) **accumulate** across calls, as in PyTorch: call
        :func:`zero_grad` (or ``MLP.zero_grad``) between training steps.

        Examples
        --------
        >>> w = Value(3.0)
        >>> (w * w).backward(); w.grad
        6.0
        >>> (w * w).backward(); w.grad     # accumulated
        12.0
        """
        if not _is_real(grad):
            raise TypeError(f"Value.backward: grad must be a float, got {type(grad).__name__}")
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += float(grad)
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 for every node of the graph ending at ``self``."""
        zero_grad(self)

    # -- conveniences -------------------------------------------------------------
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_fmt(self.data)}, grad={_fmt(self.grad)}{extra})"


# --------------------------------------------------------------------------- graph walks
def _check_root(root: Any, fn: str) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"{fn}: root must be a Value, got {type(root).__name__}")
    return root


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after its operands; ``root`` last.

    Parameters
    ----------
    root : Value
        The output of the graph (usually the loss).

    Returns
    -------
    list of Value
        Each node once, operands before results (a depth-first post-order,
        deterministic: operands are visited in order).

    Notes
    -----
    Iterative depth-first search with an explicit stack, so a chain of
    100 000 operations does not hit Python's recursion limit. Reversed, this is
    the order in which :meth:`Value.backward` applies the chain rule (chapter 5).

    Examples
    --------
    >>> a = Value(1.0, label="a"); b = Value(2.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> [v.label for v in topological_order(c + a)]
    ['a', 'b', 'c', '']
    """
    _check_root(root, "topological_order")
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # all its operands are already in ``order``
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in reversed(node._prev):  # reversed: the first operand is visited first
            if id(child) not in seen:
                stack.append((child, False))
    return order


def graph(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The nodes and edges of the graph ending at ``root``, for drawing.

    Returns
    -------
    nodes : list of Value
        In topological order (:func:`topological_order`).
    edges : list of (Value, Value)
        ``(operand, result)`` pairs, each once (``a + a`` gives one edge from ``a``;
        :func:`trace` keeps the repetition).

    Examples
    --------
    >>> a = Value(1.0, label="a")
    >>> nodes, edges = graph(a * a + 1)
    >>> len(nodes), len(edges)
    (4, 3)
    """
    nodes = topological_order(_check_root(root, "graph"))
    edges: list[tuple[Value, Value]] = []
    for node in nodes:
        seen: set[int] = set()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                edges.append((child, node))
    return nodes, edges


def trace(root: Value) -> list[tuple[Value, str, tuple[Value, ...]]]:
    """The forward computation as a list of steps ``(node, op, parents)``.

    Leaves appear with ``op == ""`` and no parents. Steps are in topological order,
    so replaying them from the top recomputes the forward pass, and reading them
    from the bottom is the order of the backward pass (chapter 5's step-through).

    Examples
    --------
    >>> x = Value(2.0, label="x")
    >>> y = (x * x).tanh()
    >>> [(op, len(ps)) for _, op, ps in trace(y)]
    [('', 0), ('*', 2), ('tanh', 1)]
    """
    return [(n, n._op, n._prev) for n in topological_order(_check_root(root, "trace"))]


def layout(root: Value) -> dict[Value, tuple[float, float]]:
    """Positions ``{node: (x, y)}`` for drawing the graph left to right, layered by depth.

    Parameters
    ----------
    root : Value
        The output node; it sits in the rightmost layer.

    Returns
    -------
    dict
        ``x`` is the layer (an integer stored as float): operations sit one layer
        after their deepest operand; leaves sit one layer before their first use, so
        a constant used late does not trail a long edge. ``y`` orders the nodes of a
        layer by topological order, centred on 0, one unit apart. Deterministic:
        the same expression gives the same picture.

    Examples
    --------
    >>> a = Value(1.0, label="a"); b = Value(2.0, label="b")
    >>> pos = layout((a * b).tanh())
    >>> sorted(pos.values())
    [(0.0, -0.5), (0.0, 0.5), (1.0, 0.0), (2.0, 0.0)]
    """
    nodes = topological_order(_check_root(root, "layout"))
    depth: dict[int, int] = {}
    for node in nodes:  # longest path from the leaves
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    first_use: dict[int, int] = {}
    for node in nodes:
        for c in node._prev:
            first_use[id(c)] = min(first_use.get(id(c), depth[id(node)]), depth[id(node)])
    for node in nodes:
        if not node._prev and id(node) in first_use:
            depth[id(node)] = first_use[id(node)] - 1
    layers: dict[int, list[Value]] = {}
    for node in nodes:
        layers.setdefault(depth[id(node)], []).append(node)
    pos: dict[Value, tuple[float, float]] = {}
    for x, members in layers.items():
        n = len(members)
        for i, node in enumerate(members):
            pos[node] = (float(x), float(i - (n - 1) / 2))
    return pos


def zero_grad(target: Value | Iterable[Value]) -> None:
    """Set ``.grad = 0`` on every node of a graph (a root Value) or on a list of Values.

    Examples
    --------
    >>> w = Value(3.0); y = w * w; y.backward()
    >>> zero_grad(y); w.grad
    0.0
    """
    nodes = topological_order(target) if isinstance(target, Value) else list(target)
    for node in nodes:
        if not isinstance(node, Value):
            raise TypeError(f"zero_grad: expected Values, got {type(node).__name__}")
        node.grad = 0.0


# --------------------------------------------------------------------------- a tiny MLP
_ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")


def _check_activation(activation: Any, fn: str) -> str:
    act = "linear" if activation is None else activation
    if act not in _ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {_ACTIVATIONS} or None, "
                         f"got {activation!r}")
    return act


def _apply(z: Value, activation: str, slope: float) -> Value:
    if activation == "linear":
        return z
    if activation == "leaky_relu":
        return z.leaky_relu(slope)
    return getattr(z, activation)()


class Neuron:
    r"""One unit: :math:`a = f\left(b + \sum_i w_i x_i\right)` on :class:`Value` objects.

    Parameters
    ----------
    n_in : int
        Number of inputs.
    activation : {"tanh", "relu", "sigmoid", "leaky_relu", "linear"} or None
        :math:`f`; ``None`` or ``"linear"`` for none.
    rng : numpy.random.Generator, int or None
        Source of the initial weights, uniform in :math:`[-1, 1]` as in micrograd.
    bias : bool, default True
        Whether the unit has a bias (it starts at 0).
    slope : float, default 0.01
        The negative slope of ``"leaky_relu"``.
    weights : sequence of float, optional
        Explicit weights ``(n_in,)`` instead of random ones (``rng`` is then unused).
    b : float, optional
        Explicit bias.

    Notes
    -----
    Chapter 5: the same neuron as chapter 1's :math:`a = f(w^\top x + b)`, but every
    multiplication and addition is a node of the graph, so ``backward`` finds
    :math:`\partial L/\partial w_i = \bar a\, f'(z)\, x_i`.

    Examples
    --------
    >>> n = Neuron(2, "tanh", weights=[0.5, -1.0], b=0.25)
    >>> out = n([1.0, 2.0])
    >>> round(out.data, 4)              # tanh(0.25 + 0.5 - 2)
    -0.8483
    >>> [p.label for p in n.parameters()]
    ['w0', 'w1', 'b']
    """

    def __init__(self, n_in: int, activation: str | None = "tanh", *, rng: Any = None,
                 bias: bool = True, slope: float = 0.01, weights: Sequence[float] | None = None,
                 b: float | None = None) -> None:
        if isinstance(n_in, bool) or not isinstance(n_in, (int, np.integer)) or n_in < 1:
            raise ValueError(f"Neuron: n_in must be an int >= 1, got {n_in!r}")
        self.activation = _check_activation(activation, "Neuron")
        self.slope = float(slope)
        if weights is None:
            g = B.as_generator(rng, fn="Neuron")
            weights = [float(v) for v in g.uniform(-1.0, 1.0, int(n_in))]
        elif len(weights) != n_in:
            raise ValueError(f"Neuron: weights must have n_in={n_in} entries, got {len(weights)}")
        self.w = [Value(float(v), label=f"w{i}") for i, v in enumerate(weights)]
        self.b = Value(0.0 if b is None else float(b), label="b") if bias else None

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """``x``: ``n_in`` Values or floats -> the unit's output Value."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: x has {len(x)} inputs, expected {len(self.w)}")
        z: Value | float = self.b if self.b is not None else 0.0
        for wi, xi in zip(self.w, x, strict=True):  # z = b + sum_i w_i x_i
            z = wi * xi + z
        z = z if isinstance(z, Value) else Value(z)
        return _apply(z, self.activation, self.slope)

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return self.w + ([self.b] if self.b is not None else [])

    def __repr__(self) -> str:
        return f"Neuron(n_in={len(self.w)}, activation={self.activation!r})"


class Layer:
    r"""A list of :class:`Neuron` objects reading the same inputs.

    (The scalar engine's layer, not :class:`dnnlib.layers.Layer`.)

    Parameters
    ----------
    n_in, n_out : int
        Inputs per neuron, number of neurons.
    activation, rng, bias, slope
        As for :class:`Neuron` (one generator feeds every neuron in turn).

    Notes
    -----
    The scalar twin of ``Dense`` + activation: neuron ``j`` holds column ``j`` of
    :math:`W \in \mathbb{R}^{D \times H}` and :math:`b_j`, so
    :math:`a_j = f\left(b_j + \sum_i x_i W_{ij}\right)` (chapter 5).

    Examples
    --------
    >>> layer = Layer(3, 2, "relu", rng=0)
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    >>> layer.weights()[0].shape          # W as in Dense: (in, out)
    (3, 2)
    """

    def __init__(self, n_in: int, n_out: int, activation: str | None = "tanh", *,
                 rng: Any = None, bias: bool = True, slope: float = 0.01) -> None:
        if isinstance(n_out, bool) or not isinstance(n_out, (int, np.integer)) or n_out < 1:
            raise ValueError(f"Layer: n_out must be an int >= 1, got {n_out!r}")
        g = B.as_generator(rng, fn="Layer")
        self.neurons = [Neuron(n_in, activation, rng=g, bias=bias, slope=slope)
                        for _ in range(int(n_out))]

    @classmethod
    def from_arrays(cls, W: Any, b: Any = None, activation: str | None = None, *,
                    slope: float = 0.01) -> Layer:
        """A layer with given weights ``W: (in, out)`` and bias ``b: (out,)`` (or None).

        Examples
        --------
        >>> layer = Layer.from_arrays([[1.0, 2.0]], [0.0, 1.0], "linear")
        >>> [v.data for v in layer([3.0])]
        [3.0, 7.0]
        """
        W = np.asarray(B.to_numpy(W), dtype=np.float64)
        if W.ndim != 2:
            raise ValueError(f"Layer.from_arrays: W must be 2-D (in, out), got shape {W.shape}")
        n_in, n_out = W.shape
        bb = None if b is None else np.asarray(B.to_numpy(b), dtype=np.float64)
        if bb is not None and bb.shape != (n_out,):
            raise ValueError(f"Layer.from_arrays: b must have shape ({n_out},), got {bb.shape}")
        layer = cls.__new__(cls)
        layer.neurons = [
            Neuron(n_in, activation, bias=bb is not None, slope=slope,
                   weights=[float(v) for v in W[:, j]],
                   b=None if bb is None else float(bb[j]))
            for j in range(n_out)
        ]
        return layer

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """``x``: ``n_in`` Values or floats -> a list of ``n_out`` Values."""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        """Every neuron's weights and bias, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def weights(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(W, b)`` as float64 arrays shaped like Dense's: ``(in, out)`` and ``(out,)``."""
        W = np.array([[w.data for w in n.w] for n in self.neurons]).T
        has_b = self.neurons[0].b is not None
        b = np.array([n.b.data for n in self.neurons]) if has_b else None
        return W, b

    def grads(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(dW, db)`` after ``backward``, shaped like :meth:`weights` (Dense's ``W.grad``)."""
        dW = np.array([[w.grad for w in n.w] for n in self.neurons]).T
        has_b = self.neurons[0].b is not None
        db = np.array([n.b.grad for n in self.neurons]) if has_b else None
        return dW, db

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer(n_in={len(n.w)}, n_out={len(self.neurons)}, activation={n.activation!r})"


class MLP:
    r"""A multilayer perceptron on :class:`Value` objects, as in micrograd.

    Parameters
    ----------
    n_in : int
        Number of inputs ``D``.
    n_outs : sequence of int
        Units per layer, e.g. ``[4, 4, 1]``.
    activation : str or None, default "tanh"
        Activation of the hidden layers.
    out_activation : str or None, default None
        Activation of the last layer (``None``: linear output).
    rng : numpy.random.Generator, int or None
        Source of the initial weights (uniform in :math:`[-1, 1]`).

    Notes
    -----
    Chapter 5 uses it to check the vectorised backward pass of ``Sequential`` on a
    tiny network: build the twin with :func:`mlp_from_sequential`, compute the same
    loss with both, and compare ``mlp.layers[k].grads()`` with the ``Dense`` grads.

    Examples
    --------
    >>> mlp = MLP(2, [3, 1], rng=0)
    >>> out = mlp([1.0, -1.0])
    >>> loss = (out[0] - 1.0) ** 2
    >>> loss.backward()
    >>> len(mlp.parameters())        # (2*3 + 3) + (3*1 + 1)
    13
    >>> mlp.zero_grad(); mlp.parameters()[0].grad
    0.0
    """

    def __init__(self, n_in: int, n_outs: Sequence[int], activation: str | None = "tanh",
                 out_activation: str | None = None, *, rng: Any = None,
                 slope: float = 0.01) -> None:
        if isinstance(n_outs, (int, np.integer)) or len(n_outs) == 0:
            raise ValueError(f"MLP: n_outs must be a non-empty list of layer sizes, got "
                             f"{n_outs!r}")
        g = B.as_generator(rng, fn="MLP")
        sizes = [n_in, *n_outs]
        last = len(n_outs) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], out_activation if i == last else activation,
                  rng=g, slope=slope)
            for i in range(len(n_outs))
        ]

    @classmethod
    def from_layers(cls, layers: Sequence[Layer]) -> MLP:
        """An MLP made of given :class:`Layer` objects (sizes must chain)."""
        layers = list(layers)
        if not layers or not all(isinstance(la, Layer) for la in layers):
            raise TypeError("MLP.from_layers: expected a non-empty list of autograd.Layer")
        for i in range(1, len(layers)):
            prev, cur = len(layers[i - 1].neurons), len(layers[i].neurons[0].w)
            if prev != cur:
                raise ValueError(f"MLP.from_layers: layer {i} takes {cur} inputs, but layer "
                                 f"{i - 1} gives {prev}")
        mlp = cls.__new__(cls)
        mlp.layers = layers
        return mlp

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """``x``: ``D`` Values or floats -> a list of Values (one per output unit)."""
        out: Sequence[Value | float] = x
        for layer in self.layers:
            out = layer(out)
        return list(out)  # type: ignore[arg-type]

    def parameters(self) -> list[Value]:
        """Every parameter, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        zero_grad(self.parameters())

    def grads(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """``[(dW, db), ...]`` per layer, shaped like the ``Dense`` parameters."""
        return [layer.grads() for layer in self.layers]

    def __repr__(self) -> str:
        return "MLP(" + ", ".join(repr(la) for la in self.layers) + ")"


def __getattr__(name: str) -> Any:
    # from_dense and mlp_from_sequential copy dnnlib layers into Values: they moved to
    # dnnlib.lab.twins (this module knows nothing of layers); kept here for one release.
    if name in ("from_dense", "mlp_from_sequential"):
        from .lab import twins

        return getattr(twins, name)
    raise AttributeError(f"module 'dnnlib.autograd' has no attribute {name!r}")
