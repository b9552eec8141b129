"""Moved to :mod:`dnnlib.lab.monitors`; this path is kept for one release.

The measuring tools live in :mod:`dnnlib.lab`, on top of the core library (which never
imports them). Import from there: ``from dnnlib.lab.monitors import ...``.
"""

from .lab.monitors import *  # noqa: F403
from .lab.monitors import __all__  # noqa: F401
