"""A technician's scope, as data: the visits they work on soon and what those visits point to.

Scope = visits assigned to the technician, not cancelled, planned (or windowed) from the start
of yesterday to the end of the day N days ahead (N = `sync_scope_days_ahead`), the customers,
sites and orders those visits reference, and the checklist templates. It is computed from the
current rows on every pull, so any path that reassigns, cancels or moves a visit (back office,
dispatch publish, a job) changes what phones hold without telling the sync layer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.models import Visit, VisitStatus

TEMPLATES_KEY = "t"


def visit_key(visit_id: int) -> str:
    return f"v:{visit_id}"


def scope_window(
    settings: Settings, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[start of yesterday, end of today + N days) in the service area's time zone."""
    zone = ZoneInfo(settings.time_zone)
    today = (now or utcnow()).astimezone(zone).date()
    start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(
        today + dt.timedelta(days=settings.sync_scope_days_ahead + 1), dt.time.min, tzinfo=zone
    )
    return start, end


def scope_keys(
    session: Session, technician_id: int, settings: Settings, now: dt.datetime | None = None
) -> set[str]:
    """The scope keys (`v:`, `c:`, `s:`, `o:` ids and `t`) the technician should hold now."""
    start, end = scope_window(settings, now)
    when = func.coalesce(Visit.planned_start, Visit.window_start)
    rows = session.execute(
        select(Visit.id, Visit.customer_id, Visit.site_id, Visit.order_id).where(
            Visit.technician_id == technician_id,
            Visit.status != VisitStatus.CANCELLED,
            when >= start,
            when < end,
        )
    )
    keys = {TEMPLATES_KEY}
    for visit_id, customer_id, site_id, order_id in rows:
        keys.update((visit_key(visit_id), f"c:{customer_id}", f"s:{site_id}"))
        if order_id is not None:
            keys.add(f"o:{order_id}")
    return keys
