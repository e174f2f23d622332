"""Visits, their status state machine, and what technicians record on them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.database import Base, utcnow
from app.models.base import Timestamped, Versioned, enum_column


class VisitKind(enum.StrEnum):
    MEASURE = "measure"
    INSTALL = "install"
    REPAIR = "repair"


class VisitStatus(enum.StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    CANCELLED = "cancelled"


class LockState(enum.StrEnum):
    NONE = "none"
    TECHNICIAN = "technician"
    TIME = "time"
    TECHNICIAN_TIME = "technician_time"
    IN_PROGRESS = "in_progress"


# The one visit state machine: every status change goes through `allowed_next`.
FINAL_STATUSES = frozenset({VisitStatus.COMPLETED, VisitStatus.INCOMPLETE, VisitStatus.CANCELLED})
OPEN_STATUSES = frozenset(set(VisitStatus) - FINAL_STATUSES)
# Unscheduling: a scheduled or dispatched visit nobody has set off for goes back to `new`, its
# technician, planned start and lock cleared (see `clears_schedule`), to be planned again.
_FORWARD: dict[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.NEW: frozenset({VisitStatus.SCHEDULED}),
    VisitStatus.SCHEDULED: frozenset({VisitStatus.DISPATCHED, VisitStatus.NEW}),
    VisitStatus.DISPATCHED: frozenset({VisitStatus.EN_ROUTE, VisitStatus.NEW}),
    VisitStatus.EN_ROUTE: frozenset({VisitStatus.ON_SITE}),
    VisitStatus.ON_SITE: frozenset({VisitStatus.COMPLETED, VisitStatus.INCOMPLETE}),
}
STATUS_ORDER = {status: rank for rank, status in enumerate(VisitStatus)}


def allowed_next(status: VisitStatus) -> frozenset[VisitStatus]:
    """The statuses a visit in `status` may move to; empty once final."""
    if status in FINAL_STATUSES:
        return frozenset()
    return _FORWARD.get(status, frozenset()) | {VisitStatus.CANCELLED}


def clears_schedule(from_status: VisitStatus, to: VisitStatus) -> bool:
    """True for the unscheduling moves: the visit loses its technician, time and lock."""
    return to == VisitStatus.NEW and from_status in (VisitStatus.SCHEDULED, VisitStatus.DISPATCHED)


class Visit(Versioned, Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("priority >= 1 AND priority <= 5", name="priority_range"),
        CheckConstraint("duration_min > 0 AND duration_min <= 1440", name="duration_range"),
        CheckConstraint(
            "window_end IS NULL OR window_start IS NULL OR window_end > window_start",
            name="window_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[VisitKind] = mapped_column(enum_column(VisitKind), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    duration_min: Mapped[int] = mapped_column(Integer, default=60)
    # active_history: a change keeps the value it replaced, even if that was never read, so the
    # window the customer was told can be compared with the new one (see `services.visits`).
    window_start: Mapped[dt.datetime | None] = mapped_column(active_history=True)
    window_end: Mapped[dt.datetime | None] = mapped_column(active_history=True)
    sla_due: Mapped[dt.datetime | None]
    sla_hard: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True)
    planned_start: Mapped[dt.datetime | None] = mapped_column(index=True, active_history=True)
    lock: Mapped[LockState] = mapped_column(enum_column(LockState), default=LockState.NONE)
    status: Mapped[VisitStatus] = mapped_column(
        enum_column(VisitStatus), default=VisitStatus.NEW, index=True, active_history=True
    )
    status_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # An install waits for its measure: at least `depends_min_days` days after it.
    depends_on_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    depends_min_days: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)
    # The visit's version when a dispatcher-owned field last changed (see `note_schedule_edits`):
    # a back-office edit based on an older version merges over technician-only changes.
    schedule_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    customer: Mapped[Customer] = relationship()  # noqa: F821
    site: Mapped[Site] = relationship()  # noqa: F821
    order: Mapped[Order | None] = relationship()  # noqa: F821
    technician: Mapped[Technician | None] = relationship()  # noqa: F821
    required_skills: Mapped[list[VisitSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    status_changes: Mapped[list[VisitStatusChange]] = relationship(
        cascade="all, delete-orphan", order_by="VisitStatusChange.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# Fields the dispatcher owns; everything a phone changes (status through execution, notes,
# answers, photos, signatures) is the technician's. See docs/sync.md, "Conflict rules".
DISPATCHER_FIELDS = frozenset(
    {
        "kind",
        "customer_id",
        "site_id",
        "order_id",
        "duration_min",
        "window_start",
        "window_end",
        "sla_due",
        "sla_hard",
        "priority",
        "technician_id",
        "planned_start",
        "lock",
        "depends_on_visit_id",
        "depends_min_days",
        "description",
        "required_skills",
    }
)


def note_schedule_edits(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush, stamp visits whose dispatcher-owned fields change with their next version."""
    for obj in session.dirty:
        if isinstance(obj, Visit) and _schedule_changed(obj):
            obj.schedule_version = obj.version + 1


def _schedule_changed(visit: Visit) -> bool:
    state = inspect(visit)
    return any(state.attrs[name].history.has_changes() for name in DISPATCHER_FIELDS)


def install_schedule_tracking() -> None:
    """Register `note_schedule_edits` on every session (idempotent)."""
    if not event.contains(Session, "before_flush", note_schedule_edits):
        event.listen(Session, "before_flush", note_schedule_edits)


class VisitSkill(Base):
    __tablename__ = "visit_skills"
    __table_args__ = (CheckConstraint("min_level >= 1 AND min_level <= 5", name="level_range"),)

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer, default=1)

    skill: Mapped[Skill] = relationship(lazy="joined")  # noqa: F821


class VisitStatusChange(Base):
    """Who moved a visit from one status to another, and when (server time)."""

    __tablename__ = "visit_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[VisitStatus | None] = mapped_column(
        enum_column(VisitStatus, name="from_status")
    )
    to_status: Mapped[VisitStatus] = mapped_column(enum_column(VisitStatus, name="to_status"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20), default="api")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The phone's own clock, kept for the record and never used for ordering.
    device_time: Mapped[dt.datetime | None]


class ChecklistTemplate(Versioned, Base):
    """The questions a visit of one kind must answer before it can be completed."""

    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[VisitKind] = mapped_column(enum_column(VisitKind), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # [{"key": "room_width_cm", "label": "...", "type": "number", "required": true}, ...]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VisitNote(Timestamped, Base):
    """An append-only note; the id is generated by the phone so retries are harmless."""

    __tablename__ = "visit_notes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    device_time: Mapped[dt.datetime | None]


class ChecklistAnswer(Versioned, Base):
    __tablename__ = "checklist_answers"
    __table_args__ = (UniqueConstraint("visit_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_time: Mapped[dt.datetime | None]


class PhotoKind(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"
    DAMAGE = "damage"
    SIGNATURE = "signature"
    WALL = "wall"
    OTHER = "other"


class Photo(Timestamped, Base):
    """Photo metadata; the bytes are content-addressed by SHA-256 and may arrive later."""

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint("gps_lat IS NULL OR (gps_lat >= -90 AND gps_lat <= 90)", name="gps_lat"),
        CheckConstraint("gps_lon IS NULL OR (gps_lon >= -180 AND gps_lon <= 180)", name="gps_lon"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[PhotoKind] = mapped_column(enum_column(PhotoKind), default=PhotoKind.OTHER)
    caption: Mapped[str | None] = mapped_column(String(300))
    # For checklist items that ask for a photo (e.g. each wall of a measured room).
    checklist_item_key: Mapped[str | None] = mapped_column(String(80))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_time: Mapped[dt.datetime | None]
    taken_at: Mapped[dt.datetime | None]
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)


class Signature(Timestamped, Base):
    """The customer's signature on a visit: the image is a photo blob of kind `signature`."""

    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    captured_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_time: Mapped[dt.datetime | None]
