"""Moved to :mod:`dnnlib.lab.diagnostics`; this path is kept for one release.

The measuring tools live in :mod:`dnnlib.lab`, on top of the core library (which never
imports them). Import from there: ``from dnnlib.lab.diagnostics import ...``.
"""

from .lab.diagnostics import *  # noqa: F403
from .lab.diagnostics import __all__  # noqa: F401
