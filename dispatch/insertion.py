"""Fast in-day change: put one new (or changed) visit into an existing plan without re-solving."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

from dispatch import explain
from dispatch.core import CoreProblem, earliest_in_windows, schedule
from dispatch.model import Plan, Problem, Reason, Unassigned, Visit
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
    routes: list[list[int]] = [[] for _ in tr.vehicles]
    for route in plan.routes:
        v = tr.vehicle_at(route.technician_id, route.day, route.start)
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


class _RouteState:
    """Earliest starts and latest feasible starts of a route, for O(1) insertion checks."""

    def __init__(self, core: CoreProblem, v: int, route: list[int]) -> None:
        veh = core.vehicles[v]
        self.route = route
        self.path = [veh.start, *route, veh.end]
        sched = schedule(core, v, route, ignore_break=True)
        self.ok = sched is not None
        if not self.ok:
            return
        # departure time from each path position (start depot, then each stop)
        self.depart = [veh.earliest] + [
            st + core.nodes[n].service for st, n in zip(sched.starts, route, strict=True)
        ]
        # latest arrival at each path position after the depot, walking backwards
        latest = [0] * (len(route) + 1)
        latest[-1] = veh.latest
        for k in range(len(route) - 1, -1, -1):
            node = route[k]
            n = core.nodes[node]
            hi = next((b for a, b in n.windows if a <= sched.starts[k] <= b), n.windows[-1][1])
            nxt = self.path[k + 2]
            latest[k] = min(hi, latest[k + 1] - int(core.time[node, nxt]) - n.service)
        self.latest = latest
        self.load = sum(core.nodes[n].demand for n in route)


def _candidates(core: CoreProblem, state: _RouteState, v: int, node: int):
    n = core.nodes[node]
    veh = core.vehicles[v]
    if veh.capacity is not None and state.load + n.demand > veh.capacity:
        return
    time, cost, path = core.time, core.cost, state.path
    for k in range(len(path) - 1):
        p, q = path[k], path[k + 1]
        arrive = state.depart[k] + int(time[p, node])
        start = earliest_in_windows(arrive, n.windows)
        if start is None:
            continue
        if start + n.service + int(time[node, q]) > state.latest[k]:
            continue
        yield int(cost[p, node] + cost[node, q] - cost[p, q]), k


def best_insertion(core: CoreProblem, routes: list[list[int]], node: int,
                   allowed: set[int] | None = None,
                   states: dict[int, _RouteState] | None = None,
                   ) -> tuple[int, int, list[int]] | None:
    """Cheapest feasible (added cost, vehicle, new route) for ``node``, or None.

    Positions are screened in O(1) each against earliest/latest start times (ignoring the break),
    then the cheapest ones are confirmed with a full timing that includes the break.
    """
    vehicles = core.nodes[node].allowed_vehicles
    vehicles = range(len(core.vehicles)) if vehicles is None else vehicles
    states = {} if states is None else states
    options = []
    for v in vehicles:
        if allowed is not None and v not in allowed:
            continue
        state = states.get(v)
        if state is None or state.route is not routes[v]:
            state = states[v] = _RouteState(core, v, routes[v])
        if not state.ok:
            continue  # the route itself is no longer feasible; leave it alone
        options.extend((delta, v, k) for delta, k in _candidates(core, state, v, node))
    options.sort()
    for delta, v, k in options[:50]:
        cand = [*routes[v][:k], node, *routes[v][k:]]
        if schedule(core, v, cand) is not None:
            return delta, v, cand
    return None


def repair(core: CoreProblem, routes: list[list[int]], dropped: list[int]) -> list[int]:
    """Greedily insert dropped nodes (most important first) where feasible; returns the rest.

    Routes are changed in place. Used after a time-limited search, whose last improvements on
    big instances are often plain insertions the local search had not reached yet, and as a
    construction heuristic from empty routes.
    """
    rest = []
    if core.dependencies:
        return dropped  # dependency-aware insertion is left to the search
    order = sorted(dropped, key=lambda n: -(core.nodes[n].penalty or 0))
    states: dict[int, _RouteState] = {}
    for node in order:
        found = best_insertion(core, routes, node, states=states)
        if found is None:
            rest.append(node)
        else:
            routes[found[1]] = found[2]
    return rest


def construct(core: CoreProblem) -> list[list[int]]:
    """Initial routes by greedy cheapest insertion, most important visits first."""
    routes: list[list[int]] = [[] for _ in core.vehicles]
    repair(core, routes, list(core.nodes))
    return routes


def insert_visit(
    plan: Plan, problem: Problem, visit: Visit, provider: MatrixProvider | None = None,
    displace: bool = False,
) -> Plan:
    """Cheapest feasible insertion of ``visit`` into ``plan``, then relocate/2-opt on that route.

    ``problem`` is the problem the plan was made for; ``visit`` may be new or replace a visit with
    the same id (it is first taken out of its route). Other routes are kept as they are (times
    are recomputed). If no route can take the visit it is returned in ``unassigned`` with reasons
    — unless ``displace`` is set: then lower-priority visits may move out of one route to make
    room (the fewest and least important that do), each is re-inserted elsewhere when it fits,
    and those that do not are returned unassigned with a ``displaced_by_higher_priority``
    reason naming ``visit``.
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
    moved_out: list[int] = []
    if best is None and displace:
        found = make_room(core, routes, node, allowed)
        if found is not None:
            v, moved_out = found
            routes[v] = [n for n in routes[v] if n not in moved_out]
            best = best_insertion(core, routes, node, {v})
    if best is None:
        unassigned = explain.audit(tr, routes, [node])
        return plan_from_routes(tr, routes, [*previous, *unassigned])
    _, v, cand = best
    routes[v], _ = _improve(core, v, cand, _route_cost(core, v, cand))
    left_out = []
    for out in sorted(moved_out, key=lambda n: -(core.nodes[n].penalty or 0)):
        again = best_insertion(core, routes, out, set(core.nodes[out].allowed_vehicles or []))
        if again is not None:
            routes[again[1]] = again[2]
        else:
            left_out.append(_displaced(tr, out, visit, v))
    return plan_from_routes(tr, routes, [*previous, *left_out])


def make_room(core: CoreProblem, routes: list[list[int]], node: int,
              allowed: set[int]) -> tuple[int, list[int]] | None:
    """The route and its visits of lower drop penalty whose removal lets ``node`` in.

    Cheapest: the least total penalty moved out, then the fewest visits. Per route the single
    visits are tried first, then the least important in growing sets. None if no route of
    ``allowed`` can take ``node`` even emptied of everything less important.
    """
    mine = core.nodes[node].penalty or 0
    penalty = {n: core.nodes[n].penalty or 0 for r in routes for n in r}
    options = []
    for v in sorted(allowed):
        lower = sorted((n for n in routes[v] if penalty[n] < mine), key=lambda n: (penalty[n], n))
        trials = [[n] for n in lower] + [lower[:k] for k in range(2, len(lower) + 1)]
        for out in trials:
            trial = [list(r) for r in routes]
            trial[v] = [n for n in routes[v] if n not in out]
            if best_insertion(core, trial, node, {v}) is not None:
                options.append((sum(penalty[n] for n in out), len(out), v, out))
                break
    if not options:
        return None
    _, _, v, out = min(options, key=lambda o: o[:3])
    return v, out


def _vehicles(core: CoreProblem, node: int) -> set[int]:
    allowed = core.nodes[node].allowed_vehicles
    return set(range(len(core.vehicles)) if allowed is None else allowed)


def place_displacing(core: CoreProblem, routes: list[list[int]], nodes: list[int],
                     deadline: float | None = None) -> list[int]:
    """Place each of ``nodes`` (most important first), displacing less important visits.

    Routes change in place; a displaced visit is re-inserted wherever it fits. Returns the
    visits left out: those of ``nodes`` with no placement at all, plus displaced ones that
    found no other place. Dependencies are left to the search (nodes with any are skipped), and
    past ``deadline`` (a ``time.perf_counter()`` value) the remaining nodes are not tried.
    """
    dependent = {d.before for d in core.dependencies} | {d.after for d in core.dependencies}
    left: list[int] = []
    for node in sorted(nodes, key=lambda n: -(core.nodes[n].penalty or 0)):
        allowed = _vehicles(core, node)
        late = deadline is not None and time.perf_counter() > deadline
        found = None if node in dependent or late else make_room(core, routes, node, allowed)
        if found is None:
            left.append(node)
            continue
        v, out = found
        routes[v] = [n for n in routes[v] if n not in out]
        _, v, cand = best_insertion(core, routes, node, {v})
        routes[v] = cand
        for moved in sorted(out, key=lambda n: -(core.nodes[n].penalty or 0)):
            again = best_insertion(core, routes, moved, _vehicles(core, moved))
            if again is not None:
                routes[again[1]] = again[2]
            else:
                left.append(moved)
    return left


def _displaced(tr: Translation, node: int, by: Visit, v: int) -> Unassigned:
    visit = tr.node_visit[node]
    tech, shift = tr.vehicles[v]
    return Unassigned(visit.id, [Reason(
        "displaced_by_higher_priority",
        f"Visit {visit.id} (priority {visit.priority}) moved out of {tech.id}'s route on "
        f"{shift.day} to make room for visit {by.id} (priority {by.priority}); no other route "
        "can take it.",
        {"technician_id": tech.id, "day": shift.day.isoformat(), "by_visit_id": by.id},
    )])
