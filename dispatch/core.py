"""Solver-neutral integer description of a vehicle routing problem with time windows.

Both the field-service model and the Solomon benchmark are translated into a :class:`CoreProblem`
(integer times and costs, matrix-indexed nodes) that ``dispatch.solver`` hands to OR-Tools.
"""

from __future__ import annotations

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


@dataclass
class CoreDependency:
    """Node ``after`` must be served on a vehicle whose day is >= day of ``before`` + min_days."""

    before: int
    after: int
    min_days: int


@dataclass
class CoreProblem:
    """Integer matrices (``cost`` for the objective, ``time`` for travel) plus nodes and vehicles."""

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
            total += int(sum(problem.cost[a, b] for a, b in zip(path, path[1:], strict=False)))
        return total
