"""Shared column helpers for the models."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Enum, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.database import UTCDateTime, utcnow


def enum_column(enum_cls: type[enum.Enum], name: str | None = None) -> Enum:
    """A portable enum stored as its string value, checked by a constraint.

    `name` names the check constraint; give one when a table has two columns of one enum.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
        name=name or enum_cls.__name__.lower(),
    )


def new_uuid() -> str:
    return str(uuid.uuid4())


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Versioned(Timestamped):
    """A syncable row: its version changes on every write and guards concurrent updates."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:  # noqa: N805
        return {"version_id_col": cls.version}
