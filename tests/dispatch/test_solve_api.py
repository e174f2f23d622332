"""The entry point's contract: progress reporting, settings, and plan read-back."""

from __future__ import annotations

from dispatch import Lock, SolverSettings, solve
from tests.dispatch.conftest import near, problem, tech, visit


def test_progress_callback_reports_phases_and_best_cost():
    seen = []
    prob = problem([tech("a")], [visit(f"v{i}", near(i)) for i in range(5)])
    solve(prob, time_limit_s=0.5, progress=lambda phase, cost: seen.append((phase, cost)))
    phases = [p for p, _ in seen]
    assert phases[0] == "precheck"
    assert "search" in phases
    assert phases[-1] == "explain"
    assert all(isinstance(c, int) for _, c in seen)


def test_search_strategy_is_configurable_through_settings():
    settings = SolverSettings(time_limit_s=0.5, engine="ortools", construction="ortools",
                              first_solution="PARALLEL_CHEAPEST_INSERTION",
                              metaheuristic="SIMULATED_ANNEALING")
    prob = problem([tech("a")], [visit("v", near(1))])
    plan = solve(prob, settings=settings)
    assert plan.route_of("v") is not None


def test_unlocked_visit_with_a_previous_technician_may_move():
    # the app may carry the last technician on an unlocked visit: it is a hint, not a lock
    v = visit("v", near(0.2), lock=Lock.NONE, locked_technician_id="far")
    techs = [tech("near"), tech("far", {"install": 1})]
    plan = solve(problem(techs, [v]))
    assert plan.route_of("v")[0].technician_id == "near"


def test_plan_reports_times_slack_and_kpis():
    prob = problem([tech("a")], [visit("v1", near(1)), visit("v2", near(2))])
    plan = solve(prob)
    route = plan.routes[0]
    assert [s.visit_id for s in route.stops] in (["v1", "v2"], ["v2", "v1"])
    for stop in route.stops:
        assert stop.arrival <= stop.start < stop.end
        assert stop.slack_min >= 0
    assert plan.kpis.assigned == 2
    assert plan.kpis.travel_km > 0
    assert 0 < plan.kpis.utilisation < 1
