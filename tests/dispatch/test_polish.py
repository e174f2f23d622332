"""Relocate local search (ruin_recreate.polish): never worse, valid, moves what is misplaced."""

from __future__ import annotations

import pytest

from dispatch import ruin_recreate as rr
from dispatch import solomon
from dispatch.insertion import construct
from tests.dispatch.test_ruin_recreate import random_instance


def two_clusters() -> solomon.SolomonInstance:
    """A depot between two groups of three customers, wide windows, two vehicles."""
    rows = [solomon.Customer(0, 50, 50, 0, 0, 1000, 0)]
    for i, x in enumerate((10, 12, 14, 90, 88, 86), start=1):
        rows.append(solomon.Customer(i, x, 50, 1, 0, 900, 5))
    return solomon.SolomonInstance("TWO", 2, 100, rows)


def test_a_visit_on_the_far_side_moves_to_the_route_beside_it():
    inst = two_clusters()
    core = solomon.to_core(inst)
    misplaced = [[1, 2, 3, 4], [5, 6]]
    before = solomon.check(inst, misplaced)
    sol = rr.polish(core, misplaced)
    after = solomon.check(inst, sol.routes)
    assert after.valid, after.errors
    assert after.distance < before.distance
    assert sorted(sol.routes[0]) == [1, 2, 3]
    assert sorted(sol.routes[1]) == [4, 5, 6]


def test_a_stop_out_of_order_in_its_own_route_is_moved_within_it():
    inst = two_clusters()
    core = solomon.to_core(inst)
    zigzag = [[1, 3, 2], [4, 5, 6]]
    sol = rr.polish(core, zigzag)
    assert solomon.check(inst, sol.routes).distance < solomon.check(inst, zigzag).distance
    assert sol.routes[1] == [4, 5, 6]


def test_left_out_visits_are_offered_the_time_a_polish_frees():
    inst = two_clusters()
    core = solomon.to_core(inst)
    sol = rr.polish(core, [[1, 2, 3], [4, 5]])
    assert sol.dropped == []
    assert solomon.check(inst, sol.routes).valid


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_polish_of_a_greedy_start_is_valid_and_never_worse(seed):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    routes = construct(core)
    start = rr.evaluate(core, routes).objective
    sol = rr.polish(core, routes)
    assert sol.objective <= start
    assert sol.objective == rr.evaluate(core, sol.routes).objective
    res = solomon.check(inst, sol.routes)
    if not sol.dropped:
        assert res.valid, res.errors
    assert rr.is_feasible(core, sol.routes)


@pytest.mark.parametrize("seed", [1, 4])
def test_a_search_polishing_every_few_iterations_stays_valid(seed):
    inst = random_instance(seed)
    core = solomon.to_core(inst)
    cfg = rr.RuinRecreateConfig(seed=seed, polish_every=20, max_iterations=400)
    sol = rr.improve(core, [[] for _ in core.vehicles], 60.0, cfg)
    res = solomon.check(inst, sol.routes)
    assert res.valid, res.errors
    assert sol.objective == round(res.distance * solomon.SCALE)
