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


def _forward(problem: CoreProblem, v: int, route: list[int], break_at: int | None,
             ignore_capacity: bool) -> Schedule | None:
    veh = problem.vehicles[v]
    t, prev = veh.earliest, veh.start
    starts, arrivals, brk = [], [], None
    load = 0
    for k, node in enumerate([*route, veh.end]):
        if break_at == k:
            lo, hi, dur = veh.break_
            brk = max(t, lo)
            if brk > hi:
                return None
            t = brk + dur
        t += int(problem.time[prev, node])
        if k == len(route):
            if t > veh.latest + veh.reserved:
                return None
            break
        n = problem.nodes[node]
        arrivals.append(t)
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

    The vehicle's break, if any, is tried before each stop in turn and the first position where the
    whole route still fits is kept.
    """
    veh = problem.vehicles[v]
    if veh.break_ is None or ignore_break or not route:
        return _forward(problem, v, route, None, ignore_capacity)
    for k in range(len(route) + 1):
        found = _forward(problem, v, route, k, ignore_capacity)
        if found is not None:
            return found
    return None
