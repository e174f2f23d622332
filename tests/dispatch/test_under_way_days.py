"""Re-planning a day already under way: whatever the technicians' positions and times, a plan.

A technician's day restarts where they are (``CurrentPosition``), which can be late and far from
home; visits in progress and promised visits are pinned. Every plan is checked by
:mod:`dispatch.verify` (an independent re-simulation) and by the independent day check.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import Break, CurrentPosition, Lock, solve
from dispatch.verify import verify_plan
from tests.dispatch.conftest import at, near, problem, shift, tech, visit
from tests.dispatch.daycheck import GridProvider, check_plan_independently
from tests.examples import examples

GRID = GridProvider()
ENGINES = ["ruin_recreate", "ortools"]


def verified(prob):
    plan = solve(prob, provider=GRID)
    verdict = verify_plan(prob, plan, GRID)
    assert not verdict.errors, verdict.errors
    errors = check_plan_independently(plan, prob)
    assert not errors, errors
    return plan


def served(plan) -> dict[str, str]:
    return {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_technician_too_far_from_home_to_be_back_by_the_shift_end_leaves_the_others_planned(
    engine,
):
    # 16:50, 30 km (60 min) from home with the shift ending at 17:00: this day is over
    late = tech("late", current=CurrentPosition(near(30), at(16, 50)))
    prob = problem(
        [late, tech("free")], [visit("v", near(1)), visit("w", near(2))], engine=engine
    )
    plan = verified(prob)
    assert served(plan) == {"v": "free", "w": "free"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_visit_under_way_running_past_the_shift_end_leaves_the_others_planned(engine):
    # expected to be done at 17:20 although the shift ended at 17:00
    late = tech("late", current=CurrentPosition(near(1), at(17, 20)))
    prob = problem([tech("free"), late], [visit("v", near(1))], engine=engine)
    assert served(verified(prob)) == {"v": "free"}


def test_a_late_technician_whose_lunch_is_reserved_leaves_the_others_planned():
    # OR-Tools with the lunch reserved off the shift: 13:36, 100 minutes from home, shift ends
    # 16:00; reserving the whole lunch would leave too little for the drive home
    lunch = Break(at(11, 30), at(13, 30), 45)
    late = tech("late", shifts=[shift(end=16, brk=lunch)],
                current=CurrentPosition(near(40, 10), at(13, 36)))
    prob = problem([tech("free", shifts=[shift(end=16, brk=lunch)]), late], [visit("v", near(1))],
                   engine="ortools", break_mode="reserve")
    assert served(verified(prob)) == {"v": "free"}


def test_a_day_under_way_with_a_late_technician_and_nothing_left_to_plan_is_a_plan():
    late = tech("late", current=CurrentPosition(near(30), at(16, 50)))
    plan = verified(problem([late], []))
    assert plan.routes == []
    assert plan.unassigned == []


@st.composite
def days_under_way(draw):
    """One to three technicians, each maybe under way, as the back office sends them: the visit
    on site is the current position, free once it is expected to be done (maybe past the shift's
    end), and maybe in the problem too, in progress since before then (maybe across lunch or
    the shift's end); promised work later that day is pinned at its start; lunch may already be
    due."""
    lunch = draw(st.sampled_from([None, Break(at(11, 30), at(13, 30), 45)]))
    techs, visits = [], []
    for i in range(draw(st.integers(1, 3))):
        tid = f"t{i}"
        current = None
        end = draw(st.integers(16, 19))
        if draw(st.booleans()):
            free = at(8) + timedelta(minutes=draw(st.integers(0, (end - 8) * 60 + 90)))
            current = CurrentPosition(near(draw(st.integers(0, 40)), draw(st.integers(-10, 10))),
                                      free)
            if draw(st.booleans()):
                since = free - timedelta(minutes=draw(st.integers(1, 240)))
                visits.append(visit(f"on_site{i}", current.location,
                                    duration=draw(st.integers(15, 300)), lock=Lock.IN_PROGRESS,
                                    locked_technician_id=tid, locked_start=since))
            for k in range(draw(st.integers(0, 2))):
                promised = free + timedelta(minutes=draw(st.integers(0, 300)))
                visits.append(visit(f"promised{i}.{k}", near(draw(st.integers(0, 20))),
                                    duration=draw(st.integers(30, 120)),
                                    lock=draw(st.sampled_from([Lock.IN_PROGRESS,
                                                               Lock.TECHNICIAN_TIME])),
                                    locked_technician_id=tid, locked_start=promised))
        techs.append(tech(tid, shifts=[shift(end=end, brk=lunch)], current=current))
    for j in range(draw(st.integers(0, 5))):
        opens = draw(st.integers(8, 16))
        visits.append(visit(f"open{j}", near(draw(st.integers(0, 25)), draw(st.integers(-5, 5))),
                            duration=draw(st.integers(20, 120)),
                            windows=[(at(opens), at(opens + 2))]))
    engine = draw(st.sampled_from(ENGINES))
    mode = draw(st.sampled_from(["exact", "reserve"]))
    return problem(techs, visits, engine=engine, break_mode=mode, time_lock_tolerance_min=0,
                   search_iterations=200, time_limit_s=2.0)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days_under_way())
def test_every_day_under_way_gets_a_plan_that_verifies(prob):
    plan = verified(prob)
    accounted = set(served(plan)) | {u.visit_id for u in plan.unassigned}
    assert accounted == {v.id for v in prob.visits}
