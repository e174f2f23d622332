"""The app shell's files: what the service worker caches, and the version that names the cache."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
# Served and cached; source maps, licences and notes stay out of the shell.
SHELL_SUFFIXES = (".js", ".css", ".png", ".svg")


@dataclass(frozen=True)
class Shell:
    """The shell's static files (paths under static/) and a digest of their bytes."""

    files: tuple[str, ...]
    version: str


@cache
def shell() -> Shell:
    """Every shell file and a version that changes whenever any of their bytes change."""
    files = sorted(
        p.relative_to(STATIC).as_posix()
        for p in STATIC.rglob("*")
        if p.is_file() and p.suffix in SHELL_SUFFIXES
    )
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update((STATIC / name).read_bytes())
    return Shell(tuple(files), digest.hexdigest()[:16])


def own_code_size() -> int:
    """Bytes of the app's own JavaScript and CSS (vendored libraries excluded)."""
    return sum(
        (STATIC / name).stat().st_size
        for name in shell().files
        if name.endswith((".js", ".css")) and not name.startswith("vendor/")
    )
