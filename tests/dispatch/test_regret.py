"""Regret-k insertion (RuinRecreateConfig.regret, regret_start) and the end polish (polish_end):
valid plans, and regret places first the visit with the fewest options."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch import SolverSettings, solomon, solve, translate
from dispatch import ruin_recreate as rr
from dispatch.core import CoreNode, CoreProblem, CoreSolution, CoreVehicle
from dispatch.solver import field_day_config
from tests.dispatch.daycheck import GridProvider, check_plan_independently
from tests.dispatch.test_field_day_search import day_with_lunch
from tests.dispatch.test_ruin_recreate import random_instance

GRID = GridProvider()


def one_place_for_b() -> CoreProblem:
    """Two one-visit vehicles; far visit A may ride either, near visit B only vehicle 0."""
    cost = np.array([[0, 10, 3], [10, 0, 9], [3, 9, 0]], dtype=np.int64)
    nodes = {1: CoreNode(5, [(0, 1000)], demand=1, penalty=1000),
             2: CoreNode(5, [(0, 1000)], demand=1, penalty=1000, allowed_vehicles=[0])}
    vehicles = [CoreVehicle(0, 0, 0, 1000, capacity=1), CoreVehicle(0, 0, 0, 1000, capacity=1)]
    return CoreProblem(cost, cost, nodes, vehicles, 1000)


def start(problem: CoreProblem, regret: bool) -> CoreSolution:
    cfg = rr.RuinRecreateConfig(max_iterations=0, regret_start=regret, regret_k=2)
    sol = rr.improve(problem, [[] for _ in problem.vehicles], 10.0, cfg)
    assert sol is not None
    return sol


def test_greedy_farthest_first_gives_the_only_place_of_b_to_a():
    sol = start(one_place_for_b(), regret=False)
    assert sol.routes == [[1], []]
    assert sol.dropped == [2]


def test_regret_places_the_visit_with_one_option_first_and_serves_both():
    sol = start(one_place_for_b(), regret=True)
    assert sol.routes == [[2], [1]]
    assert sol.dropped == []


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_search_recreating_by_regret_keeps_every_plan_valid(seed, k):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    cfg = rr.RuinRecreateConfig(seed=seed, regret=20.0, regret_k=k, regret_start=True,
                                max_iterations=300)
    sol = rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg)
    res = solomon.check(inst, sol.routes)
    assert res.valid, res.errors
    assert sol.objective == rr.evaluate(core, sol.routes).objective
    assert rr.is_feasible(core, sol.routes)


@pytest.mark.parametrize("seed", [1, 4])
def test_more_iterations_with_regret_never_give_a_worse_objective(seed):
    core = solomon.to_core(random_instance(seed))
    objs = []
    for its in (100, 400):
        cfg = rr.RuinRecreateConfig(seed=seed, regret=5.0, max_iterations=its)
        objs.append(rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg).objective)
    assert objs[1] <= objs[0]


def test_regret_search_plans_pass_the_independent_check(monkeypatch):
    # forced on a small day with lunch breaks: regret in about half the recreates
    monkeypatch.setattr("dispatch.solver.REGRET_WEIGHT", 18.0)
    prob = day_with_lunch(60)
    plan = solve(prob, provider=GRID, settings=SolverSettings(search_iterations=300,
                                                              time_limit_s=30))
    assert not check_plan_independently(plan, prob)
    assert plan.kpis.assigned > 0


def test_regret_keeps_lunch_windows_and_the_objective_it_reports():
    core = translate.build(day_with_lunch(60), GRID, exact_breaks=True).core
    cfg = rr.RuinRecreateConfig(seed=2, regret=18.0, regret_start=True, max_iterations=300)
    sol = rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg)
    assert rr.is_feasible(core, sol.routes)
    assert sol.objective == rr.evaluate(core, sol.routes).objective


def test_the_regret_and_end_polish_settings_reach_the_search(monkeypatch):
    monkeypatch.setattr("dispatch.solver.REGRET_WEIGHT", 3.0)
    monkeypatch.setattr("dispatch.solver.POLISH_END", True)
    cfg = field_day_config(500, SolverSettings())
    assert (cfg.regret, cfg.polish_end) == (3.0, True)


@pytest.mark.parametrize("seed", [1, 2])
def test_polishing_the_best_plan_at_the_end_is_valid_and_never_worse(seed):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    objs = []
    for polish_end in (False, True):
        cfg = rr.RuinRecreateConfig(seed=seed, max_iterations=200, polish_end=polish_end)
        sol = rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg)
        res = solomon.check(inst, sol.routes)
        assert res.valid, res.errors
        objs.append(sol.objective)
    assert objs[1] <= objs[0]
