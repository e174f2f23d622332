"""Python's cyclic garbage collector, tuned for a test process once its tests are collected.

A test process holds a large, long-lived heap (the app, SQLAlchemy's mappers, Hypothesis,
Playwright, every collected test) and allocates quickly, so with Python's default thresholds the
collector runs thousands of times and keeps walking that heap: 13 to 17% of a test process's CPU
on the API, console and sync tests, 2 to 3% of the whole suite's CPU saved here (docs/benchmarks.md,
test suite). After collection the heap built so far is frozen (never
scanned again; nothing in it is garbage) and young objects are collected after 20,000
allocations rather than 700. Garbage is still collected, only in fewer, larger passes.
"""

from __future__ import annotations

import gc

import pytest

# (young, middle, old) thresholds; Python's defaults are (700, 10, 10).
THRESHOLDS = (20_000, 20, 20)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
