"""Fast in-day change: put one new (or changed) visit into an existing plan without re-solving."""

from __future__ import annotations

import itertools
from dataclasses import replace

from dispatch import explain
from dispatch.core import CoreProblem, schedule
from dispatch.model import Plan, Problem, Unassigned, Visit
from dispatch.translate import Translation, build, plan_from_routes
from dispatch.travel import MatrixProvider


def _route_cost(core: CoreProblem, v: int, route: list[int]) -> int | None:
    sched = schedule(core, v, route)
    if sched is None:
        return None
    veh = core.vehicles[v]
    path = [veh.start, *route, veh.end]
    cost = int(sum(int(core.cost[a, b]) for a, b in itertools.pairwise(path)))
    for node, start in zip(route, sched.starts, strict=True):
        n = core.nodes[node]
        if n.soft_due is not None and start > n.soft_due:
            cost += (start - n.soft_due) * n.soft_cost
    return cost


def _routes_from_plan(tr: Translation, plan: Plan, skip: str) -> list[list[int]]:
    index = {(t.id, s.day): v for v, (t, s) in enumerate(tr.vehicles)}
    routes: list[list[int]] = [[] for _ in tr.vehicles]
    for route in plan.routes:
        v = index.get((route.technician_id, route.day))
        if v is None:
            raise ValueError(f"plan route {route.technician_id}/{route.day} is not in the problem")
        routes[v] = [tr.visit_node[s.visit_id] for s in route.stops if s.visit_id != skip]
    return routes


def _improve(core: CoreProblem, v: int, route: list[int], cost: int) -> tuple[list[int], int]:
    # relocate and 2-opt until no move helps: routes of a day are short, so this is fast
    improved = True
    while improved:
        improved = False
        n = len(route)
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                cand = route[:i] + route[i + 1 :]
                cand.insert(j, route[i])
                c = _route_cost(core, v, cand)
                if c is not None and c < cost:
                    route, cost, improved = cand, c, True
                    break
            if improved:
                break
        if improved:
            continue
        for i in range(n - 1):
            for j in range(i + 2, n + 1):
                cand = route[:i] + route[i:j][::-1] + route[j:]
                c = _route_cost(core, v, cand)
                if c is not None and c < cost:
                    route, cost, improved = cand, c, True
                    break
            if improved:
                break
    return route, cost


def _allowed_by_dependency(tr: Translation, routes: list[list[int]], node: int) -> set[int] | None:
    visit = tr.node_visit[node]
    dep = visit.depends_on
    if dep is None or dep.visit_id not in tr.visit_node:
        return None
    before = tr.visit_node[dep.visit_id]
    day = next((tr.day_index(v) for v, r in enumerate(routes) if before in r), None)
    if day is None:
        return set()
    return {v for v in range(len(tr.vehicles)) if tr.day_index(v) >= day + dep.min_days_after}


def best_insertion(core: CoreProblem, routes: list[list[int]], node: int,
                   allowed: set[int] | None = None) -> tuple[int, int, list[int]] | None:
    """Cheapest feasible (added cost, vehicle, new route) for ``node``, or None."""
    vehicles = core.nodes[node].allowed_vehicles
    vehicles = range(len(core.vehicles)) if vehicles is None else vehicles
    best = None
    for v in vehicles:
        if allowed is not None and v not in allowed:
            continue
        base = _route_cost(core, v, routes[v])
        if base is None:
            continue  # the route itself is no longer feasible; leave it alone
        for k in range(len(routes[v]) + 1):
            cand = [*routes[v][:k], node, *routes[v][k:]]
            c = _route_cost(core, v, cand)
            if c is not None and (best is None or c - base < best[0]):
                best = (c - base, v, cand)
    return best


def repair(core: CoreProblem, routes: list[list[int]], dropped: list[int]) -> list[int]:
    """Greedily insert dropped nodes (most important first) where feasible; returns the rest.

    Routes are changed in place. Used after a time-limited search, whose last improvements on
    big instances are often plain insertions the local search had not reached yet.
    """
    rest = []
    order = sorted(dropped, key=lambda n: -(core.nodes[n].penalty or 0))
    if core.dependencies:
        return dropped  # dependency-aware insertion is left to the search
    for node in order:
        found = best_insertion(core, routes, node)
        if found is None:
            rest.append(node)
        else:
            routes[found[1]] = found[2]
    return rest


def insert_visit(
    plan: Plan, problem: Problem, visit: Visit, provider: MatrixProvider | None = None
) -> Plan:
    """Cheapest feasible insertion of ``visit`` into ``plan``, then relocate/2-opt on that route.

    ``problem`` is the problem the plan was made for; ``visit`` may be new or replace a visit with
    the same id (it is first taken out of its route). Other routes are kept as they are (times
    are recomputed). If no route can take the visit it is returned in ``unassigned`` with reasons.
    """
    visits = [v for v in problem.visits if v.id != visit.id] + [visit]
    problem = replace(problem, visits=visits)
    reasons = explain.precheck(problem)
    previous = [u for u in plan.unassigned if u.visit_id != visit.id]
    tr = build(problem, provider, excluded={visit.id: reasons[visit.id]}
               if visit.id in reasons else None)
    routes = _routes_from_plan(tr, plan, skip=visit.id)
    if visit.id in reasons:
        return plan_from_routes(tr, routes, [*previous, Unassigned(visit.id, reasons[visit.id])])
    core, node = tr.core, tr.visit_node[visit.id]
    allowed = set(core.nodes[node].allowed_vehicles or [])
    by_dep = _allowed_by_dependency(tr, routes, node)
    if by_dep is not None:
        allowed &= by_dep
    best = best_insertion(core, routes, node, allowed)
    if best is None:
        unassigned = explain.audit(tr, routes, [node])
        return plan_from_routes(tr, routes, [*previous, *unassigned])
    _, v, cand = best
    routes[v], _ = _improve(core, v, cand, _route_cost(core, v, cand))
    return plan_from_routes(tr, routes, previous)
