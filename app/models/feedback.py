"""Closing the loop: photo bytes, rating links and verdicts, outgoing messages, complaints."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, utcnow
from app.models.base import Timestamped, Versioned, enum_column


class PhotoBlob(Base):
    """Verified image bytes, stored once under their SHA-256 whoever refers to them."""

    __tablename__ = "photo_blobs"
    __table_args__ = (
        CheckConstraint("gps_lat IS NULL OR (gps_lat >= -90 AND gps_lat <= 90)", name="gps_lat"),
        CheckConstraint("gps_lon IS NULL OR (gps_lon >= -180 AND gps_lon <= 180)", name="gps_lon"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # Taken from the bytes themselves, never from the file name or the declared type.
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None]
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    thumbnail_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UploadSession(Base):
    """A resumable upload of one blob: the client sends chunks at the offset the server has."""

    __tablename__ = "upload_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]


class RatingLink(Base):
    """The customer's invitation to rate one visit; the token is rebuilt from nonce + secret."""

    __tablename__ = "rating_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # Random; the token is nonce + HMAC(secret, nonce), so the table alone cannot forge links.
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    first_opened_at: Mapped[dt.datetime | None]


class Rating(Timestamped, Base):
    """The customer's one verdict on a visit (editable while its link lives)."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("csat >= 1 AND csat <= 5", name="csat_range"),
        CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    csat: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    edits: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_negative(self) -> bool:
        return self.csat <= 2 or (self.nps is not None and self.nps <= 6)


class RepairOutcome(Base):
    """Whether a repair visit fixed the fault, and whether it did so the first time."""

    __tablename__ = "repair_outcomes"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    fixed: Mapped[bool] = mapped_column(Boolean)
    # Only an original repair (not a follow-up) that fixed the fault counts as a first-time fix.
    is_follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    first_time_fix: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FollowUpLink(Base):
    """A visit created because an earlier one did not finish the job."""

    __tablename__ = "follow_up_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    follow_up_visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Makes writing the same message twice (a retried request) harmless.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The values a template channel (SMS, WeChat) fills its approved template with.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus), default=MessageStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class ComplaintStage(enum.StrEnum):
    REPORTED = "reported"
    ASSIGNED = "assigned"
    ROOT_CAUSE = "root_cause"
    CORRECTIVE_ACTION = "corrective_action"
    CUSTOMER_FEEDBACK = "customer_feedback"
    CLOSED = "closed"


class Complaint(Versioned, Base):
    """A customer's dissatisfaction, followed stage by stage until closed."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    rating_id: Mapped[int | None] = mapped_column(
        ForeignKey("ratings.id", ondelete="SET NULL"), unique=True
    )
    source: Mapped[str] = mapped_column(String(20), default="rating")
    summary: Mapped[str] = mapped_column(Text)
    stage: Mapped[ComplaintStage] = mapped_column(
        enum_column(ComplaintStage), default=ComplaintStage.REPORTED, index=True
    )
    # When the current stage must be moved on.
    due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cause_category: Mapped[str | None] = mapped_column(String(40))
    action_taken: Mapped[str | None] = mapped_column(Text)
    customer_answer: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None]

    history: Mapped[list[ComplaintStep]] = relationship(
        cascade="all, delete-orphan", order_by="ComplaintStep.id", back_populates="complaint"
    )

    @property
    def is_open(self) -> bool:
        return self.stage != ComplaintStage.CLOSED


class ComplaintStep(Base):
    """One move of a complaint: who moved it, when, and what they recorded."""

    __tablename__ = "complaint_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[ComplaintStage | None] = mapped_column(
        enum_column(ComplaintStage, name="from_stage")
    )
    to_stage: Mapped[ComplaintStage] = mapped_column(enum_column(ComplaintStage, name="to_stage"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="history")

