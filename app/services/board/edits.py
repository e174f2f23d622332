"""The two hand edits a dispatcher makes on the board: move a visit, lock or unlock it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationFailed
from app.models import LockState, Technician, Visit, VisitStatus
from app.services import schedule_checks
from app.services.dispatching.snapshot import PLANNABLE
from app.services.records import get_or_404
from app.services.visits import change_status, update_visit


def move_visit(
    session: Session,
    visit: Visit,
    technician_id: int,
    start: dt.datetime,
    *,
    tz: ZoneInfo,
    actor_user_id: int | None,
    now: dt.datetime,
    lock: LockState | None = None,
) -> Visit:
    """Give a visit to a technician at a time, inside the technician-days' locks, if it fits
    (see `schedule_checks`: skills, shift, break, window, nothing else at that time); refused
    with the reason otherwise.

    The customer of a booked visit whose arrival window or day changes is told at commit, as
    for every path that moves a visit (see `visits.ANNOUNCED`)."""
    technician = get_or_404(session, Technician, technician_id)
    _lock_days_of(session, visit, (technician.id, start))
    if visit.status not in PLANNABLE:
        raise Conflict(
            "visit %(visit)s is %(status)s; only visits not yet under way can move",
            params={"visit": visit.id, "status": visit.status},
            code="visit_under_way",
        )
    changes: dict[str, Any] = {"technician_id": technician.id, "planned_start": start}
    if lock is not None:
        changes["lock"] = lock
    try:
        update_visit(session, visit, changes)
    except ValidationFailed as refused:
        # Dispatchers know technicians by name, not by id.
        named = {**refused.params, "technician": technician.name}
        raise ValidationFailed(
            refused.template, params=named, code=refused.code, fields=refused.fields
        ) from None
    schedule_checks.require_feasible(session, [visit])
    if visit.status == VisitStatus.NEW:
        change_status(
            session, visit, VisitStatus.SCHEDULED, actor_user_id=actor_user_id, source="console"
        )
    local = start.astimezone(tz)
    if local.date() == now.astimezone(tz).date() and visit.status == VisitStatus.SCHEDULED:
        change_status(
            session, visit, VisitStatus.DISPATCHED, actor_user_id=actor_user_id, source="console"
        )
    return visit


def _lock_days_of(
    session: Session, visit: Visit, *placements: tuple[int | None, dt.datetime | None]
) -> None:
    """Lock the visit's current technician-day and `placements`', then re-read the visit."""
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session, [(visit.technician_id, visit.planned_start), *placements]
        ),
    )
    session.refresh(visit, with_for_update=True)


_NEEDS_TECHNICIAN = (LockState.TECHNICIAN, LockState.TECHNICIAN_TIME)
_NEEDS_TIME = (LockState.TIME, LockState.TECHNICIAN_TIME)


def set_lock(session: Session, visit: Visit, lock: LockState) -> Visit:
    """Pin a visit to its technician, its time or both (or release it) for the optimizer.

    Inside its technician-day's lock, and only while the placement it pins still fits.
    """
    _lock_days_of(session, visit)
    if lock == LockState.IN_PROGRESS or visit.lock == LockState.IN_PROGRESS:
        raise Conflict(
            "visit %(visit)s is in progress; its lock follows the technician's phone",
            params={"visit": visit.id},
            code="visit_locked",
        )
    if lock in _NEEDS_TECHNICIAN and visit.technician_id is None:
        raise ValidationFailed(
            "visit %(visit)s has no technician to lock to; move it to one first",
            params={"visit": visit.id},
            code="nothing_to_lock",
            fields={"lock": ["no technician assigned"]},
        )
    if lock in _NEEDS_TIME and visit.planned_start is None:
        raise ValidationFailed(
            "visit %(visit)s has no planned time to lock; move it to a time first",
            params={"visit": visit.id},
            code="nothing_to_lock",
            fields={"lock": ["no planned start"]},
        )
    update_visit(session, visit, {"lock": lock})
    if lock != LockState.NONE:
        schedule_checks.require_feasible(session, [visit])
    return visit
