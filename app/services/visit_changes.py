"""Customers ask to move or cancel a visit of their order; a dispatcher confirms or declines.

A customer picks one of the offered windows (`visit_windows.offered_windows`) or asks to cancel;
the request waits, one per visit, until a dispatcher decides. Confirming a move gives the visit
the new window and, when its planned start no longer fits, takes it off the technician's day
to be planned again (a published plan never breaks a window); confirming a cancellation
cancels the visit. Either way the customer is told.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Order,
    Visit,
    VisitStatus,
)
from app.services import order_notices
from app.services.visit_windows import find_offered
from app.services.visits import change_status, told_otherwise, unschedule, update_visit

# Visits nobody has set off for yet: the only ones a customer may move or cancel.
CHANGEABLE = frozenset({VisitStatus.NEW, VisitStatus.SCHEDULED, VisitStatus.DISPATCHED})


def changeable(visit: Visit) -> bool:
    """Whether the customer may still ask to move or cancel the visit."""
    return visit.status in CHANGEABLE


def pending_for(session: Session, visit_ids: list[int]) -> dict[int, ChangeRequest]:
    """The pending request of each visit that has one."""
    if not visit_ids:
        return {}
    rows = session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.visit_id.in_(visit_ids), ChangeRequest.status == ChangeStatus.PENDING
        )
    )
    return {r.visit_id: r for r in rows}


def request_change(
    session: Session,
    settings: Settings,
    order: Order,
    visit_id: int,
    kind: ChangeKind,
    *,
    window_key: str | None = None,
    reason: str | None = None,
) -> ChangeRequest:
    """Record the customer's request on a visit of `order`; it replaces one still pending."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.order_id != order.id:
        # Another order's visit is answered as if it did not exist.
        raise ValidationFailed("no such visit", fields={"visit": ["unknown visit"]})
    if not changeable(visit):
        raise Conflict(
            "visit %(visit)s can no longer be changed",
            params={"visit": visit.id},
            code="visit_not_changeable",
        )
    now = utcnow()
    window = None
    if kind == ChangeKind.RESCHEDULE:
        window = find_offered(settings, now, window_key or "")
        if window is None:
            raise ValidationFailed(
                "pick one of the offered windows", fields={"window": ["not an offered window"]}
            )
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > 500:
        raise ValidationFailed("the reason is too long", fields={"reason": ["at most 500"]})
    for earlier in pending_for(session, [visit.id]).values():
        earlier.status = ChangeStatus.WITHDRAWN
        earlier.decided_at = now
    change = ChangeRequest(
        visit_id=visit.id,
        order_id=order.id,
        customer_id=visit.customer_id,
        kind=kind,
        status=ChangeStatus.PENDING,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        reason=reason,
        created_at=now,
    )
    session.add(change)
    session.flush()
    return change


def _check_pending(change: ChangeRequest) -> None:
    if change.status != ChangeStatus.PENDING:
        raise Conflict(
            "change request %(id)s is already %(status)s",
            params={"id": change.id, "status": change.status},
            code="change_request_decided",
        )


def confirm(
    session: Session, settings: Settings, change: ChangeRequest, *, actor_user_id: int
) -> ChangeRequest:
    """Make the change the customer asked for and tell them."""
    _check_pending(change)
    visit = session.get(Visit, change.visit_id, with_for_update=True)
    assert visit is not None
    if not changeable(visit):
        raise Conflict(
            "visit %(visit)s is %(status)s and can no longer be changed",
            params={"visit": visit.id, "status": visit.status},
            code="visit_not_changeable",
        )
    if change.kind == ChangeKind.CANCEL:
        change_status(
            session, visit, VisitStatus.CANCELLED, actor_user_id=actor_user_id, source="customer"
        )
        # The answer to their request (`change_decided`) is the customer's news of it.
        told_otherwise(session, visit)
    else:
        _move(session, visit, change, actor_user_id)
    _decide(change, ChangeStatus.CONFIRMED, actor_user_id, None)
    session.flush()
    order_notices.change_decided(session, settings, change)
    return change


def _move(session: Session, visit: Visit, change: ChangeRequest, actor_user_id: int) -> None:
    start, end = change.window_start, change.window_end
    assert start is not None
    assert end is not None
    # Kept on the technician's day only when the whole visit lies inside the new window.
    fits = (
        visit.planned_start is not None
        and start <= visit.planned_start
        and visit.planned_start + dt.timedelta(minutes=visit.duration_min) <= end
    )
    if visit.planned_start is not None and not fits:
        unschedule(session, visit, actor_user_id=actor_user_id, source="customer")
    update_visit(session, visit, {"window_start": start, "window_end": end})
    # The answer to their request (`change_decided`) is the customer's news of this move.
    told_otherwise(session, visit)


def decline(
    session: Session,
    settings: Settings,
    change: ChangeRequest,
    *,
    actor_user_id: int,
    note: str | None = None,
) -> ChangeRequest:
    """Refuse the change (the visit stays as it was) and tell the customer."""
    _check_pending(change)
    _decide(change, ChangeStatus.DECLINED, actor_user_id, note)
    session.flush()
    order_notices.change_decided(session, settings, change)
    return change


def _decide(
    change: ChangeRequest, status: ChangeStatus, actor_user_id: int, note: str | None
) -> None:
    change.status = status
    change.decided_at = utcnow()
    change.decided_by_user_id = actor_user_id
    change.decision_note = (note or "").strip() or None


def pending(session: Session) -> list[ChangeRequest]:
    """Every pending request, oldest first (the dispatchers' inbox)."""
    return list(
        session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.status == ChangeStatus.PENDING)
            .order_by(ChangeRequest.created_at, ChangeRequest.id)
        )
    )


def window_of(change: ChangeRequest) -> tuple[dt.datetime, dt.datetime] | None:
    """The requested window (reschedules only)."""
    if change.window_start and change.window_end:
        return change.window_start, change.window_end
    return None
