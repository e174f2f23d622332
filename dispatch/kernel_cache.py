"""The search kernels compiled once per machine, not once per process.

Numba compiles the kernels on their first call in an install (some 20 CPU seconds) and caches
the machine code on disk; later processes load the cache in about a second. Started together on
a fresh install (several rq workers, a server's solving processes), every process would compile
its own copy at the same moment. :func:`compiled` lets one process compile while the others
wait on a file lock, then load what it wrote; a stamp beside numba's cache says the work is done
and spares later processes the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # no POSIX file locks: each process compiles what it misses itself
    fcntl = None  # type: ignore[assignment]


def _cache_dir(source: Path) -> Path:
    # numba's own default: __pycache__ beside the source, unless NUMBA_CACHE_DIR says otherwise
    configured = os.environ.get("NUMBA_CACHE_DIR")
    return Path(configured) if configured else source.parent / "__pycache__"


def _stamp(source: Path) -> Path:
    import numba

    key = hashlib.sha256(source.read_bytes() + numba.__version__.encode()).hexdigest()[:16]
    return _cache_dir(source) / f"{source.stem}.compiled-{key}"


@contextlib.contextmanager
def compiled(source: str | os.PathLike[str]) -> Iterator[bool]:
    """Yields whether the caller must compile the kernels of ``source`` (then it holds the lock).

    False when a stamp says another process has compiled them (after waiting for it, if it was
    compiling). When the caller's block ends without an error the stamp is written.
    """
    path = Path(source).resolve()
    stamp = _stamp(path)
    if stamp.exists():
        yield False
        return
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        lock = (stamp.parent / f"{path.stem}.compile-lock").open("a")
    except OSError:  # a read-only install: numba falls back to a cache of its own choosing
        yield True
        return
    with lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            yield False
            return
        yield True
        stamp.touch()
