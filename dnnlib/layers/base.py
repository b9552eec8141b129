"""The layer protocol: :class:`Parameter` and :class:`Layer` (chapters 1 and 5).

Every layer follows the same small protocol, as in CS231n's ``layers.py``:

* ``y = layer.forward(x)`` computes the output and keeps what the backward pass
  needs in ``layer.cache``;
* ``dx = layer.backward(dout)`` returns the gradient with respect to the input and
  **adds** the gradients of the parameters into ``param.grad`` (``+=``, as in
  PyTorch and micrograd), so ``zero_grad`` must be called between steps.
"""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import as_float_array

__all__ = ["Parameter", "Layer"]


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Parameters
    ----------
    data : array
        The value, on any backend.
    name : str
        A short name (``"W"``, ``"b"``, ``"gamma"``...) used in ``state_dict`` keys
        and error messages.

    Attributes
    ----------
    data : array
        The value; optimizers update it **in place**.
    grad : array
        Same shape, dtype and backend as ``data``; starts at zero.

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.zeros((2, 3)), "W")
    >>> p.shape, p.grad.shape
    ((2, 3), (2, 3))
    """

    __slots__ = ("data", "grad", "name")

    def __init__(self, data: Any, name: str = "param") -> None:
        xp = B.namespace(data, fn="Parameter")
        self.data = data
        self.grad = xp.zeros_like(data)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zero, in place."""
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter({self.name}, shape={self.shape}, dtype={B._dtype_name(self.dtype)})"


class Layer:
    """Base class: ``forward``/``backward`` with a cache, ``params``, train/eval mode.

    Subclasses implement :meth:`forward` and :meth:`backward`; those with
    parameters return them from :attr:`params`; those with non-trainable state
    (BatchNorm's running statistics) return it from :meth:`buffers`.
    """

    def __init__(self) -> None:
        self.training = True
        self.cache: Any = None

    # -- the protocol ------------------------------------------------------------
    def forward(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    @property
    def params(self) -> list[Parameter]:
        """The trainable parameters (empty for parameter-free layers)."""
        return []

    def buffers(self) -> dict[str, Any]:
        """Non-trainable state saved with the model (empty by default)."""
        return {}

    def load_buffers(self, buffers: dict[str, Any]) -> None:
        """Restore what :meth:`buffers` returned (arrays already on the right backend)."""
        if buffers:
            raise ValueError(f"{type(self).__name__}.load_buffers: this layer has no buffers, "
                             f"got {sorted(buffers)}")

    # -- modes -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Layer:
        """Training mode (dropout active, batch statistics); returns ``self``."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Evaluation mode (dropout off, running statistics); returns ``self``."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def _require_cache(self, fn: str) -> Any:
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.{fn}: call forward before backward")
        return self.cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_FLOAT_DTYPES = ("float32", "float64")


def _resolve_dtype(dtype: Any, fn: str) -> Any:
    """The float dtype object of the current backend (``None`` -> the default dtype)."""
    xp = B.xp()
    if dtype is None:
        return B.default_dtype(xp)
    if isinstance(dtype, bool):
        raise TypeError(f"{fn}: dtype must be 'float32' or 'float64', got {dtype!r}")
    name = B._dtype_name(dtype)
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"{fn}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return getattr(xp, name)


def _as_input(x: Any, like: Any, fn: str, ndim: tuple[int, ...] | None = None) -> tuple[Any, Any]:
    """Validate a floating input, check its backend against ``like`` and cast to its dtype.

    Returns ``(x, xp)``. Keras's rule: a float64 NumPy array fed to a float32 layer
    is cast to float32 (integers are refused: a TypeError names the dtype).
    """
    x = as_float_array(x, fn, "x", ndim=ndim)
    xp = B.namespace(x, like, fn=fn)
    if x.dtype != like.dtype:
        x = xp.astype(x, like.dtype)
    return x, xp


def _as_dout(dout: Any, like: Any, shape: tuple[int, ...], fn: str) -> Any:
    """Validate the upstream gradient: floating, same backend, expected shape, params' dtype."""
    dout = as_float_array(dout, fn, "dout")
    xp = B.namespace(dout, like, fn=fn)
    if tuple(dout.shape) != tuple(shape):
        raise ValueError(f"{fn}: dout must have shape {tuple(shape)} (the forward output), "
                         f"got {tuple(dout.shape)}")
    if dout.dtype != like.dtype:
        dout = xp.astype(dout, like.dtype)
    return dout
