"""Layers: forward and backward passes with an explicit cache (chapters 1, 2, 5, 7, 8).

Every layer follows the same small protocol, as in CS231n's ``layers.py``:

* ``y = layer.forward(x)`` computes the output and keeps what the backward pass
  needs in ``layer.cache``;
* ``dx = layer.backward(dout)`` returns the gradient with respect to the input and
  **adds** the gradients of the parameters into ``param.grad`` (``+=``, as in
  PyTorch and micrograd), so ``zero_grad`` must be called between steps.

Shapes: ``N`` batch, ``D`` input features, ``H`` output features.
"""

from __future__ import annotations

import math
from typing import Any

from . import backend as B
from . import functional as F
from ._validation import as_float_array, check_float, check_int

__all__ = [
    "Parameter",
    "Layer",
    "Dense",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "LeakyReLU",
    "Dropout",
    "BatchNorm1d",
]


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


# --------------------------------------------------------------------------- helpers
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


# --------------------------------------------------------------------------- Dense
_INITS = ("he", "he_uniform", "glorot", "glorot_uniform", "zeros")


class Dense(Layer):
    r"""Fully connected (affine) layer: ``z = x @ W + b``.

    Parameters
    ----------
    in_features : int
        ``D``, the number of input features (>= 1).
    out_features : int
        ``H``, the number of output units (>= 1).
    bias : bool, default True
        Whether to learn the bias ``b``.
    init : {"he", "he_uniform", "glorot", "glorot_uniform", "zeros"}, default "he"
        Weight initialisation: He normal (std :math:`\sqrt{2/D}`), He uniform
        (limit :math:`\sqrt{6/D}`), Glorot normal (std :math:`\sqrt{2/(D+H)}`),
        Glorot uniform (limit :math:`\sqrt{6/(D+H)}`) or zeros. The bias starts at zero.
    rng : numpy.random.Generator, int or None
        Source of the initial weights. They are drawn on the host, so one seed
        gives the same weights on every backend.
    dtype : {"float32", "float64"} or None
        Parameter dtype; ``None`` means :func:`dnnlib.get_default_dtype`.

    Attributes
    ----------
    W : Parameter
        Weights, shape ``(D, H)``.
    b : Parameter or None
        Bias, shape ``(H,)``.

    Notes
    -----
    Chapter 1 writes one neuron layer as :math:`z = W^\top x + b` for one example
    :math:`x \in \mathbb{R}^D`; stacking the examples of a batch as rows of
    :math:`X \in \mathbb{R}^{N \times D}` gives the row form used here,

    .. math:: Z = X W + \mathbf{1} b^\top .

    Chapter 5 derives the backward pass from the upstream gradient
    :math:`\partial L / \partial Z` (``dout``, shape ``(N, H)``):

    .. math::
        \frac{\partial L}{\partial W} = X^\top\, \text{dout}, \quad
        \frac{\partial L}{\partial b} = \sum_n \text{dout}_n, \quad
        \frac{\partial L}{\partial X} = \text{dout}\, W^\top .

    ``x`` of shape ``(D,)`` (a single example) gives ``z`` of shape ``(H,)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(2, 3, rng=0)
    >>> layer
    Dense(in_features=2, out_features=3)
    >>> layer(np.ones((4, 2), dtype=np.float32)).shape
    (4, 3)
    >>> layer.backward(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    >>> layer.W.grad.shape, layer.b.grad.shape
    ((2, 3), (3,))
    """

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True,
                 init: str = "he", rng: Any = None, dtype: Any = None) -> None:
        super().__init__()
        fn = "Dense"
        self.in_features = check_int(in_features, fn, "in_features", minimum=1)
        self.out_features = check_int(out_features, fn, "out_features", minimum=1)
        if not isinstance(init, str) or init not in _INITS:
            raise ValueError(f"{fn}: init must be one of {_INITS}, got {init!r}")
        if not isinstance(bias, bool):
            raise TypeError(f"{fn}: bias must be a bool, got {type(bias).__name__}")
        self.init = init
        dt = _resolve_dtype(dtype, fn)
        xp = B.xp()
        g = B.as_generator(rng, fn=fn)
        D, H = self.in_features, self.out_features
        shape = (D, H)
        if init == "zeros":
            W = xp.zeros(shape, dtype=dt)
        elif init in ("he", "glorot"):
            std = math.sqrt(2.0 / D) if init == "he" else math.sqrt(2.0 / (D + H))
            W = B.random_normal(g, shape, dt, xp, std=std)
        else:  # uniform variants, drawn on the host so every backend gets the same numbers
            limit = math.sqrt(6.0 / D) if init == "he_uniform" else math.sqrt(6.0 / (D + H))
            W = xp.asarray(g.uniform(-limit, limit, shape).astype(B._dtype_name(dt)))
        self.W = Parameter(W, "W")
        self.b = Parameter(xp.zeros((H,), dtype=dt), "b") if bias else None

    @property
    def params(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    @property
    def dtype(self) -> Any:
        """The parameters' dtype (inputs are cast to it)."""
        return self.W.data.dtype

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, D)`` or ``(D,)`` -> ``z``: ``(N, H)`` or ``(H,)``."""
        fn = "Dense.forward"
        x, xp = _as_input(x, self.W.data, fn, ndim=(1, 2))
        if x.shape[-1] != self.in_features:
            raise ValueError(f"{fn}: x has {x.shape[-1]} features, expected {self.in_features}")
        z = x @ self.W.data
        if self.b is not None:
            z += self.b.data  # z is a fresh array: add in place, no second allocation
        self.cache = x
        return z

    def backward(self, dout: Any, *, need_dx: bool = True) -> Any:
        """``dout``: like ``z`` -> ``dx``: like ``x``; adds ``dW``, ``db`` into the grads.

        ``need_dx=False`` skips ``dx = dout @ W.T`` and returns None: the first layer of a
        network needs no gradient for its input (the data), and that product is a quarter
        of an MLP step's arithmetic. :meth:`Sequential.backward` uses it when asked.
        """
        fn = "Dense.backward"
        x = self._require_cache(fn)
        H = self.out_features
        shape = (H,) if x.ndim == 1 else (x.shape[0], H)
        dout = _as_dout(dout, self.W.data, shape, fn)
        xp = B.namespace(dout, fn=fn)
        if x.ndim == 1 or x.shape[0] == 1:
            # One example: dW = x dout^T is an outer product, written as a broadcast
            # product (D, 1) * (1, H). NumPy's matmul leaves BLAS when the inner
            # dimension is 1: x.T @ dout would be ~3x slower here.
            d1 = xp.reshape(dout, (1, -1))
            self.W.grad += xp.reshape(x, (-1, 1)) * d1
            if self.b is not None:
                self.b.grad += xp.reshape(d1, (-1,))
        else:
            self.W.grad += x.T @ dout
            if self.b is not None:
                self.b.grad += xp.sum(dout, axis=0)
        return dout @ self.W.data.T if need_dx else None

    def __repr__(self) -> str:
        extra = "" if self.b is not None else ", bias=False"
        return f"Dense(in_features={self.in_features}, out_features={self.out_features}{extra})"


# --------------------------------------------------------------------------- activations
class _Activation(Layer):
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


class ReLU(_Activation):
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


class Sigmoid(_Activation):
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


class Tanh(_Activation):
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


class LeakyReLU(_Activation):
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


# --------------------------------------------------------------------------- Dropout
class Dropout(Layer):
    r"""Inverted dropout: zero each input with probability ``p`` while training.

    Parameters
    ----------
    p : float, default 0.5
        Drop probability, in ``[0, 1)`` (PyTorch's convention). ``p=0`` is the identity.
    rng : numpy.random.Generator, int or None
        Source of the masks; kept at ``self.rng`` (a Generator), so a gradient check
        can restore its state and replay the same mask.

    Notes
    -----
    Chapter 7 (Srivastava et al., 2014). In training, with
    :math:`m_i \sim \mathrm{Bernoulli}(1 - p)`,

    .. math:: y = \frac{m \odot x}{1 - p}, \qquad
              \frac{\partial L}{\partial x} = \frac{m \odot \text{dout}}{1 - p},

    so :math:`\mathbb{E}[y] = x` and evaluation needs no rescaling: in eval mode
    :math:`y = x`. ``self.cache`` holds the scaled mask :math:`m / (1 - p)` (same shape
    and dtype as ``x``), or ``1.0`` after an eval-mode forward. Shapes: any.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(p=0.5, rng=0)
    >>> y = drop(np.ones((2, 4)))
    >>> sorted(set(y.ravel().tolist()))   # kept entries are scaled by 1/(1-p)
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng: Any = None) -> None:
        super().__init__()
        self.p = check_float(p, "Dropout", "p", low=0.0, high=1.0, high_open=True)
        self.rng = B.as_generator(rng, fn="Dropout")

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> same shape and dtype."""
        fn = "Dropout.forward"
        x = as_float_array(x, fn, "x")
        xp = B.namespace(x, fn=fn)
        if not self.training or self.p == 0.0:
            self.cache = 1.0
            return x
        u = B.random_uniform(self.rng, tuple(x.shape), x.dtype, xp)
        mask = xp.astype(u >= self.p, x.dtype) / (1.0 - self.p)
        self.cache = mask
        return x * mask

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * mask``."""
        fn = "Dropout.backward"
        mask = self._require_cache(fn)
        dout = as_float_array(dout, fn, "dout")
        if B.is_array(mask):
            B.namespace(dout, mask, fn=fn)
            if tuple(dout.shape) != tuple(mask.shape):
                raise ValueError(f"{fn}: dout must have shape {tuple(mask.shape)} (the forward "
                                 f"output), got {tuple(dout.shape)}")
            return dout * mask
        return dout

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


# --------------------------------------------------------------------------- BatchNorm1d
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
