"""The zones of a dispatch run split across workers, each with its own progress."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.database import Base
from app.models.dispatch import DispatchRun


class DispatchRunZone(Base):
    """One zone of a large run, solved by its own background job."""

    __tablename__ = "dispatch_run_zones"
    __table_args__ = (UniqueConstraint("run_id", "zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dispatch_runs.id", ondelete="CASCADE"))
    zone: Mapped[int] = mapped_column(Integer)
    technicians: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(Integer)
    # queued, then the solver's phases (precheck, build, construct, search, explain), done/failed
    phase: Mapped[str] = mapped_column(String(20), default="queued")
    best_cost: Mapped[float | None] = mapped_column(Float)
    solutions_found: Mapped[int] = mapped_column(Integer, default=0)
    placed: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    cpu_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)

    run: Mapped[DispatchRun] = relationship(
        backref=backref("zones", order_by="DispatchRunZone.zone", lazy="selectin",
                        cascade="all, delete-orphan"),
    )
