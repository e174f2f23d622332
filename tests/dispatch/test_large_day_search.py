"""Search speed-ups for large field days: same answers where promised, valid plans always."""

from __future__ import annotations

import pytest

from dispatch import Break, SolverSettings, solomon, solve, translate
from dispatch import ruin_recreate as rr
from dispatch.solver import GRANULAR_FROM, GRANULAR_NEIGHBOURS, field_day_config
from tests.dispatch.conftest import at, near, problem, shift, tech, visit
from tests.dispatch.daycheck import GridProvider, check_plan_independently
from tests.dispatch.test_field_day_search import day_with_lunch
from tests.dispatch.test_ruin_recreate import random_instance

GRID = GridProvider()


def many_technicians(techs: int = 40, visits: int = 160):
    # more routes than changes per iteration, so retries list the changed routes
    lunch = Break(at(11, 30), at(13, 30), 60)
    team = [tech(f"t{i}", shifts=[shift(brk=lunch, location=near(i % 9, i % 7))])
            for i in range(techs)]
    vs = [visit(f"v{i}", near((i * 7) % 23, (i * 5) % 19), duration=45 + 15 * (i % 12),
                windows=[(at(8 + i % 8), at(9 + i % 8))], priority=1 + i % 5)
          for i in range(visits)]
    return problem(team, vs)


def core_day(visits: int = 60):
    return translate.build(day_with_lunch(visits), GRID, exact_breaks=True).core


def run(core, **cfg):
    empty = [[] for _ in core.vehicles]
    return rr.improve(core, empty, 60.0, rr.RuinRecreateConfig(seed=2, max_iterations=300, **cfg))


def test_retrying_only_changed_routes_finds_what_a_full_scan_finds(monkeypatch):
    # a left-out visit retries only the routes changed since it last failed; with the list of
    # recent changes switched off every route is scanned: the search must not notice
    core = translate.build(many_technicians(), GRID, exact_breaks=True).core
    listed = run(core)
    monkeypatch.setattr(rr, "_CHANGE_RING", 0)
    scanned = run(core)
    assert listed.routes == scanned.routes
    assert listed.objective == scanned.objective


def test_granular_recreate_keeps_every_rule_of_the_day():
    prob = day_with_lunch(60)
    core = translate.build(prob, GRID, exact_breaks=True).core
    sol = run(core, granular=3)
    assert rr.is_feasible(core, sol.routes)
    assert sol.objective <= rr.evaluate(core, [[] for _ in core.vehicles]).objective


def test_granular_search_plans_pass_the_independent_check(monkeypatch):
    # the product path switches the granular recreate on for large days; force it on a small one
    monkeypatch.setattr("dispatch.solver.GRANULAR_FROM", 1)
    monkeypatch.setattr("dispatch.solver.GRANULAR_NEIGHBOURS", 4)
    prob = day_with_lunch(60)
    plan = solve(prob, provider=GRID, settings=SolverSettings(search_iterations=300,
                                                              time_limit_s=30))
    assert not check_plan_independently(plan, prob)
    assert plan.kpis.assigned > 0


def test_large_days_use_the_granular_recreate_and_small_ones_scan_every_route():
    settings = SolverSettings(seed=4, search_iterations=10)
    assert field_day_config(GRANULAR_FROM, settings).granular == GRANULAR_NEIGHBOURS
    small = field_day_config(GRANULAR_FROM - 1, settings)
    assert small.granular == 0
    assert (small.seed, small.max_iterations) == (4, 10)


def test_the_polish_setting_reaches_large_days_only(monkeypatch):
    monkeypatch.setattr("dispatch.solver.POLISH_EVERY", 2000)
    settings = SolverSettings(seed=4)
    assert field_day_config(GRANULAR_FROM, settings).polish_every == 2000
    assert field_day_config(GRANULAR_FROM - 1, settings).polish_every == 0


def test_polished_search_plans_pass_the_independent_check(monkeypatch):
    # forced on a small day: granular recreate and a relocate polish every 25 iterations
    monkeypatch.setattr("dispatch.solver.GRANULAR_FROM", 1)
    monkeypatch.setattr("dispatch.solver.GRANULAR_NEIGHBOURS", 4)
    monkeypatch.setattr("dispatch.solver.POLISH_EVERY", 25)
    prob = day_with_lunch(60)
    plan = solve(prob, provider=GRID, settings=SolverSettings(search_iterations=300,
                                                              time_limit_s=30))
    assert not check_plan_independently(plan, prob)
    assert plan.kpis.assigned > 0


def test_polish_keeps_lunch_windows_and_never_raises_the_objective():
    core = core_day(60)
    start = run(core)
    sol = rr.polish(core, start.routes, rr.RuinRecreateConfig(granular=5))
    assert rr.is_feasible(core, sol.routes)
    assert sol.objective <= start.objective
    assert sol.objective == rr.evaluate(core, sol.routes).objective


def test_more_iterations_with_polishing_never_give_a_worse_objective():
    core = core_day(40)
    empty = [[] for _ in core.vehicles]
    objectives = [
        rr.improve(core, empty, 60.0, rr.RuinRecreateConfig(seed=3, max_iterations=n,
                                                          polish_every=30)).objective
        for n in (50, 400, 1500)
    ]
    assert objectives[0] >= objectives[1] >= objectives[2]


def test_longest_first_order_is_unused_when_every_service_time_is_equal():
    # Solomon-style days (one service time) search exactly as without the field-day order
    core = solomon.to_core(random_instance(5))
    assert run(core, long_first=0.0).routes == run(core, long_first=9.0).routes


def test_search_iterations_make_a_solve_repeatable():
    prob = day_with_lunch(40, priorities=4)
    settings = SolverSettings(seed=1, search_iterations=200, time_limit_s=30)
    first = solve(prob, provider=GRID, settings=settings)
    again = solve(prob, provider=GRID, settings=settings)
    assert first.objective == again.objective
    assert [[s.visit_id for s in r.stops] for r in first.routes] == [
        [s.visit_id for s in r.stops] for r in again.routes]


def test_negative_search_iterations_are_refused():
    with pytest.raises(ValueError, match="search_iterations"):
        SolverSettings(search_iterations=-1)
