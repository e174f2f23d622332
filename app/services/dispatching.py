"""Dispatch runs: database rows → dispatch.Problem → solve → proposal, diff, publish.

The solver itself lives in the pure `dispatch` library; this module only translates.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import dispatch
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
from app.models.technicians import WEEKDAYS
from app.services.visits import change_status

log = logging.getLogger(__name__)

PLANNABLE = (VisitStatus.NEW, VisitStatus.SCHEDULED, VisitStatus.DISPATCHED)
UNDER_WAY = (VisitStatus.EN_ROUTE, VisitStatus.ON_SITE)
LUNCH = (dt.time(11, 30), dt.time(13, 30), 45)  # earliest start, latest end, minutes
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

    def as_params(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day.isoformat(),
            "days": self.days,
            "technician_ids": list(self.technician_ids),
            "visit_ids": list(self.visit_ids),
            "kinds": list(self.kinds),
            "time_limit_s": self.time_limit_s,
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
        )


@dataclass(frozen=True)
class Snapshot:
    """The problem handed to the solver, and what the app knew when building it."""

    problem: dispatch.Problem
    visit_versions: dict[str, int]
    published: dict[str, tuple[str, dt.datetime]]
    held_back: list[dict[str, Any]]


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
    for visit in visits:
        waiting_for = _open_predecessor_outside(session, visit, in_problem)
        if waiting_for is not None:
            held_back.append(_held_back(visit, waiting_for))
            continue
        problem_visits.append(_visit(session, visit, in_problem))
    problem = dispatch.Problem(
        technicians=problem_techs,
        visits=problem_visits,
        horizon_start=request.first_day,
        horizon_days=request.days,
        settings=dispatch.SolverSettings(time_limit_s=request.time_limit_s),
    )
    return Snapshot(
        problem=problem,
        visit_versions={str(v.id): v.version for v in visits},
        published={
            str(v.id): (str(v.technician_id), v.planned_start)
            for v in visits
            if v.technician_id is not None and v.planned_start is not None
        },
        held_back=held_back,
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
    """The technician's shifts on `days`, from the weekly pattern minus days off."""
    tz = ZoneInfo(technician.time_zone)
    home = (technician.home_lat, technician.home_lon)
    shifts = []
    for day in days:
        if not technician.works_on(day):
            continue
        start_s, end_s = technician.shift_pattern[WEEKDAYS[day.weekday()]][0]
        start = dt.datetime.combine(day, dt.time.fromisoformat(start_s), tzinfo=tz)
        end = dt.datetime.combine(day, dt.time.fromisoformat(end_s), tzinfo=tz)
        shifts.append(
            dispatch.Shift(
                day=day,
                start=start,
                end=end,
                start_location=home,
                break_=_lunch(day, start, end, tz),
            )
        )
    return shifts


def _lunch(day: dt.date, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> Any:
    earliest = max(start, dt.datetime.combine(day, LUNCH[0], tzinfo=tz))
    latest = min(end, dt.datetime.combine(day, LUNCH[1], tzinfo=tz))
    if end - start < dt.timedelta(hours=6) or latest - earliest < dt.timedelta(minutes=LUNCH[2]):
        return None
    return dispatch.Break(earliest_start=earliest, latest_end=latest, duration_min=LUNCH[2])


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


def _visit(session: Session, visit: Visit, in_problem: set[int]) -> dispatch.Visit:
    windows = []
    if visit.window_start and visit.window_end:
        windows.append((visit.window_start, visit.window_end))
    windows = _after_completed_predecessor(session, visit, windows)
    lock, tech_id, start = _lock(visit)
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


def compute_proposal(
    session: Session,
    request: RunRequest,
    tz: ZoneInfo,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[dict[str, int], dict[str, Any]]:
    """Solve a run's problem; returns the visit versions read and the proposal document."""
    snapshot = build_snapshot(session, request, tz)
    if not any(t.shifts for t in snapshot.problem.technicians):
        plan = published = nobody_on_duty(snapshot.problem)
    else:
        plan = dispatch.solve(snapshot.problem, progress=progress)
        published = dispatch.evaluate(snapshot.problem, snapshot.published)
    return snapshot.visit_versions, proposal_document(snapshot, plan, published)


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
    """The proposal as stored and served: routes, assignments, reasons, KPIs and the diff."""
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
    }
    unassigned = [
        {
            "visit_id": int(u.visit_id),
            "reasons": [
                {"code": r.code, "message": r.message, "details": _plain(r.details)}
                for r in u.reasons
            ],
        }
        for u in plan.unassigned
    ] + snapshot.held_back
    return {
        "status": plan.status,
        "routes": [_route_document(r) for r in plan.routes],
        "assignments": sorted(assignments.values(), key=lambda a: a["visit_id"]),
        "unassigned": sorted(unassigned, key=lambda u: u["visit_id"]),
        "kpis": _kpis(plan.kpis),
        "published_kpis": _kpis(published.kpis),
        "kpi_deltas": _kpi_deltas(plan.kpis, published.kpis),
        "diff": schedule_diff(snapshot.published, assignments),
    }


def _route_document(route: dispatch.Route) -> dict[str, Any]:
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
        "visit_ids": [int(s.visit_id) for s in route.stops],
    }


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in details.items()
    }


_KPI_FIELDS = (
    "travel_km",
    "travel_min",
    "utilisation",
    "on_time_share",
    "sla_misses",
    "assigned",
    "unassigned",
)


def _kpis(kpis: dispatch.Kpis) -> dict[str, float]:
    return {name: round(float(getattr(kpis, name)), 4) for name in _KPI_FIELDS}


def _kpi_deltas(proposed: dispatch.Kpis, published: dispatch.Kpis) -> dict[str, float]:
    return {
        name: round(float(getattr(proposed, name)) - float(getattr(published, name)), 4)
        for name in _KPI_FIELDS
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


def publish_run(
    session: Session, run: DispatchRun, *, user_id: int | None, tz: ZoneInfo
) -> PublishResult:
    """Apply a proposal in one transaction; refused (409) if any of its visits changed since."""
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
    visits = _locked_visits(session, [int(v) for v in run.visit_versions])
    stale = sorted(
        v.id
        for v in visits.values()
        if v.version != run.visit_versions[str(v.id)] or v.status not in PLANNABLE
    )
    missing = sorted(set(map(int, run.visit_versions)) - set(visits))
    if stale or missing:
        raise Conflict(
            "%(count)s visit(s) changed since run %(run)s started; re-run the optimizer",
            params={"count": len(stale) + len(missing), "run": run.id},
            code="proposal_stale",
            details={"changed_visit_ids": stale, "deleted_visit_ids": missing},
        )
    today = utcnow().astimezone(tz).date()
    updated = []
    for assignment in run.proposal["assignments"]:
        visit = visits[assignment["visit_id"]]
        if _apply_assignment(session, visit, assignment, today, user_id):
            updated.append(visit.id)
    # A visit the proposal leaves out keeps what was published before: unpublishing promised
    # work is a dispatcher's explicit decision, not a side effect of re-optimising.
    kept = [d["visit_id"] for d in run.proposal["diff"]["dropped"]]
    run.status = RunStatus.PUBLISHED
    run.published_at = utcnow()
    run.published_by_user_id = user_id
    session.flush()
    return PublishResult(run, updated, kept)


def _locked_visits(session: Session, ids: list[int]) -> dict[int, Visit]:
    rows = session.scalars(
        select(Visit).where(Visit.id.in_(ids)).order_by(Visit.id).with_for_update()
    )
    return {v.id: v for v in rows}


def _apply_assignment(
    session: Session, visit: Visit, assignment: dict[str, Any], today: dt.date, user_id: int | None
) -> bool:
    technician_id = assignment["technician_id"]
    start = dt.datetime.fromisoformat(assignment["planned_start"])
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


def insert_urgent(
    session: Session, visit: Visit, *, tz: ZoneInfo, apply: bool, user_id: int | None
) -> InsertionResult:
    """Fit one visit into its day's published plan without re-solving the rest.

    Cheapest feasible insertion over every technician's published route, then a short local
    improvement of that route (see `dispatch.insert_visit`); the other routes are untouched.
    With `apply`, the visit is assigned at once.
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
    published = {k: v for k, v in snapshot.published.items() if k != key}
    plan = dispatch.evaluate(base, published)
    new_plan = dispatch.insert_visit(plan, base, _visit(session, visit, set()))
    placed = new_plan.route_of(key)
    if placed is None:
        reasons = next((u.reasons for u in new_plan.unassigned if u.visit_id == key), [])
        return InsertionResult(
            visit.id,
            None,
            [{"code": r.code, "message": r.message, "details": _plain(r.details)} for r in reasons],
            applied=False,
        )
    route, stop = placed
    assignment = {
        "visit_id": visit.id,
        "technician_id": int(route.technician_id),
        "day": route.day.isoformat(),
        "planned_start": stop.start.astimezone(dt.UTC).isoformat(),
        "sequence": [s.visit_id for s in route.stops].index(key),
    }
    if apply:
        _apply_assignment(session, visit, assignment, utcnow().astimezone(tz).date(), user_id)
        session.flush()
    return InsertionResult(visit.id, assignment, [], applied=apply)
