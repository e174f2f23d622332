"""Solomon VRPTW instances: loader, conversion to the routing core, and an independent checker.

Conventions are those of the best-known solutions (CVRPLIB / DIMACS): each arc's Euclidean
distance truncated to one decimal, i.e. an integer matrix floor(10 * d) with times scaled by 10;
travel time equals distance; the objective is total distance.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dispatch.core import CoreNode, CoreProblem, CoreVehicle

SCALE = 10


@dataclass(frozen=True)
class Customer:
    """One row of the customer table; number 0 is the depot."""

    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class SolomonInstance:
    """A parsed instance: name, fleet size, capacity and customers (depot first)."""

    name: str
    vehicles: int
    capacity: int
    customers: list[Customer]

    @property
    def depot(self) -> Customer:
        """The depot row (customer number 0)."""
        return self.customers[0]

    def distance_matrix(self) -> np.ndarray:
        """Integer matrix floor(10 * Euclidean distance), the BKS convention."""
        xy = np.array([(c.x, c.y) for c in self.customers], dtype=float)
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        # the tiny epsilon guards against 0.1-steps landing just below an integer in binary
        return np.floor(d * SCALE + 1e-9).astype(np.int64)


def load(path: str | Path) -> SolomonInstance:
    """Parse a Solomon-format text file (raises ValueError on malformed input)."""
    lines = [ln.strip() for ln in Path(path).read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0]
    try:
        vi = next(i for i, ln in enumerate(lines) if ln.upper().startswith("VEHICLE"))
        vehicles, capacity = (int(x) for x in lines[vi + 2].split()[:2])
        ci = next(i for i, ln in enumerate(lines) if ln.upper().startswith("CUST"))
    except (StopIteration, ValueError, IndexError) as exc:
        raise ValueError(f"{path}: not a Solomon instance") from exc
    customers = []
    for ln in lines[ci + 1 :]:
        parts = ln.split()
        if len(parts) < 7 or not parts[0].isdigit():
            continue
        num, x, y, dem, ready, due, service = (float(p) for p in parts[:7])
        customers.append(
            Customer(int(num), x, y, int(dem), int(ready), int(due), int(service))
        )
    if not customers or customers[0].number != 0:
        raise ValueError(f"{path}: the depot (customer 0) must come first")
    return SolomonInstance(name, vehicles, capacity, customers)


def load_bks(path: str | Path) -> dict[str, tuple[int, float]]:
    """Best-known solutions: instance name -> (vehicles, distance)."""
    with open(path, newline="") as fh:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(fh)
        }


def to_core(inst: SolomonInstance, mandatory_penalty: int = 10**7) -> CoreProblem:
    """The instance as a routing-core problem on the scaled integer matrix.

    Customers keep their number as matrix index (depot 0). They are optional with a very large
    penalty so that a partial first solution can still be improved; a dropped customer makes the
    result invalid, which the checker reports.
    """
    dist = inst.distance_matrix()
    nodes = {
        c.number: CoreNode(
            service=c.service * SCALE,
            windows=[(c.ready * SCALE, c.due * SCALE)],
            demand=c.demand,
            penalty=mandatory_penalty,
        )
        for c in inst.customers[1:]
    }
    depot = inst.depot
    vehicles = [
        CoreVehicle(0, 0, depot.ready * SCALE, depot.due * SCALE, capacity=inst.capacity)
        for _ in range(inst.vehicles)
    ]
    return CoreProblem(dist, dist, nodes, vehicles, horizon=depot.due * SCALE + 1)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check`: validity, violations found, distance and vehicles used."""

    valid: bool
    errors: list[str]
    distance: float
    vehicles: int


def check(inst: SolomonInstance, routes: list[list[int]]) -> CheckResult:
    """Independently verify routes (customer numbers) under the BKS rules.

    Recomputes every arc from coordinates (truncated to one decimal) and simulates the schedule:
    every customer exactly once, service starts within [ready, due], load within capacity, and
    return to the depot by its due date.
    """
    errors: list[str] = []
    by_number = {c.number: c for c in inst.customers}
    seen: dict[int, int] = {}
    total = 0
    depot = inst.depot

    def arc(a: Customer, b: Customer) -> int:
        return math.floor(math.hypot(a.x - b.x, a.y - b.y) * SCALE + 1e-9)

    used = 0
    for k, route in enumerate(routes, start=1):
        if not route:
            continue
        used += 1
        t, load_, prev = depot.ready * SCALE, 0, depot
        for num in route:
            cust = by_number.get(num)
            if cust is None or num == 0:
                errors.append(f"route {k}: unknown customer {num}")
                continue
            seen[num] = seen.get(num, 0) + 1
            total += arc(prev, cust)
            t = max(t + arc(prev, cust), cust.ready * SCALE)
            if t > cust.due * SCALE:
                errors.append(f"route {k}: customer {num} starts at {t / SCALE} > due {cust.due}")
            t += cust.service * SCALE
            load_ += cust.demand
            prev = cust
        total += arc(prev, depot)
        t += arc(prev, depot)
        if t > depot.due * SCALE:
            errors.append(f"route {k}: back at depot at {t / SCALE} > {depot.due}")
        if load_ > inst.capacity:
            errors.append(f"route {k}: load {load_} > capacity {inst.capacity}")
    for cust in inst.customers[1:]:
        if seen.get(cust.number, 0) != 1:
            errors.append(f"customer {cust.number} served {seen.get(cust.number, 0)} times")
    if used > inst.vehicles:
        errors.append(f"{used} vehicles used, only {inst.vehicles} available")
    return CheckResult(not errors, errors, total / SCALE, used)


def format_routes(routes: list[list[int]], distance: float) -> str:
    """Routes in CVRPLIB solution format."""
    lines = [
        f"Route #{i}: {' '.join(map(str, r))}"
        for i, r in enumerate((r for r in routes if r), start=1)
    ]
    lines.append(f"Cost {distance:.1f}")
    return "\n".join(lines) + "\n"
