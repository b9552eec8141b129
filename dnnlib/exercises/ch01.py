"""Checkers for the exercises of chapter 1 (architecture).

* :func:`check_dense_forward`: ``dense_forward(x, W, b)``, equation ``z = x W + b``
  for one example ``x: (D,)`` or a batch ``X: (N, D)``.
* :func:`check_count_parameters`: ``count_parameters(sizes)`` for a fully connected
  network with layer sizes ``[D, H1, ..., C]``.
* :func:`check_two_layer_forward`: the fixed ``two_layer_forward(X, W1, b1, W2, b2)``
  (the hand-out :func:`handout_two_layer_forward` has a shape bug).

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._checker import Checker, CheckResult

__all__ = [
    "check_dense_forward",
    "check_count_parameters",
    "check_two_layer_forward",
    "handout_two_layer_forward",
]


def _case_data(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [np.round(g.normal(size=s), 2) for s in shapes]


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


# --------------------------------------------------------------------------- exercise 1
def check_dense_forward(dense_forward: Callable[..., Any], *, verbose: bool = True
                        ) -> CheckResult:
    """Check ``dense_forward(x, W, b) -> z`` (equation :math:`z = xW + b`, chapter 1).

    ``x`` is one example ``(D,)`` -> ``z: (H,)``, or a batch ``(N, D)`` -> ``(N, H)``;
    ``W: (D, H)``, ``b: (H,)``. Cases: one example, a batch, a batch of one, a
    square ``W`` (catches a transposed ``W``), zero weights (catches a lost batch
    axis), and inputs left unmodified.

    Examples
    --------
    >>> def dense_forward(x, W, b):
    ...     raise NotImplementedError
    >>> r = check_dense_forward(dense_forward)  # doctest: +ELLIPSIS
    dense_forward: not attempted yet.
    ...
    >>> r.status
    'not_attempted'
    """
    chk = Checker("dense_forward")
    fn = dense_forward
    names = ("x", "W", "b")

    @chk.case("one example x of shape (3,), W (3, 2), b (2,) -> z of shape (2,)")
    def _():
        x, W, b = _case_data(1, (3,), (3, 2), (2,))
        got = chk.call(fn, x, W, b, arg_names=names)
        chk.expect_shape(got, (2,), mistakes=[
            ((1, 2), "for a single example x of shape (D,), return shape (H,), not a batch "
                     "of one; x @ W + b does this by itself"),
            ((2, 2), "the bias was added along the wrong axis (an outer sum): z = x @ W + b "
                     "with b of shape (H,)"),
        ])
        chk.expect_close(got, x @ W + b, mistakes=[
            (x @ W, "you forgot the bias b: z = x @ W + b"),
            (x @ W - b, "the bias is added, not subtracted: z = x @ W + b"),
            (_relu(x @ W + b), "you applied an activation (ReLU); a dense layer computes only "
                               "the pre-activation z = x @ W + b"),
        ])

    @chk.case("a batch X of shape (4, 3) -> Z of shape (4, 2), one row per example")
    def _():
        X, W, b = _case_data(2, (4, 3), (3, 2), (2,))
        got = chk.call(fn, X, W, b, arg_names=names)
        chk.expect_shape(got, (4, 2), mistakes=[
            ((2, 4), "your output is transposed: rows must be examples, Z = X @ W + b "
                     "has shape (N, H)"),
            ((2,), "you summed or averaged over the batch: each example keeps its own row"),
            ((3, 2), "you returned W (or something shaped like it) instead of X @ W + b"),
        ])
        chk.expect_close(got, X @ W + b, mistakes=[
            (X @ W, "you forgot the bias b: Z = X @ W + b"),
            (_relu(X @ W + b), "you applied an activation (ReLU); a dense layer computes only "
                               "the pre-activation Z = X @ W + b"),
            (X @ W + b.sum(), "you added the sum of b to every unit; add b elementwise "
                              "(broadcast over the rows)"),
            (X @ W - b, "the bias is added, not subtracted: Z = X @ W + b"),
        ])

    @chk.case("a square W (D = H = 3): W and its transpose both fit")
    def _():
        X, W, b = _case_data(3, (2, 3), (3, 3), (3,))
        got = chk.call(fn, X, W, b, arg_names=names)
        chk.expect_shape(got, (2, 3), mistakes=[
            ((3, 2), "your output is transposed (W @ X.T has shape (H, N)): rows must be "
                     "examples, Z = X @ W + b"),
        ])
        chk.expect_close(got, X @ W + b, mistakes=[
            (X @ W.T + b, "you used W transposed (W @ x or x @ W.T). W has shape (D, H): "
                          "W[i, j] connects input i to unit j, so z = x @ W + b"),
            ((W @ X.T).T + b, "you used W transposed (W @ x or x @ W.T). W has shape (D, H): "
                              "W[i, j] connects input i to unit j, so z = x @ W + b"),
            (X @ W, "you forgot the bias b: Z = X @ W + b"),
        ])

    @chk.case("edge case: a batch of one example, X of shape (1, 3) -> (1, 2)")
    def _():
        X, W, b = _case_data(4, (1, 3), (3, 2), (2,))
        got = chk.call(fn, X, W, b, arg_names=names)
        chk.expect_shape(got, (1, 2), mistakes=[
            ((2,), "you dropped the batch axis (squeeze): a batch of one is still a batch, "
                   "keep shape (1, H)"),
        ])
        chk.expect_close(got, X @ W + b)

    @chk.case("edge case: zero weights -> every example's z equals b")
    def _():
        X, b = _case_data(5, (3, 4), (2,))
        W = np.zeros((4, 2))
        got = chk.call(fn, X, W, b, arg_names=names)
        chk.expect_shape(got, (3, 2), mistakes=[
            ((2,), "you returned b alone: broadcast it to every example, shape (N, H)"),
        ])
        chk.expect_close(got, np.tile(b, (3, 1)), mistakes=[
            (np.zeros((3, 2)), "you forgot the bias b: Z = X @ W + b"),
        ])

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def check_count_parameters(count_parameters: Callable[..., Any], *, verbose: bool = True
                           ) -> CheckResult:
    """Check ``count_parameters(sizes) -> int`` for a fully connected network.

    ``sizes = [D, H1, ..., C]``; layer ``l`` has ``n_{l-1} n_l`` weights and ``n_l``
    biases; the input layer has none. Cases include a single unit, a tuple and the
    edge case of an input layer alone (0 parameters).

    Examples
    --------
    >>> def count_parameters(sizes):
    ...     return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    >>> check_count_parameters(count_parameters, verbose=False).passed
    True
    """
    chk = Checker("count_parameters")
    fn = count_parameters

    def expect(sizes: Any) -> None:
        s = list(sizes)
        pairs = list(zip(s[:-1], s[1:], strict=True))
        want = sum(a * b + b for a, b in pairs)
        weights = sum(a * b for a, b in pairs)
        got = chk.call(fn, sizes, arg_names=("sizes",))
        if isinstance(got, (list, tuple, np.ndarray)) and np.size(got) == len(pairs) and \
                len(pairs) > 0 and sum(int(v) for v in np.ravel(got)) == want:
            chk.fail(f"count_parameters returned {list(np.ravel(got))}, one count per layer; "
                     "return their sum, one int for the whole network")
        mistakes = [
            (weights, "you counted the weights only: each unit of a layer also has a bias"),
            (want + s[0], "you gave the input layer biases too; the input layer just holds "
                          "the features and has no parameters"),
            (sum(s), "you counted units, not parameters: layer l has n_(l-1) * n_l weights "
                     "plus n_l biases"),
            (sum((a + 1) * (b + 1) for a, b in pairs),
             "you counted a bias for the inputs and an extra unit: (n_(l-1) + 1) * n_l is the "
             "count per layer"),
        ]
        if len(pairs) > 1:
            mistakes.append((sum(a * b + b for a, b in pairs[:-1]),
                             "you left out the output layer: a network with sizes "
                             "[D, H, ..., C] has len(sizes) - 1 layers of parameters"))
            mistakes.append((sum(a * b + b for a, b in pairs[1:]),
                             "you left out the first layer (input -> hidden)"))
        chk.expect_equal(got, want, mistakes=mistakes)

    @chk.case("a single unit with 2 inputs, sizes [2, 1] -> 3")
    def _():
        expect([2, 1])

    @chk.case("the chapter's network, sizes [2, 16, 16, 1]")
    def _():
        expect([2, 16, 16, 1])

    @chk.case("an MNIST classifier, sizes [784, 128, 10]")
    def _():
        expect([784, 128, 10])

    @chk.case("sizes given as a tuple, (3, 4, 5, 2)")
    def _():
        expect((3, 4, 5, 2))

    @chk.case("edge case: an input layer alone, sizes [5] -> 0")
    def _():
        expect([5])

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def handout_two_layer_forward(X, W1, b1, W2, b2):
    # X: (N, D), W1: (D, H), b1: (H,), W2: (H, C), b2: (C,)  ->  (N, C)
    A1 = np.maximum(0.0, W1 @ X + b1)  # hidden layer with ReLU
    return A1 @ W2 + b2  # output layer (no activation)


def check_two_layer_forward(two_layer_forward: Callable[..., Any], *, verbose: bool = True
                            ) -> CheckResult:
    """Check the fixed ``two_layer_forward(X, W1, b1, W2, b2) -> (N, C)``.

    The hand-out (:func:`handout_two_layer_forward`) writes ``W1 @ X``; the fixed
    version computes ``relu(X @ W1 + b1) @ W2 + b2``. Handing back the unchanged
    code counts as "not attempted yet". One case has ``N = D = H`` so that the
    buggy product runs without an error but mixes examples.

    Examples
    --------
    >>> r = check_two_layer_forward(handout_two_layer_forward, verbose=False)
    >>> r.status
    'not_attempted'
    """
    chk = Checker("two_layer_forward")
    fn = two_layer_forward

    def ref(X, W1, b1, W2, b2):
        return _relu(X @ W1 + b1) @ W2 + b2

    def common_mistakes(X, W1, b1, W2, b2) -> list[tuple[Any, str]]:
        m = [(X @ W1 @ W2 + b1 @ W2 + b2,
              "you removed the ReLU: without it two dense layers collapse into one linear "
              "map; keep A1 = relu(X @ W1 + b1)"),
             (_relu(X @ W1) @ W2 + b2, "the hidden layer lost its bias b1"),
             (_relu(X @ W1 + b1) @ W2, "the output layer lost its bias b2"),
             (_relu(_relu(X @ W1 + b1) @ W2 + b2), "the output layer has no activation here; "
                                                   "do not apply ReLU to it")]
        if W1.shape[0] == W1.shape[1] == X.shape[0]:
            m.append((_relu(W1 @ X + b1) @ W2 + b2,
                      "this is still W1 @ X: with N = D = H it runs without an error, but it "
                      "mixes the examples; the batch form is X @ W1"))
            m.append((_relu((W1.T @ X.T) + b1) @ W2 + b2,
                      "the hidden activations are transposed (W1.T @ X.T has shape (H, N)); "
                      "use X @ W1, shape (N, H)"))
        return m

    @chk.case("a batch of 5 examples: D = 3, H = 4, C = 2 -> (5, 2)")
    def _():
        args = _case_data(11, (5, 3), (3, 4), (4,), (4, 2), (2,))
        got = chk.call(fn, *args, arg_names=("X", "W1", "b1", "W2", "b2"))
        chk.expect_shape(got, (5, 2), mistakes=[
            ((2, 5), "the output is transposed: one row per example, shape (N, C)"),
        ])
        chk.expect_close(got, ref(*args), mistakes=common_mistakes(*args))

    @chk.case("one example x of shape (3,) -> (2,)")
    def _():
        args = _case_data(12, (3,), (3, 4), (4,), (4, 2), (2,))
        got = chk.call(fn, *args, arg_names=("X", "W1", "b1", "W2", "b2"))
        chk.expect_shape(got, (2,))
        chk.expect_close(got, ref(*args), mistakes=common_mistakes(*args))

    @chk.case("edge case N = D = H = 4, where W1 @ X runs but is wrong")
    def _():
        args = _case_data(13, (4, 4), (4, 4), (4,), (4, 1), (1,))
        got = chk.call(fn, *args, arg_names=("X", "W1", "b1", "W2", "b2"))
        chk.expect_shape(got, (4, 1))
        chk.expect_close(got, ref(*args), mistakes=common_mistakes(*args))

    return chk.run(fn, untouched=handout_two_layer_forward, verbose=verbose)
