"""Dispatch runs as records: what a dispatcher asks the optimizer for, and the finished run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import ValidationFailed
from app.models import DispatchRun, RunStatus
from app.services.dispatching.proposal import Proposal, to_json

# A dispatcher's run plans days near today: a first day farther off is a slip (a year typed
# wrong), not a plan. Checked where dispatchers ask (API, console), not in `create_run`, which
# also serves the demo's own clock.
PLAN_REACH_DAYS = 366


def near_today(first_day: dt.date, today: dt.date) -> bool:
    """Whether a dispatcher may ask for a run starting on `first_day`."""
    return abs((first_day - today).days) <= PLAN_REACH_DAYS


@dataclass(frozen=True)
class RunRequest:
    """What a dispatcher asks the optimizer for."""

    first_day: dt.date
    days: int = 1
    technician_ids: tuple[int, ...] = ()
    visit_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    time_limit_s: float = 10.0
    # Published visits stay with their technicians (the solver may retime them); one it still
    # cannot fit keeps its published slot. Off: the proposal may leave published work out, and
    # publishing unschedules it (listed in the proposal's `to_unschedule`).
    keep_published: bool = False

    def as_params(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day.isoformat(),
            "days": self.days,
            "technician_ids": list(self.technician_ids),
            "visit_ids": list(self.visit_ids),
            "kinds": list(self.kinds),
            "time_limit_s": self.time_limit_s,
            "keep_published": self.keep_published,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RunRequest:
        return cls(
            first_day=dt.date.fromisoformat(params["first_day"]),
            days=params["days"],
            technician_ids=tuple(params.get("technician_ids", ())),
            visit_ids=tuple(params.get("visit_ids", ())),
            kinds=tuple(params.get("kinds", ())),
            time_limit_s=params["time_limit_s"],
            keep_published=params.get("keep_published", False),
        )


def create_run(session: Session, request: RunRequest, *, user_id: int | None) -> DispatchRun:
    """Record a queued run; the caller enqueues `execute_run` after committing."""
    if request.days < 1 or request.days > 14:
        raise ValidationFailed("plan between 1 and 14 days", fields={"days": ["1..14"]})
    run = DispatchRun(params=request.as_params(), requested_by_user_id=user_id)
    session.add(run)
    session.flush()
    return run


def store_proposal(
    run: DispatchRun, visit_versions: dict[str, int], proposal: Proposal
) -> DispatchRun:
    """Keep a finished run's proposal on the run."""
    run.visit_versions = visit_versions
    run.proposal = to_json(proposal)
    run.status = RunStatus.SUCCEEDED
    run.phase = "done"
    run.finished_at = utcnow()
    return run
