"""Accounts, roles and bearer tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base
from app.models.base import Timestamped, enum_column


class Role(enum.StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language pages, errors and messages use for this person ("zh_CN", "en");
    # None follows the browser, then the DEFAULT_LOCALE setting.
    language: Mapped[str | None] = mapped_column(String(8))
    # Console cookies carry the epoch they were issued in; raising it signs out every copy.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    technician: Mapped[Technician | None] = relationship(back_populates="user")  # noqa: F821


class AuthToken(Base):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Set for tokens bound to a registered phone (see the sync protocol).
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def is_valid(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
