"""Layer normalization (chapter 8): batch normalization's statistics taken per example."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from .base import Layer, Parameter, resolve_dtype

__all__ = ["LayerNorm"]


class LayerNorm(Layer):
    r"""Layer normalization over the last axis (PyTorch's ``nn.LayerNorm(D)``).

    Parameters
    ----------
    normalized_shape : int or tuple of one int
        ``D``, the size of the last axis, over which each example is normalized (>= 1).
    eps : float, default 1e-5
        Added to the variance for numerical stability (> 0).
    dtype : {"float32", "float64"} or None
        Parameter dtype; ``None`` means the default dtype.

    Attributes
    ----------
    gamma, beta : Parameter
        Scale (ones) and shift (zeros), shape ``(D,)``, shared by all examples.

    Notes
    -----
    Chapter 8 (Ba, Kiros & Hinton, 2016). For each example (each row ``x`` of an
    ``(N, D)`` input, or each vector along the last axis of ``(..., D)``), the mean
    :math:`\mu` and the *biased* variance :math:`\sigma^2` over its ``D`` features give

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y = \gamma \odot \hat x + \beta .

    No statistic is taken over the batch, so the layer computes the same function in
    training and evaluation mode, for a batch of any size, including one example. The
    backward pass is batch normalization's with the axes exchanged: with
    :math:`\hat d = \gamma \odot \text{dout}` and sums over the ``D`` features of one example,

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{D \sqrt{\sigma^2 + \epsilon}}
        \Big(D \hat d - \sum_j \hat d_j - \hat x \sum_j \hat d_j \hat x_j\Big),

    and :math:`\partial L / \partial \gamma`, :math:`\partial L / \partial \beta` sum
    :math:`\text{dout} \odot \hat x` and :math:`\text{dout}` over all examples.

    Examples
    --------
    >>> import numpy as np
    >>> ln = LayerNorm(3)
    >>> y = ln(np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]], dtype=np.float32))
    >>> np.round(y, 3)
    array([[-1.225,  0.   ,  1.225],
           [-0.707, -0.707,  1.414]], dtype=float32)
    >>> np.round(ln(np.array([1.0, 2.0, 3.0])), 3)   # one example, shape (D,)
    array([-1.225,  0.   ,  1.225], dtype=float32)
    """

    def __init__(self, normalized_shape: int | tuple[int], eps: float = 1e-5, *,
                 dtype: Any = None) -> None:
        super().__init__()
        fn = "LayerNorm"
        if isinstance(normalized_shape, (tuple, list)):
            if len(normalized_shape) != 1:
                raise ValueError(f"{fn}: normalized_shape must be an int D or a tuple (D,) "
                                 f"(normalization over the last axis only), got "
                                 f"{tuple(normalized_shape)}")
            normalized_shape = normalized_shape[0]
        self.normalized_shape = check_int(normalized_shape, fn, "normalized_shape", minimum=1)
        self.eps = check_float(eps, fn, "eps", low=0.0, low_open=True)
        dt = resolve_dtype(dtype, fn)
        xp = B.xp()
        D = self.normalized_shape
        self.gamma = Parameter(xp.ones((D,), dtype=dt), "gamma")
        self.beta = Parameter(xp.zeros((D,), dtype=dt), "beta")

    @property
    def params(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    @property
    def dtype(self) -> Any:
        return self.gamma.data.dtype

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(..., D)`` with ``D = normalized_shape`` on the last axis."""
        fn = "LayerNorm.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim == 0 or x.shape[-1] != self.normalized_shape:
            got = "a 0-D array" if x.ndim == 0 else f"shape {tuple(x.shape)}"
            raise ValueError(f"{fn}: x must have {self.normalized_shape} features on its last "
                             f"axis, shape (..., {self.normalized_shape}), got {got}")
        return super().check_input(x)

    def forward(self, x: Any) -> Any:
        """``x``: ``(..., D)`` -> ``y``: same shape; the same in training and eval mode."""
        xp = B.namespace(x)
        mean = xp.mean(x, axis=-1, keepdims=True)
        var = xp.var(x, axis=-1, keepdims=True)  # biased: divides by the number of features
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xhat = (x - mean) * inv_std
        self.cache = (xhat, inv_std)
        return self.gamma.data * xhat + self.beta.data

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx``: like ``x``; adds ``dgamma``, ``dbeta``."""
        xhat, inv_std = self.saved
        xp = B.namespace(dout)
        D = self.normalized_shape
        rows = (-1, D)  # every leading axis is a batch axis for gamma and beta
        self.beta.accumulate_grad(xp.sum(xp.reshape(dout, rows), axis=0))
        self.gamma.accumulate_grad(xp.sum(xp.reshape(dout * xhat, rows), axis=0))
        dxhat = self.gamma.data * dout
        return (inv_std / D) * (D * dxhat - xp.sum(dxhat, axis=-1, keepdims=True)
                                - xhat * xp.sum(dxhat * xhat, axis=-1, keepdims=True))

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
