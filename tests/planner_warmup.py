"""The planner's compiled search, built once per checkout rather than by every test process.

On a fresh clone the first solve compiles the numba kernels (some 20 CPU seconds) into a cache
beside the code. Unwarmed, every test process and every solving process they start would compile
its own copy at the same moment; here one process compiles under a lock and the others, and every
later process, load the cache. `scripts/test` starts `python -m tests.planner_warmup` in the
background before its checks, so that on a fresh clone the compile overlaps the import checks,
the lint and the test processes' start instead of holding up a test process.
"""

from __future__ import annotations

import fcntl
import hashlib
import sys
import tempfile
from pathlib import Path

DISPATCH = Path(__file__).resolve().parent.parent / "dispatch"


def _lock_path() -> Path:
    # one lock per checkout, the same in every process (str hashes differ between processes)
    key = hashlib.sha256(str(DISPATCH).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"planner-warm-{key}.lock"


def warm_under_lock() -> None:
    """Load the planner's kernels, compiling them first if no other process has."""
    from app.jobs.warmup import warm_planner

    with _lock_path().open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            warm_planner()
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def probably_compiled() -> bool:
    """Whether the search's main loop has a cache newer than the kernels' source.

    A cheap guess (no numba import): numba itself checks the cache when a process loads it,
    and `warm_under_lock` compiles whatever is missing.
    """
    source = DISPATCH / "kernels.py"
    cached = list((DISPATCH / "__pycache__").glob("kernels.run-*.nbi"))
    return any(c.stat().st_mtime >= source.stat().st_mtime for c in cached)


if __name__ == "__main__":
    if not probably_compiled():
        warm_under_lock()
    sys.exit(0)
