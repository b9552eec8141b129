"""Data sets and the small tools around them (chapters 2, 4, 6, 7).

* Synthetic 2-D problems, seeded and created on the current backend:
  :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`, :func:`make_xor`,
  :func:`make_blobs`. Each returns ``X`` of shape ``(N, 2)`` in the default float dtype
  and integer labels ``y`` of shape ``(N,)`` (int64). Points are drawn on the host
  from ``rng`` (a Generator, an int seed or None), so one seed gives the same data on
  every backend.
* A real data set that needs no network: :func:`load_digits`, the 8x8 handwritten
  digits (1797 images) shipped inside the package (``dnnlib/datasets/digits.npz``,
  CC BY 4.0, see the README there), checked by its sha256 before use.
* :func:`load_mnist`: MNIST or Fashion-MNIST, downloaded once into a cache folder
  (``~/.cache/dnnlib``, or ``$DNNLIB_CACHE``, or ``root=``), sha256-verified, written
  atomically, read from the IDX files (:func:`read_idx`).
* Helpers: :func:`train_test_split`, :func:`standardize` / :class:`Standardizer`,
  :func:`one_hot`, :func:`batches`.

Examples
--------
>>> import dnnlib as dl
>>> X, y = make_moons(100, noise=0.1, rng=0)
>>> X.shape, y.shape, str(X.dtype), str(y.dtype)
((100, 2), (100,), 'float32', 'int64')
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import struct
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import backend as B
from ._fileio import temp_beside
from ._validation import (
    FLOAT_DTYPES,
    _dtype_str,
    as_float_array,
    as_path,
    check_bool,
    check_float,
    check_int,
    check_same_length,
)

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "make_blobs",
    "load_digits",
    "load_digit_images",
    "load_mnist",
    "load_mnist1d",
    "read_idx",
    "cache_dir",
    "ChecksumError",
    "train_test_split",
    "Standardizer",
    "standardize",
    "one_hot",
    "batches",
]


# --------------------------------------------------------------------------- helpers
def _finish(X: np.ndarray, y: np.ndarray, g: np.random.Generator, shuffle: bool,
            fn: str = "data") -> tuple[Any, Any]:
    """Shuffle on the host, then move to the current backend (X default dtype, y int64)."""
    if check_bool(shuffle, fn, "shuffle"):
        p = g.permutation(X.shape[0])
        X, y = X[p], y[p]
    return _floats(X, fn), B.asarray(y.astype(np.int64))


def _floats(X: np.ndarray, fn: str = "data") -> Any:
    """A host array as floats of the default dtype on the current backend.

    Values beyond that dtype's range (a noise of 1e38 in float32) raise ValueError
    instead of silently becoming infinity.
    """
    top = float(np.finfo(B.get_default_dtype()).max)
    if X.size and not float(np.abs(X).max()) <= top:   # float(): no float32 cast of top
        raise ValueError(f"{fn}: the data reach {float(np.abs(X).max()):.3g}, beyond the range of "
                         f"{B.get_default_dtype()} ({top:.3g}); use a smaller noise or scale")
    return B.asarray(X, dtype=B.default_dtype())


def _common(n_samples: Any, noise: Any, rng: Any, fn: str, minimum: int = 1
            ) -> tuple[int, float, np.random.Generator]:
    n = check_int(n_samples, fn, "n_samples", minimum=minimum)
    s = check_float(noise, fn, "noise", low=0.0, high=1e300)  # no overflow in s * N(0, 1)
    return n, s, B.as_generator(rng, fn=fn)


# --------------------------------------------------------------------------- synthetic sets
def make_moons(n_samples: int = 200, *, noise: float = 0.1, rng: Any = None,
               shuffle: bool = True) -> tuple[Any, Any]:
    r"""Two interleaving half circles (class 0 on top, class 1 below).

    Parameters
    ----------
    n_samples : int
        Total number of points ``N`` (>= 2); class 0 gets ``N // 2``.
    noise : float
        Standard deviation of Gaussian noise added to each coordinate.
    rng : numpy.random.Generator, int or None
    shuffle : bool
        Shuffle the rows (otherwise class 0 comes first).

    Returns
    -------
    X : array, (N, 2), default float dtype
    y : array, (N,), int64 in {0, 1}

    Notes
    -----
    Class 0: :math:`(\cos t, \sin t)`, class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`,
    :math:`t` evenly spaced in :math:`[0, \pi]` (as scikit-learn's; Chapter 2).

    Examples
    --------
    >>> X, y = make_moons(6, noise=0.0, shuffle=False)
    >>> y.tolist()
    [0, 0, 0, 1, 1, 1]
    """
    n, s, g = _common(n_samples, noise, rng, "make_moons", minimum=2)
    n0 = n // 2
    n1 = n - n0
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    X = X + s * g.standard_normal(X.shape)
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, g, shuffle, "make_moons")


def make_circles(n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5,
                 rng: Any = None, shuffle: bool = True) -> tuple[Any, Any]:
    r"""A small circle (class 1) inside a large one (class 0).

    Parameters
    ----------
    n_samples : int
        Total number of points ``N`` (>= 2).
    noise : float
        Standard deviation of Gaussian noise added to each coordinate.
    factor : float
        Radius of the inner circle, in (0, 1); the outer has radius 1.
    rng : numpy.random.Generator, int or None
    shuffle : bool

    Returns
    -------
    X : array, (N, 2)
    y : array, (N,), int64 in {0, 1}

    Notes
    -----
    Not linearly separable in :math:`(x_1, x_2)`, separable in :math:`x_1^2 + x_2^2`
    (Chapter 2).

    Examples
    --------
    >>> X, y = make_circles(50, noise=0.0, rng=0)
    >>> import dnnlib as dl, numpy as np
    >>> r = np.hypot(*dl.to_numpy(X).T)
    >>> np.allclose(r[dl.to_numpy(y) == 1], 0.5)
    True
    """
    n, s, g = _common(n_samples, noise, rng, "make_circles", minimum=2)
    f = check_float(factor, "make_circles", "factor", low=0.0, high=1.0, low_open=True,
                    high_open=True)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        f * np.stack([np.cos(t1), np.sin(t1)], 1)])
    X = X + s * g.standard_normal(X.shape)
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, g, shuffle, "make_circles")


def make_spirals(n_samples: int = 300, arms: int = 3, *, noise: float = 0.2,
                 turns: float = 0.75, rng: Any = None, shuffle: bool = True
                 ) -> tuple[Any, Any]:
    r"""``arms`` interleaved spirals, one class per arm (CS231n's toy problem).

    Parameters
    ----------
    n_samples : int
        Total number of points ``N`` (>= ``arms``), shared as evenly as possible.
    arms : int
        Number of arms = number of classes ``C`` (>= 2).
    noise : float
        Standard deviation of Gaussian noise added to the *angle* (radians).
    turns : float
        How many full turns each arm makes (> 0).
    rng : numpy.random.Generator, int or None
    shuffle : bool

    Returns
    -------
    X : array, (N, 2), inside the unit disc (up to the noise)
    y : array, (N,), int64 in {0, ..., C-1}

    Notes
    -----
    Arm :math:`k` at radius :math:`r \in [0, 1]`: angle
    :math:`\theta = 2\pi k / C + 2\pi\,\text{turns}\; r + \varepsilon`,
    point :math:`r(\cos\theta, \sin\theta)` (Chapter 2).

    Examples
    --------
    >>> X, y = make_spirals(90, arms=3, rng=0)
    >>> import numpy as np, dnnlib as dl
    >>> np.bincount(dl.to_numpy(y)).tolist()
    [30, 30, 30]
    """
    c = check_int(arms, "make_spirals", "arms", minimum=2)
    n, s, g = _common(n_samples, noise, rng, "make_spirals", minimum=c)
    tw = check_float(turns, "make_spirals", "turns", low=0.0, low_open=True)
    counts = [n // c + (1 if k < n % c else 0) for k in range(c)]
    xs, ys = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        theta = 2 * np.pi * k / c + 2 * np.pi * tw * r + s * g.standard_normal(m)
        xs.append(np.stack([r * np.cos(theta), r * np.sin(theta)], 1))
        ys.append(np.full(m, k))
    return _finish(np.concatenate(xs), np.concatenate(ys), g, shuffle, "make_spirals")


def make_xor(n_samples: int = 200, *, noise: float = 0.2, rng: Any = None,
             shuffle: bool = True) -> tuple[Any, Any]:
    r"""The XOR problem: noisy copies of the four corners of the unit square.

    Parameters
    ----------
    n_samples : int
        Total number of points ``N`` (>= 4); corner ``i % 4`` for point ``i``.
    noise : float
        Standard deviation of Gaussian noise around each corner.
    rng : numpy.random.Generator, int or None
    shuffle : bool

    Returns
    -------
    X : array, (N, 2)
    y : array, (N,), int64: 1 where exactly one coordinate's corner is 1

    Notes
    -----
    :math:`y = x_1 \oplus x_2` on the corners :math:`\{0, 1\}^2`; no single line
    separates the classes (Minsky & Papert; Chapter 2).

    Examples
    --------
    >>> X, y = make_xor(4, noise=0.0, shuffle=False)
    >>> import dnnlib as dl
    >>> dl.to_numpy(X).tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n, s, g = _common(n_samples, noise, rng, "make_xor", minimum=4)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    idx = np.arange(n) % 4
    X = corners[idx] + s * g.standard_normal((n, 2))
    y = np.array([0, 1, 1, 0])[idx]
    return _finish(X, y, g, shuffle, "make_xor")


def make_blobs(n_samples: int = 300, centers: Any = 3, *, noise: float = 1.0,
               center_box: tuple[float, float] = (-5.0, 5.0), rng: Any = None,
               shuffle: bool = True) -> tuple[Any, Any]:
    r"""Isotropic Gaussian blobs, one class per centre.

    Parameters
    ----------
    n_samples : int
        Total number of points ``N`` (>= number of centres).
    centers : int or array-like, (C, 2)
        The number of centres (drawn uniformly in ``center_box``) or the centres.
    noise : float
        Standard deviation of each blob.
    center_box : (float, float)
        Bounds for random centres.
    rng : numpy.random.Generator, int or None
    shuffle : bool

    Returns
    -------
    X : array, (N, 2)
    y : array, (N,), int64 in {0, ..., C-1}

    Notes
    -----
    :math:`x \sim \mathcal N(\mu_y, \sigma^2 I)` (Chapter 3's softmax classifier).

    Examples
    --------
    >>> X, y = make_blobs(40, centers=[[0.0, 0.0], [5.0, 5.0]], noise=0.1, rng=0)
    >>> import dnnlib as dl
    >>> bool(abs(dl.to_numpy(X)[dl.to_numpy(y) == 1].mean() - 5.0) < 0.1)
    True
    """
    fn = "make_blobs"
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        c = check_int(centers, fn, "centers", minimum=1)
        mu = None
    else:
        try:
            mu = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{fn}: centers must be an int or an array of shape (C, 2), "
                            f"got {type(centers).__name__}") from None
        if mu.ndim != 2 or mu.shape[1] != 2 or mu.shape[0] < 1:
            raise ValueError(f"{fn}: centers must have shape (C, 2), got {mu.shape}")
        c = mu.shape[0]
    n, s, g = _common(n_samples, noise, rng, fn, minimum=c)
    if mu is None:
        lo, hi = (check_float(v, fn, "center_box") for v in center_box)
        if not lo < hi:
            raise ValueError(f"{fn}: center_box must be (low, high) with low < high, "
                             f"got {center_box!r}")
        mu = g.uniform(lo, hi, size=(c, 2))
    counts = [n // c + (1 if k < n % c else 0) for k in range(c)]
    y = np.repeat(np.arange(c), counts)
    X = mu[y] + s * g.standard_normal((n, 2))
    return _finish(X, y, g, shuffle, "make_blobs")


# --------------------------------------------------------------------------- splitting
def _split_indices(n: int, test_size: Any, g: np.random.Generator, labels: np.ndarray | None,
                   fn: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(test_size, (float, np.floating)):
        frac = check_float(test_size, fn, "test_size", low=0.0, high=1.0, low_open=True,
                           high_open=True)
        n_test = None
    else:
        n_test = check_int(test_size, fn, "test_size", minimum=1)
        if n_test >= n:
            raise ValueError(f"{fn}: test_size must be < the number of rows {n}, got {n_test}")
        frac = n_test / n
    if labels is None:
        perm = g.permutation(n)
        k = n_test if n_test is not None else int(round(frac * n))
        k = min(max(k, 1), n - 1)
        return np.sort(perm[k:]), np.sort(perm[:k])
    test = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[g.permutation(idx.size)]
        k = int(round(frac * idx.size))
        if k == 0 or k == idx.size:
            part = "test" if k == 0 else "training"
            raise ValueError(
                f"{fn}: stratify=True cannot keep class {c} ({idx.size} rows) in both parts: "
                f"test_size={test_size!r} gives it {k} test rows, so the {part} part would "
                f"miss it; use a larger data set, a test_size between {1 / idx.size:.3g} and "
                f"{1 - 1 / idx.size:.3g} for this class, or stratify=False")
        test.append(idx[:k])
    test_idx = np.sort(np.concatenate(test))
    mask = np.ones(n, bool)
    mask[test_idx] = False
    return np.flatnonzero(mask), test_idx


def train_test_split(X: Any, y: Any, *, test_size: float | int = 0.25, rng: Any = None,
                     stratify: bool = False) -> tuple[Any, Any, Any, Any]:
    """Split rows into a training and a test part (scikit-learn's order of outputs).

    Parameters
    ----------
    X : array, (N, ...)
    y : array, (N, ...)
    test_size : float in (0, 1) or int
        The fraction (or number) of rows for the test part.
    rng : numpy.random.Generator, int or None
    stratify : bool
        Keep each class's proportion in both parts (``y`` must hold integer labels).
        Every class must then land in both parts: a split that would leave a class
        (or a whole part) empty raises ``ValueError`` instead.

    Returns
    -------
    X_train, X_test, y_train, y_test : arrays on the backend of ``X``
        Rows keep their original order inside each part.

    Examples
    --------
    >>> X, y = make_blobs(100, centers=2, rng=0)
    >>> Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, rng=0)
    >>> Xtr.shape, Xte.shape
    ((80, 2), (20, 2))
    """
    fn = "train_test_split"
    xp = B.namespace(X, y, fn=fn)
    if not (B.is_array(X) and B.is_array(y)):
        raise TypeError(f"{fn}: X and y must be arrays, got {type(X).__name__} and "
                        f"{type(y).__name__}")
    check_same_length(X, y, fn)
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"{fn}: need at least 2 rows to split, got {n}")
    g = B.as_generator(rng, fn=fn)
    labels = None
    if stratify:
        if not xp.isdtype(y.dtype, "integral"):
            raise TypeError(f"{fn}: stratify=True needs integer labels y, got {y.dtype}")
        labels = B.to_numpy(y)
    tr, te = _split_indices(n, test_size, g, labels, fn)
    tr, te = xp.asarray(tr), xp.asarray(te)
    return (xp.take(X, tr, axis=0), xp.take(X, te, axis=0),
            xp.take(y, tr, axis=0), xp.take(y, te, axis=0))


# --------------------------------------------------------------------------- scaling
class Standardizer:
    r"""Per-feature standardisation fitted on training data, applied to any data.

    Attributes
    ----------
    mean : array, (D,)
    std : array, (D,)
        Features with zero spread get ``std = 1`` (they map to 0).

    Notes
    -----
    :math:`\hat x_j = (x_j - \mu_j) / \sigma_j` with :math:`\mu, \sigma` from the
    *training* set only, so no information leaks from the test set (Chapter 6).

    Examples
    --------
    >>> import numpy as np
    >>> s = Standardizer().fit(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> s.transform(np.array([[1.0, 5.0]]))
    array([[0., 4.]])
    """

    def __init__(self) -> None:
        self.mean: Any = None
        self.std: Any = None

    def fit(self, X: Any) -> Standardizer:
        """Learn ``mean`` and ``std`` of each column of ``X`` (N, D); returns self."""
        X = as_float_array(X, "Standardizer.fit", "X", ndim=(2,), finite=True)
        if X.shape[0] == 0:
            raise ValueError("Standardizer.fit: X must have at least one row, got 0")
        xp = B.namespace(X)
        # huge values (beyond ~1e15 in float32) are scaled first so that the squares of
        # the variance do not overflow; other data take the plain formulas, bit for bit
        top = float(xp.max(xp.abs(X))) if X.shape[1] else 0.0
        s = top if top > math.sqrt(float(xp.finfo(X.dtype).max)) * 1e-4 else 1.0
        Xs = X / s if s != 1.0 else X
        self.mean = xp.mean(Xs, axis=0) * s
        std = xp.std(Xs, axis=0) * s
        self.std = xp.where(std > 0, std, xp.ones_like(std))
        return self

    def transform(self, X: Any) -> Any:
        """``(X - mean) / std`` for ``X`` of shape (N, D)."""
        if self.mean is None:
            raise RuntimeError("Standardizer.transform: call fit first")
        X = as_float_array(X, "Standardizer.transform", "X", ndim=(2,))
        if X.shape[1] != self.mean.shape[0]:
            raise ValueError(f"Standardizer.transform: X has {X.shape[1]} features, "
                             f"expected {self.mean.shape[0]}")
        xp = B.namespace(X, self.mean, fn="Standardizer.transform")
        return (X - xp.astype(self.mean, X.dtype)) / xp.astype(self.std, X.dtype)

    def fit_transform(self, X: Any) -> Any:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: ``X * std + mean``."""
        if self.mean is None:
            raise RuntimeError("Standardizer.inverse_transform: call fit first")
        X = as_float_array(X, "Standardizer.inverse_transform", "X", ndim=(2,))
        if X.shape[1] != self.mean.shape[0]:
            raise ValueError(f"Standardizer.inverse_transform: X has {X.shape[1]} features, "
                             f"expected {self.mean.shape[0]}")
        xp = B.namespace(X, self.mean, fn="Standardizer.inverse_transform")
        return X * xp.astype(self.std, X.dtype) + xp.astype(self.mean, X.dtype)


def standardize(X_train: Any, *X_others: Any) -> tuple[Any, ...]:
    """Standardise ``X_train`` with its own statistics and the others with the same.

    Returns
    -------
    tuple
        ``(X_train_std, *X_others_std, scaler)`` where ``scaler`` is the fitted
        :class:`Standardizer` (``scaler.mean``, ``scaler.std``).

    Examples
    --------
    >>> import numpy as np
    >>> Xtr, Xte, s = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> Xtr.ravel().tolist(), Xte.ravel().tolist(), s.mean.tolist()
    ([-1.0, 1.0], [3.0], [2.0])
    """
    scaler = Standardizer().fit(X_train)
    return (scaler.transform(X_train), *(scaler.transform(X) for X in X_others), scaler)


def one_hot(labels: Any, num_classes: int | None = None, *, dtype: Any = None) -> Any:
    r"""Integer labels ``(N,)`` as one-hot rows ``(N, C)`` on the labels' backend.

    Parameters
    ----------
    labels : array of int, (N,)
    num_classes : int, optional
        ``C``; default ``max(labels) + 1``.
    dtype : dtype, optional
        Default: the default float dtype.

    Notes
    -----
    :math:`Y_{ik} = [y_i = k]` (Chapter 3).

    Examples
    --------
    >>> import numpy as np
    >>> one_hot(np.array([0, 2]), 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    from ._validation import as_label_array

    fn = "one_hot"
    y = as_label_array(labels, fn, "labels")
    if y.ndim != 1:
        raise ValueError(f"{fn}: labels must be 1-D, got shape {tuple(y.shape)}")
    xp = B.namespace(y, fn=fn)
    if num_classes is None:
        if y.shape[0] == 0:
            raise ValueError(f"{fn}: num_classes is needed for empty labels")
        num_classes = int(xp.max(y)) + 1
    c = check_int(num_classes, fn, "num_classes", minimum=1)
    y = as_label_array(y, fn, "labels", n_classes=c)
    if dtype is None:
        dt = B.default_dtype(xp)
    elif _dtype_str(dtype) in FLOAT_DTYPES:
        dt = getattr(xp, _dtype_str(dtype))
    else:
        raise ValueError(f"{fn}: dtype must be 'float32' or 'float64' (or None for the "
                         f"default), got {dtype!r}")
    ks = xp.arange(c, dtype=y.dtype)
    return xp.astype(xp.reshape(y, (-1, 1)) == xp.reshape(ks, (1, -1)), dt)


def batches(X: Any, y: Any = None, batch_size: int = 32, *, shuffle: bool = True,
            rng: Any = None, drop_last: bool = False) -> Iterator[tuple[Any, Any]]:
    """Mini-batches ``(X_batch, y_batch)`` covering the data once.

    Parameters
    ----------
    X : array, (N, ...)
    y : array, (N, ...) or None
        ``None`` yields ``(X_batch, None)``.
    batch_size : int
        Rows per batch (>= 1); the last batch may be smaller unless ``drop_last``.
    shuffle : bool
        Visit rows in an order drawn from ``rng`` (otherwise in order, as views).
    rng : numpy.random.Generator, int or None
    drop_last : bool
        Skip a final partial batch.

    Examples
    --------
    >>> import numpy as np
    >>> [xb.shape[0] for xb, _ in batches(np.zeros((10, 2)), None, 4, shuffle=False)]
    [4, 4, 2]
    """
    fn = "batches"
    if not B.is_array(X) or (y is not None and not B.is_array(y)):
        raise TypeError(f"{fn}: X and y must be arrays")
    xp = B.namespace(X, y, fn=fn)
    check_same_length(X, y, fn)
    bs = check_int(batch_size, fn, "batch_size", minimum=1)
    n = X.shape[0]
    order = xp.asarray(B.as_generator(rng, fn=fn).permutation(n)) if shuffle else None
    stop = n - n % bs if drop_last else n
    for i in range(0, stop, bs):
        j = min(i + bs, n)  # the array API leaves out-of-bounds slice ends unspecified
        if order is None:
            yield X[i:j, ...], (None if y is None else y[i:j, ...])
        else:
            idx = order[i:j]
            yield xp.take(X, idx, axis=0), (None if y is None else xp.take(y, idx, axis=0))


# --------------------------------------------------------------------------- digits
_DATA_DIR = Path(__file__).resolve().parent / "datasets"
_DIGITS_FILE = "digits.npz"
_DIGITS_SHA256 = "089d33176bf6819a5c6ebd6746c5293713f4e81c2c8fc52b672e6e15faa78f41"
_SPLITS = ("train", "test", "all")


class ChecksumError(ValueError):
    """A data file's sha256 differs from the published one (corrupted or tampered)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_split(split: Any, fn: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"{fn}: split must be one of {_SPLITS}, got {split!r}")
    return split


def load_digits(split: str = "train", *, as_float: bool = True, test_size: float = 0.25,
                rng: int = 0) -> tuple[Any, Any]:
    r"""The 8x8 handwritten digits (1797 images, 10 classes), offline.

    Parameters
    ----------
    split : {"train", "test", "all"}
        Which part. The split is stratified and fixed by ``rng``: two calls with the
        same ``rng`` and ``test_size`` give disjoint train and test parts.
    as_float : bool
        ``True``: standardised floats (per pixel, with the *training* part's mean and
        std, whatever ``split``), default dtype. ``False``: raw ``uint8`` pixels 0..16.
    test_size : float in (0, 1)
        Fraction of each class held out for testing.
    rng : int
        Seed of the split (an int, so that separate calls agree).

    Returns
    -------
    X : array, (N, 64)
        Row ``i`` is an 8x8 image in row-major order (``X[i].reshape(8, 8)``).
    y : array, (N,), int64 in {0, ..., 9}

    Notes
    -----
    Source: UCI *Optical Recognition of Handwritten Digits* (Alpaydin & Kaynak, 1998),
    CC BY 4.0, via scikit-learn; the file's sha256 is checked before loading.
    Chapter 6 trains on it: :math:`\hat x = (x - \mu_{\text{train}})/\sigma_{\text{train}}`.

    Examples
    --------
    >>> X, y = load_digits("train")
    >>> X.shape, y.shape
    ((1347, 64), (1347,))
    >>> load_digits("test")[0].shape
    (450, 64)
    """
    fn = "load_digits"
    split = _check_split(split, fn)
    as_float = check_bool(as_float, fn, "as_float")
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(f"{fn}: rng must be an int seed (so that the train and test calls "
                        f"agree on the split), got {type(rng).__name__}")
    path = _DATA_DIR / _DIGITS_FILE
    if not path.is_file():  # pragma: no cover - broken installation
        raise FileNotFoundError(f"{fn}: the shipped data file {path} is missing; reinstall "
                                "dnnlib (pip install -e .)")
    digest = _sha256(path)
    if digest != _DIGITS_SHA256:
        raise ChecksumError(f"{fn}: {path} has sha256 {digest}, expected {_DIGITS_SHA256}; "
                            "the file is corrupted: reinstall dnnlib")
    with np.load(path, allow_pickle=False) as f:
        pixels, labels = f["pixels"], f["labels"].astype(np.int64)
    g = B.as_generator(int(rng), fn=fn)
    tr, te = _split_indices(pixels.shape[0], test_size, g, labels, fn)
    idx = {"train": tr, "test": te, "all": np.arange(pixels.shape[0])}[split]
    X = pixels[idx]
    if as_float:
        train = pixels[tr].astype(np.float64)
        mean, std = train.mean(0), train.std(0)
        std[std == 0] = 1.0
        X = (X - mean) / std
        return _floats(X, fn), B.asarray(labels[idx])
    return B.asarray(X), B.asarray(labels[idx])


# --------------------------------------------------------------------------- MNIST
# The cache folder: argument ``root`` > environment variable DNNLIB_CACHE (read once,
# here, at import) > ~/.cache/dnnlib.
_ENV_CACHE = os.environ.get("DNNLIB_CACHE")

_MNIST = {
    "mnist": {
        "folder": "mnist",
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        "files": {
            "train-images-idx3-ubyte.gz":
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz":
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz":
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz":
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    "fashion": {
        "folder": "fashion-mnist",
        # https only; the sha256 of every file is checked whatever the mirror
        "mirrors": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/"
                    "data/fashion/"),
        "files": {
            "train-images-idx3-ubyte.gz":
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz":
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz":
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz":
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    },
}
#: Seconds a connection or a single read may stall before a mirror counts as failed.
_DOWNLOAD_TIMEOUT_S = 60
#: Seconds one file may take in all, every mirror included (a server trickling one byte a
#: second never trips the per-read timeout above).
_DOWNLOAD_DEADLINE_S = 900
#: Bytes one file may have: MNIST's largest is 9.9 MB, Fashion-MNIST's 26 MB. An endless
#: or wrong response stops here instead of filling the disk.
_DOWNLOAD_MAX_BYTES = 64 << 20


def _urlopen(url: str) -> Any:
    """Open ``url`` for reading (the one place that touches the network; tests replace it)."""
    return urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S)


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder for downloaded data: ``root``, else ``$DNNLIB_CACHE``, else ~/.cache/dnnlib.

    Examples
    --------
    >>> cache_dir("/tmp/data")
    PosixPath('/tmp/data')
    """
    if root is not None:
        return as_path(root, "cache_dir", "root").expanduser()
    if _ENV_CACHE:
        return Path(_ENV_CACHE).expanduser()
    return Path.home() / ".cache" / "dnnlib"


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_upto(f: Any, n: int) -> bytes:
    """Up to ``n`` bytes from ``f``, in chunks (a stream may return fewer per read)."""
    parts, got = [], 0
    while got < n:
        chunk = f.read(min(n - got, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _read_idx_stream(f: Any, name: str) -> np.ndarray:
    fn = "read_idx"
    head = _read_upto(f, 4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
        raise ValueError(f"{fn}: {name} is not an IDX file (header {head!r})")
    ndim = head[3]
    raw_dims = _read_upto(f, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(f"{fn}: {name} has a truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    dtype = np.dtype(_IDX_TYPES[head[2]])
    expected = math.prod(dims) * dtype.itemsize
    body = _read_upto(f, expected)  # never more than the header announced
    if len(body) != expected:
        raise ValueError(f"{fn}: {name}: the header announces shape {dims} ({expected} bytes), "
                         f"the file holds {len(body)} bytes")
    if f.read(1):
        raise ValueError(f"{fn}: {name}: the header announces shape {dims} ({expected} bytes), "
                         f"the file holds more bytes")
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(source: str | os.PathLike | bytes) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format), gzip-compressed or not.

    Parameters
    ----------
    source : path or bytes

    Returns
    -------
    numpy.ndarray
        Shape from the header (``(N, 28, 28)`` for images, ``(N,)`` for labels).

    Raises
    ------
    ValueError
        Not an IDX file, a size that disagrees with the header, or a corrupted or
        truncated gzip stream; the message names the file.

    Notes
    -----
    Header: two zero bytes, a type code (``0x08`` unsigned byte, ``0x09`` signed byte,
    ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64), the number of
    dimensions, then each dimension as a big-endian uint32; the data follow.
    The file is read as a stream: the header is checked first, and no more than the
    size it announces (plus one byte) is ever decompressed, so a hostile gzip file
    cannot blow up in memory.

    Examples
    --------
    >>> import struct
    >>> read_idx(struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    if isinstance(source, (bytes, bytearray)):
        name, raw = "<bytes>", io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        name, raw = repr(str(source)), open(source, "rb")  # FileNotFoundError as usual
    else:
        raise TypeError(f"read_idx: source must be a path or bytes, got {type(source).__name__}")
    with raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not compressed:
            return _read_idx_stream(raw, name)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _read_idx_stream(f, name)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"read_idx: {name} is not a readable gzip file (corrupted or "
                             f"truncated: {type(exc).__name__}: {exc})") from None


def _fetch(url: str, out: Any, h: Any, deadline: float) -> None:
    """Stream ``url`` into ``out`` and ``h``; OSError on a stall, the deadline or the size cap."""
    response = _urlopen(url)
    try:
        headers = getattr(response, "headers", None)
        length = headers.get("Content-Length") if headers is not None else None
        if length is not None and length.isdigit() and int(length) > _DOWNLOAD_MAX_BYTES:
            raise OSError(f"the server announces {int(length)} bytes, more than the "
                          f"{_DOWNLOAD_MAX_BYTES} a data file may have")
        read = getattr(response, "read1", response.read)  # returns what has arrived
        size = 0
        while chunk := read(1 << 16):
            size += len(chunk)
            if size > _DOWNLOAD_MAX_BYTES:
                raise OSError(f"stopped after {size} bytes, more than the "
                              f"{_DOWNLOAD_MAX_BYTES} a data file may have")
            if time.monotonic() > deadline:
                raise TimeoutError(f"stopped after {_DOWNLOAD_DEADLINE_S} s with {size} bytes "
                                   "(the download deadline)")
            h.update(chunk)
            out.write(chunk)
    finally:
        response.close()


def _download(name: str, sha: str, folder: Path, mirrors: tuple[str, ...], fn: str) -> None:
    """Fetch ``name`` into ``folder`` through a temporary file, verified, then renamed.

    Each mirror gets at most the time left of one overall deadline, and at most
    ``_DOWNLOAD_MAX_BYTES``; the temporary file is removed whatever happens.
    """
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _DOWNLOAD_DEADLINE_S
    errors = []
    for base in mirrors:
        url = base + name
        if time.monotonic() > deadline:
            errors.append(f"{url}: not tried, the {_DOWNLOAD_DEADLINE_S} s deadline passed")
            continue
        fd, tmp = temp_beside(folder / name, ".part")  # removes those of killed downloads
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                _fetch(url, out, h, deadline)
            if h.hexdigest() != sha:
                raise ChecksumError(f"{fn}: {url} gave a file with sha256 {h.hexdigest()}, "
                                    f"expected {sha}; nothing was saved")
            os.replace(tmp, folder / name)
            return
        except ChecksumError:
            raise
        except OSError as exc:  # URLError, timeouts, refused connections, the limits ...
            errors.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise ConnectionError(
        f"{fn}: could not download {name} ({'; '.join(errors)}). If this machine is "
        f"offline, download the files by hand from {mirrors[0]} and put them, still "
        f"gzipped, in {folder}/ (or pass root=..., or set DNNLIB_CACHE)")


def load_mnist(root: str | os.PathLike | None = None, download: bool = True,
               kind: str = "mnist", *, split: str = "train", as_float: bool = True
               ) -> tuple[Any, Any]:
    r"""MNIST or Fashion-MNIST (28x28 grey images, 10 classes) from a local cache.

    Files are fetched once from a public mirror (https) into ``cache_dir(root)/mnist/``
    (or ``fashion-mnist/``), checked against their published sha256 and written through
    a temporary file renamed into place, so an interrupted download leaves nothing
    behind. Present files are never downloaded again (but always verified). A download
    stops with ``ConnectionError`` when a read stalls for 60 s, when one file takes more
    than 15 minutes over all mirrors, or past 64 MiB (every file is far smaller).

    Parameters
    ----------
    root : path, optional
        Cache folder (default ``$DNNLIB_CACHE`` or ``~/.cache/dnnlib``).
    download : bool
        Fetch missing files; ``False`` raises ``FileNotFoundError`` instead.
    kind : {"mnist", "fashion"}
    split : {"train", "test", "all"}
        60000, 10000 or 70000 images.
    as_float : bool
        ``True``: pixels / 255 in the default dtype; ``False``: ``uint8`` 0..255.

    Returns
    -------
    X : array, (N, 784)
        Row-major 28x28 images (``X[i].reshape(28, 28)``).
    y : array, (N,), int64 in {0, ..., 9}

    Raises
    ------
    ChecksumError
        A cached or downloaded file has the wrong sha256 (nothing partial is kept).
    ConnectionError
        Offline: the message says which files to put where.

    Notes
    -----
    LeCun et al. (1998); Fashion-MNIST: Xiao, Rasul & Vollgraf (2017). Chapter 7 uses
    :math:`x = \text{pixel} / 255 \in [0, 1]^{784}`.

    Examples
    --------
    >>> X, y = load_mnist(split="test")  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((10000, 784), (10000,))
    """
    fn = "load_mnist"
    download = check_bool(download, fn, "download")
    as_float = check_bool(as_float, fn, "as_float")
    if kind not in _MNIST:
        raise ValueError(f"{fn}: kind must be one of {tuple(_MNIST)}, got {kind!r}")
    split = _check_split(split, fn)
    spec = _MNIST[kind]
    folder = cache_dir(root) / spec["folder"]
    parts = {"train": ("train",), "test": ("t10k",), "all": ("train", "t10k")}[split]
    xs, ys = [], []
    for prefix in parts:
        arrays = []
        for what in ("images-idx3", "labels-idx1"):
            name = f"{prefix}-{what}-ubyte.gz"
            sha = spec["files"][name]
            path = folder / name
            if not path.is_file():
                if not download:
                    raise FileNotFoundError(
                        f"{fn}: {path} is missing and download=False; put the file there "
                        f"(from {spec['mirrors'][0]}{name}) or call with download=True")
                _download(name, sha, folder, spec["mirrors"], fn)
            digest = _sha256(path)
            if digest != sha:
                raise ChecksumError(f"{fn}: {path} has sha256 {digest}, expected {sha}; the "
                                    "file is corrupted: delete it and call load_mnist again")
            arrays.append(read_idx(path))
        images, labels = arrays
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{fn}: {prefix} has {images.shape[0]} images but "
                             f"{labels.shape[0]} labels")
        xs.append(images.reshape(images.shape[0], -1))
        ys.append(labels.astype(np.int64))
    X, y = np.concatenate(xs), np.concatenate(ys)
    if as_float:
        return _floats(X / 255.0, fn), B.asarray(y)
    return B.asarray(X), B.asarray(y)


# --------------------------------------------------------------------------- images of digits
def load_digit_images(split: str = "train", **kwargs: Any) -> tuple[Any, Any]:
    """The digits of :func:`load_digits` as one-channel 8x8 images, for a 2-D CNN (chapter 9).

    Parameters
    ----------
    split : {"train", "test", "all"}
    **kwargs
        Passed to :func:`load_digits` (``as_float``, ``test_size``, ``rng``).

    Returns
    -------
    X : array, (N, 1, 8, 8)
        ``load_digits(...)[0]`` with each row as a ``(channel, height, width)`` image.
    y : array, (N,), int64

    Examples
    --------
    >>> X, y = load_digit_images("test")
    >>> X.shape
    (450, 1, 8, 8)
    """
    X, y = load_digits(split, **kwargs)
    return B.namespace(X).reshape(X, (X.shape[0], 1, 8, 8)), y


# --------------------------------------------------------------------------- MNIST-1D
# The generated arrays (host, float64, before our standardisation), by shuffle flag: the
# generator takes a few seconds, so each kernel runs it at most once per flag.
_MNIST1D_CACHE: dict[bool, dict[str, np.ndarray]] = {}
# sha256 of the labels (train then test, int64 little-endian) of the paper's data set:
# a generator that makes other data (another mnist1d version) is refused.
_MNIST1D_LABELS_SHA256 = "6feec4a017698c7fe237c8854cbd2e338c6dd5c16240f6fa79daefaaa129e169"


def _generate_mnist1d(shuffle_positions: bool, fn: str) -> dict[str, np.ndarray]:
    """Run the authors' generator with the paper's arguments, global RNGs untouched."""
    cached = _MNIST1D_CACHE.get(shuffle_positions)
    if cached is not None:
        return cached
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError(
            f"{fn}: MNIST-1D is generated by the authors' package 'mnist1d' (which needs "
            f"scipy), not installed here ({exc}). Install the book's extras: "
            "pip install -e .[book]   (or: pip install mnist1d scipy)") from None
    import random

    args = get_dataset_args()              # the paper's defaults: 5000 sequences, seed 42
    args.shuffle_seq = bool(shuffle_positions)
    # The generator seeds Python's and NumPy's global random generators (set_seed):
    # dnnlib never changes global state, so both are saved and restored.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    arrays = {k: np.asarray(data[k]) for k in ("x", "y", "x_test", "y_test")}
    labels = np.concatenate([arrays["y"], arrays["y_test"]]).astype("<i8")
    digest = hashlib.sha256(labels.tobytes()).hexdigest()
    if arrays["x"].shape != (4000, 40) or digest != _MNIST1D_LABELS_SHA256:
        raise ValueError(f"{fn}: the installed mnist1d generated a data set other than the "
                         f"paper's (train x {arrays['x'].shape}, labels sha256 {digest}); "
                         "install the version the book uses: pip install mnist1d==0.0.2.post1")
    _MNIST1D_CACHE[shuffle_positions] = arrays
    return arrays


def load_mnist1d(split: str = "train", *, shuffle_positions: bool = False) -> tuple[Any, Any]:
    r"""MNIST-1D (Greydanus & Kobak, 2024): 10 classes of sequences of length 40, offline.

    The data are made by the authors' generator (the optional package ``mnist1d``, in
    the book's extras) with the paper's arguments: 4000 training and 1000 test
    sequences, seed 42. Never downloaded. Generated once per process (a few seconds)
    and kept in memory.

    Parameters
    ----------
    split : {"train", "test", "all"}
        4000, 1000 or 5000 sequences (the paper's split).
    shuffle_positions : bool
        The paper's control: the 40 positions of every sequence permuted by one fixed
        permutation (the same for all sequences, train and test; the generator's
        ``shuffle_seq``). Each sequence keeps its numbers, but neighbours are no longer
        neighbours: a model that relies on local patterns loses, one that ignores the
        order (logistic regression, an MLP) does not.

    Returns
    -------
    X : array, (N, 40)
        Standardised per position with the *training* part's mean and standard
        deviation (as :func:`load_digits`), rounded to float32 (7 significant digits, so
        that every CPU gets the same numbers: the last bits of the generator's float64
        output differ between AVX2 and AVX-512 machines), in the default dtype.
    y : array, (N,), int64 in {0, ..., 9}

    Notes
    -----
    The generator reseeds the global random generators of NumPy and Python; this
    function saves and restores both, so it changes no global state. Its other
    function, ``get_dataset``, would download a file: it is not used. Chapters 9 and 10
    reproduce the paper's table with it.

    Examples
    --------
    >>> X, y = load_mnist1d("train")      # doctest: +SKIP
    >>> X.shape, y.shape                  # doctest: +SKIP
    ((4000, 40), (4000,))
    """
    fn = "load_mnist1d"
    split = _check_split(split, fn)
    if not isinstance(shuffle_positions, bool):
        raise TypeError(f"{fn}: shuffle_positions must be a bool, got "
                        f"{type(shuffle_positions).__name__}")
    d = _generate_mnist1d(shuffle_positions, fn)
    mean, std = d["x"].mean(axis=0), d["x"].std(axis=0)
    X = {"train": d["x"], "test": d["x_test"],
         "all": np.concatenate([d["x"], d["x_test"]])}[split]
    y = {"train": d["y"], "test": d["y_test"],
         "all": np.concatenate([d["y"], d["y_test"]])}[split]
    return _floats(((X - mean) / std).astype(np.float32)), B.asarray(y.astype(np.int64))
