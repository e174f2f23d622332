"""What a customer sees of their order: its steps with dates, the next visit (with the arrival
estimate on the day), past visits with their photos and rating links, and pending changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.models import (
    ChangeRequest,
    Order,
    OrderStage,
    OrderStageChange,
    Photo,
    PhotoKind,
    Rating,
    RatingLink,
    Technician,
    Visit,
    VisitKind,
    VisitStatus,
)
from app.services import photos as photo_service
from app.services import ratings, visit_changes
from app.services.eta import arrival_estimate
from app.services.sla.progress import progress_of
from app.services.visit_windows import Window, arrival_window, offered_windows

# The customer's five steps and the order stages each covers.
STEPS: tuple[tuple[str, frozenset[OrderStage]], ...] = (
    ("measure", frozenset({OrderStage.LEAD, OrderStage.MEASURE})),
    ("design", frozenset({OrderStage.DESIGN})),
    ("production", frozenset({OrderStage.CONFIRMED, OrderStage.PRODUCTION})),
    ("install", frozenset({OrderStage.INSTALL})),
    ("follow_up", frozenset({OrderStage.INSTALLED, OrderStage.CLOSED})),
)
_STEP_VISIT = {"measure": VisitKind.MEASURE, "install": VisitKind.INSTALL}
UPCOMING = (
    VisitStatus.NEW,
    VisitStatus.SCHEDULED,
    VisitStatus.DISPATCHED,
    VisitStatus.EN_ROUTE,
    VisitStatus.ON_SITE,
)
DONE = (VisitStatus.COMPLETED, VisitStatus.INCOMPLETE)
MAX_PHOTOS = 6


@dataclass(frozen=True)
class Step:
    """One of the five steps: done, current or upcoming, dated when known."""

    name: str
    state: str
    date: dt.datetime | None


@dataclass(frozen=True)
class NextVisit:
    """The coming visit: when, who, and on the day how far the technician is."""

    visit_id: int
    kind: str
    status: str
    window: tuple[dt.datetime, dt.datetime] | None
    technician_name: str | None
    today: bool
    eta: dt.datetime | None
    changeable: bool
    pending_change: ChangeRequest | None


@dataclass(frozen=True)
class PastVisit:
    """A finished visit with its completion photos and rating link."""

    visit_id: int
    kind: str
    status: str
    finished_at: dt.datetime
    photo_ids: tuple[str, ...]
    rating_token: str | None
    rated: bool


@dataclass(frozen=True)
class Progress:
    """Everything the progress page shows."""

    order: Order
    customer_name: str
    cancelled: bool
    steps: tuple[Step, ...]
    next_visit: NextVisit | None
    past_visits: tuple[PastVisit, ...]
    offered_windows: tuple[Window, ...]


def build(session: Session, settings: Settings, order: Order, now: dt.datetime) -> Progress:
    """The progress of `order` as of `now`."""
    visits = list(
        session.scalars(select(Visit).where(Visit.order_id == order.id).order_by(Visit.id))
    )
    return Progress(
        order=order,
        customer_name=order.customer.name,
        cancelled=order.stage == OrderStage.CANCELLED,
        steps=_steps(session, order, visits),
        next_visit=_next_visit(session, settings, visits, now),
        past_visits=_past_visits(session, settings, visits),
        offered_windows=tuple(offered_windows(settings, now)),
    )


def _steps(session: Session, order: Order, visits: list[Visit]) -> tuple[Step, ...]:
    reached: dict[OrderStage, dt.datetime] = {}
    for change in session.scalars(
        select(OrderStageChange)
        .where(OrderStageChange.order_id == order.id)
        .order_by(OrderStageChange.id)
    ):
        reached.setdefault(change.to_stage, change.at)
    current = next((i for i, (_, stages) in enumerate(STEPS) if order.stage in stages), -1)
    progress = progress_of(session, [v.id for v in visits])
    steps = []
    for index, (name, stages) in enumerate(STEPS):
        state = "done" if index < current else "current" if index == current else "upcoming"
        dates = [reached[s] for s in stages if s in reached]
        date = min(dates) if dates else None
        kind = _STEP_VISIT.get(name)
        if kind is not None:
            date = _visit_date(visits, kind, progress) or date
        steps.append(Step(name, state, date))
    return tuple(steps)


def _visit_date(
    visits: list[Visit], kind: VisitKind, progress: dict[int, dict[VisitStatus, dt.datetime]]
) -> dt.datetime | None:
    of_kind = [v for v in visits if v.kind == kind and v.status != VisitStatus.CANCELLED]
    for visit in reversed(of_kind):
        done = progress.get(visit.id, {}).get(VisitStatus.COMPLETED)
        if done is not None:
            return done
    planned = [v.planned_start for v in of_kind if v.planned_start is not None]
    return min(planned) if planned else None


def _next_visit(
    session: Session, settings: Settings, visits: list[Visit], now: dt.datetime
) -> NextVisit | None:
    coming = [v for v in visits if v.status in UPCOMING]
    if not coming:
        return None
    # Under way first, then the earliest planned, then those still to be planned.
    visit = min(
        coming,
        key=lambda v: (
            v.status not in (VisitStatus.EN_ROUTE, VisitStatus.ON_SITE),
            v.planned_start is None,
            v.planned_start or now,
            v.id,
        ),
    )
    tz = ZoneInfo(settings.time_zone)
    today = (
        visit.planned_start is not None
        and visit.planned_start.astimezone(tz).date() == now.astimezone(tz).date()
    )
    technician = session.get(Technician, visit.technician_id) if visit.technician_id else None
    eta = None
    if today and visit.status in (VisitStatus.DISPATCHED, VisitStatus.EN_ROUTE):
        eta = arrival_estimate(session, settings, visit, now)
    return NextVisit(
        visit_id=visit.id,
        kind=str(visit.kind),
        status=str(visit.status),
        window=arrival_window(visit),
        technician_name=technician.name if technician else None,
        today=today,
        eta=eta,
        changeable=visit_changes.changeable(visit),
        pending_change=visit_changes.pending_for(session, [visit.id]).get(visit.id),
    )


def _past_visits(
    session: Session, settings: Settings, visits: list[Visit]
) -> tuple[PastVisit, ...]:
    done = sorted(
        (v for v in visits if v.status in DONE), key=lambda v: v.status_changed_at, reverse=True
    )
    ids = [v.id for v in done]
    photos = photo_service.photos_of_visits(session, ids)
    links = (
        {
            link.visit_id: link
            for link in session.scalars(select(RatingLink).where(RatingLink.visit_id.in_(ids)))
        }
        if ids
        else {}
    )
    rated = (
        set(session.scalars(select(Rating.visit_id).where(Rating.visit_id.in_(ids))))
        if ids
        else set()
    )
    past = []
    for visit in done:
        shown = tuple(
            view.photo.id
            for view in photos.get(visit.id, [])
            if view.blob is not None and view.photo.kind == PhotoKind.AFTER
        )[:MAX_PHOTOS]
        link = links.get(visit.id)
        live = link is not None and link.expires_at > utcnow()
        past.append(
            PastVisit(
                visit_id=visit.id,
                kind=str(visit.kind),
                status=str(visit.status),
                finished_at=visit.status_changed_at,
                photo_ids=shown,
                rating_token=ratings.token_for(settings, link) if live and link else None,
                rated=visit.id in rated,
            )
        )
    return tuple(past)


def completion_photo_visible(session: Session, order: Order, photo_id: str) -> bool:
    """Whether the photo is a completion photo of a finished visit of `order` with its bytes."""
    photo = session.get(Photo, photo_id)
    if photo is None or photo.kind != PhotoKind.AFTER:
        return False
    visit = session.get(Visit, photo.visit_id)
    if visit is None or visit.order_id != order.id or visit.status not in DONE:
        return False
    return photo_service.photo_view(session, photo).blob is not None
