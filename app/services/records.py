"""Generic record access: fetch-or-404, versioned updates, safe deletes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import Base
from app.errors import Conflict, VersionConflict
from app.errors import NotFound as NotFoundError
from app.i18n.labels import record_kind
from app.i18n.text import Text

M = TypeVar("M", bound=Base)


def get_or_404(session: Session, model: type[M], record_id: Any) -> M:
    """The record with this primary key, or NotFound naming its kind."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFoundError(
            "%(kind)s %(id)s does not exist", params={"kind": _label(model), "id": record_id}
        )
    return record


def ensure_unique(session: Session, column: Any, value: Any, field: str) -> None:
    """Refuse a value already taken in a unique column, naming the field."""
    if session.scalar(select(column).where(column == value).limit(1)) is not None:
        raise Conflict(
            "%(field)s %(value)r is already taken",
            params={"field": field, "value": value},
            code="already_exists",
            fields={field: ["already taken"]},
        )


def check_version(record: Any, expected: int | None) -> None:
    """Refuse a write based on a version other than the current one."""
    if expected is not None and expected != record.version:
        raise VersionConflict(
            "%(kind)s %(id)s is at version %(current)s, the change was based on version "
            "%(expected)s",
            params={
                "kind": _label(type(record)),
                "id": record.id,
                "current": record.version,
                "expected": expected,
            },
            details={"current_version": record.version},
        )


def apply_changes(record: M, changes: Mapping[str, Any]) -> M:
    """Set the given attributes on the record."""
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def delete_record(session: Session, record: Base) -> None:
    """Delete a record; one still referenced elsewhere is a conflict, not a crash."""
    try:
        with session.begin_nested():
            session.delete(record)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "%(kind)s is still referenced by other records and cannot be deleted",
            params={"kind": _label(type(record))},
            code="in_use",
        ) from exc


def _label(model: type) -> Text:
    return Text(record_kind(model.__name__))
