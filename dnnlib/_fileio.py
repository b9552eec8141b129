"""Temporary files beside a target, and the cleanup of those a killed process left.

A file is written as ``.{name}.{pid}.{random}{suffix}`` in the target's folder, then
renamed over the target (atomic on POSIX and Windows). A process killed mid-write
(SIGKILL, a power cut) cannot remove its temporary file, so the next writer of the same
target does: every such file whose process no longer runs (POSIX), or older than an hour
(anywhere), is deleted. Files of other targets, and of a writer still running, are left
alone, so a reader's folder never fills up with half-written copies.

Private: used by :mod:`dnnlib.checkpoint` (saves) and :mod:`dnnlib.data` (downloads).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

#: A temporary file whose process cannot be checked is considered stale after this.
STALE_AFTER_S = 3600.0


def _pid_alive(pid: int) -> bool:
    """True unless process ``pid`` surely does not exist (POSIX only; elsewhere: True)."""
    if sys.platform == "win32":  # os.kill would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale_temps(target: Path, suffix: str) -> None:
    """Delete ``.{target.name}.{pid}.*{suffix}`` files whose writer is gone (see module)."""
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        pid_text = name[len(prefix):].split(".", 1)[0]
        try:
            if pid_text.isdigit() and int(pid_text) != os.getpid():
                stale = not _pid_alive(int(pid_text))
            else:
                stale = False
            stale = stale or time.time() - entry.stat(follow_symlinks=False).st_mtime > \
                STALE_AFTER_S
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:  # raced with its owner, or not ours to delete: leave it
            continue


def temp_beside(target: Path, suffix: str) -> tuple[int, str]:
    """``(fd, path)`` of a new temporary file beside ``target``, stale ones removed first."""
    remove_stale_temps(target, suffix)
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.",
                            suffix=suffix)
