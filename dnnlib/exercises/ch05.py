"""Checkers for the exercises of chapter 5 (backpropagation).

* :func:`check_dense_backward`: ``dense_backward(dout, x, W) -> (dx, dW, db)``, the
  backward pass of ``z = x W + b``.
* :func:`check_prelu`: a ``PReLU`` layer class (a learnable slope ``alpha`` per
  feature for negative inputs) whose ``backward`` the reader writes and checks with
  :func:`dnnlib.gradcheck.check_gradients`.
* :func:`check_dense_tanh_backward`: the fixed ``dense_tanh_backward(dout, x, W, b)``
  (the hand-out :func:`handout_dense_tanh_backward` has a bug); the checker compares
  each of ``dx``, ``dW``, ``db`` with centred finite differences and says which is
  wrong and by how much; the likely fix only with ``hint=True``.
* :func:`check_value_engine`: the scalar engine written by the reader (the hand-out
  :data:`HANDOUT_VALUE` with the backward of ``*`` and of ``tanh`` to write), compared
  with :class:`dnnlib.autograd.Value` on expressions and on a tiny MLP trained with it
  (:func:`train_tiny_mlp`).

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_gradients, numerical_gradient, relative_error
from ._checker import Checker, CheckResult, describe

__all__ = [
    "check_dense_backward",
    "check_prelu",
    "check_dense_tanh_backward",
    "check_value_engine",
    "handout_dense_tanh_backward",
    "HANDOUT_VALUE",
    "train_tiny_mlp",
]


def _case_data(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(g.normal(size=s), 2) for s in shapes]


# --------------------------------------------------------------------------- exercise 1
def check_dense_backward(dense_backward: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    """Check ``dense_backward(dout, x, W) -> (dx, dW, db)`` for ``z = x @ W + b``.

    ``x: (N, D)``, ``W: (D, H)``, ``dout = dL/dz: (N, H)``; the answer is
    ``dx = dout @ W.T: (N, D)``, ``dW = x.T @ dout: (D, H)``, ``db = dout.sum(axis=0):
    (H,)`` (chapter 5). Cases: a batch, a square case where ``W`` and ``W.T`` both fit,
    a batch of one, and inputs left unmodified.

    Examples
    --------
    >>> def dense_backward(dout, x, W):
    ...     return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    >>> check_dense_backward(dense_backward, verbose=False).passed
    True
    """
    chk = Checker("dense_backward")
    fn = dense_backward

    def expect(dout: np.ndarray, x: np.ndarray, W: np.ndarray) -> None:
        got = chk.call(fn, dout, x, W, arg_names=("dout", "x", "W"))
        dx, dW, db = chk.expect_tuple(got, ("dx", "dW", "db"))
        N, (D, H) = x.shape[0], W.shape
        want_dx, want_dW, want_db = dout @ W.T, x.T @ dout, dout.sum(axis=0)
        chk.expect_shape(dW, (D, H), what="dW", mistakes=[
            ((H, D), "dW is transposed: dW = x.T @ dout has W's shape (D, H)"),
            ((N, H), "dW must have W's shape (D, H): multiply x.T (D, N) by dout (N, H), "
                     "which sums over the batch"),
        ])
        chk.expect_close(dW, want_dW, what="dW", mistakes=[
            (want_dW.T, "dW is transposed: dW = x.T @ dout has W's shape (D, H)"),
            (want_dW / N, "you divided dW by N: the loss is already a mean, so its 1/N is "
                          "inside dout; dW = x.T @ dout"),
            (-want_dW, "the sign of dW is flipped: dW = x.T @ dout (a gradient, not a step)"),
        ])
        chk.expect_shape(db, (H,), what="db", mistakes=[
            ((N,), "db summed over the wrong axis: sum dout over the batch, axis=0, "
                   "giving shape (H,)"),
            ((), "db summed over everything: sum dout over the batch only (axis=0), one "
                 "entry per unit"),
            ((1, H), "db must have b's shape (H,): use dout.sum(axis=0) without keepdims"),
            ((N, H), "db must have b's shape (H,): the bias is shared by all examples, so "
                     "its gradient sums dout over the batch (axis=0)"),
        ])
        chk.expect_close(db, want_db, what="db", mistakes=[
            (want_db / N, "you averaged db over the batch: the 1/N of the mean loss is "
                          "already in dout, so db = dout.sum(axis=0)"),
            (-want_db, "the sign of db is flipped: db = dout.sum(axis=0)"),
        ])
        chk.expect_shape(dx, tuple(x.shape), what="dx", mistakes=[
            ((N, H), "dx must have x's shape (N, D): dx = dout @ W.T"),
            ((D, N), "dx is transposed: dx = dout @ W.T has x's shape (N, D)"),
        ])
        mistakes = [(dout @ W, "dx uses W instead of W.T: dx = dout @ W.T (each input i "
                     "collects dout_j W_ij over the units j)")] if D == H else []
        chk.expect_close(dx, want_dx, what="dx", mistakes=mistakes + [
            (np.zeros_like(want_dx), "dx is zero: the input gradient is dout @ W.T"),
            (want_dx / N, "you divided dx by N: the 1/N of the mean loss is already in dout"),
        ])

    @chk.case("a batch: x (4, 3), W (3, 2), dout (4, 2) -> dx (4, 3), dW (3, 2), db (2,)")
    def _():
        x, W, dout = _case_data(1, (4, 3), (3, 2), (4, 2))
        expect(dout, x, W)

    @chk.case("a square case, N = D = H = 3: W and W.T both fit")
    def _():
        x, W, dout = _case_data(2, (3, 3), (3, 3), (3, 3))
        expect(dout, x, W)

    @chk.case("a batch of one: x (1, 4), W (4, 2), dout (1, 2)")
    def _():
        x, W, dout = _case_data(3, (1, 4), (4, 2), (1, 2))
        expect(dout, x, W)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_prelu(PReLU: Any, *, verbose: bool = True) -> CheckResult:
    r"""Check a ``PReLU`` layer class: its forward, its backward and a gradient check.

    ``PReLU(num_features, alpha=0.25)`` must hold a float64 ``Parameter`` ``alpha`` of
    shape ``(D,)`` (listed in ``params``); ``forward(x: (N, D))`` returns
    :math:`a = x` where :math:`x > 0` and :math:`\alpha_j x` elsewhere; ``backward(dout)``
    returns :math:`dx = \text{dout} \odot (1 \text{ if } x > 0 \text{ else } \alpha_j)`
    and **adds** :math:`\partial L/\partial \alpha_j = \sum_n \text{dout}_{nj}
    \min(x_{nj}, 0)` to ``alpha.grad`` (chapter 5). The last case runs
    :func:`dnnlib.gradcheck.check_gradients` on the layer.

    Examples
    --------
    >>> from dnnlib.layers import Layer, Parameter
    >>> class PReLU(Layer):
    ...     def __init__(self, num_features, alpha=0.25):
    ...         super().__init__()
    ...         self.alpha = Parameter(np.full(num_features, alpha), "alpha")
    ...     @property
    ...     def params(self):
    ...         return [self.alpha]
    ...     def forward(self, x):
    ...         self.cache = x
    ...         return np.where(x > 0, x, self.alpha.data * x)
    ...     def backward(self, dout):
    ...         x = self.cache
    ...         self.alpha.grad += np.sum(dout * np.minimum(x, 0), axis=0)
    ...         return dout * np.where(x > 0, 1.0, self.alpha.data)
    >>> check_prelu(PReLU, verbose=False).passed
    True
    """
    chk = Checker("PReLU", stub_hint="Write the backward method (replace `raise "
                  "NotImplementedError`), run that cell,\nthen run this cell again.")

    def build(D: int, alphas: np.ndarray) -> Any:
        layer = chk.call(PReLU, D, alpha=0.25, name="PReLU")
        alpha = getattr(layer, "alpha", None)
        if alpha is None or not hasattr(alpha, "data") or not hasattr(alpha, "grad"):
            chk.fail("the layer has no Parameter `alpha` (use Parameter(np.full(D, alpha), "
                     "'alpha'))")
        params = layer.params() if callable(layer.params) else layer.params
        if not any(p is alpha for p in params):
            chk.fail("alpha is not listed in `params`: optimizers and check_gradients would "
                     "never see it")
        if not isinstance(alpha.data, np.ndarray):
            chk.fail(f"alpha.data is {describe(alpha.data)}, not a NumPy array (a Parameter "
                     "built from a Python list keeps the list, and its gradient and updates "
                     "cannot work in place). Build it from an array: Parameter(np.full("
                     "num_features, alpha), 'alpha')")
        if alpha.data.shape != (D,):
            chk.fail(f"alpha must have shape (num_features,) = ({D},), got {alpha.data.shape}")
        if alpha.data.dtype != np.float64:
            chk.fail(f"alpha must be float64 for a gradient check, got {alpha.data.dtype}")
        alpha.data[...] = alphas
        return layer

    def forward(layer: Any, x: np.ndarray) -> Any:
        return chk.call(layer.forward, x, name="PReLU.forward", arg_names=("x",))

    def backward(layer: Any, dout: np.ndarray) -> Any:
        return chk.call(layer.backward, dout, name="PReLU.backward", arg_names=("dout",))

    def data(seed: int, N: int, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = np.random.default_rng(seed)
        x = g.normal(size=(N, D))
        x = np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)  # away from the kink at 0
        return x, g.normal(size=(N, D)), np.round(g.uniform(0.05, 0.5, size=D), 2)

    def alpha_grad(layer: Any, D: int) -> np.ndarray:
        return chk.expect_shape(layer.alpha.grad, (D,), what="alpha.grad", mistakes=[
            ((6, D), "alpha.grad must be summed over the batch (axis=0): alpha is shared "
                     "by all examples"),
        ])

    @chk.case("forward on a batch (N=5, D=3): x where x > 0, alpha_j * x elsewhere")
    def _():
        x, _, alphas = data(1, 5, 3)
        layer = build(3, alphas)
        got = forward(layer, x)
        chk.expect_shape(got, x.shape)
        chk.expect_close(got, np.where(x > 0, x, alphas * x), mistakes=[
            (np.maximum(x, 0), "forward ignores alpha (that is ReLU)"),
        ])

    @chk.case("backward: dx = dout * (1 where x > 0, alpha_j elsewhere)")
    def _():
        x, dout, alphas = data(2, 5, 3)
        layer = build(3, alphas)
        forward(layer, x)
        dx = backward(layer, dout)
        chk.expect_shape(dx, x.shape, what="dx", mistakes=[
            ((3,), "backward must return dx, shaped like x (N, D); alpha's gradient goes "
                   "into alpha.grad"),
        ])
        chk.expect_close(dx, dout * np.where(x > 0, 1.0, alphas), what="dx", mistakes=[
            (dout * (x > 0), "dx ignores alpha: for x < 0 the slope of PReLU is alpha_j, "
                             "not 0"),
            (dout * np.where(x > 0, alphas, 1.0), "the slopes are swapped: 1 for x > 0, "
                                                  "alpha_j for x < 0"),
            (dout * np.where(x > 0, x, alphas * x), "dx multiplies dout by the output a; "
                                                    "multiply by the slope da/dx instead"),
            (np.where(x > 0, 1.0, alphas), "dx forgot the upstream gradient: multiply the "
                                           "local slope by dout"),
            (dout, "dx = dout ignores the layer: multiply by its slope, 1 for x > 0 and "
                   "alpha_j elsewhere"),
        ])

    @chk.case("backward: alpha.grad = sum over the batch of dout * min(x, 0)")
    def _():
        x, dout, alphas = data(3, 6, 4)
        layer = build(4, alphas)
        forward(layer, x)
        backward(layer, dout)
        got = alpha_grad(layer, 4)
        want = np.sum(dout * np.minimum(x, 0.0), axis=0)
        chk.expect_close(got, want, what="alpha.grad", mistakes=[
            (np.zeros(4), "alpha.grad stayed 0: add dL/dalpha to self.alpha.grad in backward"),
            (np.sum(dout * x, axis=0), "only negative inputs depend on alpha: "
                                       "dL/dalpha_j = sum_n dout_nj * min(x_nj, 0)"),
            (np.mean(dout * np.minimum(x, 0.0), axis=0),
             "you averaged over the batch: the 1/N of the loss is already in dout, so sum"),
            (-want, "the sign of alpha.grad is flipped"),
            (np.sum(dout * np.maximum(x, 0.0), axis=0), "alpha scales the NEGATIVE inputs: "
                                                        "use min(x, 0), not max(x, 0)"),
        ])

    @chk.case("backward twice: alpha.grad accumulates (+=), as in every dnnlib layer")
    def _():
        x, dout, alphas = data(4, 4, 2)
        layer = build(2, alphas)
        forward(layer, x)
        backward(layer, dout)
        backward(layer, dout)
        want = np.sum(dout * np.minimum(x, 0.0), axis=0)
        got = chk.expect_shape(layer.alpha.grad, (2,), what="alpha.grad")
        chk.expect_close(got, 2 * want, what="alpha.grad after two backward passes", mistakes=[
            (want, "alpha.grad was overwritten (=) instead of accumulated (+=): the "
                   "optimizer's zero_grad resets it, backward only adds"),
        ])

    @chk.case("dnnlib.gradcheck.check_gradients(layer, x): dx and alpha.grad vs finite "
              "differences")
    def _():
        x, _, alphas = data(5, 5, 3)
        x = 3.0 * x  # a wider range of inputs than the cases above
        layer = build(3, alphas)
        result = chk.call(check_gradients, layer, x, name="check_gradients")
        if not result.ok:
            chk.fail(f"the gradient check failed: relative error {result.max_rel_error:.1e} "
                     f"at {result.where} (the tolerance is {result.tol:.0e})")

    return chk.run(PReLU, kind="class", required=("backward",), verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def handout_dense_tanh_backward(dout, x, W, b):
    # forward: z = x @ W + b, a = tanh(z);  dout = dL/da: (N, H)
    a = np.tanh(x @ W + b)
    dz = dout * (1.0 - a**2)          # through tanh
    dW = x.T @ dout                   # (D, N) @ (N, H) -> (D, H)
    db = dz.sum(axis=0)               # (H,)
    dx = dz @ W.T                     # (N, H) @ (H, D) -> (N, D)
    return dx, dW, db


def check_dense_tanh_backward(dense_tanh_backward: Callable[..., Any], *, hint: bool = False,
                              verbose: bool = True) -> CheckResult:
    r"""Check the fixed ``dense_tanh_backward(dout, x, W, b) -> (dx, dW, db)``.

    The layer computes :math:`a = \tanh(xW + b)`; ``dout`` is
    :math:`\partial L/\partial a` of shape ``(N, H)``. Each returned gradient is
    compared with centred finite differences of :math:`L = \sum a \odot
    \text{dout}` (:func:`dnnlib.gradcheck.numerical_gradient`). The feedback comes in
    steps: first which of ``dx``, ``dW``, ``db`` are wrong and by how much (the relative
    error) and which are right; the likely mistake and its fix only when the reader asks
    with ``hint=True``. The hand-out (:func:`handout_dense_tanh_backward`) counts as
    "not attempted yet"; an edit that changes nothing (a renamed variable) gets the
    same first step as any other wrong answer.

    Examples
    --------
    >>> r = check_dense_tanh_backward(handout_dense_tanh_backward)  # doctest: +ELLIPSIS
    dense_tanh_backward: not attempted yet.
    ...
    """
    chk = Checker("dense_tanh_backward")
    fn = dense_tanh_backward

    def expect(seed: int, N: int, D: int, H: int) -> None:
        g = np.random.default_rng(seed)
        x, W, b, dout = (g.normal(size=s) for s in ((N, D), (D, H), (H,), (N, H)))
        W *= 0.7
        got = chk.call(fn, dout, x, W, b, arg_names=("dout", "x", "W", "b"))
        dx, dW, db = chk.expect_tuple(got, ("dx", "dW", "db"))

        def loss(x_: np.ndarray, W_: np.ndarray, b_: np.ndarray) -> float:
            return float(np.sum(np.tanh(x_ @ W_ + b_) * dout))

        want = {
            "dx": numerical_gradient(lambda v: loss(v, W, b), x),
            "dW": numerical_gradient(lambda v: loss(x, v, b), W),
            "db": numerical_gradient(lambda v: loss(x, W, v), b),
        }
        answers = {"dx": dx, "dW": dW, "db": db}
        shapes = {"dx": x.shape, "dW": W.shape, "db": b.shape}
        arrays: dict[str, np.ndarray] = {}
        wrong: dict[str, str] = {}
        for name, value in answers.items():
            arr = chk.expect_array(value, what=name)
            arrays[name] = arr
            if arr.shape != shapes[name]:
                wrong[name] = f"shape {arr.shape}, expected {shapes[name]}"
                continue
            err = relative_error(arr.astype(np.float64), want[name])
            if not err < 1e-6:
                wrong[name] = f"relative error {err:.1e} against finite differences"
        if not wrong:
            return
        right = [k for k in answers if k not in wrong]
        msg = "; ".join(f"{k} is wrong ({v})" for k, v in wrong.items())
        if right:
            msg += f"; {' and '.join(right)} {'is' if len(right) == 1 else 'are'} right"
        handout = handout_dense_tanh_backward(dout, x, W, b)
        if all(arrays[k].shape == np.shape(h) and np.allclose(arrays[k], h)
               for k, h in zip(("dx", "dW", "db"), handout, strict=True)):
            msg = "your function still returns what the hand-out returns: " + msg
        if not hint:
            lines = " and ".join(f"the line that computes {k}" for k in wrong)
            msg += (f". Look at {lines}: which gradient should it use (eq-bp-dz to "
                    "eq-bp-dx)? For a hint, run check_dense_tanh_backward(dense_tanh_backward,"
                    " hint=True)")
            chk.fail(msg)
        hints = []
        a = np.tanh(x @ W + b)
        if "dW" in wrong and np.shape(dW) == (D, H) and np.allclose(dW, x.T @ dout):
            hints.append("dW uses dout, the gradient *after* tanh; the weights act before "
                         "tanh, so dW needs dz = dout * (1 - a**2): dW = x.T @ dz")
        if "db" in wrong and np.shape(db) == (H,) and np.allclose(db, dout.sum(axis=0)):
            hints.append("db uses dout instead of dz = dout * (1 - a**2)")
        if "dx" in wrong and np.shape(dx) == x.shape and np.allclose(dx, dout @ W.T):
            hints.append("dx uses dout instead of dz = dout * (1 - a**2)")
        dz_wrong = {"1 - a": dout * (1.0 - a), "a (1 - a), the sigmoid's": dout * a * (1.0 - a),
                    "1 - z**2 (with the input z)": dout * (1.0 - (x @ W + b) ** 2)}
        for label, dz in dz_wrong.items():
            if "db" in wrong and np.shape(db) == (H,) and np.allclose(db, dz.sum(axis=0)):
                hints.append(f"the derivative of tanh is 1 - a**2 (a = tanh(z)), not {label}")
        if len(wrong) == 3 and not hints:
            hints.append("all three are wrong: look at what they share, dz = dout * "
                         "(1 - a**2) (the derivative of tanh is 1 - tanh^2)")
        if hints:
            msg += ". Likely mistake: " + "; ".join(hints)
        else:
            msg += ". No known mistake matches: compare each line with eq-bp-dz to eq-bp-dx"
        chk.fail(msg)

    @chk.case("a batch: x (5, 3), W (3, 4), b (4,), dout (5, 4)")
    def _():
        expect(1, 5, 3, 4)

    @chk.case("a square case, N = D = H = 3")
    def _():
        expect(2, 3, 3, 3)

    @chk.case("a batch of one: x (1, 4), W (4, 2)")
    def _():
        expect(3, 1, 4, 2)

    return chk.run(fn, untouched=handout_dense_tanh_backward, verbose=verbose)


# --------------------------------------------------------------------------- exercise 4
#: The reader's cell of the scalar-engine exercise: chapter 5's engine in brief, with
#: the backward of ``*`` and of ``tanh`` to write (the body of each ``_backward``). The
#: comments use the chapter's symbols: ``out`` is the node :math:`s`, ``self`` and ``other``
#: its operands :math:`u_1, u_2` (eq-adjoint).
HANDOUT_VALUE = '''import math


class Value:
    """A scalar that remembers how it was computed: chapter 5's engine in brief."""

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0                  # dL/d(this value), filled in by backward()
        self._prev = tuple(_children)    # the operands that produced this value
        self._backward = lambda: None    # adds this node's share to its operands' .grad

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))    # s = u1 + u2

        def _backward():
            self.grad += out.grad        # ds/du1 = 1
            other.grad += out.grad       # ds/du2 = 1

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))    # s = u1 * u2

        def _backward():
            raise NotImplementedError  # your code here

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))                               # s = tanh(u)

        def _backward():
            raise NotImplementedError  # your code here

        out._backward = _backward
        return out

    __radd__ = __add__                   # 2 + v
    __rmul__ = __mul__                   # 2 * v

    def backward(self):
        """dL/d(node) for every node of the graph, L = self: reverse topological order."""
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"
'''


def train_tiny_mlp(Value: Any, steps: int = 30, lr: float = 0.1
                   ) -> tuple[list[float], list[float]]:
    r"""Train a 2-3-1 tanh MLP on XOR (inputs and targets in {-1, 1}) with a scalar engine.

    Every number is a ``Value`` of the given class and only ``+``, ``*``, ``tanh`` and
    ``backward`` are used: the loss is :math:`\sum_n (\hat y_n - y_n)^2` over the four
    points, one step of gradient descent per iteration, from weights fixed by a seed.
    With :class:`dnnlib.autograd.Value` and with a correct engine of the reader's the
    losses agree to rounding.

    Returns
    -------
    losses : list of float
        The loss before each of the ``steps`` updates.
    params : list of float
        The 13 parameters after training.

    Examples
    --------
    >>> from dnnlib.autograd import Value
    >>> losses, params = train_tiny_mlp(Value)
    >>> len(params), losses[-1] < 0.5 * losses[0]
    (13, True)
    """
    g = np.random.default_rng(0)
    W1 = [[Value(float(w)) for w in row] for row in g.normal(scale=1.0, size=(3, 2))]
    b1 = [Value(float(v)) for v in g.normal(scale=0.1, size=3)]
    W2 = [Value(float(w)) for w in g.normal(scale=1.0, size=3)]
    b2 = Value(0.0)
    params = [w for row in W1 for w in row] + b1 + W2 + [b2]
    X = [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
    Y = [-1.0, 1.0, 1.0, -1.0]
    losses = []
    for _ in range(steps):
        for p in params:
            p.grad = 0.0
        loss = Value(0.0)
        for (x1, x2), y in zip(X, Y, strict=True):
            h = [(W1[j][0] * x1 + W1[j][1] * x2 + b1[j]).tanh() for j in range(3)]
            out = (W2[0] * h[0] + W2[1] * h[1] + W2[2] * h[2] + b2).tanh()
            d = out + (-y)
            loss = loss + d * d
        loss.backward()
        losses.append(float(loss.data))
        for p in params:
            p.data -= lr * p.grad
    return losses, [float(p.data) for p in params]


def check_value_engine(Value: Any, *, verbose: bool = True) -> CheckResult:
    r"""Check the reader's scalar engine: the backward of ``a * b`` and of ``tanh``.

    ``Value`` is the class of :data:`HANDOUT_VALUE` with the two ``_backward`` closures
    written (chapter 5's symbols, eq-adjoint): :math:`\bar u_1 \mathrel{+}= u_2\,\bar s`
    and :math:`\bar u_2 \mathrel{+}= u_1\,\bar s` for :math:`s = u_1 u_2`, and
    :math:`\bar u \mathrel{+}= (1 - \tanh^2 u)\,\bar s` for :math:`s = \tanh u`. Each
    case builds an expression with the reader's class and with
    :class:`dnnlib.autograd.Value`, calls ``backward()`` and compares the gradients
    (named: ``a.grad``, ``x.grad``...); the last case trains a tiny MLP with both
    (:func:`train_tiny_mlp`). Named mistakes: swapped operands, a forgotten upstream
    gradient ``out.grad``, ``=`` instead of ``+=``, the derivative of tanh written with
    the input instead of the output.

    Examples
    --------
    >>> from dnnlib.autograd import Value
    >>> check_value_engine(Value, verbose=False).passed
    True
    """
    from ..autograd import Value as Reference

    chk = Checker("Value", stub_hint="Write the two _backward functions (in __mul__ and in "
                  "tanh), run that cell,\nthen run this cell again.")

    def evaluate(V: Any, build: Callable[..., Any], leaves: dict[str, float]
                 ) -> tuple[Any, dict[str, Any]]:
        nodes = {k: V(v) for k, v in leaves.items()}
        out = build(**nodes)
        out.backward()
        return out.data, {k: node.grad for k, node in nodes.items()}

    def compare(build: Callable[..., Any], leaves: dict[str, float], expr: str,
                mistakes: dict[str, list[tuple[float, str]]]) -> None:
        got = chk.call(evaluate, Value, build, leaves, name=f"your Value on {expr}")
        data, grads = chk.expect_tuple(got, ("data", "grads"))
        want_data, want_grads = evaluate(Reference, build, leaves)
        value = chk.expect_number(data, what=f"the value of {expr}")
        chk.expect_close(value, want_data, what=f"the value of {expr}", rtol=1e-12,
                         atol=1e-12)
        for k in leaves:
            grad = chk.expect_number(grads[k], what=f"{k}.grad")
            chk.expect_close(grad, want_grads[k], what=f"{k}.grad ({expr})", rtol=1e-10,
                             atol=1e-12, mistakes=mistakes.get(k, []))

    @chk.case("a * b: a.grad = b and b.grad = a")
    def _():
        compare(lambda a, b: a * b, {"a": 2.0, "b": -3.0}, "a * b", {
            "a": [(2.0, "the operands are swapped: d(a*b)/da = b, so self.grad += other.data * "
                        "out.grad"),
                  (1.0, "that is the derivative of a + b; the derivative of a * b by a is b"),
                  (-6.0, "you added the product out.data; d(a*b)/da = b: self.grad += "
                         "other.data * out.grad")],
            "b": [(-3.0, "the operands are swapped: d(a*b)/db = a, so other.grad += self.data * "
                         "out.grad"),
                  (1.0, "that is the derivative of a + b; the derivative of a * b by b is a"),
                  (0.0, "b.grad stayed 0: the backward of a product updates BOTH operands, "
                        "other.grad += self.data * out.grad")],
        })

    @chk.case("a number on either side: a * 4.0 + 4.0 * b")
    def _():
        compare(lambda a, b: a * 4.0 + 4.0 * b, {"a": 1.5, "b": -0.5}, "a * 4.0 + 4.0 * b",
                {"a": [(1.5, "the operands are swapped: d(a*b)/da = b (here the constant 4.0)")]})

    @chk.case("a value used twice: a * a gives a.grad = 2a (+=, not =)")
    def _():
        compare(lambda a: a * a, {"a": 3.0}, "a * a", {
            "a": [(3.0, "a.grad kept only one of its two contributions: write self.grad += "
                        "... and other.grad += ..., not =, so that a value used twice "
                        "receives both (eq-adjoint sums over all uses)")],
        })

    @chk.case("the chain rule: (a * b) * c multiplies by the upstream gradient out.grad")
    def _():
        compare(lambda a, b, c: (a * b) * c, {"a": 2.0, "b": -3.0, "c": 0.5},
                "(a * b) * c", {
                    "a": [(-3.0, "a.grad is missing the factor out.grad (here c = 0.5): "
                                 "self.grad += other.data * out.grad (the chain rule)")],
                    "b": [(2.0, "b.grad is missing the factor out.grad (here c = 0.5): "
                                "other.grad += self.data * out.grad (the chain rule)")],
                })

    t = math.tanh(0.8)

    @chk.case("tanh(x): x.grad = 1 - tanh(x)**2")
    def _():
        compare(lambda x: x.tanh(), {"x": 0.8}, "x.tanh()", {
            "x": [(1 - 0.8**2, "you used the input: the derivative of tanh at x is 1 - "
                               "tanh(x)**2 = 1 - t**2 with t = out.data, not 1 - x**2"),
                  (t, "that is tanh itself; its derivative is 1 - tanh(x)**2"),
                  (1 - t, "the square is missing: 1 - tanh(x)**2"),
                  (t * (1 - t), "t (1 - t) is the sigmoid's derivative; tanh's is 1 - t**2"),
                  (1 + t**2, "the sign is wrong: 1 - tanh(x)**2"),
                  (-2 * t * (1 - t**2), "that is the second derivative; the first is "
                                        "1 - tanh(x)**2")],
        })

    @chk.case("tanh in a chain: 3 * tanh(x) * tanh(x)")
    def _():
        d = 6 * t * (1 - t**2)
        compare(lambda x: 3.0 * x.tanh() * x.tanh(), {"x": 0.8}, "3 * tanh(x) * tanh(x)", {
            "x": [(2 * (1 - t**2), "x.grad is missing the factor out.grad: self.grad += "
                                   "(1 - t**2) * out.grad (the chain rule)"),
                  (d / 2, "x.grad kept only one of the two uses of tanh(x): write "
                          "self.grad += ..., not =")],
        })

    @chk.case("an expression against dnnlib.autograd.Value: tanh(a * b + c) * tanh(a) + b")
    def _():
        compare(lambda a, b, c: (a * b + c).tanh() * a.tanh() + b,
                {"a": 0.3, "b": -1.2, "c": 0.7}, "tanh(a * b + c) * tanh(a) + b", {})

    @chk.case("a tiny MLP (2-3-1, tanh) trained 30 steps on XOR with your Value follows "
              "dnnlib's engine")
    def _():
        got = chk.call(train_tiny_mlp, Value, name="train_tiny_mlp(Value)")
        losses, params = chk.expect_tuple(got, ("losses", "params"))
        want_losses, want_params = train_tiny_mlp(Reference)
        chk.expect_close(np.asarray(losses, dtype=np.float64), np.asarray(want_losses),
                         what="the training losses", rtol=1e-9, atol=1e-12)
        chk.expect_close(np.asarray(params, dtype=np.float64), np.asarray(want_params),
                         what="the trained parameters", rtol=1e-9, atol=1e-12)

    return chk.run(Value, kind="class", verbose=verbose)
