"""Exercise checkers: one module per chapter (``dnnlib.exercises.ch01``, ...) and one for
the playground's challenges (``dnnlib.exercises.a1``).

In a chapter::

    from dnnlib.exercises.ch01 import check_dense_forward
    check_dense_forward(dense_forward)     # prints feedback, ends with "All N checks passed."

Each checker runs the reader's function on typical and edge cases and prints, for each
case, as soon as it ends, a check mark or what is wrong and the likely mistake; an
untouched stub (``raise NotImplementedError``) is reported as "not attempted yet". The
shared machinery, and the discipline every checker follows, is in
:mod:`dnnlib.exercises._checker` (see its docstring for how to write a new checker).
Chapter modules are imported on first use, so ``import dnnlib.exercises`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._checker import Checker, CheckResult

__all__ = ["Checker", "CheckResult"]


def __getattr__(name: str) -> Any:
    if (name.startswith("ch") and name[2:].isdigit()) or name == "a1":
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dnnlib.exercises' has no attribute {name!r}")
