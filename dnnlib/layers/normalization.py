"""Batch normalization (chapter 8)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from .base import Layer, Parameter, resolve_dtype

__all__ = ["BatchNorm1d"]


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
        """``x``: floats ``(N, D)``, ``D = num_features``, ``N >= 2`` in training mode."""
        fn = "BatchNorm1d.forward"
        x = as_float_array(x, fn, "x", ndim=(2,))
        N, D = x.shape
        if D != self.num_features:
            raise ValueError(f"{fn}: x has {D} features, expected {self.num_features}")
        if self.training and N < 2:
            raise ValueError(f"{fn}: x must have more than 1 example per feature in "
                             f"training mode (batch statistics), got shape {tuple(x.shape)}; "
                             "use a bigger batch or call eval()")
        return super().check_input(x)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, D)`` -> ``(N, D)``; updates the running stats in training."""
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
        xhat, inv_std, training = self.saved
        xp = B.namespace(dout)
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
