"""What a visit left behind: photos, checklist answers under their labels, signature, notes,
rating, repair outcome and the complaints it raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ChecklistAnswer, ChecklistTemplate, Complaint, Visit
from app.services.customer_record import VisitEntry, visit_entries


@dataclass(frozen=True)
class AnswerView:
    """A checklist answer under the label of its question (the key when the question is gone)."""

    key: str
    # The checklist's English label (a catalogue message id: pages translate it).
    label: str
    type: str
    value: Any
    answer: ChecklistAnswer


@dataclass(frozen=True)
class VisitEvidence:
    entry: VisitEntry
    answers: list[AnswerView]
    complaints: list[Complaint]

    @property
    def empty(self) -> bool:
        """Whether the visit left nothing to show yet."""
        e = self.entry
        return not (
            e.photos or e.signatures or e.notes or self.answers or e.rating or self.complaints
        )


def visit_evidence(session: Session, visit: Visit) -> VisitEvidence:
    """The evidence of one visit, answers in the order of its checklist."""
    entry = visit_entries(session, [visit])[visit.id]
    return VisitEvidence(
        entry=entry,
        answers=labelled_answers(session, visit, entry.answers),
        complaints=list(
            session.scalars(
                select(Complaint).where(Complaint.visit_id == visit.id).order_by(Complaint.id)
            )
        ),
    )


def labelled_answers(
    session: Session, visit: Visit, answers: list[ChecklistAnswer]
) -> list[AnswerView]:
    """Answers with their questions' labels: checklist order first, unknown keys last."""
    items: dict[str, dict[str, Any]] = {}
    for template in session.scalars(
        select(ChecklistTemplate)
        .where(ChecklistTemplate.kind == visit.kind)
        .order_by(ChecklistTemplate.active.desc(), ChecklistTemplate.id.desc())
    ):
        for item in template.items or []:
            items.setdefault(item["key"], item)
    order = {key: position for position, key in enumerate(items)}
    views = [
        AnswerView(
            key=a.item_key,
            label=items.get(a.item_key, {}).get("label") or a.item_key,
            type=items.get(a.item_key, {}).get("type", "text"),
            value=a.value,
            answer=a,
        )
        for a in answers
    ]
    return sorted(views, key=lambda v: (order.get(v.key, len(order)), v.key))
