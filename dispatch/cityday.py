"""City-day files (one planning day with a fixed travel matrix) to and from our Problem and Plan.

The format is the one of the shared benchmark days (``../shared/bench/city/*.json``, described
in each file's ``conventions``): times in integer seconds since local midnight, a fixed travel
matrix in seconds over depots and visits, one start-of-service window per visit, one lunch break
per technician with a start window, skills without levels, priorities 1-5 and ``must_today`` for
priority >= 4. :func:`load` keeps all of it; :func:`to_check_plan` writes our Plan in the plan
format of the standalone checker ``check_city.py``; :func:`instance_from_problem` writes one of
our one-day problems in the same format, so every solver of a benchmark reads one instance.

The objective is the file's own: the planner's drop penalties take the file's priority weights
(``priority_weight``, 1/3/8/50/100 in every file so far, the weights VROOM is given and the
weighted share is counted in) as ``SolverSettings.priority_weights``, so the search trades
visits of different priorities as the day's objective does, and the largest
``SolverSettings.visit_value``, so that among plans of equal served weight more visits win
unless they cost more than 1000 s of driving each (the files put the count before travel).
``must_today`` visits stay must-do for the planner (placed whenever any placement exists, as
for any of our days), where the files count them by weight only and report the ones missed:
on these visits the planner is stricter than the file's objective.

What our model does not express exactly (see docs/benchmarks.md):

- every time of these files is a whole minute (services, windows, shifts, breaks); travel is in
  seconds, and a city day is planned in ticks of ``CITY_TIME_UNIT_S`` (1 s: legs exact, no
  rounding lost per leg; the planner's own default rounds each leg up to the minute);
- the objective's second and third terms (most visits, then least travel): a visit is worth
  at most 1000 s of driving to our search, not any amount;
- ``max_duty`` counts from shift start, so it becomes an earlier shift end (exact).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from dispatch.model import (
    VISIT_KINDS,
    Break,
    LatLon,
    Plan,
    Problem,
    Route,
    Shift,
    SolverSettings,
    Technician,
    Visit,
)
from dispatch.travel import FixedMatrixProvider, MatrixProvider
from dispatch.verify import BREAK, RouteSequence

CST = timezone(timedelta(hours=8))
DEFAULT_DAY = date(2026, 11, 25)
PRIORITY_WEIGHT = {1: 1, 2: 3, 3: 8, 4: 50, 5: 100}
MUST_TODAY_PRIORITY = 4
# the files' travel model, for km figures derived from the duration matrix
SPEED_KMH = 25.0
DETOUR = 1.35
# measured at equal work (docs/benchmarks.md, "Planning in seconds"): planned to the second,
# days place 2-4 more visits than in whole minutes, at the same CPU
CITY_TIME_UNIT_S = 1


@dataclass(frozen=True)
class CityDay:
    """One city day as our Problem, the fixed matrix it uses, and the maps back to file indices."""

    name: str
    problem: Problem
    provider: FixedMatrixProvider
    visit_ids: list[str]  # by the file's visit index
    technician_ids: list[str]  # by the file's technician index
    instance: dict[str, Any] = field(repr=False)

    _visit_pos: dict[str, int] = field(init=False, repr=False, compare=False)
    _tech_pos: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_visit_pos", {v: i for i, v in enumerate(self.visit_ids)})
        object.__setattr__(self, "_tech_pos", {t: i for i, t in enumerate(self.technician_ids)})

    def visit_index(self, visit_id: str) -> int:
        """The file's index of a visit id."""
        return self._visit_pos[visit_id]

    def technician_index(self, technician_id: str) -> int:
        """The file's index of a technician id."""
        return self._tech_pos[technician_id]

    @property
    def must_today(self) -> set[str]:
        """Ids of the visits the file marks as must-today."""
        return {v["id"] for v in self.instance["visits"] if v["must_today"]}


def read(path: str | Path) -> dict[str, Any]:
    """The raw instance of a city-day JSON file."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load(path: str | Path, day: date = DEFAULT_DAY, settings: SolverSettings | None = None,
         file_weights: bool = True) -> CityDay:
    """Read a city-day file into a :class:`CityDay` (ValueError if it breaks the format)."""
    return from_instance(read(path), day, settings, file_weights)


def priority_weights(inst: dict[str, Any]) -> tuple[int, ...]:
    """The instance's weights of priorities 1..5 (its ``priority_weight``, else 1/3/8/50/100)."""
    stated = inst.get("priority_weight") or {str(k): w for k, w in PRIORITY_WEIGHT.items()}
    try:
        return tuple(int(stated[str(p)]) for p in range(1, 6))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("priority_weight must give an integer weight for priorities 1..5"
                         ) from exc


def from_instance(inst: dict[str, Any], day: date = DEFAULT_DAY,
                  settings: SolverSettings | None = None, file_weights: bool = True) -> CityDay:
    """A :class:`CityDay` from a parsed city-day instance.

    The settings' ``priority_weights`` become the file's (:func:`priority_weights`) and their
    ``visit_value`` the largest allowed (more visits before less travel, as in the files'
    objective) unless ``file_weights`` is False (then the settings' own, e.g. the product
    defaults, apply).
    """
    settings = settings or SolverSettings(time_unit_s=CITY_TIME_UNIT_S)
    if file_weights:
        # the files' objective: served weight, then the number served, then travel; the count
        # gets the largest visit value the planner allows (a visit is worth 1000 s of driving
        # at the default drop_penalty_base)
        settings = replace(settings, priority_weights=priority_weights(inst),
                           visit_value=settings.drop_penalty_base // 1000)
    matrix = inst["matrix"]
    locations: list[LatLon | None] = [None] * len(matrix)
    depots = {}
    for d in inst["depots"]:
        locations[d["matrix_index"]] = (d["lat"], d["lon"])
        depots[d["matrix_index"]] = (d["lat"], d["lon"])
    for v in inst["visits"]:
        locations[v["matrix_index"]] = (v["lat"], v["lon"])
    if any(p is None for p in locations):
        raise ValueError("some matrix rows belong to no depot or visit")
    provider = FixedMatrixProvider(locations, matrix, speed_kmh=SPEED_KMH / DETOUR)
    techs = [_technician(t, depots, day) for t in inst["technicians"]]
    visits = [_visit(v, day) for v in inst["visits"]]
    problem = Problem(techs, visits, day, 1, settings)
    return CityDay(inst.get("name", "city"), problem, provider, [v.id for v in visits],
                   [t.id for t in techs], inst)


def _at(day: date, seconds: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CST) + timedelta(seconds=seconds)


def _minutes(seconds: int, what: str) -> int:
    if seconds % 60:
        raise ValueError(f"{what} is not a whole minute ({seconds} s): our model's times are"
                         " whole minutes")
    return seconds // 60


def _technician(t: dict[str, Any], depots: dict[int, LatLon], day: date) -> Technician:
    start, end = t["shift"]
    _minutes(start, f"{t['id']} shift start")
    end = min(end, start + t["max_duty"])  # max_duty counts from shift start
    _minutes(end, f"{t['id']} shift end")
    brk = t["break"]
    lo, hi = brk["start_window"]
    dur = _minutes(brk["duration"], f"{t['id']} break")
    _minutes(lo, f"{t['id']} break window")
    _minutes(hi, f"{t['id']} break window")
    home = depots[t["depot_index"]]
    shift = Shift(day, _at(day, start), _at(day, end), home, home,
                  Break(_at(day, lo), _at(day, hi + brk["duration"]), dur))
    return Technician(t["id"], dict.fromkeys(t["skills"], 1), [shift])


def _visit(v: dict[str, Any], day: date) -> Visit:
    if v["kind"] not in VISIT_KINDS:
        raise ValueError(f"visit {v['id']}: unknown kind {v['kind']!r}")
    lo, hi = v["time_window"]
    _minutes(lo, f"{v['id']} window")
    _minutes(hi, f"{v['id']} window")
    must = bool(v["must_today"])
    return Visit(
        id=v["id"], kind=v["kind"], location=(v["lat"], v["lon"]),
        duration_min=_minutes(v["service"], f"{v['id']} service"),
        required_skills=dict.fromkeys(v["skills"], 1),
        time_windows=[(_at(day, lo), _at(day, hi))],
        # must-today: due today with a hard SLA at the window's close (no extra constraint)
        sla_due=_at(day, hi) if must else None, sla_hard=must,
        priority=v["priority"],
    )


def to_check_plan(city: CityDay, plan: Plan) -> dict[str, Any]:
    """Our Plan in check_city.py's plan format: technician index, steps with times, unassigned.

    The break step goes after the last stop that ends by the break's start; times are seconds
    since midnight (arrival, and waiting before service start).
    """
    midnight = _at(city.problem.horizon_start, 0)

    def sec(dt: datetime) -> int:
        return int((dt - midnight).total_seconds())

    routes, served = [], set()
    for route in plan.routes:
        if not route.stops:
            continue
        served.update(stop.visit_id for stop in route.stops)
        routes.append({"technician_index": city.technician_index(route.technician_id),
                       "steps": _steps(city, route, sec)})
    unassigned = [i for i, vid in enumerate(city.visit_ids) if vid not in served]
    return {"routes": routes, "unassigned": unassigned}


def route_sequences(city: CityDay, plan: dict[str, Any]) -> list[RouteSequence]:
    """The order of each route of a plan in check_city.py's format, for dispatch.verify."""
    seqs = []
    for r in plan["routes"]:
        items = [BREAK if s["type"] == "break" else city.visit_ids[s["id"]]
                 for s in r["steps"] if s["type"] in ("job", "break")]
        seqs.append(RouteSequence(city.technician_ids[r["technician_index"]],
                                  city.problem.horizon_start, items))
    return seqs


def _steps(city: CityDay, route: Route, sec) -> list[dict[str, Any]]:
    jobs = [{"type": "job", "id": city.visit_index(stop.visit_id), "arrival": sec(stop.arrival),
             "waiting_time": sec(stop.start) - sec(stop.arrival)} for stop in route.stops]
    if route.break_start is None:
        # no timed break: order only, the checker places the lunch before the return
        return ([{"type": "start"}] + [{"type": "job", "id": j["id"]} for j in jobs]
                + [{"type": "break"}, {"type": "end"}])
    brk = sec(route.break_start)
    k = sum(1 for stop in route.stops if sec(stop.end) <= brk)
    start = {"type": "start", "arrival": sec(route.start), "waiting_time": 0}
    lunch = {"type": "break", "arrival": brk, "waiting_time": 0}
    end = {"type": "end", "arrival": sec(route.end), "waiting_time": 0}
    return [start, *jobs[:k], lunch, *jobs[k:], end]


def instance_from_problem(problem: Problem, provider: MatrixProvider, name: str
                          ) -> dict[str, Any]:
    """A one-day problem of ours as a city-day instance, travel rounded to whole seconds.

    Needs what the format can hold: one shift per technician on the horizon's first day, starting
    and ending at one place, one break, one window per visit, skills without levels (any level
    is written as the skill's name).
    """
    day = problem.horizon_start
    midnight = _at(day, 0)

    def sec(dt: datetime) -> int:
        return int((dt - midnight).total_seconds())

    depots: list[LatLon] = []
    techs = []
    for i, t in enumerate(problem.technicians):
        shifts = [s for s in t.shifts if s.day == day]
        s = shifts[0] if len(shifts) == 1 else None
        if s is None or s.break_ is None or s.home != s.start_location:
            raise ValueError(f"technician {t.id}: the format needs one round-trip shift "
                             "with a break")
        if s.start_location not in depots:
            depots.append(s.start_location)
        end = sec(s.end)
        if s.max_work_minutes is not None:
            end = min(end, sec(s.start) + 60 * s.max_work_minutes)
        b = s.break_
        techs.append({
            "id": t.id, "index": i, "depot_index": depots.index(s.start_location),
            "skills": sorted(t.skills), "shift": [sec(s.start), end],
            "max_duty": end - sec(s.start),
            "break": {"duration": 60 * b.duration_min, "span": [sec(b.earliest_start),
                                                                sec(b.latest_end)],
                      "start_window": [sec(b.earliest_start),
                                       sec(b.latest_end) - 60 * b.duration_min]},
        })
    visits = []
    for i, v in enumerate(problem.visits):
        if len(v.time_windows) != 1 or v.location is None:
            raise ValueError(f"visit {v.id}: the format needs a location and exactly one window")
        lo, hi = v.time_windows[0]
        if v.sla_due is not None and v.sla_hard:
            hi = min(hi, v.sla_due)
        visits.append({
            "id": v.id, "index": i, "matrix_index": len(depots) + i,
            "lat": v.location[0], "lon": v.location[1], "kind": v.kind,
            "service": 60 * v.duration_min, "skills": sorted(v.required_skills),
            "time_window": [sec(lo), sec(hi)], "priority": v.priority,
            "must_today": v.priority >= MUST_TODAY_PRIORITY,
            "weight": PRIORITY_WEIGHT[v.priority],
        })
    points = depots + [v.location for v in problem.visits]
    _, dur = provider.matrix(points)
    matrix = [[round(x) for x in row] for row in dur.tolist()]
    return {
        "name": name, "format_version": 1,
        "conventions": {"time": "integer seconds since 00:00 local time of the planned day",
                        "matrix": "travel seconds; depots first, then visit i at row "
                                  "len(depots) + i",
                        "must_today": f"priority >= {MUST_TODAY_PRIORITY}"},
        "priority_weight": {str(k): w for k, w in PRIORITY_WEIGHT.items()},
        "depots": [{"id": f"D{i}", "lat": p[0], "lon": p[1], "matrix_index": i}
                   for i, p in enumerate(depots)],
        "technicians": techs, "visits": visits, "matrix": matrix,
    }
