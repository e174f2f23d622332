"""The planner warmed in a process that will solve, before its first solve.

The planner's search kernels are compiled with numba and cached on disk; a process loads them
on first use (about a second, or the whole compilation on a fresh install). An rq worker and
the separate solving process call `warm_planner` at start, so that no run pays this inside its
time limit.
"""

from __future__ import annotations

import importlib
import logging
import time

log = logging.getLogger(__name__)


def warm_planner() -> None:
    """Run the planner's own warm-up (`dispatch.ruin_recreate.warm`) when it has one."""
    try:
        module = importlib.import_module("dispatch.ruin_recreate")
    except ImportError:
        return
    warm = getattr(module, "warm", None)
    if warm is None:
        return
    started = time.process_time()
    warm()
    log.info("planner warmed in %.1f CPU s", time.process_time() - started)
