"""dnnlib: the executable heart of *Deep Neural Networks, from the math to the code*.

Every number, plot and widget in the book comes from this package. Readers use it
in the exercises and in their own experiments::

    import dnnlib as dl
    from dnnlib.layers import Dense, ReLU
    from dnnlib.model import Sequential

    model = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 1, rng=1))

The array backend is switchable at run time (``dl.set_backend("cupy")``) without
changing any other code. ``import dnnlib`` stays light: matplotlib, ipywidgets and
CuPy are imported only when a plot, a widget or the GPU is asked for.

Submodules (each an attribute of the package, loaded on first use): the core
``backend, functional, layers, model, losses, optim, schedules, callbacks, train, data,
gradcheck, checkpoint, autograd, source, portable``; on top of it ``lab`` (measuring
tools), ``playground``, ``plot``, ``widgets``, ``exercises``, which the core never
imports. (``diagnostics, initstats, monitors, surfaces, uncertainty`` are the lab's old
paths, kept for one release.) ``dl.show_source(obj)`` prints the code of a library
object, as the chapters do.
"""

from __future__ import annotations

import importlib as _importlib
from typing import Any as _Any

from ._version import __version__
from .backend import (
    get_backend,
    get_default_dtype,
    set_backend,
    set_default_dtype,
    to_numpy,
    use_backend,
)

__all__ = [
    "__version__",
    "get_backend",
    "set_backend",
    "use_backend",
    "to_numpy",
    "get_default_dtype",
    "set_default_dtype",
    "save",
    "load",
    "show_source",
]

_SUBMODULES = (
    "backend",
    "functional",
    "layers",
    "model",
    "losses",
    "optim",
    "schedules",
    "train",
    "callbacks",
    "data",
    "gradcheck",
    "checkpoint",
    "autograd",
    "source",
    "lab",
    "diagnostics",
    "initstats",
    "monitors",
    "surfaces",
    "uncertainty",
    "playground",
    "plot",
    "widgets",
    "exercises",
    "portable",
)


def __getattr__(name: str) -> _Any:
    # Submodules load on first attribute access (PEP 562): ``dl.layers`` works after a
    # plain ``import dnnlib``, and ``import dnnlib`` itself stays fast.
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(_importlib.import_module(".checkpoint", __name__), name)
    if name == "show_source":
        return _importlib.import_module(".source", __name__).show_source
    raise AttributeError(f"module 'dnnlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    # what tab completion offers: the public API and the submodules, no private plumbing
    return sorted(set(__all__) | set(_SUBMODULES))
