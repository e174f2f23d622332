"""Reproducible synthetic city days for benchmarks and demos (Shanghai area by default).

The shape of a custom-furniture service company's day: measure visits (45 min), repairs
(45-90 min), installs (120-240 min); technicians with skill profiles and home depots, 08-17 or
09-18 shifts with a 60-minute lunch starting between 11:30 and 12:30; start-of-service windows of
one hour, two hours or the whole day; priorities 1-5 (4 and 5 are must-do: due today, hard SLA).
Service time is calibrated to ``load`` times the technicians' net hours (shift minus lunch):
about 0.75 is a balanced day, about 1.35 an over-booked one (see :func:`overbooked`).
Same seed, same city.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
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
BALANCED = 0.75
OVERBOOKED = 1.35
LUNCH_MIN = 60
SERVICE_RANGE = {"measure": (45, 45), "repair": (45, 90), "install": (120, 240)}
STEP_MIN = 15
# skill profiles of the roster, cycled so that any prefix of the roster keeps the mix
PROFILES = [
    ("measure", {"measure": 1}),
    ("repair", {"repair": 1, "electrical": 1}),
    ("installer", {"install_cabinet": 1, "install_wardrobe": 1}),
    ("measure", {"measure": 1}),
    ("all-round", {"measure": 1, "repair": 1, "install_cabinet": 1, "install_wardrobe": 1,
                   "electrical": 1}),
    ("repair", {"repair": 1}),
    ("installer", {"install_cabinet": 1, "install_wardrobe": 1, "electrical": 1}),
    ("installer", {"install_wardrobe": 1}),
]
PRIORITY_SHARES = [12, 27, 31, 22, 8]  # priorities 1..5, as in the shared city days


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
    load: float = BALANCED,
) -> Problem:
    """A city of depots, technicians and visits whose service fills ``load`` of the net hours.

    Visits are spread over the ``days`` of the horizon; the service total of each day is
    calibrated to ``load`` times that day's net technician hours (within one 15-minute step).
    """
    if techs < 1 or visits < 0 or load <= 0:
        raise ValueError("need at least one technician, no negative visit count, a positive load")
    rng = random.Random(seed)
    depots = [_point(rng, center, radius_km * 0.7) for _ in range(max(1, techs // 25))]
    day_list = [start + timedelta(days=i) for i in range(days)]
    technicians = [_technician(rng, i, depots, day_list) for i in range(techs)]
    per_visit = load * techs * days * _net_minutes() / max(1, visits)
    jobs = [_visit(rng, i, center, radius_km, day_list, per_visit) for i in range(visits)]
    jobs = _calibrate(rng, jobs, load * techs * _net_minutes(), day_list)
    return Problem(technicians, jobs, start, days, settings or SolverSettings())


def overbooked(problem: Problem, load: float = OVERBOOKED, balanced: float = BALANCED
               ) -> Problem:
    """The same visits with fewer technicians: a day generated at ``balanced`` now at ``load``."""
    keep = max(1, round(len(problem.technicians) * balanced / load))
    return replace(problem, technicians=problem.technicians[:keep])


def service_load(problem: Problem) -> float:
    """Service minutes over net technician minutes (shift minus break) of the horizon."""
    net = sum((s.end - s.start).total_seconds() / 60 - (s.break_.duration_min if s.break_ else 0)
              for t in problem.technicians for s in t.shifts)
    return sum(v.duration_min for v in problem.visits) / net if net else math.inf


def _net_minutes() -> int:
    return 9 * 60 - LUNCH_MIN


def _technician(rng: random.Random, i: int, depots, days: list[date]) -> Technician:
    depot = depots[i % len(depots)]
    _, skills = PROFILES[i % len(PROFILES)]
    early = rng.random() < 0.5
    shifts = []
    for d in days:
        s, e = (_at(d, 8), _at(d, 17)) if early else (_at(d, 9), _at(d, 18))
        # a 60-minute lunch starting between 11:30 and 12:30
        brk = Break(_at(d, 11, 30), _at(d, 13, 30), LUNCH_MIN)
        shifts.append(Shift(d, s, e, depot, depot, brk))
    return Technician(f"T{i:03d}", dict(skills), shifts)


def _kind_weights(per_visit: float) -> list[float]:
    # measure : repair fixed at 4 : 3, install share chosen so the expected service is per_visit
    mean_mr = (4 * 45 + 3 * 67.5) / 7
    install = min(0.9, max(0.05, (per_visit - mean_mr) / (180 - mean_mr)))
    return [(1 - install) * 4 / 7, (1 - install) * 3 / 7, install]


def _visit(rng: random.Random, i: int, center, radius_km: float, days: list[date],
           per_visit: float) -> Visit:
    day = rng.choice(days)
    kind = rng.choices(["measure", "repair", "install"], weights=_kind_weights(per_visit))[0]
    lo, hi = SERVICE_RANGE[kind]
    duration = rng.randrange(lo, hi + 1, STEP_MIN)
    if kind == "measure":
        skills = {"measure": 1}
    elif kind == "repair":
        skills = {"repair": 1, **({"electrical": 1} if rng.random() < 0.35 else {})}
    else:
        skills = {rng.choice(["install_cabinet", "install_wardrobe"]): 1}
        if rng.random() < 0.2:
            skills["electrical"] = 1
    priority = rng.choices([1, 2, 3, 4, 5], weights=PRIORITY_SHARES)[0]
    window = _window(rng, day, duration)
    must = priority >= 4
    return Visit(
        id=f"V{i:04d}", kind=kind, location=_point(rng, center, radius_km),
        duration_min=duration, required_skills=skills, time_windows=[window],
        # must-do: due today, hard SLA at the window's close
        sla_due=window[1] if must else None, sla_hard=must, priority=priority,
    )


def _window(rng: random.Random, day: date, duration: int) -> tuple[datetime, datetime]:
    r = rng.random()
    if r < 0.4:  # all day: service starts between 08:00 and the latest start that ends by 18:00
        latest = max(8 * 60, 18 * 60 - duration)
        return _at(day, 8), _at(day, latest // 60, latest % 60)
    length = 60 if r < 0.65 else 120
    opens = rng.randrange(8 * 60, 16 * 60 + 1, 30)
    if opens + duration > 18 * 60:  # long visits start early enough to end by 18:00
        opens = max(8 * 60, (18 * 60 - duration - length) // 30 * 30)
    closes = opens + length
    return _at(day, opens // 60, opens % 60), _at(day, closes // 60, closes % 60)


def _calibrate(rng: random.Random, jobs: list[Visit], target_per_day: float,
               days: list[date]) -> list[Visit]:
    # nudge repair and install durations by one step until each day's total is on target
    jobs = list(jobs)
    for d in days:
        idx = [i for i, v in enumerate(jobs) if v.time_windows[0][0].date() == d
               and v.kind != "measure"]
        rng.shuffle(idx)
        total = sum(v.duration_min for v in jobs if v.time_windows[0][0].date() == d)
        changed = True
        while changed and abs(total - target_per_day) >= STEP_MIN:
            changed = False
            step = STEP_MIN if total < target_per_day else -STEP_MIN
            for i in idx:
                v = jobs[i]
                lo, hi = SERVICE_RANGE[v.kind]
                new = v.duration_min + step
                if lo <= new <= hi and _fits(v, new):
                    jobs[i] = replace(v, duration_min=new)
                    total += step
                    changed = True
                    if abs(total - target_per_day) < STEP_MIN:
                        break
    return jobs


def _fits(v: Visit, duration: int) -> bool:
    # a visit must still be able to end by 18:00 after starting at its window's opening
    opens = v.time_windows[0][0]
    return opens + timedelta(minutes=duration) <= opens.replace(hour=18, minute=0)
