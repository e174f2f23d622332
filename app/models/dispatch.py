"""Dispatch runs: an optimizer proposal, its progress, and its publication."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow
from app.models.base import enum_column


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PUBLISHED = "published"


class DispatchRun(Base):
    """One optimizer run over a horizon; its proposal is kept until published or superseded."""

    __tablename__ = "dispatch_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.QUEUED)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # What was asked: first day, number of days, technician/visit filters, time limit.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    phase: Mapped[str] = mapped_column(String(20), default="queued")
    best_cost: Mapped[float | None] = mapped_column(Float)
    solutions_found: Mapped[int] = mapped_column(Integer, default=0)
    # visit id -> version when the run read it: publishing refuses if any moved on since.
    visit_versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Stamped by the solving process as it works: a running run whose heartbeat stops is failed
    # by the stale-run check (see app.services.run_health).
    heartbeat_at: Mapped[dt.datetime | None]
    # A failed run retried: the new run points at the one it repeats.
    retry_of_run_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_runs.id"))
    published_at: Mapped[dt.datetime | None]
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
