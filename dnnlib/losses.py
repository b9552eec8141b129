"""Loss objects: the value in ``forward``, the gradient in ``backward`` (chapter 3).

Each loss follows the layer protocol: ``loss = L.forward(out, y)`` returns a 0-d
array (the mean over the batch) and keeps what the gradient needs;
``dout = L.backward()`` returns :math:`\\partial L / \\partial\\, \\text{out}`, shaped
like ``out`` and already divided by the batch size, ready for ``model.backward``.
The values come from :mod:`dnnlib.functional` (``log_softmax``, ``binary_cross_entropy``...).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend as B
from . import functional as F
from ._validation import as_float_array, as_label_array, check_same_length, is_floating

__all__ = ["Loss", "BinaryCrossEntropy", "SoftmaxCrossEntropy", "MSE"]


class Loss:
    """Base class: ``forward(out, y)`` -> 0-d array, ``backward()`` -> ``dout``, ``__call__``.

    ``forward`` checks its arguments first, with :meth:`check_input` (readers call it by
    hand: it is the door); the rest of ``forward`` and ``backward`` are the math.
    Each loss also says how to count right predictions (:meth:`count_correct`, when
    :attr:`has_accuracy`) and which targets it accepts (:meth:`check_targets`).
    """

    #: Whether :meth:`count_correct` counts right predictions (False: no accuracy, MSE).
    has_accuracy: bool = False

    def __init__(self) -> None:
        self.cache: Any = None

    def forward(self, out: Any, y: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, out: Any, y: Any) -> Any:
        return self.forward(out, y)

    def check_input(self, out: Any, y: Any) -> tuple[Any, Any]:
        """``(out, y)`` as this loss computes with them, or a clear error naming its
        ``forward``. The base class checks that ``out`` is an array of floats."""
        return as_float_array(out, f"{type(self).__name__}.forward", "out"), y

    def count_correct(self, out: Any, y: Any) -> tuple[Any, int] | None:
        """``(correct, total)`` for a batch, or ``None`` when this loss defines no accuracy.

        ``correct`` is the number of right predictions as a 0-d integer array (it stays
        on the device: a training loop adds these up and reads the sum once an epoch);
        ``total`` the number of predictions, an int. Accuracy is ``correct / total``.
        ``out`` and ``y`` are what :meth:`forward` accepts.
        """
        return None

    def check_targets(self, y: Any, fn: str, name: str = "y") -> Any:
        """``y`` (all targets of a run, an array) if this loss accepts it, else a clear error.

        ``fit`` and ``evaluate`` call it once for the whole data set. The base class
        accepts any array; a loss with stricter targets overrides it.
        """
        return y

    @property
    def saved(self) -> Any:
        """What ``forward`` kept for ``backward`` (:attr:`cache`), as for a layer.

        Raises a clear ``RuntimeError`` when ``backward`` comes before any ``forward``.
        """
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward before backward")
        return self.cache

    _require_cache = saved.fget  # the name chapter 3 printed before: kept for one release

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _targets(out: Any, y: Any, fn: str, *, allow_int: bool) -> Any:
    """Float targets shaped like ``out`` (``(N,)`` accepted for ``(N, 1)``), ``out``'s dtype."""
    if not B.is_array(y):
        y = B.asarray(y, like=out)
    xp = B.namespace(out, y, fn=fn)
    if xp.isdtype(y.dtype, "bool") or xp.isdtype(y.dtype, "integral"):
        if not allow_int:
            raise TypeError(f"{fn}: y must have a floating dtype, got "
                            f"{B.dtype_name(y.dtype)}")
        y = xp.astype(y, out.dtype)
    y = as_float_array(y, fn, "y")
    if out.ndim == 2 and out.shape[1] == 1 and y.ndim == 1 and y.shape[0] == out.shape[0]:
        y = xp.reshape(y, (-1, 1))
    if tuple(y.shape) != tuple(out.shape):
        raise ValueError(f"{fn}: y must have the shape of out {tuple(out.shape)}, "
                         f"got {tuple(y.shape)}")
    if y.dtype != out.dtype:
        y = xp.astype(y, out.dtype)
    return y


def _size(x: Any) -> int:
    n = 1
    for s in x.shape:
        n *= int(s)
    return n


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy, from probabilities or (more stably) from logits.

    Parameters
    ----------
    from_logits : bool, default False
        ``False``: ``out`` holds probabilities :math:`p = \sigma(z)` (after a
        :class:`~dnnlib.layers.Sigmoid`). ``True``: ``out`` holds the logits :math:`z`
        (PyTorch's ``BCEWithLogitsLoss``), which is stable for large :math:`|z|`.

    Notes
    -----
    Chapter 3. NaN in ``out`` (a diverged model) gives a NaN loss, never an error;
    targets outside ``[0, 1]`` or NaN raise ``ValueError``. For ``out`` of shape
    ``(N, 1)`` (or ``(N,)``) and targets
    :math:`y_n \in [0, 1]` of shape ``(N,)`` or ``(N, 1)``,

    .. math::
        L = -\frac{1}{N} \sum_n \big[y_n \log p_n + (1 - y_n) \log(1 - p_n)\big],

    with gradients

    .. math::
        \frac{\partial L}{\partial p_n} = \frac{1}{N}\,\frac{p_n - y_n}{p_n (1 - p_n)}
        \quad\text{(probabilities)}, \qquad
        \frac{\partial L}{\partial z_n} = \frac{1}{N}\,\big(\sigma(z_n) - y_n\big)
        \quad\text{(logits)}.

    For ``out`` with several columns the mean runs over all ``N * K`` entries.
    Integer 0/1 targets are cast to ``out``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> bce = BinaryCrossEntropy(from_logits=True)
    >>> z = np.array([[0.0], [0.0]])
    >>> float(bce(z, np.array([0, 1])))        # log 2
    0.6931471805599453
    >>> bce.backward()
    array([[ 0.25],
           [-0.25]])
    """

    has_accuracy = True

    def __init__(self, from_logits: bool = False) -> None:
        super().__init__()
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"BinaryCrossEntropy: from_logits must be a bool, got "
                            f"{type(from_logits).__name__}")
        self.from_logits = bool(from_logits)

    def check_input(self, out: Any, y: Any) -> tuple[Any, Any]:
        """``out`` floats ``(N, 1)`` or ``(N,)`` (in ``[0, 1]`` or NaN unless
        ``from_logits``), ``y`` targets in ``[0, 1]`` shaped like ``out``, its dtype."""
        fn = "BinaryCrossEntropy.forward"
        out = as_float_array(out, fn, "out", ndim=(1, 2))
        y = _targets(out, y, fn, allow_int=True)
        xp = B.namespace(out, y, fn=fn)
        if not bool(xp.all((y >= 0.0) & (y <= 1.0))):
            raise ValueError(f"{fn}: y must lie in [0, 1], got values from "
                             f"{float(xp.min(y))} to {float(xp.max(y))}")
        in_range = (out >= 0.0) & (out <= 1.0) | xp.isnan(out)  # NaN: a diverged model
        if not self.from_logits and not bool(xp.all(in_range)):
            raise ValueError(f"{fn}: out must be probabilities in [0, 1] (use "
                             "from_logits=True for logits), got values from "
                             f"{float(xp.min(out))} to {float(xp.max(out))}")
        return out, y

    def forward(self, out: Any, y: Any) -> Any:
        """``out``: ``(N, 1)`` or ``(N,)``; ``y``: ``(N,)`` or like ``out`` -> 0-d loss."""
        out, y = self.check_input(out, y)
        self.cache = (out, y)
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(out, y)
        return F.binary_cross_entropy(out, y)

    def backward(self) -> Any:
        """``dout``: like ``out``, already divided by the number of entries."""
        out, y = self.saved
        n = _size(out)
        if self.from_logits:
            return (F.sigmoid(out) - y) / n
        xp = B.namespace(out, fn="BinaryCrossEntropy.backward")
        info = xp.finfo(out.dtype)  # the same clipping as functional.binary_cross_entropy
        p = xp.clip(out, float(info.smallest_normal), 1.0 - float(info.eps))
        return (p - y) / (p * (1.0 - p)) / n

    def count_correct(self, out: Any, y: Any) -> tuple[Any, int]:
        """Predictions ``out > 0.5`` (probabilities) or ``out > 0`` (logits) against
        ``y > 0.5``, entry by entry: ``total`` is the number of entries of ``out``."""
        xp = B.namespace(out, y)
        pred = xp.reshape(out > (0.0 if self.from_logits else 0.5), (-1,))
        truth = y > 0.5 if is_floating(xp, y) else y != 0
        hit = pred == xp.reshape(truth, (-1,))
        return xp.sum(xp.astype(hit, xp.int64)), _size(out)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(from_logits={self.from_logits})"


class SoftmaxCrossEntropy(Loss):
    r"""Softmax followed by the cross-entropy with integer class labels.

    Takes logits (no softmax layer before it), like PyTorch's ``CrossEntropyLoss``.

    Notes
    -----
    Chapter 3. For logits ``out`` :math:`Z` of shape ``(N, C)`` and labels
    :math:`y_n \in \{0, \dots, C-1\}` of shape ``(N,)``,

    .. math::
        L = -\frac{1}{N}\sum_n \log \mathrm{softmax}(z_n)_{y_n}, \qquad
        \frac{\partial L}{\partial Z} = \frac{1}{N}\big(\mathrm{softmax}(Z) - Y\big),

    where :math:`Y` is the one-hot encoding of the labels.

    Examples
    --------
    >>> import numpy as np
    >>> ce = SoftmaxCrossEntropy()
    >>> z = np.zeros((2, 4))
    >>> round(float(ce(z, np.array([1, 3]))), 6)    # log 4
    1.386294
    >>> ce.backward()
    array([[ 0.125, -0.375,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """

    has_accuracy = True

    def check_targets(self, y: Any, fn: str, name: str = "y") -> Any:
        """Integer class labels of shape ``(N,)`` (their range is checked per batch)."""
        xp = B.namespace(y, fn=fn)
        if not xp.isdtype(y.dtype, "integral"):
            raise TypeError(f"{fn}: {name} must be integer class labels (int64) for "
                            f"SoftmaxCrossEntropy, got dtype {B.dtype_name(y.dtype)}")
        if y.ndim != 1:
            raise ValueError(f"{fn}: {name} must be 1-D class labels (N,) for "
                             f"SoftmaxCrossEntropy, got shape {tuple(y.shape)}")
        return y

    def check_input(self, out: Any, y: Any) -> tuple[Any, Any]:
        """``(out, y)``: float logits ``(N, C)`` with ``N >= 1``, integer labels ``(N,)`` in
        ``[0, C - 1]``, or a clear error naming ``SoftmaxCrossEntropy.forward``.

        The door of :meth:`forward`, run once per call (as ``Layer.check_input``).
        """
        fn = "SoftmaxCrossEntropy.forward"
        out = as_float_array(out, fn, "out", ndim=(2,))
        y = as_label_array(y, fn, "y", like=out)
        if y.ndim != 1:
            raise ValueError(f"{fn}: y must be 1-D integer labels of shape (N,), got shape "
                             f"{tuple(y.shape)}")
        check_same_length(out, y, fn, "out", "y")
        if out.shape[0] == 0:
            raise ValueError(f"{fn}: out must not be empty, got shape {tuple(out.shape)}")
        return out, as_label_array(y, fn, "y", n_classes=out.shape[1], like=out)

    def forward(self, out: Any, y: Any) -> Any:
        """``out``: logits ``(N, C)``; ``y``: int labels ``(N,)`` -> 0-d loss."""
        out, y = self.check_input(out, y)
        if _NUMPY_FAST_PATH and type(out) is np.ndarray:
            done = _softmax_cross_entropy_numpy(out, y)
            if done is not None:  # None: an infinite or NaN logit, left to the rule below
                value, self.cache = done
                return value
        xp = B.namespace(out, y)
        hit = xp.reshape(y, (-1, 1)) == xp.arange(out.shape[1], dtype=y.dtype)  # [y_n = c]
        p, log_p = F.softmax_and_log_softmax(out, axis=1)   # one pass for both
        self.cache = (p, xp.astype(hit, out.dtype))          # softmax and one-hot, for backward
        return -xp.mean(xp.sum(xp.where(hit, log_p, 0.0), axis=1))  # mean of -log p_{n, y_n}

    def backward(self) -> Any:
        """``dout``: ``(N, C)``, ``(softmax(out) - onehot(y)) / N``."""
        p, onehot = self.saved          # softmax(out) and one-hot labels, kept by forward
        return (p - onehot) / p.shape[0]

    def count_correct(self, out: Any, y: Any) -> tuple[Any, int]:
        """Predicted class ``argmax(out, axis=1)`` against the label, row by row."""
        xp = B.namespace(out, y)
        hit = xp.argmax(out, axis=1) == xp.astype(y, xp.int64)
        return xp.sum(xp.astype(hit, xp.int64)), int(out.shape[0])


#: Set to False to run the softmax cross-entropy's rule on NumPy too (the tests compare).
_NUMPY_FAST_PATH = True

#: functional's exp cut-off (``exp(z)`` is set to 0 below ``-cutoff``), by dtype.
_EXP_CUTOFF = {np.dtype(t): -math.log(float(np.finfo(t).smallest_normal)) - 10.0
               for t in ("float32", "float64")}


def _softmax_cross_entropy_numpy(z: np.ndarray, y: np.ndarray
                                 ) -> tuple[Any, tuple[np.ndarray, np.ndarray]] | None:
    """:meth:`SoftmaxCrossEntropy.forward` as a NumPy kernel: ``(value, (p, onehot))``.

    The rule's numbers bit for bit (tested) in half its array operations, which matters
    because the loss runs between the network's GEMMs, with cold caches: the same
    ``z - m``, ``exp`` cut off at :data:`_EXP_CUTOFF`, sum, ``log`` and mean; the
    label's log-probability is picked by index instead of through a mask. ``None``
    when a row's maximum is not finite (the rule takes the limits).
    """
    m = z.max(axis=1, keepdims=True)
    if not np.isfinite(m).all():
        return None
    n, cut = z.shape[0], _EXP_CUTOFF[z.dtype]
    d = z - m                                   # <= 0, a 0 in every row
    p = np.maximum(d, -cut)
    np.exp(p, out=p)
    p[d < -cut] = 0.0                           # exactly 0 where exp would underflow
    s = p.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    log_p_y = d[rows, y] - np.log(s[:, 0])      # the labels' log-probabilities
    value = -z.dtype.type(log_p_y.sum() / n)    # their mean, as numpy.mean computes it
    p /= s                                      # the softmax
    onehot = np.zeros_like(z)
    onehot[rows, y] = 1.0
    return value, (p, onehot)


class MSE(Loss):
    r"""Mean squared error over all entries.

    Notes
    -----
    Chapter 3. For predictions ``out`` and targets ``y`` of the same shape
    (``(N,)`` is accepted for ``out`` of shape ``(N, 1)``), with :math:`M` entries,

    .. math::
        L = \frac{1}{M}\sum_i (\text{out}_i - y_i)^2, \qquad
        \frac{\partial L}{\partial\, \text{out}} = \frac{2}{M}(\text{out} - y).

    Examples
    --------
    >>> import numpy as np
    >>> mse = MSE()
    >>> float(mse(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])))
    2.5
    >>> mse.backward()
    array([[1.],
           [2.]])
    """

    def check_input(self, out: Any, y: Any) -> tuple[Any, Any]:
        """``out`` floats of any shape, ``y`` float targets of its shape (``(N,)`` accepted
        for ``(N, 1)``), cast to its dtype."""
        fn = "MSE.forward"
        out = as_float_array(out, fn, "out")
        return out, _targets(out, y, fn, allow_int=False)

    def forward(self, out: Any, y: Any) -> Any:
        """``out``: any shape; ``y``: same shape -> 0-d loss."""
        out, y = self.check_input(out, y)
        self.cache = (out, y)
        return F.mse(out, y)

    def backward(self) -> Any:
        """``dout``: like ``out``, ``2 (out - y) / M``."""
        out, y = self.saved
        return 2.0 * (out - y) / _size(out)
