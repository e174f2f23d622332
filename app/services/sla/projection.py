"""Today's published routes re-timed with what the phones reported and the travel model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Technician, Visit, VisitStatus
from app.services.sla.progress import progress_of
from dispatch.travel import GeodesicProvider

ON_ROUTE = (
    VisitStatus.SCHEDULED,
    VisitStatus.DISPATCHED,
    VisitStatus.EN_ROUTE,
    VisitStatus.ON_SITE,
    VisitStatus.COMPLETED,
    VisitStatus.INCOMPLETE,
)


@dataclass(frozen=True)
class Projection:
    """When a visit is expected to start and end, given progress so far."""

    visit_id: int
    arrival: dt.datetime
    end: dt.datetime



def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight to midnight of `day`."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def published_routes(session: Session, day: dt.date, tz: ZoneInfo) -> dict[int, list[Visit]]:
    """Each technician's visits planned on `day`, in order of planned start."""
    start, end = day_bounds(day, tz)
    rows = session.scalars(
        select(Visit)
        .where(
            Visit.technician_id.is_not(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.status.in_(ON_ROUTE),
        )
        .order_by(Visit.technician_id, Visit.planned_start, Visit.id)
        .options(selectinload(Visit.site))
    )
    routes: dict[int, list[Visit]] = {}
    for visit in rows:
        routes.setdefault(visit.technician_id, []).append(visit)
    return routes


def project_route(
    technician: Technician,
    visits: Sequence[Visit],
    progress: dict[int, dict[VisitStatus, dt.datetime]],
    now: dt.datetime,
    travel: GeodesicProvider,
) -> list[Projection]:
    """Re-time one technician's day from what has happened so far.

    Done visits keep their actual times; the visit on site ends no earlier than now; the rest
    follow in order, leaving no earlier than now and starting no earlier than planned.
    """
    here = (technician.home_lat, technician.home_lon)
    free_at: dt.datetime | None = None
    projections = []
    for visit in visits:
        seen = progress.get(visit.id, {})
        site = (visit.site.lat, visit.site.lon) if visit.site.lat is not None else here
        duration = dt.timedelta(minutes=visit.duration_min)
        done = seen.get(VisitStatus.COMPLETED) or seen.get(VisitStatus.INCOMPLETE)
        if visit.status in (VisitStatus.COMPLETED, VisitStatus.INCOMPLETE) and done:
            arrival = seen.get(VisitStatus.ON_SITE, done - duration)
            end = done
        elif visit.status == VisitStatus.ON_SITE and VisitStatus.ON_SITE in seen:
            arrival = seen[VisitStatus.ON_SITE]
            end = max(now, arrival + duration)
        else:
            depart = max(free_at or now, now)
            drive = dt.timedelta(minutes=travel.minutes(here, site))
            arrival = depart + drive
            if visit.status != VisitStatus.EN_ROUTE and visit.planned_start is not None:
                arrival = max(arrival, visit.planned_start)
            end = arrival + duration
        projections.append(Projection(visit.id, arrival, end))
        here, free_at = site, end
    return projections


def project_day(
    session: Session, day: dt.date, tz: ZoneInfo, now: dt.datetime, travel: GeodesicProvider
) -> dict[int, Projection]:
    """Projections for every visit on the day's published routes."""
    routes = published_routes(session, day, tz)
    ids = [v.id for visits in routes.values() for v in visits]
    progress = progress_of(session, ids)
    technicians = {
        t.id: t for t in session.scalars(select(Technician).where(Technician.id.in_(routes)))
    }
    found: dict[int, Projection] = {}
    for technician_id, visits in routes.items():
        for projection in project_route(
            technicians[technician_id], visits, progress, now, travel
        ):
            found[projection.visit_id] = projection
    return found
