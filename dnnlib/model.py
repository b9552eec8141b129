"""Sequential: layers composed into a network (chapters 1, 5, 6).

``Sequential`` chains :mod:`dnnlib.layers` in order: the forward pass runs them
first to last, the backward pass last to first (the chain rule of chapter 5).
It also collects the parameters for the optimizers, switches every layer between
training and evaluation mode, and saves/restores the weights with
``state_dict``/``load_state_dict`` (PyTorch's names and key format).

Two helpers own the walk through a model, for every module that needs one:
:func:`iter_layers` (the layers, nested models flattened) and :func:`preserved` (a
block after which modes, buffers, random generators and, when asked, parameters and
gradients are as they were: the "evaluate, then restore" of ``evaluate``, ``predict``,
``lr_find`` and the measuring tools of :mod:`dnnlib.lab`).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend as B
from ._validation import as_float_array, check_state_arrays
from .layers import Layer, Parameter

__all__ = ["Sequential", "iter_layers", "preserved"]


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
        """Run every layer in order; returns the last layer's output.

        The model is the door: ``x`` is checked here, once (:meth:`check_input`), and
        the layers trust what they are given.
        """
        x = self.check_input(x)
        for layer in self.layers:
            x = layer.forward(x)
        self.cache = x
        return x

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def backward(self, dout: Any) -> Any:
        """Run every layer's backward, last to first; returns ``dx`` for the input.

        ``dout`` is checked here, once (:meth:`check_dout`). ``dx`` is ``None`` when the
        first layer skips it (:attr:`needs_input_grad` is ``False``, as in ``fit``).
        """
        dout = self.check_dout(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def check_input(self, x: Any) -> Any:
        """The first layer's check, then the parameters' backend and dtype (see ``Layer``)."""
        if self.layers:
            x = self.layers[0].check_input(x)
        return super().check_input(x)

    def check_dout(self, dout: Any) -> Any:
        """``dout`` as a float array shaped like the last output, on its backend and dtype."""
        fn = "Sequential.backward"
        out = self.saved
        dout = as_float_array(dout, fn, "dout")
        xp = B.namespace(dout, out, fn=fn)
        if tuple(dout.shape) != tuple(out.shape):
            raise ValueError(f"{fn}: dout must have shape {tuple(out.shape)} (the forward "
                             f"output), got {tuple(dout.shape)}")
        if dout.dtype != out.dtype:
            dout = xp.astype(dout, out.dtype)
        return dout

    @property
    def needs_input_grad(self) -> bool:  # type: ignore[override]
        """Whether :meth:`backward` computes ``dx`` for the input: the first layer's flag.

        ``fit`` sets it to ``False`` while it trains (nobody needs the gradient with
        respect to the data; for a first ``Dense`` layer that is a quarter of the
        arithmetic of an MLP step) and puts it back afterwards.
        """
        return self.layers[0].needs_input_grad if self.layers else True

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        if self.layers:
            self.layers[0].needs_input_grad = bool(value)

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
    def state_arrays(self) -> dict[str, Any]:
        """Key -> the live array it names (parameter data or buffer), not a copy.

        The keys of :meth:`state_dict`; writing into these arrays changes the model.
        """
        out: dict[str, Any] = {k: p.data for k, p in self.named_params()}
        out.update(self.buffers())
        return out

    _targets = state_arrays  # the name load_state_dict uses

    def state_dict(self) -> dict[str, Any]:
        """Copies of every parameter and buffer, keyed ``"{index}.{name}"``.

        The arrays stay on the model's backend (use :func:`dnnlib.to_numpy` to save
        them with NumPy); they are copies, so training on does not change them.
        """
        out = {}
        for key, arr in self.state_arrays().items():
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


# --------------------------------------------------------------------------- walking a model
def iter_layers(model: Any, *, containers: bool = False) -> Iterator[Layer]:
    """Every layer of ``model`` in forward order, nested ``Sequential`` models flattened.

    Parameters
    ----------
    model : Layer
        A :class:`Sequential` model or a single layer.
    containers : bool
        Also yield each ``Sequential`` itself, before its layers.

    Examples
    --------
    >>> from dnnlib.layers import Dense, Tanh
    >>> [type(l).__name__ for l in iter_layers(Sequential(Dense(2, 3), Tanh()))]
    ['Dense', 'Tanh']
    """
    children = getattr(model, "layers", None)
    if isinstance(children, list):
        if containers:
            yield model
        for child in children:
            yield from iter_layers(child, containers=containers)
    else:
        yield model


def _copy(a: Any) -> Any:
    return B.namespace(a).asarray(a, copy=True)


@contextlib.contextmanager
def preserved(model: Any, *, training: bool | None = None, buffers: bool = True,
              rngs: bool = True, params: bool = False, grads: bool = False) -> Iterator[Any]:
    """A block after which ``model`` is as it was before it.

    Restored on exit (also after an exception): the training/evaluation flag of the
    model and of every layer in it and, unless turned off, every buffer (BatchNorm's
    running statistics) and the state of every layer's random generator (``layer.rng``,
    Dropout's masks); with ``params=True`` the parameters, with ``grads=True`` their
    gradients. Forward caches are not restored (any forward pass overwrites them).

    Parameters
    ----------
    model : Layer
        A :class:`Sequential` model or a single layer.
    training : bool or None
        Mode for the block: ``True`` training, ``False`` evaluation, ``None`` as is.
    buffers, rngs : bool
        Restore the buffers / the random generators (``fit`` restores modes only).
    params, grads : bool
        Also restore the parameters' data / gradients (a copy of each is kept).

    Yields
    ------
    model

    Examples
    --------
    >>> import numpy as np
    >>> from dnnlib.layers import BatchNorm1d, Dense
    >>> model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3))
    >>> with preserved(model, training=False):
    ...     model.training
    False
    >>> model.training
    True
    >>> with preserved(model, training=True):
    ...     _ = model(np.ones((4, 2)))          # would move the running statistics
    >>> model.layers[1].running_mean.tolist()
    [0.0, 0.0, 0.0]
    """
    layers = list(iter_layers(model, containers=True))
    modes = [(layer, layer.training) for layer in layers]
    saved_buffers = [(layer, {k: _copy(v) for k, v in layer.buffers().items()})
                     for layer in layers if buffers and not isinstance(layer, Sequential)]
    gens = {id(g): g for layer in layers
            if rngs and isinstance(g := getattr(layer, "rng", None), np.random.Generator)}
    gen_states = [(g, copy.deepcopy(g.bit_generator.state), B.device_generators.get(g))
                  for g in gens.values()]
    all_params = [p for layer in layers if not isinstance(layer, Sequential)
                  for p in layer.params]
    saved_data = [(p, _copy(p.data)) for p in all_params] if params else []
    saved_grads = [(p, _copy(p.grad)) for p in all_params] if grads else []
    for g, _, _ in gen_states:  # the block draws on a device from a fresh CuPy generator
        B.device_generators.pop(g, None)
    try:
        if training is not None:
            model.train(training)
        yield model
    finally:
        for layer, mode in modes:
            layer.training = mode
        for layer, saved in saved_buffers:
            current = layer.buffers()
            for k, v in saved.items():
                current[k][...] = v
        for g, state, device in gen_states:
            g.bit_generator.state = state
            B.device_generators.pop(g, None)  # CuPy's copy, drawn from the host state
            if device is not None:
                B.device_generators[g] = device
        for p, v in saved_data:
            p.data[...] = v
        for p, v in saved_grads:
            p.grad[...] = v
