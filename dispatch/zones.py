"""Solve a large day by zones: split it, solve the zones apart, merge, repair across borders.

The pure part of scaling a day out. :func:`split` cuts a problem into geographic zones whose
technicians can do their visits; each zone is solved on its own (in another process, or on
another machine by the app's job queue); :func:`merge` joins the zone plans and repairs across
borders: the whole day's search starts from the joined routes, inserts the visits no zone could
place and moves visits between zones where that is better. While it runs, a second whole-day
search from the same routes with another seed (:func:`search_joined`) can keep another worker
busy: the merge keeps the better of the two. :func:`solve_by_zones` does all of it with local
processes.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np

from dispatch import explain, translate
from dispatch.core import CoreProblem, CoreSolution, schedule
from dispatch.model import (
    LatLon,
    Lock,
    Plan,
    Problem,
    Reason,
    Route,
    Shift,
    SolverSettings,
    Technician,
    Visit,
)
from dispatch.travel import MatrixProvider

ProgressCallback = Callable[[str, int], None]

# capacity slack a zone may take beyond its fair share before visits spill to the next zone
BALANCE_SLACK = 1.1
# a rough travel allowance per visit (minutes) when comparing work with shift capacity
TRAVEL_ALLOWANCE_MIN = 20
# share of the time limit kept for the merge: the whole day's search from the joined zone
# routes (border effects and leftovers), then the reasons of what stays unplaced
REPAIR_SHARE = 0.3


@dataclass(frozen=True)
class Zone:
    """One zone of a split day: its index, centre, and the sub-problem solved apart."""

    index: int
    centre: LatLon
    problem: Problem


@dataclass(frozen=True)
class ZoneRoute:
    """The visit order of one technician shift, as a zone solve left it.

    A technician may work several shifts on one day: the shift is named by its start
    (``shift_start``). None is accepted only when the technician has one shift on ``day``.
    """

    technician_id: str
    day: date
    visit_ids: tuple[str, ...]
    shift_start: datetime | None = None


@dataclass(frozen=True)
class ZonePlan:
    """What a zone solve hands back: its routes and the visits it could not place."""

    zone: int
    routes: tuple[ZoneRoute, ...]
    unplaced: tuple[str, ...]
    objective: int = 0

    @classmethod
    def from_plan(cls, zone: int, plan: Plan, problem: Problem) -> ZonePlan:
        """The routes and unplaced visits of a zone's plan solved from ``problem``."""
        techs = {t.id: t for t in problem.technicians}
        routes = tuple(
            ZoneRoute(r.technician_id, r.day, tuple(s.visit_id for s in r.stops),
                      _shift_of(techs[r.technician_id], r).start)
            for r in plan.routes
        )
        return cls(zone, routes, tuple(u.visit_id for u in plan.unassigned), plan.objective)

    @property
    def placed(self) -> int:
        """Number of visits in the zone's routes."""
        return sum(len(r.visit_ids) for r in self.routes)


def _shift_of(tech: Technician, route: Route) -> Shift:
    """The shift whose hours hold ``route`` (shifts of one technician never overlap)."""
    for s in tech.shifts:
        if s.day == route.day and s.start <= route.start and route.end <= s.end:
            return s
    raise ValueError(f"route of {tech.id} on {route.day} ({route.start:%H:%M}-{route.end:%H:%M}) "
                     "lies in none of the technician's shifts")


@dataclass(frozen=True)
class RepairReport:
    """What the cross-border repair did."""

    placed: int  # visits placed beyond the zones' routes (leftovers, net)
    moved: int  # visits of the zones' routes now with another technician
    border_visits: int  # visits served by a technician of another zone
    seconds: float
    complete: bool  # False when the merge ended past its time limit
    searches: int = 1  # whole-day searches compared (2 with a second search in time)
    second_kept: bool = False  # the second search's plan was better and is the one returned
    # the objective of each search compared (the merge's own first), counted on one model;
    # a second plan refused as infeasible counts as None
    objectives: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class DayRoutes:
    """What a second whole-day search hands the merge: its routes, objective and seed."""

    routes: tuple[ZoneRoute, ...]
    objective: int
    seed: int


# the merge waits for the second search at most this share of the time it keeps for reasons
SECOND_SEARCH_WAIT_SHARE = 0.3
# the second search ends this much before the merge's own, for its routes to come back
SECOND_SEARCH_HANDOVER_S = 0.2

SecondSearch = Callable[[float], "DayRoutes | None"]


# --- splitting -------------------------------------------------------------------------------


def _sq_dist(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # planar distances on (lat, lon scaled by cos(lat)): enough to compare zones of one city
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)


def _kmeans(points: np.ndarray, k: int, seed: int, rounds: int = 25) -> np.ndarray:
    rng = random.Random(seed)
    unique = np.unique(points, axis=0)
    if len(unique) <= k:
        # fewer distinct start points than zones (technicians share depots): one zone each
        return unique.copy()
    centres = unique[rng.sample(range(len(unique)), k)].copy()
    for _ in range(rounds):
        labels = np.argmin(_sq_dist(points, centres), axis=1)
        for c in range(k):
            if np.any(labels == c):
                centres[c] = points[labels == c].mean(axis=0)
    return centres


def _balanced_labels(points: np.ndarray, centres: np.ndarray) -> list[int]:
    """Nearest centre per point with at most ceil(n/k) points per centre, surest points first."""
    k = len(centres)
    room = [math.ceil(len(points) / k)] * k
    d = _sq_dist(points, centres)
    order = np.sort(d, axis=1)
    regret = order[:, 1] - order[:, 0] if k > 1 else np.zeros(len(points))
    labels = [0] * len(points)
    for i in np.argsort(-regret, kind="stable"):
        for c in np.argsort(d[i], kind="stable"):
            if room[c] > 0:
                room[c] -= 1
                labels[int(i)] = int(c)
                break
    return labels


def _capacity_min(tech: Technician, days: set[date]) -> float:
    total = 0.0
    for s in tech.shifts:
        if s.day in days:
            minutes = (s.end - s.start).total_seconds() / 60
            total += minutes - (s.break_.duration_min if s.break_ else 0)
    return total


def _can_serve(tech: Technician, visit: Visit) -> bool:
    if visit.lock in (Lock.TECHNICIAN, Lock.TECHNICIAN_TIME, Lock.IN_PROGRESS):
        return tech.id == visit.locked_technician_id
    if not tech.has_skills(visit.required_skills):
        return False
    if not visit.time_windows:
        return bool(tech.shifts)
    return any(a < s.end and b > s.start for s in tech.shifts for a, b in visit.time_windows)


def _units(problem: Problem) -> list[list[Visit]]:
    """Visits that must stay in one zone together: chains of dependent visits."""
    by_id = {v.id: v for v in problem.visits}
    parent = {v.id: v.id for v in problem.visits}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in problem.visits:
        if v.depends_on is not None and v.depends_on.visit_id in by_id:
            parent[root(v.id)] = root(v.depends_on.visit_id)
    groups: dict[str, list[Visit]] = {}
    for v in problem.visits:
        groups.setdefault(root(v.id), []).append(v)
    return list(groups.values())


def is_must_do(visit: Visit, day: date) -> bool:
    """Priority 5 with a hard SLA due by the end of ``day``: placed before anything else."""
    return (visit.priority == 5 and visit.sla_hard and visit.sla_due is not None
            and visit.sla_due.date() <= day)


def split(problem: Problem, zones: int) -> list[Zone]:
    """Cut ``problem`` into at most ``zones`` geographic zones that can do their own work.

    Technicians are clustered on their first shift's start point (balanced counts). Visits go
    to the nearest zone that has a technician able to do them (skills, shift overlapping a
    window, lock) and room left: each zone takes about its share of the day's work in
    proportion to its shift minutes, must-do visits and visits with one possible zone first.
    Dependent visits stay together; a visit no zone can do (or without a location) goes to the
    nearest zone, to be explained there. Every technician and visit is in exactly one zone.
    """
    techs = [t for t in problem.technicians if t.shifts]
    idle = [t for t in problem.technicians if not t.shifts]
    if not techs or zones <= 1:
        return [Zone(0, _centre(problem), problem)]
    mean_lat = _mean_lat(problem)
    starts = np.array([_planar_at(t.shifts[0].start_location, mean_lat) for t in techs])
    k = min(zones, len(techs))
    if len(np.unique(starts, axis=0)) >= k:
        centres = _kmeans(starts, k, problem.settings.seed)
    else:
        # technicians share a few depots: zones follow the visits, technicians spread evenly
        located = [_planar_at(v.location, mean_lat) for v in problem.visits if v.location]
        if len(located) < k:
            return [Zone(0, _centre(problem), problem)]
        centres = _kmeans(np.array(located), k, problem.settings.seed)
    labels = _balanced_labels(starts, centres)
    members = [[t for t, lab in zip(techs, labels, strict=True) if lab == c]
               for c in range(len(centres))]
    keep = [c for c in range(len(centres)) if members[c]]
    members, centres = [members[c] for c in keep], centres[keep]
    members[0].extend(idle)
    visits = _assign_visits(problem, members, centres)
    return [
        Zone(c, _unplanar(centres[c], mean_lat),
             replace(problem, technicians=members[c], visits=visits[c]))
        for c in range(len(members))
    ]


def _assign_visits(problem: Problem, members: list[list[Technician]],
                   centres: np.ndarray) -> list[list[Visit]]:
    k = len(members)
    days = set(problem.days)
    capacity = np.array([sum(_capacity_min(t, days) for t in m) for m in members])
    units = _units(problem)
    work = [sum(v.duration_min + TRAVEL_ALLOWANCE_MIN for v in u) for u in units]
    share = sum(work) / max(1.0, capacity.sum())
    budget = capacity * share * BALANCE_SLACK
    load = np.zeros(k)
    mean_lat = _mean_lat(problem)
    options, dist = [], []
    for unit in units:
        located = [v.location for v in unit if v.location is not None]
        if located:
            p = _planar_at(located[0], mean_lat)
            d = ((centres - p) ** 2).sum(-1)
        else:
            d = np.arange(k, dtype=float)  # no location: zone 0, explained by the pre-check
        able = [c for c in range(k) if all(any(_can_serve(t, v) for t in members[c])
                                          for v in unit)]
        options.append(sorted(able, key=lambda c: d[c]) or [int(np.argmin(d))])
        dist.append(d)
    last_day = problem.days[-1]

    def urgency(i: int) -> tuple:
        must = any(is_must_do(v, last_day) for v in units[i])
        d, opts = dist[i], options[i]
        regret = d[opts[1]] - d[opts[0]] if len(opts) > 1 else math.inf
        return (not must, len(opts), -regret)

    result: list[list[Visit]] = [[] for _ in range(k)]
    for i in sorted(range(len(units)), key=urgency):
        opts = options[i]
        chosen = next((c for c in opts if load[c] + work[i] <= budget[c]), opts[0])
        load[chosen] += work[i]
        result[chosen].extend(units[i])
    return result


def _mean_lat(problem: Problem) -> float:
    lats = [s.start_location[0] for t in problem.technicians for s in t.shifts[:1]]
    return float(np.mean(lats)) if lats else 0.0


def _planar_at(point: LatLon, mean_lat: float) -> np.ndarray:
    return np.array([point[0], point[1] * math.cos(math.radians(mean_lat))])


def _unplanar(centre: np.ndarray, mean_lat: float) -> LatLon:
    scale = math.cos(math.radians(mean_lat))
    return (round(float(centre[0]), 6), round(float(centre[1]) / scale, 6))


def _centre(problem: Problem) -> LatLon:
    points = [v.location for v in problem.visits if v.location is not None]
    points += [s.start_location for t in problem.technicians for s in t.shifts]
    if not points:
        return (0.0, 0.0)
    arr = np.array(points, dtype=float)
    return (float(arr[:, 0].mean()), float(arr[:, 1].mean()))


def partition(problem: Problem, zones: int) -> list[Problem]:
    """The zone sub-problems of :func:`split` (without their centres)."""
    return [z.problem for z in split(problem, zones)]


def zone_count(visits: int, workers: int, visits_per_zone: int) -> int:
    """How many zones a day of ``visits`` gets: at least two, one per worker, and small zones."""
    return max(2, workers, math.ceil(visits / max(1, visits_per_zone)))


def zone_time_limit(total_s: float, zones: int, workers: int) -> float:
    """Seconds per zone so that all zones, run ``workers`` at a time, plus the merge fit."""
    rounds = math.ceil(zones / max(1, min(workers, zones)))
    return max(1.0, (1 - REPAIR_SHARE) * total_s / rounds)


def merge_time_limit(total_s: float, elapsed_s: float) -> float:
    """Seconds for the merge of a run of ``total_s`` whose zones took ``elapsed_s``.

    What is left of the limit, and at least a second: zones that overran (a loaded machine, a
    queue that was busy) make the run late rather than leave it without a plan.
    """
    return max(1.0, total_s - elapsed_s)


# --- merging and the border repair ------------------------------------------------------------


def merge(
    problem: Problem,
    zone_plans: Sequence[ZonePlan],
    zones: Sequence[Zone] | None = None,
    provider: MatrixProvider | None = None,
    time_limit_s: float = 5.0,
    second: SecondSearch | None = None,
) -> tuple[Plan, RepairReport]:
    """One plan for the whole day from zone plans, repaired across borders by the whole-day search.

    The zone routes are joined into one solution of the whole day, which the planner's search
    (as :func:`dispatch.solver.solve` runs it) then improves: leftovers (visits no zone placed)
    are inserted first, most important first, and the search moves visits across borders and
    repairs routes as on any day; the plan returned is never worse by the objective than the
    joined zone routes. ``time_limit_s`` bounds the whole call: translation, search and the
    reasons of the visits left unplaced. ``zones`` (as split) only serve the report's count of
    visits served across a border.

    ``second`` is how to get the routes of a second search of the same day run meanwhile
    elsewhere (:func:`search_joined`, another seed): called with the seconds it may wait once
    this search has ended, it returns them or None (not done, failed, lost with its worker).
    The merge keeps whichever plan is better by the objective on its own model, checking the
    second one's feasibility first; without it the plan is this search's.
    """
    from dispatch.solver import plan_of  # local: solver calls back into zones

    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    settings = replace(problem.settings, time_limit_s=max(time_limit_s, 1e-3), workers=1)
    tr, excluded, joined = _joined(problem, zone_plans, provider, settings)
    sol = _search_joined(tr, joined, settings, deadline, explained=True)
    compared: tuple[int | None, ...] = ()
    kept = False
    if second is not None:
        reserve = deadline - time.perf_counter()
        other = second(max(0.0, SECOND_SEARCH_WAIT_SHARE * reserve))
        if other is not None:
            better, compared = _better_of(tr, sol, other)
            kept = better is not sol
            sol = better
    plan = plan_of(tr, excluded, sol, deadline)
    report = _report(tr, joined, plan, zones, time.perf_counter() - t0, deadline)
    return plan, replace(report, searches=max(1, len(compared)), second_kept=kept,
                         objectives=compared)


def search_joined(problem: Problem, zone_plans: Sequence[ZonePlan],
                  provider: MatrixProvider | None = None, time_limit_s: float = 5.0,
                  seed: int | None = None) -> DayRoutes:
    """A second whole-day search from the joined zone routes, with another seed: its routes.

    What :func:`merge` does up to the end of its search, for another worker to run at the same
    time (``seed`` default: the problem's seed + 1, so the two searches differ). No reasons:
    the merge explains the plan it keeps. ``time_limit_s`` bounds the whole call; give it
    :func:`second_search_limit` so that it ends when the merge's own search does.
    """
    t0 = time.perf_counter()
    seed = problem.settings.seed + 1 if seed is None else seed
    settings = replace(problem.settings, time_limit_s=max(time_limit_s, 1e-3), workers=1,
                       seed=seed)
    tr, _, joined = _joined(problem, zone_plans, provider, settings)
    sol = _search_joined(tr, joined, settings, t0 + time_limit_s, explained=False)
    return DayRoutes(_day_routes(tr, sol.routes), sol.objective, seed)


def second_search_limit(merge_limit_s: float, visits: int) -> float:
    """Seconds for :func:`search_joined` so it ends with the search of a merge of ``merge_limit_s``.

    Counted from the merge's start: the merge keeps the end of its limit for reasons and timing
    (:func:`dispatch.solver.explain_reserve`), the second search needs none. A second search
    started later (handed to another worker) gets what is left of it.
    """
    from dispatch.solver import explain_reserve  # local: solver calls back into zones

    return max(0.1, merge_limit_s - explain_reserve(merge_limit_s, visits)
               - SECOND_SEARCH_HANDOVER_S)


def _joined(problem: Problem, zone_plans: Sequence[ZonePlan], provider: MatrixProvider | None,
            settings: SolverSettings
            ) -> tuple[translate.Translation, dict[str, list[Reason]], list[list[int]]]:
    from dispatch.solver import breaks_exact  # local: solver calls back into zones

    problem = replace(problem, settings=settings)
    excluded = explain.precheck(problem)
    tr = translate.build(problem, provider, excluded, exact_breaks=breaks_exact(settings))
    return tr, excluded, _feasible(tr.core, _routes(tr, zone_plans))


def _search_joined(tr: translate.Translation, joined: list[list[int]], settings: SolverSettings,
                   deadline: float, explained: bool) -> CoreSolution:
    from dispatch.solver import search_routes  # local: solver calls back into zones

    return search_routes(tr, settings, deadline, initial=[list(r) for r in joined],
                         explained=explained, by_left_out=False)


def _day_routes(tr: translate.Translation, routes: list[list[int]]) -> tuple[ZoneRoute, ...]:
    return tuple(
        ZoneRoute(tech.id, shift.day, tuple(tr.node_visit[n].id for n in route), shift.start)
        for (tech, shift), route in zip(tr.vehicles, routes, strict=True) if route
    )


def _better_of(tr: translate.Translation, own: CoreSolution, other: DayRoutes
               ) -> tuple[CoreSolution, tuple[int, int | None]]:
    """``own`` or the second search's routes, whichever is better by the objective on ``tr``.

    Also both objectives, counted the same way (the second None when refused). The second
    search's routes count only if they are feasible on this model and name only visits of
    this day, each once: a plan from elsewhere is checked, never trusted.
    """
    from dispatch import ruin_recreate  # local: the search imports are heavy

    # counted as the search counts (an OR-Tools fallback counts its objective otherwise)
    mine = ruin_recreate.evaluate(tr.core, own.routes).objective
    try:
        routes = _routes(tr, [ZonePlan(-1, other.routes, ())])
    except (KeyError, ValueError):
        return own, (mine, None)
    if (sum(len(r) for r in routes) != sum(len(r.visit_ids) for r in other.routes)
            or not ruin_recreate.is_feasible(tr.core, routes)):
        # visits this day does not plan (excluded by the pre-check, unknown), or broken rules
        return own, (mine, None)
    theirs = ruin_recreate.evaluate(tr.core, routes)
    return (theirs if theirs.objective < mine else own), (mine, theirs.objective)


def _feasible(core: CoreProblem, routes: list[list[int]]) -> list[list[int]]:
    """Each route as it is if the whole day can time it, else its visits that still fit in order.

    A zone's route is timed on the zone's own travel matrix; the whole day's (the same model,
    or a finer table) almost always agrees. Visits taken out here are leftovers for the search.
    """
    fixed = []
    for v, route in enumerate(routes):
        if not route or schedule(core, v, route) is not None:
            fixed.append(route)
            continue
        kept: list[int] = []
        for node in route:
            if schedule(core, v, [*kept, node]) is not None:
                kept.append(node)
        fixed.append(kept)
    return fixed


def _report(tr: translate.Translation, joined: list[list[int]], plan: Plan,
            zones: Sequence[Zone] | None, seconds: float, deadline: float) -> RepairReport:
    before = {tr.node_visit[n].id: tr.vehicles[v][0].id
              for v, route in enumerate(joined) for n in route}
    after = {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}
    zone_of_tech = {t.id: z.index for z in zones or () for t in z.problem.technicians}
    zone_of_visit = {v.id: z.index for z in zones or () for v in z.problem.visits}
    across = sum(1 for vid, tid in after.items()
                 if zone_of_visit.get(vid, -1) != zone_of_tech.get(tid, -1)) if zones else 0
    return RepairReport(
        placed=len(after) - len(before),
        moved=sum(1 for vid, tid in after.items() if vid in before and before[vid] != tid),
        border_visits=across,
        seconds=round(seconds, 3),
        complete=time.perf_counter() <= deadline,
    )


def _routes(tr: translate.Translation, zone_plans: Sequence[ZonePlan]) -> list[list[int]]:
    # a vehicle is one shift: technician and shift start (several shifts a day are allowed)
    index = {(t.id, s.start): v for v, (t, s) in enumerate(tr.vehicles)}
    per_day: dict[tuple[str, date], list[int]] = {}
    for v, (t, s) in enumerate(tr.vehicles):
        per_day.setdefault((t.id, s.day), []).append(v)
    routes: list[list[int]] = [[] for _ in tr.vehicles]
    taken: set[int] = set()
    for zp in zone_plans:
        for r in zp.routes:
            v = _vehicle_of(r, zp.zone, index, per_day)
            if v in taken:
                raise ValueError(f"two zone routes for {r.technician_id}'s shift on {r.day}")
            taken.add(v)
            routes[v] = [tr.visit_node[vid] for vid in r.visit_ids if vid in tr.visit_node]
    return routes


def _vehicle_of(r: ZoneRoute, zone: int, index: dict[tuple[str, datetime], int],
                per_day: dict[tuple[str, date], list[int]]) -> int:
    if r.shift_start is not None:
        v = index.get((r.technician_id, r.shift_start))
        if v is None:
            raise ValueError(f"zone {zone} planned {r.technician_id} in a shift starting "
                             f"{r.shift_start.isoformat()}, which is not in the problem")
        return v
    options = per_day.get((r.technician_id, r.day), [])
    if len(options) != 1:
        raise ValueError(f"zone {zone} planned {r.technician_id} on {r.day}, who has "
                         f"{len(options) or 'no'} shifts that day: name the shift's start")
    return options[0]


# --- solving by zones in local processes ------------------------------------------------------


def solve_zone(zone: Zone, time_limit_s: float, provider: MatrixProvider | None = None,
               progress: ProgressCallback | None = None) -> ZonePlan:
    """Solve one zone on its own (one process) and return its routes.

    The whole limit goes to the search: the visits a zone leaves out are explained by the merge,
    on the whole day, and the zone's routes are timed there too.
    """
    from dispatch.solver import breaks_exact, search_routes  # local: solver calls back into zones

    deadline = time.perf_counter() + time_limit_s
    settings = replace(zone.problem.settings, workers=1, time_limit_s=time_limit_s)
    problem = replace(zone.problem, settings=settings)
    if progress is not None:
        progress("precheck", 0)
    excluded = explain.precheck(problem)
    if progress is not None:
        progress("build", 0)
    tr = translate.build(problem, provider, excluded, exact_breaks=breaks_exact(settings))
    sol = search_routes(tr, settings, deadline, progress)
    routes = _day_routes(tr, sol.routes)
    unplaced = (*excluded, *(tr.node_visit[n].id for n in sol.dropped))
    return ZonePlan(zone.index, routes, unplaced, sol.objective)


def _solve_zone_job(args) -> ZonePlan:
    zone, limit, provider = args
    return solve_zone(zone, limit, provider)


def _second_search_job(args) -> DayRoutes:
    problem, plans, provider, limit = args
    return search_joined(problem, plans, provider, limit)


def _result_of(pending) -> SecondSearch:
    def wait(seconds: float) -> DayRoutes | None:
        try:
            return pending.get(seconds)
        except Exception:  # not done in time or failed: the merge keeps its own search
            return None

    return wait


def solve_by_zones(problem: Problem, provider: MatrixProvider | None = None,
                   progress: ProgressCallback | None = None) -> Plan:
    """Split into ``settings.workers`` zones, solve them in parallel processes, merge, repair.

    Zones run ``cpu_count()`` at a time; each gets a share of ``settings.time_limit_s``, the
    merge what is left, so the whole call stays near the limit.
    """
    t0 = time.perf_counter()
    zones = split(problem, problem.settings.workers)
    if progress is not None:
        progress("zones", len(zones))
    procs = min(len(zones), mp.cpu_count())
    limit = zone_time_limit(problem.settings.time_limit_s, len(zones), procs)
    from dispatch.solver import pool_context  # local: solver calls back into zones

    with pool_context().Pool(procs) as pool:
        plans = pool.map(_solve_zone_job, [(z, limit, provider) for z in zones])
        if progress is not None:
            progress("repair", 0)
        left = merge_time_limit(problem.settings.time_limit_s, time.perf_counter() - t0)
        second = None
        if procs > 1:  # a second whole-day search on a process the zones left free
            pending = pool.apply_async(_second_search_job, [(
                problem, plans, provider, second_search_limit(left, len(problem.visits)))])
            second = _result_of(pending)
        plan, _ = merge(problem, plans, zones, provider, time_limit_s=left, second=second)
    return plan
