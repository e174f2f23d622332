"""The boundary between the field-service model and the integer routing core.

This is the one place where timezone-aware datetimes become integer ticks from the horizon
origin (midnight of the first horizon day, in the technicians' time zone) and back, and where
travel metres/seconds become integers. A tick is ``settings.time_unit_s`` seconds (a minute by
default). Rounding is conservative: travel, services and breaks round up, the opening of a
window or a shift rounds up and its close rounds down, so a plan feasible in ticks is feasible in
seconds.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import numpy as np

from dispatch.core import CoreDependency, CoreNode, CoreProblem, CoreVehicle, Schedule, schedule
from dispatch.model import (
    DEFAULT_PRIORITY_WEIGHTS,
    Kpis,
    LatLon,
    Lock,
    Plan,
    Problem,
    Reason,
    Route,
    Shift,
    Stop,
    Technician,
    Unassigned,
    Visit,
)
from dispatch.travel import MatrixProvider, travel_model

UNREACHABLE_MIN = 10**6


MUST_DO_FACTOR = 10**5  # a must-do visit outweighs any number of others a route can hold


def is_must_do(visit: Visit, horizon_end: datetime | None = None) -> bool:
    """Priority 5, a hard SLA, or an SLA due before the end of the horizon ("due today")."""
    if visit.priority >= 5 or visit.sla_hard:
        return True
    return visit.sla_due is not None and horizon_end is not None and visit.sla_due <= horizon_end


def priority_penalty(visit: Visit, base: int, horizon_end: datetime | None = None,
                     weights: tuple[int, ...] = DEFAULT_PRIORITY_WEIGHTS,
                     visit_value: int = 0, started: bool = False) -> int:
    """Drop penalty: ``base`` times the weight of the visit's priority (``weights[priority - 1]``).

    The weights are ``SolverSettings.priority_weights`` (a factor 10 per step by default, so one
    important visit outweighs many minor). Must-do visits (:func:`is_must_do`) add
    ``base * 10**5`` on top, so the search leaves one out only when no placement exists,
    displacing lower priorities otherwise; committed visits count ten times, visits in progress
    ``base * 10**7``, whatever the weights, and ten times that once ``started`` (before its
    technician's "now", :func:`is_started`): the job going on outweighs the promised work it
    runs into. ``visit_value`` (far below ``base``) is added to every visit's penalty, so that
    among plans of equal served weight more visits win.
    """
    penalty = base * weights[visit.priority - 1] + visit_value
    if is_must_do(visit, horizon_end):
        penalty += base * MUST_DO_FACTOR
    if visit.lock is Lock.IN_PROGRESS:
        return base * 10**8 if started else base * 10**7
    if visit.lock is not Lock.NONE:
        return penalty * 10  # committed to the customer: keep before any unlocked work
    return penalty


@dataclass
class Translation:
    """A Problem as a CoreProblem plus the maps needed to read a solution back."""

    problem: Problem
    origin: datetime
    core: CoreProblem
    dist_m: np.ndarray
    vehicles: list[tuple[Technician, Shift]]
    node_visit: dict[int, Visit]
    visit_node: dict[str, int]
    excluded: dict[str, list[Reason]] = field(default_factory=dict)
    unit_s: int = 60  # seconds per tick of the core problem

    def ticks(self, dt: datetime, up: bool = False) -> int:
        """Whole ticks from the origin (floor, or ceil when ``up``)."""
        return _ticks(dt - self.origin, self.unit_s, up)

    def at(self, ticks: int) -> datetime:
        """The datetime ``ticks`` after the origin (exact)."""
        return self.origin + timedelta(seconds=ticks * self.unit_s)

    def to_minutes(self, ticks: int, up: bool = False) -> int:
        """A duration in ticks as whole minutes (floor, or ceil when ``up``)."""
        return -(-ticks * self.unit_s // 60) if up else ticks * self.unit_s // 60

    def vehicles_of(self, tech_id: str) -> list[int]:
        """Vehicle indices (technician-days) of one technician."""
        return [i for i, (t, _) in enumerate(self.vehicles) if t.id == tech_id]

    def vehicle_at(self, tech_id: str, day, at: datetime) -> int | None:
        """The vehicle (technician shift) of ``tech_id`` on ``day`` that contains ``at``.

        A technician may work several shifts on one day; a route or an assignment belongs to
        the one whose hours hold its start (the first of the day if none does).
        """
        options = [v for v, (t, s) in enumerate(self.vehicles) if t.id == tech_id and s.day == day]
        for v in options:
            shift = self.vehicles[v][1]
            if shift.start <= at <= shift.end:
                return v
        return options[0] if options else None

    def day_index(self, v: int) -> int:
        """Horizon day index of vehicle ``v``."""
        return (self.vehicles[v][1].day - self.problem.horizon_start).days


def _ticks(delta: timedelta, unit_s: int, up: bool = False) -> int:
    # integer arithmetic on microseconds: no float rounding at any horizon length
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    step = unit_s * 1_000_000
    return -(-micros // step) if up else micros // step


def _origin(problem: Problem) -> datetime:
    for tech in problem.technicians:
        for shift in tech.shifts:
            return datetime.combine(problem.horizon_start, time(0), tzinfo=shift.start.tzinfo)
    for visit in problem.visits:
        for start, _ in visit.time_windows:
            return datetime.combine(problem.horizon_start, time(0), tzinfo=start.tzinfo)
    raise ValueError("problem has neither shifts nor time windows to anchor the time zone")


def _intersect(windows: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    return [(max(a, lo), min(b, hi)) for a, b in windows if max(a, lo) <= min(b, hi)]


def build(
    problem: Problem,
    provider: MatrixProvider | None = None,
    excluded: dict[str, list[Reason]] | None = None,
    exact_breaks: bool | None = None,
) -> Translation:
    """Translate ``problem`` (minus the ``excluded`` visit ids) into a core problem.

    Visits without a location or excluded by the pre-checks get no node. ``exact_breaks`` None
    follows ``problem.settings.break_mode``; when breaks are not exact the break time is reserved
    by shortening the shift and placed afterwards (see :func:`dispatch.core.schedule`).
    """
    provider = provider or travel_model(problem.settings)
    settings = problem.settings
    excluded = dict(excluded or {})
    origin = _origin(problem)
    days = set(problem.days)

    unit = settings.time_unit_s
    per_min = 60 // unit

    def ticks(dt: datetime, up: bool = False) -> int:
        return _ticks(dt - origin, unit, up)

    vehicles = [(t, s) for t in problem.technicians for s in t.shifts if s.day in days]
    visits = [v for v in problem.visits if v.id not in excluded and v.location is not None]
    points: list[LatLon] = []
    starts, ends = [], []
    for tech, shift in vehicles:
        start_loc = shift.start_location
        if tech.current is not None and tech.current.at.date() == shift.day:
            start_loc = tech.current.location
        starts.append(len(points))
        points.append(start_loc)
        ends.append(len(points))
        points.append(shift.home)
    node_visit = {}
    for visit in visits:
        node_visit[len(points)] = visit
        points.append(visit.location)
    dist_m, dur_s = provider.matrix(points) if points else (np.zeros((0, 0)), np.zeros((0, 0)))
    finite = np.isfinite(dur_s)
    # a leg is planned whole ticks long, rounded up: never shorter than the drive
    time_ticks = np.where(finite, np.ceil(np.nan_to_num(dur_s, posinf=0) / unit),
                        UNREACHABLE_MIN * per_min)
    cost_src = dur_s if settings.travel_cost == "time" else dist_m
    cost = np.where(finite, np.round(np.nan_to_num(cost_src, posinf=0)), UNREACHABLE_MIN * 60)

    horizon = (problem.horizon_days + 1) * 1440 * per_min
    use_exact = exact_breaks
    if use_exact is None:
        use_exact = settings.break_mode == "exact" or (
            settings.break_mode == "auto" and len(visits) <= settings.break_exact_max_nodes
        )
    # an in-progress visit started before "now": the technician's day restarts at its start
    # (the earliest of the technician's pinned visits: promised work later must not hide it)
    in_progress: dict[str, int] = {}
    for v in visits:
        if v.lock is Lock.IN_PROGRESS:
            start = ticks(v.locked_start)
            in_progress[v.locked_technician_id] = min(
                start, in_progress.get(v.locked_technician_id, start))
    visit_node = {v.id: n for n, v in node_visit.items()}
    going_on = _work_going_on(problem, vehicles, visits, visit_node, ends, time_ticks, ticks,
                              per_min)
    core_vehicles = [
        _vehicle(tech, shift, s, e, ticks, per_min, use_exact, in_progress.get(tech.id),
                 int(time_ticks[s, e]), going_on.get(i))
        for i, ((tech, shift), s, e) in enumerate(zip(vehicles, starts, ends, strict=True))
    ]
    horizon_end = origin + timedelta(days=problem.horizon_days)
    nodes = {}
    fleet = _Fleet(vehicles, ticks, [v.earliest for v in core_vehicles])
    on_vehicle = {vid: v for v, work in going_on.items() for vid in work.visit_ids}
    for node, visit in node_visit.items():
        nodes[node] = _node(visit, fleet, ticks, per_min, settings, horizon, horizon_end,
                            on_vehicle.get(visit.id))
    vehicle_day = [(s.day - problem.horizon_start).days for _, s in vehicles]
    deps = []
    for node, visit in node_visit.items():
        dep = visit.depends_on
        if dep is not None and dep.visit_id in visit_node:
            deps.append(CoreDependency(visit_node[dep.visit_id], node, dep.min_days_after))
            _prefilter_dependency(nodes, visit_node[dep.visit_id], node, dep.min_days_after,
                                  vehicle_day)
    core = CoreProblem(
        cost=cost.astype(np.int64), time=time_ticks.astype(np.int64), nodes=nodes,
        vehicles=core_vehicles, horizon=horizon, vehicle_day=vehicle_day, dependencies=deps,
        exact_breaks=use_exact,
    )
    return Translation(problem, origin, core, dist_m, vehicles, node_visit, visit_node, excluded,
                       unit)


def is_started(visit: Visit, tech: Technician) -> bool:
    """Whether ``visit`` is in progress with ``tech``: pinned to them with ``Lock.IN_PROGRESS``
    and started before their current position's time. Later pinned work is only promised."""
    return (visit.lock is Lock.IN_PROGRESS and visit.locked_technician_id == tech.id
            and visit.locked_start is not None and tech.current is not None
            and visit.locked_start < tech.current.at)


@dataclass(frozen=True)
class WorkGoingOn:
    """The visits in progress on one technician-day, in ticks: they are never left out."""

    visit_ids: tuple[str, ...]
    end: int  # when the last of them is done
    drive_home: int  # from the last of them to where the day ends


def _work_going_on(problem: Problem, vehicles: list[tuple[Technician, Shift]],
                   visits: list[Visit], visit_node: dict[str, int], ends: list[int],
                   time_ticks: np.ndarray, ticks, per_min: int) -> dict[int, WorkGoingOn]:
    """The work in progress of each vehicle: on the technician's day under way, in the shift it
    started in (or the next one; the last of the day when it started after them all)."""
    techs = {t.id: t for t in problem.technicians}
    started: dict[int, list[Visit]] = {}
    for visit in visits:
        tech = techs.get(visit.locked_technician_id or "")
        if tech is None or not is_started(visit, tech):
            continue
        day = [i for i, (t, s) in enumerate(vehicles)
               if t.id == tech.id and s.day == tech.current.at.date()]
        later = [i for i in day if vehicles[i][1].end >= visit.locked_start]
        if day:
            started.setdefault((later or day[-1:])[0], []).append(visit)

    def done(x: Visit) -> int:
        return ticks(x.locked_start) + x.duration_min * per_min

    work = {}
    for v, doing in started.items():
        last = max(doing, key=done)
        work[v] = WorkGoingOn(tuple(x.id for x in doing), done(last),
                              int(time_ticks[visit_node[last.id], ends[v]]))
    return work


def _vehicle(tech: Technician, shift: Shift, start: int, end: int, ticks, per_min: int,
             exact_breaks: bool, in_progress_start: int | None, drive_home: int,
             work: WorkGoingOn | None = None) -> CoreVehicle:
    earliest, latest = ticks(shift.start, up=True), ticks(shift.end)
    if tech.current is not None and tech.current.at.date() == shift.day:
        earliest = max(earliest, ticks(tech.current.at, up=True))
        if in_progress_start is not None:
            earliest = min(earliest, in_progress_start)
    # A day under way may leave too little of the shift to drive home (a visit overrunning far
    # from home): that drive is a fact, not a plan, so the return may be that late. No visit
    # fits before it, and an unused technician stays a feasible (empty) route.
    latest = max(latest, earliest + drive_home)
    brk = None
    max_span = shift.max_work_minutes * per_min if shift.max_work_minutes is not None else None
    if shift.break_ is not None:
        b = shift.break_
        dur = b.duration_min * per_min
        brk = (ticks(b.earliest_start, up=True), ticks(b.latest_end) - dur, dur)
    if work is not None:
        # Work in progress is finished, whatever the shift says: a lunch it leaves no room for
        # in its window is not planned (the technician is on the job), and the day may end as
        # late as finishing it, lunch if still planned, and the drive home need. By the triangle
        # inequality no new visit fits into that overrun: it serves the work going on alone.
        free = max(earliest, work.end)
        if brk is not None and free > brk[1]:
            brk = None
        back = free + work.drive_home
        if brk is not None:
            back = max(brk[0], back) + brk[2]
        latest = max(latest, back)
        if max_span is not None:
            max_span = max(max_span, back - earliest)
    veh = CoreVehicle(start, end, earliest, max(earliest, latest), tech.van_capacity, max_span, brk)
    if brk is not None and not exact_breaks:
        # reserve the break's duration: the solver plans a shorter day, the break goes in after;
        # never so much that the drive home no longer fits (an unused technician late on a day
        # under way would make the whole problem infeasible for OR-Tools)
        veh.reserved = min(brk[2], max(0, veh.latest - earliest - drive_home))
        veh.latest -= veh.reserved
        if max_span is not None:
            veh.max_span = max(0, max_span - veh.reserved)
    return veh


class _Fleet:
    """Vehicles (technician shifts) as arrays, with skill checks cached per requirement."""

    def __init__(self, vehicles: list[tuple[Technician, Shift]], ticks,
                 earliest: list[int]) -> None:
        self.vehicles = vehicles
        self.tech_ids = np.array([t.id for t, _ in vehicles], dtype=object)
        self.shift_start = np.array([ticks(s.start, up=True) for _, s in vehicles], dtype=np.int64)
        self.shift_end = np.array([ticks(s.end) for _, s in vehicles], dtype=np.int64)
        # when each vehicle may start: a day under way restarts at its visit in progress, which
        # may have begun before the shift (an early call)
        self.earliest = np.array(earliest, dtype=np.int64)
        self._skilled: dict[tuple, np.ndarray] = {}

    def skilled(self, required: dict[str, int]) -> np.ndarray:
        """Which vehicles' technicians hold ``required`` (cached: few distinct requirements)."""
        key = tuple(sorted(required.items()))
        if key not in self._skilled:
            self._skilled[key] = np.array([t.has_skills(required) for t, _ in self.vehicles],
                                          dtype=bool)
        return self._skilled[key]


def _node(visit: Visit, fleet: _Fleet, ticks, per_min: int, settings, horizon: int,
          horizon_end: datetime, going_on: int | None = None) -> CoreNode:
    # a window narrower than a tick may hold no whole tick: then the visit has no start time
    windows = [(ticks(a, up=True), ticks(b)) for a, b in visit.time_windows]
    windows = sorted(w for w in windows if w[0] <= w[1]) if windows else [(0, horizon)]
    windows = _merge(windows)
    if visit.sla_hard and visit.sla_due is not None:
        windows = _intersect(windows, 0, ticks(visit.sla_due))
    if visit.lock in (Lock.TIME, Lock.TECHNICIAN_TIME):
        t, tol = ticks(visit.locked_start), settings.time_lock_tolerance_min * per_min
        windows = _intersect(windows, t - tol, t + tol)
        if not windows:  # a lock on a time outside the windows: the lock wins
            windows = [(t - tol, t + tol)]
    if visit.lock is Lock.IN_PROGRESS:
        t = ticks(visit.locked_start)
        windows = [(t, t)]
    keeps_tech = visit.lock in (Lock.TECHNICIAN, Lock.TECHNICIAN_TIME, Lock.IN_PROGRESS)
    ok = fleet.skilled(visit.required_skills).copy()
    if keeps_tech:
        ok &= fleet.tech_ids == visit.locked_technician_id
    overlap = np.zeros_like(ok)
    for lo, hi in windows:
        opens = fleet.earliest if visit.lock is Lock.IN_PROGRESS else fleet.shift_start
        overlap |= (opens <= hi) & (fleet.shift_end >= lo)
    allowed = np.flatnonzero(ok & overlap).tolist()
    if going_on is not None:
        # in progress: on its technician's day under way, whatever their skills say now
        allowed = [going_on]
    soft_due = None
    if visit.sla_due is not None and not visit.sla_hard:
        soft_due = ticks(visit.sla_due)
    return CoreNode(
        service=visit.duration_min * per_min,
        windows=windows,
        demand=visit.demand,
        penalty=priority_penalty(visit, settings.drop_penalty_base, horizon_end,
                                 settings.priority_weights, settings.visit_value,
                                 started=going_on is not None),
        allowed_vehicles=allowed,
        soft_due=soft_due,
        # the cost per minute late, per tick (rounded; at least 1 so lateness always costs)
        soft_cost=max(1, round(settings.lateness_cost_per_min * visit.priority / per_min))
        if settings.lateness_cost_per_min > 0 else 0,
    )


def _merge(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in windows:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _prefilter_dependency(nodes, before: int, after: int, gap: int, vehicle_day) -> None:
    # cheap necessary conditions: "after" cannot be on the first `gap` days the "before" could use
    b, a = nodes[before], nodes[after]
    if b.allowed_vehicles and a.allowed_vehicles:
        first = min(vehicle_day[v] for v in b.allowed_vehicles)
        a.allowed_vehicles = [v for v in a.allowed_vehicles if vehicle_day[v] >= first + gap]
        if a.allowed_vehicles:
            last = max(vehicle_day[v] for v in a.allowed_vehicles)
            b.allowed_vehicles = [v for v in b.allowed_vehicles if vehicle_day[v] + gap <= last]


def plan_from_routes(
    tr: Translation,
    routes: list[list[int]],
    unassigned: list[Unassigned],
    objective: int = 0,
    status: str = "ok",
) -> Plan:
    """Assemble a Plan from core routes (one list of nodes per vehicle), timing them afresh.

    Routes that cannot be timed (e.g. a reserved break that does not fit) lose their least
    important stops until they can; those visits are returned unassigned with a reason.
    """
    plan_routes: list[Route] = []
    extra: list[Unassigned] = []
    for v, route in enumerate(routes):
        if not route:
            continue
        route, sched, removed = _timed(tr, v, list(route))
        for node in removed:
            extra.append(_break_reason(tr, v, node))
        if route:
            plan_routes.append(_route(tr, v, route, sched))
    all_unassigned = unassigned + extra
    return Plan(plan_routes, all_unassigned, kpis(tr, plan_routes, all_unassigned), objective,
                status)


def _timed(tr: Translation, v: int, route: list[int]) -> tuple[list[int], Schedule, list[int]]:
    removed = []
    while True:
        sched = schedule(tr.core, v, route)
        if sched is not None or not route:
            return route, sched or schedule(tr.core, v, []), removed
        worst = min(route, key=lambda n: (tr.node_visit[n].priority, -route.index(n)))
        route.remove(worst)
        removed.append(worst)


def _break_reason(tr: Translation, v: int, node: int) -> Unassigned:
    tech, shift = tr.vehicles[v]
    visit = tr.node_visit[node]
    return Unassigned(visit.id, [Reason(
        "break_conflict",
        f"Technician {tech.id} could not fit the break of {shift.day} with visit {visit.id} "
        "in the route; the least important visit was taken out.",
        {"technician_id": tech.id, "day": shift.day.isoformat()},
    )])


def _route(tr: Translation, v: int, route: list[int], sched: Schedule) -> Route:
    core, (tech, shift) = tr.core, tr.vehicles[v]
    veh = core.vehicles[v]
    path = [veh.start, *route, veh.end]
    slack = _slack(tr, v, route, sched)
    stops = []
    for k, node in enumerate(route):
        visit = tr.node_visit[node]
        start = sched.starts[k]
        late = 0
        if visit.sla_due is not None:
            late = tr.to_minutes(max(0, start - tr.ticks(visit.sla_due)), up=True)
        stops.append(Stop(
            visit_id=visit.id,
            arrival=tr.at(sched.arrivals[k]),
            wait_min=tr.to_minutes(
                max(0, start - sched.arrivals[k] - _lunch_on_site(veh, sched, k))),
            start=tr.at(start),
            end=tr.at(start + core.nodes[node].service),
            slack_min=tr.to_minutes(slack[k]),
            travel_km=round(float(tr.dist_m[path[k], path[k + 1]]) / 1000.0, 3),
            late_min=late,
        ))
    km = sum(float(tr.dist_m[a, b]) for a, b in itertools.pairwise(path)) / 1000.0
    travel_min = tr.to_minutes(int(sum(int(core.time[a, b]) for a, b in itertools.pairwise(path))),
                               up=True)
    brk = tr.at(sched.break_start) if sched.break_start is not None else None
    overtime = max(0, math.ceil((tr.at(sched.back) - shift.end).total_seconds() / 60))
    return Route(tech.id, shift.day, tr.at(sched.depart), tr.at(sched.back), stops, brk,
                 round(km, 3), travel_min, overtime)


def _lunch_on_site(veh, sched: Schedule, k: int) -> int:
    # lunch taken at the customer while waiting is not waiting
    if sched.break_before != k or veh.break_ is None:
        return 0
    return veh.break_[2] if sched.break_start >= sched.arrivals[k] else 0


def _slack(tr: Translation, v: int, route: list[int], sched: Schedule) -> list[int]:
    # backward pass: the latest each start could move to without breaking later stops
    core = tr.core
    veh = core.vehicles[v]
    latest_next = veh.latest
    nxt = veh.end
    result = [0] * len(route)
    for k in range(len(route) - 1, -1, -1):
        node = route[k]
        n = core.nodes[node]
        brk = veh.break_[2] if sched.break_before == k + 1 and veh.break_ else 0
        bound = latest_next - int(core.time[node, nxt]) - n.service - brk
        window_hi = next((hi for lo, hi in n.windows if lo <= sched.starts[k] <= hi), bound)
        latest = min(bound, window_hi)
        result[k] = max(0, latest - sched.starts[k])
        latest_next, nxt = latest, node
    return result


def kpis(tr: Translation, routes: list[Route], unassigned: list[Unassigned]) -> Kpis:
    """Plan KPIs: travel, utilisation of used shifts, on-time share, SLA misses."""
    service = sum((s.end - s.start).total_seconds() / 60 for r in routes for s in r.stops)
    available = 0.0
    for r in routes:
        shift = tr.vehicles[tr.vehicle_at(r.technician_id, r.day, r.start)][1]
        available += (shift.end - shift.start).total_seconds() / 60
    by_id = {v.id: v for v in tr.problem.visits}
    with_due = [s for r in routes for s in r.stops if by_id[s.visit_id].sla_due is not None]
    late = [s for s in with_due if s.late_min > 0]
    unassigned_due = [u for u in unassigned if by_id[u.visit_id].sla_due is not None]
    return Kpis(
        travel_km=round(sum(r.travel_km for r in routes), 3),
        travel_min=sum(r.travel_min for r in routes),
        utilisation=round(service / available, 4) if available else 0.0,
        on_time_share=round(1 - len(late) / len(with_due), 4) if with_due else 1.0,
        sla_misses=len(late) + len(unassigned_due),
        assigned=sum(len(r.stops) for r in routes),
        unassigned=len(unassigned),
    )


def minutes_between(a: datetime, b: datetime) -> int:
    """Whole minutes from a to b (ceil), for callers comparing datetimes at solver resolution."""
    return math.ceil((b - a).total_seconds() / 60)
