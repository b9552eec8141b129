r"""Training runs that end on the same numbers on every CPU (chapters 9 and 10).

Two CPUs that round the last bit of a sum differently (AVX2 and AVX-512 BLAS kernels,
NumPy's SIMD loops) start two copies of a training run apart by :math:`10^{-16}`. A long
run amplifies the gap: after a few thousand Adam steps the two copies are different
networks, and their test accuracies differ by a point or two, in float64 as in float32.
Reported outcomes then depend on the reader's processor.

The cure used by the book's long runs is to **round the state of the run to a grid,
regularly**: after every epoch, every parameter, every buffer (batch norm's running
statistics) and every optimizer buffer (Adam's moments) is rounded to ``digits``
significant digits. Within one epoch the two copies drift apart by about
:math:`10^{-15}`, far less than the grid's spacing (:math:`10^{-6}` relative for 6
digits), so both round to the same numbers and start the next epoch identical. The
rounding itself changes the weights by less than :math:`10^{-6}` of their size, far
below what one optimizer step changes.

One exception: a parameter whose gradient is pure rounding noise, such as the bias of a
layer right before batch normalization (chapter 8: its true gradient is zero), keeps
noise-sized differences in all its digits. It does not change the network's outputs,
which batch normalization makes independent of it; leave it out (``bias=False``).

* :func:`round_significant` rounds an array to a number of significant digits;
* :class:`RoundState` is the :class:`~dnnlib.train.Callback` that does it after every
  epoch of :func:`~dnnlib.train.fit`; :func:`round_state` does it by hand in a loop of
  your own.
"""

from __future__ import annotations

from typing import Any

from . import backend as B
from ._validation import as_float_array, check_int
from .train import Callback, TrainState

__all__ = ["round_significant", "round_state", "RoundState"]


def round_significant(a: Any, digits: int = 6) -> Any:
    """``a`` rounded to ``digits`` significant digits, entry by entry (zeros stay zero).

    Parameters
    ----------
    a : float array (...)
    digits : int, default 6
        Significant decimal digits kept (1 to 15).

    Returns
    -------
    array (...)
        Same shape, dtype and backend.

    Examples
    --------
    >>> import numpy as np
    >>> round_significant(np.array([123456.789, -0.00123456789, 0.0]), 3)
    array([ 1.23e+05, -1.23e-03,  0.00e+00])
    """
    fn = "round_significant"
    a = as_float_array(a, fn, "a")
    d = check_int(digits, fn, "digits", minimum=1)
    if d > 15:
        raise ValueError(f"{fn}: digits must be <= 15 (float64 holds about 16), got {d}")
    xp = B.namespace(a, fn=fn)
    magnitude = xp.where(a == 0, 1.0, xp.abs(a))
    scale = 10.0 ** (d - 1 - xp.floor(xp.log10(magnitude)))   # the grid's spacing is 1/scale
    return xp.round(a * scale) / scale


def round_state(model: Any, optimizer: Any = None, digits: int = 6) -> None:
    """Round, in place, the parameters and buffers of ``model`` and the state of ``optimizer``.

    Parameters
    ----------
    model : Sequential or Layer
        Its ``params`` (and ``buffers()``, if any) are rounded.
    optimizer : dnnlib.optim.Optimizer, optional
        Its per-parameter buffers (momentum, Adam's moments) are rounded too.
    digits : int, default 6
        Significant digits kept.
    """
    arrays = [p.data for p in model.params]
    if callable(getattr(model, "buffers", None)):
        arrays += list(model.buffers().values())
    if optimizer is not None:
        arrays += [buf for st in optimizer.state for buf in st.values()]
    for a in arrays:
        a[...] = round_significant(a, digits)


class RoundState(Callback):
    """After every epoch of :func:`~dnnlib.train.fit`: :func:`round_state` (model and optimizer).

    Examples
    --------
    >>> import numpy as np
    >>> import dnnlib as dl
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.losses import MSE
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.optim import Adam
    >>> from dnnlib.train import fit
    >>> X, y = dl.data.make_moons(40, rng=0)
    >>> model = Sequential(Dense(2, 1, rng=0))
    >>> h = fit(model, MSE(), Adam(model.params, lr=0.01), X, y.reshape(-1, 1) * 1.0,
    ...         epochs=2, rng=0, progress=False, callbacks=[RoundState(digits=3)])
    >>> bool(np.all(model.params[0].data == round_significant(model.params[0].data, 3)))
    True
    """

    def __init__(self, digits: int = 6) -> None:
        self.digits = check_int(digits, "RoundState", "digits", minimum=1)

    def on_epoch_end(self, state: TrainState) -> None:
        round_state(state.model, state.optimizer, self.digits)

    def __repr__(self) -> str:
        return f"RoundState(digits={self.digits})"
