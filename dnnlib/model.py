"""Sequential: layers composed into a network (chapters 1, 5, 6).

``Sequential`` chains :mod:`dnnlib.layers` in order: the forward pass runs them
first to last, the backward pass last to first (the chain rule of chapter 5).
It also collects the parameters for the optimizers, switches every layer between
training and evaluation mode, and saves/restores the weights with
``state_dict``/``load_state_dict`` (PyTorch's names and key format).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend as B
from ._validation import check_state_arrays
from .layers import Dense, Layer, Parameter

__all__ = ["Sequential"]


class Sequential(Layer):
    r"""A stack of layers applied one after the other.

    Parameters
    ----------
    *layers : Layer
        The layers, in order. A single list or tuple of layers is accepted too
        (``Sequential([Dense(2, 3), ReLU()])``).

    Attributes
    ----------
    layers : list of Layer
        The layers, in order.

    Notes
    -----
    Chapter 1 composes layers, :math:`f(x) = f_L(\cdots f_2(f_1(x)))`; chapter 5 runs
    the chain rule backwards through the same list,

    .. math:: \frac{\partial L}{\partial x} = J_{f_1}^\top \cdots J_{f_L}^\top\,
              \frac{\partial L}{\partial f},

    each layer's ``backward`` multiplying by its Jacobian transpose. Shapes: ``x`` is
    ``(N, D)`` (or what the first layer accepts); the output is whatever the last layer
    returns.

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import Dense, ReLU
    >>> model = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    >>> model
    Sequential(
      (0): Dense(in_features=2, out_features=3)
      (1): ReLU()
      (2): Dense(in_features=3, out_features=1)
    )
    >>> model(np.ones((5, 2), dtype=np.float32)).shape
    (5, 1)
    >>> model.num_params()   # (2*3 + 3) + (3*1 + 1)
    13
    >>> sorted(model.state_dict())
    ['0.W', '0.b', '2.W', '2.b']
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: layer {i} must be a dnnlib Layer, got "
                                f"{type(layer).__name__} {layer!r:.60}")
        self.layers: list[Layer] = list(layers)

    # -- forward / backward ------------------------------------------------------
    def forward(self, x: Any) -> Any:
        """Run every layer in order; returns the last layer's output."""
        for layer in self.layers:
            x = layer.forward(x)
        self.cache = True
        return x

    def backward(self, dout: Any, *, need_input_grad: bool = True) -> Any:
        """Run every layer's backward in reverse order; returns ``dx`` for the input.

        With ``need_input_grad=False`` a first :class:`~dnnlib.layers.Dense` layer skips
        the input gradient (nobody needs the gradient with respect to the data) and
        None is returned; the parameters' gradients are the same. ``fit`` uses it.
        """
        self._require_cache("backward")
        first = self.layers[0] if self.layers else None
        for layer in reversed(self.layers):
            if layer is first and not need_input_grad and isinstance(layer, Dense):
                return layer.backward(dout, need_dx=False)
            dout = layer.backward(dout)
        return dout

    # -- modes -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Sequential:
        """Training mode for this model and every layer; returns ``self``."""
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        """Evaluation mode for every layer (dropout off, running statistics); returns ``self``."""
        return self.train(False)

    # -- parameters --------------------------------------------------------------
    @property
    def params(self) -> list[Parameter]:
        """All trainable parameters, layer by layer (a flat list)."""
        return [p for layer in self.layers for p in layer.params]

    def named_params(self) -> list[tuple[str, Parameter]]:
        """``[("0.W", Parameter), ("0.b", Parameter), ...]``, the keys of :meth:`state_dict`."""
        out = []
        for i, layer in enumerate(self.layers):
            named = layer.named_params() if isinstance(layer, Sequential) else [
                (p.name, p) for p in layer.params]
            out.extend((f"{i}.{k}", p) for k, p in named)
        return out

    def buffers(self) -> dict[str, Any]:
        """Non-trainable state of every layer: ``{"2.running_mean": array, ...}``."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.buffers().items()}

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for p in self.params:
            p.zero_grad()

    def num_params(self) -> int:
        """The number of trainable scalars (chapter 1 counts them by hand)."""
        return sum(int(np.prod(p.shape)) for p in self.params)

    # -- saving and loading ------------------------------------------------------
    def _targets(self) -> dict[str, Any]:
        """Key -> the live array it names (parameter data or buffer)."""
        out: dict[str, Any] = {k: p.data for k, p in self.named_params()}
        out.update(self.buffers())
        return out

    def state_dict(self) -> dict[str, Any]:
        """Copies of every parameter and buffer, keyed ``"{index}.{name}"``.

        The arrays stay on the model's backend (use :func:`dnnlib.to_numpy` to save
        them with NumPy); they are copies, so training on does not change them.
        """
        out = {}
        for key, arr in self._targets().items():
            xp = B.namespace(arr, fn="Sequential.state_dict")
            out[key] = xp.asarray(arr, copy=True)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Copy the arrays of ``state_dict`` into the model, in place.

        Values may be NumPy arrays (for example from ``np.load``) or arrays of the
        model's backend; they are moved to the model's backend and cast to each
        parameter's dtype. The copy is in place, so an optimizer holding the
        parameters keeps working.

        Raises
        ------
        ValueError
            Naming every missing key, every unexpected key, every shape mismatch (with
            both shapes) and every unusable value (strings, complex or structured
            arrays, values beyond the parameter dtype's range). Everything is checked
            before anything is assigned, so a failed load changes nothing.
        """
        targets = self._targets()
        values = check_state_arrays("Sequential.load_state_dict", targets, state_dict)
        for key, v in values.items():
            targets[key][...] = v

    # -- container protocol ------------------------------------------------------
    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(self.layers[index])
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = [f"  ({i}): {layer!r}".replace("\n", "\n  ") for i, layer in
                 enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"

    def summary(self) -> str:
        """A small table: each layer, its output shape (``N`` = batch) and its parameters.

        Examples
        --------
        >>> from dnnlib.layers import Dense, ReLU
        >>> print(Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 1, rng=0)).summary())
        #   layer                                output shape  params
        0   Dense(in_features=2, out_features=4)       (N, 4)      12
        1   ReLU()                                     (N, 4)       0
        2   Dense(in_features=4, out_features=1)       (N, 1)       5
        total trainable parameters: 17
        """
        rows = []
        width: int | None = None
        for i, layer in enumerate(self.layers):
            width = getattr(layer, "out_features", getattr(layer, "num_features", width))
            shape = f"(N, {width})" if width is not None else "(N, ?)"
            n = sum(int(np.prod(p.shape)) for p in layer.params)
            rows.append((str(i), repr(layer).splitlines()[0], shape, str(n)))
        w = max([len(r[1]) for r in rows] + [5])
        head = f"{'#':<3} {'layer':<{w}} {'output shape':>12} {'params':>7}"
        body = [f"{a:<3} {b:<{w}} {c:>12} {d:>7}" for a, b, c, d in rows]
        return "\n".join([head, *body, f"total trainable parameters: {self.num_params()}"])
