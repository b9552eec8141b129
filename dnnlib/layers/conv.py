r"""Convolutional layers ``Conv1d`` and ``Conv2d`` (chapter 9).

A convolutional layer is a :class:`~dnnlib.layers.Dense` layer applied to every window
of the input with the **same** weights. Chapter 9 writes it three ways, all here:

* :func:`conv1d_loops` / :func:`conv2d_loops`: the definition as nested loops, one
  output number at a time (for reading, and for the tests; slow);
* :func:`unfold1d` / :func:`unfold2d`: every window of the input as one column of a
  matrix (``im2col``), built from ``K`` shifted slices of the input, so that
* the layers' :meth:`Conv1d.forward` is one matrix product per example,
  ``z_n = W cols_n + b``, and their backward pass is that of ``Dense`` plus
  :func:`fold1d` / :func:`fold2d`, the adjoint of ``unfold`` (it adds each column back
  to the window it came from).

Only slicing, ``reshape`` and ``matmul`` are used, so the same code runs on NumPy, CuPy
and array-api-strict (no NumPy-only stride tricks). Layouts are PyTorch's: inputs
``(N, C, L)`` and ``(N, C, H, W)``, weights ``(C_out, C_in, K)`` and
``(C_out, C_in, KH, KW)``, so weights copy 1:1 between the two.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_int
from .base import Layer, Parameter, init_weight, resolve_dtype

__all__ = [
    "Conv1d",
    "Conv2d",
    "conv_output_size",
    "conv1d",
    "conv2d",
    "conv1d_loops",
    "conv2d_loops",
    "unfold1d",
    "fold1d",
    "unfold2d",
    "fold2d",
]


# --------------------------------------------------------------------------- shapes
def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    r"""The output length of a convolution (or pooling) along one axis.

    Parameters
    ----------
    size : int
        Input length ``L`` (>= 1).
    kernel_size : int
        ``K`` (>= 1), at most ``L + 2 * padding``.
    stride : int
        ``s`` (>= 1).
    padding : int
        ``p`` zeros added at each end (>= 0).

    Returns
    -------
    int
        :math:`L_{\text{out}} = \lfloor (L + 2p - K) / s \rfloor + 1`.

    Notes
    -----
    The first window starts at position 0 of the padded input (length :math:`L + 2p`),
    the next at :math:`s`, and so on; the last one must end inside, at
    :math:`(L_{\text{out}} - 1)s + K \le L + 2p`. Chapter 9.

    Examples
    --------
    >>> conv_output_size(40, 5, stride=2, padding=1)   # the MNIST-1D CNN's first layer
    19
    >>> conv_output_size(28, 3)
    26
    """
    fn = "conv_output_size"
    L = check_int(size, fn, "size", minimum=1)
    K = check_int(kernel_size, fn, "kernel_size", minimum=1)
    s = check_int(stride, fn, "stride", minimum=1)
    p = check_int(padding, fn, "padding", minimum=0)
    if K > L + 2 * p:
        raise ValueError(f"{fn}: kernel_size {K} is larger than the padded input "
                         f"({L} + 2*{p} = {L + 2 * p})")
    return (L + 2 * p - K) // s + 1


def int_pair(value: Any, fn: str, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} must be an int or a pair (height, width), got "
                             f"{value!r}")
        return (check_int(value[0], fn, f"{name}[0]", minimum=minimum),
                check_int(value[1], fn, f"{name}[1]", minimum=minimum))
    v = check_int(value, fn, name, minimum=minimum)
    return v, v


# --------------------------------------------------------------------------- padding
def pad1d(x: Any, padding: int) -> Any:
    """``x``: ``(N, C, L)`` -> ``(N, C, L + 2 * padding)`` with zeros at both ends."""
    if padding == 0:
        return x
    xp = B.namespace(x)
    N, C, L = x.shape
    out = xp.zeros((N, C, L + 2 * padding), dtype=x.dtype)
    out[:, :, padding:padding + L] = x
    return out


def pad2d(x: Any, padding: tuple[int, int]) -> Any:
    """``x``: ``(N, C, H, W)`` -> ``(N, C, H + 2 ph, W + 2 pw)`` with zeros around."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    xp = B.namespace(x)
    N, C, H, W = x.shape
    out = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


# --------------------------------------------------------------------------- im2col
def unfold1d(x: Any, kernel_size: int, stride: int = 1) -> Any:
    r"""Every window of ``x`` as a column: ``(N, C, L)`` -> ``(C * K, N * L_out)``.

    Column ``n * L_out + l`` holds the window that output position ``l`` of example ``n``
    sees, :math:`x_{n, c, l s + k}` for every channel :math:`c` and offset :math:`k`, in
    the order of ``W.reshape(C_out, C * K)`` (channel-major), so the whole convolution is
    **one** matrix product, ``W.reshape(C_out, C * K) @ cols`` (``im2col``). Built from
    ``K`` shifted slices (offset ``k``: positions ``k, k + s, k + 2s, ...``), with no
    Python loop over positions or examples. No padding: pad first.

    Examples
    --------
    >>> import numpy as np
    >>> unfold1d(np.arange(5.0).reshape(1, 1, 5), 3)   # 3 windows of length 3, as columns
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    """
    xp = B.namespace(x)
    N, C, L = x.shape
    K, s = kernel_size, stride
    L_out = (L - K) // s + 1
    x_cn = xp.permute_dims(x, (1, 0, 2))                 # (C, N, L): channels first
    cols = xp.empty((C, K, N, L_out), dtype=x.dtype)
    for k in range(K):                                   # offset k inside the window
        cols[:, k, :, :] = x_cn[:, :, k:k + s * (L_out - 1) + 1:s]
    return xp.reshape(cols, (C * K, N * L_out))


def fold1d(cols: Any, shape: tuple[int, int, int], kernel_size: int, stride: int = 1) -> Any:
    r"""The adjoint of :func:`unfold1d`: ``(C * K, N * L_out)`` -> ``shape = (N, C, L)``.

    Each column is added back to the window it came from; where windows overlap
    (stride < K) the contributions add up. This is how the gradient of the windows
    becomes the gradient of the input: an input number took part in every window that
    contains it, so its gradient is the sum over those windows.
    """
    xp = B.namespace(cols)
    N, C, L = shape
    K, s = kernel_size, stride
    L_out = (L - K) // s + 1
    cols = xp.reshape(cols, (C, K, N, L_out))
    x_cn = xp.zeros((C, N, L), dtype=cols.dtype)
    for k in range(K):
        x_cn[:, :, k:k + s * (L_out - 1) + 1:s] += cols[:, k, :, :]
    return xp.permute_dims(x_cn, (1, 0, 2))


def unfold2d(x: Any, kernel_size: tuple[int, int], stride: tuple[int, int] = (1, 1)) -> Any:
    r"""Every window of ``x`` as a column: ``(N, C, H, W)`` -> ``(C*KH*KW, N*H_out*W_out)``.

    The 2-D twin of :func:`unfold1d`: ``KH * KW`` shifted slices, one per kernel offset
    ``(u, v)``; rows in the order of ``W.reshape(C_out, C * KH * KW)``, columns ordered
    by example, then output row, then output column.
    """
    xp = B.namespace(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw) = kernel_size, stride
    H_out, W_out = (H - KH) // sh + 1, (W - KW) // sw + 1
    x_cn = xp.permute_dims(x, (1, 0, 2, 3))              # (C, N, H, W)
    cols = xp.empty((C, KH, KW, N, H_out, W_out), dtype=x.dtype)
    for u in range(KH):
        for v in range(KW):
            cols[:, u, v, :, :, :] = x_cn[:, :, u:u + sh * (H_out - 1) + 1:sh,
                                          v:v + sw * (W_out - 1) + 1:sw]
    return xp.reshape(cols, (C * KH * KW, N * H_out * W_out))


def fold2d(cols: Any, shape: tuple[int, int, int, int], kernel_size: tuple[int, int],
           stride: tuple[int, int] = (1, 1)) -> Any:
    """The adjoint of :func:`unfold2d`: ``(C*KH*KW, N*H_out*W_out)`` -> ``shape = (N, C, H, W)``."""
    xp = B.namespace(cols)
    N, C, H, W = shape
    (KH, KW), (sh, sw) = kernel_size, stride
    H_out, W_out = (H - KH) // sh + 1, (W - KW) // sw + 1
    cols = xp.reshape(cols, (C, KH, KW, N, H_out, W_out))
    x_cn = xp.zeros((C, N, H, W), dtype=cols.dtype)
    for u in range(KH):
        for v in range(KW):
            x_cn[:, :, u:u + sh * (H_out - 1) + 1:sh, v:v + sw * (W_out - 1) + 1:sw] += \
                cols[:, u, v, :, :, :]
    return xp.permute_dims(x_cn, (1, 0, 2, 3))


# --------------------------------------------------------------------------- checks
def _check_conv_args(x: Any, W: Any, b: Any, fn: str, ndim: int) -> tuple[Any, Any, Any]:
    """Float arrays of one backend: x (N, C_in, *spatial), W (C_out, C_in, *kernel), b (C_out,)."""
    x = as_float_array(x, fn, "x", ndim=(ndim,))
    W = as_float_array(W, fn, "W", ndim=(ndim,))
    B.namespace(x, W, fn=fn)
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"{fn}: x has {x.shape[1]} channels but W expects {W.shape[1]} "
                         f"(W has shape {tuple(W.shape)} = (C_out, C_in, ...))")
    if b is not None:
        b = as_float_array(b, fn, "b", ndim=(1,))
        B.namespace(x, b, fn=fn)
        if b.shape[0] != W.shape[0]:
            raise ValueError(f"{fn}: b must have shape ({W.shape[0]},), got {tuple(b.shape)}")
    return x, W, b


def _check_window(size: int, K: int, p: int, fn: str, axis: str) -> None:
    if K > size + 2 * p:
        raise ValueError(f"{fn}: the kernel ({K}) is larger than the padded input along "
                         f"{axis} ({size} + 2*{p} = {size + 2 * p})")


# --------------------------------------------------------------------------- loops
def conv1d_loops(x: Any, W: Any, b: Any = None, *, stride: int = 1, padding: int = 0) -> Any:
    r"""A 1-D convolution by its definition, one output number at a time (slow; for reading).

    Parameters
    ----------
    x : array (N, C_in, L)
    W : array (C_out, C_in, K)
    b : array (C_out,) or None
    stride, padding : int

    Returns
    -------
    array (N, C_out, L_out)
        With :math:`\tilde x` the input padded with ``padding`` zeros at both ends,

        .. math:: z_{n,o,l} = b_o + \sum_{c=1}^{C_{\text{in}}} \sum_{k=0}^{K-1}
                  W_{o,c,k}\, \tilde x_{n,c,\,l s + k}

        (a cross-correlation, as in every deep-learning library; chapter 9).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> conv1d_loops(x, np.array([[[1.0, -1.0]]]))     # differences of neighbours
    array([[[-1., -1., -1.]]])
    """
    fn = "conv1d_loops"
    x, W, b = _check_conv_args(x, W, b, fn, 3)
    s = check_int(stride, fn, "stride", minimum=1)
    p = check_int(padding, fn, "padding", minimum=0)
    xp = B.namespace(x)
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    _check_window(L, K, p, fn, "L")
    x_pad = pad1d(x, p)
    L_out = (L + 2 * p - K) // s + 1
    z = xp.zeros((N, C_out, L_out), dtype=x.dtype)
    for n in range(N):
        for o in range(C_out):
            for l in range(L_out):
                window = x_pad[n, :, l * s:l * s + K]           # (C_in, K)
                z[n, o, l] = xp.sum(W[o, ...] * window) + (0.0 if b is None else b[o])
    return z


def conv2d_loops(x: Any, W: Any, b: Any = None, *, stride: Any = 1, padding: Any = 0) -> Any:
    r"""A 2-D convolution by its definition, one output number at a time (slow; for reading).

    ``x``: ``(N, C_in, H, W)``, ``W``: ``(C_out, C_in, KH, KW)``, ``b``: ``(C_out,)``;
    returns ``(N, C_out, H_out, W_out)`` with

    .. math:: z_{n,o,i,j} = b_o + \sum_{c} \sum_{u=0}^{KH-1} \sum_{v=0}^{KW-1}
              W_{o,c,u,v}\, \tilde x_{n,c,\,i s_h + u,\, j s_w + v}.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d_loops(x, np.ones((1, 1, 2, 2)))          # sums of 2x2 blocks
    array([[[[ 8., 12.],
             [20., 24.]]]])
    """
    fn = "conv2d_loops"
    x, W, b = _check_conv_args(x, W, b, fn, 4)
    sh, sw = int_pair(stride, fn, "stride", 1)
    ph, pw = int_pair(padding, fn, "padding", 0)
    xp = B.namespace(x)
    N, _, H, Wd = x.shape
    C_out, _, KH, KW = W.shape
    _check_window(H, KH, ph, fn, "H")
    _check_window(Wd, KW, pw, fn, "W")
    x_pad = pad2d(x, (ph, pw))
    H_out, W_out = (H + 2 * ph - KH) // sh + 1, (Wd + 2 * pw - KW) // sw + 1
    z = xp.zeros((N, C_out, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * sh:i * sh + KH, j * sw:j * sw + KW]
                    z[n, o, i, j] = xp.sum(W[o, ...] * window) + (0.0 if b is None else b[o])
    return z


# --------------------------------------------------------------------------- vectorised
def conv1d(x: Any, W: Any, b: Any = None, *, stride: int = 1, padding: int = 0) -> Any:
    """The same as :func:`conv1d_loops`, vectorised: ``W.reshape(C_out, C_in*K) @ unfold1d(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(2, 3, 9))
    >>> W = np.random.default_rng(1).normal(size=(4, 3, 3))
    >>> bool(np.allclose(conv1d(x, W, stride=2, padding=1),
    ...                  conv1d_loops(x, W, stride=2, padding=1)))
    True
    """
    fn = "conv1d"
    x, W, b = _check_conv_args(x, W, b, fn, 3)
    s = check_int(stride, fn, "stride", minimum=1)
    p = check_int(padding, fn, "padding", minimum=0)
    xp = B.namespace(x)
    N, _, L = x.shape
    C_out, C_in, K = W.shape
    _check_window(L, K, p, fn, "L")
    cols = unfold1d(pad1d(x, p), K, s)                      # (C_in*K, N*L_out)
    z = xp.reshape(W, (C_out, C_in * K)) @ cols             # (C_out, N*L_out)
    if b is not None:
        z = z + xp.reshape(b, (C_out, 1))
    return xp.permute_dims(xp.reshape(z, (C_out, N, -1)), (1, 0, 2))


def conv2d(x: Any, W: Any, b: Any = None, *, stride: Any = 1, padding: Any = 0) -> Any:
    """The same as :func:`conv2d_loops`, vectorised with :func:`unfold2d`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(2, 3, 6, 5))
    >>> W = np.random.default_rng(1).normal(size=(4, 3, 3, 2))
    >>> bool(np.allclose(conv2d(x, W, padding=1), conv2d_loops(x, W, padding=1)))
    True
    """
    fn = "conv2d"
    x, W, b = _check_conv_args(x, W, b, fn, 4)
    st = int_pair(stride, fn, "stride", 1)
    pd = int_pair(padding, fn, "padding", 0)
    xp = B.namespace(x)
    C_out, C_in, KH, KW = W.shape
    N, _, H, Wd = x.shape
    _check_window(H, KH, pd[0], fn, "H")
    _check_window(Wd, KW, pd[1], fn, "W")
    H_out, W_out = (H + 2 * pd[0] - KH) // st[0] + 1, (Wd + 2 * pd[1] - KW) // st[1] + 1
    cols = unfold2d(pad2d(x, pd), (KH, KW), st)             # (C_in*KH*KW, N*H_out*W_out)
    z = xp.reshape(W, (C_out, C_in * KH * KW)) @ cols
    if b is not None:
        z = z + xp.reshape(b, (C_out, 1))
    return xp.permute_dims(xp.reshape(z, (C_out, N, H_out, W_out)), (1, 0, 2, 3))


# --------------------------------------------------------------------------- layers
class _Conv(Layer):
    """What Conv1d and Conv2d share: arguments, initial weights, parameters."""

    needs_input_grad = True  # fit may set False on the first layer: no dx for the data

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, ...], *,
                 bias: bool, init: str, rng: Any, dtype: Any, fn: str) -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, fn, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, fn, "out_channels", minimum=1)
        if not isinstance(bias, bool):
            raise TypeError(f"{fn}: bias must be a bool, got {type(bias).__name__}")
        self.init = init
        dt = resolve_dtype(dtype, fn)
        shape = (self.out_channels, self.in_channels, *kernel)
        fan_in = self.in_channels * math.prod(kernel)     # inputs of one output unit
        fan_out = self.out_channels * math.prod(kernel)
        W = init_weight(shape, init, fan_in, fan_out, rng, dt, fn)
        self.W = Parameter(W, "W")
        self.b = Parameter(B.xp().zeros((self.out_channels,), dtype=dt), "b") if bias else None

    @property
    def params(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    @property
    def dtype(self) -> Any:
        return self.W.data.dtype

    def _check_x(self, x: Any, ndim: int, layout: str) -> tuple[Any, Any]:
        fn = f"{type(self).__name__}.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim != ndim:
            raise ValueError(f"{fn}: x must be {ndim}-D {layout}, got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{fn}: x has {x.shape[1]} channels (axis 1 of {layout}), "
                             f"expected in_channels={self.in_channels}")
        xp = B.namespace(x, self.W.data, fn=fn)
        if x.dtype != self.W.data.dtype:
            x = xp.astype(x, self.W.data.dtype)
        return x, xp


class Conv1d(_Conv):
    r"""1-D convolution over sequences ``(N, C_in, L)`` (PyTorch's ``nn.Conv1d`` layout).

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out`` (>= 1).
    kernel_size : int
        ``K``, the window length.
    stride : int, default 1
        ``s``, the step between windows.
    padding : int, default 0
        ``p`` zeros added at both ends of every sequence.
    bias : bool, default True
    init : {"he", "he_uniform", "glorot", "glorot_uniform", "zeros"}, default "he"
        He normal uses std :math:`\sqrt{2 / (C_{\text{in}} K)}`: the fan-in of one
        output unit is its window, :math:`C_{\text{in}} K` numbers.
    rng : numpy.random.Generator, int or None
        Source of the initial weights (drawn on the host).
    dtype : {"float32", "float64"} or None

    Attributes
    ----------
    W : Parameter
        ``(C_out, C_in, K)``.
    b : Parameter or None
        ``(C_out,)``.

    Notes
    -----
    Chapter 9. With :math:`\tilde x` the padded input and :math:`\text{cols}_n` its
    windows (:func:`unfold1d`, shape :math:`(C_{\text{in}} K, L_{\text{out}})`), the
    layer is a Dense layer shared by all positions,

    .. math:: z_{n,o,l} = b_o + \sum_{c,k} W_{o,c,k}\, \tilde x_{n,c,\,ls+k},
              \qquad Z_n = W_{\text{mat}}\, \text{cols}_n + b\,\mathbf 1^\top .

    With :math:`\delta = \partial L / \partial z` (``dout``), the backward pass is

    .. math::
        \frac{\partial L}{\partial W_{o,c,k}} = \sum_{n,l} \delta_{n,o,l}\,
        \tilde x_{n,c,\,ls+k}, \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,l} \delta_{n,o,l}, \qquad
        \frac{\partial L}{\partial \tilde x_{n,c,j}} = \sum_{o} \sum_{k}
        W_{o,c,k}\, \delta_{n,o,(j-k)/s},

    the last sum over the :math:`k` with :math:`j - k` a multiple of :math:`s` in range.
    ``dW`` is a correlation of the input with ``dout``; ``dx`` is a *full* convolution
    of ``dout`` (with :math:`s - 1` zeros between its entries) with the flipped kernel.
    In matrix form, :math:`dW_{\text{mat}} = \sum_n \delta_n \text{cols}_n^\top` and
    :math:`d\,\text{cols}_n = W_{\text{mat}}^\top \delta_n`, folded back onto the
    windows by :func:`fold1d`; the padding's gradient is dropped.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv1d(1, 4, 5, stride=2, padding=1, rng=0)
    >>> conv
    Conv1d(1, 4, kernel_size=5, stride=2, padding=1)
    >>> conv(np.zeros((8, 1, 40), dtype=np.float32)).shape
    (8, 4, 19)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 stride: int = 1, padding: int = 0, bias: bool = True, init: str = "he",
                 rng: Any = None, dtype: Any = None) -> None:
        fn = "Conv1d"
        self.kernel_size = check_int(kernel_size, fn, "kernel_size", minimum=1)
        self.stride = check_int(stride, fn, "stride", minimum=1)
        self.padding = check_int(padding, fn, "padding", minimum=0)
        super().__init__(in_channels, out_channels, (self.kernel_size,), bias=bias, init=init,
                         rng=rng, dtype=dtype, fn=fn)

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, C_in, L)`` with ``L + 2 p >= K``, cast to the weights' dtype."""
        x, _ = self._check_x(x, 3, "(N, C_in, L)")
        _check_window(x.shape[2], self.kernel_size, self.padding, "Conv1d.forward", "L")
        return x

    def output_length(self, length: int) -> int:
        """``L_out`` for an input of length ``L`` (:func:`conv_output_size`)."""
        return conv_output_size(length, self.kernel_size, self.stride, self.padding)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C_in, L)`` -> ``z``: ``(N, C_out, L_out)``."""
        xp = B.namespace(x)
        N, _, L = x.shape
        C_out, C_in, K = self.W.shape
        cols = unfold1d(pad1d(x, self.padding), K, self.stride)   # (C_in*K, N*L_out): windows
        z = xp.reshape(self.W.data, (C_out, C_in * K)) @ cols     # Dense, shared by all windows
        if self.b is not None:
            z += xp.reshape(self.b.data, (C_out, 1))
        self.cache = (cols, x.shape)
        return xp.permute_dims(xp.reshape(z, (C_out, N, -1)), (1, 0, 2))

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C_out, L_out)`` -> ``dx``: ``(N, C_in, L)``; adds ``dW``, ``db``."""
        cols, (N, _, L) = self.saved
        C_out, C_in, K = self.W.shape
        p = self.padding
        xp = B.namespace(dout)
        dz = xp.reshape(xp.permute_dims(dout, (1, 0, 2)), (C_out, -1))  # (C_out, N*L_out)
        self.W.accumulate_grad(xp.reshape(dz @ cols.T, (C_out, C_in, K)))  # dW += dz cols^T
        if self.b is not None:
            self.b.accumulate_grad(xp.sum(dz, axis=1))                   # db += sum of columns
        if not self.needs_input_grad:
            return None
        dcols = xp.reshape(self.W.data, (C_out, C_in * K)).T @ dz       # dcols = W^T dz
        dx_pad = fold1d(dcols, (N, C_in, L + 2 * p), K, self.stride)   # windows back in place
        return dx_pad[:, :, p:p + L]

    def __repr__(self) -> str:
        extra = "" if self.b is not None else ", bias=False"
        return (f"Conv1d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
                f", stride={self.stride}, padding={self.padding}{extra})")


class Conv2d(_Conv):
    r"""2-D convolution over images ``(N, C_in, H, W)`` (PyTorch's ``nn.Conv2d`` layout).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
        ``(KH, KW)``; an int means a square kernel.
    stride : int or (int, int), default 1
    padding : int or (int, int), default 0
    bias, init, rng, dtype
        As for :class:`Conv1d` (the fan-in is :math:`C_{\text{in}} K_H K_W`).

    Attributes
    ----------
    W : Parameter
        ``(C_out, C_in, KH, KW)``.
    b : Parameter or None
        ``(C_out,)``.

    Notes
    -----
    The equations of :class:`Conv1d` with two spatial indices (chapter 9):

    .. math:: z_{n,o,i,j} = b_o + \sum_{c,u,v} W_{o,c,u,v}\,
              \tilde x_{n,c,\,i s_h + u,\, j s_w + v},

    computed as :math:`Z_n = W_{\text{mat}}\, \text{cols}_n + b` with
    :func:`unfold2d`; backward with :func:`fold2d`.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(1, 16, 3, rng=0)
    >>> conv(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 16, 26, 26)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, *,
                 stride: Any = 1, padding: Any = 0, bias: bool = True, init: str = "he",
                 rng: Any = None, dtype: Any = None) -> None:
        fn = "Conv2d"
        self.kernel_size = int_pair(kernel_size, fn, "kernel_size", 1)
        self.stride = int_pair(stride, fn, "stride", 1)
        self.padding = int_pair(padding, fn, "padding", 0)
        super().__init__(in_channels, out_channels, self.kernel_size, bias=bias, init=init,
                         rng=rng, dtype=dtype, fn=fn)

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, C_in, H, W)``, each padded side at least the kernel's."""
        x, _ = self._check_x(x, 4, "(N, C_in, H, W)")
        for axis, size, K, p in (("H", x.shape[2], self.kernel_size[0], self.padding[0]),
                                 ("W", x.shape[3], self.kernel_size[1], self.padding[1])):
            _check_window(size, K, p, "Conv2d.forward", axis)
        return x

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C_in, H, W)`` -> ``z``: ``(N, C_out, H_out, W_out)``."""
        xp = B.namespace(x)
        N, _, H, W = x.shape
        C_out, C_in, KH, KW = self.W.shape
        (ph, pw), (sh, sw) = self.padding, self.stride
        H_out, W_out = (H + 2 * ph - KH) // sh + 1, (W + 2 * pw - KW) // sw + 1
        cols = unfold2d(pad2d(x, self.padding), (KH, KW), self.stride)  # (C_in*KH*KW, N*P)
        z = xp.reshape(self.W.data, (C_out, C_in * KH * KW)) @ cols     # (C_out, N*P)
        if self.b is not None:
            z += xp.reshape(self.b.data, (C_out, 1))
        self.cache = (cols, x.shape)
        return xp.permute_dims(xp.reshape(z, (C_out, N, H_out, W_out)), (1, 0, 2, 3))

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C_out, H_out, W_out)`` -> ``dx``: ``(N, C_in, H, W)``."""
        cols, (N, _, H, W) = self.saved
        C_out, C_in, KH, KW = self.W.shape
        ph, pw = self.padding
        xp = B.namespace(dout)
        dz = xp.reshape(xp.permute_dims(dout, (1, 0, 2, 3)), (C_out, -1))  # (C_out, N*P)
        # dW = dz cols^T, computed as (cols dz^T)^T: the same numbers, in the orientation
        # OpenBLAS multiplies ~15% faster for these shapes (C_out rows, N*P columns)
        self.W.accumulate_grad(xp.reshape((cols @ dz.T).T, (C_out, C_in, KH, KW)))
        if self.b is not None:
            self.b.accumulate_grad(xp.sum(dz, axis=1))
        if not self.needs_input_grad:
            return None
        dcols = xp.reshape(self.W.data, (C_out, C_in * KH * KW)).T @ dz
        dx_pad = fold2d(dcols, (N, C_in, H + 2 * ph, W + 2 * pw), (KH, KW), self.stride)
        return dx_pad[:, :, ph:ph + H, pw:pw + W]

    def __repr__(self) -> str:
        def show(t: tuple[int, int]) -> str:
            return str(t[0]) if t[0] == t[1] else str(t)

        extra = "" if self.b is not None else ", bias=False"
        return (f"Conv2d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={show(self.kernel_size)}, stride={show(self.stride)}, "
                f"padding={show(self.padding)}{extra})")
