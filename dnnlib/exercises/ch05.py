"""Checkers for the exercises of chapter 5 (backpropagation).

* :func:`check_dense_backward`: ``dense_backward(dout, x, W) -> (dx, dW, db)``, the
  backward pass of ``z = x W + b``.
* :func:`check_prelu`: a ``PReLU`` layer class (a learnable slope ``alpha`` per
  feature for negative inputs) whose ``backward`` the reader writes and checks with
  :func:`dnnlib.gradcheck.check_gradients`.
* :func:`check_dense_tanh_backward`: the fixed ``dense_tanh_backward(dout, x, W, b)``
  (the hand-out :func:`handout_dense_tanh_backward` has a bug); the checker compares
  each of ``dx``, ``dW``, ``db`` with centred finite differences and says which is
  wrong.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_gradients, numerical_gradient, relative_error
from ._checker import Checker, CheckResult, NotAttempted

__all__ = [
    "check_dense_backward",
    "check_prelu",
    "check_dense_tanh_backward",
    "handout_dense_tanh_backward",
]


def _case_data(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(g.normal(size=s), 2) for s in shapes]


def _three(chk: Checker, got: Any, what: str = "(dx, dW, db)") -> tuple[Any, Any, Any]:
    """The reader's answer as three arrays, or a failure saying what to return."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        n = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        chk.fail(f"{chk.name} returned a {type(got).__name__}{n}; return the three gradients "
                 f"as a tuple {what}")
    return got[0], got[1], got[2]


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
        d0, x0, W0 = dout.copy(), x.copy(), W.copy()
        got = chk.call(fn, dout, x, W)  # the originals: a modification is reported below
        dx, dW, db = _three(chk, got)
        dout, x, W, d_in, x_in, W_in = d0, x0, W0, dout, x, W
        N, (D, H) = x.shape[0], W.shape
        want_dx, want_dW, want_db = dout @ W.T, x.T @ dout, dout.sum(axis=0)
        chk.expect_shape(dW, (D, H), mistakes=[
            ((H, D), "dW is transposed: dW = x.T @ dout has W's shape (D, H)"),
            ((N, H), "dW must have W's shape (D, H): multiply x.T (D, N) by dout (N, H), "
                     "which sums over the batch"),
        ])
        chk.expect_close(dW, want_dW, mistakes=[
            (want_dW.T, "dW is transposed: dW = x.T @ dout has W's shape (D, H)"),
            (want_dW / N, "you divided dW by N: the loss is already a mean, so its 1/N is "
                          "inside dout; dW = x.T @ dout"),
            (-want_dW, "the sign of dW is flipped: dW = x.T @ dout (a gradient, not a step)"),
        ])
        chk.expect_shape(db, (H,), mistakes=[
            ((N,), "db summed over the wrong axis: sum dout over the batch, axis=0, "
                   "giving shape (H,)"),
            ((), "db summed over everything: sum dout over the batch only (axis=0), one "
                 "entry per unit"),
            ((1, H), "db must have b's shape (H,): use dout.sum(axis=0) without keepdims"),
            ((N, H), "db must have b's shape (H,): the bias is shared by all examples, so "
                     "its gradient sums dout over the batch (axis=0)"),
        ])
        chk.expect_close(db, want_db, mistakes=[
            (want_db / N, "you averaged db over the batch: the 1/N of the mean loss is "
                          "already in dout, so db = dout.sum(axis=0)"),
        ])
        chk.expect_shape(dx, tuple(x.shape), mistakes=[
            ((N, H), "dx must have x's shape (N, D): dx = dout @ W.T"),
            ((D, N), "dx is transposed: dx = dout @ W.T has x's shape (N, D)"),
        ])
        mistakes = [(dout @ W, "dx uses W instead of W.T: dx = dout @ W.T (each input i collects "
                     "dout_j W_ij over the units j)")] if D == H else []
        chk.expect_close(dx, want_dx, mistakes=mistakes + [
            (np.zeros_like(want_dx), "dx is zero: the input gradient is dout @ W.T"),
        ])
        chk.expect_unchanged(d0, d_in, "dout")
        chk.expect_unchanged(x0, x_in, "x")
        chk.expect_unchanged(W0, W_in, "W")

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
        layer = chk.call(PReLU, D, alpha=0.25)
        alpha = getattr(layer, "alpha", None)
        if alpha is None or not hasattr(alpha, "data") or not hasattr(alpha, "grad"):
            chk.fail("the layer has no Parameter `alpha` (use Parameter(np.full(D, alpha), "
                     "'alpha'))")
        params = layer.params() if callable(layer.params) else layer.params
        if not any(p is alpha for p in params):
            chk.fail("alpha is not listed in `params`: optimizers and check_gradients would "
                     "never see it")
        data = np.asarray(alpha.data)
        if data.shape != (D,):
            chk.fail(f"alpha must have shape (num_features,) = ({D},), got {data.shape}")
        if data.dtype != np.float64:
            chk.fail(f"alpha must be float64 for a gradient check, got {data.dtype}")
        alpha.data[...] = alphas
        return layer

    def data(seed: int, N: int, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = np.random.default_rng(seed)
        x = g.normal(size=(N, D))
        x = np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)  # away from the kink at 0
        return x, g.normal(size=(N, D)), np.round(g.uniform(0.05, 0.5, size=D), 2)

    @chk.case("forward on a batch (N=5, D=3): x where x > 0, alpha_j * x elsewhere")
    def _():
        x, _, alphas = data(1, 5, 3)
        layer = build(3, alphas)
        got = chk.call(layer.forward, x.copy())
        chk.expect_shape(got, x.shape)
        chk.expect_close(got, np.where(x > 0, x, alphas * x), mistakes=[
            (np.maximum(x, 0), "forward ignores alpha (that is ReLU)"),
        ])

    @chk.case("backward: dx = dout * (1 where x > 0, alpha_j elsewhere)")
    def _():
        x, dout, alphas = data(2, 5, 3)
        layer = build(3, alphas)
        chk.call(layer.forward, x.copy())
        dx = chk.call(layer.backward, dout.copy())
        chk.expect_shape(dx, x.shape, mistakes=[
            ((3,), "backward must return dx, shaped like x (N, D); alpha's gradient goes "
                   "into alpha.grad"),
        ])
        chk.expect_close(dx, dout * np.where(x > 0, 1.0, alphas), mistakes=[
            (dout * (x > 0), "dx ignores alpha: for x < 0 the slope of PReLU is alpha_j, "
                             "not 0"),
            (dout * np.where(x > 0, alphas, 1.0), "the slopes are swapped: 1 for x > 0, "
                                                  "alpha_j for x < 0"),
            (dout * np.where(x > 0, x, alphas * x), "dx multiplies dout by the output a; "
                                                    "multiply by the slope da/dx instead"),
            (np.where(x > 0, 1.0, alphas), "dx forgot the upstream gradient: multiply the "
                                           "local slope by dout"),
        ])

    @chk.case("backward: alpha.grad = sum over the batch of dout * min(x, 0)")
    def _():
        x, dout, alphas = data(3, 6, 4)
        layer = build(4, alphas)
        chk.call(layer.forward, x.copy())
        chk.call(layer.backward, dout.copy())
        got = np.asarray(layer.alpha.grad)
        want = np.sum(dout * np.minimum(x, 0.0), axis=0)
        chk.expect_shape(got, (4,), mistakes=[
            ((6, 4), "alpha.grad must be summed over the batch (axis=0): alpha is shared "
                     "by all examples"),
        ])
        chk.expect_close(got, want, mistakes=[
            (np.zeros(4), "alpha.grad stayed 0: add dL/dalpha to self.alpha.grad in backward"),
            (np.sum(dout * x, axis=0), "only negative inputs depend on alpha: "
                                       "dL/dalpha_j = sum_n dout_nj * min(x_nj, 0)"),
            (np.mean(dout * np.minimum(x, 0.0), axis=0),
             "you averaged over the batch: the 1/N of the loss is already in dout, so sum"),
            (-want, "the sign of alpha.grad is flipped"),
        ])

    @chk.case("backward twice: alpha.grad accumulates (+=), as in every dnnlib layer")
    def _():
        x, dout, alphas = data(4, 4, 2)
        layer = build(2, alphas)
        chk.call(layer.forward, x.copy())
        chk.call(layer.backward, dout.copy())
        chk.call(layer.backward, dout.copy())
        want = np.sum(dout * np.minimum(x, 0.0), axis=0)
        chk.expect_close(np.asarray(layer.alpha.grad), 2 * want, mistakes=[
            (want, "alpha.grad was overwritten (=) instead of accumulated (+=): the "
                   "optimizer's zero_grad resets it, backward only adds"),
        ])

    @chk.case("dnnlib.gradcheck.check_gradients(layer, x): dx and alpha.grad vs finite "
              "differences")
    def _():
        x, _, alphas = data(5, 5, 3)
        x = 3.0 * x  # a wider range of inputs than the cases above
        layer = build(3, alphas)
        try:
            result = check_gradients(layer, x)
        except NotImplementedError:
            raise NotAttempted from None
        except Exception as exc:
            chk.fail(f"check_gradients raised {type(exc).__name__}: {exc}")
        if not result.ok:
            chk.fail(f"the gradient check failed: relative error {result.max_rel_error:.1e} "
                     f"at {result.where} (the tolerance is {result.tol:.0e})")

    return chk.run(PReLU, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def handout_dense_tanh_backward(dout, x, W, b):
    # forward: z = x @ W + b, a = tanh(z);  dout = dL/da: (N, H)
    a = np.tanh(x @ W + b)
    dz = dout * (1.0 - a**2)          # through tanh
    dW = x.T @ dout                   # (D, N) @ (N, H) -> (D, H)
    db = dz.sum(axis=0)               # (H,)
    dx = dz @ W.T                     # (N, H) @ (H, D) -> (N, D)
    return dx, dW, db


def check_dense_tanh_backward(dense_tanh_backward: Callable[..., Any], *,
                              verbose: bool = True) -> CheckResult:
    r"""Check the fixed ``dense_tanh_backward(dout, x, W, b) -> (dx, dW, db)``.

    The layer computes :math:`a = \tanh(xW + b)`; ``dout`` is
    :math:`\partial L/\partial a` of shape ``(N, H)``. Each returned gradient is
    compared with centred finite differences of :math:`L = \sum a \odot
    \text{dout}` (:func:`dnnlib.gradcheck.numerical_gradient`) and the feedback names
    the wrong ones: ``dW``, ``db`` or ``dx``. The hand-out
    (:func:`handout_dense_tanh_backward`) counts as "not attempted yet".

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
        got = chk.call(fn, dout.copy(), x.copy(), W.copy(), b.copy())
        dx, dW, db = _three(chk, got)

        def loss(x_: np.ndarray, W_: np.ndarray, b_: np.ndarray) -> float:
            return float(np.sum(np.tanh(x_ @ W_ + b_) * dout))

        want = {
            "dx": numerical_gradient(lambda v: loss(v, W, b), x),
            "dW": numerical_gradient(lambda v: loss(x, v, b), W),
            "db": numerical_gradient(lambda v: loss(x, W, v), b),
        }
        answers = {"dx": dx, "dW": dW, "db": db}
        shapes = {"dx": x.shape, "dW": W.shape, "db": b.shape}
        wrong: dict[str, str] = {}
        for name, value in answers.items():
            arr = chk.expect_array(value)
            if arr.shape != shapes[name]:
                wrong[name] = f"shape {arr.shape}, expected {shapes[name]}"
                continue
            err = relative_error(arr.astype(np.float64), want[name])
            if not err < 1e-6:
                wrong[name] = f"relative error {err:.1e}"
        if not wrong:
            return
        hints = []
        if "dW" in wrong and np.shape(dW) == (D, H) and np.allclose(dW, x.T @ dout):
            hints.append("dW uses dout, the gradient *after* tanh; the weights act before "
                         "tanh, so dW needs dz = dout * (1 - a**2), like db and dx")
        if "db" in wrong and np.shape(db) == (H,) and np.allclose(db, dout.sum(axis=0)):
            hints.append("db uses dout instead of dz = dout * (1 - a**2)")
        if "dx" in wrong and np.shape(dx) == x.shape and np.allclose(dx, dout @ W.T):
            hints.append("dx uses dout instead of dz = dout * (1 - a**2)")
        if len(wrong) == 3:
            hints.append("all three are wrong: look at what they share, dz = dout * (1 - a**2)"
                         " (the derivative of tanh is 1 - tanh^2)")
        right = [k for k in answers if k not in wrong]
        msg = "; ".join(f"{k} is wrong ({v})" for k, v in wrong.items())
        if right:
            msg += f"; {' and '.join(right)} {'is' if len(right) == 1 else 'are'} right"
        if hints:
            msg += ". Likely mistake: " + "; ".join(hints)
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
