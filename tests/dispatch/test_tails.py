"""Tail exchanges between routes (2-opt*, ruin_recreate.exchange): valid, never worse."""

from __future__ import annotations

import pytest

from dispatch import SolverSettings, solomon, solve, translate
from dispatch import ruin_recreate as rr
from dispatch.insertion import construct
from dispatch.solver import GRANULAR_FROM, TAILS_FROM, TAILS_ON_BEST, field_day_config
from tests.dispatch.daycheck import GridProvider, check_plan_independently
from tests.dispatch.test_field_day_search import day_with_lunch
from tests.dispatch.test_ruin_recreate import random_instance

GRID = GridProvider()


def west_and_east() -> solomon.SolomonInstance:
    """A depot between four customers to the west and four to the east; two vehicles of four."""
    rows = [solomon.Customer(0, 50, 50, 0, 0, 1000, 0)]
    for i, x in enumerate((30, 20, 10, 5, 70, 80, 90, 95), start=1):
        rows.append(solomon.Customer(i, x, 50 + i % 2, 1, 0, 900, 5))
    return solomon.SolomonInstance("WE", 2, 4, rows)


def test_two_routes_each_turning_to_the_other_side_swap_their_second_halves():
    inst = west_and_east()
    core = solomon.to_core(inst)
    crossed = [[1, 2, 7, 8], [5, 6, 3, 4]]
    sol = rr.exchange(core, crossed)
    after = solomon.check(inst, sol.routes)
    assert after.valid, after.errors
    assert after.distance < solomon.check(inst, crossed).distance
    assert sorted(map(sorted, sol.routes)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tail_exchanges_of_a_greedy_start_are_valid_and_never_worse(seed):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    routes = construct(core)
    sol = rr.exchange(core, routes)
    assert sol.objective <= rr.evaluate(core, routes).objective
    assert sol.objective == rr.evaluate(core, sol.routes).objective
    assert solomon.check(inst, sol.routes).valid or sol.dropped
    assert rr.is_feasible(core, sol.routes)


def test_tail_exchanges_on_a_day_with_lunch_breaks_keep_every_rule():
    # vehicles that end alike are filtered by latest arrivals, the others re-timed in full
    core = translate.build(day_with_lunch(60), GRID, exact_breaks=True).core
    start = rr.improve(core, [[] for _ in core.vehicles], 60.0,
                       rr.RuinRecreateConfig(seed=1, max_iterations=20))
    sol = rr.exchange(core, start.routes, neighbours=10)
    assert rr.is_feasible(core, sol.routes)
    assert sol.objective <= start.objective
    assert sol.objective == rr.evaluate(core, sol.routes).objective


@pytest.mark.parametrize("seed", [1, 4])
def test_a_search_exchanging_tails_on_each_new_best_stays_valid(seed):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    cfg = rr.RuinRecreateConfig(seed=seed, tails_on_best=10, tails_end=10, max_iterations=300)
    sol = rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg)
    res = solomon.check(inst, sol.routes)
    assert res.valid, res.errors
    assert sol.objective == round(res.distance * solomon.SCALE)


def test_more_iterations_with_tail_exchanges_never_give_a_worse_objective():
    core = solomon.to_core(random_instance(2))
    empty = [[] for _ in core.vehicles]
    objectives = [rr.improve(core, empty, 60.0, rr.RuinRecreateConfig(
        seed=3, tails_on_best=10, max_iterations=n)).objective for n in (50, 150, 300)]
    assert objectives == sorted(objectives, reverse=True)


def test_product_plans_with_tail_exchanges_pass_the_independent_check(monkeypatch):
    monkeypatch.setattr("dispatch.solver.TAILS_ON_BEST", 6)
    monkeypatch.setattr("dispatch.solver.TAILS_END", 6)
    prob = day_with_lunch(60)
    plan = solve(prob, provider=GRID, settings=SolverSettings(search_iterations=200,
                                                              time_limit_s=30))
    assert not check_plan_independently(plan, prob)
    assert plan.kpis.assigned > 0


def test_the_search_exchanges_tails_on_mid_sized_days_only():
    settings = SolverSettings(seed=4)
    assert field_day_config(TAILS_FROM, settings).tails_on_best == TAILS_ON_BEST > 0
    assert field_day_config(TAILS_FROM - 1, settings).tails_on_best == 0
    assert field_day_config(GRANULAR_FROM, settings).tails_on_best == 0
