"""When the technician should reach a customer today: the day's route re-timed with what the
phone reported, by the one travel model (`app.services.travel`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Technician, Visit, VisitStatus
from app.services.sla.progress import progress_of
from app.services.sla.projection import project_route, published_routes
from app.services.travel import travel_model


def arrival_estimate(
    session: Session, settings: Settings, visit: Visit, now: dt.datetime
) -> dt.datetime | None:
    """The expected arrival at the visit, to the nearest minute; None when it is not on a
    published route.

    Once the technician is on the way, the estimate counts the drive from the moment they set
    off (their last status), never earlier than now. Customers read it as a clock time: it is
    re-timed with exact (fractional) driving minutes, then rounded, not cut, to the minute.
    """
    if visit.technician_id is None or visit.planned_start is None:
        return None
    tz = ZoneInfo(settings.time_zone)
    route = published_routes(session, visit.planned_start.astimezone(tz).date(), tz).get(
        visit.technician_id, []
    )
    ids = [v.id for v in route]
    technician = session.get(Technician, visit.technician_id)
    if visit.id not in ids or technician is None:
        return None
    progress = progress_of(session, ids)
    travel = travel_model(settings)
    projected = {
        p.visit_id: p.arrival for p in project_route(technician, route, progress, now, travel)
    }
    set_off = progress.get(visit.id, {}).get(VisitStatus.EN_ROUTE)
    if visit.status != VisitStatus.EN_ROUTE or set_off is None:
        return _nearest_minute(projected[visit.id])
    index = ids.index(visit.id)
    before = route[index - 1].site if index else None
    origin = (
        (before.lat, before.lon)
        if before is not None and before.lat is not None
        else (technician.home_lat, technician.home_lon)
    )
    site = visit.site
    target = (site.lat, site.lon) if site.lat is not None else origin
    drive = dt.timedelta(minutes=travel.minutes(origin, target))
    return _nearest_minute(max(now, set_off + drive))


def _nearest_minute(when: dt.datetime) -> dt.datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor + dt.timedelta(minutes=1) if when - floor >= dt.timedelta(seconds=30) else floor
