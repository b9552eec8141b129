"""Moved to :mod:`dnnlib.lab.initstats`; this path is kept for one release.

The measuring tools live in :mod:`dnnlib.lab`, on top of the core library (which never
imports them). Import from there: ``from dnnlib.lab.initstats import ...``.
"""

from .lab.initstats import *  # noqa: F403
from .lab.initstats import __all__  # noqa: F401
