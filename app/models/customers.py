"""Customers, their sites and their orders."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, utcnow
from app.models.base import Versioned, enum_column

# What the company makes; an order is for one of these.
PRODUCT_LINES = ("kitchen", "wardrobe", "bedroom", "study", "bathroom")


class CustomerTier(enum.StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    VIP = "vip"


class OrderStage(enum.StrEnum):
    LEAD = "lead"
    MEASURE = "measure"
    DESIGN = "design"
    CONFIRMED = "confirmed"
    PRODUCTION = "production"
    INSTALL = "install"
    INSTALLED = "installed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Customer(Versioned, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    tier: Mapped[CustomerTier] = mapped_column(
        enum_column(CustomerTier), default=CustomerTier.STANDARD
    )
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    sites: Mapped[list[Site]] = relationship(back_populates="customer", order_by="Site.id")
    orders: Mapped[list[Order]] = relationship(back_populates="customer", order_by="Order.id")


class Site(Versioned, Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    access_notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="sites")


class Order(Versioned, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    product_line: Mapped[str] = mapped_column(String(80))
    stage: Mapped[OrderStage] = mapped_column(enum_column(OrderStage), default=OrderStage.LEAD)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    site: Mapped[Site | None] = relationship()


class CustomerAlert(Base):
    """A customer newly needing attention (tagged `churn_risk`) until someone acknowledges it."""

    __tablename__ = "customer_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # The tag the customer got (e.g. "churn_risk").
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    customer: Mapped[Customer] = relationship()
