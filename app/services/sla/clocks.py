"""SLA clocks: the response and resolution targets of a visit, a complaint's stage clock.

A visit has two clocks: *response* (request → technician on site) and *resolution* (request →
completed). The request time is the visit's creation. The response target always comes from the
policy; the resolution target is the visit's own `sla_due` when one was promised, else the
policy's. A complaint has one clock: the due time of its current stage.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.models import Complaint, SlaPolicy, Visit, VisitStatus
from app.services.sla.projection import Projection

RESPONSE = "response"
RESOLUTION = "resolution"


class ClockState(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class Clock:
    """One SLA target of a visit or complaint, as of `now`."""

    target: str
    due: dt.datetime
    state: ClockState
    remaining_min: int
    done_at: dt.datetime | None = None
    projected_at: dt.datetime | None = None

    @property
    def projected_miss(self) -> bool:
        return self.projected_at is not None and self.projected_at > self.due



def clock(
    target: str,
    due: dt.datetime,
    now: dt.datetime,
    *,
    warn_before_min: int,
    done_at: dt.datetime | None = None,
    projected_at: dt.datetime | None = None,
) -> Clock:
    """The state of one target: met/missed once done, else breached, warning or ok."""
    remaining = math.floor((due - now).total_seconds() / 60)
    if done_at is not None:
        state = ClockState.MET if done_at <= due else ClockState.MISSED
    elif now > due:
        state = ClockState.BREACHED
    elif (projected_at is not None and projected_at > due) or remaining <= warn_before_min:
        state = ClockState.WARNING
    else:
        state = ClockState.OK
    return Clock(target, due, state, remaining, done_at, projected_at)


def visit_clocks(
    visit: Visit,
    policy: SlaPolicy | None,
    now: dt.datetime,
    *,
    progress: dict[VisitStatus, dt.datetime] | None = None,
    projection: Projection | None = None,
) -> list[Clock]:
    """The response and resolution clocks of a visit (none when no target applies)."""
    progress = progress or {}
    warn = policy.warn_before_min if policy else 60
    arrival, end = _expected(visit, projection)
    clocks = []
    if policy is not None:
        clocks.append(
            clock(
                RESPONSE,
                visit.created_at + dt.timedelta(minutes=policy.response_min),
                now,
                warn_before_min=warn,
                done_at=progress.get(VisitStatus.ON_SITE),
                projected_at=arrival,
            )
        )
    resolution_due = visit.sla_due or (
        visit.created_at + dt.timedelta(minutes=policy.resolution_min) if policy else None
    )
    if resolution_due is not None:
        done = progress.get(VisitStatus.COMPLETED) or progress.get(VisitStatus.INCOMPLETE)
        clocks.append(
            clock(
                RESOLUTION,
                resolution_due,
                now,
                warn_before_min=warn,
                done_at=done,
                projected_at=end,
            )
        )
    return clocks


def _expected(
    visit: Visit, projection: Projection | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if projection is not None:
        return projection.arrival, projection.end
    if visit.planned_start is None:
        return None, None
    return visit.planned_start, visit.planned_start + dt.timedelta(minutes=visit.duration_min)


def worst(clocks: Sequence[Clock]) -> Clock | None:
    """The clock that most needs attention."""
    order = {
        ClockState.BREACHED: 0,
        ClockState.WARNING: 1,
        ClockState.MISSED: 2,
        ClockState.OK: 3,
        ClockState.MET: 4,
    }
    return min(clocks, key=lambda c: (order[c.state], c.remaining_min), default=None)


def complaint_clock(complaint: Complaint, now: dt.datetime, warn_before_min: int) -> Clock | None:
    """The clock of a complaint's current stage (none once closed or without a due time)."""
    if not complaint.is_open or complaint.due_at is None:
        return None
    return clock(f"stage:{complaint.stage}", complaint.due_at, now, warn_before_min=warn_before_min)
