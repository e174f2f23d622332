"""The customer's record: everything about them in one place, with figures and derived tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.events import CustomerTagged, publish
from app.models import (
    ChecklistAnswer,
    Complaint,
    Customer,
    FollowUpLink,
    Order,
    PhotoBlob,
    Rating,
    RepairOutcome,
    Signature,
    Site,
    Technician,
    User,
    Visit,
    VisitNote,
    VisitStatus,
    VisitStatusChange,
)
from app.services.photos import PhotoView, photos_of_visits, signature_blobs
from app.services.records import get_or_404

PROMOTER, DETRACTOR, CHURN_RISK = "promoter", "detractor", "churn_risk"
DERIVED_TAGS = (PROMOTER, DETRACTOR, CHURN_RISK)
CHURN_WINDOW = dt.timedelta(days=90)
CHURN_NEGATIVES = 2


def derived_tags(ratings: list[Rating], now: dt.datetime | None = None) -> list[str]:
    """Tags the customer's verdicts earn: promoter, detractor, churn risk."""
    now = now or utcnow()
    ordered = sorted(ratings, key=lambda r: (r.updated_at, r.id))
    tags: list[str] = []
    with_nps = [r for r in ordered if r.nps is not None]
    if with_nps and with_nps[-1].nps >= 9 and not ordered[-1].is_negative:
        tags.append(PROMOTER)
    if ordered and ordered[-1].is_negative:
        tags.append(DETRACTOR)
    recent_negative = [r for r in ordered if r.is_negative and r.updated_at >= now - CHURN_WINDOW]
    if len(recent_negative) >= CHURN_NEGATIVES:
        tags.append(CHURN_RISK)
    return tags


def refresh_tags(session: Session, customer: Customer, now: dt.datetime | None = None) -> list[str]:
    """Recompute the derived tags on the customer, keeping tags people set by hand."""
    ratings = list(session.scalars(select(Rating).where(Rating.customer_id == customer.id)))
    manual = [t for t in (customer.tags or []) if t not in DERIVED_TAGS]
    tags = manual + derived_tags(ratings, now)
    before = set(customer.tags or [])
    if tags != list(customer.tags or []):
        customer.tags = tags
        session.flush()
    for tag in tags:
        if tag not in before:
            publish(session, CustomerTagged(customer_id=customer.id, tag=tag))
    return tags


@dataclass(frozen=True)
class StatusStep:
    change: VisitStatusChange
    actor_name: str | None


@dataclass(frozen=True)
class SignatureView:
    signature: Signature
    blob: PhotoBlob | None


@dataclass(frozen=True)
class VisitEntry:
    """One visit on the customer's timeline, with all its evidence."""

    visit: Visit
    technician_name: str | None
    when: dt.datetime
    status_changes: list[StatusStep]
    notes: list[VisitNote]
    answers: list[ChecklistAnswer]
    photos: list[PhotoView]
    signatures: list[SignatureView]
    rating: Rating | None
    repair_outcome: RepairOutcome | None
    follow_up_of: int | None


@dataclass(frozen=True)
class Figures:
    """The customer's numbers."""

    visits: int
    completed_visits: int
    ratings: int
    average_csat: float | None
    last_nps: int | None
    first_time_fix_rate: float | None
    open_complaints: int


@dataclass(frozen=True)
class CustomerRecord:
    customer: Customer
    tags: list[str]
    sites: list[Site]
    orders: list[Order]
    timeline: list[VisitEntry]
    ratings: list[Rating]
    complaints: list[Complaint]
    figures: Figures
    generated_at: dt.datetime = field(default_factory=utcnow)


def build_record(session: Session, customer_id: int) -> CustomerRecord:
    """Assemble the customer's record (a handful of queries, whatever the number of visits)."""
    customer = get_or_404(session, Customer, customer_id)
    visits = list(session.scalars(select(Visit).where(Visit.customer_id == customer_id)))
    ids = [v.id for v in visits]
    by_visit = _Grouped(session, ids)
    ratings = sorted(by_visit.ratings.values(), key=lambda r: (r.created_at, r.id))
    complaints = list(
        session.scalars(
            select(Complaint).where(Complaint.customer_id == customer_id).order_by(Complaint.id)
        )
    )
    timeline = sorted((by_visit.entry(v) for v in visits), key=lambda e: (e.when, e.visit.id))
    outcomes = [o for o in by_visit.outcomes.values() if not o.is_follow_up]
    with_nps = sorted((r for r in ratings if r.nps is not None), key=lambda r: r.updated_at)
    figures = Figures(
        visits=len(visits),
        completed_visits=sum(v.status == VisitStatus.COMPLETED for v in visits),
        ratings=len(ratings),
        average_csat=round(sum(r.csat for r in ratings) / len(ratings), 2) if ratings else None,
        last_nps=with_nps[-1].nps if with_nps else None,
        first_time_fix_rate=(
            round(sum(o.first_time_fix for o in outcomes) / len(outcomes), 3) if outcomes else None
        ),
        open_complaints=sum(c.is_open for c in complaints),
    )
    manual = [t for t in (customer.tags or []) if t not in DERIVED_TAGS]
    return CustomerRecord(
        customer=customer,
        tags=manual + derived_tags(ratings),
        sites=list(session.scalars(select(Site).where(Site.customer_id == customer_id))),
        orders=list(session.scalars(select(Order).where(Order.customer_id == customer_id))),
        timeline=timeline,
        ratings=ratings,
        complaints=complaints,
        figures=figures,
    )


def visit_entries(session: Session, visits: list[Visit]) -> dict[int, VisitEntry]:
    """Each visit with all its evidence (a handful of queries, whatever their number)."""
    grouped = _Grouped(session, [v.id for v in visits])
    return {v.id: grouped.entry(v) for v in visits}


class _Grouped:
    """The evidence of many visits, loaded with one query per kind and grouped by visit."""

    def __init__(self, session: Session, ids: list[int]) -> None:
        self.photos = photos_of_visits(session, ids)
        self.changes: dict[int, list[StatusStep]] = {}
        for change, name in session.execute(
            select(VisitStatusChange, User.name)
            .outerjoin(User, User.id == VisitStatusChange.actor_user_id)
            .where(VisitStatusChange.visit_id.in_(ids))
            .order_by(VisitStatusChange.at, VisitStatusChange.id)
        ):
            self.changes.setdefault(change.visit_id, []).append(StatusStep(change, name))
        self.notes = _group(
            session.scalars(
                select(VisitNote)
                .where(VisitNote.visit_id.in_(ids))
                .order_by(VisitNote.created_at, VisitNote.id)
            )
        )
        self.answers = _group(
            session.scalars(
                select(ChecklistAnswer)
                .where(ChecklistAnswer.visit_id.in_(ids))
                .order_by(ChecklistAnswer.id)
            )
        )
        self.signatures: dict[int, list[SignatureView]] = {}
        for signature, blob in signature_blobs(session, ids):
            self.signatures.setdefault(signature.visit_id, []).append(
                SignatureView(signature, blob)
            )
        self.ratings = {
            r.visit_id: r for r in session.scalars(select(Rating).where(Rating.visit_id.in_(ids)))
        }
        self.outcomes = {
            o.visit_id: o
            for o in session.scalars(select(RepairOutcome).where(RepairOutcome.visit_id.in_(ids)))
        }
        self.follow_ups = {
            link.follow_up_visit_id: link.original_visit_id
            for link in session.scalars(
                select(FollowUpLink).where(FollowUpLink.follow_up_visit_id.in_(ids))
            )
        }
        self.technicians: dict[int | None, str] = dict(
            session.execute(
                select(Technician.id, Technician.name).where(
                    Technician.id.in_(select(Visit.technician_id).where(Visit.id.in_(ids)))
                )
            ).all()
        )

    def entry(self, visit: Visit) -> VisitEntry:
        """The visit with its evidence."""
        return VisitEntry(
            visit=visit,
            technician_name=self.technicians.get(visit.technician_id),
            when=visit.planned_start or visit.window_start or visit.created_at,
            status_changes=self.changes.get(visit.id, []),
            notes=self.notes.get(visit.id, []),
            answers=self.answers.get(visit.id, []),
            photos=self.photos.get(visit.id, []),
            signatures=self.signatures.get(visit.id, []),
            rating=self.ratings.get(visit.id),
            repair_outcome=self.outcomes.get(visit.id),
            follow_up_of=self.follow_ups.get(visit.id),
        )


def _group(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.visit_id, []).append(row)
    return grouped
