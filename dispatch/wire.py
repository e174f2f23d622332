"""Problems as JSON-ready data, for handing them to another process or machine (never pickled).

``problem_to_data`` gives only dicts, lists, strings, numbers, booleans and None;
``problem_from_data`` rebuilds an equal :class:`~dispatch.model.Problem`. Datetimes keep their
IANA time zone when they have one (``2026-11-25T08:00:00+08:00[Asia/Shanghai]``), so a
problem solved elsewhere uses the same local midnight.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.model import (
    Break,
    CurrentPosition,
    Dependency,
    Lock,
    Problem,
    Shift,
    SolverSettings,
    Technician,
    Visit,
)

Data = dict[str, Any]


def _dt(value: datetime) -> str:
    key = getattr(value.tzinfo, "key", None)
    return f"{value.isoformat()}[{key}]" if key else value.isoformat()


def _parse_dt(text: str) -> datetime:
    iso, _, key = text.partition("[")
    value = datetime.fromisoformat(iso)
    if key:
        value = value.astimezone(ZoneInfo(key.rstrip("]")))
    elif value.tzinfo is not None and value.utcoffset() == timedelta(0):
        value = value.astimezone(UTC)
    return value


def _opt_dt(value: datetime | None) -> str | None:
    return None if value is None else _dt(value)


def _parse_opt_dt(text: str | None) -> datetime | None:
    return None if text is None else _parse_dt(text)


def _loc(value: tuple[float, float] | None) -> list[float] | None:
    return None if value is None else [float(value[0]), float(value[1])]


def _parse_loc(value: list[float] | None) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _shift(shift: Shift) -> Data:
    brk = shift.break_
    return {
        "day": shift.day.isoformat(),
        "start": _dt(shift.start),
        "end": _dt(shift.end),
        "start_location": _loc(shift.start_location),
        "end_location": _loc(shift.end_location),
        "break": None if brk is None else {
            "earliest_start": _dt(brk.earliest_start),
            "latest_end": _dt(brk.latest_end),
            "duration_min": brk.duration_min,
        },
        "max_work_minutes": shift.max_work_minutes,
    }


def _parse_shift(data: Data) -> Shift:
    brk = data["break"]
    return Shift(
        day=date.fromisoformat(data["day"]),
        start=_parse_dt(data["start"]),
        end=_parse_dt(data["end"]),
        start_location=_parse_loc(data["start_location"]),
        end_location=_parse_loc(data["end_location"]),
        break_=None if brk is None else Break(
            _parse_dt(brk["earliest_start"]), _parse_dt(brk["latest_end"]), brk["duration_min"]
        ),
        max_work_minutes=data["max_work_minutes"],
    )


def technician_to_data(tech: Technician) -> Data:
    """A technician as JSON-ready data."""
    current = tech.current
    return {
        "id": tech.id,
        "skills": dict(tech.skills),
        "shifts": [_shift(s) for s in tech.shifts],
        "current": None if current is None else {
            "location": _loc(current.location), "at": _dt(current.at)
        },
        "van_capacity": tech.van_capacity,
    }


def technician_from_data(data: Data) -> Technician:
    """The technician ``technician_to_data`` described."""
    current = data["current"]
    return Technician(
        id=data["id"],
        skills={k: int(v) for k, v in data["skills"].items()},
        shifts=[_parse_shift(s) for s in data["shifts"]],
        current=None if current is None else CurrentPosition(
            _parse_loc(current["location"]), _parse_dt(current["at"])
        ),
        van_capacity=data["van_capacity"],
    )


def visit_to_data(visit: Visit) -> Data:
    """A visit as JSON-ready data."""
    dep = visit.depends_on
    return {
        "id": visit.id,
        "kind": visit.kind,
        "location": _loc(visit.location),
        "duration_min": visit.duration_min,
        "required_skills": dict(visit.required_skills),
        "time_windows": [[_dt(a), _dt(b)] for a, b in visit.time_windows],
        "sla_due": _opt_dt(visit.sla_due),
        "sla_hard": visit.sla_hard,
        "priority": visit.priority,
        "lock": visit.lock.value,
        "locked_technician_id": visit.locked_technician_id,
        "locked_start": _opt_dt(visit.locked_start),
        "depends_on": None if dep is None else {
            "visit_id": dep.visit_id, "min_days_after": dep.min_days_after
        },
        "demand": visit.demand,
    }


def visit_from_data(data: Data) -> Visit:
    """The visit ``visit_to_data`` described."""
    dep = data["depends_on"]
    return Visit(
        id=data["id"],
        kind=data["kind"],
        location=_parse_loc(data["location"]),
        duration_min=data["duration_min"],
        required_skills={k: int(v) for k, v in data["required_skills"].items()},
        time_windows=[(_parse_dt(a), _parse_dt(b)) for a, b in data["time_windows"]],
        sla_due=_parse_opt_dt(data["sla_due"]),
        sla_hard=data["sla_hard"],
        priority=data["priority"],
        lock=Lock(data["lock"]),
        locked_technician_id=data["locked_technician_id"],
        locked_start=_parse_opt_dt(data["locked_start"]),
        depends_on=None if dep is None else Dependency(dep["visit_id"], dep["min_days_after"]),
        demand=data["demand"],
    )


def problem_to_data(problem: Problem) -> Data:
    """The whole problem (technicians, visits, horizon, settings) as JSON-ready data."""
    return {
        "technicians": [technician_to_data(t) for t in problem.technicians],
        "visits": [visit_to_data(v) for v in problem.visits],
        "horizon_start": problem.horizon_start.isoformat(),
        "horizon_days": problem.horizon_days,
        "settings": asdict(problem.settings),
    }


def problem_from_data(data: Data) -> Problem:
    """The problem ``problem_to_data`` described (raises ValueError on invalid data)."""
    try:
        return Problem(
            technicians=[technician_from_data(t) for t in data["technicians"]],
            visits=[visit_from_data(v) for v in data["visits"]],
            horizon_start=date.fromisoformat(data["horizon_start"]),
            horizon_days=data["horizon_days"],
            settings=SolverSettings(**data["settings"]),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"not a problem description: {exc!r}") from exc
