"""Skills, depots and technicians with their working patterns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base
from app.models.base import Timestamped, Versioned

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Skill(Timestamped, Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Depot(Timestamped, Base):
    __tablename__ = "depots"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class TechnicianSkill(Base):
    __tablename__ = "technician_skills"
    __table_args__ = (CheckConstraint("level >= 1 AND level <= 5", name="level_range"),)

    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=1)

    skill: Mapped[Skill] = relationship(lazy="joined")


class Technician(Versioned, Base):
    __tablename__ = "technicians"
    __table_args__ = (
        CheckConstraint("home_lat >= -90 AND home_lat <= 90", name="home_lat_range"),
        CheckConstraint("home_lon >= -180 AND home_lon <= 180", name="home_lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depots.id"), index=True)
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # {"mon": [["08:00", "17:00"]], ...}: local times of each weekday's shift.
    shift_pattern: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    # ISO dates the technician does not work (holidays, leave).
    days_off: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User | None] = relationship(back_populates="technician")  # noqa: F821
    depot: Mapped[Depot | None] = relationship()
    skills: Mapped[list[TechnicianSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def skill_levels(self) -> dict[str, int]:
        return {ts.skill.code: ts.level for ts in self.skills}

    def works_on(self, day: dt.date) -> bool:
        if day.isoformat() in self.days_off:
            return False
        return bool(self.shift_pattern.get(WEEKDAYS[day.weekday()]))
