"""The fully connected layer ``Dense`` (chapters 1 and 5)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_int
from .base import Layer, Parameter, init_weight, resolve_dtype

__all__ = ["Dense", "transpose_matmul", "sum_over_batch"]

class Dense(Layer):
    r"""Fully connected (affine) layer: ``z = x @ W + b``.

    Parameters
    ----------
    in_features : int
        ``D``, the number of input features (>= 1).
    out_features : int
        ``H``, the number of output units (>= 1).
    bias : bool, default True
        Whether to learn the bias ``b``.
    init : {"he", "he_uniform", "glorot", "glorot_uniform", "zeros"}, default "he"
        Weight initialisation: He normal (std :math:`\sqrt{2/D}`), He uniform
        (limit :math:`\sqrt{6/D}`), Glorot normal (std :math:`\sqrt{2/(D+H)}`),
        Glorot uniform (limit :math:`\sqrt{6/(D+H)}`) or zeros. The bias starts at zero.
    rng : numpy.random.Generator, int or None
        Source of the initial weights. They are drawn on the host, so one seed
        gives the same weights on every backend.
    dtype : {"float32", "float64"} or None
        Parameter dtype; ``None`` means :func:`dnnlib.get_default_dtype`.

    Attributes
    ----------
    W : Parameter
        Weights, shape ``(D, H)``.
    b : Parameter or None
        Bias, shape ``(H,)``.

    Notes
    -----
    Chapter 1 writes one neuron layer as :math:`z = W^\top x + b` for one example
    :math:`x \in \mathbb{R}^D`; stacking the examples of a batch as rows of
    :math:`X \in \mathbb{R}^{N \times D}` gives the row form used here,

    .. math:: Z = X W + \mathbf{1} b^\top .

    Chapter 5 derives the backward pass from the upstream gradient
    :math:`\partial L / \partial Z` (``dout``, shape ``(N, H)``):

    .. math::
        \frac{\partial L}{\partial W} = X^\top\, \text{dout}, \quad
        \frac{\partial L}{\partial b} = \sum_n \text{dout}_n, \quad
        \frac{\partial L}{\partial X} = \text{dout}\, W^\top .

    ``x`` of shape ``(D,)`` (a single example) gives ``z`` of shape ``(H,)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(2, 3, rng=0)
    >>> layer
    Dense(in_features=2, out_features=3)
    >>> layer(np.ones((4, 2), dtype=np.float32)).shape
    (4, 3)
    >>> layer.backward(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    >>> layer.W.grad.shape, layer.b.grad.shape
    ((2, 3), (3,))
    """

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True,
                 init: str = "he", rng: Any = None, dtype: Any = None) -> None:
        super().__init__()
        fn = "Dense"
        self.in_features = check_int(in_features, fn, "in_features", minimum=1)
        self.out_features = check_int(out_features, fn, "out_features", minimum=1)
        if not isinstance(bias, bool):
            raise TypeError(f"{fn}: bias must be a bool, got {type(bias).__name__}")
        self.init = init
        dt = resolve_dtype(dtype, fn)
        D, H = self.in_features, self.out_features
        W = init_weight((D, H), init, D, H, rng, dt, fn)
        self.W = Parameter(W, "W")
        self.b = Parameter(B.xp().zeros((H,), dtype=dt), "b") if bias else None

    @property
    def params(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    @property
    def dtype(self) -> Any:
        """The parameters' dtype (inputs are cast to it)."""
        return self.W.data.dtype

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, D)`` or ``(D,)`` with ``D = in_features`` (see ``Layer``)."""
        fn = "Dense.forward"
        x = as_float_array(x, fn, "x", ndim=(1, 2))
        if x.shape[-1] != self.in_features:
            raise ValueError(f"{fn}: x has {x.shape[-1]} features, expected {self.in_features}")
        return super().check_input(x)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, D)`` or ``(D,)`` -> ``z = x W + b``: ``(N, H)`` or ``(H,)``."""
        z = x @ self.W.data
        if self.b is not None:
            z += self.b.data
        self.cache = x
        return z

    def backward(self, dout: Any) -> Any:
        """``dout``: like ``z`` -> ``dx``: like ``x``; adds ``dW`` and ``db`` into the grads."""
        x = self.saved
        self.W.accumulate_grad(transpose_matmul(x, dout))  # dW += x^T dout
        if self.b is not None:
            self.b.accumulate_grad(sum_over_batch(dout))   # db += sum over the batch of dout
        if not self.needs_input_grad:                      # the first layer: x is the data
            return None
        return dout @ self.W.data.T                        # dx = dout W^T

    def __repr__(self) -> str:
        extra = "" if self.b is not None else ", bias=False"
        return f"Dense(in_features={self.in_features}, out_features={self.out_features}{extra})"


def transpose_matmul(x: Any, dout: Any) -> Any:
    r"""``x.T @ dout``: ``(N, D)`` and ``(N, H)`` -> ``(D, H)``, the weight gradient's product.

    For one example (``x`` of shape ``(D,)``, or a batch of one) it is the outer
    product :math:`x\,\text{dout}^\top`, computed as the broadcast product
    ``(D, 1) * (1, H)``: NumPy's matmul leaves BLAS when the inner dimension is 1 and
    would be about 3x slower there.

    Examples
    --------
    >>> import numpy as np
    >>> transpose_matmul(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0]))
    array([[ 3.,  4.,  5.],
           [ 6.,  8., 10.]])
    """
    if x.ndim == 2 and x.shape[0] > 1:
        return x.T @ dout
    xp = B.namespace(x, dout)
    return xp.reshape(x, (-1, 1)) * xp.reshape(dout, (1, -1))


def sum_over_batch(dout: Any) -> Any:
    """``dout`` summed over its batch axis: ``(N, H)`` -> ``(H,)``; one example ``(H,)``: a copy.

    Always a new array, as :meth:`Parameter.accumulate_grad` needs.
    """
    xp = B.namespace(dout)
    if dout.ndim == 1:
        return xp.asarray(dout, copy=True)
    return xp.sum(dout, axis=0)
