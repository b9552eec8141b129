"""Layers: forward and backward passes with an explicit cache (chapters 1, 2, 5, 7-10).

Every layer follows the same small protocol, as in CS231n's ``layers.py``:

* ``y = layer.forward(x)`` computes the output and keeps what the backward pass
  needs in ``layer.cache``;
* ``dx = layer.backward(dout)`` returns the gradient with respect to the input and
  **adds** the gradients of the parameters into ``param.grad`` (``+=``, as in
  PyTorch and micrograd; the library's layers write it
  ``param.accumulate_grad(g)``, which skips adding to zeros right after
  ``zero_grad``), so ``zero_grad`` must be called between steps.

``layer(x)`` checks ``x`` and runs ``forward``; ``forward`` and ``backward`` are the
math and trust their input (:mod:`.base` says why). Shapes: ``N`` batch, ``D`` input
features, ``H`` output features; ``C`` channels, ``L`` sequence length, ``T`` time
steps in Part II. One module per family: :mod:`.base` (the protocol), :mod:`.dense`,
:mod:`.activations`, :mod:`.dropout`, :mod:`.normalization`, :mod:`.layernorm`,
:mod:`.conv`, :mod:`.pooling`, :mod:`.shape`, :mod:`.recurrent`.
"""

from .activations import ACTIVATIONS, Activation, LeakyReLU, ReLU, Sigmoid, Tanh, make_activation
from .base import Layer, Parameter, resolve_dtype
from .conv import Conv1d, Conv2d
from .dense import Dense
from .dropout import Dropout
from .layernorm import LayerNorm
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d
from .recurrent import GRU, RNN
from .shape import Flatten, Reshape

__all__ = [
    "Parameter",
    "Layer",
    "Dense",
    "Activation",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "LeakyReLU",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "ACTIVATIONS",
    "make_activation",
    "resolve_dtype",
    "Conv1d",
    "Conv2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool",
    "Flatten",
    "Reshape",
    "RNN",
    "GRU",
]
