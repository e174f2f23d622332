"""The board's side panels: open SLA alerts and the open complaints with their stage clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Complaint, ComplaintStage, Customer, SlaAlert
from app.services.sla.clocks import Clock, complaint_clock


@dataclass(frozen=True)
class AlertView:
    level: str
    subject: str
    subject_id: int
    message: str
    at: dt.datetime
    target: str = ""
    due_at: dt.datetime | None = None
    projected_at: dt.datetime | None = None


@dataclass(frozen=True)
class ComplaintClock:
    """An open complaint and the clock of its current stage."""

    complaint_id: int
    customer_id: int
    customer: str
    stage: str
    summary: str
    clock: Clock | None
    visit_id: int | None = None


def open_complaints(
    session: Session, now: dt.datetime, *, warn_before_min: int, limit: int = 10
) -> list[ComplaintClock]:
    """The open complaints due soonest, each with its stage clock."""
    rows = session.execute(
        select(Complaint, Customer.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.stage != ComplaintStage.CLOSED)
        .order_by(Complaint.due_at.is_(None), Complaint.due_at, Complaint.id)
        .limit(limit)
    )
    return [
        ComplaintClock(
            c.id,
            c.customer_id,
            name,
            str(c.stage),
            c.summary,
            complaint_clock(c, now, warn_before_min),
            c.visit_id,
        )
        for c, name in rows
    ]


def alert_views(session: Session, limit: int = 12) -> list[AlertView]:
    rows = session.scalars(
        select(SlaAlert)
        .where(SlaAlert.resolved_at.is_(None))
        .order_by(SlaAlert.id.desc())
        .limit(limit)
    )
    return [
        AlertView(
            str(a.level),
            a.subject,
            a.subject_id,
            a.message,
            a.created_at,
            a.target,
            a.due_at,
            a.projected_at,
        )
        for a in rows
    ]
