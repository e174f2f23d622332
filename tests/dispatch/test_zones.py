"""Solving by zones keeps every rule and accounts for every visit."""

from __future__ import annotations

from dataclasses import replace

from dispatch import citygen, solve
from dispatch.zones import partition


def test_partition_puts_every_technician_and_visit_in_exactly_one_zone():
    prob = citygen.generate(5, 60, 200)
    zones = partition(prob, 3)
    assert sorted(t.id for z in zones for t in z.technicians) == sorted(
        t.id for t in prob.technicians)
    assert sorted(v.id for z in zones for v in z.visits) == sorted(v.id for v in prob.visits)


def test_zone_solve_returns_a_valid_plan_for_the_whole_city(check_plan):
    prob = citygen.generate(7, 6, 50)
    plan = solve(prob, settings=replace(prob.settings, time_limit_s=2, workers=2))
    check_plan(plan, prob)
    assert plan.kpis.assigned > 0
