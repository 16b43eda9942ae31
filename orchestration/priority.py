"""CPU priority of build work, so the API keeps answering quickly while a build runs."""

from __future__ import annotations

import contextlib
import os


def lower_priority(nice: int, pid: int = 0) -> None:
    """Lower a build's CPU priority (raise its nice value to `nice`), so the API keeps
    answering quickly while it runs. pid 0 is the calling thread (Linux keeps nice per
    thread); threads and processes it starts later inherit it, DuckDB's included."""
    if nice <= 0:
        return
    # OSError: the process is gone; AttributeError: no setpriority on this platform.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), nice))
