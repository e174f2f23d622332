"""SISR ruin-and-recreate: always valid (independent checker), never worse, constraints kept."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dispatch import ruin_recreate as rr
from dispatch import solomon
from dispatch.core import CoreNode, CoreProblem, CoreVehicle, schedule
from dispatch.insertion import construct
from dispatch.solver import SearchConfig, solve_core

SHORT = 0.4  # seconds: a bound on each search, which stops after WORK iterations
WORK = 400  # iterations per search: a few hundred improve 30 customers, on any machine
CPU_SHORT = 0.15  # CPU seconds, for the searches timed by the process's CPU clock


def budget(seed: int = 0) -> rr.RuinRecreateConfig:
    """The search stopped after WORK iterations (the same work however busy the machine)."""
    return rr.RuinRecreateConfig(seed=seed, max_iterations=WORK)


def random_instance(seed: int, customers: int = 30, vehicles: int = 8, capacity: int = 60,
                    width: int = 60) -> solomon.SolomonInstance:
    """A Solomon-style instance: random points, demands and windows of about ``width``."""
    rng = np.random.default_rng(seed)
    rows = [solomon.Customer(0, 50, 50, 0, 0, 400, 0)]
    for i in range(1, customers + 1):
        x, y = (int(v) for v in rng.integers(0, 101, 2))
        reach = int(np.hypot(x - 50, y - 50)) + 1
        ready = int(rng.integers(reach, 400 - 2 * reach - width - 10))
        rows.append(solomon.Customer(i, x, y, int(rng.integers(1, 20)), ready, ready + width, 10))
    return solomon.SolomonInstance(f"RAND{seed}", vehicles, capacity, rows)


@pytest.fixture(params=[1, 2, 3])
def instance(request) -> solomon.SolomonInstance:
    return random_instance(request.param)


def start_routes(core: CoreProblem) -> list[list[int]]:
    """Feasible starting routes from the library's greedy insertion."""
    routes = construct(core)
    assert rr.is_feasible(core, routes)
    return routes


def test_improvement_is_valid_and_never_worse(instance):
    core = solomon.to_core(instance)
    routes = start_routes(core)
    before = solomon.check(instance, routes)
    sol = rr.improve(core, routes, SHORT, budget(seed=7))
    after = solomon.check(instance, sol.routes)
    assert after.valid, after.errors
    served_before = sum(len(r) for r in routes)
    assert len(sol.dropped) <= len(core.nodes) - served_before
    if before.valid:
        assert after.distance <= before.distance


def test_search_from_empty_routes_serves_everyone_validly(instance):
    core = solomon.to_core(instance)
    sol = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget())
    res = solomon.check(instance, sol.routes)
    assert res.valid, res.errors
    assert sol.dropped == []
    assert sol.objective == round(res.distance * solomon.SCALE)


def test_tight_capacity_and_windows_are_respected():
    inst = random_instance(5, customers=40, vehicles=12, capacity=35, width=25)
    core = solomon.to_core(inst)
    sol = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget())
    served = [n for r in sol.routes for n in r]
    assert sorted(served + sol.dropped) == sorted(core.nodes)
    for v, route in enumerate(sol.routes):
        assert sum(core.nodes[n].demand for n in route) <= inst.capacity
        sched = schedule(core, v, route)
        assert sched is not None
        for node, start in zip(route, sched.starts, strict=True):
            lo, hi = core.nodes[node].windows[0]
            assert lo <= start <= hi
    if not sol.dropped:
        assert solomon.check(inst, sol.routes).valid


def test_result_is_never_worse_than_a_good_input(instance):
    core = solomon.to_core(instance)
    good = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget(seed=1))
    again = rr.improve(core, good.routes, 0.1, budget(seed=2))
    assert again.objective <= good.objective
    assert solomon.check(instance, again.routes).valid


def _mixed_problem() -> CoreProblem:
    """Two depots, vehicles with different hours and capacities, restricted and optional nodes."""
    rng = np.random.default_rng(11)
    pts = rng.integers(0, 100, (22, 2))
    dist = np.floor(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))).astype(int)
    nodes = {
        n: CoreNode(service=5, windows=[(0, 400)] if n % 3 else [], demand=int(rng.integers(1, 6)),
                    penalty=None if n % 4 else 500,
                    allowed_vehicles=[0, 2] if n % 5 == 0 else None)
        for n in range(2, 22)
    }
    nodes[21] = replace(nodes[21], windows=[(0, 1)], penalty=10)  # unreachable in time
    vehicles = [CoreVehicle(0, 0, 0, 400, capacity=20), CoreVehicle(1, 1, 50, 350, capacity=15),
                CoreVehicle(0, 1, 0, 500), CoreVehicle(1, 0, 0, 300, capacity=10)]
    return CoreProblem(dist, dist * 2, nodes, vehicles, horizon=600, fixed_vehicle_cost=30)


def test_allowed_vehicles_depots_and_penalties_are_respected():
    core = _mixed_problem()
    assert rr.unsupported_features(core) == []
    sol = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget())
    assert rr.is_feasible(core, sol.routes)
    assert 21 in sol.dropped
    for v, route in enumerate(sol.routes):
        for node in route:
            allowed = core.nodes[node].allowed_vehicles
            assert allowed is None or v in allowed
    cost = sol.cost(core) + 30 * sum(1 for r in sol.routes if r)
    penalties = sum(core.nodes[n].penalty for n in sol.dropped)
    assert sol.objective == cost + penalties
    assert all(core.nodes[n].penalty is not None for n in sol.dropped)


def test_reserved_break_minutes_are_left_to_ortools():
    core = _mixed_problem()
    core.vehicles[0] = replace(core.vehicles[0], break_=(100, 200, 30), reserved=30)
    assert rr.unsupported_features(core) == ["reserved break minutes"]
    assert rr.improve(core, [[] for _ in core.vehicles], SHORT) is None


def test_infeasible_input_is_not_searched():
    inst = random_instance(1)
    core = solomon.to_core(inst)
    assert rr.improve(core, [list(core.nodes)] + [[]] * 7, SHORT) is None


@pytest.mark.parametrize("cfg", [
    SearchConfig(time_limit_s=0.5, ruin_recreate_share=0.6, ruin_recreate=budget()),
    SearchConfig(time_limit_s=0.6, ruin_recreate_only=True, ruin_recreate=budget(seed=3)),
])
def test_solve_core_with_ruin_and_recreate_is_valid(cfg):
    inst = random_instance(4)
    sol = solve_core(solomon.to_core(inst), cfg)
    res = solomon.check(inst, sol.routes)
    assert res.valid, res.errors


def test_unserved_mandatory_node_means_not_found():
    core = _mixed_problem()
    nodes = {**core.nodes, 21: replace(core.nodes[21], penalty=None)}  # mandatory, unreachable
    sol = rr.improve(replace(core, nodes=nodes), [[] for _ in core.vehicles], 0.2, budget())
    assert 21 in sol.dropped
    assert not sol.found


def _random_day(rng: np.random.Generator, n: int = 6) -> CoreProblem:
    """One vehicle with a lunch break, visits with one or two windows, sometimes a span."""
    pts = rng.integers(0, 30, size=(n + 1, 2))
    travel = np.abs(pts[:, None, :] - pts[None, :, :]).sum(axis=2).astype(np.int64)
    nodes = {}
    for i in range(1, n + 1):
        k = int(rng.integers(1, 3))
        ws = sorted(int(x) for x in rng.integers(0, 200, size=2 * k))
        nodes[i] = CoreNode(int(rng.integers(0, 30)),
                            [(ws[2 * j], ws[2 * j + 1]) for j in range(k)], penalty=1000)
    lo = int(rng.integers(0, 150))
    span = int(rng.integers(100, 300)) if rng.random() < 0.3 else None
    veh = CoreVehicle(0, 0, 0, 260, max_span=span,
                      break_=(lo, lo + int(rng.integers(0, 40)), int(rng.integers(5, 40))))
    return CoreProblem(travel, travel, nodes, [veh], 300)


def test_compiled_insertion_check_agrees_with_the_route_timing():
    # the O(1) check with the break pending or taken must accept exactly the positions where
    # dispatch.core.schedule can time the route
    from dispatch import kernels as kn

    rng = np.random.default_rng(1)
    checked = 0
    while checked < 300:
        core = _random_day(rng)
        order = [int(x) for x in rng.permutation(np.arange(1, 7))]
        m = int(rng.integers(0, 6))
        route, node = order[:m], order[m]
        if schedule(core, 0, route) is None:
            continue
        checked += 1
        fits = [p for p in range(m + 1)
                if schedule(core, 0, [*route[:p], node, *route[p:]]) is not None]
        arrays = rr._Arrays(core, rr.RuinRecreateConfig())
        search = rr._Search(arrays)
        assert search.load_routes([route]) is not None
        work = search.work
        _, v, pos = kn.best_insertion(
            arrays.index[node], search.path, search.rlen, search.e0, search.e1, search.la0,
            search.la1, search.load, arrays.node, arrays.veh, arrays.wlo, arrays.whi, arrays.tm,
            arrays.cm, arrays.fixed, arrays.allowed, np.ones(1, dtype=np.bool_), work[9], 1,
            0.0, arrays.maxlen, arrays.has_soft, work[14], -1)
        assert (v >= 0) == bool(fits)
        if fits:
            assert pos in fits


def test_a_cpu_second_limit_cooling_once_over_the_run_is_valid_and_never_worse(instance):
    core = solomon.to_core(instance)
    routes = start_routes(core)
    before = solomon.check(instance, routes)
    cfg = rr.RuinRecreateConfig(seed=3, cpu_clock=True, anneal_by_time=True)
    sol = rr.improve(core, routes, CPU_SHORT, cfg)
    after = solomon.check(instance, sol.routes)
    assert after.valid, after.errors
    if before.valid:
        assert after.distance <= before.distance


def test_the_benchmark_engine_in_two_processes_returns_a_valid_solution():
    from dispatch.bench import engine_configs
    from dispatch.solver import solve_core_portfolio

    inst = random_instance(4)
    sol = solve_core_portfolio(solomon.to_core(inst), engine_configs(2, CPU_SHORT, cpu_clock=True))
    res = solomon.check(inst, sol.routes)
    assert res.valid, res.errors
    assert sol.dropped == []


def test_a_search_ends_the_kept_time_before_its_limit_for_what_its_best_leaves_out():
    # node 21 can never be served: the best solution leaves it out from the start, so a search
    # keeping a day per left-out node ends before its first iteration, with the construction
    core = _mixed_problem()
    asked: list[int] = []

    def keep(left_out: int) -> float:
        asked.append(left_out)
        return 86400.0 * left_out

    stats = rr.SearchStats()
    sol = rr.improve(core, [[] for _ in core.vehicles], 3600.0, budget(), stats, keep=keep)
    assert stats.iterations == 0
    assert asked == [len(sol.dropped)]
    assert 21 in sol.dropped
    assert rr.is_feasible(core, sol.routes)


def test_a_search_keeping_no_time_runs_as_without_keep():
    core = _mixed_problem()
    plain = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget(seed=4))
    stats = rr.SearchStats()
    kept = rr.improve(core, [[] for _ in core.vehicles], SHORT, budget(seed=4), stats,
                      keep=lambda left_out: 0.0)
    assert stats.iterations == WORK
    assert (kept.routes, kept.objective) == (plain.routes, plain.objective)


def test_a_polished_start_is_valid_and_never_worse_than_the_greedy_one(instance):
    core = solomon.to_core(instance)
    empty = [[] for _ in core.vehicles]
    greedy = rr.improve(core, empty, SHORT, rr.RuinRecreateConfig(max_iterations=0))
    polished = rr.improve(core, empty, SHORT,
                          rr.RuinRecreateConfig(max_iterations=0, polish_start=True))
    assert solomon.check(instance, polished.routes).valid
    assert polished.objective <= greedy.objective
