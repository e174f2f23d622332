"""The complaint workbench: open complaints by stage and due time, and what each next stage asks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Complaint, ComplaintStage, Customer, Role, User
from app.services.complaints import STAGE_RULES, next_stage
from app.services.sla.clocks import Clock, ClockState, complaint_clock

OPEN_STAGES = [s for s in ComplaintStage if s != ComplaintStage.CLOSED]
RECENTLY_CLOSED = 20


@dataclass(frozen=True)
class ComplaintCard:
    complaint: Complaint
    customer_name: str
    owner_name: str | None
    clock: Clock | None
    next_stage: ComplaintStage | None


@dataclass(frozen=True)
class StageColumn:
    stage: ComplaintStage
    cards: list[ComplaintCard]
    overdue: int


@dataclass(frozen=True)
class Workbench:
    columns: list[StageColumn]
    closed: list[ComplaintCard]


def workbench(
    session: Session, now: dt.datetime, *, warn_before_min: int, owner_user_id: int | None = None
) -> Workbench:
    """Open complaints per stage, the soonest due first; the latest closed ones apart."""
    stmt = select(Complaint, Customer.name).join(Customer, Customer.id == Complaint.customer_id)
    if owner_user_id is not None:
        stmt = stmt.where(Complaint.owner_user_id == owner_user_id)
    open_rows = session.execute(
        stmt.where(Complaint.stage != ComplaintStage.CLOSED).order_by(
            Complaint.due_at.is_(None), Complaint.due_at, Complaint.id
        )
    ).all()
    closed_rows = session.execute(
        stmt.where(Complaint.stage == ComplaintStage.CLOSED)
        .order_by(Complaint.closed_at.desc(), Complaint.id.desc())
        .limit(RECENTLY_CLOSED)
    ).all()
    names = _user_names(session)

    def card(complaint: Complaint, customer_name: str) -> ComplaintCard:
        return ComplaintCard(
            complaint=complaint,
            customer_name=customer_name,
            owner_name=names.get(complaint.owner_user_id),
            clock=complaint_clock(complaint, now, warn_before_min),
            next_stage=next_stage(complaint.stage),
        )

    columns = []
    for stage in OPEN_STAGES:
        cards = [card(c, n) for c, n in open_rows if c.stage == stage]
        overdue = sum(1 for k in cards if k.clock and k.clock.state == ClockState.BREACHED)
        columns.append(StageColumn(stage, cards, overdue))
    return Workbench(columns=columns, closed=[card(c, n) for c, n in closed_rows])


def required_fields(stage: ComplaintStage | None) -> tuple[str, ...]:
    """The fields moving into `stage` demands (none past closed)."""
    return STAGE_RULES[stage].required if stage is not None else ()


def possible_owners(session: Session) -> list[User]:
    """Who may own a complaint: active admins and dispatchers."""
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_((Role.ADMIN, Role.DISPATCHER)))
            .order_by(User.name)
        )
    )


def _user_names(session: Session) -> dict[int | None, str]:
    return dict(session.execute(select(User.id, User.name)).all())
