"""Solver-neutral integer description of a vehicle routing problem with time windows.

Both the field-service model and the Solomon benchmark are translated into a :class:`CoreProblem`
(integer times and costs, matrix-indexed nodes) that ``dispatch.solver`` hands to OR-Tools.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np


@dataclass
class CoreNode:
    """A visit node: service time, allowed start intervals, demand, drop penalty, restrictions."""

    service: int
    windows: list[tuple[int, int]]  # allowed service-start intervals, sorted, non-overlapping
    demand: int = 0
    penalty: int | None = None  # None: must be served
    allowed_vehicles: list[int] | None = None  # None: any vehicle
    soft_due: int | None = None  # start later than this costs soft_cost per unit
    soft_cost: int = 0


@dataclass
class CoreVehicle:
    """One route: start/end matrix indices, earliest departure, latest return, optional limits."""

    start: int
    end: int
    earliest: int
    latest: int
    capacity: int | None = None
    max_span: int | None = None
    # (earliest start, latest start, duration) of a break taken between visits
    break_: tuple[int, int, int] | None = None
    reserved: int = 0  # break minutes taken off latest/max_span for the solver; added back here


@dataclass
class CoreDependency:
    """Node ``after`` must be served on a vehicle whose day is >= day of ``before`` + min_days."""

    before: int
    after: int
    min_days: int


@dataclass
class CoreProblem:
    """Integer matrices (``cost``: objective, ``time``: travel) plus nodes and vehicles."""

    cost: np.ndarray
    time: np.ndarray
    nodes: dict[int, CoreNode]
    vehicles: list[CoreVehicle]
    horizon: int
    vehicle_day: list[int] | None = None  # day index per vehicle, for dependencies
    dependencies: list[CoreDependency] = field(default_factory=list)
    exact_breaks: bool = True
    fixed_vehicle_cost: int = 0

    @property
    def size(self) -> int:
        """Number of matrix points."""
        return int(self.cost.shape[0])


@dataclass
class CoreSolution:
    """Routes as matrix indices (depots excluded), service starts, dropped nodes, objective."""

    routes: list[list[int]]
    starts: list[list[int]]
    vehicle_start: list[int]
    vehicle_end: list[int]
    break_start: list[int | None]
    dropped: list[int]
    objective: int
    found: bool = True

    def cost(self, problem: CoreProblem) -> int:
        """Sum of arc costs of all routes (excluding penalties)."""
        total = 0
        for v, route in enumerate(self.routes):
            if not route:
                continue
            veh = problem.vehicles[v]
            path = [veh.start, *route, veh.end]
            total += int(sum(problem.cost[a, b] for a, b in itertools.pairwise(path)))
        return total


@dataclass
class Schedule:
    """Earliest-start timing of one route: service starts, break start, departure and return."""

    starts: list[int]
    arrivals: list[int]
    break_start: int | None
    break_before: int | None  # index of the stop the break precedes (len(stops): before return)
    depart: int
    back: int


def earliest_in_windows(t: int, windows: list[tuple[int, int]]) -> int | None:
    """First allowed start at or after ``t`` (None if every window has closed)."""
    if not windows:
        return t
    for lo, hi in windows:
        if t <= hi:
            return max(t, lo)
    return None


def _leg_arrival(t: int, travel: int, brk: tuple[int, int, int] | None) -> int | None:
    """Arrival after leaving at ``t`` for a leg of ``travel``, with the break in it if given.

    The break starts as soon as the technician is free and its window opens, and may
    interrupt the drive or fill waiting time; None if its window has closed by then.
    """
    if brk is None:
        return t + travel
    lo, hi, dur = brk
    start = max(t, lo)
    if start > hi:
        return None
    return max(start, t + travel) + dur


def latest_in_windows(t: int, windows: list[tuple[int, int]]) -> int | None:
    """Last allowed start at or before ``t`` (None if no window has opened by then)."""
    if not windows:
        return t
    for lo, hi in reversed(windows):
        if t >= lo:
            return min(t, hi)
    return None


def _break_leg(problem: CoreProblem, v: int, route: list[int], latest: int) -> int | None:
    """The last leg in which the break keeps the route feasible (None: no leg does)."""
    veh = problem.vehicles[v]
    path = [veh.start, *route, veh.end]
    m = len(route)
    # earliest departures without the break, then latest arrivals after it
    depart: list[int | None] = [veh.earliest]
    for k, node in enumerate(route):
        t = depart[k]
        start = None if t is None else earliest_in_windows(
            t + int(problem.time[path[k], node]), problem.nodes[node].windows)
        depart.append(None if start is None else start + problem.nodes[node].service)
    arrive_by: list[int | None] = [None] * (m + 2)
    arrive_by[m + 1] = latest
    for k in range(m, 0, -1):
        nxt = arrive_by[k + 1]
        node = route[k - 1]
        if nxt is None:
            break
        leave = nxt - int(problem.time[node, path[k + 1]]) - problem.nodes[node].service
        arrive_by[k] = latest_in_windows(leave, problem.nodes[node].windows)
    for k in range(m, -1, -1):
        if depart[k] is None or arrive_by[k + 1] is None:
            continue
        arrival = _leg_arrival(depart[k], int(problem.time[path[k], path[k + 1]]), veh.break_)
        if arrival is not None and arrival <= arrive_by[k + 1]:
            return k
    return None


def _forward(problem: CoreProblem, v: int, route: list[int], break_at: int | None,
             ignore_capacity: bool) -> Schedule | None:
    veh = problem.vehicles[v]
    t, prev = veh.earliest, veh.start
    starts, arrivals, brk = [], [], None
    load = 0
    for k, node in enumerate([*route, veh.end]):
        travel = int(problem.time[prev, node])
        here = t + travel  # when the technician reaches the place (lunch taken on site after)
        if break_at == k:
            brk = max(t, veh.break_[0])
            arrival = _leg_arrival(t, travel, veh.break_)
            if arrival is None:
                return None
            t = arrival
            if brk < here:  # lunch on the way: the drive ends after it
                here = t
        else:
            t = here
        if k == len(route):
            if t > veh.latest + veh.reserved:
                return None
            break
        n = problem.nodes[node]
        arrivals.append(here)
        start = earliest_in_windows(t, n.windows)
        if start is None:
            return None
        starts.append(start)
        t = start + n.service
        load += n.demand
        prev = node
    if not ignore_capacity and veh.capacity is not None and load > veh.capacity:
        return None
    first_travel = int(problem.time[veh.start, route[0]]) if route else 0
    # leave as late as the first stop allows, so the working span is not padded with waiting
    depart = veh.earliest
    if route and break_at != 0:
        depart = max(veh.earliest, starts[0] - first_travel)
    if veh.max_span is not None and t - depart > veh.max_span + veh.reserved:
        return None
    return Schedule(starts, arrivals, brk, break_at, depart, t)


def schedule(problem: CoreProblem, v: int, route: list[int],
             ignore_capacity: bool = False, ignore_break: bool = False) -> Schedule | None:
    """Earliest feasible timing of ``route`` on vehicle ``v`` (None if infeasible).

    Every stop starts as early as its windows allow. A vehicle with a break (and at least one
    stop) takes it exactly once, starting inside its window, in one leg: after leaving a stop
    (or the start point), part-way through the drive, or while waiting for the next window;
    never during a visit. The last leg where it still fits is chosen, so the stops before it
    start as early as possible. This is the one timing model of the package: the search
    (:mod:`dispatch.kernels`), the plan and the explanations all use it.
    """
    veh = problem.vehicles[v]
    if veh.break_ is None or ignore_break or not route:
        return _forward(problem, v, route, None, ignore_capacity)
    leg = _break_leg(problem, v, route, veh.latest + veh.reserved)
    if leg is None:
        return None
    return _forward(problem, v, route, leg, ignore_capacity)
