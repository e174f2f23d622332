"""Dispatch runs: database rows → dispatch.Problem → solve → proposal, diff, publish.

The solver itself lives in the pure `dispatch` library; this module only translates.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import dispatch
from app.config import active_settings
from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.models import (
    DispatchRun,
    LockState,
    RunStatus,
    Technician,
    Visit,
    VisitStatus,
)
from app.services import schedule_checks
from app.services.proposal_figures import kpi_deltas, plan_kpis, reason_document
from app.services.travel import solver_settings
from app.services.visits import change_status, unschedule

log = logging.getLogger(__name__)

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
class RunRequest:
    """What a dispatcher asks the optimizer for."""

    first_day: dt.date
    days: int = 1
    technician_ids: tuple[int, ...] = ()
    visit_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    time_limit_s: float = 10.0
    # Published visits stay with their technicians (the solver may retime them); one it still
    # cannot fit keeps its published slot. Off: the proposal may leave published work out, and
    # publishing unschedules it (listed in the proposal's `to_unschedule`).
    keep_published: bool = False

    def as_params(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day.isoformat(),
            "days": self.days,
            "technician_ids": list(self.technician_ids),
            "visit_ids": list(self.visit_ids),
            "kinds": list(self.kinds),
            "time_limit_s": self.time_limit_s,
            "keep_published": self.keep_published,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RunRequest:
        return cls(
            first_day=dt.date.fromisoformat(params["first_day"]),
            days=params["days"],
            technician_ids=tuple(params.get("technician_ids", ())),
            visit_ids=tuple(params.get("visit_ids", ())),
            kinds=tuple(params.get("kinds", ())),
            time_limit_s=params["time_limit_s"],
            keep_published=params.get("keep_published", False),
        )


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
    held_back: list[dict[str, Any]]
    fixed: dict[str, Busy] = field(default_factory=dict)
    durations: dict[str, int] = field(default_factory=dict)
    keep_published: bool = False
    # Active technicians with published visits in the problem who are not in the run.
    outside_run: frozenset[str] = frozenset()
    # technician id (as the solver knows it) -> name, for reasons a dispatcher can read
    technician_names: dict[str, str] = field(default_factory=dict)


def create_run(session: Session, request: RunRequest, *, user_id: int | None) -> DispatchRun:
    """Record a queued run; the caller enqueues `execute_run` after committing."""
    if request.days < 1 or request.days > 14:
        raise ValidationFailed("plan between 1 and 14 days", fields={"days": ["1..14"]})
    run = DispatchRun(params=request.as_params(), requested_by_user_id=user_id)
    session.add(run)
    session.flush()
    return run


# --- building the problem -------------------------------------------------------------------


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
            _visit(session, visit, in_problem, keep_published=request.keep_published)
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
        held_back=held_back,
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
    one starting before that restart, nor one without a location: `proposal_document` keeps
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


def _held_back(visit: Visit, before: Visit) -> dict[str, Any]:
    return {
        "visit_id": visit.id,
        "reasons": [
            {
                "code": "predecessor_not_planned",
                "message": f"Visit {visit.id} ({visit.kind}) waits for visit {before.id} "
                f"({before.kind}, {before.status}), which is not planned in this horizon.",
                "details": {"depends_on": before.id},
            }
        ],
    }


def _visit(
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


# --- running --------------------------------------------------------------------------------


class ProgressWriter:
    """Writes the solver's phase and best cost to the run row, at most once a second."""

    def __init__(self, commit_progress: Callable[[str, float | None, int], None]) -> None:
        self._commit = commit_progress
        self._last = 0.0
        self._solutions = 0

    def __call__(self, phase: str, best_cost: float) -> None:
        if phase == "search":
            self._solutions += 1
        now = time.monotonic()
        if phase != "search" or now - self._last >= 1.0:
            self._last = now
            self._commit(phase, best_cost if phase == "search" else None, self._solutions)


Solver = Callable[..., dispatch.Plan]


def compute_proposal(
    session: Session,
    request: RunRequest,
    tz: ZoneInfo,
    progress: Callable[[str, float], None] | None = None,
    *,
    solve: Solver = dispatch.solve,
) -> tuple[dict[str, int], dict[str, Any]]:
    """Solve a run's problem; returns the visit versions read and the proposal document.

    `solve(problem, progress=...)` is the planner (`dispatch.solve`).
    """
    snapshot = build_snapshot(session, request, tz)
    if not any(t.shifts for t in snapshot.problem.technicians):
        plan = published = nobody_on_duty(snapshot.problem)
    else:
        plan = solve(snapshot.problem, progress=progress)
        published = dispatch.evaluate(snapshot.problem, current_assignments(snapshot))
    return snapshot.visit_versions, proposal_document(snapshot, plan, published)


def current_assignments(snapshot: Snapshot) -> dict[str, tuple[str, dt.datetime]]:
    """The published plan of the snapshot's visits, with the promised work around them."""
    fixed = {vid: (b.technician_id, b.start) for vid, b in snapshot.fixed.items()}
    return {**fixed, **snapshot.published}


def nobody_on_duty(problem: dispatch.Problem) -> dispatch.Plan:
    """The plan when no selected technician works in the horizon: every visit explained."""
    last = problem.horizon_start + dt.timedelta(days=problem.horizon_days - 1)
    reason = dispatch.Reason(
        "no_technician_on_duty",
        f"No selected technician works between {problem.horizon_start} and {last}.",
    )
    unassigned = [dispatch.Unassigned(v.id, [reason]) for v in problem.visits]
    with_sla = sum(1 for v in problem.visits if v.sla_due is not None)
    kpis = dispatch.Kpis(
        travel_km=0.0,
        travel_min=0,
        utilisation=0.0,
        on_time_share=1.0,
        sla_misses=with_sla,
        assigned=0,
        unassigned=len(unassigned),
    )
    return dispatch.Plan(routes=[], unassigned=unassigned, kpis=kpis, status="no_technicians")


def store_proposal(
    run: DispatchRun, visit_versions: dict[str, int], proposal: dict[str, Any]
) -> DispatchRun:
    """Keep a finished run's proposal on the run."""
    run.visit_versions = visit_versions
    run.proposal = proposal
    run.status = RunStatus.SUCCEEDED
    run.phase = "done"
    run.finished_at = utcnow()
    return run


def proposal_document(
    snapshot: Snapshot, plan: dispatch.Plan, published: dispatch.Plan
) -> dict[str, Any]:
    """The proposal as stored and served: routes, assignments, reasons, KPIs and the diff.

    Promised work outside the run (`fixed`) is listed apart and never assigned. Published
    visits the proposal leaves out are either `to_unschedule` (publishing takes them off their
    technician's day) or, with `keep_published`, `kept` in their published slot.
    """
    assignments = {
        stop.visit_id: {
            "visit_id": int(stop.visit_id),
            "technician_id": int(route.technician_id),
            "day": route.day.isoformat(),
            "planned_start": stop.start.astimezone(dt.UTC).isoformat(),
            "arrival": stop.arrival.astimezone(dt.UTC).isoformat(),
            "end": stop.end.astimezone(dt.UTC).isoformat(),
            "wait_min": stop.wait_min,
            "slack_min": stop.slack_min,
            "late_min": stop.late_min,
            "sequence": index,
        }
        for route in plan.routes
        for index, stop in enumerate(route.stops)
        if stop.visit_id not in snapshot.fixed
    }
    names = snapshot.technician_names
    reasons = {
        u.visit_id: [reason_document(r, names) for r in u.reasons]
        for u in plan.unassigned
        if u.visit_id not in snapshot.fixed
    }
    to_unschedule, kept = _clear_of_promised_work(snapshot, assignments, reasons)
    unassigned = [
        {"visit_id": int(vid), "reasons": why} for vid, why in reasons.items()
    ] + snapshot.held_back
    # The run's own visits only: promised work rides along in the problem.
    proposed_kpis = replace(
        plan_kpis(snapshot.problem, plan),
        assigned=len(assignments),
        unassigned=len(unassigned),
    )
    published_kpis = replace(
        plan_kpis(snapshot.problem, published),
        assigned=len(snapshot.published),
        unassigned=len(snapshot.visit_versions) - len(snapshot.published),
    )
    return {
        "status": plan.status,
        "routes": [_route_document(r, set(assignments)) for r in plan.routes],
        "assignments": sorted(assignments.values(), key=lambda a: a["visit_id"]),
        "unassigned": sorted(unassigned, key=lambda u: u["visit_id"]),
        "fixed": [
            _fixed_document(vid, busy)
            for vid, busy in sorted(snapshot.fixed.items(), key=lambda item: int(item[0]))
        ],
        "to_unschedule": to_unschedule,
        "kept": kept,
        "kpis": proposed_kpis.as_json(),
        "published_kpis": published_kpis.as_json(),
        "kpi_deltas": kpi_deltas(proposed_kpis, published_kpis),
        "diff": schedule_diff(snapshot.published, assignments),
    }


def _clear_of_promised_work(
    snapshot: Snapshot, assignments: dict[str, dict[str, Any]], reasons: dict[str, list[Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Take out of `assignments` whatever overlaps promised work; returns the published visits
    left out: those to unschedule and those kept in their slot, each with its reasons.

    Promised work is `fixed` plus the published slots kept: with `keep_published` every one
    the solver could not keep, else those of active technicians outside the run (it did not
    plan their days). Taking an assignment out can leave another published visit out, so this
    repeats until nothing overlaps.
    """
    while True:
        left_out = [vid for vid in snapshot.published if vid not in assignments]
        kept = [
            vid
            for vid in left_out
            if snapshot.keep_published or snapshot.published[vid][0] in snapshot.outside_run
        ]
        busy = dict(snapshot.fixed)
        for vid in kept:
            tech, start = snapshot.published[vid]
            busy[vid] = Busy(tech, start, start + dt.timedelta(minutes=snapshot.durations[vid]))
        clashes = {
            vid: other
            for vid, a in assignments.items()
            if (other := _first_overlap(a, busy)) is not None
        }
        if not clashes:
            break
        for vid, other in clashes.items():
            del assignments[vid]
            reasons[vid] = [
                {
                    "code": "overlaps_promised_work",
                    "message": f"Visit {vid} would overlap visit {other} that technician "
                    f"{busy[other].technician_id} is already committed to.",
                    "details": {"visit_id": int(other)},
                }
            ]
    entries = {
        vid: {
            "visit_id": int(vid),
            "technician_id": int(snapshot.published[vid][0]),
            "planned_start": snapshot.published[vid][1].astimezone(dt.UTC).isoformat(),
            "reasons": reasons.get(vid) or [_NO_LONGER_FITS],
        }
        for vid in sorted(left_out, key=int)
    }
    return (
        [entry for vid, entry in entries.items() if vid not in kept],
        [entry for vid, entry in entries.items() if vid in kept],
    )


_NO_LONGER_FITS = {
    "code": "not_in_proposal",
    "message": "The proposal found no place for this visit.",
    "details": {},
}


def _first_overlap(assignment: dict[str, Any], busy: dict[str, Busy]) -> str | None:
    tech = str(assignment["technician_id"])
    start = dt.datetime.fromisoformat(assignment["planned_start"])
    end = dt.datetime.fromisoformat(assignment["end"])
    for vid, b in busy.items():
        same_technician = vid != str(assignment["visit_id"]) and b.technician_id == tech
        if same_technician and b.start < end and start < b.end:
            return vid
    return None


def _fixed_document(visit_id: str, busy: Busy) -> dict[str, Any]:
    return {
        "visit_id": int(visit_id),
        "technician_id": int(busy.technician_id),
        "planned_start": busy.start.astimezone(dt.UTC).isoformat(),
        "end": busy.end.astimezone(dt.UTC).isoformat(),
    }


def _route_document(route: dispatch.Route, assigned: set[str]) -> dict[str, Any]:
    return {
        "technician_id": int(route.technician_id),
        "day": route.day.isoformat(),
        "start": route.start.astimezone(dt.UTC).isoformat(),
        "end": route.end.astimezone(dt.UTC).isoformat(),
        "break_start": route.break_start.astimezone(dt.UTC).isoformat()
        if route.break_start
        else None,
        "travel_km": round(route.travel_km, 2),
        "travel_min": route.travel_min,
        "visit_ids": [int(s.visit_id) for s in route.stops if s.visit_id in assigned],
    }


def schedule_diff(
    published: dict[str, tuple[str, dt.datetime]], proposed: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Visits added, moved (same technician, other time), reassigned and dropped."""
    diff: dict[str, list[dict[str, Any]]] = {
        "added": [],
        "moved": [],
        "reassigned": [],
        "dropped": [],
        "unchanged": [],
    }
    for visit_id in sorted(set(published) | set(proposed), key=int):
        before, after = published.get(visit_id), proposed.get(visit_id)
        entry: dict[str, Any] = {"visit_id": int(visit_id)}
        if before:
            entry["from"] = {
                "technician_id": int(before[0]),
                "planned_start": before[1].astimezone(dt.UTC).isoformat(),
            }
        if after:
            entry["to"] = {
                "technician_id": after["technician_id"],
                "planned_start": after["planned_start"],
            }
        diff[_change_kind(before, after)].append(entry)
    return diff


def _change_kind(before: tuple[str, dt.datetime] | None, after: dict[str, Any] | None) -> str:
    if before is None:
        return "added" if after else "unchanged"
    if after is None:
        return "dropped"
    if int(before[0]) != after["technician_id"]:
        return "reassigned"
    same_time = before[1] == dt.datetime.fromisoformat(after["planned_start"])
    return "unchanged" if same_time else "moved"


# --- publishing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishResult:
    run: DispatchRun
    updated: list[int]
    kept: list[int]
    unscheduled: list[dict[str, Any]]


def publish_run(
    session: Session, run: DispatchRun, *, user_id: int | None, tz: ZoneInfo
) -> PublishResult:
    """Apply a proposal in one transaction, or refuse it (409) naming what changed since.

    Inside the advisory locks of every technician-day it touches: refused if a visit of the
    run changed, or if the result would not fit (see `schedule_checks`), e.g. because work was
    assigned meanwhile. Published visits the proposal leaves out (`to_unschedule`) go back to
    `new` without technician or time; `kept` ones stay where they are.
    """
    if run.status == RunStatus.PUBLISHED:
        raise Conflict(
            "run %(run)s is already published", params={"run": run.id}, code="already_published"
        )
    if run.status != RunStatus.SUCCEEDED or run.proposal is None:
        raise Conflict(
            "run %(run)s has no proposal to publish (status %(status)s)",
            params={"run": run.id, "status": run.status},
            code="run_not_ready",
        )
    ids = [int(v) for v in run.visit_versions]
    assignments = run.proposal["assignments"]
    current = session.execute(
        select(Visit.technician_id, Visit.planned_start).where(Visit.id.in_(ids))
    ).all()
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session,
            [*current, *((a["technician_id"], _start_of(a)) for a in assignments)],
        ),
    )
    session.refresh(run, with_for_update=True)
    if run.status != RunStatus.SUCCEEDED:
        raise Conflict(
            "run %(run)s was published meanwhile", params={"run": run.id}, code="already_published"
        )
    visits = _locked_visits(session, ids)
    _refuse_if_changed(run, visits, ids)
    today = utcnow().astimezone(tz).date()
    unscheduled = []
    for entry in run.proposal.get("to_unschedule", []):
        unschedule(session, visits[entry["visit_id"]], actor_user_id=user_id, source="dispatch")
        unscheduled.append({"visit_id": entry["visit_id"], "reasons": entry["reasons"]})
    updated = []
    for assignment in assignments:
        visit = visits[assignment["visit_id"]]
        if _apply_assignment(session, visit, assignment, today, user_id):
            updated.append(visit.id)
    session.flush()
    found = schedule_checks.refusals(session, [visits[a["visit_id"]] for a in assignments])
    if found:
        raise Conflict(
            "run %(run)s's proposal no longer fits: %(refusal)s; re-run the optimizer",
            params={"run": run.id, "refusal": found[0].message},
            code="proposal_infeasible",
            details={"refusals": [r.as_dict() for r in found]},
        )
    run.status = RunStatus.PUBLISHED
    run.published_at = utcnow()
    run.published_by_user_id = user_id
    session.flush()
    kept = [k["visit_id"] for k in run.proposal.get("kept", [])]
    return PublishResult(run, updated, kept, unscheduled)


def _start_of(assignment: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(assignment["planned_start"])


def _refuse_if_changed(run: DispatchRun, visits: dict[int, Visit], ids: list[int]) -> None:
    stale = sorted(
        v.id
        for v in visits.values()
        if v.version != run.visit_versions[str(v.id)] or v.status not in PLANNABLE
    )
    missing = sorted(set(ids) - set(visits))
    if stale or missing:
        raise Conflict(
            "%(count)s visit(s) changed since run %(run)s started; re-run the optimizer",
            params={"count": len(stale) + len(missing), "run": run.id},
            code="proposal_stale",
            details={"changed_visit_ids": stale, "deleted_visit_ids": missing},
        )


def _locked_visits(session: Session, ids: list[int]) -> dict[int, Visit]:
    rows = session.scalars(
        select(Visit)
        .where(Visit.id.in_(ids))
        .order_by(Visit.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {v.id: v for v in rows}


def _apply_assignment(
    session: Session, visit: Visit, assignment: dict[str, Any], today: dt.date, user_id: int | None
) -> bool:
    technician_id = assignment["technician_id"]
    start = _start_of(assignment)
    changed = visit.technician_id != technician_id or visit.planned_start != start
    if changed:
        visit.technician_id = technician_id
        visit.planned_start = start
    if visit.status == VisitStatus.NEW:
        change_status(
            session, visit, VisitStatus.SCHEDULED, actor_user_id=user_id, source="dispatch"
        )
        changed = True
    day = dt.date.fromisoformat(assignment["day"])
    if day == today and visit.status == VisitStatus.SCHEDULED:
        change_status(
            session, visit, VisitStatus.DISPATCHED, actor_user_id=user_id, source="dispatch"
        )
        changed = True
    return changed


# --- urgent insertion -----------------------------------------------------------------------


@dataclass(frozen=True)
class InsertionResult:
    visit_id: int
    assignment: dict[str, Any] | None
    reasons: list[dict[str, Any]]
    applied: bool
    # The whole route of the technician-day the visit goes into, re-timed: every stop's start.
    route: list[dict[str, Any]] = field(default_factory=list)


def insert_urgent(
    session: Session, visit: Visit, *, tz: ZoneInfo, apply: bool, user_id: int | None
) -> InsertionResult:
    """Fit one visit into its day's published plan without re-solving the rest.

    Cheapest feasible insertion over every technician's published route, then a short local
    improvement of that route (see `dispatch.insert_visit`); the other routes are untouched.
    With `apply`, the re-timed route is saved as a whole inside its technician-day's lock,
    refused (409) if any of its visits changed meanwhile or it no longer fits.
    """
    if visit.status not in PLANNABLE:
        raise Conflict(
            "visit %(visit)s is %(status)s; only open visits can be inserted",
            params={"visit": visit.id, "status": visit.status},
            code="visit_not_plannable",
        )
    day = (visit.window_start or visit.sla_due or utcnow()).astimezone(tz).date()
    snapshot = build_snapshot(session, RunRequest(first_day=day, days=1), tz)
    key = str(visit.id)
    others = [v for v in snapshot.problem.visits if v.id != key]
    base = dispatch.Problem(
        technicians=snapshot.problem.technicians,
        visits=others,
        horizon_start=day,
        horizon_days=1,
        settings=snapshot.problem.settings,
    )
    current = {k: v for k, v in current_assignments(snapshot).items() if k != key}
    plan = dispatch.evaluate(base, current)
    new_plan = dispatch.insert_visit(plan, base, _visit(session, visit, set()))
    placed = new_plan.route_of(key)
    if placed is None:
        reasons = next((u.reasons for u in new_plan.unassigned if u.visit_id == key), [])
        return InsertionResult(
            visit.id,
            None,
            [reason_document(r, snapshot.technician_names) for r in reasons],
            applied=False,
        )
    route, _ = placed
    stops = [
        {
            "visit_id": int(s.visit_id),
            "technician_id": int(route.technician_id),
            "day": route.day.isoformat(),
            "planned_start": s.start.astimezone(dt.UTC).isoformat(),
            "sequence": index,
        }
        for index, s in enumerate(route.stops)
        if s.visit_id not in snapshot.fixed
    ]
    assignment = next(s for s in stops if s["visit_id"] == visit.id)
    if apply:
        _save_route(session, snapshot, visit, stops, tz, user_id)
    return InsertionResult(visit.id, assignment, [], applied=apply, route=stops)


def _save_route(
    session: Session,
    snapshot: Snapshot,
    inserted: Visit,
    stops: list[dict[str, Any]],
    tz: ZoneInfo,
    user_id: int | None,
) -> None:
    """Write a re-timed route inside its technician-day's lock, if nothing moved meanwhile."""
    ids = [s["visit_id"] for s in stops]
    before = session.execute(
        select(Visit.technician_id, Visit.planned_start).where(Visit.id.in_(ids))
    ).all()
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session, [*before, *((s["technician_id"], _start_of(s)) for s in stops)]
        ),
    )
    visits = _locked_visits(session, ids)
    changed = sorted(
        vid
        for vid in ids
        if vid not in visits
        or visits[vid].status not in PLANNABLE
        or (
            vid != inserted.id
            and (
                visits[vid].version != snapshot.visit_versions.get(str(vid))
                or snapshot.published.get(str(vid))
                != (str(visits[vid].technician_id), visits[vid].planned_start)
            )
        )
    )
    if changed:
        raise Conflict(
            "the route changed while the insertion was computed (visits %(visits)s); try again",
            params={"visits": ", ".join(map(str, changed))},
            code="route_changed",
            details={"changed_visit_ids": changed},
        )
    today = utcnow().astimezone(tz).date()
    for stop in stops:
        _apply_assignment(session, visits[stop["visit_id"]], stop, today, user_id)
    session.flush()
    schedule_checks.require_feasible(session, list(visits.values()))
