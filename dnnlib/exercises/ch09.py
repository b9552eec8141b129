r"""Checkers for the exercises of chapter 9 (convolutional networks).

* :func:`check_conv1d_forward`: ``conv1d_forward(x, W, b, stride=1, padding=0) -> z``,
  the convolution layer's forward pass written with loops,
  :math:`z_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\, \tilde x_{n,c,\,ls+k}`.
* :func:`check_conv1d_backward`: ``conv1d_backward(dout, x, W, stride=1, padding=0) ->
  (dx, dW, db)``, compared with :class:`dnnlib.layers.Conv1d` and, for ``dx``, with
  centred finite differences.
* :func:`check_conv_output_length`: ``conv_output_length(L, K, stride=1, padding=0) ->
  int``, the output-size formula.
* :func:`check_maxpool1d_backward`: ``maxpool1d_backward(dout, x, kernel_size,
  stride=None) -> dx``, compared with :class:`dnnlib.layers.MaxPool1d` (ties go to the
  first maximum, overlapping windows add up).

All arrays are NumPy float64 arrays in PyTorch's layouts: ``x (N, C_in, L)``,
``W (C_out, C_in, K)``, ``b (C_out,)``. Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_gradients
from ..layers import Conv1d, MaxPool1d
from ..layers.conv import conv1d
from ._checker import Checker, CheckResult

__all__ = ["check_conv1d_forward", "check_conv1d_backward", "check_conv_output_length",
           "check_maxpool1d_backward"]


def _data(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(g.normal(size=s), 2) for s in shapes]


def _out_len(L: int, K: int, s: int, p: int) -> int:
    return (L + 2 * p - K) // s + 1


def _unambiguous(hints: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """The (wrong answer, hint) pairs whose wrong answer no other hint shares."""
    keys = [repr(k) for k, _ in hints]
    return [h for h, k in zip(hints, keys, strict=True) if keys.count(k) == 1]


def _reference_backward(dout: np.ndarray, x: np.ndarray, W: np.ndarray, s: int, p: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx, dW, db from dnnlib's Conv1d (float64)."""
    C_out, C_in, K = W.shape
    layer = Conv1d(C_in, C_out, K, stride=s, padding=p, dtype="float64")
    layer.W.data[...] = W
    layer.forward(x)
    dx = layer.backward(dout)
    return np.asarray(dx), np.asarray(layer.W.grad), np.asarray(layer.b.grad)


# --------------------------------------------------------------------------- exercise 1
def check_conv1d_forward(conv1d_forward: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    r"""Check ``conv1d_forward(x, W, b, stride=1, padding=0) -> z`` (chapter 9).

    ``x: (N, C_in, L)``, ``W: (C_out, C_in, K)``, ``b: (C_out,)``; ``z: (N, C_out,
    L_out)`` with :math:`L_{\text{out}} = \lfloor (L + 2p - K)/s \rfloor + 1` and
    :math:`z_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\, \tilde x_{n,c,\,ls+k}`, where
    :math:`\tilde x` is ``x`` with ``padding`` zeros at both ends (a cross-correlation:
    the kernel is not flipped). Cases: stride 1, stride and padding passed as
    arguments, a kernel of length 1, a kernel as long as the padded input. The feedback
    names: a flipped kernel, a forgotten bias, only the first input channel used,
    padding or stride ignored, one window too few or too many.

    Examples
    --------
    >>> def conv1d_forward(x, W, b, stride=1, padding=0):
    ...     N, C_in, L = x.shape
    ...     C_out, _, K = W.shape
    ...     xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    ...     L_out = (L + 2 * padding - K) // stride + 1
    ...     z = np.zeros((N, C_out, L_out))
    ...     for n in range(N):
    ...         for o in range(C_out):
    ...             for l in range(L_out):
    ...                 window = xp[n, :, l * stride:l * stride + K]
    ...                 z[n, o, l] = np.sum(W[o] * window) + b[o]
    ...     return z
    >>> check_conv1d_forward(conv1d_forward, verbose=False).passed
    True
    """
    chk = Checker("conv1d_forward")
    fn = conv1d_forward

    def expect(seed: int, N: int, C_in: int, C_out: int, L: int, K: int, s: int | None,
               p: int | None) -> None:
        x, W, b = _data(seed, (N, C_in, L), (C_out, C_in, K), (C_out,))
        st, pd = (1 if s is None else s), (0 if p is None else p)
        kwargs = {}
        if s is not None:
            kwargs["stride"] = s
        if p is not None:
            kwargs["padding"] = p
        got = chk.call(fn, x, W, b, arg_names=("x", "W", "b"), **kwargs)
        L_out = _out_len(L, K, st, pd)
        shape_hints = [
            ((N, C_out, L_out - 1), "one window too few: L_out = (L + 2*padding - K) // stride "
                                    "+ 1 (the last window starts at (L_out - 1) * stride)"),
            ((N, C_out, L_out + 1), "one window too many: L_out = (L + 2*padding - K) // stride "
                                    "+ 1"),
            ((N, C_out, _out_len(L, K, 1, pd)), "stride ignored: window l starts at "
                                                "l * stride, so there are (L + 2p - K) // "
                                                "stride + 1 windows"),
            ((N, C_out, _out_len(L, K, st, 0) if L >= K else -1),
             "padding ignored: add `padding` zeros at both ends of every sequence first "
             "(np.pad(x, ((0, 0), (0, 0), (padding, padding))))"),
            ((N, C_out, C_in, L_out), "the sum over the input channels is missing: each "
                                      "output sums W[o, c, k] * x[n, c, l*s + k] over c and k"),
        ]
        shape_hints = [h for h in shape_hints if h[0] != (N, C_out, L_out)]
        chk.expect_shape(got, (N, C_out, L_out), mistakes=_unambiguous(shape_hints))
        want = conv1d(x, W, b, stride=st, padding=pd)
        mistakes = [
            (conv1d(x, W[:, :, ::-1], b, stride=st, padding=pd),
             "the kernel is flipped (W[..., ::-1]): that is the convolution of the "
             "mathematicians; deep-learning layers compute the cross-correlation, "
             "z[n, o, l] = sum W[o, c, k] * x[n, c, l*s + k]"),
            (conv1d(x, W, None, stride=st, padding=pd), "the bias b[o] is missing"),
            (conv1d(x[:, :1], W[:, :1], b, stride=st, padding=pd),
             "only the first input channel is used: sum over every channel c"),
            (conv1d(x, W, b, stride=st, padding=pd) - b[:, None],
             "the bias b[o] is missing"),
        ]
        chk.expect_close(got, want, mistakes=mistakes, rtol=1e-9, atol=1e-9)

    @chk.case("x (2, 2, 7), W (3, 2, 3), b (3,): stride 1, no padding")
    def _():
        expect(1, 2, 2, 3, 7, 3, None, None)

    @chk.case("stride=2 and padding=2 passed as arguments, x (2, 3, 10), W (2, 3, 5)")
    def _():
        expect(2, 2, 3, 2, 10, 5, 2, 2)

    @chk.case("edge case: a kernel of length 1 (a Dense layer at every position)")
    def _():
        expect(3, 3, 4, 2, 5, 1, None, None)

    @chk.case("edge case: the kernel as long as the padded input (one window), padding=1")
    def _():
        expect(4, 2, 2, 3, 3, 5, None, 1)

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_conv1d_backward(conv1d_backward: Callable[..., Any], *, verbose: bool = True
                          ) -> CheckResult:
    r"""Check ``conv1d_backward(dout, x, W, stride=1, padding=0) -> (dx, dW, db)``.

    The forward pass is that of :func:`check_conv1d_forward`; ``dout`` is
    :math:`\partial L/\partial z`, shape ``(N, C_out, L_out)``. The answer (chapter 9):
    :math:`dW_{o,c,k} = \sum_{n,l} \text{dout}_{n,o,l}\, \tilde x_{n,c,\,ls+k}`,
    :math:`db_o = \sum_{n,l} \text{dout}_{n,o,l}`, and ``dx`` the gradient of the padded
    input :math:`\partial L/\partial \tilde x_{n,c,\,ls+k} \mathrel{+}= W_{o,c,k}\,
    \text{dout}_{n,o,l}` with the padding cut off, shape ``(N, C_in, L)``. Each case
    compares ``db``, ``dW`` and ``dx`` with :class:`dnnlib.layers.Conv1d`; one case runs
    :func:`dnnlib.gradcheck.check_gradients` on the reader's ``dx``.

    Examples
    --------
    >>> def conv1d_backward(dout, x, W, stride=1, padding=0):
    ...     N, C_in, L = x.shape
    ...     C_out, _, K = W.shape
    ...     xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    ...     dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    ...     for l in range(dout.shape[2]):
    ...         s = l * stride
    ...         dW += np.einsum("no,nck->ock", dout[:, :, l], xp[:, :, s:s + K])
    ...         dxp[:, :, s:s + K] += np.einsum("no,ock->nck", dout[:, :, l], W)
    ...     return dxp[:, :, padding:padding + L], dW, dout.sum(axis=(0, 2))
    >>> check_conv1d_backward(conv1d_backward, verbose=False).passed
    True
    """
    chk = Checker("conv1d_backward")
    fn = conv1d_backward

    def expect(seed: int, N: int, C_in: int, C_out: int, L: int, K: int, s: int | None,
               p: int | None) -> None:
        st, pd = (1 if s is None else s), (0 if p is None else p)
        L_out = _out_len(L, K, st, pd)
        x, W, dout = _data(seed, (N, C_in, L), (C_out, C_in, K), (N, C_out, L_out))
        kwargs = {}
        if s is not None:
            kwargs["stride"] = s
        if p is not None:
            kwargs["padding"] = p
        got = chk.call(fn, dout, x, W, arg_names=("dout", "x", "W"), **kwargs)
        dx, dW, db = chk.expect_tuple(got, ("dx", "dW", "db"))
        want_dx, want_dW, want_db = _reference_backward(dout, x, W, st, pd)
        chk.expect_shape(db, (C_out,), what="db", mistakes=[
            ((C_out, L_out), "db must also be summed over the positions l: the bias is "
                             "shared by every position, db = dout.sum(axis=(0, 2))"),
            ((N, C_out), "db must also be summed over the batch: db = dout.sum(axis=(0, 2))"),
        ])
        chk.expect_close(db, want_db, what="db", mistakes=[
            (want_db / (N * L_out), "you averaged db; sum it over the batch and the positions "
                                    "(the 1/N of the mean loss is already inside dout)"),
            (want_db / N, "you averaged db over the batch; sum it"),
        ], rtol=1e-9, atol=1e-9)
        chk.expect_shape(dW, (C_out, C_in, K), what="dW", mistakes=[
            ((N, C_out, C_in, K), "dW must be summed over the batch: the weights are shared "
                                  "by every example"),
        ])
        dW_nopad = _reference_backward(dout, x, W, st, 0)[1] if pd and L >= K and \
            _out_len(L, K, st, 0) == L_out else None
        dW_mistakes: list[tuple[Any, str]] = [
            (want_dW / N, "you averaged dW over the batch; sum it"),
            (want_dW[:, :, ::-1], "dW is flipped along k: dW[o, c, k] pairs dout[n, o, l] with "
                                  "the input x_pad[n, c, l*s + k] that W[o, c, k] multiplied"),
        ]
        if dW_nopad is not None:
            dW_mistakes.append((dW_nopad, "dW correlates dout with the unpadded x: use the "
                                          "padded input, as in the forward pass"))
        chk.expect_close(dW, want_dW, what="dW", mistakes=dW_mistakes, rtol=1e-9, atol=1e-9)
        chk.expect_shape(dx, (N, C_in, L), what="dx", mistakes=[
            ((N, C_in, L + 2 * pd), "dx includes the padding: cut the 2*padding positions "
                                    "off (dx_pad[:, :, padding:padding + L]); the zeros "
                                    "added are not inputs"),
        ])
        unflipped = _reference_backward(dout, x, W[:, :, ::-1], st, pd)[0]
        chk.expect_close(dx, want_dx, what="dx", mistakes=[
            (unflipped, "dx uses the kernel the wrong way round: dx is a FULL convolution "
                        "of dout with the flipped kernel; equivalently add W[o, c, k] * "
                        "dout[n, o, l] into dx_pad[n, c, l*s + k]"),
            (want_dx / N, "you divided dx by the batch size"),
        ], rtol=1e-9, atol=1e-9)

    @chk.case("x (2, 2, 7), W (3, 2, 3): stride 1, no padding")
    def _():
        expect(1, 2, 2, 3, 7, 3, None, None)

    @chk.case("stride=2, padding=1 passed as arguments, x (2, 3, 9), W (2, 3, 3)")
    def _():
        expect(2, 2, 3, 2, 9, 3, 2, 1)

    @chk.case("edge case: stride 3 > K = 2 (some inputs in no window: gradient 0)")
    def _():
        expect(3, 1, 2, 2, 8, 2, 3, None)

    @chk.case("dnnlib.gradcheck.check_gradients: your dx against centred finite differences")
    def _():
        x, W = _data(4, (2, 2, 8), (3, 2, 3))
        dout = _data(5, (2, 3, 8))[0]

        def loss(x_: np.ndarray) -> float:
            return float(np.sum(conv1d(x_, W, padding=1) * dout))

        def grad(x_: np.ndarray) -> Any:
            got = chk.call(fn, dout, x_, W, 1, 1, arg_names=("dout", "x", "W"))
            dx = chk.expect_tuple(got, ("dx", "dW", "db"))[0]
            return chk.expect_shape(dx, x_.shape, what="dx").astype(np.float64)

        result = check_gradients(loss, x, grad=grad, tol=1e-7)
        if not result.ok:
            chk.fail(f"the gradient check failed: relative error {result.max_rel_error:.1e} "
                     f"(tolerance {result.tol:.0e}), worst at {result.where}")

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def check_conv_output_length(conv_output_length: Callable[..., Any], *, verbose: bool = True
                             ) -> CheckResult:
    r"""Check ``conv_output_length(L, K, stride=1, padding=0) -> int``.

    The number of windows of length ``K``, ``stride`` apart, in a sequence of length
    ``L`` with ``padding`` zeros at both ends:
    :math:`\lfloor (L + 2p - K)/s \rfloor + 1` (chapter 9). Cases: the three layers of
    the MNIST-1D CNN, a 28x28 image side, stride larger than the kernel, a kernel as
    long as the padded input. The feedback names: a missing ``+ 1``, a float from ``/``,
    padding counted once, a rounded-up division, the stride ignored.

    Examples
    --------
    >>> def conv_output_length(L, K, stride=1, padding=0):
    ...     return (L + 2 * padding - K) // stride + 1
    >>> check_conv_output_length(conv_output_length, verbose=False).passed
    True
    """
    chk = Checker("conv_output_length")
    fn = conv_output_length
    wrong_formulas = [
        (lambda L, K, s, p: (L + 2 * p - K) // s,
         "the + 1 is missing: with L + 2*padding = K there is still one window"),
        (lambda L, K, s, p: (L + p - K) // s + 1,
         "padding adds `padding` zeros at BOTH ends: the padded length is L + 2*padding"),
        (lambda L, K, s, p: -((L + 2 * p - K) // -s) + 1,
         "you rounded the division up; an incomplete last window does not count: use //"),
        (lambda L, K, s, p: L + 2 * p - K + 1,
         "the stride is ignored: windows start every `stride` positions, so divide by it"),
        (lambda L, K, s, p: (L - K) // s + 1,
         "padding ignored: the padded length is L + 2*padding"),
    ]

    def expect(cases: list[tuple[int, int, int | None, int | None]]) -> None:
        gots, wants, labels = [], [], []
        for L, K, s, p in cases:
            st, pd = (1 if s is None else s), (0 if p is None else p)
            kwargs = {}
            if s is not None:
                kwargs["stride"] = s
            if p is not None:
                kwargs["padding"] = p
            label = f"conv_output_length({L}, {K}, stride={st}, padding={pd})"
            got = chk.call(fn, L, K, **kwargs)
            want = _out_len(L, K, st, pd)
            if isinstance(got, (float, np.floating)) and not float(got).is_integer():
                chk.fail(f"{label} returned the float {float(got)!r}: a count of windows is an "
                         "int; use floor division // (an incomplete last window does not "
                         "count)")
            if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
                chk.expect_equal(got, want, what=label)      # fails, naming the type
            gots.append(int(got))
            wants.append(want)
            labels.append(label)
        if gots == wants:
            return
        i = next(k for k, (g, w) in enumerate(zip(gots, wants, strict=True)) if g != w)
        full = [(st_, pd_) for _, _, st_, pd_ in cases]
        hints = []
        for formula, hint in wrong_formulas:
            values = [formula(L, K, 1 if s_ is None else s_, 0 if p_ is None else p_)
                      for (L, K, _, _), (s_, p_) in zip(cases, full, strict=True)]
            if values == gots and values != wants:
                hints.append(hint)
        msg = f"{labels[i]}: expected {wants[i]}, got {gots[i]}"
        chk.fail(msg + (". Likely mistake: " + ". Or: ".join(hints) if hints else ""))

    @chk.case("the MNIST-1D CNN: (40, 5, stride 2, padding 1) -> 19, then (19, 3, 2, 1), "
              "(10, 3, 2, 1)")
    def _():
        expect([(40, 5, 2, 1), (19, 3, 2, 1), (10, 3, 2, 1)])

    @chk.case("defaults stride=1, padding=0: a 28-pixel side and a 3x3 kernel -> 26")
    def _():
        expect([(28, 3, None, None)])

    @chk.case("stride larger than the kernel: (7, 2, stride 3) -> 2; (10, 3, stride 4, "
              "padding 2) -> 3")
    def _():
        expect([(7, 2, 3, None), (10, 3, 4, 2)])

    @chk.case("edge case: the kernel as long as the padded input -> 1 window")
    def _():
        expect([(5, 5, None, None), (3, 5, None, 1)])

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 4
def _maxpool_ref(dout: np.ndarray, x: np.ndarray, K: int, s: int) -> np.ndarray:
    pool = MaxPool1d(K, s)
    pool.forward(x)
    return np.asarray(pool.backward(dout))


def _maxpool_variants(dout: np.ndarray, x: np.ndarray, K: int, s: int
                      ) -> list[tuple[np.ndarray, str]]:
    """Known wrong answers: spread evenly, every tied maximum, overwriting, repeat."""
    N, C, L = x.shape
    L_out = dout.shape[2]
    even, ties, overwrite = (np.zeros_like(x) for _ in range(3))
    for l in range(L_out):
        w = x[:, :, l * s:l * s + K]
        even[:, :, l * s:l * s + K] += dout[:, :, l:l + 1] / K
        ties[:, :, l * s:l * s + K] += (w == w.max(axis=2, keepdims=True)) * dout[:, :, l:l + 1]
        first = (np.arange(K) == w.argmax(axis=2)[..., None])
        overwrite[:, :, l * s:l * s + K] = np.where(first, dout[:, :, l:l + 1],
                                                    overwrite[:, :, l * s:l * s + K])
    return [
        (even, "the gradient is spread evenly over the window (that is average pooling's "
               "backward); for the maximum only the entry that won gets dout, the others 0"),
        (ties, "every tied maximum gets the gradient; when several entries equal the maximum "
               "(zeros after a ReLU) only the FIRST one gets it, as PyTorch: use argmax"),
        (overwrite, "overlapping windows overwrite each other: when stride < kernel_size an "
                    "entry can win in two windows, and its gradient is the sum: use +="),
    ]


def check_maxpool1d_backward(maxpool1d_backward: Callable[..., Any], *, verbose: bool = True
                             ) -> CheckResult:
    r"""Check ``maxpool1d_backward(dout, x, kernel_size, stride=None) -> dx``.

    Forward: :math:`y_{n,c,l} = \max_k x_{n,c,\,ls+k}` over windows of length
    ``kernel_size``, ``stride`` apart (``None`` means ``kernel_size``), no padding.
    Backward: each ``dout[n, c, l]`` goes to the position of its window's maximum
    (the first one on ties, as PyTorch), added up where windows overlap; every other
    entry of ``dx`` is 0. Compared with :class:`dnnlib.layers.MaxPool1d`. Cases:
    windows side by side, ties after a ReLU, overlapping windows, a length that is not
    a multiple of the window.

    Examples
    --------
    >>> def maxpool1d_backward(dout, x, kernel_size, stride=None):
    ...     s = kernel_size if stride is None else stride
    ...     dx = np.zeros_like(x)
    ...     for l in range(dout.shape[2]):
    ...         w = x[:, :, l * s:l * s + kernel_size]
    ...         k = w.argmax(axis=2)                       # first maximum
    ...         n, c = np.indices(k.shape)
    ...         dx[n, c, l * s + k] += dout[:, :, l]
    ...     return dx
    >>> check_maxpool1d_backward(maxpool1d_backward, verbose=False).passed
    True
    """
    chk = Checker("maxpool1d_backward")
    fn = maxpool1d_backward

    def expect(x: np.ndarray, dout: np.ndarray, K: int, s: int | None) -> None:
        st = K if s is None else s
        args = (dout, x, K) if s is None else (dout, x, K, s)
        got = chk.call(fn, *args, arg_names=("dout", "x", "kernel_size", "stride"))
        N, C, L = x.shape
        chk.expect_shape(got, x.shape, mistakes=[
            (dout.shape, "you returned something shaped like dout; dx has the input's "
                         "shape (N, C, L)"),
        ])
        mistakes = _maxpool_variants(dout, x, K, st)
        mistakes.append((np.repeat(dout, K, axis=2)[:, :, :L] if dout.shape[2] * K >= L
                         else np.zeros_like(x), "every entry of a window gets dout; only the "
                                                "maximum does (the others do not change it)"))
        chk.expect_close(got, _maxpool_ref(dout, x, K, st), mistakes=mistakes, rtol=1e-12,
                         atol=1e-12)

    @chk.case("windows side by side: x (2, 3, 8), kernel_size 2, stride None")
    def _():
        x, dout = _data(1, (2, 3, 8), (2, 3, 4))
        expect(x, dout, 2, None)

    @chk.case("ties after a ReLU: whole windows of zeros, kernel_size 3")
    def _():
        x, dout = _data(2, (2, 2, 9), (2, 2, 3))
        x = np.maximum(x, 0.0)
        x[0, 0, :3] = 0.0
        x[1, 1, 3:5] = 1.5              # two equal maxima in one window
        expect(x, dout, 3, None)

    @chk.case("overlapping windows: kernel_size 3, stride 1 (an entry can win twice)")
    def _():
        x, dout = _data(3, (2, 2, 7), (2, 2, 5))
        x[0, 0, 3] = 9.0                # wins in three windows
        expect(x, dout, 3, 1)

    @chk.case("edge case: L = 7 with kernel_size 3 (the last position is in no window)")
    def _():
        x, dout = _data(4, (1, 2, 7), (1, 2, 2))
        x[0, 0, 6] = 10.0               # the largest value, in no window: gradient 0
        expect(x, dout, 3, None)

    return chk.run(fn, verbose=verbose)
