r"""Checkers for the exercises of chapter 10 (recurrent networks).

* :func:`check_rnn_step_backward`: ``rnn_step_backward(dh, x, h_prev, W_ih, W_hh, b) ->
  (dx, dh_prev, dW_ih, dW_hh, db)``, the backward pass of one step
  :math:`h = \tanh(x W_{ih}^\top + h_{\text{prev}} W_{hh}^\top + b)`.
* :func:`check_rnn_bptt`: ``rnn_bptt(xs, W_ih, W_hh, b, dh_last) -> (dxs, dW_ih, dW_hh,
  db)``, backpropagation through time over a short sequence from :math:`h_0 = 0`, the
  loss depending on the last state only; compared with :class:`dnnlib.layers.RNN`.
* :func:`check_clip_grad_norm`: ``clip_grad_norm(grads, max_norm) -> (clipped,
  total_norm)``, clipping by the global norm (PyTorch's rule, on a list of arrays,
  without modifying them).

Layouts are PyTorch's (``W_ih (H, D)``, ``W_hh (H, H)``, rows are examples); one bias
``b (H,)`` stands for ``b_ih + b_hh``. Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..layers import RNN
from ._checker import Checker, CheckResult, describe

__all__ = ["check_rnn_step_backward", "check_rnn_bptt", "check_clip_grad_norm"]


def _data(seed: int, *shapes: tuple[int, ...], scale: float = 1.0) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(scale * g.normal(size=s), 2) for s in shapes]


def _unambiguous(hints: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """Drop the wrong answers that coincide with another hint's (numerically)."""
    out = []
    for i, (w, h) in enumerate(hints):
        w = np.asarray(w, dtype=float)
        if not any(j != i and np.shape(v) == w.shape and np.allclose(v, w)
                   for j, (v, _) in enumerate(hints)):
            out.append((w, h))
    return out


# --------------------------------------------------------------------------- exercise 1
def _step_parts(dh, x, h_prev, W_ih, W_hh, b):
    h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
    da = dh * (1.0 - h * h)
    return h, da


def check_rnn_step_backward(rnn_step_backward: Callable[..., Any], *, verbose: bool = True
                            ) -> CheckResult:
    r"""Check ``rnn_step_backward(dh, x, h_prev, W_ih, W_hh, b)`` -> 5 gradients.

    One step of a tanh RNN (chapter 10), rows are examples: ``x (N, D)``,
    ``h_prev (N, H)``, ``W_ih (H, D)``, ``W_hh (H, H)``, ``b (H,)``,
    :math:`a = x W_{ih}^\top + h_{\text{prev}} W_{hh}^\top + b`, :math:`h = \tanh a`;
    ``dh = dL/dh (N, H)``. Return ``(dx, dh_prev, dW_ih, dW_hh, db)``:
    :math:`\delta = dh \odot (1 - h^2)`,
    ``dx = delta @ W_ih``, ``dh_prev = delta @ W_hh``, ``dW_ih = delta.T @ x``,
    ``dW_hh = delta.T @ h_prev``, ``db = delta.sum(axis=0)``. Cases: a batch with
    ``D != H``, a batch of one, a saturated step (large pre-activations). The feedback
    names: the tanh derivative forgotten or taken at ``h_prev``, ``1 - h`` for
    ``1 - h**2``, transposed weight gradients, ``W_hh`` where ``W_hh.T`` belongs, an
    averaged ``db``.

    Examples
    --------
    >>> def rnn_step_backward(dh, x, h_prev, W_ih, W_hh, b):
    ...     h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
    ...     delta = dh * (1 - h ** 2)
    ...     return (delta @ W_ih, delta @ W_hh, delta.T @ x, delta.T @ h_prev,
    ...             delta.sum(axis=0))
    >>> check_rnn_step_backward(rnn_step_backward, verbose=False).passed
    True
    """
    chk = Checker("rnn_step_backward")
    fn = rnn_step_backward
    names = ("dx", "dh_prev", "dW_ih", "dW_hh", "db")

    def expect(seed: int, N: int, D: int, H: int, scale: float = 1.0) -> None:
        dh, x, h_prev = _data(seed, (N, H), (N, D), (N, H))
        W_ih, W_hh = _data(seed + 50, (H, D), (H, H), scale=0.6 * scale)
        b = _data(seed + 60, (H,), scale=scale)[0]
        got = chk.call(fn, dh, x, h_prev, W_ih, W_hh, b,
                       arg_names=("dh", "x", "h_prev", "W_ih", "W_hh", "b"))
        dx, dh_prev, dW_ih, dW_hh, db = chk.expect_tuple(got, names)
        h, da = _step_parts(dh, x, h_prev, W_ih, W_hh, b)

        def wrong_deltas() -> list[tuple[np.ndarray, str]]:
            return [
                (dh, "the derivative of tanh is missing: delta = dh * (1 - h**2), with h the "
                     "step's output"),
                (dh * (1 - h_prev ** 2), "tanh's derivative is taken at h_prev; it belongs "
                                         "to this step's output h: delta = dh * (1 - h**2)"),
                (dh * (1 - h), "1 - h is not the derivative of tanh: use 1 - h**2"),
                (dh * (1 - np.tanh(h) ** 2), "you applied tanh twice: h is already tanh(a), "
                                             "so delta = dh * (1 - h**2)"),
            ]

        chk.expect_shape(db, (H,), what="db", mistakes=[
            ((N, H), "db must be summed over the batch (axis=0)")])
        chk.expect_close(db, da.sum(axis=0), what="db", mistakes=_unambiguous(
            [(d.sum(axis=0), hint) for d, hint in wrong_deltas()]
            + [(da.mean(axis=0), "you averaged db; sum it over the batch")]),
            rtol=1e-9, atol=1e-9)
        chk.expect_shape(dW_ih, (H, D), what="dW_ih", mistakes=[
            ((D, H), "dW_ih is transposed: W_ih is (H, D) as in PyTorch, so dW_ih = "
                     "delta.T @ x")])
        chk.expect_close(dW_ih, da.T @ x, what="dW_ih", mistakes=_unambiguous(
            [(d.T @ x, hint) for d, hint in wrong_deltas()]), rtol=1e-9, atol=1e-9)
        chk.expect_shape(dW_hh, (H, H), what="dW_hh")
        chk.expect_close(dW_hh, da.T @ h_prev, what="dW_hh", mistakes=_unambiguous(
            [(h_prev.T @ da, "dW_hh is transposed: a = h_prev @ W_hh.T, so dW_hh = "
                             "delta.T @ h_prev (PyTorch's (out, in) layout)"),
             (da.T @ h, "dW_hh pairs delta with this step's h; it multiplied h_prev: "
                        "dW_hh = delta.T @ h_prev")]
            + [(d.T @ h_prev, hint) for d, hint in wrong_deltas()]), rtol=1e-9, atol=1e-9)
        chk.expect_shape(dx, (N, D), what="dx")
        chk.expect_close(dx, da @ W_ih, what="dx", mistakes=_unambiguous(
            [(d @ W_ih, hint) for d, hint in wrong_deltas()]), rtol=1e-9, atol=1e-9)
        chk.expect_shape(dh_prev, (N, H), what="dh_prev")
        chk.expect_close(dh_prev, da @ W_hh, what="dh_prev", mistakes=_unambiguous(
            [(da @ W_hh.T, "dh_prev uses W_hh.T; since a = h_prev @ W_hh.T, dh_prev = "
                           "delta @ W_hh"),
             (dh, "dh_prev is dh itself: the gradient reaches h_prev through tanh and W_hh")]
            + [(d @ W_hh, hint) for d, hint in wrong_deltas()]), rtol=1e-9, atol=1e-9)

    @chk.case("a batch: x (4, 3), h_prev (4, 2): D != H, so transposes show")
    def _():
        expect(1, 4, 3, 2)

    @chk.case("H = D = 3 (shapes cannot tell W_hh from W_hh.T; values can)")
    def _():
        expect(2, 5, 3, 3)

    @chk.case("edge case: a batch of one example")
    def _():
        expect(3, 1, 2, 4)

    @chk.case("a saturated step: large pre-activations, tanh' close to 0")
    def _():
        expect(4, 3, 2, 3, scale=4.0)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def _bptt_reference(xs, W_ih, W_hh, b, dh_last):
    N, T, D = xs.shape
    H = W_hh.shape[0]
    rnn = RNN(D, H, dtype="float64")
    rnn.W_ih.data[...] = W_ih
    rnn.W_hh.data[...] = W_hh
    rnn.b_ih.data[...] = b
    rnn.b_hh.data[...] = 0.0
    rnn.forward(xs)
    dxs = rnn.backward(dh_last)
    return (np.asarray(dxs), np.asarray(rnn.W_ih.grad), np.asarray(rnn.W_hh.grad),
            np.asarray(rnn.b_ih.grad))


def _bptt_variants(xs, W_ih, W_hh, b, dh_last):
    """Known wrong BPTTs: truncated to the last step, h_t for h_{t-1}, tanh' at h_{t-1}."""
    N, T, D = xs.shape
    H = W_hh.shape[0]
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(np.tanh(xs[:, t] @ W_ih.T + hs[-1] @ W_hh.T + b))

    def run(kind: str):
        dxs, dW_ih, dW_hh, db = np.zeros_like(xs), np.zeros_like(W_ih), np.zeros_like(W_hh), \
            np.zeros_like(b)
        g = dh_last
        for t in reversed(range(T)):
            h, h_prev = hs[t + 1], hs[t]
            deriv = 1 - h_prev ** 2 if kind == "deriv_prev" else 1 - h ** 2
            da = g * deriv
            dxs[:, t] = da @ W_ih
            dW_ih += da.T @ xs[:, t]
            dW_hh += da.T @ (h if kind == "h_not_prev" else h_prev)
            db += da.sum(axis=0)
            g = da @ W_hh
            if kind == "truncated":
                break
        return dxs, dW_ih, dW_hh, db

    hint = {
        "truncated": "only the last step contributes: the gradient must flow back through "
                     "every step (dh_prev = delta_t @ W_hh) and each step adds its share to "
                     "the shared weights",
        "h_not_prev": "dW_hh pairs delta_t with h_t; the weights W_hh multiplied h_{t-1}: "
                      "dW_hh += delta_t.T @ h_{t-1}",
        "deriv_prev": "tanh's derivative is taken at h_{t-1}; step t's is 1 - h_t**2",
    }
    return [(run(k), hint[k]) for k in hint]


def check_rnn_bptt(rnn_bptt: Callable[..., Any], *, verbose: bool = True) -> CheckResult:
    r"""Check ``rnn_bptt(xs, W_ih, W_hh, b, dh_last) -> (dxs, dW_ih, dW_hh, db)``.

    From :math:`h_0 = 0`, :math:`h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)`
    for ``t = 1..T`` (``xs (N, T, D)``, ``xs[:, t - 1]`` is :math:`x_t`); the loss depends
    on :math:`h_T` only, with ``dh_last = dL/dh_T (N, H)``. Return the gradients of the
    loss with respect to every input ``dxs (N, T, D)`` and the shared parameters
    (chapter 10: backpropagation through time). Compared with
    :class:`dnnlib.layers.RNN`. Cases: one step (no recurrence yet), four steps, a long
    sequence with small weights (the gradient to the first input nearly vanishes).

    Examples
    --------
    >>> def rnn_bptt(xs, W_ih, W_hh, b, dh_last):
    ...     N, T, D = xs.shape
    ...     hs = [np.zeros((N, W_hh.shape[0]))]
    ...     for t in range(T):
    ...         hs.append(np.tanh(xs[:, t] @ W_ih.T + hs[-1] @ W_hh.T + b))
    ...     dxs = np.zeros_like(xs)
    ...     dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
    ...     g = dh_last
    ...     for t in reversed(range(T)):
    ...         delta = g * (1 - hs[t + 1] ** 2)
    ...         dxs[:, t] = delta @ W_ih
    ...         dW_ih += delta.T @ xs[:, t]
    ...         dW_hh += delta.T @ hs[t]
    ...         db += delta.sum(axis=0)
    ...         g = delta @ W_hh
    ...     return dxs, dW_ih, dW_hh, db
    >>> check_rnn_bptt(rnn_bptt, verbose=False).passed
    True
    """
    chk = Checker("rnn_bptt")
    fn = rnn_bptt
    names = ("dxs", "dW_ih", "dW_hh", "db")

    def expect(seed: int, N: int, T: int, D: int, H: int, scale: float = 0.7) -> None:
        xs, dh_last = _data(seed, (N, T, D), (N, H))
        W_ih, W_hh = _data(seed + 50, (H, D), (H, H), scale=scale)
        b = _data(seed + 60, (H,), scale=0.3)[0]
        got = chk.call(fn, xs, W_ih, W_hh, b, dh_last,
                       arg_names=("xs", "W_ih", "W_hh", "b", "dh_last"))
        parts = chk.expect_tuple(got, names)
        want = _bptt_reference(xs, W_ih, W_hh, b, dh_last)
        variants = _bptt_variants(xs, W_ih, W_hh, b, dh_last)
        shapes = {"dxs": xs.shape, "dW_ih": W_ih.shape, "dW_hh": W_hh.shape, "db": b.shape}
        order = ("db", "dW_ih", "dW_hh", "dxs")
        for name in order:
            i = names.index(name)
            extra = []
            if name == "dxs":
                extra = [(want[0][:, ::-1], "dxs is reversed in time: dxs[:, t] is the gradient "
                                            "of xs[:, t], whatever order the loop visits")]
            chk.expect_shape(parts[i], shapes[name], what=name)
            chk.expect_close(parts[i], want[i], what=name, mistakes=_unambiguous(
                [(v[i], hint) for v, hint in variants] + extra), rtol=1e-8, atol=1e-10)

    @chk.case("edge case: T = 1 (one step from h_0 = 0: no recurrence yet)")
    def _():
        expect(1, 3, 1, 2, 3)

    @chk.case("T = 4 steps, x (3, 4, 2), H = 3")
    def _():
        expect(2, 3, 4, 2, 3)

    @chk.case("T = 12 steps with small recurrent weights: the gradient reaching xs[:, 0] "
              "is tiny, and must still be right")
    def _():
        expect(3, 2, 12, 1, 4, scale=0.3)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def check_clip_grad_norm(clip_grad_norm: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    r"""Check ``clip_grad_norm(grads, max_norm) -> (clipped, total_norm)``.

    ``grads`` is a list of arrays (the gradients of every parameter). With
    :math:`\lVert g\rVert` the norm of all their entries together, return the list of
    arrays scaled by :math:`c / (\lVert g\rVert + 10^{-6})` when that factor is below 1
    (unchanged otherwise), and :math:`\lVert g\rVert` **before** clipping, as PyTorch's
    ``clip_grad_norm_`` (chapter 10). The input arrays must not be modified. The
    feedback names: each array clipped on its own, entries clipped by value, always
    rescaled, the norm after clipping, the squared norm.

    Examples
    --------
    >>> def clip_grad_norm(grads, max_norm):
    ...     total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    ...     factor = max_norm / (total + 1e-6)
    ...     if factor < 1:
    ...         grads = [g * factor for g in grads]
    ...     return grads, total
    >>> check_clip_grad_norm(clip_grad_norm, verbose=False).passed
    True
    """
    chk = Checker("clip_grad_norm")
    fn = clip_grad_norm

    def expect(grads: list[np.ndarray], max_norm: float) -> None:
        got = chk.call(fn, grads, max_norm, arg_names=("grads", "max_norm"))
        clipped, total = chk.expect_tuple(got, ("clipped", "total_norm"))
        norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        factor = max_norm / (norm + 1e-6)
        want = [g * factor for g in grads] if factor < 1 else [g.copy() for g in grads]
        after = norm * min(factor, 1.0)
        value = chk.expect_number(total, what="total_norm")
        chk.expect_close(value, norm, what="total_norm", mistakes=[
            (norm ** 2, "total_norm is the squared norm: take the square root"),
            (after, "total_norm is the norm after clipping; return the norm before (it tells "
                    "how large the gradient really was)"),
            (min(norm, max_norm), "total_norm is the norm after clipping; return the norm "
                                  "before (it tells how large the gradient really was)"),
        ], rtol=1e-9, atol=1e-12)
        if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
            chk.fail(f"clipped is {describe(clipped)}; return a list of {len(grads)} arrays, "
                     "one per gradient, in the same order")
        per_array = [g * min(1.0, max_norm / (np.sqrt(np.sum(g ** 2)) + 1e-6)) for g in grads]
        always = [g * max_norm / (norm + 1e-6) for g in grads]
        by_value = [np.clip(g, -max_norm, max_norm) for g in grads]
        for k, (c, w, g) in enumerate(zip(clipped, want, grads, strict=True)):
            chk.expect_shape(c, g.shape, what=f"clipped[{k}]")
            chk.expect_close(c, w, what=f"clipped[{k}]", mistakes=_unambiguous([
                (per_array[k], "each array is clipped on its own; clip by the GLOBAL norm of "
                               "all the gradients together (the direction of the whole step "
                               "is kept)"),
                (always[k], "the gradients are rescaled even though their norm is below "
                            "max_norm; clip only when max_norm / (norm + 1e-6) < 1"),
                (by_value[k], "the entries are clipped one by one (np.clip): that is clipping "
                              "by value; scale all arrays by max_norm / (norm + 1e-6)"),
            ]), rtol=1e-9, atol=1e-12)

    @chk.case("three arrays with a global norm above max_norm = 1")
    def _():
        expect(_data(1, (3, 2), (2,), (2, 2)), 1.0)

    @chk.case("below the threshold: max_norm = 100 leaves the gradients unchanged")
    def _():
        expect(_data(2, (4,), (2, 3)), 100.0)

    @chk.case("one array dominates: a per-array clip would treat the small one differently")
    def _():
        big, small = _data(3, (5,), (3,))
        expect([10 * big, 0.1 * small], 2.0)

    return chk.run(fn, verbose=verbose)
