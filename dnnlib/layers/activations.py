"""Elementwise activation layers (chapter 2): ReLU, Sigmoid, Tanh, LeakyReLU."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._validation import as_float_array, check_float
from .base import Layer, _as_dout

__all__ = ["Activation", "ReLU", "Sigmoid", "Tanh", "LeakyReLU"]


class Activation(Layer):
    """Elementwise activation ``a = f(z)``; backward ``dz = dout * f'(z)`` (cache: ``z``)."""

    def _f(self, z: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _df(self, z: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> same shape and dtype."""
        x = as_float_array(x, f"{type(self).__name__}.forward", "x")
        self.cache = x
        return self._f(x)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * f'(x)``."""
        fn = f"{type(self).__name__}.backward"
        x = self._require_cache(fn)
        dout = _as_dout(dout, x, tuple(x.shape), fn)
        return dout * self._df(x)


class ReLU(Activation):
    r"""Rectified linear unit, elementwise.

    Notes
    -----
    Chapter 2: :math:`\mathrm{ReLU}(z) = \max(0, z)`, with derivative
    :math:`\mathbb{1}[z > 0]` (0 at :math:`z = 0`, as PyTorch). Backward:
    ``dx = dout * (x > 0)``. Shapes: any, output like input.

    Examples
    --------
    >>> import numpy as np
    >>> ReLU()(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """

    def _f(self, z: Any) -> Any:
        return F.relu(z)

    def _df(self, z: Any) -> Any:
        return F.relu_grad(z)


class Sigmoid(Activation):
    r"""Logistic sigmoid, elementwise.

    Notes
    -----
    Chapter 2: :math:`\sigma(z) = 1 / (1 + e^{-z})`, with
    :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`. Shapes: any, output like input.

    Examples
    --------
    >>> import numpy as np
    >>> Sigmoid()(np.array([0.0]))
    array([0.5])
    """

    def _f(self, z: Any) -> Any:
        return F.sigmoid(z)

    def _df(self, z: Any) -> Any:
        return F.sigmoid_grad(z)


class Tanh(Activation):
    r"""Hyperbolic tangent, elementwise.

    Notes
    -----
    Chapter 2: :math:`\tanh(z)`, with :math:`\tanh'(z) = 1 - \tanh^2(z)`.
    Shapes: any, output like input.

    Examples
    --------
    >>> import numpy as np
    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    def _f(self, z: Any) -> Any:
        return F.tanh(z)

    def _df(self, z: Any) -> Any:
        return F.tanh_grad(z)


class LeakyReLU(Activation):
    r"""Leaky ReLU, elementwise: a small slope for negative inputs.

    Parameters
    ----------
    slope : float, default 0.01
        The slope :math:`\alpha` for :math:`z < 0` (PyTorch's ``negative_slope``), >= 0.

    Notes
    -----
    Chapter 2: :math:`\mathrm{LeakyReLU}(z) = \max(z, \alpha z)` for
    :math:`0 \le \alpha < 1`; derivative :math:`1` for :math:`z > 0`, :math:`\alpha`
    otherwise. Shapes: any, output like input.

    Examples
    --------
    >>> import numpy as np
    >>> LeakyReLU(0.1)(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = check_float(slope, "LeakyReLU", "slope", low=0.0)

    def _f(self, z: Any) -> Any:
        return F.leaky_relu(z, slope=self.slope)

    def _df(self, z: Any) -> Any:
        return F.leaky_relu_grad(z, slope=self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"
