"""Layers that only change the shape of each example: ``Flatten`` and ``Reshape`` (chapter 9).

They move no number and learn nothing; their backward pass puts the upstream gradient
back into the input's shape. They connect layers that see an example differently:
``Reshape((1, 40))`` turns rows of 40 features into one-channel sequences for
:class:`~dnnlib.layers.Conv1d`, and ``Flatten()`` turns the channels of the last
convolution into features for :class:`~dnnlib.layers.Dense`.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend as B
from .._validation import as_float_array, check_int
from .base import Layer

__all__ = ["Flatten", "Reshape"]


class Flatten(Layer):
    """``(N, d1, d2, ...)`` -> ``(N, d1 * d2 * ...)``, in row-major (C) order, as PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> f = Flatten()
    >>> f(np.zeros((2, 25, 5))).shape
    (2, 125)
    >>> f.backward(np.ones((2, 125))).shape
    (2, 25, 5)
    """

    def check_input(self, x: Any) -> Any:
        """``x``: floats with at least 2 dimensions ``(N, ...)``."""
        fn = "Flatten.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim < 2:
            raise ValueError(f"{fn}: x must have a batch axis and at least one more, "
                             f"got shape {tuple(x.shape)}")
        return x

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, ...)`` -> ``(N, D)`` with ``D`` the product of the other axes."""
        self.cache = tuple(x.shape)
        return B.namespace(x).reshape(x, (x.shape[0], -1))

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, D)`` -> ``dx``: the input's shape."""
        shape = self.saved
        return B.namespace(dout).reshape(dout, shape)


class Reshape(Layer):
    """Give each example the shape ``shape``: ``(N, ...)`` -> ``(N, *shape)``.

    Parameters
    ----------
    shape : tuple of int
        The per-example shape (the batch axis is kept), e.g. ``(1, 40)`` to feed rows of
        40 numbers to ``Conv1d(1, ...)``, ``(40, 1)`` for a recurrent layer reading one
        number per time step, or ``(1, 8, 8)`` for 8x8 images.

    Examples
    --------
    >>> import numpy as np
    >>> r = Reshape((1, 40))
    >>> r
    Reshape((1, 40))
    >>> r(np.zeros((5, 40))).shape
    (5, 1, 40)
    """

    def __init__(self, shape: Any) -> None:
        super().__init__()
        fn = "Reshape"
        if isinstance(shape, (int,)) and not isinstance(shape, bool):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or not shape:
            raise TypeError(f"{fn}: shape must be a non-empty tuple of ints (the shape of one "
                            f"example), got {shape!r}")
        self.shape = tuple(check_int(s, fn, "shape entry", minimum=1) for s in shape)

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, ...)`` whose examples hold ``prod(shape)`` numbers."""
        fn = "Reshape.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim < 2:
            raise ValueError(f"{fn}: x must have a batch axis and at least one more, got "
                             f"shape {tuple(x.shape)}")
        size, want = math.prod(x.shape[1:]), math.prod(self.shape)
        if size != want:
            raise ValueError(f"{fn}: each example has {size} numbers (shape "
                             f"{tuple(x.shape[1:])}), cannot reshape to {self.shape} "
                             f"({want} numbers)")
        return x

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, ...)`` -> ``(N, *shape)``."""
        self.cache = tuple(x.shape)
        return B.namespace(x).reshape(x, (x.shape[0], *self.shape))

    def backward(self, dout: Any) -> Any:
        """``dout``: ``(N, *shape)`` -> ``dx``: the input's shape."""
        shape = self.saved
        return B.namespace(dout).reshape(dout, shape)

    def __repr__(self) -> str:
        return f"Reshape({self.shape})"
