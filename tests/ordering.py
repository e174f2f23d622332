"""The order tests start in under pytest-xdist: the long ones first, shared out between processes.

With ``--dist worksteal`` each test process is first handed one contiguous part of the
collection and later steals from the tail of the longest queue. A test of tens of seconds left
near the end keeps one core busy while the others idle, so the tests below (seconds each on an
idle machine, roughly longest first) are dealt in turn to the front of each process's part.
Those that never search come first: on a fresh clone the planner's kernels compile meanwhile
(:func:`dispatch.ruin_recreate.load_kernels`), and a test that searches would wait for it.

Only the order changes; every test still runs. An id missing here costs time, never a result.
"""

from __future__ import annotations

import os

import pytest

LONG_FIRST = (
    # never search
    "tests/dispatch_integrity/test_invariants.py::test_a_published_day_stays_feasible",
    "tests/sync/test_convergence.py::test_every_phone_converges",
    "tests/app/test_api_fuzz.py::test_generated_requests",  # four shards, two a process
    "tests/app/test_api_fuzz.py::test_invalid_requests_are_refused",
    "tests/console/test_sla.py::test_the_seeded_demo_shows_a_warning_before_a_breach",
    "tests/app/test_demo.py::test_the_same_seed_gives_the_same_data",
    "tests/app/test_demo.py::test_a_restart_keeps_the_data",
    "tests/tech/test_offline_day.py::test_a_visit_completed_offline",
    "tests/app/test_packaging.py::test_flask_db_upgrade_runs_from_the_installed_wheel",
    # search, in this process or in processes they start
    "tests/browser/test_console_evidence_figures_map.py::test_the_demo_reads_as_a_service_desk_day",
    # the zone runs share their module's rq workers: every other entry, so that one process
    # runs all three in a row (the one that kills a worker last)
    "tests/app/test_zone_runs.py::test_while_the_merge_searches",
    "tests/browser/test_console_browser.py::test_a_dispatcher_reviews_locks_and_publishes",
    "tests/app/test_zone_runs.py::test_a_large_day_is_solved_by_zones",
    "tests/app/test_inline_solve.py::test_the_server_answers_in_under_a_second",
    "tests/app/test_zone_runs.py::test_a_second_search_lost_with_its_worker",
    "tests/app/test_run_health.py::test_killing_a_real_rq_worker_mid_solve",
    "tests/app/test_demo.py::test_the_day_under_way_is_planned_and_published",
    "tests/app/test_demo.py::test_the_full_demo_has_distinct_names",
    "tests/app/test_run_health.py::test_killing_the_separate_solving_process",
    "tests/dispatch/test_under_way_days.py::test_every_day_under_way",
    "tests/console/test_day_and_run_health.py::test_a_failed_run_page_says_why",
    "tests/app/test_dispatch_runs.py::test_a_run_started_through_the_api_reports_progress",
    "tests/dispatch/test_zones.py::test_zone_solve_returns_a_valid_plan_for_the_whole_city",
    "tests/dispatch/test_large_day_search.py::test_polish_keeps_lunch_windows",
    "tests/app/test_run_health.py::test_a_failed_run_is_retried_with_the_same_request",
)


def _rank(item: pytest.Item) -> int | None:
    for rank, prefix in enumerate(LONG_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return None


def long_first_in_parts(items: list[pytest.Item], parts: int = 2) -> list[pytest.Item]:
    """``items`` reordered: the long tests dealt in turn to the head of each process's part.

    The parts are those xdist's work stealing hands out first: for each process in turn, the
    remaining tests divided by the processes still to serve.
    """
    ranked = sorted((r, i) for i, item in enumerate(items) if (r := _rank(item)) is not None)
    long = [items[i] for _, i in ranked]
    moved = {i for _, i in ranked}
    rest = [item for i, item in enumerate(items) if i not in moved]
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for part in range(parts):
        size = remaining // (parts - part)
        head = long[part::parts]
        if len(head) > size:  # a small selection: the order of the files
            return items
        ordered += head
        ordered += rest[: size - len(head)]
        rest = rest[size - len(head):]
        remaining -= size
    return ordered


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:  # every test process computes the same order
        items[:] = long_first_in_parts(items, workers)
