"""Whether visits fit their technicians' days: the one feasibility check of every schedule write.

Every path that places work on a technician's day (publishing a run, an urgent insertion, a
dispatcher's move on the board or through the API, a lock change) does the same three things:

1. `lock_days` on every technician-day it touches (before and after the change), in one stable
   order, so two writers of one day wait for each other instead of both seeing a free slot;
2. applies its change and flushes;
3. `require_feasible` (or `refusals`) on the visits it placed: technician active, skills held,
   a shift of that day, the lunch break still possible, the customer's window and a hard SLA,
   and no overlap with anything on that day as the database has it now, including what other
   writers committed after this request started.

A visit's customer window bounds its *start* (an arrival window), as in the planner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.config import active_settings
from app.errors import AppError, Conflict, ValidationFailed
from app.models import Technician, Visit, VisitStatus
from app.models.technicians import WEEKDAYS

# A placed visit holds its technician's time unless it was called off.
NOT_BUSY = (VisitStatus.CANCELLED,)
_LUNCH_MIN_SHIFT = dt.timedelta(hours=6)


@dataclass(frozen=True, order=True)
class TechnicianDay:
    """One technician's calendar day (in the technician's time zone): the unit of locking."""

    technician_id: int
    day: dt.date


@dataclass(frozen=True)
class LunchBreak:
    earliest_start: dt.datetime
    latest_end: dt.datetime
    duration_min: int


@dataclass(frozen=True)
class Period:
    """One shift of a day, with its lunch break when the shift is long enough for one."""

    start: dt.datetime
    end: dt.datetime
    lunch: LunchBreak | None


@dataclass(frozen=True)
class Refusal:
    """Why a visit cannot stay where it is placed: a stable code and a sentence for people."""

    visit_id: int
    code: str
    message: str
    field: str
    status: int = 422
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "code": self.code,
            "message": self.message,
            **self.details,
        }


# --- days, shifts and locks -----------------------------------------------------------------


def day_of(technician: Technician, start: dt.datetime) -> dt.date:
    """The technician's local calendar day of `start`."""
    return start.astimezone(ZoneInfo(technician.time_zone)).date()


def periods_of(technician: Technician, day: dt.date) -> list[Period]:
    """Every shift of the technician's weekly pattern on `day` (none on a day off)."""
    if day.isoformat() in technician.days_off:
        return []
    tz = ZoneInfo(technician.time_zone)
    periods = []
    for start_s, end_s in technician.shift_pattern.get(WEEKDAYS[day.weekday()]) or []:
        start = dt.datetime.combine(day, dt.time.fromisoformat(start_s), tzinfo=tz)
        end = dt.datetime.combine(day, dt.time.fromisoformat(end_s), tzinfo=tz)
        if end > start:
            periods.append(Period(start, end, lunch_of(day, start, end, tz)))
    return sorted(periods, key=lambda p: p.start)


def lunch_of(day: dt.date, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> LunchBreak | None:
    """The lunch break of a shift: only shifts of six hours or more have one.

    Its length and window are the settings' (LUNCH_MINUTES, LUNCH_EARLIEST, LUNCH_LATEST).
    """
    settings = active_settings()
    minutes = settings.lunch_minutes
    earliest = max(start, dt.datetime.combine(day, settings.lunch_earliest, tzinfo=tz))
    latest = min(end, dt.datetime.combine(day, settings.lunch_latest, tzinfo=tz))
    if end - start < _LUNCH_MIN_SHIFT or latest - earliest < dt.timedelta(minutes=minutes):
        return None
    return LunchBreak(earliest, latest, minutes)


def days_touched(
    session: Session, placements: Iterable[tuple[int | None, dt.datetime | None]]
) -> set[TechnicianDay]:
    """The technician-days of (technician id, start) pairs; unplaced pairs touch none."""
    days = set()
    for technician_id, start in placements:
        if technician_id is None or start is None:
            continue
        technician = session.get(Technician, technician_id)
        if technician is not None:
            days.add(TechnicianDay(technician_id, day_of(technician, start)))
    return days


def lock_days(session: Session, days: Iterable[TechnicianDay]) -> None:
    """Take the transaction's advisory lock on each technician-day, in one global order.

    Held until the transaction ends. On PostgreSQL this is `pg_advisory_xact_lock(technician,
    day)`; SQLite (the demo) has a single writer and needs none.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    for key in sorted(set(days)):
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:technician, :day)"),
            {"technician": key.technician_id, "day": key.day.toordinal()},
        )


# --- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Busy:
    visit_id: int
    start: dt.datetime
    end: dt.datetime


def refusals(session: Session, visits: Iterable[Visit]) -> list[Refusal]:
    """Everything that keeps `visits` from their placements, read from the database as it is now.

    Call after flushing the change and inside the technician-days' locks. Visits without a
    technician or start, and cancelled ones, hold no place and pass.
    """
    found: list[Refusal] = []
    reads = _Reads(session)
    for visit in visits:
        if visit.technician_id is None or visit.planned_start is None:
            continue
        if visit.status in NOT_BUSY:
            continue
        found.extend(_refusals_of(reads, visit))
    return found


@dataclass
class _Reads:
    """What one `refusals` call reads, each technician and technician-day once.

    A published day checks every visit of it: the visits of one technician share their
    technician and their day's other work, and nothing changes between them within the call.
    """

    session: Session
    technicians: dict[int, Technician | None] = field(default_factory=dict)
    days: dict[tuple[int, dt.date], list[_Busy]] = field(default_factory=dict)

    def technician(self, technician_id: int) -> Technician | None:
        if technician_id not in self.technicians:
            self.technicians[technician_id] = self.session.scalar(
                select(Technician)
                .where(Technician.id == technician_id)
                .execution_options(populate_existing=True)
            )
        return self.technicians[technician_id]

    def others(
        self, technician: Technician, day: dt.date, tz: ZoneInfo, visit_id: int
    ) -> list[_Busy]:
        """The technician's placed visits around `day` but `visit_id`."""
        key = (technician.id, day)
        if key not in self.days:
            self.days[key] = _busy_of(self.session, technician, day, tz)
        return [b for b in self.days[key] if b.visit_id != visit_id]


def require_feasible(session: Session, visits: Iterable[Visit]) -> None:
    """Raise the first refusal of `visits` (422 for the placement itself, 409 for a clash)."""
    found = refusals(session, visits)
    if found:
        raise refusal_error(found)


def refusal_error(found: list[Refusal]) -> AppError:
    """One error in the one format for a list of refusals: the first says what, all are listed."""
    first = found[0]
    cls = Conflict if first.status == 409 else ValidationFailed
    return cls(
        first.message,
        code=first.code,
        fields={r.field: [r.message] for r in reversed(found) if r.visit_id == first.visit_id},
        details={"refusals": [r.as_dict() for r in found]},
    )


def _refusals_of(reads: _Reads, visit: Visit) -> list[Refusal]:
    technician = reads.technician(visit.technician_id)
    if technician is None:
        return [
            Refusal(
                visit.id,
                "technician_missing",
                f"technician {visit.technician_id} does not exist",
                "technician_id",
            )
        ]
    start = visit.planned_start
    end = start + dt.timedelta(minutes=visit.duration_min)
    tz = ZoneInfo(technician.time_zone)
    local = start.astimezone(tz)
    if visit.status in (
        VisitStatus.EN_ROUTE,
        VisitStatus.ON_SITE,
        VisitStatus.COMPLETED,
        VisitStatus.INCOMPLETE,
    ):
        return []  # under way or done: what happened is not re-judged
    found = _static(visit, technician, start, end, tz)
    if found:
        return found
    day = local.date()
    period = next(p for p in periods_of(technician, day) if p.start <= start and end <= p.end)
    others = reads.others(technician, day, tz, visit.id)
    for other in others:
        if other.start < end and start < other.end:
            return [
                Refusal(
                    visit.id,
                    "technician_busy",
                    f"{technician.name} has visit {other.visit_id} "
                    f"{other.start.astimezone(tz):%a %d %b %H:%M}-"
                    f"{other.end.astimezone(tz):%H:%M}; visit {visit.id} would run "
                    f"{local:%H:%M}-{end.astimezone(tz):%H:%M}",
                    "planned_start",
                    status=409,
                    details={"technician_id": technician.id, "clashes_with": other.visit_id},
                )
            ]
    busy = [(b.start, b.end) for b in [*others, _Busy(visit.id, start, end)]]
    if period.lunch is not None and not lunch_fits(period.lunch, busy):
        lunch = period.lunch
        return [
            Refusal(
                visit.id,
                "no_room_for_break",
                f"{technician.name} would have no {lunch.duration_min}-minute break between "
                f"{lunch.earliest_start.astimezone(tz):%H:%M} and "
                f"{lunch.latest_end.astimezone(tz):%H:%M} on {local:%a %d %b}",
                "planned_start",
                status=409,
                details={"technician_id": technician.id},
            )
        ]
    return []


def _static(
    visit: Visit, technician: Technician, start: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> list[Refusal]:
    """What refuses the placement whatever else is planned: who, which skills, when."""
    local = start.astimezone(tz)
    if not technician.active:
        return [
            Refusal(
                visit.id, "technician_inactive", f"{technician.name} is inactive", "technician_id"
            )
        ]
    levels = technician.skill_levels()
    lacking = [
        f"{vs.skill.code} (level {vs.min_level})"
        for vs in visit.required_skills
        if levels.get(vs.skill.code, 0) < vs.min_level
    ]
    if lacking:
        return [
            Refusal(
                visit.id,
                "skill_mismatch",
                f"{technician.name} lacks required skill(s): {', '.join(lacking)}",
                "technician_id",
            )
        ]
    early = visit.window_start is not None and start < visit.window_start
    late = visit.window_end is not None and start > visit.window_end
    if early or late:
        a = visit.window_start.astimezone(tz) if visit.window_start else None
        b = visit.window_end.astimezone(tz) if visit.window_end else None
        window = f"{a:%a %d %b %H:%M}" if a else "any time"
        window += f"-{b:%a %d %b %H:%M}" if b else " onwards"
        return [
            Refusal(
                visit.id,
                "outside_window",
                f"the customer's window is {window}; visit {visit.id} would start "
                f"{local:%a %d %b %H:%M}",
                "planned_start",
            )
        ]
    if visit.sla_hard and visit.sla_due is not None and start > visit.sla_due:
        due = visit.sla_due.astimezone(tz)
        return [
            Refusal(
                visit.id,
                "past_hard_sla",
                f"visit {visit.id} must start by {due:%a %d %b %H:%M}; it would start "
                f"{local:%a %d %b %H:%M}",
                "planned_start",
            )
        ]
    periods = periods_of(technician, local.date())
    if not periods:
        return [
            Refusal(
                visit.id,
                "technician_off",
                f"{technician.name} does not work on {local:%a %d %b}",
                "technician_id",
            )
        ]
    if not any(p.start <= start and end <= p.end for p in periods):
        hours = ", ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods)
        return [
            Refusal(
                visit.id,
                "outside_shift",
                f"{technician.name} works {hours} that day; visit {visit.id} would run "
                f"{local:%H:%M}-{end.astimezone(tz):%H:%M}",
                "planned_start",
            )
        ]
    return []


def _busy_of(session: Session, technician: Technician, day: dt.date, tz: ZoneInfo) -> list[_Busy]:
    """The technician's placed visits around `day`, read afresh (not from the session's cache)."""
    first = dt.datetime.combine(day, dt.time.min, tzinfo=tz) - dt.timedelta(days=1)
    last = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = session.execute(
        select(Visit.id, Visit.planned_start, Visit.duration_min).where(
            Visit.technician_id == technician.id,
            Visit.planned_start >= first,
            Visit.planned_start < last,
            Visit.status.not_in(NOT_BUSY),
        )
    )
    return sorted(
        (_Busy(vid, at, at + dt.timedelta(minutes=minutes)) for vid, at, minutes in rows),
        key=lambda b: b.start,
    )


def lunch_fits(lunch: LunchBreak, busy: Iterable[tuple[dt.datetime, dt.datetime]]) -> bool:
    """True when a gap of the break's length is left between the visits inside its window.

    `busy` is the technician's placed visits as (start, end); the one break rule of a day,
    for the planner's proposals as for every schedule write.
    """
    free_from = lunch.earliest_start
    need = dt.timedelta(minutes=lunch.duration_min)
    for start, end in sorted(busy):
        if end <= free_from:
            continue
        if start >= lunch.latest_end:
            break
        if start - free_from >= need:
            return True
        free_from = max(free_from, end)
    return lunch.latest_end - free_from >= need
