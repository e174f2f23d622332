"""The independent re-simulation catches what a valid plan never does."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch import Break, Lock, solve
from dispatch.model import Kpis, Plan, Route, Stop
from dispatch.verify import BREAK, verify_plan, verify_routes

from .conftest import DAY, DEPOT, at, even_legs, near, problem, shift, tech, visit

A, B, C = near(1), near(2), near(3)
LEG_S = 600  # ten minutes between any two places


@pytest.fixture
def provider():
    return even_legs([DEPOT, A, B, C], LEG_S)


def lunch():
    return Break(at(11, 30), at(13, 30), 60)


def day(**kw):
    techs = [tech("T1", {"repair": 1}, [shift(brk=lunch())]),
             tech("T2", {"measure": 1}, [shift(brk=lunch())])]
    visits = [visit("V1", A, 60, windows=[(at(9), at(10))]),
              visit("V2", B, 60, windows=[(at(10), at(12))]),
              visit("V3", C, 120, windows=[(at(13), at(15))], priority=5)]
    return problem(techs, visits, **kw)


def test_a_feasible_route_is_valid_and_counted(provider):
    v = verify_routes(day(), provider, [("T1", ["V1", "V2", BREAK, "V3"])], [])
    assert v.valid, v.errors
    assert v.assigned == 3
    assert v.must_do_served == 1
    assert v.travel_s == 4 * LEG_S
    assert v.weighted_pct == 100.0


def test_a_missing_skill_is_caught(provider):
    v = verify_routes(day(), provider, [("T2", ["V1", BREAK])], ["V2", "V3"])
    assert any("lacks skills" in e for e in v.errors)


def test_a_window_miss_is_caught(provider):
    # V3 (13:00-15:00, 2 h) first, then V1 whose window closed at 10:00
    v = verify_routes(day(), provider, [("T1", ["V3", BREAK, "V1"])], ["V2"])
    assert any("V1 arrives after its window closes" in e for e in v.errors)


def test_a_break_that_cannot_start_in_its_window_is_caught(provider):
    # after V3 (ends 15:00 at the earliest) the lunch could not start by 12:30
    v = verify_routes(day(), provider, [("T1", ["V1", "V2", "V3", BREAK])], [])
    assert any("break cannot end" in e for e in v.errors)


def test_a_route_without_its_lunch_is_caught(provider):
    v = verify_routes(day(), provider, [("T1", ["V1", "V2"])], ["V3"])
    assert any("0 breaks" in e for e in v.errors)


def test_the_lunch_may_be_taken_while_waiting_for_a_window(provider):
    # V2 ends 11:00 at the earliest; V3 opens 13:00: lunch 11:30-12:30 fits in the wait
    v = verify_routes(day(), provider, [("T1", ["V1", "V2", BREAK, "V3"])], [])
    assert v.valid


def test_returning_after_the_shift_is_caught(provider):
    late = visit("V4", A, 60, windows=[(at(16, 30), at(16, 55))])
    p = day()
    p = problem(p.technicians, [*p.visits, late])
    v = verify_routes(p, provider, [("T1", [BREAK, "V4"])], ["V1", "V2", "V3"])
    assert any("after shift start, shift ends" in e for e in v.errors)


def test_a_visit_served_twice_or_forgotten_is_caught(provider):
    v = verify_routes(day(), provider, [("T1", ["V1", BREAK, "V1"])], [])
    assert any("served twice" in e for e in v.errors)
    assert any("neither routed nor unassigned" in e for e in v.errors)


def _stop(vid, hh, mm, minutes):
    start = at(hh, mm)
    return Stop(vid, start, 0, start, start + timedelta(minutes=minutes), 0)


def _plan(stops, brk):
    route = Route("T1", DAY, at(8, 40), at(15, 10), stops, brk)
    served = {s.visit_id for s in stops}
    return Plan([route], [], Kpis(0, 0, 0, 1, 0, len(served), 0))


def test_reported_overlapping_visits_are_caught(provider):
    stops = [_stop("V1", 9, 0, 60), _stop("V2", 9, 30, 60), _stop("V3", 13, 0, 120)]
    v = verify_plan(day(), _plan(stops, at(11, 30)), provider)
    assert any("V2 starts before the previous stop ends" in e for e in v.errors)


def test_a_reported_break_outside_its_window_is_caught(provider):
    stops = [_stop("V1", 9, 0, 60), _stop("V2", 10, 10, 60), _stop("V3", 13, 0, 120)]
    v = verify_plan(day(), _plan(stops, at(11, 20)), provider)
    assert any("outside its window" in e for e in v.errors)


def test_a_reported_start_outside_the_window_is_caught(provider):
    stops = [_stop("V1", 10, 30, 60), _stop("V2", 11, 40, 60), _stop("V3", 13, 50, 120)]
    v = verify_plan(day(), _plan(stops, at(12, 30)), provider)
    assert any("V1 starts 10:30 outside its windows" in e for e in v.errors)


def test_a_reported_leg_shorter_than_the_drive_is_caught(provider):
    stops = [_stop("V1", 9, 0, 60), _stop("V2", 10, 5, 60), _stop("V3", 13, 0, 120)]
    v = verify_plan(day(), _plan(stops, at(11, 30)), provider)
    assert any("leg to V2 too short" in e for e in v.errors)


def test_the_solver_s_plan_passes(provider):
    p = day(time_limit_s=1.0)
    plan = solve(p, provider=provider)
    v = verify_plan(p, plan, provider)
    assert v.valid, v.errors
    assert v.assigned == plan.kpis.assigned


def test_a_time_locked_visit_started_beyond_its_tolerance_is_caught(provider):
    # V2 is locked to 11:00 (15 min either way); V1 ends 10:00 at the earliest, V2 may wait
    p = day()
    locked = replace(p.visits[1], lock=Lock.TIME, locked_start=at(11))
    p = problem(p.technicians, [p.visits[0], locked, p.visits[2]])
    assert verify_routes(p, provider, [("T1", ["V1", "V2", BREAK, "V3"])], []).valid
    stops = [_stop("V1", 9, 0, 60), _stop("V2", 10, 10, 60), _stop("V3", 13, 0, 120)]
    v = verify_plan(p, _plan(stops, at(11, 30)), provider)
    assert any("V2 starts 10:10 outside its windows" in e for e in v.errors)
