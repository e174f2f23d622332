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

M = TypeVar("M", bound=Base)


def get_or_404(session: Session, model: type[M], record_id: Any) -> M:
    """The record with this primary key, or NotFound naming its kind."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFoundError(f"{_label(model)} {record_id} does not exist")
    return record


def ensure_unique(session: Session, column: Any, value: Any, field: str) -> None:
    """Refuse a value already taken in a unique column, naming the field."""
    if session.scalar(select(column).where(column == value).limit(1)) is not None:
        raise Conflict(
            f"{field} {value!r} is already taken",
            code="already_exists",
            fields={field: ["already taken"]},
        )


def check_version(record: Any, expected: int | None) -> None:
    """Refuse a write based on a version other than the current one."""
    if expected is not None and expected != record.version:
        raise VersionConflict(
            f"{_label(type(record))} {record.id} is at version {record.version}, "
            f"the change was based on version {expected}",
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
            f"{_label(type(record))} is still referenced by other records and cannot be deleted",
            code="in_use",
        ) from exc


def _label(model: type) -> str:
    return model.__name__.lower()
