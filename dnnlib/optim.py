"""Optimizers and learning-rate schedules (chapters 4 and 6).

An optimizer holds a list of :class:`~dnnlib.layers.Parameter` objects and, at each
:meth:`~Optimizer.step`, moves every ``p.data`` against its accumulated ``p.grad``:

* :class:`SGD` - gradient descent with momentum, Nesterov momentum and weight decay;
* :class:`RMSProp` - a running average of squared gradients rescales each coordinate;
* :class:`Adam` - momentum plus RMSProp plus bias correction (Kingma & Ba, 2015);
* :class:`AdamW` - Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

The formulas are PyTorch's (``torch.optim``), and the tests check the two agree to 1e-10
in float64. Each optimizer writes its rule once, readably, in :meth:`~Optimizer.update`
(what the book prints, and what runs on CuPy); on NumPy arrays ``step`` runs a named
in-place kernel instead (``_sgd_inplace``, ``_rmsprop_inplace``, ``_adam_inplace``), the
same arithmetic through two scratch arrays per parameter shape, so that a step
allocates no parameter-sized temporary (the rule's ``m / (sqrt(v_hat) + eps)`` allocates
several; in float64 that alone makes an Adam step several times slower, from the
allocator's page faults). The tests check kernel and rule agree to 1e-12 in float64.

A schedule is a small callable object: ``schedule(t) -> lr`` for the step number
``t = 0, 1, 2, ...`` (:class:`Constant`, :class:`StepLR`, :class:`Exponential`,
:class:`CosineAnnealing`, and :class:`LinearWarmup` which wraps any of them; they live
in :mod:`dnnlib.schedules` and are importable from here).
:func:`make_optimizer` builds one by name. The learning-rate range test of chapter 4,
``lr_find``, is a training loop: it lives in :mod:`dnnlib.train` (``dnnlib.optim.lr_find``
still finds it, for one release).

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
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import backend as B
from ._validation import check_float, check_int, check_state_arrays
from .clip import clip_grad_norm  # one implementation (chapter 4), also reached as dl.optim
from .schedules import (
    Constant,
    CosineAnnealing,
    Exponential,
    LinearWarmup,
    Schedule,
    StepLR,
    as_schedule,
)

__all__ = [
    "Optimizer",
    "SGD",
    "RMSProp",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "make_optimizer",
    "Schedule",
    "Constant",
    "StepLR",
    "Exponential",
    "CosineAnnealing",
    "LinearWarmup",
    "as_schedule",
    "clip_grad_norm",
]

#: Set to False to run every optimizer's readable rule on NumPy too (the tests compare).
_NUMPY_FAST_PATH = True


# --------------------------------------------------------------------------- base class
class Optimizer:
    """Base class: a list of parameters, ``step``, ``zero_grad`` and a state dict.

    Subclasses define ``_hyper`` (hyperparameter names), ``_buffers`` (per-parameter
    state names), :meth:`update` (the rule for one parameter, readable, any backend)
    and may define ``_update_inplace`` (the same rule as a NumPy in-place kernel).

    Attributes
    ----------
    params : list of Parameter
        The parameters updated, in order (state dict keys use this index).
    lr : float
        The learning rate; settable (schedules assign it before each step).
    step_count : int
        Number of :meth:`step` calls so far (``t`` in Adam's bias correction).
    state : list of dict
        Per parameter, its buffers by name (``"momentum_buffer"``, ``"exp_avg"``...).
    """

    _hyper: tuple[str, ...] = ()
    _buffers: tuple[str, ...] = ()

    def __init__(self, params: Any, lr: float) -> None:
        name = type(self).__name__
        self.params = self._check_params(params, name)
        self._lr = check_float(lr, name, "lr", low=0.0, low_open=True)
        self.step_count = 0
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self._scratch: dict[tuple, tuple[Any, Any]] = {}

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

    def _tmp(self, p: Any) -> tuple[Any, Any]:
        """Two NumPy scratch arrays shaped like ``p.data``, shared by parameters alike."""
        key = (p.data.shape, p.data.dtype)
        pair = self._scratch.get(key)
        if pair is None:
            pair = (np.empty_like(p.data), np.empty_like(p.data))
            self._scratch[key] = pair
        return pair

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
        """Set every parameter's gradient to zero (:meth:`Parameter.zero_grad`)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter, in place, from its ``.grad``.

        The update is :meth:`update`; on NumPy arrays its in-place kernel (the same
        numbers, no parameter-sized temporaries).
        """
        self.step_count += 1
        for p, state in zip(self.params, self.state, strict=True):
            if _NUMPY_FAST_PATH and type(p.data) is np.ndarray:
                self._update_inplace(p, state)
            else:
                self.update(p, state)

    def update(self, p: Any, state: dict[str, Any]) -> None:  # pragma: no cover - abstract
        """The rule: update one parameter ``p`` (and its ``state`` buffers) in place."""
        raise NotImplementedError(f"{type(self).__name__}.update is not implemented")

    def _update_inplace(self, p: Any, state: dict[str, Any]) -> None:
        """The NumPy kernel of :meth:`update` (by default, the rule itself)."""
        self.update(p, state)

    def gradient(self, p: Any) -> Any:
        """The gradient the rule follows: ``p.grad``, plus ``weight_decay * p.data`` (L2).

        PyTorch's placement of weight decay: added to the gradient, before momentum or
        moment estimates see it (a new array; ``p.grad`` itself is left alone).
        """
        wd = getattr(self, "weight_decay", 0.0)
        return p.grad if wd == 0 else p.grad + wd * p.data

    def _gradient_inplace(self, p: Any, tmp: Any) -> Any:
        """:meth:`gradient` into the scratch ``tmp`` (or ``p.grad`` itself when wd = 0)."""
        wd = getattr(self, "weight_decay", 0.0)
        if wd == 0:
            return p.grad
        np.multiply(p.data, wd, out=tmp)
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

    def _check_state_dict(self, sd: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate ``sd`` against this optimizer without changing anything.

        Returns ``(hyper, buffers)``: ``lr``, ``step_count`` and the hyperparameters as the
        constructor validates them (a fresh optimizer of this class is built from them),
        and the buffers moved to the parameters' backend and cast to their dtype.
        """
        fn = f"{type(self).__name__}.load_state_dict"
        if not isinstance(sd, dict):
            raise TypeError(f"{fn}: state_dict must be a dict, got {type(sd).__name__}")
        kind = sd.get("type")
        if kind is not None and str(np.asarray(kind)) != type(self).__name__:
            raise ValueError(f"{fn}: the state dict is for {np.asarray(kind)}, "
                             f"not {type(self).__name__}")
        raw = {}
        for k in ("lr", *self._hyper, "step_count"):
            if k not in sd:
                raise ValueError(f"{fn}: the state dict lacks {k!r}")
            v = sd[k]
            if B.is_array(v) or isinstance(v, np.generic):
                v = np.asarray(B.to_numpy(v))
                v = tuple(v.tolist()) if v.ndim else v.item()
            raw[k] = tuple(v) if isinstance(v, list) else v  # betas read back from JSON
        lr = check_float(raw["lr"], fn, "lr", low=0.0)  # 0 allowed, as by the lr setter
        step_count = check_int(raw["step_count"], fn, "step_count", minimum=0)
        try:  # the constructor's own checks (betas in [0, 1), eps >= 0, finite ...)
            probe = type(self)(self.params, lr=lr if lr > 0 else 1.0,
                               **{k: raw[k] for k in self._hyper})
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{fn}: invalid hyperparameter in the state dict: {exc}") from None
        hyper = {"lr": lr, "step_count": step_count,
                 **{k: getattr(probe, k) for k in self._hyper}}
        names = self._buffer_names(hyper)
        targets = {f"state.{i}.{n}": p.data for i, p in enumerate(self.params) for n in names}
        given = {k: v for k, v in sd.items() if isinstance(k, str) and k.startswith("state.")}
        buffers = check_state_arrays(fn, targets, given)
        for key, buf in buffers.items():  # running averages of squares cannot be negative
            if key.endswith((".exp_avg_sq", ".square_avg")):
                xp = B.namespace(buf)
                if bool(xp.any(buf < 0)):
                    raise ValueError(f"{fn}: {key} holds negative values; it is an average of "
                                     "squared gradients (nothing was changed)")
        return hyper, buffers

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (NumPy arrays or backend arrays).

        Everything is checked first (type, keys, shapes, dtypes, and the hyperparameters
        through the constructor's own validation, so ``betas=(1, 1)`` or ``eps=-1`` are
        refused as they would be by ``Adam(...)``); a bad state dict raises
        ``ValueError`` or ``TypeError`` and leaves the optimizer unchanged.
        Hyperparameters, the step count and the buffers are restored; buffers are copied
        into preallocated arrays (moved to the parameters' backend, cast to their dtype).
        """
        hyper, buffers = self._check_state_dict(state_dict)
        names = self._buffer_names(hyper)
        for i in range(len(self.params)):
            st = self.state[i]
            for n in list(st):
                if n not in names:
                    del st[n]
            for n in names:
                v = buffers[f"state.{i}.{n}"]
                if n in st:
                    st[n][...] = v
                else:
                    st[n] = B.namespace(v).asarray(v, copy=True)
        self.lr = hyper.pop("lr")
        self.step_count = hyper.pop("step_count")
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
        The momentum coefficient :math:`\beta \in [0, 1)`; 0 is plain SGD.
    dampening : float
        :math:`\tau \in [0, 1]`, scales the new gradient in the momentum buffer.
    nesterov : bool
        Nesterov's look-ahead form (needs ``momentum > 0`` and ``dampening = 0``).
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.

    Notes
    -----
    With :math:`g_t = \nabla \mathcal{L}(\theta_{t-1}) + \lambda\theta_{t-1}` (PyTorch's
    form; momentum in Chapter 4, weight decay in Chapter 6) and the momentum buffer
    :math:`m_t`:

    .. math::

        m_1 = g_1,\quad m_t = \beta m_{t-1} + (1-\tau) g_t,\qquad
        d_t = \begin{cases} g_t + \beta m_t & \text{Nesterov}\\ m_t & \text{otherwise}
        \end{cases},\qquad \theta_t = \theta_{t-1} - \eta\, d_t .

    With the defaults (:math:`\tau = 0`, no Nesterov) this is Chapter 4's
    :math:`m_t = \beta m_{t-1} + g_t`, :math:`\theta_t = \theta_{t-1} - \eta m_t`.

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

    def update(self, p: Any, state: dict[str, Any]) -> None:
        """One SGD step for ``p`` (Notes); ``b`` is the momentum buffer :math:`m_t`."""
        g = self.gradient(p)                                        # g_t (+ lambda theta)
        if self.momentum > 0:
            b = state["momentum_buffer"]
            if self.step_count == 1:
                b[...] = g                                          # m_1 = g_1
            else:                                                   # m_t = beta m + (1-tau) g_t
                b[...] = self.momentum * b + (1.0 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b       # the direction d_t
        p.data -= self.lr * g                                       # theta -= lr d_t

    _update = update  # the name chapter 4 printed before: kept for one release

    def _update_inplace(self, p: Any, state: dict[str, Any]) -> None:
        tmp, tmp2 = self._tmp(p)
        _sgd_inplace(p.data, self._gradient_inplace(p, tmp2), state.get("momentum_buffer"),
                     tmp, lr=self.lr, momentum=self.momentum, dampening=self.dampening,
                     nesterov=self.nesterov, first=self.step_count == 1)


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
        The momentum coefficient :math:`\beta \in [0, 1)`; 0 applies the rescaled
        gradient directly.
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0` added to the gradient.

    Notes
    -----
    PyTorch's ``RMSprop`` (Chapter 4), with :math:`g_t` including weight decay and the
    momentum buffer :math:`m_t`:

    .. math::

        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
        m_t = \beta m_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon},\qquad
        \theta_t = \theta_{t-1} - \eta\, m_t ,

    with :math:`v_0 = m_0 = 0` (for :math:`\beta = 0`, :math:`m_t` is the fraction itself:
    Chapter 4's :math:`\theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)`). The
    average starts at 0 and is not bias-corrected, so the first steps are about
    :math:`\eta / \sqrt{1 - \alpha}` long (Chapter 4).

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

    def update(self, p: Any, state: dict[str, Any]) -> None:
        """One RMSProp step for ``p`` (Notes); ``b`` is the momentum buffer :math:`m_t`."""
        xp = B.namespace(p.data)
        g = self.gradient(p)
        v = state["square_avg"]
        v[...] = self.alpha * v + (1.0 - self.alpha) * (g * g)      # v_t
        d = g / (xp.sqrt(v) + self.eps)                              # g_t / (sqrt(v_t) + eps)
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b[...] = self.momentum * b + d                           # m_t = beta m + d
            d = b
        p.data -= self.lr * d

    _update = update  # the name chapter 4 printed before: kept for one release

    def _update_inplace(self, p: Any, state: dict[str, Any]) -> None:
        tmp, tmp2 = self._tmp(p)
        _rmsprop_inplace(p.data, self._gradient_inplace(p, tmp2), state["square_avg"],
                         state.get("momentum_buffer"), tmp, lr=self.lr, alpha=self.alpha,
                         eps=self.eps, momentum=self.momentum)


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
    PyTorch's ``Adam`` (Chapter 4), with :math:`m_0 = v_0 = 0` and :math:`g_t` including
    weight decay:

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\qquad
        \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    with the bias corrections :math:`\hat m_t = m_t / (1-\beta_1^t)`,
    :math:`\hat v_t = v_t / (1-\beta_2^t)`. PyTorch (and the NumPy kernel) fold them into
    :math:`\frac{\eta}{1-\beta_1^t}\, m_t / (\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon)`,
    the same number.

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

    def update(self, p: Any, state: dict[str, Any]) -> None:
        """One Adam step for ``p`` (Notes), at step ``t = step_count``."""
        xp = B.namespace(p.data)
        b1, b2 = self.betas
        t = self.step_count
        g = self.gradient(p)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = b1 * m + (1.0 - b1) * g                            # m_t
        v[...] = b2 * v + (1.0 - b2) * (g * g)                      # v_t
        m_hat = m / (1.0 - b1**t)                                   # bias corrections
        v_hat = v / (1.0 - b2**t)
        p.data -= self.lr * m_hat / (xp.sqrt(v_hat) + self.eps)

    _update = update  # the name chapter 4 printed before: kept for one release

    def _update_inplace(self, p: Any, state: dict[str, Any]) -> None:
        tmp, tmp2 = self._tmp(p)
        _adam_inplace(p.data, self._gradient_inplace(p, tmp2), state["exp_avg"],
                      state["exp_avg_sq"], tmp, lr=self.lr, betas=self.betas, eps=self.eps,
                      t=self.step_count)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Same parameters as :class:`Adam`, but ``weight_decay`` (default 0.01) shrinks the
    weights directly instead of entering the gradient.

    Notes
    -----
    Before the Adam update of Chapter 4, :math:`\theta \leftarrow (1 - \eta\lambda)\theta`;
    the moments see the raw gradient :math:`g_t = \nabla \mathcal{L}`.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> w = Parameter(np.array([1.0]), "w")
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step(); w.data  # zero gradient: only the decay acts, 1 * (1 - 0.1*0.5)
    array([0.95])
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def gradient(self, p: Any) -> Any:
        """The raw gradient: the decay acts on the weights, not through the moments."""
        return p.grad

    def _gradient_inplace(self, p: Any, tmp: Any) -> Any:
        return p.grad

    def update(self, p: Any, state: dict[str, Any]) -> None:
        """``theta *= 1 - lr * weight_decay``, then Adam's step with the raw gradient."""
        p.data *= 1.0 - self.lr * self.weight_decay
        super().update(p, state)

    def _update_inplace(self, p: Any, state: dict[str, Any]) -> None:
        p.data *= 1.0 - self.lr * self.weight_decay
        super()._update_inplace(p, state)




# --------------------------------------------------------------------------- NumPy kernels
# The rules above, as NumPy in-place kernels: every operation writes into existing memory
# (``out=``, ``*=``...), through one scratch array ``tmp``. ``step`` runs them on NumPy
# arrays (scikit-learn's ``inplace_*`` naming); the tests check each against its rule.
def _sgd_inplace(theta: np.ndarray, g: np.ndarray, buf: np.ndarray | None, tmp: np.ndarray,
                 *, lr: float, momentum: float, dampening: float, nesterov: bool,
                 first: bool) -> None:
    """:meth:`SGD.update` in place (``buf`` is the momentum buffer, None without momentum)."""
    d = g
    if momentum > 0:
        if first:
            buf[...] = g
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                np.multiply(g, 1.0 - dampening, out=tmp)
                buf += tmp
        if nesterov:
            np.multiply(buf, momentum, out=tmp)
            tmp += g
            d = tmp
        else:
            d = buf
    np.multiply(d, lr, out=tmp)
    theta -= tmp


def _rmsprop_inplace(theta: np.ndarray, g: np.ndarray, v: np.ndarray, buf: np.ndarray | None,
                     tmp: np.ndarray, *, lr: float, alpha: float, eps: float,
                     momentum: float) -> None:
    """:meth:`RMSProp.update` in place."""
    v *= alpha                                  # v = alpha v + (1 - alpha) g g
    np.multiply(g, g, out=tmp)
    tmp *= 1.0 - alpha
    v += tmp
    np.sqrt(v, out=tmp)                         # d = g / (sqrt(v) + eps)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    if momentum > 0:
        buf *= momentum                         # m = beta m + d
        buf += tmp
        np.multiply(buf, lr, out=tmp)
    else:
        tmp *= lr
    theta -= tmp


def _adam_inplace(theta: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
                  tmp: np.ndarray, *, lr: float, betas: tuple[float, float], eps: float,
                  t: int) -> None:
    """:meth:`Adam.update` in place, in PyTorch's order of operations.

    ``m`` moves as ``m += (1 - b1)(g - m)``; the step is
    ``lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    """
    b1, b2 = betas
    np.subtract(g, m, out=tmp)                  # m = b1 m + (1 - b1) g
    tmp *= 1.0 - b1
    m += tmp
    v *= b2                                     # v = b2 v + (1 - b2) g g
    np.multiply(g, g, out=tmp)
    tmp *= 1.0 - b2
    v += tmp
    np.sqrt(v, out=tmp)                         # sqrt(v_hat) + eps
    tmp /= math.sqrt(1.0 - b2**t)
    tmp += eps
    np.divide(m, tmp, out=tmp)                  # lr m_hat / (sqrt(v_hat) + eps)
    tmp *= lr / (1.0 - b1**t)
    theta -= tmp


# --------------------------------------------------------------------------- by name
#: Optimizers by name, with the hyperparameters a name implies: name -> (class, defaults).
#: ``"momentum"`` is SGD with momentum 0.9, ``"nesterov"`` its look-ahead form.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSProp, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def make_optimizer(name: str, params: Any, **hyper: Any) -> Optimizer:
    """An optimizer from its name (see :data:`OPTIMIZERS`); ``hyper`` overrides the defaults.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Parameter
    >>> make_optimizer("momentum", [Parameter(np.zeros(2))], lr=0.1)
    SGD(1 params, lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: name must be one of {sorted(OPTIMIZERS)}, "
                         f"got {name!r}")
    cls, defaults = OPTIMIZERS[key]
    return cls(params, **{**defaults, **hyper})


def __getattr__(name: str) -> Any:
    # ``lr_find`` moved to dnnlib.train (it is a training loop); this path is kept for one
    # release. Imported lazily: train imports optim.
    if name in ("lr_find", "LRFindResult"):
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module 'dnnlib.optim' has no attribute {name!r}")
