"""Completing a visit: the required checklist answers and photos must be there first.

`complete_visit` is the one way to complete a visit (API transition or sync push alike): it
records a repair's first-time fix and publishes `VisitCompleted`, which the rules react to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.events import VisitCompleted, publish
from app.i18n.text import N_, Join, Text
from app.models import (
    ChecklistAnswer,
    ChecklistTemplate,
    FollowUpLink,
    Photo,
    RepairOutcome,
    Signature,
    Visit,
    VisitKind,
    VisitStatus,
)
from app.services.visits import change_status


@dataclass(frozen=True)
class Missing:
    """One thing a visit still lacks before it may be completed."""

    item_key: str
    label: str
    reason: str
    # The reason as a translatable text (`reason` is its English wording, kept for the API).
    why: Text | None = None

    def text(self) -> Text:
        """ "label (reason)" for a message, both translated where the catalogue knows them."""
        return Text(
            N_("%(label)s (%(reason)s)"),
            {"label": Text(self.label), "reason": self.why or Text(self.reason)},
        )

    def as_dict(self) -> dict[str, str]:
        """The form sent in an error's details."""
        return {"item_key": self.item_key, "label": self.label, "reason": self.reason}


class CompletionBlocked(Conflict):
    code = "completion_requirements_missing"


def checklist_items(session: Session, visit: Visit) -> list[dict[str, Any]]:
    """The items of the active checklist templates for the visit's kind."""
    templates = session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.kind == visit.kind, ChecklistTemplate.active.is_(True)
        )
    )
    return [item for template in templates for item in template.items]


def missing_requirements(session: Session, visit: Visit) -> list[Missing]:
    """What the visit's checklist demands and the visit does not have yet."""
    answers = {
        a.item_key: a.value
        for a in session.scalars(
            select(ChecklistAnswer).where(ChecklistAnswer.visit_id == visit.id)
        )
    }
    missing: list[Missing] = []
    for item in checklist_items(session, visit):
        if not item.get("required", True):
            continue
        reason = _item_gap(session, visit, item, answers)
        if reason:
            missing.append(
                Missing(item["key"], item.get("label", item["key"]), str(reason), reason)
            )
    return missing


def _item_gap(
    session: Session, visit: Visit, item: dict[str, Any], answers: dict[str, Any]
) -> Text | None:
    kind = item.get("type")
    if kind == "photo":
        wanted = int(item.get("min_photos") or 1)
        have = _photo_count(session, visit, item)
        if have >= wanted:
            return None
        return Text(N_("needs %(wanted)s photo(s), has %(have)s"), {"wanted": wanted, "have": have})
    if kind == "signature":
        signed = session.scalar(
            select(func.count()).select_from(Signature).where(Signature.visit_id == visit.id)
        )
        return None if signed else Text(N_("needs the customer's signature"))
    value = answers.get(item["key"])
    if value is None or (isinstance(value, str) and not value.strip()):
        return Text(N_("needs an answer"))
    if kind == "boolean" and as_bool(value) is None:
        return Text(N_("needs yes or no"))
    if kind == "choice" and item.get("choices") and value not in item["choices"]:
        return Text(N_("needs one of: %(choices)s"), {"choices": ", ".join(item["choices"])})
    return None


def as_bool(value: Any) -> bool | None:
    """A yes/no answer as a boolean (phones send true/false, "yes"/"no" or 1/0)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "true", "1", "y", "是"):
            return True
        if text in ("no", "false", "0", "n", "否"):
            return False
    return None


def _photo_count(session: Session, visit: Visit, item: dict[str, Any]) -> int:
    stmt = select(func.count()).select_from(Photo).where(Photo.visit_id == visit.id)
    if item.get("photo_kind"):
        stmt = stmt.where(
            (Photo.kind == item["photo_kind"]) | (Photo.checklist_item_key == item["key"])
        )
    else:
        stmt = stmt.where(Photo.checklist_item_key == item["key"])
    return session.scalar(stmt) or 0


def complete_visit(
    session: Session,
    visit: Visit,
    *,
    actor_user_id: int | None,
    source: str = "api",
    device_time: dt.datetime | None = None,
) -> Visit:
    """Mark a visit completed, or refuse with the list of what is missing."""
    missing = missing_requirements(session, visit)
    if missing:
        raise CompletionBlocked(
            "visit %(visit)s cannot be completed yet: %(missing)s",
            params={"visit": visit.id, "missing": Join(tuple(m.text() for m in missing))},
            details={"missing": [m.as_dict() for m in missing]},
        )
    change_status(
        session,
        visit,
        VisitStatus.COMPLETED,
        actor_user_id=actor_user_id,
        source=source,
        device_time=device_time,
    )
    if visit.kind == VisitKind.REPAIR:
        record_repair_outcome(session, visit)
    publish(
        session,
        VisitCompleted(
            visit_id=visit.id,
            kind=str(visit.kind),
            customer_id=visit.customer_id,
            order_id=visit.order_id,
            actor_user_id=actor_user_id,
            source=source,
        ),
    )
    return visit


FIXED_ITEM_KEY = "fixed"


def record_repair_outcome(session: Session, visit: Visit) -> RepairOutcome | None:
    """Keep whether a completed repair fixed the fault, and whether that was the first time."""
    answer = session.scalar(
        select(ChecklistAnswer.value).where(
            ChecklistAnswer.visit_id == visit.id, ChecklistAnswer.item_key == FIXED_ITEM_KEY
        )
    )
    fixed = as_bool(answer)
    if fixed is None:
        # A repair template without the `fixed` question: nothing to measure.
        return None
    is_follow_up = (
        session.scalar(
            select(func.count())
            .select_from(FollowUpLink)
            .where(FollowUpLink.follow_up_visit_id == visit.id)
        )
        or 0
    ) > 0
    outcome = session.get(RepairOutcome, visit.id) or RepairOutcome(visit_id=visit.id)
    outcome.customer_id = visit.customer_id
    outcome.fixed = fixed
    outcome.is_follow_up = is_follow_up
    outcome.first_time_fix = fixed and not is_follow_up
    session.add(outcome)
    session.flush()
    return outcome
