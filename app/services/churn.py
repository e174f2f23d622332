"""Customers at risk of leaving: the list to call back, and the board's alert when one appears."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, selectinload

from app.database import utcnow
from app.errors import Conflict
from app.models import Complaint, ComplaintStage, Customer, CustomerAlert, Rating
from app.services.customer_record import CHURN_RISK, CHURN_WINDOW
from app.services.records import get_or_404


@dataclass(frozen=True)
class AtRisk:
    customer: Customer
    # The verdicts that put them at risk: negative ones within the churn window, newest first.
    negative_ratings: list[Rating]
    open_complaints: int
    alert: CustomerAlert | None


def raise_alert(session: Session, customer_id: int, kind: str) -> CustomerAlert:
    """Flag the customer on the board (once while an alert of this kind is unacknowledged)."""
    existing = session.scalar(
        select(CustomerAlert).where(
            CustomerAlert.customer_id == customer_id,
            CustomerAlert.kind == kind,
            CustomerAlert.acknowledged_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    alert = CustomerAlert(customer_id=customer_id, kind=kind, created_at=utcnow())
    session.add(alert)
    session.flush()
    return alert


def open_alerts(session: Session, *, limit: int = 20) -> list[CustomerAlert]:
    """Unacknowledged customer alerts, newest first (the board shows them)."""
    return list(
        session.scalars(
            select(CustomerAlert)
            .options(selectinload(CustomerAlert.customer))
            .where(CustomerAlert.acknowledged_at.is_(None))
            .order_by(CustomerAlert.created_at.desc(), CustomerAlert.id.desc())
            .limit(limit)
        )
    )


def acknowledge(session: Session, alert_id: int, *, user_id: int) -> CustomerAlert:
    """Someone has taken the customer in hand; the alert leaves the board."""
    alert = get_or_404(session, CustomerAlert, alert_id)
    if alert.acknowledged_at is not None:
        raise Conflict(
            "the alert on customer %(customer)s was already acknowledged",
            params={"customer": alert.customer_id},
            code="already_acknowledged",
        )
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_user_id = user_id
    session.flush()
    return alert


def at_risk(session: Session, now: dt.datetime | None = None) -> list[AtRisk]:
    """Customers tagged churn risk, those with the most recent bad verdicts first."""
    now = now or utcnow()
    # Tags are a short JSON list; a text match on the serialised list is portable.
    customers = list(
        session.scalars(
            select(Customer).where(
                cast(Customer.tags, String).contains(f'"{CHURN_RISK}"', autoescape=True)
            )
        )
    )
    ids = [c.id for c in customers]
    negatives: dict[int, list[Rating]] = defaultdict(list)
    for rating in session.scalars(
        select(Rating)
        .where(Rating.customer_id.in_(ids), Rating.updated_at >= now - CHURN_WINDOW)
        .order_by(Rating.updated_at.desc())
    ):
        if rating.is_negative:
            negatives[rating.customer_id].append(rating)
    complaints = dict(
        session.execute(
            select(Complaint.customer_id, func.count())
            .where(Complaint.customer_id.in_(ids), Complaint.stage != ComplaintStage.CLOSED)
            .group_by(Complaint.customer_id)
        ).all()
    )
    alerts = {
        a.customer_id: a
        for a in session.scalars(
            select(CustomerAlert).where(
                CustomerAlert.customer_id.in_(ids),
                CustomerAlert.kind == CHURN_RISK,
                CustomerAlert.acknowledged_at.is_(None),
            )
        )
    }
    rows = [
        AtRisk(c, negatives[c.id], complaints.get(c.id, 0), alerts.get(c.id)) for c in customers
    ]
    latest = {c.id: negatives[c.id][0].updated_at if negatives[c.id] else None for c in customers}
    return sorted(
        rows,
        key=lambda r: (latest[r.customer.id] is None, -(latest[r.customer.id] or now).timestamp()),
    )
