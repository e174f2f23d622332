"""The complaint loop: reported → assigned → root cause → corrective action → customer feedback
→ closed. Each stage demands its fields, has a due time, and every move is kept in history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import InvalidTransition, ValidationFailed
from app.events import ComplaintAdvanced, ComplaintOpened, publish
from app.i18n.catalog import render
from app.i18n.labels import label_id
from app.i18n.text import N_, Text
from app.models import (
    Complaint,
    ComplaintStage,
    ComplaintStep,
    Customer,
    Rating,
    Role,
    User,
)
from app.services.outbox import Draft, queue_message
from app.services.records import get_or_404

STAGES = list(ComplaintStage)
CAUSE_CATEGORIES = (
    "workmanship",
    "product_defect",
    "delivery_damage",
    "late_or_no_show",
    "communication",
    "pricing",
    "other",
)


@dataclass(frozen=True)
class StageRule:
    """What moving *into* a stage demands, and how long the stage may last."""

    required: tuple[str, ...]
    hours_to_finish: int | None


STAGE_RULES: dict[ComplaintStage, StageRule] = {
    ComplaintStage.REPORTED: StageRule((), 4),
    ComplaintStage.ASSIGNED: StageRule(("owner_user_id",), 48),
    ComplaintStage.ROOT_CAUSE: StageRule(("cause_category",), 72),
    ComplaintStage.CORRECTIVE_ACTION: StageRule(("action_taken",), 72),
    ComplaintStage.CUSTOMER_FEEDBACK: StageRule(("customer_answer",), 24),
    ComplaintStage.CLOSED: StageRule((), None),
}
STAGE_FIELDS = ("owner_user_id", "cause_category", "action_taken", "customer_answer")


def next_stage(stage: ComplaintStage) -> ComplaintStage | None:
    """The only stage a complaint may move to from `stage` (None once closed)."""
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def _due(stage: ComplaintStage, at: dt.datetime) -> dt.datetime | None:
    hours = STAGE_RULES[stage].hours_to_finish
    return at + dt.timedelta(hours=hours) if hours is not None else None


def open_complaint(
    session: Session,
    *,
    customer_id: int,
    summary: str,
    visit_id: int | None = None,
    rating_id: int | None = None,
    source: str = "manual",
    actor_user_id: int | None = None,
) -> Complaint:
    """Open a complaint at stage `reported`, due to be assigned within hours."""
    get_or_404(session, Customer, customer_id)
    now = utcnow()
    complaint = Complaint(
        customer_id=customer_id,
        visit_id=visit_id,
        rating_id=rating_id,
        source=source,
        summary=summary,
        stage=ComplaintStage.REPORTED,
        due_at=_due(ComplaintStage.REPORTED, now),
    )
    complaint.history.append(
        ComplaintStep(
            from_stage=None,
            to_stage=ComplaintStage.REPORTED,
            actor_user_id=actor_user_id,
            at=now,
            due_at=complaint.due_at,
            fields={},
            note=summary,
        )
    )
    session.add(complaint)
    session.flush()
    publish(session, ComplaintOpened(complaint_id=complaint.id, customer_id=customer_id))
    return complaint


def advance(
    session: Session,
    complaint: Complaint,
    to: ComplaintStage,
    *,
    fields: dict[str, Any] | None = None,
    note: str | None = None,
    actor_user_id: int | None,
) -> ComplaintStep:
    """Move a complaint one stage on, with the fields that stage demands; skips are refused."""
    fields = {k: v for k, v in (fields or {}).items() if v is not None}
    expected = next_stage(complaint.stage)
    if to != expected:
        refusal = (
            N_("complaint %(complaint)s is at %(stage)s; the next stage is %(next)s")
            if expected
            else N_("complaint %(complaint)s is at %(stage)s; it is closed")
        )
        raise InvalidTransition(
            refusal,
            params={"complaint": complaint.id, "stage": complaint.stage, "next": expected},
            details={"from": str(complaint.stage), "to": str(to), "next": expected},
        )
    _check_fields(session, to, fields)
    now = utcnow()
    previous = complaint.stage
    for name in STAGE_FIELDS:
        if name in fields:
            setattr(complaint, name, fields[name])
    complaint.stage = to
    complaint.due_at = _due(to, now)
    if to == ComplaintStage.CLOSED:
        complaint.closed_at = now
    step = ComplaintStep(
        from_stage=previous,
        to_stage=to,
        actor_user_id=actor_user_id,
        at=now,
        due_at=complaint.due_at,
        fields={k: fields[k] for k in STAGE_FIELDS if k in fields},
        note=note,
    )
    complaint.history.append(step)
    session.flush()
    publish(
        session,
        ComplaintAdvanced(
            complaint_id=complaint.id,
            customer_id=complaint.customer_id,
            step_id=step.id,
            to_stage=str(to),
        ),
    )
    return step


def _check_fields(session: Session, to: ComplaintStage, fields: dict[str, Any]) -> None:
    errors = {
        name: [f"required to move to {to}"]
        for name in STAGE_RULES[to].required
        if fields.get(name) in (None, "")
    }
    if "cause_category" in fields and fields["cause_category"] not in CAUSE_CATEGORIES:
        errors["cause_category"] = ["one of: " + ", ".join(CAUSE_CATEGORIES)]
    if "owner_user_id" in fields:
        owner = session.get(User, fields["owner_user_id"])
        if owner is None or not owner.active or owner.role == Role.TECHNICIAN:
            errors["owner_user_id"] = ["must be an active admin or dispatcher"]
    if errors:
        raise ValidationFailed(
            "moving the complaint to %(stage)s needs more", params={"stage": to}, fields=errors
        )


def default_owner(session: Session, settings: Settings) -> User | None:
    """Who takes automatically opened complaints: the configured user, else the first admin."""
    if settings.complaint_owner_email:
        owner = session.scalar(
            select(User).where(User.email == settings.complaint_owner_email, User.active.is_(True))
        )
        if owner is not None:
            return owner
    for role in (Role.ADMIN, Role.DISPATCHER):
        owner = session.scalar(
            select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
        )
        if owner is not None:
            return owner
    return None


def open_for_rating(session: Session, settings: Settings, rating: Rating) -> Complaint | None:
    """Open and assign a complaint for a negative verdict, once per rating."""
    if session.scalar(select(Complaint.id).where(Complaint.rating_id == rating.id)):
        return None
    nps = f", NPS {rating.nps}" if rating.nps is not None else ""
    comment = f": {rating.comment}" if rating.comment else ""
    complaint = open_complaint(
        session,
        customer_id=rating.customer_id,
        visit_id=rating.visit_id,
        rating_id=rating.id,
        source="rating",
        summary=f"Customer rated visit {rating.visit_id} CSAT {rating.csat}{nps}{comment}",
    )
    owner = default_owner(session, settings)
    if owner is not None:
        advance(
            session,
            complaint,
            ComplaintStage.ASSIGNED,
            fields={"owner_user_id": owner.id},
            note="assigned automatically",
            actor_user_id=None,
        )
    return complaint


def is_overdue(complaint: Complaint, now: dt.datetime | None = None) -> bool:
    """Whether the complaint's current stage is past its due time."""
    return complaint.due_at is not None and complaint.due_at < (now or utcnow())


def notify_owner(session: Session, settings: Settings, complaint: Complaint, step_id: int,
                 *, actor_user_id: int | None) -> bool:
    """Tell the complaint's owner what moved (not when they moved it themselves); False if not."""
    owner = session.get(User, complaint.owner_user_id) if complaint.owner_user_id else None
    if owner is None or not owner.active or not owner.email or owner.id == actor_user_id:
        return False
    locale = owner.language or settings.default_locale
    stage = Text(label_id("complaint_stage", complaint.stage))
    due = f"{complaint.due_at:%Y-%m-%d %H:%M} UTC" if complaint.due_at else "-"
    queue_message(
        session,
        settings,
        Draft(
            dedupe_key=f"complaint:{complaint.id}:step:{step_id}:owner",
            topic="complaint_owner",
            channel="email",
            recipient=owner.email,
            subject=render(
                Text(
                    N_("Complaint %(complaint)s is at %(stage)s"),
                    {"complaint": complaint.id, "stage": stage},
                ),
                locale,
            ),
            body=render(
                Text(
                    N_(
                        "%(name)s, complaint %(complaint)s (%(summary)s) is now at %(stage)s "
                        "and yours; the next step is due %(due)s."
                    ),
                    {
                        "name": owner.name,
                        "complaint": complaint.id,
                        "summary": complaint.summary[:200],
                        "stage": stage,
                        "due": due,
                    },
                ),
                locale,
            ),
            customer_id=complaint.customer_id,
        ),
    )
    return True
