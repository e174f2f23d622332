"""The planner's time resolution: ticks of ``time_unit_s`` seconds, rounded conservatively."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from dispatch import FixedMatrixProvider, Plan, Problem, solve, translate
from dispatch.verify import verify_plan

from .conftest import DEPOT, at, even_legs, near, problem, shift, tech, visit

A, B, C, D = near(1), near(2), near(3), near(4)
PLACES = [DEPOT, A, B, C, D]


def legs(seconds: int) -> FixedMatrixProvider:
    """Every drive between two different places takes ``seconds``."""
    return even_legs(PLACES, seconds)


def replay_errors(plan: Plan, prob: Problem, provider: FixedMatrixProvider) -> list[str]:
    """Walk every route in seconds, as the customer lives it (solomon.check style)."""
    visits = {v.id: v for v in prob.visits}
    shifts = {t.id: t.shifts[0] for t in prob.technicians}
    _, dur = provider.matrix(PLACES)
    index = {p: i for i, p in enumerate(PLACES)}
    errors = []
    for route in plan.routes:
        sh = shifts[route.technician_id]
        here, clock = index[sh.start_location], sh.start
        for stop in route.stops:
            v = visits[stop.visit_id]
            clock += timedelta(seconds=float(dur[here, index[v.location]]))
            if stop.start < clock:
                errors.append(f"{v.id} starts {stop.start:%H:%M:%S} before arriving {clock:%T}")
            if v.time_windows and not any(a <= stop.start <= b for a, b in v.time_windows):
                errors.append(f"{v.id} starts outside its windows")
            if stop.end - stop.start != timedelta(minutes=v.duration_min):
                errors.append(f"{v.id} is served {stop.end - stop.start}")
            clock = max(clock, stop.start) + timedelta(minutes=v.duration_min)
            here = index[v.location]
        clock += timedelta(seconds=float(dur[here, index[sh.home]]))
        if clock > sh.end:
            errors.append(f"{route.technician_id} is home at {clock:%T}, after {sh.end:%T}")
    return errors


def tight_day(unit_s: int) -> Problem:
    # 25 + 30 min of work and three drives of 90 s in an hour: 59.5 min in seconds, but 61 min
    # when each drive is planned as 2 whole minutes
    techs = [tech("T1", shifts=[shift(start=8, end=9)])]
    visits = [visit("V1", A, 25), visit("V2", B, 30)]
    return problem(techs, visits, time_unit_s=unit_s)


@pytest.mark.parametrize("unit_s", [60, 1, 10, 30])
def test_the_setting_accepts_the_divisors_of_a_minute(unit_s):
    assert tight_day(unit_s).settings.time_unit_s == unit_s


@pytest.mark.parametrize("unit_s", [0, 7, 45, 90])
def test_a_time_unit_that_does_not_divide_a_minute_is_refused(unit_s):
    with pytest.raises(ValueError, match="time_unit_s"):
        tight_day(unit_s)


def test_in_minutes_the_second_visit_does_not_fit():
    prov = legs(90)
    plan = solve(tight_day(60), provider=prov)
    assert plan.kpis.assigned == 1
    assert verify_plan(tight_day(60), plan, prov).valid


@pytest.mark.parametrize("unit_s", [1, 10, 30])
def test_planned_in_seconds_both_visits_fit_and_the_plan_holds(unit_s):
    prov, prob = legs(90), tight_day(unit_s)
    plan = solve(prob, provider=prov)
    assert plan.kpis.assigned == 2
    verdict = verify_plan(prob, plan, prov)
    assert verdict.valid, verdict.errors
    assert replay_errors(plan, prob, prov) == []
    assert plan.routes[0].end == at(8) + timedelta(minutes=59, seconds=30)


def test_plan_times_in_ticks_are_exact_datetimes():
    # the window opens at 08:20:45; the drive of 90 s leaves 08:00 and arrives 08:01:30
    opens = at(8, 20) + timedelta(seconds=45)
    prob = problem([tech("T1")], [visit("V1", A, 30, windows=[(opens, at(10))])], time_unit_s=1)
    stop = solve(prob, provider=legs(90)).routes[0].stops[0]
    assert stop.arrival == at(8) + timedelta(seconds=90)
    assert stop.start == opens
    assert stop.end == opens + timedelta(minutes=30)
    assert stop.wait_min == 19  # 19 min 15 s, in whole minutes


def test_a_window_opening_between_minutes_starts_at_the_next_minute():
    opens = at(8, 20) + timedelta(seconds=45)
    prob = problem([tech("T1")], [visit("V1", A, 30, windows=[(opens, at(10))])])
    stop = solve(prob, provider=legs(90)).routes[0].stops[0]
    assert stop.start == at(8, 21)


def test_a_window_holding_no_whole_tick_is_not_planned():
    # 08:20:10-08:20:50 holds no whole minute: no start in minutes is inside it
    window = (at(8, 20) + timedelta(seconds=10), at(8, 20) + timedelta(seconds=50))
    minutes = problem([tech("T1")], [visit("V1", A, 30, windows=[window])])
    seconds = problem([tech("T1")], [visit("V1", A, 30, windows=[window])], time_unit_s=1)
    assert solve(minutes, provider=legs(90)).kpis.assigned == 0
    assert solve(seconds, provider=legs(90)).routes[0].stops[0].start == window[0]


def _odd_day(rng: random.Random, unit_s: int) -> tuple[Problem, FixedMatrixProvider]:
    def odd(minutes: int) -> datetime:
        return at(8) + timedelta(minutes=minutes, seconds=rng.randrange(60))

    techs = [tech("T1", shifts=[shift(start=8, end=12)]),
             tech("T2", shifts=[shift(start=9, end=13)])]
    visits = []
    for k, place in enumerate([A, B, C, D]):
        lo = rng.randrange(0, 150)
        visits.append(visit(f"V{k}", place, rng.choice([20, 30, 45]),
                            windows=[(odd(lo), odd(lo + rng.randrange(10, 90)))]))
    matrix = [[0 if i == j else rng.randrange(60, 1500) for j in range(5)] for i in range(5)]
    return (problem(techs, visits, time_unit_s=unit_s),
            FixedMatrixProvider(PLACES, matrix, speed_kmh=30.0))


@pytest.mark.parametrize("unit_s", [60, 30, 20, 1])
def test_rounding_is_conservative_every_plan_holds_in_seconds(unit_s):
    rng = random.Random(unit_s)
    for _ in range(15):
        prob, prov = _odd_day(rng, unit_s)
        plan = solve(prob, provider=prov)
        verdict = verify_plan(prob, plan, prov)
        assert verdict.valid, verdict.errors
        assert replay_errors(plan, prob, prov) == []


def test_costs_per_minute_keep_their_meaning_in_ticks():
    due = at(9)
    prob = problem([tech("T1")], [visit("V1", A, 30, sla_due=due, priority=2)], time_unit_s=30)
    core = translate.build(prob, legs(90)).core
    node = next(iter(core.nodes.values()))
    assert node.service == 60  # 30 min in ticks of 30 s
    assert node.soft_cost == prob.settings.lateness_cost_per_min * 2 // 2  # per half minute
    assert core.time[0, 2] == 3  # 90 s


def test_the_ortools_engine_plans_in_the_same_ticks():
    prov = legs(90)
    techs = [tech("T1", shifts=[shift(start=8, end=9)])]
    prob = problem(techs, [visit("V1", A, 25), visit("V2", B, 30)], time_unit_s=30,
                   engine="ortools")
    plan = solve(prob, provider=prov)
    assert plan.kpis.assigned == 2
    assert verify_plan(prob, plan, prov).valid
    assert replay_errors(plan, prob, prov) == []
