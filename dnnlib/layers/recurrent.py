r"""Recurrent layers ``RNN`` (tanh, Elman) and ``GRU`` (chapter 10).

A recurrent layer reads a sequence ``x_1, ..., x_T`` one step at a time and carries a
hidden state ``h_t`` from step to step, with the **same** weights at every step. Both
layers follow ``torch.nn.RNN`` / ``torch.nn.GRU`` with ``batch_first=True``: input
``(N, T, D)``, hidden state ``(N, H)``, initial state zero, and PyTorch's parameter
layout (``W_ih`` is ``weight_ih_l0``, ``W_hh`` is ``weight_hh_l0``, ``b_ih``/``b_hh``
the biases; for the GRU the three gates are stacked in the order r, z, n), so weights
copy 1:1 between the two.

The backward pass is **backpropagation through time** (BPTT): the forward loop is
unrolled into a deep network with one layer per time step, all sharing their weights,
and the chain rule runs through it from the last step to the first. The gradient of a
shared weight is the sum of its gradients at every step. Each ``backward`` below is
that loop, written as the chapter derives it; the sums over time of the weight
gradients are done once, after the loop, as one matrix product.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend as B
from .. import functional as F
from .._validation import as_float_array, check_int
from .base import Layer, Parameter, resolve_dtype

__all__ = ["RNN", "GRU"]


def _sigmoid(a: Any) -> Any:
    r"""The logistic sigmoid as :math:`\sigma(a) = \tfrac12 (1 + \tanh(a/2))` (an identity).

    One ``tanh``, no overflow for any ``a``, and none of the input checks of
    :func:`dnnlib.functional.sigmoid`, which a GRU would otherwise pay twice per time step.
    """
    return 0.5 * (1.0 + B.namespace(a).tanh(0.5 * a))


class _Recurrent(Layer):
    """Parameters, checks and the output choice shared by RNN and GRU."""

    _gates = 1          # blocks of H rows stacked in W_ih, W_hh, b_ih, b_hh
    needs_input_grad = True

    def __init__(self, input_size: int, hidden_size: int, *, return_sequences: bool,
                 rng: Any, dtype: Any) -> None:
        super().__init__()
        fn = type(self).__name__
        self.input_size = check_int(input_size, fn, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, fn, "hidden_size", minimum=1)
        if not isinstance(return_sequences, bool):
            raise TypeError(f"{fn}: return_sequences must be a bool, got "
                            f"{type(return_sequences).__name__}")
        self.return_sequences = return_sequences
        dt = resolve_dtype(dtype, fn)
        xp = B.xp()
        g = B.as_generator(rng, fn=fn)
        D, H, G = self.input_size, self.hidden_size, self._gates
        k = 1.0 / math.sqrt(H)              # PyTorch's initialisation: U(-1/sqrt(H), 1/sqrt(H))
        name = B.dtype_name(dt)

        def uniform(shape: tuple[int, ...]) -> Any:
            return xp.asarray(g.uniform(-k, k, shape).astype(name))

        self.W_ih = Parameter(uniform((G * H, D)), "W_ih")
        self.W_hh = Parameter(uniform((G * H, H)), "W_hh")
        self.b_ih = Parameter(uniform((G * H,)), "b_ih")
        self.b_hh = Parameter(uniform((G * H,)), "b_hh")

    @property
    def params(self) -> list[Parameter]:
        return [self.W_ih, self.W_hh, self.b_ih, self.b_hh]

    @property
    def dtype(self) -> Any:
        return self.W_ih.data.dtype

    def check_input(self, x: Any) -> Any:
        """``x``: floats ``(N, T, D)`` with ``T >= 1`` and ``D = input_size``."""
        fn = f"{type(self).__name__}.forward"
        x = as_float_array(x, fn, "x")
        if x.ndim != 3:
            hint = (" (one sequence of numbers per row? add a feature axis: Reshape((T, 1)))"
                    if x.ndim == 2 else "")
            raise ValueError(f"{fn}: x must be 3-D (N, T, D): batch, time steps, features; "
                             f"got shape {tuple(x.shape)}{hint}")
        if x.shape[1] < 1:
            raise ValueError(f"{fn}: x must have at least one time step, got shape "
                             f"{tuple(x.shape)}")
        if x.shape[2] != self.input_size:
            raise ValueError(f"{fn}: x has {x.shape[2]} features per step, expected "
                             f"input_size={self.input_size}")
        xp = B.namespace(x, self.W_ih.data, fn=fn)
        if x.dtype != self.W_ih.data.dtype:
            x = xp.astype(x, self.W_ih.data.dtype)
        return x

    def _output(self, h_all: Any) -> Any:
        """From ``h_all`` ``(N, T + 1, H)`` (``h_0 .. h_T``): all states ``(N, T, H)`` with
        ``return_sequences`` (a copy), else the last one ``(N, H)``."""
        xp = B.namespace(h_all)
        if self.return_sequences:
            return xp.asarray(h_all[:, 1:, :], copy=True)
        return xp.asarray(h_all[:, -1, :], copy=True)

    def _dout_at(self, dout: Any, t: int, T: int) -> Any:
        """The upstream gradient that reaches ``h_t`` from outside the layer (or None)."""
        if self.return_sequences:
            return dout[:, t, :]
        return dout if t == T - 1 else None

    def _param_grads(self, x: Any, h_prev: Any, da_in: Any, da_h: Any) -> Any:
        """The sums over time of the shared weights' gradients, one product each.

        ``x``: ``(N, T, D)``, ``h_prev``: ``(N, T, H)`` (the state each step started
        from), ``da_in``/``da_h``: ``(N, T, G*H)`` (the gradients of the pre-activations
        fed by ``x_t`` and by ``h_{t-1}``). Returns ``dx`` ``(N, T, D)``.
        """
        xp = B.namespace(x)
        N, T, D = x.shape
        GH = da_in.shape[2]
        a_in = xp.reshape(da_in, (N * T, GH))
        a_h = xp.reshape(da_h, (N * T, GH))
        self.W_ih.accumulate_grad(a_in.T @ xp.reshape(x, (N * T, D)))         # sum_t da_t x_t^T
        self.W_hh.accumulate_grad(a_h.T @ xp.reshape(h_prev, (N * T, self.hidden_size)))
        self.b_ih.accumulate_grad(xp.sum(a_in, axis=0))
        self.b_hh.accumulate_grad(xp.sum(a_h, axis=0))
        if not self.needs_input_grad:
            return None
        return da_in @ self.W_ih.data                                          # dx_t = W_ih^T da_t

    def __repr__(self) -> str:
        extra = ", return_sequences=True" if self.return_sequences else ""
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra})"


class RNN(_Recurrent):
    r"""Elman recurrent layer with tanh, batch first: ``(N, T, D)`` -> ``(N, H)`` or ``(N, T, H)``.

    Parameters
    ----------
    input_size : int
        ``D``, features per time step.
    hidden_size : int
        ``H``, size of the hidden state.
    return_sequences : bool, default False
        Return every state ``(N, T, H)`` instead of the last one ``(N, H)``.
    rng : numpy.random.Generator, int or None
        Source of the initial weights, :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)` as PyTorch.
    dtype : {"float32", "float64"} or None

    Attributes
    ----------
    W_ih : Parameter ``(H, D)``
    W_hh : Parameter ``(H, H)``
    b_ih, b_hh : Parameter ``(H,)``

    Notes
    -----
    Chapter 10. From :math:`h_0 = 0`, for :math:`t = 1, \dots, T`,

    .. math:: a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \qquad h_t = \tanh(a_t)

    (written for one example; the code uses rows, :math:`x_t W_{ih}^\top`). Backward
    through time, with :math:`g_t` the gradient reaching :math:`h_t` from outside the
    layer (the loss) and :math:`\bar g_t` the total gradient of :math:`h_t`,

    .. math::
        \bar g_T = g_T, \qquad
        \delta_t = \bar g_t \odot (1 - h_t^2), \qquad
        \bar g_{t-1} = g_{t-1} + W_{hh}^\top \delta_t,

    and the shared weights collect every step:
    :math:`\partial L/\partial W_{hh} = \sum_t \delta_t h_{t-1}^\top`,
    :math:`\partial L/\partial W_{ih} = \sum_t \delta_t x_t^\top`,
    :math:`\partial L/\partial b_{ih} = \partial L/\partial b_{hh} = \sum_t \delta_t`,
    :math:`\partial L/\partial x_t = W_{ih}^\top \delta_t`. The factor
    :math:`W_{hh}^\top \operatorname{diag}(1 - h_t^2)` applied once per step is why the
    gradient through time vanishes or explodes (chapter 10 measures it).

    Examples
    --------
    >>> import numpy as np
    >>> rnn = RNN(1, 8, rng=0)
    >>> rnn(np.zeros((4, 40, 1), dtype=np.float32)).shape
    (4, 8)
    >>> RNN(1, 8, return_sequences=True, rng=0)(np.zeros((4, 40, 1))).shape
    (4, 40, 8)
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, *, return_sequences: bool = False,
                 rng: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, return_sequences=return_sequences, rng=rng,
                         dtype=dtype)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, T, D)`` -> ``h_T``: ``(N, H)``, or all ``h_t``: ``(N, T, H)``."""
        xp = B.namespace(x)
        N, T, _ = x.shape
        W_hh, b_hh = self.W_hh.data, self.b_hh.data
        x_part = x @ self.W_ih.data.T + self.b_ih.data        # (N, T, H): W_ih x_t + b_ih, all t
        h = xp.zeros((N, T + 1, self.hidden_size), dtype=x.dtype)   # h[:, t] = h_t; h_0 = 0
        for t in range(T):
            h[:, t + 1, :] = F.tanh(x_part[:, t, :] + h[:, t, :] @ W_hh.T + b_hh)
        self.cache = (x, h)
        return self._output(h)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx``: ``(N, T, D)``; adds the four gradients."""
        x, h = self.saved
        xp = B.namespace(x)
        N, T, _ = x.shape
        W_hh = self.W_hh.data
        delta = xp.empty((N, T, self.hidden_size), dtype=x.dtype)
        g_bar = xp.zeros((N, self.hidden_size), dtype=x.dtype)   # gradient of h_t from t+1
        for t in reversed(range(T)):
            g_t = self._dout_at(dout, t, T)
            if g_t is not None:
                g_bar = g_bar + g_t                                # ... plus the loss's, if any
            h_t = h[:, t + 1, :]
            delta[:, t, :] = g_bar * (1.0 - h_t * h_t)             # through tanh: delta_t
            g_bar = delta[:, t, :] @ W_hh                          # W_hh^T delta_t, to h_{t-1}
        return self._param_grads(x, h[:, :-1, :], delta, delta)   # h[:, :-1]: each h_{t-1}


class GRU(_Recurrent):
    r"""Gated recurrent unit, batch first (PyTorch's equations and parameter layout).

    Parameters
    ----------
    input_size : int
        ``D``, features per time step.
    hidden_size : int
        ``H``, size of the hidden state.
    return_sequences : bool, default False
        Return every state ``(N, T, H)`` instead of the last one ``(N, H)``.
    rng : numpy.random.Generator, int or None
        Source of the initial weights, :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)` as PyTorch.
    dtype : {"float32", "float64"} or None

    Attributes
    ----------
    W_ih : Parameter ``(3H, D)``
        :math:`[W_{ir}; W_{iz}; W_{in}]`, PyTorch's ``weight_ih_l0``.
    W_hh : Parameter ``(3H, H)``
        :math:`[W_{hr}; W_{hz}; W_{hn}]`, PyTorch's ``weight_hh_l0``.
    b_ih, b_hh : Parameter ``(3H,)``
        ``bias_ih_l0``, ``bias_hh_l0``, same order.

    Notes
    -----
    Chapter 10 (Cho et al., 2014, in PyTorch's form). From :math:`h_0 = 0`,

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    The reset gate :math:`r_t` decides how much of the old state enters the candidate
    :math:`n_t`; the update gate :math:`z_t` mixes the old state and the candidate. When
    :math:`z_t \approx 1` the state is copied, :math:`\partial h_t / \partial h_{t-1}
    \approx I`, and the gradient crosses that step unchanged: the gate is the cure of
    the vanishing gradient. Backward, with :math:`\bar g_t` the total gradient of
    :math:`h_t` and :math:`c_t = W_{hn} h_{t-1} + b_{hn}`:

    .. math::
        \delta^n_t &= \bar g_t \odot (1 - z_t) \odot (1 - n_t^2), \qquad
        \delta^z_t = \bar g_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
        \delta^r_t &= \delta^n_t \odot c_t \odot r_t (1 - r_t), \\
        \bar g_{t-1} &= g_{t-1} + \bar g_t \odot z_t + W_{hr}^\top \delta^r_t
        + W_{hz}^\top \delta^z_t + W_{hn}^\top (r_t \odot \delta^n_t).

    The input-side pre-activations get :math:`[\delta^r_t; \delta^z_t; \delta^n_t]`, the
    hidden-side ones :math:`[\delta^r_t; \delta^z_t; r_t \odot \delta^n_t]`; the weight
    gradients are their sums over time against :math:`x_t` and :math:`h_{t-1}`.

    Examples
    --------
    >>> import numpy as np
    >>> gru = GRU(1, 6, rng=0)
    >>> gru
    GRU(1, 6)
    >>> gru.W_ih.shape, gru.W_hh.shape
    ((18, 1), (18, 6))
    >>> gru(np.zeros((4, 40, 1), dtype=np.float32)).shape
    (4, 6)
    """

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, *, return_sequences: bool = False,
                 rng: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, return_sequences=return_sequences, rng=rng,
                         dtype=dtype)

    def forward(self, x: Any) -> Any:
        """``x``: ``(N, T, D)`` -> ``h_T``: ``(N, H)``, or all ``h_t``: ``(N, T, H)``."""
        xp = B.namespace(x)
        N, T, _ = x.shape
        H = self.hidden_size
        W_hh, b_hh = self.W_hh.data, self.b_hh.data
        x_part = x @ self.W_ih.data.T + self.b_ih.data   # (N, T, 3H): W_i* x_t + b_i*, all t
        h = xp.zeros((N, T + 1, H), dtype=x.dtype)        # h[:, t] = h_t; h_0 = 0
        steps = []
        for t in range(T):
            xr, xz, xn = x_part[:, t, :H], x_part[:, t, H:2 * H], x_part[:, t, 2 * H:]
            h_part = h[:, t, :] @ W_hh.T + b_hh           # (N, 3H): W_h* h_{t-1} + b_h*
            hr, hz, c = h_part[:, :H], h_part[:, H:2 * H], h_part[:, 2 * H:]
            r = _sigmoid(xr + hr)                         # reset gate
            z = _sigmoid(xz + hz)                         # update gate
            n = F.tanh(xn + r * c)                        # candidate state
            h[:, t + 1, :] = (1.0 - z) * n + z * h[:, t, :]   # new state
            steps.append((r, z, n, c))
        self.cache = (x, h, steps)
        return self._output(h)

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx``: ``(N, T, D)``; adds the four gradients."""
        x, h, steps = self.saved
        xp = B.namespace(x)
        N, T, _ = x.shape
        H = self.hidden_size
        W_hh = self.W_hh.data
        d_in = xp.empty((N, T, 3 * H), dtype=x.dtype)    # input-side pre-activations [r; z; n]
        d_h = xp.empty((N, T, 3 * H), dtype=x.dtype)     # hidden-side pre-activations
        g_bar = xp.zeros((N, H), dtype=x.dtype)          # gradient of h_t from step t+1
        for t in reversed(range(T)):
            g_t = self._dout_at(dout, t, T)
            if g_t is not None:
                g_bar = g_bar + g_t
            r, z, n, c = steps[t]
            h_prev = h[:, t, :]
            dn = g_bar * (1.0 - z) * (1.0 - n * n)        # delta^n: through h_t, then tanh
            dz = g_bar * (h_prev - n) * z * (1.0 - z)     # delta^z: through h_t, then sigmoid
            dr = dn * c * r * (1.0 - r)                   # delta^r: through n_t, then sigmoid
            d_in[:, t, :H], d_in[:, t, H:2 * H], d_in[:, t, 2 * H:] = dr, dz, dn
            d_h[:, t, :H], d_h[:, t, H:2 * H], d_h[:, t, 2 * H:] = dr, dz, r * dn
            g_bar = g_bar * z + d_h[:, t, :] @ W_hh       # to h_{t-1}: the copy path + W_hh^T
        return self._param_grads(x, h[:, :-1, :], d_in, d_h)   # h[:, :-1]: each h_{t-1}
