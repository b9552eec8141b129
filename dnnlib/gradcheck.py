r"""Gradient checking: compare a backward pass with finite differences (chapter 5).

A backward pass is easy to get subtly wrong and hard to test by eye. The cure is
old and reliable: nudge each input a little, watch the output, and compare the
slope you measure with the gradient your code computes.

* :func:`numerical_gradient` - centred differences of a scalar function, in float64.
* :func:`relative_error` - how far two gradients are apart, in relative terms.
* :func:`check_gradients` - the whole check for a function and its derivative, a
  :class:`~dnnlib.layers.Layer` or a :class:`~dnnlib.model.Sequential`: the input
  gradient and every parameter's gradient, summarised in a :class:`GradCheckResult`.

Examples
--------
>>> import numpy as np
>>> from dnnlib import functional as F
>>> x = np.random.default_rng(0).normal(size=(4, 3))
>>> check_gradients(F.sigmoid, x, grad=F.sigmoid_grad).ok
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import backend as B
from ._validation import _dtype_str, check_float

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "GradCheckResult"]

Array = Any

#: Denominator floor of :func:`relative_error`: two exact zeros agree.
FLOOR = 1e-12
#: In :func:`check_gradients`, an array whose gradient is smaller than this fraction of
#: the largest one is measured against that fraction (its own size would be noise).
SCALE_FLOOR = 1e-2


# --------------------------------------------------------------------------- helpers
def _require_float64(x: Any, fn: str, name: str) -> Array:
    if not B.is_array(x):
        raise TypeError(
            f"{fn}: {name} must be a float64 array, got {type(x).__name__}; build it with "
            "np.asarray(..., dtype='float64') or dl.backend.asarray(..., dtype='float64')"
        )
    xp = B.namespace(x, fn=fn)
    if x.dtype != xp.float64:
        raise TypeError(
            f"{fn}: {name} must be float64 for a gradient check (float32 round-off swamps "
            f"the finite differences), got {_dtype_str(x.dtype)}; cast with x.astype('float64')"
        )
    return x


def _require_finite(x: Array, fn: str, name: str) -> Array:
    xp = B.namespace(x, fn=fn)
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{fn}: {name} contains NaN or infinity; finite differences need a "
                         "finite point")
    return x


def _real_output(out: Any, fn: str) -> Any:
    """``out`` if it is a real number or a real array, else TypeError saying what f returned."""
    if B.is_array(out):
        xp = B.namespace(out, fn=fn)
        if xp.isdtype(out.dtype, ("real floating", "integral")):
            return out
        raise TypeError(f"{fn}: f must return real numbers, got an array of dtype "
                        f"{_dtype_str(out.dtype)}")
    if isinstance(out, (int, float, np.integer, np.floating)) and not isinstance(
            out, (bool, np.bool_)):
        return out
    raise TypeError(f"{fn}: f must return a number or an array of floats, got "
                    f"{type(out).__name__} {out!r:.40}")


def _scalar(out: Any, dout: Array | None, fn: str) -> float:
    """``sum(out * dout)``, or ``out`` itself when it is a scalar, as a Python float."""
    out = _real_output(out, fn)
    if dout is not None:
        if not B.is_array(out):
            raise ValueError(f"{fn}: with dout=, f must return an array shaped like dout "
                             f"{tuple(dout.shape)}, got a scalar")
        xp = B.namespace(out, dout, fn=fn)
        if tuple(out.shape) != tuple(dout.shape):
            raise ValueError(f"{fn}: f(x) has shape {tuple(out.shape)} but dout has shape "
                             f"{tuple(dout.shape)}")
        return float(xp.sum(out * dout))
    if not B.is_array(out):
        return float(out)
    if math.prod(out.shape) != 1:
        raise ValueError(
            f"{fn}: f must return a scalar, got an array of shape {tuple(out.shape)}; pass "
            "dout= (the gradient of sum(f(x) * dout) is computed) or sum the output in f"
        )
    return float(B.namespace(out, fn=fn).reshape(out, ()))


def _centred_differences(loss: Callable[[], float], arr: Array, eps: float) -> Array:
    """d loss / d arr by perturbing ``arr`` **in place**, one entry at a time (then restored)."""
    g = np.zeros(tuple(arr.shape), dtype=np.float64)  # host bookkeeping of Python floats
    for idx in np.ndindex(*arr.shape):
        old = float(arr[idx])
        arr[idx] = old + eps
        f_plus = loss()
        arr[idx] = old - eps
        f_minus = loss()
        arr[idx] = old  # restore
        g[idx] = (f_plus - f_minus) / (2.0 * eps)
    return B.asarray(g, like=arr)


def _copy(a: Array) -> Array:
    return B.namespace(a).asarray(a, copy=True)


# --------------------------------------------------------------------------- public
def numerical_gradient(f: Callable[[Array], Any], x: Array, eps: float = 1e-6, *,
                       dout: Array | None = None) -> Array:
    r"""The gradient of a scalar function by centred differences, in float64.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar (a float or a one-element array). With ``dout``
        it may return any array shaped like ``dout``; the gradient of
        ``sum(f(x) * dout)`` is computed then.
    x : float64 array (...)
        Where to evaluate the gradient. It is not modified: a copy is perturbed.
    eps : float
        The step :math:`h`.
    dout : float64 array, optional
        Upstream gradient for an array-valued ``f``.

    Returns
    -------
    float64 array (...)
        Same shape and backend as ``x``.

    Raises
    ------
    TypeError
        ``x`` is not a float64 array (float32 round-off, about ``1e-7``, divided by
        ``2h = 2e-6``, would swamp the result), or ``f`` returns something other than
        a real number or array (a string is not parsed, ``None`` is refused).
    ValueError
        ``x`` or ``dout`` holds NaN or infinity.

    Notes
    -----
    .. math:: \frac{\partial f}{\partial x_i} \approx
              \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    The error is :math:`O(h^2)`, against :math:`O(h)` for the one-sided difference;
    ``2 * x.size`` calls of ``f``. See Chapter 5.

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradient(lambda x: np.sum(x ** 2), np.array([1.0, -2.0]))
    >>> print(np.round(g, 6))
    [ 2. -4.]
    """
    fn = "numerical_gradient"
    x = _require_finite(_require_float64(x, fn, "x"), fn, "x")
    eps = check_float(eps, fn, "eps", low=0.0, low_open=True)
    if not callable(f):
        raise TypeError(f"{fn}: f must be a function, got {type(f).__name__}")
    if dout is not None:
        dout = _require_finite(_require_float64(dout, fn, "dout"), fn, "dout")
    xc = _copy(x)
    return _centred_differences(lambda: _scalar(f(xc), dout, fn), xc, eps)


def _norm(a: Array, xp: Any) -> float:
    """The Euclidean norm of all entries, as a Python float (finite entries).

    Entries near the square root of the dtype's range (``1e150`` in float64, ``1e15``
    in float32) are scaled by the largest first, so the squares neither overflow nor
    vanish; other arrays take the plain formula.
    """
    if math.prod(a.shape) == 0:
        return 0.0
    info = xp.finfo(a.dtype)
    top = float(xp.max(xp.abs(a)))
    if top > math.sqrt(float(info.max)) * 1e-4 or 0.0 < top < math.sqrt(
            float(info.smallest_normal)) * 1e4:
        s = a / top
        return top * float(xp.sqrt(xp.sum(s * s)))
    return float(xp.sqrt(xp.sum(a * a)))


def relative_error(a: Any, b: Any, *, floor: float = FLOOR) -> float:
    r"""The relative error between two gradients, measured over the whole array.

    Parameters
    ----------
    a, b : array (...) or float
        Two gradients of the same shape and backend (analytic and numerical).
    floor : float
        Lower bound of the denominator, so that two exact zeros agree (error 0).

    Returns
    -------
    float
        :math:`e \ge 0` (NaN if an entry is NaN or infinite); 0.0 for empty arrays.

    Notes
    -----
    The CS231n relative error, symmetric in :math:`a` and :math:`b`, with the
    Euclidean norm over all entries:

    .. math:: e = \frac{\lVert a - b \rVert}{\max\bigl(\lVert a \rVert + \lVert b \rVert,
              \ \text{floor}\bigr)}

    For one number it is :math:`|a - b| / (|a| + |b|)`. Entry by entry, tiny
    gradient entries would be dominated by the absolute noise of the finite
    differences (about :math:`10^{-10}` in float64 with :math:`h = 10^{-6}`) and raise
    false alarms; over the array, that noise is measured against the gradient's
    size. Rules of thumb in float64: below ``1e-7`` the gradient is right; between
    ``1e-7`` and ``1e-4`` look closer (a kink?); above ``1e-2`` it is almost certainly
    wrong. See Chapter 5.

    Examples
    --------
    >>> print(relative_error(1.0, 1.001) < 1e-3, relative_error(0.0, 0.0))
    True 0.0
    """
    fn = "relative_error"
    floor = check_float(floor, fn, "floor", low=0.0, low_open=True)
    arrays = [v for v in (a, b) if B.is_array(v)]
    like = arrays[0] if arrays else np.zeros(0)
    xp = B.namespace(like, *arrays, fn=fn)  # TypeError for two backends
    a, b = (_real_array(v, like, xp, fn, name) for v, name in ((a, "a"), (b, "b")))
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{fn}: a and b must have the same shape, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if not (bool(xp.all(xp.isfinite(a))) and bool(xp.all(xp.isfinite(b)))):
        return math.nan  # a NaN or infinite gradient agrees with nothing
    return _norm(a - b, xp) / max(_norm(a, xp) + _norm(b, xp), floor)


def _real_array(v: Any, like: Array, xp: Any, fn: str, name: str) -> Array:
    """``v`` (an array, a number or a list of numbers) as a float64-or-wider real array."""
    if B.is_array(v):
        if not xp.isdtype(v.dtype, ("real floating", "integral")):
            raise TypeError(f"{fn}: {name} must hold real numbers, got dtype "
                            f"{_dtype_str(v.dtype)}")
        return v if xp.isdtype(v.dtype, "real floating") else xp.astype(v, xp.float64)
    if v is None or isinstance(v, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be a number or an array, got {type(v).__name__}")
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a number or an array, got "
                        f"{type(v).__name__}") from None
    return B.asarray(arr, like=like)


@dataclass(repr=False)
class GradCheckResult:
    """What :func:`check_gradients` found.

    Attributes
    ----------
    max_rel_error : float
        The largest relative error over the input and every parameter.
    where : str
        The array with that error and, inside it, the entry where analytic and
        numerical gradients differ most: ``"input[3, 1]"``, ``"W[0, 2]"`` (a
        layer's parameter) or ``"1.W[0, 2]"`` (parameter ``W`` of layer 1 of a
        Sequential).
    ok : bool
        ``max_rel_error <= tol``. The result is also truthy exactly when ``ok``.
    errors : dict of str to float
        The largest relative error per checked array (``"input"``, ``"0.W"``, ...).
    tol : float
        The tolerance used.
    """

    max_rel_error: float
    where: str
    ok: bool
    errors: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-7

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __repr__(self) -> str:
        per = ", ".join(f"{k!r}: {v:.1e}" for k, v in self.errors.items())
        return (f"GradCheckResult(ok={self.ok}, max_rel_error={self.max_rel_error:.2e}, "
                f"where={self.where!r}, tol={self.tol:.0e}, errors={{{per}}})")

    def _repr_html_(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        color = "green" if self.ok else "crimson"
        rows = "".join(
            f"<tr><td><code>{k}</code></td><td>{v:.2e}</td>"
            f"<td>{'ok' if v <= self.tol else 'too large'}</td></tr>"
            for k, v in self.errors.items()
        )
        return (f"<p><b style='color:{color}'>Gradient check {verdict}</b>: largest relative "
                f"error {self.max_rel_error:.2e} at <code>{self.where}</code> "
                f"(tolerance {self.tol:.0e})</p><table><tr><th>array</th>"
                f"<th>max relative error</th><th></th></tr>{rows}</table>")


def _is_layer(target: Any) -> bool:
    return all(callable(getattr(target, m, None)) for m in ("forward", "backward")) and hasattr(
        target, "params")


def _walk(target: Any) -> Iterator[Any]:
    """``target`` and, recursively, everything in its ``.layers``."""
    yield target
    for layer in getattr(target, "layers", None) or []:
        yield from _walk(layer)


def _named_params(target: Any) -> list[tuple[str, Any]]:
    params = target.params() if callable(target.params) else target.params
    named = getattr(target, "named_params", None)
    if callable(named):
        return list(named())
    if getattr(target, "layers", None):
        names = {id(p): f"{i}.{p.name}" for i, layer in enumerate(target.layers)
                 for p in (layer.params() if callable(layer.params) else layer.params)}
    else:
        names = {}
    return [(names.get(id(p), getattr(p, "name", f"param{k}")), p) for k, p in enumerate(params)]


def _entry(name: str, shape: tuple[int, ...], flat: int) -> str:
    if not shape or math.prod(shape) == 0:
        return name
    idx = np.unravel_index(flat, shape)
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]"


def _compare(pairs: dict[str, tuple[Array, Array]], tol: float) -> GradCheckResult:
    """Relative error of each (analytic, numerical) pair; see :func:`check_gradients`."""
    stats = {}
    for name, (a, n) in pairs.items():
        xp = B.namespace(a, n, fn="check_gradients")
        if tuple(a.shape) != tuple(n.shape):
            raise ValueError(f"check_gradients: the analytic gradient of {name} has shape "
                             f"{tuple(a.shape)}, expected {tuple(n.shape)}")
        bad = xp.reshape(~(xp.isfinite(a) & xp.isfinite(n)), (-1,))
        if bool(xp.any(bad)):  # NaN or inf in a gradient: the check fails, pointing there
            k = int(xp.argmax(xp.astype(bad, xp.int8)))
            stats[name] = (math.nan, math.nan, _entry(name, tuple(a.shape), k))
            continue
        diff = xp.reshape(xp.abs(a - n), (-1,))
        k = int(xp.argmax(xp.where(xp.isnan(diff), math.inf, diff))) if diff.shape[0] else 0
        stats[name] = (_norm(diff, xp), _norm(a, xp) + _norm(n, xp),
                       _entry(name, tuple(a.shape), k))
    scale = max([s for _, s, _ in stats.values() if not math.isnan(s)], default=0.0)
    floor = max(FLOOR, SCALE_FLOOR * scale)
    errors = {name: d / max(s, floor) for name, (d, s, _) in stats.items()}
    worst, where = 0.0, ""
    for name, e in errors.items():
        if not where or e > worst or (math.isnan(e) and not math.isnan(worst)):
            worst, where = e, stats[name][2]
    ok = not math.isnan(worst) and worst <= tol
    return GradCheckResult(max_rel_error=worst, where=where, ok=ok, errors=errors, tol=tol)


def check_gradients(target: Any, x: Array, *, grad: Callable[[Array], Array] | None = None,
                    dout: Array | None = None, rng: Any = 0, eps: float = 1e-6,
                    tol: float = 1e-7) -> GradCheckResult:
    r"""Check analytic gradients against :func:`numerical_gradient`.

    Parameters
    ----------
    target : callable or layer
        Either

        * a **function** ``f`` together with ``grad=``. What ``grad`` means is read from
          the shape of ``f(x)``: a scalar ``f(x)`` means ``grad(x)`` is the full
          gradient :math:`\nabla f(x)` (shape of ``x``); an ``f(x)`` shaped like ``x``
          means ``grad(x)`` is the **elementwise** derivative (like
          ``F.sigmoid_grad``), checked as the gradient of :math:`\sum_i f(x)_i\,
          \text{dout}_i` (``dout`` defaults to ones here);
        * an object with ``forward``, ``backward`` and ``params`` (a
          :class:`~dnnlib.layers.Layer` or a :class:`~dnnlib.model.Sequential`).
          The scalar :math:`L = \sum \text{out} \odot \text{dout}` is used, with a
          random ``dout`` drawn from ``rng``; ``backward(dout)`` must return
          :math:`\partial L / \partial x` and fill every ``param.grad``.
    x : float64 array (...)
        The input, e.g. ``(N, D)`` for a layer.
    grad : callable, optional
        The analytic gradient, for a function ``target`` only.
    dout : float64 array, optional
        Upstream gradient, shaped like the output (default: see ``target``).
    rng : numpy.random.Generator or int
        Seed of the random ``dout``.
    eps : float
        Finite-difference step.
    tol : float
        The check passes when every relative error is ``<= tol``.

    Returns
    -------
    GradCheckResult
        ``.ok``, ``.max_rel_error``, ``.where`` (e.g. ``"1.W[0, 2]"``) and ``.errors``.

    Raises
    ------
    TypeError
        ``x`` or a parameter is not float64 (build layers with ``dtype="float64"``),
        a function comes without ``grad=``, or a layer with one, or ``f`` or ``grad``
        returns something other than real numbers (a string, ``None``).
    ValueError
        ``x`` or ``dout`` holds NaN or infinity.

    A NaN or infinite gradient, analytic or numerical, is a failed check
    (``ok=False``, ``max_rel_error`` NaN, ``where`` pointing at the first such entry).

    Notes
    -----
    Each array (the input gradient, every parameter's gradient) gets one error, as in
    :func:`relative_error`,

    .. math:: e = \frac{\lVert a - n \rVert}{\max\bigl(\lVert a \rVert
              + \lVert n \rVert,\ 0.01\, S\bigr)}

    with :math:`a` analytic, :math:`n` numerical and :math:`S` the largest
    :math:`\lVert a \rVert + \lVert n \rVert` among the arrays checked: a gradient that
    is exactly zero in theory (a bias right before BatchNorm) shows only
    finite-difference noise, which is judged on the scale of the others.

    The layer is left as found: parameter gradients, buffers (BatchNorm's running
    statistics) and the state of every NumPy ``Generator`` found at ``.rng`` on the
    target or its ``.layers`` are restored. That generator state is also reset before
    **every** forward call, so Dropout draws the same mask each time and can be checked
    in training mode.

    Kinks mislead: if an input of ReLU (or LeakyReLU) lies within ``eps`` of 0 the
    finite difference straddles the kink and the error can be large although the
    backward pass is right. Draw another input, or move it away from 0. See Chapter 5.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib import functional as F
    >>> x = np.linspace(-2.0, 2.0, 5)
    >>> check_gradients(F.tanh, x, grad=F.tanh_grad).ok
    True
    >>> wrong = lambda z: F.sigmoid(z)          # forgot the factor (1 - sigmoid)
    >>> r = check_gradients(F.sigmoid, x, grad=wrong)
    >>> r.ok, r.where
    (False, 'input[4]')
    """
    fn = "check_gradients"
    x = _require_finite(_require_float64(x, fn, "x"), fn, "x")
    xp = B.namespace(x, fn=fn)
    eps = check_float(eps, fn, "eps", low=0.0, low_open=True)
    tol = check_float(tol, fn, "tol", low=0.0, low_open=True)
    if dout is not None:
        dout = _require_finite(_require_float64(dout, fn, "dout"), fn, "dout")
    if _is_layer(target):
        if grad is not None:
            raise TypeError(f"{fn}: grad= is for functions only; a layer's gradient comes "
                            "from its backward method")
        return _compare(_layer_pairs(target, x, dout, B.as_generator(rng, fn=fn), eps, fn), tol)
    if not callable(target):
        raise TypeError(f"{fn}: target must be a function or a layer with forward/backward/"
                        f"params, got {type(target).__name__}")
    if grad is None or not callable(grad):
        raise TypeError(f"{fn}: a function target needs its analytic gradient as grad=, got "
                        f"{type(grad).__name__}")
    out = _real_output(target(x), fn)
    analytic = _real_output(grad(x), fn)
    if not B.is_array(analytic) or tuple(analytic.shape) != tuple(x.shape):
        raise ValueError(f"{fn}: grad(x) must be an array of x's shape {tuple(x.shape)}, got "
                         f"{tuple(getattr(analytic, 'shape', ())) or type(analytic).__name__}")
    if not B.is_array(out) or math.prod(out.shape) == 1 and tuple(out.shape) != tuple(x.shape):
        numerical = numerical_gradient(target, x, eps)  # scalar f: full gradient
    elif tuple(out.shape) == tuple(x.shape):  # elementwise derivative
        d = xp.ones_like(x) if dout is None else dout
        analytic = analytic * d
        numerical = numerical_gradient(target, x, eps, dout=d)
    else:
        raise ValueError(f"{fn}: f(x) must be a scalar (full gradient) or have x's shape "
                         f"{tuple(x.shape)} (elementwise derivative), got {tuple(out.shape)}")
    return _compare({"input": (analytic, numerical)}, tol)


def _layer_pairs(target: Any, x: Array, dout: Array | None, g: np.random.Generator,
                 eps: float, fn: str) -> dict[str, tuple[Array, Array]]:
    """Analytic and numerical gradients of the input and of every parameter of a layer."""
    xp = B.namespace(x, fn=fn)
    params = _named_params(target)
    for name, p in params:
        if p.data.dtype != xp.float64:
            raise TypeError(f"{fn}: parameter {name} is {_dtype_str(p.data.dtype)}; a gradient "
                            "check needs float64: build the layer with dtype='float64'")
    # Random generators of stochastic layers (Dropout): reset before every forward.
    gens = list({id(o.rng): o.rng for o in _walk(target)
                 if isinstance(getattr(o, "rng", None), np.random.Generator)}.values())
    states = [copy.deepcopy(gen.bit_generator.state) for gen in gens]
    device_gens = [B.device_generators.get(gen) for gen in gens]  # CuPy's, see backend

    def reset_rngs() -> None:
        for gen, state in zip(gens, states, strict=True):
            gen.bit_generator.state = copy.deepcopy(state)
            B.device_generators.pop(gen, None)  # re-seeded from the restored host state

    saved_grads = [_copy(p.grad) for _, p in params]
    saved_buffers = [(o, {k: _copy(v) for k, v in o.buffers().items()})
                     for o in _walk(target)
                     if callable(getattr(o, "buffers", None)) and not getattr(o, "layers", None)]
    xc = _copy(x)
    try:
        for _, p in params:
            p.grad[...] = 0.0
        reset_rngs()
        out = target.forward(xc)
        if dout is None:
            dout = B.random_normal(g, tuple(out.shape), x.dtype, xp)
        elif tuple(dout.shape) != tuple(out.shape):
            raise ValueError(f"{fn}: dout must have the output's shape {tuple(out.shape)}, "
                             f"got {tuple(dout.shape)}")
        dx = target.backward(dout)
        pairs: dict[str, tuple[Array, Array]] = {}
        analytic = {name: _copy(p.grad) for name, p in params}

        def loss() -> float:
            reset_rngs()
            return float(xp.sum(target.forward(xc) * dout))

        if dx is not None:
            pairs["input"] = (_copy(dx), _centred_differences(loss, xc, eps))
        for name, p in params:
            pairs[name] = (analytic[name], _centred_differences(loss, p.data, eps))
        return pairs
    finally:
        for (_, p), saved in zip(params, saved_grads, strict=True):
            p.grad[...] = saved
        for o, saved in saved_buffers:
            current = o.buffers()
            for k, v in saved.items():
                current[k][...] = v
        for gen, state, dev in zip(gens, states, device_gens, strict=True):
            gen.bit_generator.state = state
            B.device_generators.pop(gen, None)
            if dev is not None:
                B.device_generators[gen] = dev
