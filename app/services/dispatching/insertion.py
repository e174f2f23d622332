"""Urgent insertion: one visit fitted into its day's published plan without re-solving."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import dispatch
from app.database import utcnow
from app.errors import Conflict
from app.models import Visit
from app.services import schedule_checks
from app.services.dispatching.publish import apply_placement, locked_visits
from app.services.dispatching.runs import RunRequest
from app.services.dispatching.snapshot import (
    PLANNABLE,
    Snapshot,
    build_snapshot,
    current_assignments,
    problem_visit,
)
from app.services.proposal_figures import Reason, readable_reason


@dataclass(frozen=True)
class RouteStop:
    """A visit of the re-timed route: its technician, day, start and place in the route."""

    visit_id: int
    technician_id: int
    day: dt.date
    planned_start: dt.datetime
    sequence: int


@dataclass(frozen=True)
class InsertionResult:
    visit_id: int
    assignment: RouteStop | None
    reasons: tuple[Reason, ...]
    applied: bool
    # The whole route of the technician-day the visit goes into, re-timed: every stop's start.
    route: tuple[RouteStop, ...] = ()


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
    new_plan = dispatch.insert_visit(plan, base, problem_visit(session, visit, set()))
    placed = new_plan.route_of(key)
    if placed is None:
        reasons = next((u.reasons for u in new_plan.unassigned if u.visit_id == key), [])
        return InsertionResult(
            visit.id,
            None,
            tuple(readable_reason(r, snapshot.technician_names) for r in reasons),
            applied=False,
        )
    route, _ = placed
    stops = tuple(
        RouteStop(int(s.visit_id), int(route.technician_id), route.day, s.start, index)
        for index, s in enumerate(route.stops)
        if s.visit_id not in snapshot.fixed
    )
    assignment = next(s for s in stops if s.visit_id == visit.id)
    if apply:
        _save_route(session, snapshot, visit, stops, tz, user_id)
    return InsertionResult(visit.id, assignment, (), applied=apply, route=stops)


def _save_route(
    session: Session,
    snapshot: Snapshot,
    inserted: Visit,
    stops: tuple[RouteStop, ...],
    tz: ZoneInfo,
    user_id: int | None,
) -> None:
    """Write a re-timed route inside its technician-day's lock, if nothing moved meanwhile."""
    ids = [s.visit_id for s in stops]
    before = session.execute(
        select(Visit.technician_id, Visit.planned_start).where(Visit.id.in_(ids))
    ).all()
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session, [*before, *((s.technician_id, s.planned_start) for s in stops)]
        ),
    )
    visits = locked_visits(session, ids)
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
    for s in stops:
        apply_placement(
            session, visits[s.visit_id], s.technician_id, s.planned_start, s.day, today, user_id
        )
    session.flush()
    schedule_checks.require_feasible(session, list(visits.values()))
