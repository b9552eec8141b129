"""Batch normalization (chapter 8)."""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from .base import Layer, Parameter, _as_dout, _as_input, _resolve_dtype

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class BatchNorm1d(Layer):
    r"""Batch normalisation over the batch axis of ``(N, D)`` inputs (PyTorch semantics).

    Parameters
    ----------
    num_features : int
        ``D``, the number of features (>= 1).
    eps : float, default 1e-5
        Added to the variance for numerical stability (> 0).
    momentum : float, default 0.1
        Weight of the new batch statistic in the running averages, in ``[0, 1]``.
    dtype : {"float32", "float64"} or None
        Parameter and buffer dtype; ``None`` means the default dtype.

    Attributes
    ----------
    gamma, beta : Parameter
        Scale (ones) and shift (zeros), shape ``(D,)``.
    running_mean, running_var : array
        Buffers, shape ``(D,)``, starting at zeros and ones; saved by ``state_dict``.

    Notes
    -----
    Chapter 8 (Ioffe & Szegedy, 2015). In training, with the batch mean
    :math:`\mu` and the *biased* batch variance :math:`\sigma^2`,

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y = \gamma \odot \hat x + \beta,

    and the running statistics move as :math:`r \leftarrow (1 - m)\, r + m\, s`, using
    the *unbiased* variance :math:`\sigma^2 N / (N - 1)` for ``running_var``. In eval mode
    the running statistics replace :math:`\mu, \sigma^2`. The backward pass in compact
    form (training mode), with :math:`\hat{d} = \gamma \odot \text{dout}`:

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{N \sqrt{\sigma^2 + \epsilon}}
        \Big(N \hat d - \sum_n \hat d_n - \hat x \odot \sum_n \hat d_n \odot \hat x_n\Big),
        \quad
        \frac{\partial L}{\partial \gamma} = \sum_n \text{dout}_n \odot \hat x_n, \quad
        \frac{\partial L}{\partial \beta} = \sum_n \text{dout}_n .

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32))
    >>> np.round(y, 3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean
    array([0.2, 0.4], dtype=float32)
    """

    _BUFFERS = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype: Any = None) -> None:
        super().__init__()
        fn = "BatchNorm1d"
        self.num_features = check_int(num_features, fn, "num_features", minimum=1)
        self.eps = check_float(eps, fn, "eps", low=0.0, low_open=True)
        self.momentum = check_float(momentum, fn, "momentum", low=0.0, high=1.0)
        dt = _resolve_dtype(dtype, fn)
        xp = B.xp()
        D = self.num_features
        self.gamma = Parameter(xp.ones((D,), dtype=dt), "gamma")
        self.beta = Parameter(xp.zeros((D,), dtype=dt), "beta")
        self.running_mean = xp.zeros((D,), dtype=dt)
        self.running_var = xp.ones((D,), dtype=dt)

    @property
    def params(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    @property
    def dtype(self) -> Any:
        return self.gamma.data.dtype

    def buffers(self) -> dict[str, Any]:
        """``{"running_mean": (D,), "running_var": (D,)}`` (the arrays themselves)."""
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def load_buffers(self, buffers: dict[str, Any]) -> None:
        """Copy ``running_mean``/``running_var`` in place (same backend, shape ``(D,)``)."""
        fn = "BatchNorm1d.load_buffers"
        extra = sorted(set(buffers) - set(self._BUFFERS))
        if extra:
            raise ValueError(f"{fn}: unexpected buffers {extra}; expected {list(self._BUFFERS)}")
        for name, value in buffers.items():
            target = getattr(self, name)
            value = B.asarray(value, like=target)
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"{fn}: {name} must have shape {tuple(target.shape)}, "
                                 f"got {tuple(value.shape)}")
            xp = B.namespace(target, fn=fn)
            target[...] = xp.astype(value, target.dtype)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, D)`` -> ``y``: ``(N, D)``; updates the running stats in training."""
        if B.is_array(x) and x.ndim >= 3:  # (N, C, L): per channel, over N and L (chapter 9)
            return _per_channel_forward(self, x, (3,), "(N, C) or (N, C, L)")
        fn = "BatchNorm1d.forward"
        x, xp = _as_input(x, self.gamma.data, fn, ndim=(2,))
        N, D = x.shape
        if D != self.num_features:
            raise ValueError(f"{fn}: x has {D} features, expected {self.num_features}")
        if self.training:
            if N < 2:
                raise ValueError(f"{fn}: x must have more than 1 example per feature in "
                                 f"training mode (batch statistics), got shape {tuple(x.shape)}; "
                                 "use a bigger batch or call eval()")
            mean = xp.mean(x, axis=0)
            var = xp.var(x, axis=0)  # biased: divides by N
            m = self.momentum
            self.running_mean[...] = (1.0 - m) * self.running_mean + m * mean
            self.running_var[...] = (1.0 - m) * self.running_var + m * (var * (N / (N - 1)))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xhat = (x - mean) * inv_std
        self.cache = (xhat, inv_std, self.training)
        return self.gamma.data * xhat + self.beta.data

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, D)`` -> ``dx``: ``(N, D)``; adds ``dgamma``, ``dbeta``."""
        if isinstance(self.cache, _PerChannel):
            return _per_channel_backward(self, dout)
        fn = "BatchNorm1d.backward"
        xhat, inv_std, training = self._require_cache(fn)
        dout = _as_dout(dout, self.gamma.data, tuple(xhat.shape), fn)
        xp = B.namespace(dout, fn=fn)
        N = xhat.shape[0]
        dbeta = xp.sum(dout, axis=0)
        dgamma = xp.sum(dout * xhat, axis=0)
        self.beta.grad += dbeta
        self.gamma.grad += dgamma
        if not training:  # running statistics are constants
            return dout * (self.gamma.data * inv_std)
        # dxhat = gamma * dout, so sum(dxhat) = gamma*dbeta and sum(dxhat*xhat) = gamma*dgamma
        return (self.gamma.data * inv_std / N) * (N * dout - dbeta - xhat * dgamma)

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


# --------------------------------------------------------------------------- over channels
# Chapter 9: after a convolution, batch normalization normalizes each *channel*, with
# statistics over the batch and every position (PyTorch's BatchNorm1d on (N, C, L) and
# BatchNorm2d on (N, C, H, W)). That is the (N, D) layer above applied to the rows of a
# (N * positions, C) matrix: every position of every example is one row, every channel
# one feature. The helpers below move the channel axis last, flatten, and call it.
class _PerChannel(NamedTuple):
    """The cache of a per-channel forward: the input's shape and the row layer's cache."""

    shape: tuple[int, ...]
    rows: Any


def _to_rows(x: Any) -> Any:
    """``(N, C, *positions)`` -> ``(N * positions, C)``."""
    xp = B.namespace(x)
    axes = (0, *range(2, x.ndim), 1)
    return xp.reshape(xp.permute_dims(x, axes), (-1, x.shape[1]))


def _from_rows(rows: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of :func:`_to_rows` for an input of ``shape`` ``(N, C, *positions)``."""
    xp = B.namespace(rows)
    N, C, *pos = shape
    y = xp.reshape(rows, (N, *pos, C))
    return xp.permute_dims(y, (0, len(shape) - 1, *range(1, len(shape) - 1)))


def _per_channel_forward(layer: BatchNorm1d, x: Any, ndims: tuple[int, ...], layout: str
                         ) -> Any:
    fn = f"{type(layer).__name__}.forward"
    x = as_float_array(x, fn, "x")
    if x.ndim not in ndims:
        raise ValueError(f"{fn}: x must be {layout}, got shape {tuple(x.shape)}")
    if x.shape[1] != layer.num_features:
        raise ValueError(f"{fn}: x has {x.shape[1]} channels (axis 1), expected "
                         f"{layer.num_features}")
    y = BatchNorm1d.forward(layer, _to_rows(x))          # statistics over N and positions
    layer.cache = _PerChannel(tuple(x.shape), layer.cache)
    return _from_rows(y, tuple(x.shape))


def _per_channel_backward(layer: BatchNorm1d, dout: Any) -> Any:
    fn = f"{type(layer).__name__}.backward"
    cache = layer.cache
    dout = as_float_array(dout, fn, "dout")
    if tuple(dout.shape) != cache.shape:
        raise ValueError(f"{fn}: dout must have shape {cache.shape} (the forward output), "
                         f"got {tuple(dout.shape)}")
    layer.cache = cache.rows
    try:
        d_rows = BatchNorm1d.backward(layer, _to_rows(dout))
    finally:
        layer.cache = cache
    return _from_rows(d_rows, cache.shape)


class BatchNorm2d(BatchNorm1d):
    r"""Batch normalization per channel of images ``(N, C, H, W)`` (PyTorch's ``BatchNorm2d``).

    Parameters
    ----------
    num_features : int
        ``C``, the number of channels.
    eps, momentum, dtype
        As for :class:`BatchNorm1d`.

    Notes
    -----
    Chapter 9. Channel :math:`c` is normalized with the mean and variance of all its
    :math:`N H W` values, :math:`\mu_c = \frac{1}{NHW} \sum_{n,i,j} x_{n,c,i,j}`, and
    scaled and shifted by its own :math:`\gamma_c, \beta_c`: the equations of
    :class:`BatchNorm1d` for the rows of the ``(N H W, C)`` matrix of positions.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm2d(3)
    >>> y = bn(np.random.default_rng(0).normal(2.0, 5.0, size=(4, 3, 5, 5)))
    >>> y.shape, bool(np.allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-6))
    ((4, 3, 5, 5), True)
    """

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, H, W)`` -> ``y``: same shape; updates the running stats in training."""
        return _per_channel_forward(self, x, (4,), "(N, C, H, W)")

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C, H, W)`` -> ``dx``: ``(N, C, H, W)``; adds ``dgamma``, ``dbeta``."""
        if not isinstance(self.cache, _PerChannel):
            self._require_cache("backward")
        return _per_channel_backward(self, dout)

    def __repr__(self) -> str:
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"
