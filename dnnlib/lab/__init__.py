"""The lab: tools that measure networks, built on the public core of dnnlib.

Each module here uses only what :mod:`dnnlib` offers every reader (layers, models,
losses, optimizers, :func:`~dnnlib.train.fit` and its callbacks,
:func:`~dnnlib.model.preserved` and :func:`~dnnlib.model.iter_layers`); the core never
imports the lab. One module per question a chapter asks:

* :mod:`.diagnostics` - gradient norms, activations and dead units per layer (chapter 2);
* :mod:`.initstats` - the signal through depth at initialisation, measured and
  predicted (chapter 5);
* :mod:`.twins` - scalar autograd twins of dnnlib layers (chapter 5);
* :mod:`.surfaces` - 2-D loss surfaces and optimizer trajectories (chapter 4);
* :mod:`.uncertainty` - Monte-Carlo dropout (chapter 7);
* :mod:`.monitors` - pre-activations during training, evaluation in training mode
  (chapter 8).

The modules load on first use: ``dnnlib.lab.surfaces`` after ``import dnnlib.lab``.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = ("diagnostics", "initstats", "monitors", "surfaces", "twins", "uncertainty")

__all__ = list(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dnnlib.lab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
