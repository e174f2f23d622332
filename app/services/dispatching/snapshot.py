"""A run's snapshot: technicians and open visits of the horizon as a `dispatch.Problem`, with
what the app knew when it built it (versions, the published plan, promised work around it).

The solver itself lives in the pure `dispatch` library; this module only translates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import dispatch
from app.config import active_settings
from app.database import utcnow
from app.models import LockState, Technician, Visit, VisitStatus
from app.services import schedule_checks
from app.services.dispatching.proposal import Unassigned
from app.services.dispatching.runs import RunRequest
from app.services.proposal_figures import Reason
from app.services.travel import solver_settings

PLANNABLE = (VisitStatus.NEW, VisitStatus.SCHEDULED, VisitStatus.DISPATCHED)
UNDER_WAY = (VisitStatus.EN_ROUTE, VisitStatus.ON_SITE)
_LOCKS = {
    LockState.NONE: dispatch.Lock.NONE,
    LockState.TECHNICIAN: dispatch.Lock.TECHNICIAN,
    LockState.TIME: dispatch.Lock.TIME,
    LockState.TECHNICIAN_TIME: dispatch.Lock.TECHNICIAN_TIME,
    LockState.IN_PROGRESS: dispatch.Lock.IN_PROGRESS,
}


@dataclass(frozen=True)
class Busy:
    """Time a technician has promised already, which this run must plan around."""

    technician_id: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Snapshot:
    """The problem handed to the solver, and what the app knew when building it.

    `fixed` is the promised work of the run's technicians that the run does not re-plan
    (published or locked visits outside its filters, visits under way or done): the problem
    carries it as visits pinned to their technician and start, and no proposal overlaps it.
    """

    problem: dispatch.Problem
    visit_versions: dict[str, int]
    published: dict[str, tuple[str, dt.datetime]]
    held_back: tuple[Unassigned, ...]
    fixed: dict[str, Busy] = field(default_factory=dict)
    durations: dict[str, int] = field(default_factory=dict)
    keep_published: bool = False
    # Active technicians with published visits in the problem who are not in the run.
    outside_run: frozenset[str] = frozenset()
    # technician id (as the solver knows it) -> name, for reasons a dispatcher can read
    technician_names: dict[str, str] = field(default_factory=dict)


def build_snapshot(session: Session, request: RunRequest, tz: ZoneInfo) -> Snapshot:
    """Read technicians and open visits of the horizon into a dispatch.Problem."""
    horizon = [request.first_day + dt.timedelta(days=i) for i in range(request.days)]
    technicians = _technicians(session, request)
    under_way = _visits_under_way(session, technicians)
    problem_techs = [_technician(t, horizon, under_way.get(t.id)) for t in technicians]
    visits = _plannable_visits(session, request, horizon, tz)
    in_problem = {v.id for v in visits}
    held_back = []
    problem_visits = []
    planned = []
    for visit in visits:
        waiting_for = _open_predecessor_outside(session, visit, in_problem)
        if waiting_for is not None:
            held_back.append(_held_back(visit, waiting_for))
            continue
        planned.append(visit)
        problem_visits.append(
            problem_visit(session, visit, in_problem, keep_published=request.keep_published)
        )
    planned_ids = {v.id for v in planned}
    promised = _promised_elsewhere(session, technicians, horizon, tz, planned_ids)
    problem_visits += [_fixed_visit(v) for v in promised if _fixed_in_problem(v, problem_techs)]
    problem = dispatch.Problem(
        technicians=problem_techs,
        visits=problem_visits,
        horizon_start=request.first_day,
        horizon_days=request.days,
        settings=solver_settings(active_settings(), request.time_limit_s),
    )
    return Snapshot(
        problem=problem,
        visit_versions={str(v.id): v.version for v in visits},
        published={
            str(v.id): (str(v.technician_id), v.planned_start)
            for v in planned
            if v.technician_id is not None and v.planned_start is not None
        },
        held_back=tuple(held_back),
        technician_names={str(t.id): t.name for t in technicians},
        fixed={str(v.id): _busy(v) for v in promised},
        durations={str(v.id): v.duration_min for v in planned},
        keep_published=request.keep_published,
        outside_run=_active_outside_run(session, planned, technicians),
    )


def _active_outside_run(
    session: Session, visits: list[Visit], technicians: list[Technician]
) -> frozenset[str]:
    in_run = {t.id for t in technicians}
    holders = {v.technician_id for v in visits if v.technician_id is not None} - in_run
    if not holders:
        return frozenset()
    active = session.scalars(
        select(Technician.id).where(Technician.id.in_(holders), Technician.active.is_(True))
    )
    return frozenset(str(t) for t in active)


def _promised_elsewhere(
    session: Session,
    technicians: list[Technician],
    horizon: list[dt.date],
    tz: ZoneInfo,
    planned_ids: set[int],
) -> list[Visit]:
    """Placed visits of the run's technicians in the horizon that the run does not re-plan."""
    start = dt.datetime.combine(horizon[0], dt.time.min, tzinfo=tz) - dt.timedelta(days=1)
    end = dt.datetime.combine(horizon[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = session.scalars(
        select(Visit)
        .where(
            Visit.technician_id.in_([t.id for t in technicians]),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.status.not_in(schedule_checks.NOT_BUSY),
        )
        .order_by(Visit.id)
    )
    return [v for v in rows if v.id not in planned_ids]


def _busy(visit: Visit) -> Busy:
    end = visit.planned_start + dt.timedelta(minutes=visit.duration_min)
    if visit.status in UNDER_WAY:
        end = max(end, utcnow())  # still there: busy until it is done
    return Busy(str(visit.technician_id), visit.planned_start, end)


def _fixed_in_problem(visit: Visit, technicians: list[dispatch.Technician]) -> bool:
    """Whether promised work goes into the problem as a pinned visit.

    Not a visit under way (its technician's day restarts where it is, see `_technician`), nor
    one starting before that restart, nor one without a location: `solving.build_proposal` keeps
    proposals clear of those.
    """
    if visit.status in UNDER_WAY or visit.site.lat is None:
        return False
    technician = next(t for t in technicians if t.id == str(visit.technician_id))
    return technician.current is None or visit.planned_start >= technician.current.at


def _fixed_visit(visit: Visit) -> dispatch.Visit:
    """Promised work as the solver sees it: its technician, its start, never moved."""
    return dispatch.Visit(
        id=str(visit.id),
        kind=visit.kind.value,
        location=(visit.site.lat, visit.site.lon),
        duration_min=visit.duration_min,
        priority=5,
        lock=dispatch.Lock.IN_PROGRESS,
        locked_technician_id=str(visit.technician_id),
        locked_start=visit.planned_start,
    )


def _technicians(session: Session, request: RunRequest) -> list[Technician]:
    stmt = select(Technician).where(Technician.active.is_(True)).order_by(Technician.id)
    if request.technician_ids:
        stmt = stmt.where(Technician.id.in_(request.technician_ids))
    return list(session.scalars(stmt))


def _visits_under_way(session: Session, technicians: list[Technician]) -> dict[int, Visit]:
    ids = [t.id for t in technicians]
    rows = session.scalars(
        select(Visit).where(Visit.technician_id.in_(ids), Visit.status.in_(UNDER_WAY))
    )
    return {v.technician_id: v for v in rows if v.technician_id is not None}


def shifts_of(technician: Technician, days: Iterable[dt.date]) -> list[dispatch.Shift]:
    """The technician's working days in `days` as the planner's shifts (see `_planner_shift`)."""
    home = (technician.home_lat, technician.home_lon)
    shifts = []
    for day in days:
        # a split day (several shifts) gives one planner shift each, every one usable
        for period in schedule_checks.periods_of(technician, day):
            shifts.append(_planner_shift(day, period, home))
    return shifts


def _planner_shift(
    day: dt.date, period: schedule_checks.Period, home: tuple[float, float]
) -> dispatch.Shift:
    """One shift of the technician's pattern as the planner's shift, with its lunch if any."""
    lunch = period.lunch
    pause = (
        dispatch.Break(lunch.earliest_start, lunch.latest_end, lunch.duration_min)
        if lunch
        else None
    )
    return dispatch.Shift(day, period.start, period.end, home, break_=pause)


def _technician(
    technician: Technician, days: list[dt.date], busy: Visit | None
) -> dispatch.Technician:
    current = None
    if busy is not None and busy.site.lat is not None:
        # The day restarts where the visit under way is, once it is expected to be done.
        free_at = max(
            utcnow(),
            (busy.planned_start or utcnow()) + dt.timedelta(minutes=busy.duration_min),
        )
        current = dispatch.CurrentPosition(location=(busy.site.lat, busy.site.lon), at=free_at)
    return dispatch.Technician(
        id=str(technician.id),
        skills=technician.skill_levels(),
        shifts=shifts_of(technician, days),
        current=current,
    )


def _plannable_visits(
    session: Session, request: RunRequest, horizon: list[dt.date], tz: ZoneInfo
) -> list[Visit]:
    start = dt.datetime.combine(horizon[0], dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(horizon[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    stmt = select(Visit).where(Visit.status.in_(PLANNABLE)).order_by(Visit.id)
    if request.visit_ids:
        stmt = stmt.where(Visit.id.in_(request.visit_ids))
    if request.kinds:
        stmt = stmt.where(Visit.kind.in_(request.kinds))
    visits = []
    for visit in session.scalars(stmt):
        if (
            visit.technician_id is not None
            and request.technician_ids
            and (visit.technician_id not in request.technician_ids)
            and visit.lock in (LockState.TECHNICIAN, LockState.TECHNICIAN_TIME)
        ):
            continue  # pinned to a technician outside this run
        if _overlaps_horizon(visit, start, end):
            visits.append(visit)
    return visits


def _overlaps_horizon(visit: Visit, start: dt.datetime, end: dt.datetime) -> bool:
    when_start = visit.window_start or visit.planned_start
    when_end = visit.window_end or (
        visit.planned_start + dt.timedelta(minutes=visit.duration_min)
        if visit.planned_start
        else None
    )
    if when_start is None and when_end is None:
        return visit.sla_due is None or visit.sla_due >= start
    return (when_start or start) < end and (when_end or end) > start


def _open_predecessor_outside(session: Session, visit: Visit, in_problem: set[int]) -> Visit | None:
    if visit.depends_on_visit_id is None or visit.depends_on_visit_id in in_problem:
        return None
    before = session.get(Visit, visit.depends_on_visit_id)
    if before is None or before.status == VisitStatus.COMPLETED:
        return None
    return before


def _held_back(visit: Visit, before: Visit) -> Unassigned:
    reason = Reason(
        "predecessor_not_planned",
        f"Visit {visit.id} ({visit.kind}) waits for visit {before.id} "
        f"({before.kind}, {before.status}), which is not planned in this horizon.",
        {"depends_on": before.id},
    )
    return Unassigned(visit.id, (reason,))


def problem_visit(
    session: Session, visit: Visit, in_problem: set[int], *, keep_published: bool = False
) -> dispatch.Visit:
    windows = []
    if visit.window_start and visit.window_end:
        windows.append((visit.window_start, visit.window_end))
    windows = _after_completed_predecessor(session, visit, windows)
    lock, tech_id, start = _lock(visit)
    if keep_published and visit.technician_id is not None and visit.planned_start is not None:
        lock, tech_id = _KEEP_TECHNICIAN.get(lock, lock), str(visit.technician_id)
    depends_on = None
    if visit.depends_on_visit_id in in_problem:
        depends_on = dispatch.Dependency(str(visit.depends_on_visit_id), visit.depends_min_days)
    return dispatch.Visit(
        id=str(visit.id),
        kind=visit.kind.value,
        location=(visit.site.lat, visit.site.lon) if visit.site.lat is not None else None,
        duration_min=visit.duration_min,
        required_skills={s.skill.code: s.min_level for s in visit.required_skills},
        time_windows=windows,
        sla_due=visit.sla_due,
        sla_hard=visit.sla_hard and visit.sla_due is not None,
        # Work already promised to a customer is kept before unpublished work of equal rank.
        priority=visit.priority,
        lock=lock,
        locked_technician_id=tech_id,
        locked_start=start,
        depends_on=depends_on,
    )


def _after_completed_predecessor(
    session: Session, visit: Visit, windows: list[tuple[dt.datetime, dt.datetime]]
) -> list[tuple[dt.datetime, dt.datetime]]:
    if visit.depends_on_visit_id is None:
        return windows
    before = session.get(Visit, visit.depends_on_visit_id)
    if before is None or before.status != VisitStatus.COMPLETED:
        return windows
    earliest = before.status_changed_at + dt.timedelta(days=visit.depends_min_days)
    if not windows:
        return [(earliest, earliest + dt.timedelta(days=365))]
    return [(max(a, earliest), b) for a, b in windows if b > earliest] or [(earliest, earliest)]


_KEEP_TECHNICIAN = {
    dispatch.Lock.NONE: dispatch.Lock.TECHNICIAN,
    dispatch.Lock.TIME: dispatch.Lock.TECHNICIAN_TIME,
}


def _lock(visit: Visit) -> tuple[dispatch.Lock, str | None, dt.datetime | None]:
    lock = _LOCKS[visit.lock]
    tech = str(visit.technician_id) if visit.technician_id is not None else None
    start = visit.planned_start
    needs_tech = lock in (
        dispatch.Lock.TECHNICIAN,
        dispatch.Lock.TECHNICIAN_TIME,
        dispatch.Lock.IN_PROGRESS,
    )
    needs_time = lock in (
        dispatch.Lock.TIME,
        dispatch.Lock.TECHNICIAN_TIME,
        dispatch.Lock.IN_PROGRESS,
    )
    if (needs_tech and tech is None) or (needs_time and start is None):
        return dispatch.Lock.NONE, None, None  # nothing to hold on to yet
    return lock, tech if needs_tech else None, start if needs_time else None


def current_assignments(snapshot: Snapshot) -> dict[str, tuple[str, dt.datetime]]:
    """The published plan of the snapshot's visits, with the promised work around them."""
    fixed = {vid: (b.technician_id, b.start) for vid, b in snapshot.fixed.items()}
    return {**fixed, **snapshot.published}
