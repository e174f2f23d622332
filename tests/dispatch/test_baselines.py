"""The plain OR-Tools reference solver returns plans the independent re-simulation accepts."""

from __future__ import annotations

from dispatch import baselines, cityday
from dispatch.verify import verify_sequences

from .test_cityday import _instance


def test_plain_ortools_plans_a_city_day_validly():
    inst = _instance()
    plan = baselines.solve_ortools(inst, time_limit_s=1.0)
    city = cityday.from_instance(inst)
    verdict = verify_sequences(city.problem, city.provider, cityday.route_sequences(city, plan),
                               [city.visit_ids[i] for i in plan["unassigned"]])
    assert verdict.valid, verdict.errors
    assert verdict.assigned == 3
    assert all(sum(s["type"] == "break" for s in r["steps"]) == 1 for r in plan["routes"])
