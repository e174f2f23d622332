"""A visit in progress is finished, whatever the shift says: the plan keeps it with its technician
at its start, lets the day run over for it (the overrun shown), plans no lunch it left no room
for, and never uses the overrun for new work. Promised work not yet started has no such right.

A visit is in progress when it is pinned with ``Lock.IN_PROGRESS`` and started before its
technician's current time; each plan is checked by :mod:`dispatch.verify` and the day check.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import Break, CurrentPosition, Lock, solve
from dispatch.verify import verify_plan, verify_routes
from tests.dispatch.conftest import at, near, problem, shift, tech, visit
from tests.dispatch.daycheck import GridProvider, check_plan_independently

GRID = GridProvider()  # 2 minutes per km: A is 2 minutes from home, B 4 minutes from A
A, B = near(1), near(3)
ENGINES = ["ruin_recreate", "ortools"]
LUNCH = Break(at(11, 30), at(13, 30), 45)


def on_site(since, now, minutes: int, brk: Break | None = None, skills=None, **kw):
    """T1 on site at A since ``since`` for a visit P of ``minutes``, at ``now``."""
    t1 = tech("T1", shifts=[shift(brk=brk)], current=CurrentPosition(A, now))
    p = visit("P", A, minutes, skills=skills, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
              locked_start=since, **kw)
    return t1, p


def verified(prob):
    plan = solve(prob, provider=GRID)
    verdict = verify_plan(prob, plan, GRID)
    assert verdict.valid, verdict.errors
    errors = check_plan_independently(plan, prob)
    assert not errors, errors
    return plan


def stops(plan) -> dict[str, str]:
    return {s.visit_id: f"{r.technician_id} {s.start:%H:%M}" for r in plan.routes for s in r.stops}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_visit_in_progress_past_the_shift_end_is_finished_and_the_day_runs_over(engine):
    # on site since 16:30 for an hour, 16:50 now, the shift ends at 17:00
    t1, p = on_site(at(16, 30), at(16, 50), 60)
    plan = verified(problem([t1], [p], engine=engine))
    assert stops(plan) == {"P": "T1 16:30"}
    route = plan.routes[0]
    assert (route.end, route.overtime_min) == (at(17, 32), 32)  # done 17:30, two minutes home
    assert plan.unassigned == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_visit_in_progress_across_lunch_is_finished_and_the_day_goes_on_without_lunch(engine):
    # on site 12:00-14:00: lunch (45 min, to end by 13:30) no longer fits; W still gets done
    t1, p = on_site(at(12), at(12, 30), 120, brk=LUNCH)
    plan = verified(problem([t1], [p, visit("W", B, 30)], engine=engine))
    assert stops(plan) == {"P": "T1 12:00", "W": "T1 14:04"}
    assert plan.routes[0].break_start is None
    assert plan.routes[0].overtime_min == 0


def test_a_cap_on_the_working_day_gives_way_to_the_visit_in_progress():
    # an hour's duty at most, counted from the restart at 16:30: the job and the drive home
    # take 62 minutes
    t1 = tech("T1", shifts=[shift(end=19, max_work=60)], current=CurrentPosition(A, at(16, 50)))
    p = visit("P", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
              locked_start=at(16, 30))
    plan = verified(problem([t1], [p]))
    assert stops(plan) == {"P": "T1 16:30"}


def test_lunch_that_still_fits_after_the_visit_in_progress_is_planned():
    t1, p = on_site(at(11), at(11, 10), 30, brk=LUNCH)
    plan = verified(problem([t1], [p, visit("W", B, 30)]))
    assert plan.routes[0].break_start is not None


def test_the_overrun_serves_the_visit_in_progress_alone():
    # done at 17:30: a five-minute job on the way home would still end the day later
    t1, p = on_site(at(16, 30), at(16, 50), 60)
    plan = verified(problem([t1], [p, visit("W", near(0.5), 5)]))
    assert stops(plan) == {"P": "T1 16:30"}
    assert [u.visit_id for u in plan.unassigned] == ["W"]


def test_a_visit_in_progress_is_kept_though_its_technician_no_longer_has_the_skills():
    t1, p = on_site(at(10), at(10, 20), 60, skills={"install": 2})
    plan = verified(problem([t1], [p]))
    assert stops(plan) == {"P": "T1 10:00"}


def test_a_visit_in_progress_outside_its_window_is_kept_not_explained_away():
    # the customer's window (16:30-17:00) leaves no hour inside the shift: it started anyway
    t1, p = on_site(at(16, 30), at(16, 40), 60, windows=[(at(16, 30), at(17))])
    plan = verified(problem([t1], [p]))
    assert stops(plan) == {"P": "T1 16:30"}


def test_promised_work_not_yet_started_does_not_run_over_the_shift():
    # pinned at 16:40 for an hour but not started at 10:00: the plan may leave it out, not
    # run the day over for it
    t1 = tech("T1", current=CurrentPosition(A, at(10)))
    q = visit("Q", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
              locked_start=at(16, 40))
    prob = problem([t1], [q])
    assert [u.visit_id for u in verified(prob).unassigned] == ["Q"]
    verdict = verify_routes(prob, GRID, [("T1", ["Q"])], [])
    assert any("back" in e and "shift ends" in e for e in verdict.errors), verdict.errors


def test_the_verifier_refuses_new_work_in_the_overrun():
    t1, p = on_site(at(16, 30), at(16, 50), 60)
    prob = problem([t1], [p, visit("W", near(0.5), 5)])
    verdict = verify_routes(prob, GRID, [("T1", ["P", "W"])], [])
    assert any("shift ends" in e for e in verdict.errors), verdict.errors


def test_the_verifier_requires_lunch_when_the_visit_in_progress_leaves_room_for_it():
    t1, p = on_site(at(11), at(11, 10), 30, brk=LUNCH)
    prob = problem([t1], [p, visit("W", B, 30)])
    verdict = verify_routes(prob, GRID, [("T1", ["P", "W"])], [])
    assert any("0 breaks" in e for e in verdict.errors), verdict.errors


def test_a_visit_in_progress_its_technician_s_day_contradicts_is_explained_as_such():
    # T1 is said to be at B now, yet on site at A since 10:00: no plan can hold both
    t1 = tech("T1", current=CurrentPosition(B, at(10, 20)))
    p = visit("P", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
              locked_start=at(10))
    [left_out] = solve(problem([t1], [p]), provider=GRID).unassigned
    assert [r.code for r in left_out.reasons] == ["in_progress_conflict"]
    assert "in progress with T1 since 10:00" in left_out.reasons[0].message


def test_the_cap_on_the_working_day_gives_way_to_the_visit_in_progress_alone():
    # an hour's duty at most from the restart at 10:00; P and the drive home take 62 minutes,
    # W after it would make 100
    t1 = tech("T1", shifts=[shift(max_work=60)], current=CurrentPosition(A, at(10, 20)))
    p = visit("P", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
              locked_start=at(10))
    prob = problem([t1], [p, visit("W", B, 30)])
    assert verify_routes(prob, GRID, [("T1", ["P"])], ["W"]).valid
    verdict = verify_routes(prob, GRID, [("T1", ["P", "W"])], [])
    assert any("on duty longer" in e for e in verdict.errors), verdict.errors


def test_a_visit_in_progress_since_an_odd_second_before_the_shift_verifies():
    # on site since 07:40:30; the plan counts whole minutes and leaves at 07:40
    t1, p = on_site(at(7, 40) + timedelta(seconds=30), at(8, 10), 60)
    plan = verified(problem([t1], [p]))
    assert plan.routes[0].start == at(7, 40)
