r"""The math of the book as pure functions: activations (chapter 2) and losses (chapter 3).

Every activation sits right beside its derivative (``sigmoid`` / ``sigmoid_grad``),
as in micrograd, so the formula you derived and the code that computes it fit on
one screen. All ``*_grad(z)`` functions are the elementwise derivative with respect
to ``z``; the layers of chapter 5 multiply them by the upstream gradient ``dout``.

Rules every function here follows:

* **Pure.** No state, nothing modified in place.
* **Computation follows the data.** The result lives in the input's array library
  (NumPy, CuPy, array-api-strict) and keeps its dtype (float32 stays float32).
  Python lists and scalars are accepted and become arrays of the default dtype (on
  the backend of the other argument, for the two-argument losses).
* **float32 and float64 only.** float16 (and other float dtypes) raise ``TypeError``:
  half precision's smallest normal number, 6.1e-5, leaves no room for the cut-off
  that keeps ``exp`` quiet (``sigmoid(0)`` would come out as 1). Cast with
  ``z.astype("float32")``.
* **Stable.** Finite, warning-free results for ``|z|`` up to ``1e4`` in float32
  and float64: ``exp`` only ever sees arguments ``<= 0`` (:func:`_exp_neg`), and
  softmax subtracts the row maximum. The activations are warning-free for every
  finite input (``gelu(1e30)`` too), the softmax and the losses for ``|z|`` up to
  ``1e30`` (beyond, a difference or a sum can exceed the largest float, ~3.4e38 in
  float32, and NumPy warns on the overflow).
* **NaN in, NaN out; infinity gives the limit.** A NaN input gives NaN where it
  enters (``sigmoid(nan)`` is NaN, as ``tanh(nan)`` is), so a diverged model stays
  visible. ``+-inf`` gives the limit where one exists (``sigmoid(inf) = 1``,
  ``softmax([inf, 0]) = [1, 0]``, a ``-inf`` logit has probability 0 and costs
  nothing in the cross-entropy when it is not the label's), and NaN where none does
  (``softmax([inf, inf])``), all without warnings.
* **Loud on bad input.** Integer arrays raise ``TypeError``; targets outside
  ``[0, 1]`` (NaN included), labels out of range, mismatched shapes and empty
  class axes raise ``ValueError``.

Shapes: ``N`` batch, ``C`` classes; ``(...)`` means any shape.

Examples
--------
>>> import numpy as np
>>> from dnnlib import functional as F
>>> print(np.round(F.sigmoid(np.array([-2.0, 0.0, 2.0])), 4))
[0.1192 0.5    0.8808]
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from . import backend as B
from ._validation import as_float_array, as_label_array, check_float, check_int

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "softplus",
    "softplus_grad",
    "gelu",
    "gelu_grad",
    "silu",
    "silu_grad",
    "softmax",
    "log_softmax",
    "softmax_and_log_softmax",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax_cross_entropy",
    "mse",
]

Array = Any


# --------------------------------------------------------------------------- helpers
def _float(z: Any, fn: str, name: str = "z") -> tuple[Array, Any]:
    """``z`` as a float32/float64 array (TypeError for ints, float16) and its namespace."""
    z = as_float_array(z, f"functional.{fn}", name)
    return z, B.namespace(z, fn=f"functional.{fn}")


def _exp_cutoff(dtype: Any, xp: Any) -> float:
    """Where :func:`_exp_neg` stops: ten e-folds above the smallest normal number."""
    return -math.log(float(xp.finfo(dtype).smallest_normal)) - 10.0


def _exp_neg(a: Array, xp: Any) -> Array:
    """``exp(-a)`` for ``a >= 0``, set to exactly 0 where it would underflow.

    ``exp(-1e4)`` is 0 in floating point anyway, but getting there raises NumPy's
    underflow flag; we stop ten e-folds above the smallest normal number instead,
    which changes nothing a reader could see (values below ~1e-34 in float32).
    NaN stays NaN.
    """
    cutoff = _exp_cutoff(a.dtype, xp)
    return xp.where(a > cutoff, 0.0, xp.exp(-xp.minimum(a, cutoff)))


def _minus_max(z: Array, axis: int, xp: Any) -> Array:
    """``z - max(z)`` along ``axis``: every entry ``<= 0``, a 0 in every slice.

    Infinities take their limits: in a slice with one ``+inf`` that entry becomes 0
    and every other ``-inf`` (the softmax tends to a one-hot vector); ``-inf`` entries
    stay ``-inf`` (probability 0). Slices without a limit (two ``+inf``, only ``-inf``)
    and slices holding NaN become NaN. No ``inf - inf`` is ever computed.
    """
    m = xp.max(z, axis=axis, keepdims=True)
    if bool(xp.all(xp.isfinite(m))):  # the common case: nothing infinite at the top
        return z - m
    top = z == math.inf
    n_top = xp.sum(xp.astype(top, z.dtype), axis=axis, keepdims=True)
    d = z - xp.where(xp.isfinite(m), m, 0.0)
    d = xp.where(n_top == 1, xp.where(top, 0.0, xp.full_like(z, -math.inf)), d)
    return xp.where(xp.isnan(m) | (n_top > 1) | (m == -math.inf), math.nan, d)


def _weighted(w: Array, v: Array, xp: Any) -> Array:
    """``w * v`` with ``0 * inf = 0``: a term of weight 0 adds nothing (as ``0 log 0 = 0``)."""
    return w * xp.where(w == 0.0, 0.0, v)


def _same_shape(fn: str, a: Array, b: Array, name_a: str, name_b: str) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"functional.{fn}: {name_a} and {name_b} must have the same shape, got "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )


def _non_empty(fn: str, a: Array, name: str) -> None:
    if math.prod(a.shape) == 0:
        raise ValueError(f"functional.{fn}: {name} must not be empty, got shape {tuple(a.shape)}")


def _in_unit_interval(fn: str, a: Array, name: str, xp: Any, *, nan_ok: bool = False) -> None:
    """Every entry of ``a`` in [0, 1], else ValueError showing the offender.

    NaN fails too, unless ``nan_ok`` (a model's NaN prediction gives a NaN loss).
    """
    bad = (a < 0.0) | (a > 1.0) if nan_ok else ~((a >= 0.0) & (a <= 1.0))
    if bool(xp.any(bad)):
        offender = float(xp.reshape(a[bad], (-1,))[0])
        raise ValueError(f"functional.{fn}: {name} must lie in [0, 1], got {offender}")


def _pair(fn: str, a: Any, b: Any, name_a: str, name_b: str) -> tuple[Array, Array, Any]:
    """Two float arrays of one backend and one shape; ``b`` cast to ``a``'s dtype."""
    a = as_float_array(a, f"functional.{fn}", name_a, like=b if B.is_array(b) else None)
    b = as_float_array(b, f"functional.{fn}", name_b, like=a)
    xp = B.namespace(a, b, fn=f"functional.{fn}")
    _same_shape(fn, a, b, name_a, name_b)
    _non_empty(fn, a, name_a)
    if b.dtype != a.dtype:
        b = xp.astype(b, a.dtype)
    return a, b, xp


def _axis(fn: str, axis: Any, z: Array) -> int:
    if z.ndim == 0:
        raise ValueError(f"functional.{fn}: z must have at least 1 dimension, got a 0-D array")
    axis = check_int(axis, f"functional.{fn}", "axis", minimum=-z.ndim)
    if axis >= z.ndim:
        raise ValueError(
            f"functional.{fn}: axis must lie in [{-z.ndim}, {z.ndim - 1}] for a {z.ndim}-D z, "
            f"got {axis}"
        )
    if z.shape[axis] == 0:
        raise ValueError(f"functional.{fn}: the class axis {axis} of z is empty (shape "
                         f"{tuple(z.shape)}); a softmax needs at least one class")
    return axis


# --------------------------------------------------------------------------- sigmoid
def sigmoid(z: Array) -> Array:
    r"""The logistic sigmoid, squashing any real number into (0, 1).

    Parameters
    ----------
    z : array (...)
        Pre-activations, float32 or float64.

    Returns
    -------
    array (...)
        :math:`\sigma(z)`, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    We evaluate the first form for :math:`z \ge 0` and the second for :math:`z < 0`,
    so ``exp`` only sees :math:`-|z| \le 0` and never overflows. See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(sigmoid(np.array([-1e4, 0.0, 1e4])), 4))
    [0.  0.5 1. ]
    """
    z, xp = _float(z, "sigmoid")
    e = _exp_neg(xp.abs(z), xp)  # e^{-|z|} in (0, 1]
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z: Array) -> Array:
    r"""Derivative of :func:`sigmoid` with respect to ``z``.

    Parameters
    ----------
    z : array (...)
        Pre-activations (not the sigmoid's output).

    Returns
    -------
    array (...)
        :math:`\sigma'(z)`, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(sigmoid_grad(np.array([-2.0, 0.0, 2.0])), 4))
    [0.105 0.25  0.105]
    """
    z, _ = _float(z, "sigmoid_grad")
    s = sigmoid(z)
    return s * (1.0 - s)


# --------------------------------------------------------------------------- tanh
def tanh(z: Array) -> Array:
    r"""The hyperbolic tangent, squashing any real number into (-1, 1).

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        :math:`\tanh(z)`, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(tanh(np.array([-1.0, 0.0, 1.0])), 4))
    [-0.7616  0.      0.7616]
    """
    z, xp = _float(z, "tanh")
    return xp.tanh(z)


def tanh_grad(z: Array) -> Array:
    r"""Derivative of :func:`tanh` with respect to ``z``.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        :math:`\tanh'(z)`, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \tanh'(z) = 1 - \tanh^2(z)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(tanh_grad(np.array([-1.0, 0.0, 1.0])), 4))
    [0.42 1.   0.42]
    """
    z, _ = _float(z, "tanh_grad")
    t = tanh(z)
    return 1.0 - t * t


# --------------------------------------------------------------------------- ReLU family
def relu(z: Array) -> Array:
    r"""The rectified linear unit: :math:`\max(z, 0)`.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{ReLU}(z) = \max(z, 0)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(relu(np.array([-2.0, 0.0, 3.0])))
    [0. 0. 3.]
    """
    z, xp = _float(z, "relu")
    return xp.maximum(z, 0.0)


def relu_grad(z: Array) -> Array:
    r"""Derivative of :func:`relu`: 1 where ``z > 0``, else 0.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        0.0 or 1.0, same shape, dtype and backend as ``z`` (a float mask, not a bool).

    Notes
    -----
    .. math:: \operatorname{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    At the kink :math:`z = 0` we use 0, as PyTorch does. See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(relu_grad(np.array([-2.0, 0.0, 3.0])))
    [0. 0. 1.]
    """
    z, xp = _float(z, "relu_grad")
    return xp.astype(z > 0, z.dtype)


def leaky_relu(z: Array, slope: float = 0.01) -> Array:
    r"""Leaky ReLU: ``z`` for positive inputs, ``slope * z`` otherwise.

    Parameters
    ----------
    z : array (...)
        Pre-activations.
    slope : float
        Slope for negative inputs, ``>= 0`` (PyTorch's ``negative_slope``).

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{LeakyReLU}(z) = \begin{cases} z & z > 0 \\ a z & z \le 0 \end{cases}

    with :math:`a` = ``slope``. See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(leaky_relu(np.array([-2.0, 0.0, 3.0]), slope=0.1))
    [-0.2  0.   3. ]
    """
    z, xp = _float(z, "leaky_relu")
    a = check_float(slope, "functional.leaky_relu", "slope", low=0.0)
    if a == 0.0:  # plain ReLU (and no 0 * -inf = NaN at z = -inf)
        return xp.maximum(z, 0.0)
    return xp.where(z > 0, z, a * z)


def leaky_relu_grad(z: Array, slope: float = 0.01) -> Array:
    r"""Derivative of :func:`leaky_relu`: 1 where ``z > 0``, else ``slope``.

    Parameters
    ----------
    z : array (...)
        Pre-activations.
    slope : float
        Slope for negative inputs, ``>= 0``.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{LeakyReLU}'(z) = \begin{cases} 1 & z > 0 \\ a & z \le 0 \end{cases}

    At :math:`z = 0` we use :math:`a`, as PyTorch does. See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(leaky_relu_grad(np.array([-2.0, 0.0, 3.0]), slope=0.1))
    [0.1 0.1 1. ]
    """
    z, xp = _float(z, "leaky_relu_grad")
    a = check_float(slope, "functional.leaky_relu_grad", "slope", low=0.0)
    return xp.where(z > 0, 1.0, xp.full_like(z, a))


# --------------------------------------------------------------------------- smooth ReLUs
def softplus(z: Array) -> Array:
    r"""Softplus, a smooth ReLU: :math:`\log(1 + e^{z})`.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Positive values, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{softplus}(z) = \log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})

    The right-hand form never overflows. Its derivative is the sigmoid,
    :math:`\operatorname{softplus}'(z) = \sigma(z)` (:func:`softplus_grad`). See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(softplus(np.array([-1.0, 0.0, 1.0])), 4))
    [0.3133 0.6931 1.3133]
    """
    z, xp = _float(z, "softplus")
    return xp.maximum(z, 0.0) + xp.log1p(_exp_neg(xp.abs(z), xp))


def softplus_grad(z: Array) -> Array:
    r"""Derivative of :func:`softplus`: the sigmoid.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        :math:`\sigma(z)`, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{softplus}'(z) = \frac{e^{z}}{1 + e^{z}} = \sigma(z)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(softplus_grad(np.array([0.0])), 4))
    [0.5]
    """
    z, _ = _float(z, "softplus_grad")
    return sigmoid(z)


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715
# For |z| >= 10, u >= 43.6 and tanh(u) rounds to exactly +-1 in float32 and float64, so
# clipping z there changes no result; it keeps z^3 from overflowing (|z| >= 1e19 in float32).
_GELU_SAT = 10.0


def gelu(z: Array) -> Array:
    r"""GELU, the Gaussian error linear unit, in its **tanh approximation**.

    This is PyTorch's ``gelu(z, approximate="tanh")`` (the form of GPT-2 and BERT);
    the exact form :math:`z\,\Phi(z)` needs ``erf``, which the array API lacks.
    The two differ by less than ``1e-3``.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math::
        \operatorname{GELU}(z) \approx \tfrac12 z \bigl(1 + \tanh u\bigr), \qquad
        u = \sqrt{2/\pi}\,\bigl(z + 0.044715\, z^{3}\bigr)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(gelu(np.array([-1.0, 0.0, 1.0])), 4))
    [-0.1588  0.      0.8412]
    """
    z, xp = _float(z, "gelu")
    zc = xp.clip(z, -_GELU_SAT, _GELU_SAT)  # tanh u is exactly +-1 beyond: no z^3 overflow
    u = _GELU_C * zc * (1.0 + _GELU_K * zc * zc)
    return 0.5 * xp.maximum(z, -_GELU_SAT) * (1.0 + xp.tanh(u))  # -inf * 0 avoided


def gelu_grad(z: Array) -> Array:
    r"""Derivative of :func:`gelu` (tanh approximation) with respect to ``z``.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math::
        \operatorname{GELU}'(z) = \tfrac12 (1 + \tanh u)
        + \tfrac12 z \,(1 - \tanh^2 u)\, \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\, z^{2})

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(gelu_grad(np.array([-1.0, 0.0, 1.0])), 4))
    [-0.083  0.5    1.083]
    """
    z, xp = _float(z, "gelu_grad")
    z = xp.clip(z, -_GELU_SAT, _GELU_SAT)  # the same values: 1 - t^2 is exactly 0 beyond
    t = xp.tanh(_GELU_C * z * (1.0 + _GELU_K * z * z))
    du = _GELU_C * (1.0 + 3.0 * _GELU_K * z * z)
    return 0.5 * (1.0 + t) + (0.5 * z * (1.0 - t * t)) * du


def silu(z: Array) -> Array:
    r"""SiLU (also called swish): :math:`z\,\sigma(z)`.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{SiLU}(z) = z\,\sigma(z) = \frac{z}{1 + e^{-z}}

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(silu(np.array([-1.0, 0.0, 1.0])), 4))
    [-0.2689  0.      0.7311]
    """
    z, xp = _float(z, "silu")
    # below -cutoff sigmoid(z) is exactly 0, so clipping there changes no result; it keeps
    # -inf * 0 = NaN away (the limit is 0)
    return xp.maximum(z, -_exp_cutoff(z.dtype, xp)) * sigmoid(z)


def silu_grad(z: Array) -> Array:
    r"""Derivative of :func:`silu` with respect to ``z``.

    Parameters
    ----------
    z : array (...)
        Pre-activations.

    Returns
    -------
    array (...)
        Same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{SiLU}'(z) = \sigma(z) + z\,\sigma(z)(1 - \sigma(z))
              = \sigma(z)\,\bigl(1 + z(1 - \sigma(z))\bigr)

    See Chapter 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(silu_grad(np.array([-1.0, 0.0, 1.0])), 4))
    [0.0723 0.5    0.9277]
    """
    z, xp = _float(z, "silu_grad")
    s = sigmoid(z)
    c = _exp_cutoff(z.dtype, xp)
    z = xp.clip(z, -c, c)  # beyond, s is exactly 0 or 1: the same values, no inf * 0
    return s * (1.0 + z * (1.0 - s))


# --------------------------------------------------------------------------- softmax
def softmax(z: Array, axis: int = -1) -> Array:
    r"""Softmax along ``axis``: non-negative entries that sum to 1.

    Parameters
    ----------
    z : array (..., C)
        Scores (logits), at least 1-D.
    axis : int
        The axis that holds the classes (the last one by default).

    Returns
    -------
    array (..., C)
        Probabilities, same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}
              = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \quad m = \max_j z_j

    Subtracting the maximum changes nothing mathematically and keeps every
    exponent :math:`\le 0`, so nothing overflows. See Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(softmax(np.array([[1.0, 2.0, 3.0]])), 4))
    [[0.09   0.2447 0.6652]]
    """
    z, xp = _float(z, "softmax")
    axis = _axis("softmax", axis, z)
    d = _minus_max(z, axis, xp)  # z - m: <= 0, with a 0 in every slice
    e = _exp_neg(-d, xp)         # e^{z - m} in [0, 1]
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Array, axis: int = -1) -> Array:
    r"""The logarithm of :func:`softmax`, computed without forming the softmax.

    Parameters
    ----------
    z : array (..., C)
        Scores (logits), at least 1-D.
    axis : int
        The axis that holds the classes.

    Returns
    -------
    array (..., C)
        Log-probabilities (all :math:`\le 0`), same shape, dtype and backend as ``z``.

    Notes
    -----
    .. math:: \log \operatorname{softmax}(z)_i = (z_i - m) - \log \sum_j e^{z_j - m},
              \quad m = \max_j z_j

    Finite even where the softmax itself rounds to 0. See Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(log_softmax(np.array([0.0, 0.0])), 4))
    [-0.6931 -0.6931]
    """
    z, xp = _float(z, "log_softmax")
    axis = _axis("log_softmax", axis, z)
    d = _minus_max(z, axis, xp)  # z - m: <= 0, with a 0 in every slice
    return d - xp.log(xp.sum(_exp_neg(-d, xp), axis=axis, keepdims=True))


def softmax_and_log_softmax(z: Array, axis: int = -1) -> tuple[Array, Array]:
    r""":func:`softmax` and :func:`log_softmax` of ``z`` together, for the price of one.

    Parameters
    ----------
    z : array (..., C)
        Scores (logits), at least 1-D.
    axis : int
        The axis that holds the classes.

    Returns
    -------
    p, log_p : arrays (..., C)
        ``softmax(z, axis)`` and ``log_softmax(z, axis)``, bit for bit.

    Notes
    -----
    Both share :math:`m = \max_j z_j`, :math:`e^{z - m}` and :math:`s = \sum_j e^{z_j - m}`:
    :math:`\operatorname{softmax}(z) = e^{z - m} / s` and
    :math:`\log \operatorname{softmax}(z) = (z - m) - \log s`. A softmax cross-entropy needs
    the logarithm for its value and the softmax for its gradient
    (:class:`~dnnlib.losses.SoftmaxCrossEntropy`); computing them apart would do the
    shared work twice.

    Examples
    --------
    >>> import numpy as np
    >>> p, log_p = softmax_and_log_softmax(np.array([0.0, 0.0]))
    >>> print(p, np.round(log_p, 4))
    [0.5 0.5] [-0.6931 -0.6931]
    """
    z, xp = _float(z, "softmax_and_log_softmax")
    axis = _axis("softmax_and_log_softmax", axis, z)
    d = _minus_max(z, axis, xp)  # z - m: <= 0, with a 0 in every slice
    e = _exp_neg(-d, xp)         # e^{z - m} in [0, 1]
    s = xp.sum(e, axis=axis, keepdims=True)
    return e / s, d - xp.log(s)


# --------------------------------------------------------------------------- losses
def binary_cross_entropy(p: Array, y: Array) -> Array:
    r"""Binary cross-entropy of probabilities ``p`` against targets ``y``, averaged.

    Parameters
    ----------
    p : array (...)
        Predicted probabilities in ``[0, 1]`` (a sigmoid's output).
    y : array (...)
        Targets in ``[0, 1]`` (usually 0.0 or 1.0), same shape as ``p``; cast to
        ``p``'s dtype.

    Returns
    -------
    array ()
        The mean loss over all entries, a 0-D array of ``p``'s dtype and backend.

    Raises
    ------
    ValueError
        ``p`` or ``y`` outside ``[0, 1]`` (NaN included for ``y``), shapes differ, or
        empty. A NaN in ``p`` (a diverged model) gives a NaN loss instead.
    TypeError
        Integer or float16 arrays, or arrays from two backends.

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{i=1}^{N} \bigl[ y_i \log p_i + (1 - y_i)\log(1 - p_i)
              \bigr], \qquad \frac{\partial L}{\partial p_i} = \frac{1}{N}
              \frac{p_i - y_i}{p_i (1 - p_i)}

    ``p`` is clipped into ``[tiny, 1 - eps]`` of its dtype (``tiny`` the smallest
    normal number, ``eps`` the machine epsilon) so that ``log(0)`` never happens:
    a certain wrong answer costs :math:`-\log(\text{tiny})` (87 in float32, 708 in
    float64) for :math:`p = 0` and :math:`-\log(\text{eps})` (16 and 36) for
    :math:`p = 1`, instead of infinity. Prefer :func:`binary_cross_entropy_with_logits`
    when you have the logits. See Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0])), 4))
    0.1643
    """
    fn = "binary_cross_entropy"
    p, y, xp = _pair(fn, p, y, "p", "y")
    _in_unit_interval(fn, p, "p", xp, nan_ok=True)  # a NaN prediction gives a NaN loss
    _in_unit_interval(fn, y, "y", xp)
    info = xp.finfo(p.dtype)
    p = xp.clip(p, float(info.smallest_normal), 1.0 - float(info.eps))
    return -xp.mean(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))


def binary_cross_entropy_with_logits(z: Array, y: Array) -> Array:
    r"""Binary cross-entropy of :math:`\sigma(z)` against ``y``, from the logits ``z``.

    Parameters
    ----------
    z : array (...)
        Logits (pre-sigmoid scores), any real values.
    y : array (...)
        Targets in ``[0, 1]``, same shape as ``z``; cast to ``z``'s dtype.

    Returns
    -------
    array ()
        The mean loss over all entries, a 0-D array of ``z``'s dtype and backend.

    Raises
    ------
    ValueError
        ``y`` outside ``[0, 1]`` (NaN included), shapes differ, or empty.
    TypeError
        Integer arrays, or arrays from two backends.

    Notes
    -----
    With :math:`p = \sigma(z)`, :math:`-\log \sigma(z) = \operatorname{softplus}(-z)` and
    :math:`-\log(1 - \sigma(z)) = \operatorname{softplus}(z)`, so the loss of
    :func:`binary_cross_entropy` becomes

    .. math:: L = \frac{1}{N} \sum_{i=1}^{N} \bigl[y_i \operatorname{softplus}(-z_i)
              + (1 - y_i) \operatorname{softplus}(z_i)\bigr]
              = \frac{1}{N} \sum_{i=1}^{N} \bigl[\operatorname{softplus}(z_i) - z_i y_i\bigr],
              \qquad \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - y_i}{N}

    with the stable :func:`softplus`. It is exact and finite for every finite ``z``: a
    huge correct logit costs 0, a huge wrong one costs :math:`|z|`. The first form
    also gives the limits for infinite logits (a term of weight 0 adds 0, as in
    :math:`0 \log 0 = 0`): ``z = inf`` costs 0 for ``y = 1`` and ``inf`` otherwise.
    NaN logits give a NaN loss (a diverged model should be visible). See Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0])), 4))
    0.6931
    """
    fn = "binary_cross_entropy_with_logits"
    z, y, xp = _pair(fn, z, y, "z", "y")
    _in_unit_interval(fn, y, "y", xp)
    # -log sigma(z) = softplus(-z), -log(1 - sigma(z)) = softplus(z); weight 0 adds 0
    return xp.mean(_weighted(y, softplus(-z), xp) + _weighted(1.0 - y, softplus(z), xp))


def softmax_cross_entropy(logits: Array, labels: Array) -> Array:
    r"""Cross-entropy of :math:`\operatorname{softmax}(\text{logits})` against integer labels.

    Parameters
    ----------
    logits : array (N, C)
        Scores for ``C`` classes, one row per example.
    labels : int array (N,)
        The correct class of each example, in ``[0, C - 1]`` (not one-hot, not floats).

    Returns
    -------
    array ()
        The mean loss over the batch, a 0-D array of ``logits``' dtype and backend.

    Raises
    ------
    ValueError
        ``logits`` not 2-D, ``labels`` not 1-D of length ``N``, labels out of range,
        or an empty batch.
    TypeError
        Integer logits, float labels, or arrays from two backends.

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{n=1}^{N} \log \operatorname{softmax}(z_n)_{y_n},
              \qquad \frac{\partial L}{\partial z_{nc}} = \frac{1}{N}\bigl(
              \operatorname{softmax}(z_n)_c - [y_n = c]\bigr)

    computed through :func:`log_softmax`, so it stays finite for any finite logits.
    The label picks its log-probability through a one-hot mask
    :math:`[y_n = c]`. A ``-inf`` logit costs nothing unless it is the label's (then
    the loss is ``inf``); NaN logits give a NaN loss. See Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> print(np.round(softmax_cross_entropy(z, np.array([0, 2])), 4))
    0.6691
    """
    fn = "functional.softmax_cross_entropy"
    logits = as_float_array(logits, fn, "logits", ndim=(2,))
    xp = B.namespace(logits, fn=fn)
    n, c = logits.shape
    labels = as_label_array(labels, fn, "labels", n_classes=c, like=logits)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"{fn}: labels must have shape ({n},) to match logits of shape ({n}, {c}), got "
            f"{tuple(labels.shape)}"
        )
    _non_empty("softmax_cross_entropy", logits, "logits")
    onehot = xp.astype(labels[:, None] == xp.arange(c, dtype=labels.dtype)[None, :], logits.dtype)
    # mean over the batch of the per-example loss (xp.mean keeps float32 on NumPy 1.x too,
    # where a float32 scalar divided by a Python int would become float64); the mask
    # picks one log-probability per row (a -inf elsewhere adds 0, not 0 * -inf = NaN)
    return -xp.mean(xp.sum(_weighted(onehot, log_softmax(logits, axis=1), xp), axis=1))


def mse(pred: Array, target: Array) -> Array:
    r"""Mean squared error over all entries.

    Parameters
    ----------
    pred : array (...)
        Predictions.
    target : array (...)
        Targets, same shape as ``pred`` (no broadcasting); cast to ``pred``'s dtype.

    Returns
    -------
    array ()
        A 0-D array of ``pred``'s dtype and backend.

    Raises
    ------
    ValueError
        Shapes differ, ``target`` holds NaN or infinity, or the arrays are empty.
    TypeError
        Integer arrays, or arrays from two backends.

    Notes
    -----
    .. math:: L = \frac{1}{M} \sum_{i=1}^{M} (\hat y_i - y_i)^2, \qquad
              \frac{\partial L}{\partial \hat y_i} = \frac{2}{M}(\hat y_i - y_i)

    with :math:`M` the number of entries (PyTorch's ``reduction="mean"``). A squared
    error beyond the largest float (``|pred - target|`` above about ``1.8e19`` in
    float32) overflows to ``inf``, and NumPy warns. NaN predictions give NaN. See
    Chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> print(mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    fn = "mse"
    pred, target, xp = _pair(fn, pred, target, "pred", "target")
    if not bool(xp.all(xp.isfinite(target))):
        raise ValueError(f"functional.{fn}: target contains NaN or infinity")
    d = pred - target
    return xp.mean(d * d)


# --------------------------------------------------------------------------- NumPy 1.x
# NumPy 1.x casts by *value*: a 0-d float32 array combined with a Python float gives
# float64 (NumPy 2 keeps float32, NEP 50). Arrays with one or more dimensions are not
# affected. On NumPy 1.x only, every public function above casts a 0-d float64 result
# back to the float dtype of its array inputs (or the default dtype for Python scalars).
# NumPy 2 runs the functions as written. ``inspect.getsource`` (the book prints several
# of them) follows ``__wrapped__``, so readers see the function, not this wrapper.
def _input_float_dtype(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    dts = [a.dtype for a in (*args, *kwargs.values())
           if isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f"]
    return np.result_type(*dts) if dts else np.dtype(B.get_default_dtype())


def _keeps_0d_dtype(f: Any) -> Any:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = f(*args, **kwargs)
        if (isinstance(out, (np.ndarray, np.generic)) and out.ndim == 0
                and out.dtype == np.float64
                and _input_float_dtype(args, kwargs) == np.float32):
            out = out.astype(np.float32)
        return out

    return wrapper


if int(np.__version__.split(".")[0]) < 2:
    for _name in __all__:
        globals()[_name] = _keeps_0d_dtype(globals()[_name])
    del _name
