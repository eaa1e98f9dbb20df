"""Processes: the cores this one may run on, and whether another is still running (for files
and servers named after their owner's pid)."""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    """True while ``pid`` runs (or belongs to another user, which cannot be told apart)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; only its parent has yet to read its status.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state not in ("Z", "X")


def cores() -> int:
    """The cores this process may run on: a container or `taskset` can allow fewer than the
    machine has, which is all ``os.cpu_count`` sees (Python 3.13 adds process_cpu_count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
