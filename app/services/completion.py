"""Completing a visit: the required checklist answers and photos must be there first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import (
    ChecklistAnswer,
    ChecklistTemplate,
    Photo,
    Signature,
    Visit,
    VisitStatus,
)
from app.services.visits import change_status


@dataclass(frozen=True)
class Missing:
    """One thing a visit still lacks before it may be completed."""

    item_key: str
    label: str
    reason: str

    def as_dict(self) -> dict[str, str]:
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
            missing.append(Missing(item["key"], item.get("label", item["key"]), reason))
    return missing


def _item_gap(
    session: Session, visit: Visit, item: dict[str, Any], answers: dict[str, Any]
) -> str | None:
    kind = item.get("type")
    if kind == "photo":
        wanted = int(item.get("min_photos") or 1)
        have = _photo_count(session, visit, item)
        return None if have >= wanted else f"needs {wanted} photo(s), has {have}"
    if kind == "signature":
        signed = session.scalar(
            select(func.count()).select_from(Signature).where(Signature.visit_id == visit.id)
        )
        return None if signed else "needs the customer's signature"
    value = answers.get(item["key"])
    if value is None or (isinstance(value, str) and not value.strip()):
        return "needs an answer"
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
            f"visit {visit.id} cannot be completed yet: "
            + "; ".join(f"{m.label} ({m.reason})" for m in missing),
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
    return visit
