"""Small builders for dispatch tests: one city block, one day, explicit everything."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from dispatch import (
    Break,
    FixedMatrixProvider,
    Plan,
    Problem,
    Shift,
    SolverSettings,
    Technician,
    Visit,
)

TZ = timezone(timedelta(hours=8))
DAY = date(2026, 11, 25)
DEPOT = (31.2300, 121.4700)


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    """A local datetime on the test day."""
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


def near(dlat_km: float, dlon_km: float = 0.0) -> tuple[float, float]:
    """A point some km north/east of the depot."""
    return (DEPOT[0] + dlat_km / 111.0, DEPOT[1] + dlon_km / 95.0)


def shift(
    day: date = DAY,
    start: int = 8,
    end: int = 17,
    brk: Break | None = None,
    location=DEPOT,
    max_work: int | None = None,
) -> Shift:
    return Shift(day, at(start, day=day), at(end, day=day), location, location, brk, max_work)


def tech(tid: str, skills: dict[str, int] | None = None, shifts=None, **kw) -> Technician:
    return Technician(
        tid,
        skills if skills is not None else {"repair": 1},
        shifts if shifts is not None else [shift()],
        **kw,
    )


def visit(vid: str, loc=None, duration: int = 30, skills=None, windows=None, **kw) -> Visit:
    return Visit(
        vid,
        kw.pop("kind", "repair"),
        near(1) if loc is None else loc,
        duration,
        skills if skills is not None else {"repair": 1},
        windows or [],
        **kw,
    )


# Searches in these tests stop after a fixed amount of work rather than at a share of a busy
# machine's clock: the same plan on any machine, in milliseconds for the small days most tests
# plan. The time limit still bounds every solve.
SEARCH_ITERATIONS = 2000


def even_legs(places, seconds: int) -> FixedMatrixProvider:
    """A fixed matrix over ``places`` in which every drive between two of them takes ``seconds``."""
    n = len(places)
    return FixedMatrixProvider(
        places, [[0 if i == j else seconds for j in range(n)] for i in range(n)], speed_kmh=30.0
    )


def problem(techs, visits, days: int = 1, time_limit_s: float = 1.0, **settings) -> Problem:
    """A problem on DAY whose search stops after SEARCH_ITERATIONS unless `settings` say else."""
    settings.setdefault("search_iterations", SEARCH_ITERATIONS)
    return Problem(techs, visits, DAY, days, SolverSettings(time_limit_s=time_limit_s, **settings))


def assert_plan_valid(plan: Plan, prob: Problem) -> None:
    """Independent checks: skills, windows, shifts, breaks, no overlap, every visit accounted."""
    visits = {v.id: v for v in prob.visits}
    techs = {t.id: t for t in prob.technicians}
    seen = []
    for route in plan.routes:
        t = techs[route.technician_id]
        sh = next(s for s in t.shifts
                  if s.day == route.day and s.start <= route.start <= s.end)
        assert sh.start <= route.start, "route starts before its shift"
        assert route.end <= sh.end, "route ends after its shift"
        prev_end = route.start
        for stop in route.stops:
            v = visits[stop.visit_id]
            seen.append(v.id)
            assert t.has_skills(v.required_skills), f"{t.id} lacks skills for {v.id}"
            assert stop.start >= prev_end, "stops overlap"
            assert stop.end - stop.start == timedelta(minutes=v.duration_min)
            if v.time_windows:
                assert any(a <= stop.start <= b for a, b in v.time_windows), f"{v.id} window"
            if v.sla_hard:
                assert stop.start <= v.sla_due
            prev_end = stop.end
        if sh.break_ is not None and route.stops:
            b = route.break_start
            assert b is not None, "route has no break"
            b_end = b + timedelta(minutes=sh.break_.duration_min)
            assert sh.break_.earliest_start <= b
            assert b_end <= sh.break_.latest_end
            for stop in route.stops:
                assert stop.end <= b or stop.start >= b_end, "visit overlaps the break"
    seen += [u.visit_id for u in plan.unassigned]
    assert sorted(seen) == sorted(visits), "every visit is either planned once or unassigned"
    for u in plan.unassigned:
        assert u.reasons
        assert all(r.code and r.message for r in u.reasons)


@pytest.fixture
def check_plan():
    return assert_plan_valid


@pytest.fixture(scope="session", autouse=True)
def _search_kernels_loaded():
    """Compile (first run of an install) or load the search kernels once, outside any test."""
    from dispatch import ruin_recreate

    ruin_recreate.warm()
