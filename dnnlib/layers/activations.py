"""Elementwise activation layers (chapter 2): ReLU, Sigmoid, Tanh, LeakyReLU."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._validation import check_float
from .base import Layer

__all__ = ["Activation", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ACTIVATIONS", "make_activation"]


class Activation(Layer):
    """Base class of the elementwise activations ``a = g(z)`` (no parameters).

    Each subclass writes its own ``forward`` (``cache`` = the input ``z``) and
    ``backward`` (``dz = dout * g'(z)``, the derivative from :mod:`dnnlib.functional`),
    and has a :attr:`name` for :func:`make_activation`. Shapes: any, output like input.
    """

    #: The name :func:`make_activation` knows this layer by.
    name: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Before issue 16 every activation shared one backward, ``dout * self._df(x)``, and
        # a subclass changed the derivative by overriding ``_df`` (chapter 5 plants a bug
        # that way). Such a subclass keeps working for one release.
        super().__init_subclass__(**kwargs)
        if "_df" in vars(cls) and "backward" not in vars(cls):
            cls.backward = _backward_through_df  # type: ignore[method-assign]
        if "_f" in vars(cls) and "forward" not in vars(cls):
            cls.forward = _forward_through_f  # type: ignore[method-assign]


def _backward_through_df(self: Any, dout: Any) -> Any:
    return dout * self._df(self.saved)


def _forward_through_f(self: Any, x: Any) -> Any:
    self.cache = x
    return self._f(x)


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

    name = "relu"

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> ``relu(x)``, same shape."""
        self.cache = x
        return F.relu(x)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * relu'(x)``."""
        return dout * F.relu_grad(self.saved)


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

    name = "sigmoid"

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> ``sigmoid(x)``, same shape."""
        self.cache = x
        return F.sigmoid(x)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * sigmoid'(x)``."""
        return dout * F.sigmoid_grad(self.saved)


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

    name = "tanh"

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> ``tanh(x)``, same shape."""
        self.cache = x
        return F.tanh(x)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * tanh'(x)``."""
        return dout * F.tanh_grad(self.saved)


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

    name = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = check_float(slope, "LeakyReLU", "slope", low=0.0)

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> ``max(x, slope * x)``, same shape."""
        self.cache = x
        return F.leaky_relu(x, slope=self.slope)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * (1 if x > 0 else slope)``."""
        return dout * F.leaky_relu_grad(self.saved, slope=self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


#: The activation layers by name, the names :func:`make_activation` accepts.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}


def make_activation(name: str, *, slope: float = 0.01) -> Activation:
    """A new activation layer from its name: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``...

    ``slope`` is LeakyReLU's negative slope (ignored by the others). The name of an
    existing layer is its ``.name`` attribute.

    Examples
    --------
    >>> make_activation("tanh"), make_activation("leaky_relu", slope=0.1)
    (Tanh(), LeakyReLU(slope=0.1))
    >>> make_activation("tanh").name
    'tanh'
    """
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"make_activation: name must be one of {sorted(ACTIVATIONS)}, "
                         f"got {name!r}")
    if name == "leaky_relu":
        return LeakyReLU(slope)
    return ACTIVATIONS[name]()
