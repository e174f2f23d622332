"""Publishing a proposal: applied in one transaction inside the technician-days' locks, or
refused (409) naming what changed since the run read the visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import Conflict
from app.models import DispatchRun, RunStatus, Visit, VisitStatus
from app.services import schedule_checks
from app.services.dispatching.proposal import Unassigned, proposal_of
from app.services.dispatching.snapshot import PLANNABLE
from app.services.visits import change_status, unschedule


@dataclass(frozen=True)
class PublishResult:
    run: DispatchRun
    updated: list[int]
    kept: list[int]
    # published visits the proposal left out, now back to `new`, each with why
    unscheduled: list[Unassigned]


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
    proposal = proposal_of(run)
    if run.status != RunStatus.SUCCEEDED or proposal is None:
        raise Conflict(
            "run %(run)s has no proposal to publish (status %(status)s)",
            params={"run": run.id, "status": run.status},
            code="run_not_ready",
        )
    ids = [int(v) for v in run.visit_versions]
    assignments = proposal.assignments
    current = session.execute(
        select(Visit.technician_id, Visit.planned_start).where(Visit.id.in_(ids))
    ).all()
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session,
            [*current, *((a.technician_id, a.planned_start) for a in assignments)],
        ),
    )
    session.refresh(run, with_for_update=True)
    if run.status != RunStatus.SUCCEEDED:
        raise Conflict(
            "run %(run)s was published meanwhile", params={"run": run.id}, code="already_published"
        )
    visits = locked_visits(session, ids)
    _refuse_if_changed(run, visits, ids)
    today = utcnow().astimezone(tz).date()
    unscheduled = []
    for entry in proposal.to_unschedule:
        unschedule(session, visits[entry.visit_id], actor_user_id=user_id, source="dispatch")
        unscheduled.append(Unassigned(entry.visit_id, entry.reasons))
    updated = []
    for a in assignments:
        visit = visits[a.visit_id]
        if apply_placement(
            session, visit, a.technician_id, a.planned_start, a.day, today, user_id
        ):
            updated.append(visit.id)
    session.flush()
    found = schedule_checks.refusals(session, [visits[a.visit_id] for a in assignments])
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
    return PublishResult(run, updated, [k.visit_id for k in proposal.kept], unscheduled)


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


def locked_visits(session: Session, ids: list[int]) -> dict[int, Visit]:
    """The visits `ids`, read afresh and locked for update (the run's, or a route's)."""
    rows = session.scalars(
        select(Visit)
        .where(Visit.id.in_(ids))
        .order_by(Visit.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {v.id: v for v in rows}


def apply_placement(
    session: Session,
    visit: Visit,
    technician_id: int,
    start: dt.datetime,
    day: dt.date,
    today: dt.date,
    user_id: int | None,
) -> bool:
    """Give `visit` its technician and start on `day` (the plan's day); scheduled, and
    dispatched when `day` is today.

    Returns whether the visit changed.
    """
    changed = visit.technician_id != technician_id or visit.planned_start != start
    if changed:
        visit.technician_id = technician_id
        visit.planned_start = start
    if visit.status == VisitStatus.NEW:
        change_status(
            session, visit, VisitStatus.SCHEDULED, actor_user_id=user_id, source="dispatch"
        )
        changed = True
    if day == today and visit.status == VisitStatus.SCHEDULED:
        change_status(
            session, visit, VisitStatus.DISPATCHED, actor_user_id=user_id, source="dispatch"
        )
        changed = True
    return changed
