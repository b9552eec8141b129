r"""Pooling layers (chapter 9): ``MaxPool1d``, ``MaxPool2d``, ``AvgPool2d``, ``GlobalAvgPool``.

A pooling layer summarises each window of each channel by one number: its maximum or
its mean. It has no parameters. Its backward pass follows from the summary:

* the mean of :math:`K` numbers passes :math:`1/K` of the upstream gradient to each;
* the maximum passes the whole upstream gradient to the one entry that won (the
  *first* maximum on ties, as PyTorch) and zero to the others, since a small change
  of a loser does not change the maximum.

The windows are gathered from shifted slices (one per offset inside the window), as in
:mod:`dnnlib.layers.conv`: the same code runs on NumPy, CuPy and array-api-strict.
No padding (PyTorch's default).
"""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_int
from .base import Layer
from .conv import int_pair

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool"]


def _check_pool_input(x: Any, fn: str, ndim: int, layout: str) -> Any:
    x = as_float_array(x, fn, "x")
    if x.ndim != ndim:
        raise ValueError(f"{fn}: x must be {ndim}-D {layout}, got shape {tuple(x.shape)}")
    return x


def _check_fits(size: int, K: int, fn: str, axis: str) -> None:
    if K > size:
        raise ValueError(f"{fn}: the window ({K}) is larger than the input along {axis} "
                         f"({size})")


def _windows1d(x: Any, K: int, s: int) -> Any:
    """``(N, C, L)`` -> ``(N, C, L_out, K)``: entry ``k`` of window ``l`` is ``x[..., l*s + k]``."""
    xp = B.namespace(x)
    L_out = (x.shape[2] - K) // s + 1
    return xp.stack([x[:, :, k:k + s * (L_out - 1) + 1:s] for k in range(K)], axis=-1)


def _windows2d(x: Any, kernel: tuple[int, int], stride: tuple[int, int]) -> Any:
    """``(N, C, H, W)`` -> ``(N, C, H_out, W_out, KH*KW)``, offsets in row-major order."""
    xp = B.namespace(x)
    (KH, KW), (sh, sw) = kernel, stride
    H_out, W_out = (x.shape[2] - KH) // sh + 1, (x.shape[3] - KW) // sw + 1
    return xp.stack([x[:, :, u:u + sh * (H_out - 1) + 1:sh, v:v + sw * (W_out - 1) + 1:sw]
                     for u in range(KH) for v in range(KW)], axis=-1)


class MaxPool1d(Layer):
    r"""Maximum over windows of length ``K``, per channel: ``(N, C, L)`` -> ``(N, C, L_out)``.

    Parameters
    ----------
    kernel_size : int
        ``K``, the window length.
    stride : int or None
        The step between windows; ``None`` means ``K`` (windows side by side).

    Notes
    -----
    Chapter 9. With :math:`L_{\text{out}} = \lfloor (L - K)/s \rfloor + 1`,

    .. math:: y_{n,c,l} = \max_{0 \le k < K} x_{n,c,\,ls+k}, \qquad
              \frac{\partial L}{\partial x_{n,c,\,ls+k}} \mathrel{+}=
              \mathbb 1[k = k^*_{n,c,l}]\, \delta_{n,c,l},

    where :math:`k^*` is the position of the (first) maximum in its window and
    :math:`\delta` the upstream gradient; the ``+=`` adds up the windows that share an
    entry when ``stride < K``.

    Examples
    --------
    >>> import numpy as np
    >>> pool = MaxPool1d(2)
    >>> pool(np.array([[[1.0, 3.0, 2.0, 0.0]]]))
    array([[[3., 2.]]])
    >>> pool.backward(np.array([[[10.0, 20.0]]]))
    array([[[ 0., 10., 20.,  0.]]])
    """

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        fn = "MaxPool1d"
        self.kernel_size = check_int(kernel_size, fn, "kernel_size", minimum=1)
        self.stride = (self.kernel_size if stride is None
                       else check_int(stride, fn, "stride", minimum=1))

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, C, L)`` with ``L >= K``."""
        x = _check_pool_input(x, "MaxPool1d.forward", 3, "(N, C, L)")
        _check_fits(x.shape[2], self.kernel_size, "MaxPool1d.forward", "L")
        return x

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, L)`` -> ``y``: ``(N, C, L_out)``."""
        xp = B.namespace(x)
        windows = _windows1d(x, self.kernel_size, self.stride)     # (N, C, L_out, K)
        winner = xp.argmax(windows, axis=-1)                      # k*: first maximum
        self.cache = (winner, x.shape, x.dtype)
        return xp.max(windows, axis=-1)

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C, L_out)`` -> ``dx``: ``(N, C, L)``, nonzero only at the winners."""
        winner, shape, dtype = self.saved
        xp = B.namespace(dout)
        K, s = self.kernel_size, self.stride
        L_out = winner.shape[2]
        dout = xp.astype(dout, dtype)
        dx = xp.zeros(shape, dtype=dtype)
        for k in range(K):                     # offset k of every window receives dout if it won
            dx[:, :, k:k + s * (L_out - 1) + 1:s] += xp.where(winner == k, dout, 0.0)
        return dx

    def __repr__(self) -> str:
        return f"MaxPool1d(kernel_size={self.kernel_size}, stride={self.stride})"


class _Pool2d(Layer):
    """What the 2-D poolings share: the window and stride, the input check, the repr."""

    def __init__(self, kernel_size: Any, stride: Any = None) -> None:
        super().__init__()
        fn = type(self).__name__
        self.kernel_size = int_pair(kernel_size, fn, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else int_pair(stride, fn, "stride", 1)

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, C, H, W)`` with ``H >= KH`` and ``W >= KW``."""
        fn = f"{type(self).__name__}.forward"
        x = _check_pool_input(x, fn, 4, "(N, C, H, W)")
        _check_fits(x.shape[2], self.kernel_size[0], fn, "H")
        _check_fits(x.shape[3], self.kernel_size[1], fn, "W")
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    r"""Maximum over ``KH x KW`` windows, per channel: ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int, (int, int) or None
        ``None`` means ``kernel_size``.

    Notes
    -----
    :class:`MaxPool1d` with two spatial indices: the gradient of each output goes to
    the (first, in row-major order) maximum of its window.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> MaxPool2d(2)(x)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, H, W)`` -> ``y``: ``(N, C, H_out, W_out)``."""
        xp = B.namespace(x)
        windows = _windows2d(x, self.kernel_size, self.stride)   # (N, C, H_out, W_out, KH*KW)
        winner = xp.argmax(windows, axis=-1)
        self.cache = (winner, x.shape, x.dtype)
        return xp.max(windows, axis=-1)

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C, H_out, W_out)`` -> ``dx``: ``(N, C, H, W)``."""
        winner, shape, dtype = self.saved
        xp = B.namespace(dout)
        (KH, KW), (sh, sw) = self.kernel_size, self.stride
        H_out, W_out = winner.shape[2], winner.shape[3]
        dout = xp.astype(dout, dtype)
        dx = xp.zeros(shape, dtype=dtype)
        for u in range(KH):
            for v in range(KW):
                dx[:, :, u:u + sh * (H_out - 1) + 1:sh, v:v + sw * (W_out - 1) + 1:sw] += \
                    xp.where(winner == u * KW + v, dout, 0.0)
        return dx


class AvgPool2d(_Pool2d):
    r"""Mean over ``KH x KW`` windows, per channel: ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int, (int, int) or None
        ``None`` means ``kernel_size``.

    Notes
    -----
    .. math:: y_{n,c,i,j} = \frac{1}{K_H K_W} \sum_{u,v} x_{n,c,\,i s_h+u,\, j s_w+v},
              \qquad \frac{\partial L}{\partial x_{n,c,\,i s_h+u,\, j s_w+v}}
              \mathrel{+}= \frac{\delta_{n,c,i,j}}{K_H K_W}.

    Examples
    --------
    >>> import numpy as np
    >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, H, W)`` -> ``y``: ``(N, C, H_out, W_out)``."""
        xp = B.namespace(x)
        self.cache = (x.shape, x.dtype)
        return xp.mean(_windows2d(x, self.kernel_size, self.stride), axis=-1)

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C, H_out, W_out)`` -> ``dx``: ``(N, C, H, W)``."""
        shape, dtype = self.saved
        (KH, KW), (sh, sw) = self.kernel_size, self.stride
        H_out, W_out = (shape[2] - KH) // sh + 1, (shape[3] - KW) // sw + 1
        xp = B.namespace(dout)
        share = xp.astype(dout, dtype) / (KH * KW)           # each entry gets 1/(KH KW)
        dx = xp.zeros(shape, dtype=dtype)
        for u in range(KH):
            for v in range(KW):
                dx[:, :, u:u + sh * (H_out - 1) + 1:sh, v:v + sw * (W_out - 1) + 1:sw] += share
        return dx


class GlobalAvgPool(Layer):
    r"""Mean over every position of each channel: ``(N, C, ...)`` -> ``(N, C)``.

    Works for sequences ``(N, C, L)`` and images ``(N, C, H, W)`` alike: after it, a
    :class:`~dnnlib.layers.Dense` layer sees one number per channel, whatever the input
    length (PyTorch: ``AdaptiveAvgPool1d(1)`` then ``Flatten``).

    Notes
    -----
    With :math:`P` positions, :math:`y_{n,c} = \frac1P \sum_p x_{n,c,p}` and
    :math:`\partial L / \partial x_{n,c,p} = \delta_{n,c} / P`.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalAvgPool()(np.arange(6.0).reshape(1, 2, 3))
    array([[1., 4.]])
    """

    def check_input(self, x: Any) -> Any:
        """``x``: floats with at least 3 dimensions ``(N, C, ...)``."""
        fn = "GlobalAvgPool.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim < 3:
            raise ValueError(f"{fn}: x must be (N, C, L) or (N, C, H, W), got shape "
                             f"{tuple(x.shape)}")
        return x

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, ...)`` -> ``y``: ``(N, C)``."""
        xp = B.namespace(x)
        self.cache = (tuple(x.shape), x.dtype)
        return xp.mean(x, axis=tuple(range(2, x.ndim)))

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C)`` -> ``dx``: ``(N, C, ...)``, each position ``dout / P``."""
        shape, dtype = self.saved
        xp = B.namespace(dout)
        P = 1
        for s in shape[2:]:
            P *= s
        share = xp.reshape(xp.astype(dout, dtype) / P, (*shape[:2],) + (1,) * (len(shape) - 2))
        return xp.zeros(shape, dtype=dtype) + share          # every position gets dout / P

