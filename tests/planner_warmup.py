"""The planner's compiled search, built once per checkout while the checks run.

On a fresh clone the first search compiles the numba kernels (some 20 CPU seconds); the
processes that search wait for whichever started compiling first
(:func:`dispatch.ruin_recreate.load_kernels`) while the tests that do not search go on.
`scripts/test` starts `python -m tests.planner_warmup` in the background before its checks, so
that the compile starts at once and overlaps the import checks, the lint and the tests.
"""

from __future__ import annotations

from dispatch.ruin_recreate import load_kernels

if __name__ == "__main__":
    load_kernels()
