"""Reproducible synthetic city workloads for benchmarks and demos (Shanghai area by default)."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone

from dispatch.model import (
    Break,
    Problem,
    Shift,
    SolverSettings,
    Technician,
    Visit,
)

SHANGHAI = (31.23, 121.47)
CST = timezone(timedelta(hours=8))


def _point(rng: random.Random, center: tuple[float, float], radius_km: float
           ) -> tuple[float, float]:
    # uniform over a disc; a degree of latitude is ~111 km
    r = radius_km * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    lat = center[0] + (r * math.cos(a)) / 111.0
    lon = center[1] + (r * math.sin(a)) / (111.0 * math.cos(math.radians(center[0])))
    return round(lat, 6), round(lon, 6)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CST)


def generate(
    seed: int,
    techs: int,
    visits: int,
    days: int = 1,
    start: date = date(2026, 11, 25),
    center: tuple[float, float] = SHANGHAI,
    radius_km: float = 18.0,
    settings: SolverSettings | None = None,
) -> Problem:
    """A city of depots, technicians (skills, shifts, breaks) and visits; same seed, same city.

    Roughly 10 visits per technician-day fill the shifts, so some low-priority work is dropped.
    """
    rng = random.Random(seed)
    depots = [_point(rng, center, radius_km * 0.7) for _ in range(max(1, techs // 25))]
    day_list = [start + timedelta(days=i) for i in range(days)]
    technicians = [_technician(rng, i, depots, day_list) for i in range(techs)]
    jobs = [_visit(rng, i, center, radius_km, day_list) for i in range(visits)]
    return Problem(technicians, jobs, start, days, settings or SolverSettings())


def _technician(rng: random.Random, i: int, depots, days: list[date]) -> Technician:
    depot = depots[i % len(depots)]
    skills = {"measure": 1, "repair": rng.randint(1, 3)}
    if rng.random() < 0.7:
        skills["install"] = rng.randint(1, 3)
    if rng.random() < 0.2:
        skills["glass"] = 1
    early = rng.random() < 0.5
    shifts = []
    for d in days:
        s, e = (_at(d, 8), _at(d, 17)) if early else (_at(d, 9), _at(d, 18))
        brk = Break(_at(d, 11, 30), _at(d, 14), 30)
        shifts.append(Shift(d, s, e, depot, depot, brk, max_work_minutes=540))
    return Technician(f"T{i:03d}", skills, shifts)


def _visit(rng: random.Random, i: int, center, radius_km: float, days: list[date]) -> Visit:
    day = rng.choice(days)
    kind = rng.choices(["measure", "install", "repair"], weights=[4, 3, 3])[0]
    if kind == "measure":
        duration, skills = 30, {"measure": 1}
    elif kind == "install":
        duration, skills = rng.choice([60, 75, 90]), {"install": rng.randint(1, 3)}
    else:
        duration, skills = rng.choice([20, 30, 45]), {"repair": rng.randint(1, 2)}
        if rng.random() < 0.1:
            skills["glass"] = 1
    r = rng.random()
    if r < 0.3:
        windows = [(_at(day, 9), _at(day, 12))]
    elif r < 0.55:
        windows = [(_at(day, 13), _at(day, 17))]
    elif r < 0.7:
        windows = [(_at(day, 9), _at(day, 11)), (_at(day, 14), _at(day, 16))]
    else:
        windows = [(_at(day, 8), _at(day, 18))]
    sla_due, sla_hard = None, False
    if kind == "repair" and rng.random() < 0.5:
        sla_due = _at(day, rng.choice([12, 15, 17]))
        sla_hard = rng.random() < 0.2
    priority = rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 3, 1.5, 0.5])[0]
    return Visit(
        id=f"V{i:04d}", kind=kind, location=_point(rng, center, radius_km),
        duration_min=duration, required_skills=skills, time_windows=windows,
        sla_due=sla_due, sla_hard=sla_hard, priority=priority,
    )
