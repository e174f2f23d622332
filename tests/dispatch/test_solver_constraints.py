"""Each hard rule of the field-service model, one test per rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import Break, CurrentPosition, Dependency, Lock, solve
from tests.dispatch.conftest import DAY, at, near, problem, shift, tech, visit


def test_skill_x_visit_never_goes_to_technician_without_x(check_plan):
    # the glass technician lives far away, the plain one next door: skills must still win
    far = near(15, 15)
    techs = [
        tech("plain", {"repair": 3}),
        tech("glazier", {"repair": 1, "glass": 2}, [shift(location=far)]),
    ]
    visits = [visit(f"g{i}", near(0.5 * i), skills={"glass": 1}) for i in range(4)]
    visits += [visit(f"r{i}", near(0.3 * i)) for i in range(3)]
    prob = problem(techs, visits)
    plan = solve(prob)
    check_plan(plan, prob)
    for route in plan.routes:
        if route.technician_id == "plain":
            assert not any(s.visit_id.startswith("g") for s in route.stops)
    assert {s.visit_id for r in plan.routes for s in r.stops} >= {"g0", "g1", "g2", "g3"}


def test_skill_level_below_required_is_not_enough():
    prob = problem(
        [tech("junior", {"install": 1})], [visit("v", skills={"install": 2}, kind="install")]
    )
    plan = solve(prob)
    assert [u.visit_id for u in plan.unassigned] == ["v"]
    assert plan.unassigned[0].reasons[0].code == "no_skilled_technician"


def test_service_starts_inside_one_of_several_time_windows(check_plan):
    windows = [(at(9), at(9, 30)), (at(15), at(15, 30))]
    visits = [visit(f"v{i}", near(i), windows=windows) for i in range(4)]
    # a visit only possible in its second window: the first closes before the shift starts
    visits.append(visit("late", near(2), windows=[(at(6), at(7)), (at(16), at(16, 10))]))
    prob = problem([tech("a"), tech("b")], visits)
    plan = solve(prob)
    check_plan(plan, prob)
    assert not plan.unassigned
    stop = plan.route_of("late")[1]
    assert at(16) <= stop.start <= at(16, 10)


def test_routes_stay_within_shift_and_max_work_minutes(check_plan):
    techs = [
        tech("a", shifts=[shift(start=9, end=12)]),
        tech("b", shifts=[shift(start=8, end=18, max_work=120)]),
    ]
    visits = [visit(f"v{i}", near(i % 3 + 1), duration=45) for i in range(10)]
    prob = problem(techs, visits)
    plan = solve(prob)
    check_plan(plan, prob)
    for r in plan.routes:
        if r.technician_id == "b":
            assert r.end - r.start <= timedelta(minutes=120)
    assert plan.unassigned  # 10 x 45 min cannot fit into 3 h + 2 h


@pytest.mark.parametrize("break_mode", ["exact", "reserve"])
def test_lunch_break_taken_inside_its_window_without_overlapping_visits(check_plan, break_mode):
    brk = Break(at(12), at(13), 45)
    techs = [tech("a", shifts=[shift(brk=brk)])]
    visits = [visit(f"v{i}", near(1 + i % 2), duration=50) for i in range(8)]
    prob = problem(techs, visits, break_mode=break_mode)
    plan = solve(prob)
    check_plan(plan, prob)
    assert plan.routes
    assert plan.routes[0].break_start is not None


def test_technician_lock_keeps_the_technician(check_plan):
    techs = [tech("near"), tech("far", shifts=[shift(location=near(20))])]
    v = visit("v", near(0.5), lock=Lock.TECHNICIAN, locked_technician_id="far")
    prob = problem(techs, [v, visit("w", near(0.6))])
    plan = solve(prob)
    check_plan(plan, prob)
    assert plan.route_of("v")[0].technician_id == "far"


def test_time_lock_keeps_start_within_tolerance(check_plan):
    v = visit("v", near(1), lock=Lock.TIME, locked_start=at(14))
    prob = problem([tech("a"), tech("b")], [v, visit("w", near(2))], time_lock_tolerance_min=10)
    plan = solve(prob)
    check_plan(plan, prob)
    start = plan.route_of("v")[1].start
    assert abs(start - at(14)) <= timedelta(minutes=10)


def test_technician_time_lock_keeps_both(check_plan):
    v = visit(
        "v", near(1), lock=Lock.TECHNICIAN_TIME, locked_technician_id="b", locked_start=at(10, 30)
    )
    prob = problem([tech("a"), tech("b")], [v], time_lock_tolerance_min=0)
    plan = solve(prob)
    check_plan(plan, prob)
    route, stop = plan.route_of("v")
    assert route.technician_id == "b"
    assert stop.start == at(10, 30)


def test_in_progress_visit_is_never_moved_and_route_starts_from_current_position(check_plan):
    here = near(5, 5)
    current = CurrentPosition(here, at(11))
    techs = [tech("busy", current=current), tech("idle")]
    v = visit(
        "doing",
        here,
        duration=60,
        lock=Lock.IN_PROGRESS,
        locked_technician_id="busy",
        locked_start=at(10, 45),
    )
    others = [visit(f"n{i}", near(5 + 0.2 * i, 5)) for i in range(3)]
    prob = problem(techs, [v, *others])
    plan = solve(prob)
    check_plan(plan, prob)
    route, stop = plan.route_of("doing")
    assert route.technician_id == "busy"
    assert stop.start == at(10, 45)
    assert route.stops[0].visit_id == "doing"
    # nothing is planned before now and the first leg is from the current position
    assert all(s.start >= at(10, 45) for s in route.stops)
    assert route.stops[0].travel_km == 0.0


def test_route_of_in_progress_technician_starts_at_current_position_and_time():
    current = CurrentPosition(near(8), at(13))
    prob = problem([tech("a", current=current)], [visit("v", near(8.2))])
    route = solve(prob).routes[0]
    assert route.start >= at(13)
    assert route.stops[0].travel_km < 1.0  # 0.2 km away, not 8 km from the depot


def test_dependent_visit_at_least_n_days_after_its_predecessor(check_plan):
    days = [DAY + timedelta(days=i) for i in range(4)]
    t = tech("a", {"measure": 1, "install": 1}, [shift(day=d) for d in days])
    measure = visit("m", near(1), skills={"measure": 1}, kind="measure")
    install = visit(
        "i", near(1), skills={"install": 1}, kind="install", depends_on=Dependency("m", 2)
    )
    prob = problem([t], [install, measure], days=4)
    plan = solve(prob)
    check_plan(plan, prob)
    day_m = plan.route_of("m")[0].day
    day_i = plan.route_of("i")[0].day
    assert (day_i - day_m).days >= 2


def test_least_important_visits_are_dropped_first_when_capacity_is_short(check_plan):
    # room for about 4 one-hour visits; 3 are priority 5, 3 are priority 1
    techs = [tech("a", shifts=[shift(start=9, end=13)])]
    visits = [visit(f"p5_{i}", near(0.5 + 0.1 * i), duration=55, priority=5) for i in range(3)]
    visits += [visit(f"p1_{i}", near(0.4 + 0.1 * i), duration=55, priority=1) for i in range(3)]
    prob = problem(techs, visits)
    plan = solve(prob)
    check_plan(plan, prob)
    planned = {s.visit_id for r in plan.routes for s in r.stops}
    assert {"p5_0", "p5_1", "p5_2"} <= planned
    assert all(u.visit_id.startswith("p1") for u in plan.unassigned)
    assert plan.unassigned[0].reasons[0].code == "displaced_by_higher_priority"


def test_hard_sla_is_met_or_visit_is_unassigned(check_plan):
    visits = [visit(f"v{i}", near(3 * i), sla_due=at(9), sla_hard=True) for i in range(4)]
    prob = problem([tech("a")], visits)
    plan = solve(prob)
    check_plan(plan, prob)
    assert plan.unassigned  # four visits 3 km apart cannot all start by 09:00
    codes = {r.code for u in plan.unassigned for r in u.reasons}
    assert codes <= {"sla_unreachable", "displaced_by_higher_priority", "no_capacity"}
