"""Shared setup of the schedule-integrity tests: a technician's day tomorrow and a solve."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.jobs.dispatching import run_dispatch
from app.models import DispatchRun, Visit, VisitStatus
from app.services.dispatching.runs import RunRequest, create_run
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

TZ = "Asia/Shanghai"


def solve(session: Session, **changes: Any) -> DispatchRun:
    """Run the optimizer through its job, as production does, and return the finished run."""
    request = RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1, **changes)
    run = create_run(session, request, user_id=None)
    session.commit()
    run_dispatch(run.id, TZ)
    session.expire_all()
    return session.get(DispatchRun, run.id)


def published(technician_id: int, start: dt.datetime, **fields: Any) -> Visit:
    """A measure visit already published to a technician."""
    defaults = {
        "required_skills": {"measure": 1},
        "window_start": start,
        "window_end": start + dt.timedelta(minutes=10),
    }
    return VisitFactory(
        technician_id=technician_id,
        planned_start=start,
        status=VisitStatus.SCHEDULED,
        **{**defaults, **fields},
    )


def busy_intervals(session: Session, technician_id: int) -> list[tuple[Any, Any, int]]:
    """The technician's placed, not-cancelled visits as (start, end, id), by start."""
    session.expire_all()
    rows = session.query(Visit).filter(
        Visit.technician_id == technician_id,
        Visit.planned_start.is_not(None),
        Visit.status != VisitStatus.CANCELLED,
    )
    return sorted(
        (v.planned_start, v.planned_start + dt.timedelta(minutes=v.duration_min), v.id)
        for v in rows
    )


def assert_no_overlap(session: Session, technician_id: int) -> None:
    intervals = busy_intervals(session, technician_id)
    for (_, end, a), (start, _, b) in itertools.pairwise(intervals):
        assert start >= end, f"visits {a} and {b} of technician {technician_id} overlap"


@pytest.fixture
def measurer(session: Session) -> Any:
    """One measurer working 08:00-17:00 every day."""
    return TechnicianFactory(skills={"measure": 2, "install_cabinet": 2}, name="Li Wei")
