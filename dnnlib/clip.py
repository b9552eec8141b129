"""Gradient clipping by the global norm (chapter 4).

:func:`clip_grad_norm` rescales the gradients of a list of parameters, all together, so
that their joint Euclidean norm does not exceed ``max_norm``; it is PyTorch's
``torch.nn.utils.clip_grad_norm_`` (2-norm, ``error_if_nonfinite=True``). Call it
between the backward pass and the optimizer's step::

    model.backward(loss.backward())
    clip_grad_norm(model.params, max_norm=1.0)
    opt.step()

Examples
--------
>>> import numpy as np
>>> from dnnlib.layers import Parameter
>>> w, b = Parameter(np.zeros(2), "w"), Parameter(np.zeros(1), "b")
>>> w.grad[...], b.grad[...] = [3.0, 0.0], [4.0]
>>> clip_grad_norm([w, b], max_norm=1.0)   # the norm before clipping
5.0
>>> np.round(w.grad, 6), np.round(b.grad, 6)
(array([0.6, 0. ]), array([0.8]))
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from . import backend as B
from ._validation import check_float

__all__ = ["clip_grad_norm"]

_EPS = 1e-6  # PyTorch's: the factor is max_norm / (total_norm + 1e-6)


def _grads(params: Any, fn: str) -> list[Any]:
    if hasattr(params, "params") and not isinstance(params, (list, tuple)):
        params = params.params  # a model or a layer: take its parameters
    if B.is_array(params) or isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"{fn}: params must be an iterable of Parameter (or a model), "
                        f"got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError(f"{fn}: params must not be empty (got an empty list)")
    for i, p in enumerate(params):
        if not hasattr(p, "grad") or not B.is_array(p.grad):
            raise TypeError(f"{fn}: params[{i}] must be a Parameter with a .grad array, "
                            f"got {type(p).__name__}")
    B.namespace(*[p.grad for p in params], fn=fn)  # one backend for all
    return [p.grad for p in params]


def clip_grad_norm(params: Any, max_norm: float) -> float:
    r"""Scale all gradients together so that their joint 2-norm is at most ``max_norm``.

    Parameters
    ----------
    params : iterable of Parameter, or a model with ``.params``
        Their ``.grad`` arrays (any shapes, one backend) are rescaled **in place**.
    max_norm : float
        The largest joint norm allowed, :math:`g_{\max} > 0`.

    Returns
    -------
    float
        The joint norm :math:`\lVert g \rVert` *before* clipping (for logging).

    Raises
    ------
    ValueError
        If ``max_norm`` is not positive, ``params`` is empty, or the norm is NaN or
        infinite (a diverged step; scaling would only spread the NaN).

    Notes
    -----
    With :math:`g` all gradients stacked into one vector,

    .. math::

        \lVert g \rVert = \Bigl(\sum_{p} \sum_{i} g_{p,i}^2\Bigr)^{1/2}, \qquad
        g \leftarrow g \cdot \min\Bigl(1, \frac{g_{\max}}{\lVert g \rVert + 10^{-6}}\Bigr),

    so every gradient keeps its direction, and the step of any optimizer that is
    linear in :math:`g` (plain SGD) is at most :math:`\eta\, g_{\max}` long. The
    :math:`10^{-6}` is PyTorch's guard against a zero norm. The sum of squares is
    accumulated in float64, so float32 gradients above :math:`10^{19}` do not overflow
    it. See Chapter 4.
    """
    fn = "clip_grad_norm"
    c = check_float(max_norm, fn, "max_norm", low=0.0, low_open=True)
    grads = _grads(params, fn)
    total_sq = 0.0
    for g in grads:
        xp = B.namespace(g, fn=fn)
        g64 = xp.astype(g, xp.float64)
        total_sq += float(xp.sum(g64 * g64))
    total = math.sqrt(total_sq)
    if not math.isfinite(total):
        raise ValueError(f"{fn}: the gradients' total norm is {total} (NaN or infinite "
                         "entries); clipping cannot repair a diverged step")
    factor = c / (total + _EPS)
    if factor < 1.0:
        for g in grads:
            g *= factor
    return total
