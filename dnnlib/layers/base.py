"""The layer protocol: :class:`Parameter` and :class:`Layer` (chapters 1 and 5).

Every layer follows the same small protocol, as in CS231n's ``layers.py``:

* ``y = layer.forward(x)`` computes the output and keeps what the backward pass
  needs in ``layer.cache``;
* ``dx = layer.backward(dout)`` returns the gradient with respect to the input and
  **adds** the gradients of the parameters into ``param.grad`` (``+=``, as in
  PyTorch and micrograd; the library's layers write it
  ``param.accumulate_grad(g)``, which skips adding to zeros right after
  ``zero_grad``), so ``zero_grad`` must be called between steps.

Checked once, at the door (PyTorch's convention: call the object, read its
``forward``). ``layer(x)`` checks ``x`` with :meth:`Layer.check_input` (a float array
of the right shape, on the parameters' backend, cast to their dtype) and then runs
``forward``; a :class:`~dnnlib.model.Sequential` model checks its input once in its
own ``forward`` and ``backward``. The ``forward`` and ``backward`` of a single layer
are the math of the chapter and trust their input, so the training loop pays for no
check inside the network.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend as B
from .._validation import as_float_array

__all__ = ["Parameter", "Layer", "resolve_dtype", "init_weight", "INITS"]


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
        Same shape, dtype and backend as ``data``; starts at zero. Layers add into it
        (``p.grad += g``, or :meth:`accumulate_grad`); :meth:`zero_grad` resets it.

    Notes
    -----
    Zeroing is lazy, as PyTorch's ``zero_grad(set_to_none=True)``: :meth:`zero_grad`
    only records that the gradient is zero, and the next contribution given to
    :meth:`accumulate_grad` becomes the gradient as it is, instead of being added to an
    array of zeros that was written for nothing (the same numbers, two passes over
    the memory fewer: a few percent of a training step of the book's MLP, see
    ``benchmarks/RESULTS.md``). Reading ``grad`` in between gives the zeros, written
    then. As in PyTorch, an array taken from ``grad`` before ``zero_grad`` is not the
    gradient of later steps: read ``p.grad`` again (or copy it) after each backward.

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.zeros((2, 3)), "W")
    >>> p.shape, p.grad.shape
    ((2, 3), (2, 3))
    >>> p.accumulate_grad(np.ones((2, 3))); p.accumulate_grad(np.ones((2, 3)))
    >>> p.grad[0]
    array([2., 2., 2.])
    >>> p.zero_grad(); p.grad[0]
    array([0., 0., 0.])
    """

    __slots__ = ("data", "_grad", "_grad_is_zero", "name")

    def __init__(self, data: Any, name: str = "param") -> None:
        xp = B.namespace(data, fn="Parameter")
        self.data = data
        self._grad = xp.zeros_like(data)
        self._grad_is_zero = False  # True after zero_grad, until the gradient is read or given
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def grad(self) -> Any:
        """The accumulated gradient, like ``data`` (zeros after :meth:`zero_grad`)."""
        if self._grad_is_zero:  # zero_grad came first: write the zeros now
            self._grad[...] = 0
            self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value
        self._grad_is_zero = False

    def zero_grad(self) -> None:
        """Set the gradient to zero (lazily: see Notes)."""
        self._grad_is_zero = True

    def accumulate_grad(self, g: Any) -> None:
        """``grad += g``: add one contribution to the gradient (chapter 5's sum over uses).

        ``g`` must be a new array that the caller does not change afterwards, shaped
        like ``data``: right after :meth:`zero_grad` it becomes the gradient itself
        (no copy), as in PyTorch's ``AccumulateGrad``.
        """
        if tuple(g.shape) != tuple(self.data.shape):
            raise ValueError(f"Parameter.accumulate_grad: {self.name}'s gradient must have "
                             f"shape {self.shape}, got {tuple(g.shape)}")
        if self._grad_is_zero and g.dtype == self._grad.dtype and type(g) is type(self._grad):
            self.grad = g
        else:
            self.grad += g

    def __repr__(self) -> str:
        return f"Parameter({self.name}, shape={self.shape}, dtype={B.dtype_name(self.dtype)})"


class Layer:
    """Base class: ``forward``/``backward`` with a cache, ``params``, train/eval mode.

    Subclasses implement :meth:`forward` and :meth:`backward` (the math, unchecked);
    those with parameters return them from :attr:`params`; those with non-trainable
    state (BatchNorm's running statistics) return it from :meth:`buffers`; those
    with requirements on their input beyond "an array of floats" override
    :meth:`check_input`, which ``layer(x)`` runs before ``forward``.

    Attributes
    ----------
    training : bool
        Training mode (dropout active, batch statistics) or evaluation mode.
    cache : any
        What ``forward`` kept for ``backward`` (``None`` before the first forward).
    needs_input_grad : bool
        Whether ``backward`` must return ``dx``. A network's first layer needs no
        gradient for its input (the data): :func:`dnnlib.train.fit` sets this to
        ``False`` there, and layers with a costly ``dx`` (``Dense``) then skip it and
        return ``None``. Layers for which ``dx`` is free may ignore it.
    uses_batch_statistics : bool
        True for layers whose training-mode output depends on the whole batch
        (BatchNorm): they need at least two rows per batch, which ``fit`` checks.
    """

    needs_input_grad: bool = True
    uses_batch_statistics: bool = False

    def __init__(self) -> None:
        self.training = True
        self.cache: Any = None

    # -- the protocol ------------------------------------------------------------

    def forward(self, x: Any) -> Any:  # pragma: no cover - abstract
        """The output for the input ``x`` (already checked), keeping in :attr:`cache`
        what :meth:`backward` needs. Subclasses implement it; call ``layer(x)``."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout: Any) -> Any:  # pragma: no cover - abstract
        """``dx`` for the upstream gradient ``dout``; **adds** the parameters' gradients
        into their ``.grad``. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, x: Any) -> Any:
        """``layer(x)``: :meth:`check_input`, then :meth:`forward`."""
        return self.forward(self.check_input(x))

    def check_input(self, x: Any) -> Any:
        """``x`` as a floating array on the parameters' backend and dtype, or a clear error.

        The door of :meth:`__call__` (and of ``Sequential.forward``): lists become
        arrays, a float64 array meets a float32 layer as float32 (Keras's rule),
        integers and arrays of another backend are refused. Layers with shape
        requirements extend it.
        """
        fn = f"{type(self).__name__}.forward"
        x = as_float_array(x, fn, "x")
        params = self.params
        if params:
            like = params[0].data
            xp = B.namespace(x, like, fn=fn)
            if x.dtype != like.dtype:
                x = xp.astype(x, like.dtype)
        return x

    @property
    def saved(self) -> Any:
        """What ``forward`` kept for ``backward`` (:attr:`cache`).

        Raises a clear ``RuntimeError`` when ``backward`` comes before any ``forward``.
        """
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward before backward")
        return self.cache

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_FLOAT_DTYPES = ("float32", "float64")


def resolve_dtype(dtype: Any, fn: str) -> Any:
    """The float dtype object of the current backend for a layer's ``dtype=`` argument.

    ``None`` means :func:`dnnlib.get_default_dtype`; otherwise ``"float32"`` or
    ``"float64"`` (a string, a NumPy dtype or type), else ``TypeError``/``ValueError``
    naming ``fn``.
    """
    xp = B.xp()
    if dtype is None:
        return B.default_dtype(xp)
    if isinstance(dtype, bool):
        raise TypeError(f"{fn}: dtype must be 'float32' or 'float64', got {dtype!r}")
    name = B.dtype_name(dtype)
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"{fn}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return getattr(xp, name)


#: The weight initialisations of Dense and the convolutions (chapter 2).
INITS = ("he", "he_uniform", "glorot", "glorot_uniform", "zeros")


def init_weight(shape: tuple[int, ...], init: Any, fan_in: int, fan_out: int, rng: Any,
                dtype: Any, fn: str) -> Any:
    """A weight array of ``shape`` drawn by the scheme ``init`` (one of :data:`INITS`).

    He: standard deviation :math:`\\sqrt{2/\text{fan\\_in}}` (uniform: limit
    :math:`\\sqrt{6/\text{fan\\_in}}`); Glorot: :math:`\\sqrt{2/(\text{fan\\_in} +
    \text{fan\\_out})}` (uniform: :math:`\\sqrt{6/(\text{fan\\_in} + \text{fan\\_out})}`).
    The uniform variants are drawn on the host, so every backend gets the same numbers.
    ``dtype`` is a resolved dtype (:func:`resolve_dtype`); errors name ``fn``.
    """
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"{fn}: init must be one of {INITS}, got {init!r}")
    xp = B.xp()
    g = B.as_generator(rng, fn=fn)
    if init == "zeros":
        return xp.zeros(shape, dtype=dtype)
    if init in ("he", "glorot"):
        std = math.sqrt(2.0 / fan_in) if init == "he" else math.sqrt(2.0 / (fan_in + fan_out))
        return B.random_normal(g, shape, dtype, xp, std=std)
    limit = math.sqrt(6.0 / fan_in) if init == "he_uniform" else math.sqrt(6.0 / (fan_in + fan_out))
    return xp.asarray(g.uniform(-limit, limit, shape).astype(B.dtype_name(dtype)))

