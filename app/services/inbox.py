"""The inbox of new requests: every visit still `new`, whoever asked for it, oldest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Visit, VisitStatus, VisitStatusChange
from app.services.sla.clocks import RESPONSE, Clock, visit_clocks
from app.services.sla.policies import active_policies, policy_for
from app.services.visits import change_status


@dataclass(frozen=True)
class InboxRow:
    visit: Visit
    # Where the request came from: the source of its first status entry (api, phone, …).
    source: str
    waiting_min: int
    response_clock: Clock | None
    # The board day to plan it on: its window's day, else today.
    plan_day: dt.date


def new_requests(
    session: Session, now: dt.datetime, tz: ZoneInfo, *, limit: int = 200
) -> list[InboxRow]:
    """Visits in `new`, oldest request first, with their source and response clock."""
    visits = list(
        session.scalars(
            select(Visit)
            .options(selectinload(Visit.customer), selectinload(Visit.site))
            .where(Visit.status == VisitStatus.NEW)
            .order_by(Visit.created_at, Visit.id)
            .limit(limit)
        )
    )
    ids = [v.id for v in visits]
    sources = dict(
        session.execute(
            select(VisitStatusChange.visit_id, VisitStatusChange.source).where(
                VisitStatusChange.visit_id.in_(ids), VisitStatusChange.from_status.is_(None)
            )
        ).all()
    )
    policies = active_policies(session)
    rows = []
    for visit in visits:
        policy = policy_for(policies, visit.kind, visit.priority, visit.customer.tier)
        clocks = [c for c in visit_clocks(visit, policy, now) if c.target == RESPONSE]
        rows.append(
            InboxRow(
                visit=visit,
                source=sources.get(visit.id, "api"),
                waiting_min=max(0, int((now - visit.created_at).total_seconds() // 60)),
                response_clock=clocks[0] if clocks else None,
                plan_day=max(now, visit.window_start or now).astimezone(tz).date(),
            )
        )
    return rows


def cancel_request(session: Session, visit: Visit, *, actor_user_id: int | None) -> None:
    """Cancel a request from the inbox (through the one visit state machine)."""
    change_status(
        session, visit, VisitStatus.CANCELLED, actor_user_id=actor_user_id, source="console"
    )
