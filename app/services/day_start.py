"""The day starts: today's published visits become `dispatched`, so technicians can set off.

Run by the periodic day-start job at `DAY_START_HOUR` and by the dispatcher's "dispatch today"
action; running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Visit, VisitStatus
from app.services.visits import change_status


@dataclass(frozen=True)
class DayStart:
    """What starting a day did."""

    day: dt.date
    dispatched_visit_ids: tuple[int, ...]


def local_today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return now.astimezone(tz).date()


def start_day(
    session: Session,
    day: dt.date,
    tz: ZoneInfo,
    *,
    actor_user_id: int | None,
    source: str,
) -> DayStart:
    """Move every scheduled visit planned on `day` (with its technician) to `dispatched`.

    Rows are locked in id order; a visit a phone or a dispatcher is changing right now is
    waited for, not skipped, so none is left behind.
    """
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    visits = session.scalars(
        select(Visit)
        .where(
            Visit.status == VisitStatus.SCHEDULED,
            Visit.technician_id.is_not(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
        )
        .order_by(Visit.id)
        .with_for_update()
    ).all()
    for visit in visits:
        change_status(
            session, visit, VisitStatus.DISPATCHED, actor_user_id=actor_user_id, source=source
        )
    return DayStart(day, tuple(v.id for v in visits))
