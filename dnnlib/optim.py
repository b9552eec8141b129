"""Optimizers and learning-rate schedules (chapters 4 and 6).

An optimizer holds a list of :class:`~dnnlib.layers.Parameter` objects and, at each
:meth:`~Optimizer.step`, moves every ``p.data`` against its accumulated ``p.grad``:

* :class:`SGD` - gradient descent with momentum, Nesterov momentum and weight decay;
* :class:`RMSProp` - a running average of squared gradients rescales each coordinate;
* :class:`Adam` - momentum plus RMSProp plus bias correction (Kingma & Ba, 2015);
* :class:`AdamW` - Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

The formulas are PyTorch's (``torch.optim``), line for line, and the tests check the
two agree to 1e-10 in float64. Updates happen **in place** on ``p.data``; the state
(momentum buffers, moment estimates) is preallocated once, and every step reuses two
scratch arrays per parameter shape, so a step allocates no parameter-sized temporary
(a plain ``p.data = p.data - lr * m / (sqrt(v) + eps)`` allocates five; in float64 that
alone makes an Adam step several times slower, from the allocator's page faults).

A schedule is a small callable object: ``schedule(t) -> lr`` for the step number
``t = 0, 1, 2, ...`` (:class:`Constant`, :class:`StepLR`, :class:`Exponential`,
:class:`CosineAnnealing`, and :class:`LinearWarmup` which wraps any of them).
:func:`lr_find` is the learning-rate range test of chapter 4.

Examples
--------
>>> import numpy as np
>>> from dnnlib.layers import Parameter
>>> w = Parameter(np.array([1.0, -2.0]), "w")
>>> opt = SGD([w], lr=0.1)
>>> w.grad[...] = np.array([1.0, 1.0])
>>> opt.step()
>>> w.data
array([ 0.9, -2.1])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import backend as B
from ._validation import check_float, check_int

__all__ = [
    "Optimizer",
    "SGD",
    "RMSProp",
    "RMSprop",
    "Adam",
    "AdamW",
    "Schedule",
    "Constant",
    "StepLR",
    "Exponential",
    "CosineAnnealing",
    "LinearWarmup",
    "lr_find",
    "LRFindResult",
    "clip_grad_norm",
]


# --------------------------------------------------------------------------- in-place kernels
# The array API has in-place ``+=``, ``-=``, ``*=``, ``/=`` and ``x[...] = y`` (a copy into
# existing memory), which covers almost every update without a temporary. Two operations
# have no in-place form in the standard: a square root and a division whose result must
# land in the *divisor's* memory. For NumPy arrays these two use ``out=`` (the fast path,
# chosen by ``isinstance(x, np.ndarray)``); other namespaces (CuPy, array-api-strict) take
# the generic path, which computes the same value with one temporary and copies it in.
# Both paths perform the same floating-point operations, so they agree bit for bit
# (tested). Set ``_NUMPY_FAST_PATH = False`` to force the generic path.
_NUMPY_FAST_PATH = True


def _sqrt_into(x: Any, out: Any, xp: Any) -> None:
    """``out[...] = sqrt(x)``."""
    if _NUMPY_FAST_PATH and isinstance(out, np.ndarray) and isinstance(x, np.ndarray):
        np.sqrt(x, out=out)
    else:
        out[...] = xp.sqrt(x)


def _div_into(a: Any, b: Any, out: Any, xp: Any) -> None:
    """``out[...] = a / b`` (``out`` may be ``b``)."""
    if _NUMPY_FAST_PATH and isinstance(out, np.ndarray) and isinstance(a, np.ndarray):
        np.divide(a, b, out=out)
    else:
        out[...] = a / b


def _mul_into(a: Any, b: Any, out: Any) -> None:
    """``out[...] = a * b`` in one pass on NumPy (``out=``), two elsewhere."""
    if _NUMPY_FAST_PATH and isinstance(out, np.ndarray) and isinstance(a, np.ndarray):
        np.multiply(a, b, out=out)
    else:
        out[...] = a
        out *= b


def _sub_into(a: Any, b: Any, out: Any) -> None:
    """``out[...] = a - b`` in one pass on NumPy (``out=``), two elsewhere."""
    if _NUMPY_FAST_PATH and isinstance(out, np.ndarray) and isinstance(a, np.ndarray):
        np.subtract(a, b, out=out)
    else:
        out[...] = a
        out -= b


def _axpy_into(y: Any, alpha: float, x: Any, tmp: Any) -> None:
    """``y += alpha * x`` through the scratch array ``tmp`` (no allocation)."""
    _mul_into(x, alpha, tmp)
    y += tmp


# --------------------------------------------------------------------------- base class
class Optimizer:
    """Base class: a list of parameters, ``step``, ``zero_grad`` and a state dict.

    Subclasses define ``_hyper`` (hyperparameter names), ``_buffers`` (per-parameter
    state names) and ``_update(i, p, xp)`` (the update of one parameter).

    Attributes
    ----------
    params : list of Parameter
        The parameters updated, in order (state dict keys use this index).
    lr : float
        The learning rate; settable (schedules assign it before each step).
    step_count : int
        Number of :meth:`step` calls so far (``t`` in Adam's bias correction).
    """

    _hyper: tuple[str, ...] = ()
    _buffers: tuple[str, ...] = ()

    def __init__(self, params: Any, lr: float) -> None:
        name = type(self).__name__
        self.params = self._check_params(params, name)
        self._lr = check_float(lr, name, "lr", low=0.0, low_open=True)
        self.step_count = 0
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self._scratch: dict[tuple, list[Any]] = {}

    # -- construction helpers ---------------------------------------------------
    @staticmethod
    def _check_params(params: Any, name: str) -> list[Any]:
        if hasattr(params, "params") and not isinstance(params, (list, tuple)):
            params = params.params  # a model or a layer: take its parameters
        if B.is_array(params) or isinstance(params, (str, bytes)):
            raise TypeError(f"{name}: params must be an iterable of Parameter, got an array")
        if not isinstance(params, Iterable):
            raise TypeError(f"{name}: params must be an iterable of Parameter, "
                            f"got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{name}: params must not be empty (got an empty list)")
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"{name}: params[{i}] must be a Parameter (with .data and "
                                f".grad), got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"{name}: params[{i}] ({p!r}) appears twice")
            seen.add(id(p))
        B.namespace(*[p.data for p in params], fn=name)  # one backend for all
        return params

    def _zeros_state(self, *names: str) -> None:
        for p, st in zip(self.params, self.state, strict=True):
            xp = B.namespace(p.data, fn=type(self).__name__)
            for n in names:
                st[n] = xp.zeros_like(p.data)

    def _tmp(self, p: Any, xp: Any) -> tuple[Any, Any]:
        """Two scratch arrays shaped like ``p.data``, shared by parameters of that shape."""
        # The dtype object itself, not str(dtype): str costs ~10 us a call (a hot path).
        key = (type(p.data), tuple(p.data.shape), p.data.dtype)
        pair = self._scratch.get(key)
        if pair is None:
            pair = [xp.empty_like(p.data), xp.empty_like(p.data)]
            self._scratch[key] = pair
        return pair[0], pair[1]

    # -- the learning rate --------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate used by the next :meth:`step` (a float >= 0)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        # 0 is allowed here (a cosine schedule ends there), not at construction.
        self._lr = check_float(value, f"{type(self).__name__}.lr", "lr", low=0.0)

    # -- the protocol -------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for p in self.params:
            p.grad[...] = 0

    def step(self) -> None:
        """Apply one update to every parameter, in place, from its ``.grad``."""
        self.step_count += 1
        for i, p in enumerate(self.params):
            xp = B.namespace(p.data, p.grad, fn=f"{type(self).__name__}.step")
            self._update(i, p, xp)

    def _update(self, i: int, p: Any, xp: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _decayed_grad(self, p: Any, wd: float, tmp: Any) -> Any:
        """``g + wd * p`` (L2 weight decay as PyTorch adds it), or ``g`` itself if wd = 0."""
        if wd == 0:
            return p.grad
        tmp[...] = p.data
        tmp *= wd
        tmp += p.grad
        return tmp

    # -- state ----------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters as a dict of Python numbers (``betas`` as a tuple)."""
        return {"lr": self.lr, **{k: getattr(self, k) for k in self._hyper}}

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer: hyperparameters, step count and buffers.

        Returns
        -------
        dict
            String keys: ``"type"`` (the class name), each hyperparameter (``"lr"``,
            ``"momentum"``, ``"betas"``...), ``"step_count"``, and one array per state
            buffer, keyed ``"state.{i}.{buffer}"`` for parameter ``i`` (copies, on the
            parameters' backend). Scalars are Python numbers, so ``dnnlib.save`` can
            store the dict in an ``.npz`` file without pickle.
        """
        sd: dict[str, Any] = {"type": type(self).__name__, **self.hyperparameters(),
                              "step_count": self.step_count}
        for i, st in enumerate(self.state):
            for n, buf in st.items():
                xp = B.namespace(buf)
                sd[f"state.{i}.{n}"] = xp.asarray(buf, copy=True)
        return sd

    def _buffer_names(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        """The per-parameter buffers these hyperparameters need."""
        return self._buffers

    def _check_state_dict(self, sd: dict[str, Any]) -> dict[str, Any]:
        """Validate ``sd`` against this optimizer without changing anything."""
        fn = f"{type(self).__name__}.load_state_dict"
        if not isinstance(sd, dict):
            raise TypeError(f"{fn}: state_dict must be a dict, got {type(sd).__name__}")
        kind = sd.get("type")
        if kind is not None and str(np.asarray(kind)) != type(self).__name__:
            raise ValueError(f"{fn}: the state dict is for {np.asarray(kind)}, "
                             f"not {type(self).__name__}")
        hyper = {}
        for k in ("lr", *self._hyper, "step_count"):
            if k not in sd:
                raise ValueError(f"{fn}: the state dict lacks {k!r}")
            v = np.asarray(B.to_numpy(sd[k]) if B.is_array(sd[k]) else sd[k])
            hyper[k] = tuple(v.tolist()) if v.ndim else v.item()
        names = self._buffer_names(hyper)
        expected = {f"state.{i}.{n}" for i in range(len(self.params)) for n in names}
        given = {k for k in sd if k.startswith("state.")}
        missing, extra = sorted(expected - given), sorted(given - expected)
        if missing or extra:
            raise ValueError(f"{fn}: state keys do not match this optimizer's "
                             f"{len(self.params)} parameters: missing {missing}, "
                             f"unexpected {extra}")
        for i, p in enumerate(self.params):
            for n in names:
                shape = tuple(sd[f"state.{i}.{n}"].shape)
                if shape != tuple(p.data.shape):
                    raise ValueError(f"{fn}: state.{i}.{n} has shape {shape}, expected "
                                     f"{tuple(p.data.shape)} (the shape of parameter {i})")
        return hyper

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (NumPy arrays or backend arrays).

        Everything is checked first (type, keys, shapes), so a mismatch raises
        ``ValueError`` and leaves the optimizer unchanged. Hyperparameters, the step
        count and the buffers are restored; buffers are copied into preallocated arrays
        (moved to the parameters' backend, cast to their dtype).
        """
        hyper = self._check_state_dict(state_dict)
        names = self._buffer_names(hyper)
        for i, p in enumerate(self.params):
            st = self.state[i]
            for n in list(st):
                if n not in names:
                    del st[n]
            for n in names:
                if n not in st:
                    st[n] = B.namespace(p.data).zeros_like(p.data)
                buf, src = st[n], state_dict[f"state.{i}.{n}"]
                if B._backend_of(src) != B._backend_of(buf):
                    src = B.asarray(B.to_numpy(src), like=buf)
                buf[...] = B.namespace(buf).astype(src, buf.dtype)
        self.lr = hyper.pop("lr")
        self.step_count = int(hyper.pop("step_count"))
        for k, v in hyper.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} params, {hp})"


# --------------------------------------------------------------------------- SGD
class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

    Parameters
    ----------
    params : iterable of Parameter (or a model with ``.params``)
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 is plain SGD.
    dampening : float
        :math:`\tau \in [0, 1]`, scales the new gradient in the momentum buffer.
    nesterov : bool
        Nesterov's look-ahead form (needs ``momentum > 0`` and ``dampening = 0``).
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.

    Notes
    -----
    With :math:`g_t = \nabla L(\theta_{t-1}) + \lambda\theta_{t-1}` (PyTorch's form,
    Chapter 6):

    .. math::

        b_1 = g_1,\quad b_t = \mu b_{t-1} + (1-\tau) g_t,\qquad
        d_t = \begin{cases} g_t + \mu b_t & \text{Nesterov}\\ b_t & \text{otherwise}
        \end{cases},\qquad \theta_t = \theta_{t-1} - \eta\, d_t .

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> w = Parameter(np.array([1.0]), "w")
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad[...] = 1.0
    ...     opt.step()
    >>> w.data  # 1 - 0.5*1 - 0.5*(0.9 + 1)
    array([-0.45])
    """

    _hyper = ("momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = check_float(momentum, "SGD", "momentum", low=0.0, high=1.0,
                                    high_open=True)
        self.dampening = check_float(dampening, "SGD", "dampening", low=0.0, high=1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be a bool, got {type(nesterov).__name__}")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.weight_decay = check_float(weight_decay, "SGD", "weight_decay", low=0.0)
        self._zeros_state(*self._buffer_names(self.hyperparameters()))

    def _buffer_names(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if hyper["momentum"] > 0 else ()

    def _update(self, i: int, p: Any, xp: Any) -> None:
        t0, t1 = self._tmp(p, xp)
        d = self._decayed_grad(p, self.weight_decay, t0)            # g_t (+ lambda theta)
        if self.momentum > 0:
            buf = self.state[i]["momentum_buffer"]
            if self.step_count == 1:
                buf[...] = d                                        # b_1 = g_1
            else:
                buf *= self.momentum                                # b_t = mu b + (1-tau) g
                if self.dampening == 0:
                    buf += d
                else:
                    _axpy_into(buf, 1.0 - self.dampening, d, t1)
            if self.nesterov:                                       # d = g + mu b
                if d is not t0:
                    t0[...] = d
                _axpy_into(t0, self.momentum, buf, t1)
                d = t0
            else:
                d = buf
        _axpy_into(p.data, -self.lr, d, t1)                         # theta -= lr d


# --------------------------------------------------------------------------- RMSProp
class RMSProp(Optimizer):
    r"""RMSProp: divide each coordinate's step by a running RMS of its gradients.

    Parameters
    ----------
    params : iterable of Parameter (or a model with ``.params``)
    lr : float
        Learning rate :math:`\eta > 0`.
    alpha : float
        Smoothing constant :math:`\alpha \in [0, 1)` of the squared-gradient average.
    eps : float
        :math:`\epsilon \ge 0`, added to the root (PyTorch's placement).
    momentum : float
        :math:`\mu \in [0, 1)`; 0 applies the rescaled gradient directly.
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.

    Notes
    -----
    PyTorch's ``RMSprop`` (Chapter 6), with :math:`g_t` including weight decay:

    .. math::

        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
        b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon},\qquad
        \theta_t = \theta_{t-1} - \eta\, b_t ,

    with :math:`v_0 = b_0 = 0` (for :math:`\mu = 0`, :math:`b_t` is the fraction itself).

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> w = Parameter(np.array([1.0]), "w")
    >>> opt = RMSProp([w], lr=0.01, alpha=0.0, eps=0.0)
    >>> w.grad[...] = 5.0
    >>> opt.step(); w.data  # the step is lr * sign(g) when alpha = 0
    array([0.99])
    """

    _hyper = ("alpha", "eps", "momentum", "weight_decay")

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.alpha = check_float(alpha, "RMSProp", "alpha", low=0.0, high=1.0, high_open=True)
        self.eps = check_float(eps, "RMSProp", "eps", low=0.0)
        self.momentum = check_float(momentum, "RMSProp", "momentum", low=0.0, high=1.0,
                                    high_open=True)
        self.weight_decay = check_float(weight_decay, "RMSProp", "weight_decay", low=0.0)
        self._zeros_state(*self._buffer_names(self.hyperparameters()))

    def _buffer_names(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        return ("square_avg", "momentum_buffer") if hyper["momentum"] > 0 else ("square_avg",)

    def _update(self, i: int, p: Any, xp: Any) -> None:
        st = self.state[i]
        t0, t1 = self._tmp(p, xp)
        g = self._decayed_grad(p, self.weight_decay, t0)
        v = st["square_avg"]
        v *= self.alpha                                             # v = alpha v + (1-alpha) g^2
        _mul_into(g, g, t1)
        t1 *= 1.0 - self.alpha
        v += t1
        _sqrt_into(v, t1, xp)                                       # sqrt(v) + eps
        t1 += self.eps
        _div_into(g, t1, t1, xp)                                    # g / (sqrt(v) + eps)
        if self.momentum > 0:
            buf = st["momentum_buffer"]
            buf *= self.momentum
            buf += t1
            t1[...] = buf
        t1 *= self.lr
        p.data -= t1


RMSprop = RMSProp  # PyTorch's spelling


# --------------------------------------------------------------------------- Adam
class Adam(Optimizer):
    r"""Adam: momentum and RMSProp with bias correction (Kingma & Ba, 2015).

    Parameters
    ----------
    params : iterable of Parameter (or a model with ``.params``)
    lr : float
        Learning rate :math:`\eta > 0`.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon \ge 0`, added to the bias-corrected root.
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0` added to the gradient (for the decoupled
        form use :class:`AdamW`).

    Notes
    -----
    PyTorch's ``Adam`` (Chapter 6), with :math:`m_0 = v_0 = 0` and :math:`g_t` including
    weight decay:

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
        \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon} .

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> w = Parameter(np.array([1.0, 1.0]), "w")
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad[...] = np.array([3.0, -0.01])
    >>> opt.step(); np.round(w.data, 6)  # the first step is about lr * sign(g)
    array([0.9, 1.1])
    """

    _hyper = ("betas", "eps", "weight_decay")
    _buffers = ("exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Iterable):
            raise TypeError(f"{name}: betas must be a pair of floats, got {betas!r}")
        betas = tuple(betas)
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair of floats, got {len(betas)} values")
        self.betas = (
            check_float(betas[0], name, "betas[0]", low=0.0, high=1.0, high_open=True),
            check_float(betas[1], name, "betas[1]", low=0.0, high=1.0, high_open=True),
        )
        self.eps = check_float(eps, name, "eps", low=0.0)
        self.weight_decay = check_float(weight_decay, name, "weight_decay", low=0.0)
        self._zeros_state(*self._buffers)

    def _update(self, i: int, p: Any, xp: Any) -> None:
        st = self.state[i]
        b1, b2 = self.betas
        t = self.step_count
        t0, t1 = self._tmp(p, xp)
        if self._decoupled:
            p.data *= 1.0 - self.lr * self.weight_decay             # AdamW: theta *= 1 - lr wd
            g = p.grad
        else:
            g = self._decayed_grad(p, self.weight_decay, t0)        # Adam: g + wd theta
        m, v = st["exp_avg"], st["exp_avg_sq"]
        _sub_into(g, m, t1)                                         # m += (1-b1)(g - m)
        t1 *= 1.0 - b1
        m += t1
        v *= b2                                                     # v = b2 v + (1-b2) g^2
        _mul_into(g, g, t1)
        t1 *= 1.0 - b2
        v += t1
        step_size = self.lr / (1.0 - b1**t)
        _sqrt_into(v, t1, xp)                                       # sqrt(v)/sqrt(1-b2^t) + eps
        t1 /= math.sqrt(1.0 - b2**t)
        t1 += self.eps
        _div_into(m, t1, t1, xp)                                    # m / denom
        t1 *= step_size
        p.data -= t1


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Same parameters as :class:`Adam`, but ``weight_decay`` (default 0.01) shrinks the
    weights directly instead of entering the gradient.

    Notes
    -----
    Before the Adam update of Chapter 6, :math:`\theta \leftarrow (1 - \eta\lambda)\theta`;
    the moments see the raw gradient :math:`g_t = \nabla L`.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> w = Parameter(np.array([1.0]), "w")
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step(); w.data  # zero gradient: only the decay acts, 1 * (1 - 0.1*0.5)
    array([0.95])
    """

    _decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


# --------------------------------------------------------------------------- schedules
def _check_step(t: Any, fn: str) -> int:
    return check_int(t, fn, "step", minimum=0)


class Schedule:
    """Base class: ``schedule(t)`` is the learning rate for step ``t`` (0-based)."""

    def __call__(self, t: int) -> float:
        return self.lr_at(_check_step(t, type(self).__name__))

    def lr_at(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    r"""A constant learning rate, :math:`\eta_t = \eta`.

    Examples
    --------
    >>> Constant(0.1)(0), Constant(0.1)(1000)
    (0.1, 0.1)
    """

    def __init__(self, lr: float) -> None:
        self.lr = check_float(lr, "Constant", "lr", low=0.0, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr


class StepLR(Schedule):
    r"""Multiply the rate by ``gamma`` every ``step_size`` steps.

    Notes
    -----
    :math:`\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}` (Chapter 4); PyTorch's ``StepLR``.

    Examples
    --------
    >>> s = StepLR(1.0, step_size=10, gamma=0.5)
    >>> s(0), s(9), s(10), s(25)
    (1.0, 1.0, 0.5, 0.25)
    """

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr = check_float(lr, "StepLR", "lr", low=0.0, low_open=True)
        self.step_size = check_int(step_size, "StepLR", "step_size", minimum=1)
        self.gamma = check_float(gamma, "StepLR", "gamma", low=0.0, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)


class Exponential(Schedule):
    r"""Multiply the rate by ``gamma`` every step.

    Notes
    -----
    :math:`\eta_t = \eta\,\gamma^{t}` (Chapter 4); PyTorch's ``ExponentialLR``.

    Examples
    --------
    >>> Exponential(1.0, gamma=0.5)(3)
    0.125
    """

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = check_float(lr, "Exponential", "lr", low=0.0, low_open=True)
        self.gamma = check_float(gamma, "Exponential", "gamma", low=0.0, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr * self.gamma**t


class CosineAnnealing(Schedule):
    r"""Half a cosine from ``lr`` down to ``eta_min`` over ``T_max`` steps, then flat.

    Notes
    -----
    For :math:`t \le T` (Chapter 4; PyTorch's ``CosineAnnealingLR``):

    .. math:: \eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi t / T)),

    and :math:`\eta_t = \eta_{\min}` for :math:`t > T` (PyTorch's would rise again).

    Examples
    --------
    >>> s = CosineAnnealing(1.0, T_max=10)
    >>> s(0), s(5), s(10), s(50)
    (1.0, 0.5, 0.0, 0.0)
    """

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0) -> None:
        self.lr = check_float(lr, "CosineAnnealing", "lr", low=0.0, low_open=True)
        self.T_max = check_int(T_max, "CosineAnnealing", "T_max", minimum=1)
        self.eta_min = check_float(eta_min, "CosineAnnealing", "eta_min", low=0.0, high=self.lr)

    def lr_at(self, t: int) -> float:
        if t >= self.T_max:
            return self.eta_min
        cos = math.cos(math.pi * t / self.T_max)
        return self.eta_min + (self.lr - self.eta_min) * (1 + cos) / 2


class LinearWarmup(Schedule):
    r"""Ramp the rate of another schedule linearly up over ``warmup_steps``.

    Parameters
    ----------
    schedule : Schedule, callable or float
        The schedule to warm up (a float means :class:`Constant`).
    warmup_steps : int
        :math:`W \ge 1` steps of warm-up.
    start_factor : float
        :math:`f_0 \in (0, 1]`: the first step uses ``start_factor * schedule(0)``.

    Notes
    -----
    :math:`\eta_t = \bigl(f_0 + (1 - f_0)\min(t, W)/W\bigr)\,\eta^{\text{inner}}_t`
    (Chapter 4); with a constant inner schedule this is PyTorch's ``LinearLR``.

    Examples
    --------
    >>> s = LinearWarmup(0.1, warmup_steps=4, start_factor=0.5)
    >>> [round(s(t), 4) for t in range(6)]
    [0.05, 0.0625, 0.075, 0.0875, 0.1, 0.1]
    """

    def __init__(self, schedule: Any, warmup_steps: int, start_factor: float = 0.1) -> None:
        if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
            schedule = Constant(schedule)
        if not callable(schedule):
            raise TypeError("LinearWarmup: schedule must be a Schedule, a callable or a float, "
                            f"got {type(schedule).__name__}")
        self.schedule = schedule
        self.warmup_steps = check_int(warmup_steps, "LinearWarmup", "warmup_steps", minimum=1)
        self.start_factor = check_float(start_factor, "LinearWarmup", "start_factor", low=0.0,
                                        high=1.0, low_open=True)

    def lr_at(self, t: int) -> float:
        w = self.warmup_steps
        factor = self.start_factor + (1.0 - self.start_factor) * min(t, w) / w
        return factor * float(self.schedule(t))


def as_schedule(schedule: Any, fn: str = "schedule") -> Callable[[int], float]:
    """A float becomes :class:`Constant`; a callable is returned as it is."""
    if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        return Constant(schedule)
    if not callable(schedule):
        raise TypeError(f"{fn}: schedule must be a callable step -> lr (e.g. "
                        f"dnnlib.optim.CosineAnnealing), got {type(schedule).__name__}")
    return schedule


# --------------------------------------------------------------------------- lr_find
@dataclass
class LRFindResult:
    """What :func:`lr_find` measured.

    Attributes
    ----------
    rates : numpy.ndarray, (K,)
        The learning rates tried, growing geometrically.
    losses : numpy.ndarray, (K,)
        The training loss of the mini-batch at each rate.
    smoothed : numpy.ndarray, (K,)
        ``losses`` smoothed by a bias-corrected exponential moving average.
    suggested_lr : float
        The rate where the smoothed loss falls fastest (steepest negative slope
        against :math:`\\log\\eta`).
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float


def _copy_state(sd: dict[str, Any]) -> dict[str, Any]:
    return {k: (B.namespace(v).asarray(v, copy=True) if B.is_array(v) else v)
            for k, v in sd.items()}


def lr_find(model: Any, loss: Any, optimizer: Optimizer, X: Any, y: Any, *,
            start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100,
            batch_size: int = 32, rng: Any = None, smoothing: float = 0.98,
            diverge_factor: float = 4.0) -> LRFindResult:
    r"""Learning-rate range test: train briefly while the rate grows, watch the loss.

    Parameters
    ----------
    model : Sequential
        The network (its weights are restored afterwards).
    loss : loss object
        With ``forward(out, y)`` and ``backward()``.
    optimizer : Optimizer
        Drives the updates (its state and rate are restored afterwards).
    X : array, (N, D)
    y : array, (N,) or (N, C)
    start_lr, end_lr : float
        The sweep's first and last rates, ``0 < start_lr < end_lr``.
    num_steps : int
        Number of mini-batch steps (>= 2).
    batch_size : int
        Mini-batch size (the data is shuffled with ``rng`` and cycled).
    rng : numpy.random.Generator, int or None
        Shuffling.
    smoothing : float
        EMA coefficient :math:`\beta \in [0, 1)` for the smoothed curve.
    diverge_factor : float
        Stop early when the smoothed loss exceeds this multiple of its minimum.

    Returns
    -------
    LRFindResult

    Notes
    -----
    Step :math:`k` uses :math:`\eta_k = \eta_0 (\eta_1/\eta_0)^{k/(K-1)}` (Smith, 2017;
    Chapter 4). The smoothed loss is :math:`s_k = \bigl(\beta a_{k-1} + (1-\beta)L_k\bigr)
    / (1-\beta^{k+1})` with :math:`a` the uncorrected average; the suggestion is the
    rate where :math:`ds/d\log\eta` is most negative.

    Examples
    --------
    >>> import numpy as np
    >>> import dnnlib as dl
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.losses import MSE
    >>> g = np.random.default_rng(0)
    >>> X = dl.backend.asarray(g.normal(size=(64, 3)))
    >>> y = X @ dl.backend.asarray([[1.0], [2.0], [-1.0]])
    >>> model = Sequential(Dense(3, 1, rng=0))
    >>> res = lr_find(model, MSE(), SGD(model.params, lr=0.1), X, y, num_steps=30, rng=0)
    >>> 1e-7 <= res.suggested_lr <= 10
    True
    """
    fn = "lr_find"
    lo = check_float(start_lr, fn, "start_lr", low=0.0, low_open=True)
    hi = check_float(end_lr, fn, "end_lr", low=0.0, low_open=True)
    if hi <= lo:
        raise ValueError(f"{fn}: end_lr must be > start_lr, got start_lr={start_lr!r}, "
                         f"end_lr={end_lr!r}")
    k_total = check_int(num_steps, fn, "num_steps", minimum=2)
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    beta = check_float(smoothing, fn, "smoothing", low=0.0, high=1.0, high_open=True)
    factor = check_float(diverge_factor, fn, "diverge_factor", low=1.0, low_open=True)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be a dnnlib.optim.Optimizer, "
                        f"got {type(optimizer).__name__}")
    n = X.shape[0]
    if n == 0 or y.shape[0] != n:
        raise ValueError(f"{fn}: X and y must have the same, non-zero number of rows, "
                         f"got {X.shape[0]} and {y.shape[0]}")
    g = B.as_generator(rng, fn=fn)
    xp = B.namespace(X, y, fn=fn)

    saved_model = _copy_state(model.state_dict())
    saved_opt = optimizer.state_dict()  # already copies
    was_training = getattr(model, "training", True)
    rates, losses, smoothed = [], [], []
    avg, best = 0.0, math.inf
    perm, pos = None, n
    model.train()
    try:
        for k in range(k_total):
            if pos >= n:
                perm = xp.asarray(g.permutation(n))
                pos = 0
            idx = perm[pos:min(pos + bs, n)]
            pos += bs
            xb, yb = xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)
            lr = lo * (hi / lo) ** (k / (k_total - 1))
            optimizer.lr = lr
            optimizer.zero_grad()
            value = float(loss.forward(model.forward(xb), yb))
            if not math.isfinite(value):
                break
            model.backward(loss.backward())
            optimizer.step()
            avg = beta * avg + (1 - beta) * value
            s = avg / (1 - beta ** (k + 1))
            rates.append(lr)
            losses.append(value)
            smoothed.append(s)
            best = min(best, s)
            if s > factor * best:
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        if was_training:
            model.train()
        else:
            model.eval()
    r, sm = np.asarray(rates), np.asarray(smoothed)
    if len(r) >= 3:
        # steepest descent of the smoothed curve, between the noisy first tenth of the
        # sweep and the curve's minimum after it (past it the loss is blowing up)
        slope = np.gradient(sm, np.log(r))
        start = max(1, len(r) // 10)
        stop = start + int(np.argmin(sm[start:])) + 1
        if stop - start < 2:
            start, stop = 0, len(r)
        suggested = float(r[start + int(np.argmin(slope[start:stop]))])
    elif len(r):
        suggested = float(r[0])
    else:
        raise ValueError(f"{fn}: the loss was not finite even at start_lr={lo!r}")
    return LRFindResult(rates=r, losses=np.asarray(losses), smoothed=sm,
                        suggested_lr=suggested)


# --------------------------------------------------------------------------- gradient clipping
def clip_grad_norm(params: Any, max_norm: float) -> float:
    r"""Rescale the gradients in place so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    params : iterable of Parameter (or a model/layer with ``.params``)
        Whose ``.grad`` arrays are clipped, all together.
    max_norm : float
        The largest norm allowed (> 0).

    Returns
    -------
    float
        The global norm **before** clipping (PyTorch's ``clip_grad_norm_`` returns it
        too), handy to plot how often and how much a run was clipped. If it is NaN or
        infinite the gradients are left unchanged: check the returned value.

    Notes
    -----
    Chapter 10 (Pascanu et al., 2013). With :math:`g` all the gradients stacked into one
    vector,

    .. math:: \lVert g \rVert = \sqrt{\textstyle\sum_i g_i^2}, \qquad
              g \leftarrow g \cdot \frac{c}{\lVert g \rVert + 10^{-6}}
              \quad\text{if } \frac{c}{\lVert g \rVert + 10^{-6}} < 1,

    with :math:`c` = ``max_norm``, as PyTorch: the direction of the step is kept, only
    its length is capped, so one exploding gradient cannot throw the weights far away.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> p = Parameter(np.zeros(2), "w")
    >>> p.grad[...] = [3.0, 4.0]
    >>> clip_grad_norm([p], max_norm=1.0)
    5.0
    >>> np.round(p.grad, 6)
    array([0.6, 0.8])
    """
    fn = "clip_grad_norm"
    params = Optimizer._check_params(params, fn)
    c = check_float(max_norm, fn, "max_norm", low=0.0, low_open=True)
    xp = B.namespace(*[p.grad for p in params], fn=fn)
    total = math.sqrt(sum(float(xp.sum(p.grad * p.grad)) for p in params))
    coef = c / (total + 1e-6)
    if coef < 1.0:                                # NaN compares False: left unchanged
        for p in params:
            p.grad *= coef
    return total
