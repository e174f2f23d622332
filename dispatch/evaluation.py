"""Evaluate a given assignment (e.g. the published schedule) as a Plan, for comparison."""

from __future__ import annotations

from datetime import datetime

from dispatch import explain, translate
from dispatch.model import Plan, Problem, Reason, Unassigned
from dispatch.travel import MatrixProvider


def evaluate(
    problem: Problem,
    assignments: dict[str, tuple[str, datetime]],
    provider: MatrixProvider | None = None,
) -> Plan:
    """Time and score `assignments` (visit id -> (technician id, planned start)) as a Plan.

    Each technician-day's visits are visited in order of planned start and timed afresh, so the
    KPIs are comparable with a solver's Plan for the same problem. Visits without an assignment,
    or assigned to a technician-day outside the problem, are unassigned with a reason.
    """
    excluded = explain.precheck(problem)
    tr = translate.build(problem, provider, excluded)
    routes: list[list[int]] = [[] for _ in tr.vehicles]
    unassigned = [Unassigned(vid, reasons) for vid, reasons in excluded.items()]
    ordered = sorted(
        (start, visit_id, tech_id) for visit_id, (tech_id, start) in assignments.items()
    )
    placed = set()
    for start, visit_id, tech_id in ordered:
        node = tr.visit_node.get(visit_id)
        local_day = start.astimezone(tr.origin.tzinfo).date()
        vehicle = tr.vehicle_at(tech_id, local_day, start)
        if node is None or vehicle is None:
            continue
        routes[vehicle].append(node)
        placed.add(visit_id)
    for visit in problem.visits:
        if visit.id not in placed and visit.id not in excluded:
            unassigned.append(
                Unassigned(
                    visit.id,
                    [
                        Reason(
                            "not_assigned",
                            f"Visit {visit.id} has no technician in this schedule.",
                        )
                    ],
                )
            )
    return translate.plan_from_routes(tr, routes, unassigned, status="evaluated")
