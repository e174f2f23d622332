"""Execution-side use cases a technician performs on a visit: travel, arrival, completion, notes,
checklist answers, photo metadata and signatures.

Each takes a session and explicit ids and only flushes; the caller commits. Notes, photos and
signatures are append-only records keyed by ids the phone generated, so replays are harmless.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidTransition, ValidationFailed
from app.i18n.text import Text
from app.models import (
    ChecklistAnswer,
    Photo,
    PhotoKind,
    Signature,
    Visit,
    VisitNote,
    VisitStatus,
)
from app.models.visits import FINAL_STATUSES, STATUS_ORDER
from app.services import photos
from app.services.completion import checklist_items, complete_visit
from app.services.photos import PhotoMetadata
from app.services.visits import change_status

# The steps a technician walks through; dispatching is the dispatcher's.
_EXECUTION_PATH = (VisitStatus.DISPATCHED, VisitStatus.EN_ROUTE, VisitStatus.ON_SITE)


@dataclass(frozen=True)
class Actor:
    """Who performs field work and with what device clock (stored, never used to order)."""

    user_id: int | None
    device_time: dt.datetime | None = None
    source: str = "mobile"


def advance(session: Session, visit: Visit, target: VisitStatus, actor: Actor) -> bool:
    """Move a visit forward to `target` through the execution steps; False if already there.

    Status only moves forward: a visit already at or past `target` stays as it is.
    """
    if visit.status == target or (
        visit.status not in FINAL_STATUSES and STATUS_ORDER[visit.status] > STATUS_ORDER[target]
    ):
        return False
    if visit.status in FINAL_STATUSES and target not in FINAL_STATUSES:
        if visit.status == VisitStatus.CANCELLED:
            raise InvalidTransition(
                "visit %(visit)s is cancelled", params={"visit": visit.id}, code="visit_cancelled"
            )
        return False
    if visit.status not in _EXECUTION_PATH:
        raise InvalidTransition(
            "visit %(visit)s is %(status)s; it must be dispatched before field work",
            params={"visit": visit.id, "status": visit.status},
            code="visit_not_dispatched",
            details={"status": str(visit.status)},
        )
    for step in _EXECUTION_PATH[_EXECUTION_PATH.index(visit.status) + 1 :]:
        if STATUS_ORDER[step] > STATUS_ORDER[target]:
            break
        change_status(
            session,
            visit,
            step,
            actor_user_id=actor.user_id,
            source=actor.source,
            device_time=actor.device_time,
        )
    return True


def start_travel(session: Session, visit: Visit, actor: Actor) -> bool:
    """The technician set off for the visit."""
    return advance(session, visit, VisitStatus.EN_ROUTE, actor)


def arrive(session: Session, visit: Visit, actor: Actor) -> bool:
    """The technician arrived on site."""
    return advance(session, visit, VisitStatus.ON_SITE, actor)


def complete(session: Session, visit: Visit, actor: Actor) -> bool:
    """Complete the visit (walking through arrival if skipped); False if already completed."""
    if visit.status == VisitStatus.COMPLETED:
        return False
    advance(session, visit, VisitStatus.ON_SITE, actor)
    complete_visit(
        session,
        visit,
        actor_user_id=actor.user_id,
        source=actor.source,
        device_time=actor.device_time,
    )
    return True


def mark_incomplete(session: Session, visit: Visit, reason: str, actor: Actor) -> bool:
    """The work could not be finished on site; the reason is kept as a note."""
    if visit.status == VisitStatus.INCOMPLETE:
        return False
    advance(session, visit, VisitStatus.ON_SITE, actor)
    change_status(
        session,
        visit,
        VisitStatus.INCOMPLETE,
        actor_user_id=actor.user_id,
        source=actor.source,
        device_time=actor.device_time,
    )
    session.add(
        VisitNote(
            id=str(uuid.uuid4()),
            visit_id=visit.id,
            author_user_id=actor.user_id,
            body=f"Incomplete: {reason}",
            device_time=actor.device_time,
        )
    )
    session.flush()
    return True


def add_note(session: Session, visit: Visit, note_id: str, body: str, actor: Actor) -> VisitNote:
    """Append a note; replaying the same note id with the same text changes nothing."""
    note = VisitNote(
        id=note_id,
        visit_id=visit.id,
        author_user_id=actor.user_id,
        body=body,
        device_time=actor.device_time,
    )
    return _append_once(session, note, same=("visit_id", "body"))


def _append_once(session: Session, record: Any, *, same: tuple[str, ...]) -> Any:
    """Add an append-only record keyed by a device-made UUID, once.

    A replay with the same id and the same content returns the stored record; the same id
    with other content is refused, so a retried push is harmless and a reused id is caught.
    """
    existing = session.get(type(record), record.id)
    if existing is None:
        session.add(record)
        session.flush()
        return record
    if any(getattr(existing, name) != getattr(record, name) for name in same):
        label = type(record).__name__.lower().removeprefix("visit")
        raise Conflict(
            "%(kind)s id %(id)s is already used",
            params={"kind": Text(label), "id": record.id},
            code="id_taken",
        )
    return existing


def set_answer(
    session: Session, visit: Visit, item_key: str, value: Any, actor: Actor
) -> ChecklistAnswer:
    """Set (or change) the answer to one checklist item of the visit."""
    items = {item["key"]: item for item in checklist_items(session, visit)}
    item = items.get(item_key)
    if item is None:
        raise ValidationFailed(
            "the checklist of visit %(visit)s has no item %(item)r",
            params={"visit": visit.id, "item": item_key},
            code="unknown_checklist_item",
            fields={"item_key": ["not an item of this visit's checklist"]},
        )
    _check_answer_type(item, value)
    answer = session.scalar(
        select(ChecklistAnswer).where(
            ChecklistAnswer.visit_id == visit.id, ChecklistAnswer.item_key == item_key
        )
    )
    if answer is None:
        answer = ChecklistAnswer(visit_id=visit.id, item_key=item_key)
        session.add(answer)
    answer.value = value
    answer.answered_by_user_id = actor.user_id
    answer.device_time = actor.device_time
    session.flush()
    return answer


_ANSWER_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "choice": (str,),
}


def _check_answer_type(item: dict[str, Any], value: Any) -> None:
    wanted = _ANSWER_TYPES.get(item.get("type", "text"))
    bad_type = wanted is not None and (
        not isinstance(value, wanted) or (bool not in wanted and isinstance(value, bool))
    )
    choices = item.get("choices")
    if bad_type or (item.get("type") == "choice" and choices and value not in choices):
        raise ValidationFailed(
            "%(value)r is not a valid answer to %(item)r (%(type)s)",
            params={"value": value, "item": item["key"], "type": item.get("type")},
            code="invalid_answer",
            fields={"value": [f"expected a {item.get('type')} answer"]},
        )


def attach_photo(
    session: Session, visit: Visit, photo_id: str, data: dict[str, Any], actor: Actor
) -> Photo:
    """Record a photo's metadata (the bytes are uploaded separately, addressed by SHA-256).

    Delegates to the photo service, so metadata from a phone and from the back office follow
    one set of rules (idempotent on the id; EXIF facts filled in when the bytes are here).
    """
    meta = PhotoMetadata(
        id=photo_id,
        visit_id=visit.id,
        sha256=data["sha256"],
        kind=PhotoKind(data.get("kind") or PhotoKind.OTHER),
        caption=data.get("caption"),
        checklist_item_key=data.get("checklist_item_key"),
        taken_at=data.get("taken_at"),
        device_time=actor.device_time,
        gps_lat=data.get("gps_lat"),
        gps_lon=data.get("gps_lon"),
    )
    return photos.attach_photo(session, meta, user_id=actor.user_id)


def capture_signature(
    session: Session,
    visit: Visit,
    signature_id: str,
    signer_name: str,
    sha256: str | None,
    actor: Actor,
) -> Signature:
    """Record the customer's signature on the visit (once per signature id)."""
    signature = Signature(
        id=signature_id,
        visit_id=visit.id,
        signer_name=signer_name,
        sha256=sha256,
        captured_by_user_id=actor.user_id,
        device_time=actor.device_time,
    )
    return _append_once(session, signature, same=("visit_id", "signer_name"))
