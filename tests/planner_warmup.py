"""The planner's compiled search, built once per checkout while the checks and tests run.

On a fresh clone the first search compiles the numba kernels (some 20 CPU seconds); a process
that searches meanwhile waits for whichever process started compiling first
(:func:`dispatch.ruin_recreate.load_kernels`), while the tests that do not search go on.
`scripts/test` starts `python -m tests.planner_warmup` in the background before its checks, so
that the compile starts at once and overlaps the import checks, the lint and the tests.

A test whose clock runs while another process searches (a run solved in a process of its own
or on an rq worker, watched until a deadline) waits for the compile before it starts: the
modules in `WATCH_OTHER_PROCESSES_SEARCH`. Any other test that searches simply waits inside.
"""

from __future__ import annotations

import pytest

from dispatch.ruin_recreate import load_kernels

WATCH_OTHER_PROCESSES_SEARCH = (
    "tests/app/test_dispatch_runs.py",
    "tests/app/test_inline_solve.py",
    "tests/app/test_run_health.py",
    "tests/app/test_zone_runs.py",
    "tests/browser/test_console_browser.py",
    "tests/console/test_day_and_run_health.py",
    "tests/console/test_runs.py",
)


@pytest.fixture(autouse=True)
def _planner_compiled_before_the_clock_starts(request: pytest.FixtureRequest) -> None:
    if request.node.nodeid.startswith(WATCH_OTHER_PROCESSES_SEARCH):
        load_kernels()  # at once when compiled; else waits for the process compiling them


if __name__ == "__main__":
    load_kernels()
