"""SLA policies (targets per visit kind, priority and customer tier) and the alerts they raise."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow
from app.models.base import Timestamped, enum_column
from app.models.customers import CustomerTier
from app.models.visits import VisitKind


class SlaPolicy(Timestamped, Base):
    """Response and resolution targets; an empty kind, priority or tier matches any.

    The most specific active policy matching a visit applies (see app.services.sla).
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("kind", "priority", "tier"),
        CheckConstraint("priority IS NULL OR (priority >= 1 AND priority <= 5)", name="priority"),
        CheckConstraint("response_min > 0 AND resolution_min >= response_min", name="targets"),
        CheckConstraint("warn_before_min >= 0", name="warn_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[VisitKind | None] = mapped_column(enum_column(VisitKind, name="sla_kind"))
    priority: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[CustomerTier | None] = mapped_column(enum_column(CustomerTier, name="sla_tier"))
    # Minutes from the request (the visit's creation) to arrival on site, and to completion.
    response_min: Mapped[int] = mapped_column(Integer)
    resolution_min: Mapped[int] = mapped_column(Integer)
    # A clock turns to "warning" this long before its due time even when on track.
    warn_before_min: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AlertLevel(enum.StrEnum):
    WARNING = "warning"
    BREACH = "breach"


class SlaAlert(Base):
    """A warning (projected miss) or an escalation (breach), raised once per subject and level."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("subject", "subject_id", "target", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "visit" or "complaint"; no foreign key so one table serves both.
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    # "response" or "resolution" for visits; the complaint's stage for complaints.
    target: Mapped[str] = mapped_column(String(40))
    level: Mapped[AlertLevel] = mapped_column(enum_column(AlertLevel))
    due_at: Mapped[dt.datetime]
    projected_at: Mapped[dt.datetime | None]
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[dt.datetime | None]
