"""Inverted dropout (chapter 7)."""

from __future__ import annotations

from typing import Any

from .. import backend as B
from .._validation import check_float
from .base import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    r"""Inverted dropout: zero each input with probability ``p`` while training.

    Parameters
    ----------
    p : float, default 0.5
        Drop probability, in ``[0, 1)`` (PyTorch's convention). ``p=0`` is the identity.
    rng : numpy.random.Generator, int or None
        Source of the masks; kept at ``self.rng`` (a Generator), so a gradient check
        can restore its state and replay the same mask.

    Notes
    -----
    Chapter 7 (Srivastava et al., 2014). In training, with one mask bit per entry,
    :math:`r_j \sim \mathrm{Bernoulli}(1 - p)`, the input :math:`a` (``x``) becomes

    .. math:: \tilde a = \frac{r \odot a}{1 - p}, \qquad
              \frac{\partial \mathcal{L}}{\partial a} = \frac{r \odot \text{dout}}{1 - p},

    so :math:`\mathbb{E}[\tilde a] = a` and evaluation needs no rescaling: in eval mode
    :math:`\tilde a = a`. ``self.cache`` holds the scaled mask :math:`r / (1 - p)` (same
    shape and dtype as ``x``), or ``1.0`` after an eval-mode forward. Shapes: any.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(p=0.5, rng=0)
    >>> y = drop(np.ones((2, 4)))
    >>> sorted(set(y.ravel().tolist()))   # kept entries are scaled by 1/(1-p)
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng: Any = None) -> None:
        super().__init__()
        self.p = check_float(p, "Dropout", "p", low=0.0, high=1.0, high_open=True)
        self.rng = B.as_generator(rng, fn="Dropout")

    def forward(self, x: Any) -> Any:
        """``x``: any shape -> same shape and dtype."""
        if not self.training or self.p == 0.0:
            self.cache = 1.0
            return x
        xp = B.namespace(x)
        u = B.random_uniform(self.rng, tuple(x.shape), x.dtype, xp)
        mask = xp.astype(u >= self.p, x.dtype) / (1.0 - self.p)   # r / (1 - p)
        self.cache = mask
        return x * mask

    def backward(self, dout: Any) -> Any:
        """``dout``: like the output -> ``dx = dout * mask``."""
        return dout * self.saved

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
