"""The day-start job: at DAY_START_HOUR, today's published visits become `dispatched`."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from app.config import active_settings
from app.database import utcnow
from app.jobs import unit_of_work
from app.services.day_start import local_today, start_day

log = logging.getLogger(__name__)

DAY_START_JOB_ID = "periodic-day-start"


def dispatch_today() -> list[int]:
    """Dispatch today's scheduled visits (local day of the service area); returns their ids."""
    tz = ZoneInfo(active_settings().time_zone)
    with unit_of_work() as session:
        started = start_day(
            session, local_today(utcnow(), tz), tz, actor_user_id=None, source="day_start"
        )
    ids = list(started.dispatched_visit_ids)
    log.info("day %s started: %d visit(s) dispatched", started.day, len(ids))
    return ids
