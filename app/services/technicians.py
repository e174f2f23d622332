"""Changes to a technician that published work depends on: skills, shifts, days off, active.

A dispatcher expects the schedule the technicians' phones show to stay valid. A change that
would leave a published visit infeasible (a skill it needs removed, its shift shortened or
dropped, its day taken off, the technician deactivated) is refused with 409
`published_work_affected` naming the visits; the dispatcher moves or unschedules them first
(board, `PATCH /api/v1/visits/{id}`), then makes the change. Nothing is unscheduled behind
their back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import Technician, Visit, VisitStatus
from app.services import schedule_checks

# Published work that has not started: what a technician change can leave stranded.
PUBLISHED = (VisitStatus.SCHEDULED, VisitStatus.DISPATCHED)


def refuse_stranding_published_work(
    session: Session, technician: Technician, now: dt.datetime
) -> None:
    """Refuse (409) a change to `technician` that leaves a published visit infeasible.

    Call after applying the change and before committing: flushes it, takes the locks of the
    technician-days with published work from `now` on, and checks every such visit with
    `schedule_checks` (skills, shift, days off, lunch, active).
    """
    session.flush()
    visits = list(
        session.scalars(
            select(Visit)
            .where(
                Visit.technician_id == technician.id,
                Visit.planned_start >= now,
                Visit.status.in_(PUBLISHED),
            )
            .order_by(Visit.planned_start, Visit.id)
        )
    )
    if not visits:
        return
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(session, [(v.technician_id, v.planned_start) for v in visits]),
    )
    found = schedule_checks.refusals(session, visits)
    if not found:
        return
    ids = sorted({r.visit_id for r in found})
    raise Conflict(
        "%(technician)s has published visits this change would leave infeasible (%(visits)s); "
        "move or unschedule them first",
        params={"technician": technician.name, "visits": ", ".join(map(str, ids))},
        code="published_work_affected",
        details={"visit_ids": ids, "refusals": [r.as_dict() for r in found]},
    )
