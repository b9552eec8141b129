"""Learning-rate schedules (chapter 4): ``schedule(t) -> lr`` for the step ``t = 0, 1, ...``.

A schedule is a small callable object; :func:`dnnlib.train.fit` assigns
``optimizer.lr = schedule(t)`` before step ``t``. :class:`Constant`, :class:`StepLR`,
:class:`Exponential`, :class:`CosineAnnealing`, and :class:`LinearWarmup` which wraps
any of them. Every name here is also importable from :mod:`dnnlib.optim`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._validation import check_float, check_int

__all__ = [
    "Schedule",
    "Constant",
    "StepLR",
    "Exponential",
    "CosineAnnealing",
    "LinearWarmup",
    "as_schedule",
]


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
