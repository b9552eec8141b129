"""Batch normalization (chapter 8)."""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from .base import Layer, Parameter, resolve_dtype

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class BatchNorm1d(Layer):
    r"""Batch normalization over the batch axis of ``(N, D)`` inputs (PyTorch semantics).

    Parameters
    ----------
    num_features : int
        The number of features of the input, ``D`` in the shapes below (the units
        :math:`n_l` of the layer before it in Chapter 8), >= 1.
    eps : float, default 1e-5
        :math:`\epsilon`, added to the variance for numerical stability (> 0).
    momentum : float, default 0.1
        :math:`\nu`, the weight of the new batch statistic in the running averages, in
        ``[0, 1]`` (PyTorch's convention; Keras's momentum is :math:`1 - \nu`).
    dtype : {"float32", "float64"} or None
        Parameter and buffer dtype; ``None`` means the default dtype.

    Attributes
    ----------
    gamma, beta : Parameter
        :math:`\gamma` (ones) and :math:`\beta` (zeros), the learned scale and shift,
        shape ``(D,)``.
    running_mean, running_var : array
        :math:`\mu_{\text{run}}` and :math:`\sigma^2_{\text{run}}`, buffers of shape
        ``(D,)`` starting at zeros and ones; saved by ``state_dict``.

    Notes
    -----
    Chapter 8 (Ioffe & Szegedy, 2015), whose symbols these are: the input ``x`` holds the
    pre-activations :math:`z_n` (rows), ``xhat`` is :math:`\hat z_n`, the output is
    :math:`\tilde z_n`. In training, with the batch mean :math:`\mu` and the *biased*
    batch variance :math:`\sigma^2` (divided by :math:`N`), per feature,

    .. math::
        \hat z_n = \frac{z_n - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        \tilde z_n = \gamma \odot \hat z_n + \beta,

    and the running statistics move as :math:`\mu_{\text{run}} \leftarrow (1 - \nu)\,
    \mu_{\text{run}} + \nu\, \mu` and :math:`\sigma^2_{\text{run}} \leftarrow (1 - \nu)\,
    \sigma^2_{\text{run}} + \nu\, \sigma^2 N / (N - 1)` (the *unbiased* variance). In eval
    mode the running statistics replace :math:`\mu, \sigma^2`. The backward pass in
    compact form (training mode), with the upstream gradient
    :math:`\delta_n = \partial \mathcal{L} / \partial \tilde z_n` (``dout``),
    :math:`\hat \delta_n = \gamma \odot \delta_n` and
    :math:`s = 1 / \sqrt{\sigma^2 + \epsilon}` (``inv_std``):

    .. math::
        \frac{\partial \mathcal{L}}{\partial z_n} = \frac{s}{N}
        \Big(N \hat \delta_n - \sum_m \hat \delta_m - \hat z_n \odot \sum_m \hat \delta_m
        \odot \hat z_m\Big), \quad
        \frac{\partial \mathcal{L}}{\partial \gamma} = \sum_n \delta_n \odot \hat z_n,
        \quad \frac{\partial \mathcal{L}}{\partial \beta} = \sum_n \delta_n .

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
    uses_batch_statistics = True

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype: Any = None) -> None:
        super().__init__()
        fn = "BatchNorm1d"
        self.num_features = check_int(num_features, fn, "num_features", minimum=1)
        self.eps = check_float(eps, fn, "eps", low=0.0, low_open=True)
        self.momentum = check_float(momentum, fn, "momentum", low=0.0, high=1.0)
        dt = resolve_dtype(dtype, fn)
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

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, D)`` (or ``(N, C, L)``, per channel), ``N >= 2`` in training."""
        return _check_channels(self, x, (2, 3), "(N, D) or (N, C, L)")

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, D)`` -> ``(N, D)``; updates the running stats in training."""
        if x.ndim > 2:  # (N, C, L) after a convolution: per channel (chapter 9)
            return _per_channel_forward(self, x)
        xp = B.namespace(x)
        N = x.shape[0]
        if self.training:
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
        if isinstance(self.cache, _PerChannel):  # the forward was per channel
            return _per_channel_backward(self, dout)
        xhat, inv_std, training = self.saved
        xp = B.namespace(dout)
        N = xhat.shape[0]
        dbeta = xp.sum(dout, axis=0)
        dgamma = xp.sum(dout * xhat, axis=0)
        self.beta.accumulate_grad(dbeta)
        self.gamma.accumulate_grad(dgamma)
        if not training:  # running statistics are constants
            return dout * (self.gamma.data * inv_std)
        # dxhat = gamma * dout, so sum(dxhat) = gamma*dbeta and sum(dxhat*xhat) = gamma*dgamma
        return (self.gamma.data * inv_std / N) * (N * dout - dbeta - xhat * dgamma)

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


def _check_channels(layer: BatchNorm1d, x: Any, ndims: tuple[int, ...], layout: str) -> Any:
    """The door of the batch-norm layers: shape, features on axis 1, two values per feature."""
    fn = f"{type(layer).__name__}.forward"
    x = as_float_array(x, fn, "x")
    if x.ndim not in ndims:
        raise ValueError(f"{fn}: x must be {layout}, got shape {tuple(x.shape)}")
    if x.shape[1] != layer.num_features:
        what = "features" if x.ndim == 2 else "channels (axis 1)"
        raise ValueError(f"{fn}: x has {x.shape[1]} {what}, expected {layer.num_features}")
    per_feature = x.shape[0] * (x.size // (x.shape[0] * x.shape[1]) if x.size else 0)
    if layer.training and per_feature < 2:
        raise ValueError(f"{fn}: x must have more than 1 example per feature in "
                         f"training mode (batch statistics), got shape {tuple(x.shape)}; "
                         "use a bigger batch or call eval()")
    return Layer.check_input(layer, x)


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


def _per_channel_forward(layer: BatchNorm1d, x: Any) -> Any:
    y = BatchNorm1d.forward(layer, _to_rows(x))          # statistics over N and positions
    layer.cache = _PerChannel(tuple(x.shape), layer.cache)
    return _from_rows(y, tuple(x.shape))


def _per_channel_backward(layer: BatchNorm1d, dout: Any) -> Any:
    cache = layer.cache
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

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, C, H, W)``, ``C = num_features``."""
        return _check_channels(self, x, (4,), "(N, C, H, W)")

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, C, H, W)`` -> same shape; updates the running stats in training."""
        return _per_channel_forward(self, x)

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, C, H, W)`` -> ``dx``: same shape; adds ``dgamma``, ``dbeta``."""
        if not isinstance(self.saved, _PerChannel):
            raise RuntimeError("BatchNorm2d.backward: the cache is not from BatchNorm2d.forward")
        return _per_channel_backward(self, dout)

    def __repr__(self) -> str:
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"
