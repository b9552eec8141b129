"""Moved to :mod:`dnnlib.lab.uncertainty`; this path is kept for one release.

The measuring tools live in :mod:`dnnlib.lab`, on top of the core library (which never
imports them). Import from there: ``from dnnlib.lab.uncertainty import ...``.
"""

from .lab.uncertainty import *  # noqa: F403
from .lab.uncertainty import __all__  # noqa: F401
