"""What customers do themselves: their message preferences, progress links, change requests and
self-service repair requests, and the dated history of an order's stages."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow
from app.models.base import enum_column
from app.models.customers import OrderStage


class CustomerPreference(Base):
    """How a customer wants to hear from us: language, channel, or not at all."""

    __tablename__ = "customer_preferences"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    # One of the product's locales (zh_CN, en); none means the service's default.
    language: Mapped[str | None] = mapped_column(String(8))
    # email, sms or wechat; none means e-mail when we have an address, else SMS.
    channel: Mapped[str | None] = mapped_column(String(10))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderStageChange(Base):
    """When an order reached a stage (its progress page dates the stages from these)."""

    __tablename__ = "order_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[OrderStage | None] = mapped_column(
        enum_column(OrderStage, name="from_order_stage")
    )
    to_stage: Mapped[OrderStage] = mapped_column(enum_column(OrderStage, name="to_order_stage"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProgressLink(Base):
    """The customer's link to follow one order; the token is rebuilt from nonce + secret."""

    __tablename__ = "progress_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Pushed forward each time the link is sent again (a new stage, a new visit).
    expires_at: Mapped[dt.datetime]
    first_opened_at: Mapped[dt.datetime | None]


class ChangeKind(enum.StrEnum):
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ChangeRequest(Base):
    """A customer's request to move or cancel a visit; a dispatcher confirms or declines it."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind))
    status: Mapped[ChangeStatus] = mapped_column(
        enum_column(ChangeStatus), default=ChangeStatus.PENDING, index=True
    )
    # The window the customer picked (reschedule only).
    window_start: Mapped[dt.datetime | None]
    window_end: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)


class RepairRequest(Base):
    """A repair the customer asked for themselves; its visit starts in `new`."""

    __tablename__ = "repair_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    # [{"start": iso, "end": iso}, ...]: the windows the customer proposed, best first.
    proposed_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # "progress" (from the order's progress page) or "public" (the /request link or QR code).
    channel: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # Set when a dispatcher has looked at the request in the inbox.
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
