"""The re-simulation reads a day under way as the solver does: a visit in progress, started
before "now", is where the technician's day restarts, at its own start and never moved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import CurrentPosition, Lock, solve
from dispatch.model import Kpis, Plan, Route, Stop
from dispatch.verify import verify_plan, verify_routes

from .conftest import DAY, DEPOT, at, even_legs, near, problem, tech, visit

A, B, C = near(1), near(2), near(3)
LEG_S = 600  # ten minutes between any two places


@pytest.fixture
def provider():
    return even_legs([DEPOT, A, B, C], LEG_S)


def under_way(*others):
    """10:00: T1 has been on site at A since 09:30 for an hour; W at B must start by 10:50."""
    t1 = tech("T1", current=CurrentPosition(A, at(10)))
    in_progress = visit("P", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
                        locked_start=at(9, 30))
    w = visit("W", B, 30, windows=[(at(10, 30), at(10, 50))])
    return problem([t1], [in_progress, w, *others])


def test_a_plan_keeping_the_visit_in_progress_at_its_start_is_valid(provider):
    # P 09:30-10:30, ten minutes to B: W at 10:40, inside its window
    v = verify_routes(under_way(), provider, [("T1", ["P", "W"])], [])
    assert v.valid, v.errors


def test_the_solver_s_plan_of_a_day_under_way_passes(provider):
    prob = under_way()
    plan = solve(prob, provider=provider)
    starts = {s.visit_id: s.start for r in plan.routes for s in r.stops}
    assert starts == {"P": at(9, 30), "W": at(10, 40)}
    v = verify_plan(prob, plan, provider)
    assert v.valid, v.errors


def test_a_visit_put_before_the_one_in_progress_is_caught(provider):
    # X would have to be done at C before T1 started the visit they are on since 09:30
    prob = under_way(visit("X", C, 30))
    v = verify_routes(prob, provider, [("T1", ["X", "P", "W"])], [])
    assert any("P must start at 09:30" in e for e in v.errors), v.errors


def _route(*stops):
    return Plan([Route("T1", DAY, stops[0].start, stops[-1].end + timedelta(minutes=10),
                       list(stops))], [], Kpis(0, 0, 0, 1, 0, len(stops), 0))


def _stop(vid, start, minutes):
    return Stop(vid, start, 0, start, start + timedelta(minutes=minutes), 0)


def test_a_reported_time_moving_the_visit_in_progress_is_caught(provider):
    # the order is fine, but the plan reports P at 10:00 instead of 09:30
    plan = _route(_stop("P", at(10), 60), _stop("W", at(11, 10), 30))
    v = verify_plan(under_way(), plan, provider)
    assert any("P must start at 09:30" in e for e in v.errors), v.errors


def test_a_second_visit_overlapping_the_one_in_progress_is_caught(provider):
    # X at A, reported 09:45 while P runs 09:30-10:30
    prob = under_way(visit("X", A, 30))
    plan = _route(_stop("X", at(9, 45), 30), _stop("P", at(9, 30), 60),
                  _stop("W", at(10, 40), 30))
    v = verify_plan(prob, plan, provider)
    assert not v.valid


def test_promised_work_later_in_the_day_does_not_move_the_restart(provider):
    # the visit in progress listed first, a promised visit at 14:00 after it
    promised = visit("Q", C, 30, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
                     locked_start=at(14))
    prob = under_way(promised)
    plan = solve(prob, provider=provider)
    starts = {s.visit_id: s.start for r in plan.routes for s in r.stops}
    assert starts == {"P": at(9, 30), "W": at(10, 40), "Q": at(14)}
    v = verify_plan(prob, plan, provider)
    assert v.valid, v.errors


def test_a_visit_in_progress_since_before_the_shift_starts_is_a_valid_start(provider):
    # on site since 07:40 (an early call), the shift starts at 08:00
    t1 = tech("T1", current=CurrentPosition(A, at(8, 10)))
    early = visit("P", A, 60, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
                  locked_start=at(7, 40))
    prob = problem([t1], [early, visit("W", B, 30)])
    plan = solve(prob, provider=provider)
    assert plan.route_of("P")[1].start == at(7, 40)
    v = verify_plan(prob, plan, provider)
    assert v.valid, v.errors


def _two_technicians():
    """The day under way of ``under_way`` with a second technician, T2, free at the depot."""
    prob = under_way()
    return problem([*prob.technicians, tech("T2")], prob.visits)


def test_a_plan_keeping_the_visit_in_progress_with_its_technician_passes(provider):
    v = verify_routes(_two_technicians(), provider, [("T1", ["P"]), ("T2", ["W"])], [])
    assert v.valid, v.errors


def test_a_plan_dropping_the_visit_in_progress_is_rejected_naming_it(provider):
    v = verify_routes(_two_technicians(), provider, [("T2", ["W"])], ["P"])
    assert "visit P is in progress with T1 since 09:30; the plan drops it" in v.errors


def test_a_plan_giving_the_visit_in_progress_to_another_technician_is_rejected_naming_both(
    provider,
):
    v = verify_routes(_two_technicians(), provider, [("T2", ["P"]), ("T1", ["W"])], [])
    assert "visit P is in progress with T1 since 09:30; the plan gives it to T2" in v.errors


def test_promised_work_not_yet_started_may_be_left_out(provider):
    # Q is pinned at 14:00 on T1 but not started: leaving it out is the plan's choice to explain
    promised = visit("Q", C, 30, lock=Lock.IN_PROGRESS, locked_technician_id="T1",
                     locked_start=at(14))
    v = verify_routes(under_way(promised), provider, [("T1", ["P", "W"])], ["Q"])
    assert v.valid, v.errors
