"""Moved to :mod:`dnnlib.lab.surfaces`; this path is kept for one release.

The measuring tools live in :mod:`dnnlib.lab`, on top of the core library (which never
imports them). Import from there: ``from dnnlib.lab.surfaces import ...``.
"""

from .lab.surfaces import *  # noqa: F403
from .lab.surfaces import __all__  # noqa: F401
from .lab.surfaces import optimize_path as _run  # noqa: E402,F401  (its loop, printed by chapter 4)
