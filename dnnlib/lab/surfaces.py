r"""Two-dimensional loss surfaces and optimizer trajectories on them (chapter 4).

A loss surface here is a function :math:`f(\theta)` of a point
:math:`\theta = (\theta_1, \theta_2)` with a known gradient, small enough to draw as a
contour plot and to reason about exactly:

* :class:`Quadratic` - :math:`f(\theta) = \tfrac12 (\theta - \theta^*)^\top A
  (\theta - \theta^*)`, a bowl with a known, constant Hessian :math:`A`; its
  eigenvalues fix the largest stable learning rate and the condition number
  (:func:`ill_conditioned_quadratic` builds an elongated, rotated one);
* :class:`Rosenbrock` - :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, a curved,
  narrow valley whose floor is nearly flat.

:func:`optimize_path` runs one of **dnnlib's own optimizers** (:class:`~dnnlib.optim.SGD`,
momentum, :class:`~dnnlib.optim.RMSProp`, :class:`~dnnlib.optim.Adam`) on a
:class:`~dnnlib.layers.Parameter` holding the point, exactly as they update the weights of
a network, and returns the :class:`Trajectory`. The pictures of chapter 4 are therefore
drawn by the code that trains the book's networks.

``value`` and ``grad`` take a point of shape ``(2,)`` or a stack of points ``(..., 2)``
on any backend and compute in its namespace; :meth:`Surface.grid` evaluates the surface
on a NumPy grid for contour plots.

Examples
--------
>>> surf = Quadratic([[2.0, 0.0], [0.0, 1.0]])
>>> path = optimize_path(surf, "sgd", start=[1.0, 1.0], steps=3, lr=0.25)
>>> path.points[:, 0]  # the first coordinate shrinks by 1 - lr * 2 = 0.5 per step
array([1.   , 0.5  , 0.25 , 0.125])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend as B
from .._validation import as_float_array, check_float, check_int
from ..layers import Parameter
from ..optim import OPTIMIZERS, Adam, Optimizer, RMSProp, as_schedule

__all__ = [
    "Surface",
    "Quadratic",
    "Rosenbrock",
    "ill_conditioned_quadratic",
    "Trajectory",
    "optimize_path",
    "OPTIMIZERS",  # dnnlib.optim's, re-exported (this module's home before)
]


# --------------------------------------------------------------------------- surfaces
class Surface:
    """Base class: a function of a 2-D point with its gradient and a plotting window.

    Subclasses implement :meth:`value` and :meth:`grad` for ``theta`` of shape
    ``(..., 2)``.

    Attributes
    ----------
    name : str
        A short label for titles and legends.
    minimum : numpy.ndarray, (2,)
        The minimiser :math:`\\theta^*`.
    xlim, ylim : (float, float)
        The default window of :meth:`grid` (and of the chapter's contour plots).
    """

    name = "surface"
    minimum: np.ndarray
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def _point(self, theta: Any, fn: str) -> tuple[Any, Any, Any]:
        theta = as_float_array(theta, fn, "theta")
        if theta.ndim == 0 or theta.shape[-1] != 2:
            raise ValueError(f"{fn}: theta must have shape (2,) or (..., 2), got "
                             f"{tuple(theta.shape)}")
        return theta[..., 0], theta[..., 1], B.namespace(theta, fn=fn)

    def value(self, theta: Any) -> Any:  # pragma: no cover - abstract
        """:math:`f(\\theta)`: ``(..., 2)`` -> ``(...)``."""
        raise NotImplementedError

    def grad(self, theta: Any) -> Any:  # pragma: no cover - abstract
        """:math:`\\nabla f(\\theta)`: ``(..., 2)`` -> ``(..., 2)``."""
        raise NotImplementedError

    def __call__(self, theta: Any) -> Any:
        return self.value(theta)

    @property
    def min_value(self) -> float:
        """:math:`f(\\theta^*)`."""
        return float(B.to_numpy(self.value(np.asarray(self.minimum, dtype=np.float64))))

    def grid(self, n: int = 150, xlim: tuple[float, float] | None = None,
             ylim: tuple[float, float] | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The surface on an ``n x n`` grid (NumPy, float64), for contour plots.

        Returns
        -------
        X1, X2, F : numpy.ndarray, each (n, n)
            ``F[i, j] = f(X1[i, j], X2[i, j])`` (``numpy.meshgrid``'s "xy" layout).
        """
        n = check_int(n, f"{type(self).__name__}.grid", "n", minimum=2)
        (x0, x1), (y0, y1) = xlim or self.xlim, ylim or self.ylim
        X1, X2 = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        F = B.to_numpy(self.value(np.stack([X1, X2], axis=-1)))
        return X1, X2, F


class Quadratic(Surface):
    r"""A quadratic bowl :math:`f(\theta) = \frac12 (\theta-\theta^*)^\top A (\theta-\theta^*)`.

    Parameters
    ----------
    hessian : array_like, (2, 2)
        The matrix :math:`A` (the Hessian :math:`\nabla^2 f`), symmetric positive
        definite (checked).
    center : array_like, (2,)
        The minimiser :math:`\theta^*` (where :math:`f = 0`).
    name : str
        A label for plots.
    xlim, ylim : (float, float), optional
        The plotting window (default: 5 units around the centre).

    Attributes
    ----------
    hessian : numpy.ndarray, (2, 2)
    eigenvalues : numpy.ndarray, (2,)
        :math:`\lambda_{\min} \le \lambda_{\max}` of :math:`A`, ascending.
    eigenvectors : numpy.ndarray, (2, 2)
        Column ``i`` belongs to ``eigenvalues[i]``.
    condition_number : float
        :math:`\kappa = \lambda_{\max} / \lambda_{\min}`.

    Notes
    -----
    :math:`\nabla f(\theta) = A(\theta - \theta^*)` and the Hessian is :math:`A`
    everywhere. Gradient descent with rate :math:`\eta` converges from every start iff
    :math:`0 < \eta < 2/\lambda_{\max}` (Chapter 4).

    Examples
    --------
    >>> q = Quadratic([[3.0, 1.0], [1.0, 3.0]])
    >>> q.eigenvalues, q.condition_number
    (array([2., 4.]), 2.0)
    >>> q.grad(np.array([1.0, 0.0]))
    array([3., 1.])
    """

    def __init__(self, hessian: Any, center: Any = (0.0, 0.0), *, name: str = "quadratic",
                 xlim: tuple[float, float] | None = None,
                 ylim: tuple[float, float] | None = None) -> None:
        fn = "Quadratic"
        H = np.asarray(B.to_numpy(hessian) if B.is_array(hessian) else hessian,
                       dtype=np.float64)
        if H.shape != (2, 2) or not np.all(np.isfinite(H)):
            raise ValueError(f"{fn}: hessian must be a finite (2, 2) matrix, got shape "
                             f"{H.shape}")
        if not np.allclose(H, H.T, rtol=1e-12, atol=1e-12):
            raise ValueError(f"{fn}: hessian must be symmetric, got {H.tolist()}")
        lam, Q = np.linalg.eigh(H)
        if lam[0] <= 0:
            raise ValueError(f"{fn}: hessian must be positive definite, got eigenvalues "
                             f"{lam.tolist()}")
        c = np.asarray(B.to_numpy(center) if B.is_array(center) else center, dtype=np.float64)
        if c.shape != (2,) or not np.all(np.isfinite(c)):
            raise ValueError(f"{fn}: center must be two finite numbers, got {center!r}")
        self.hessian, self.minimum = H, c
        self.eigenvalues, self.eigenvectors = lam, Q
        self.condition_number = float(lam[1] / lam[0])
        self.name = name
        self.xlim = xlim or (c[0] - 5.0, c[0] + 5.0)
        self.ylim = ylim or (c[1] - 5.0, c[1] + 5.0)

    def value(self, theta: Any) -> Any:
        x, y, _ = self._point(theta, "Quadratic.value")
        (a, b), (_, c) = self.hessian.tolist()
        d1, d2 = x - float(self.minimum[0]), y - float(self.minimum[1])
        return 0.5 * (a * d1 * d1 + 2.0 * b * d1 * d2 + c * d2 * d2)

    def grad(self, theta: Any) -> Any:
        x, y, xp = self._point(theta, "Quadratic.grad")
        (a, b), (_, c) = self.hessian.tolist()
        d1, d2 = x - float(self.minimum[0]), y - float(self.minimum[1])
        return xp.stack([a * d1 + b * d2, b * d1 + c * d2], axis=-1)   # A (theta - theta*)

    def __repr__(self) -> str:
        lam = ", ".join(f"{v:.4g}" for v in self.eigenvalues)
        return (f"Quadratic(eigenvalues=({lam}), condition_number="
                f"{self.condition_number:.4g}, center={self.minimum.tolist()})")


def ill_conditioned_quadratic(lambda_min: float = 0.5, lambda_max: float = 10.0,
                              angle: float = 30.0, center: Any = (0.0, 0.0)) -> Quadratic:
    r"""An elongated bowl with eigenvalues ``lambda_min``, ``lambda_max``, rotated by ``angle``.

    Parameters
    ----------
    lambda_min, lambda_max : float
        The Hessian's eigenvalues, ``0 < lambda_min <= lambda_max``.
    angle : float
        Degrees between the first axis and the *flat* direction (the eigenvector of
        ``lambda_min``).
    center : array_like, (2,)
        The minimiser.

    Returns
    -------
    Quadratic
        :math:`A = R\,\mathrm{diag}(\lambda_{\min}, \lambda_{\max})\,R^\top` with
        :math:`R` the rotation by ``angle``; condition number
        :math:`\kappa = \lambda_{\max}/\lambda_{\min}` (20 by default).

    Examples
    --------
    >>> q = ill_conditioned_quadratic(1.0, 25.0, angle=0.0)
    >>> q.hessian
    array([[ 1.,  0.],
           [ 0., 25.]])
    """
    fn = "ill_conditioned_quadratic"
    lo = check_float(lambda_min, fn, "lambda_min", low=0.0, low_open=True)
    hi = check_float(lambda_max, fn, "lambda_max", low=lo)
    a = math.radians(check_float(angle, fn, "angle"))
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    H = R @ np.diag([lo, hi]) @ R.T
    H = (H + H.T) / 2  # exactly symmetric
    return Quadratic(H, center, name=f"quadratic, condition number {hi / lo:.3g}")


class Rosenbrock(Surface):
    r"""Rosenbrock's banana valley :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`.

    Parameters
    ----------
    a, b : float
        The minimum sits at :math:`(a, a^2)` with :math:`f = 0`; ``b`` sets the
        steepness of the valley's walls (``b > 0``).

    Notes
    -----
    .. math::

        \frac{\partial f}{\partial x} = -2(a - x) - 4 b x (y - x^2),\qquad
        \frac{\partial f}{\partial y} = 2 b (y - x^2).

    At the minimum the Hessian is :math:`\begin{pmatrix} 2 + 8ba^2 & -4ba\\ -4ba & 2b
    \end{pmatrix}`: for :math:`a = 1, b = 100` its condition number is about 2500, and
    the valley floor curves, so no fixed coordinate scaling straightens it (Chapter 4).

    Examples
    --------
    >>> r = Rosenbrock()
    >>> float(r.value(np.array([1.0, 1.0]))), r.grad(np.array([0.0, 0.0]))
    (0.0, array([-2.,  0.]))
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = check_float(a, "Rosenbrock", "a")
        self.b = check_float(b, "Rosenbrock", "b", low=0.0, low_open=True)
        self.minimum = np.array([self.a, self.a**2])
        self.name = f"Rosenbrock (a = {self.a:g}, b = {self.b:g})"
        self.xlim = (self.a - 3.0, self.a + 1.0)
        self.ylim = (self.a**2 - 2.0, self.a**2 + 2.0)

    @property
    def hessian_at_minimum(self) -> np.ndarray:
        """The Hessian at :math:`(a, a^2)`, shape (2, 2)."""
        a, b = self.a, self.b
        return np.array([[2.0 + 8.0 * b * a * a, -4.0 * b * a], [-4.0 * b * a, 2.0 * b]])

    def value(self, theta: Any) -> Any:
        x, y, _ = self._point(theta, "Rosenbrock.value")
        r = y - x * x
        return (self.a - x) ** 2 + self.b * r * r

    def grad(self, theta: Any) -> Any:
        x, y, xp = self._point(theta, "Rosenbrock.grad")
        r = y - x * x
        return xp.stack([-2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r],
                        axis=-1)

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


# --------------------------------------------------------------------------- trajectories
@dataclass
class Trajectory:
    """The path of an optimizer on a surface (what :func:`optimize_path` returns).

    Attributes
    ----------
    points : numpy.ndarray, (K + 1, 2)
        :math:`\\theta_0` (the start) and the point after each of the ``K`` steps taken.
    losses : numpy.ndarray, (K + 1,)
        :math:`f(\\theta_k)` at each point.
    lrs : numpy.ndarray, (K,)
        The learning rate of each step.
    diverged : bool
        True when the run stopped early because the point ran off (its distance from
        the start exceeded ``max_distance``) or became NaN/infinite.
    optimizer : str
        ``repr`` of the optimizer (its hyperparameters).
    """

    points: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    diverged: bool
    optimizer: str
    hyper: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """The number of steps taken (``len(points) - 1``)."""
        return len(self.points) - 1

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def steps_to(self, tol: float) -> int | None:
        """The first step ``k`` with ``losses[k] <= tol`` (None if never)."""
        hit = np.flatnonzero(self.losses <= tol)
        return int(hit[0]) if hit.size else None

    def __repr__(self) -> str:
        state = "diverged" if self.diverged else f"final loss {self.final_loss:.4g}"
        return f"Trajectory({self.steps} steps of {self.optimizer}; {state})"


def optimize_path(surface: Surface, optimizer: str | Callable[..., Optimizer], start: Any,
                  steps: int, *, schedule: Any = None, noise: float = 0.0, rng: Any = None,
                  max_distance: float = 1e6, **hyper: Any) -> Trajectory:
    r"""Run a dnnlib optimizer on a 2-D surface from ``start``; return its trajectory.

    Parameters
    ----------
    surface : Surface
        E.g. :class:`Quadratic` or :class:`Rosenbrock`.
    optimizer : str or callable
        A name from :data:`dnnlib.optim.OPTIMIZERS` (``"sgd"``, ``"momentum"``,
        ``"nesterov"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``) or a factory
        ``factory(params, **hyper) -> Optimizer`` such as the class
        :class:`~dnnlib.optim.Adam` itself.
    start : array_like, (2,)
        :math:`\theta_0`.
    steps : int
        Number of optimizer steps (>= 0).
    schedule : callable or float, optional
        ``schedule(t) -> lr`` assigned to ``optimizer.lr`` before step ``t`` (from 0).
    noise : float
        Standard deviation :math:`\sigma \ge 0` of Gaussian noise added to each
        gradient (a stand-in for mini-batch noise); 0 gives exact gradients.
    rng : numpy.random.Generator, int or None
        Source of the noise.
    max_distance : float
        Stop (``diverged=True``) when :math:`\lVert\theta_k - \theta_0\rVert` exceeds this.
    **hyper
        The optimizer's hyperparameters: ``lr`` (required), ``momentum``, ``betas``,
        ``alpha``, ``eps``... For a name, they override that name's defaults
        (``"momentum"`` means ``SGD(momentum=0.9)`` unless ``momentum=`` is given).

    Returns
    -------
    Trajectory

    Notes
    -----
    The point lives in a :class:`~dnnlib.layers.Parameter` (float64, current backend);
    each step sets ``p.grad`` to :math:`\nabla f(\theta) + \sigma\xi` with
    :math:`\xi \sim \mathcal N(0, I)` and calls ``optimizer.step()``: the update is the
    library's, unchanged (Chapter 4).

    Examples
    --------
    >>> path = optimize_path(Rosenbrock(), "adam", start=[-1.0, 1.0], steps=200, lr=0.1)
    >>> path.points.shape, path.diverged
    ((201, 2), False)
    """
    fn = "optimize_path"
    if not isinstance(surface, Surface):
        raise TypeError(f"{fn}: surface must be a dnnlib.surfaces.Surface (e.g. Quadratic), "
                        f"got {type(surface).__name__}")
    n_steps = check_int(steps, fn, "steps", minimum=0)
    sigma = check_float(noise, fn, "noise", low=0.0)
    limit = check_float(max_distance, fn, "max_distance", low=0.0, low_open=True)
    if "lr" not in hyper:
        raise TypeError(f"{fn}: give the learning rate, e.g. lr=0.1")
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in OPTIMIZERS:
            raise ValueError(f"{fn}: optimizer must be one of {sorted(OPTIMIZERS)} or a "
                             f"factory, got {optimizer!r}")
        cls, defaults = OPTIMIZERS[key]
        kwargs = {**defaults, **hyper}
        factory: Callable[..., Optimizer] = cls
    elif callable(optimizer):
        factory, kwargs = optimizer, dict(hyper)
    else:
        raise TypeError(f"{fn}: optimizer must be a name or a factory, got "
                        f"{type(optimizer).__name__}")
    s0 = np.array(B.to_numpy(start) if B.is_array(start) else start, dtype=np.float64)
    if s0.shape != (2,) or not np.all(np.isfinite(s0)):
        raise ValueError(f"{fn}: start must be two finite numbers, got {start!r}")
    sched = None if schedule is None else as_schedule(schedule, fn)
    g = B.as_generator(rng, fn=fn) if sigma > 0 else None

    p = Parameter(B.asarray(s0.copy()), "theta")  # float64, never the caller's array
    opt = factory([p], **kwargs)
    if not isinstance(opt, Optimizer):
        raise TypeError(f"{fn}: the factory must return a dnnlib.optim.Optimizer, got "
                        f"{type(opt).__name__}")
    points, losses, lrs = [s0.copy()], [float(B.to_numpy(surface.value(p.data)))], []
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned
        for t in range(n_steps):
            if sched is not None:
                opt.lr = float(sched(t))
            p.grad[...] = surface.grad(p.data)              # the exact gradient ...
            if g is not None:                               # ... plus mini-batch-like noise
                p.grad += B.asarray(g.normal(0.0, sigma, size=2), like=p.data)
            lrs.append(opt.lr)
            opt.step()                                      # the library's update, unchanged
            theta = np.array(B.to_numpy(p.data), dtype=np.float64)
            if not np.all(np.isfinite(theta)) or np.linalg.norm(theta - s0) > limit:
                diverged = True
                break
            points.append(theta)
            losses.append(float(B.to_numpy(surface.value(p.data))))
    return Trajectory(points=np.asarray(points), losses=np.asarray(losses),
                      lrs=np.asarray(lrs[:len(points) - 1]), diverged=diverged,
                      optimizer=_describe(opt), hyper=dict(kwargs))


def _describe(opt: Optimizer) -> str:
    """``SGD(lr=0.1, momentum=0.9)``: the hyperparameters that differ from zero/False."""
    hp = opt.hyperparameters()
    shown = {k: v for k, v in hp.items() if k == "lr" or (v not in (0, 0.0, False))}
    if isinstance(opt, (Adam, RMSProp)):
        shown = {k: v for k, v in shown.items() if k != "eps"}
    args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in shown.items())
    return f"{type(opt).__name__}({args})"

