"""The dispatcher's board of a day: one timeline row per technician, the visits waiting, the
map and the side panels, for the published plan or a proposal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

import dispatch
from app.i18n.text import N_, Text
from app.models import Depot, Technician, Visit, VisitStatus
from app.services.board.colours import KIND_COLOURS, PALETTE, technician_colours
from app.services.board.map_view import MapView, draw_map
from app.services.board.panels import AlertView, ComplaintClock, alert_views, open_complaints
from app.services.board.reasons import NOT_PLANNED, Reason, latest_reasons
from app.services.dispatching.snapshot import PLANNABLE, shifts_of
from app.services.sla.alerts import open_alerts
from app.services.sla.clocks import Clock, ClockState, visit_clocks, worst
from app.services.sla.policies import active_policies, policy_for
from app.services.sla.progress import progress_of
from app.services.sla.projection import day_bounds, project_day
from app.services.travel import shown_minutes
from dispatch.travel import GeodesicProvider

DAY_START_H, DAY_END_H = 7, 20


# --- view models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A visit on a technician's timeline."""

    visit_id: int
    version: int
    kind: str
    status: str
    lock: str
    customer: str
    start: dt.datetime
    end: dt.datetime
    left_pct: float
    width_pct: float
    travel_min: int  # the drive before it, in whole minutes as shown (`shown_minutes`)
    travel_left_pct: float
    travel_width_pct: float
    tight: bool
    sla_state: str
    sla_note: Text
    flag: str | None
    change: str | None = None

    @property
    def colour(self) -> str:
        return KIND_COLOURS.get(self.kind, "#6b7280")


@dataclass(frozen=True)
class ShiftBand:
    """One shift of the technician's day as a band on the row (a split day has several)."""

    start: dt.datetime
    end: dt.datetime
    left_pct: float
    width_pct: float


@dataclass(frozen=True)
class Row:
    technician_id: int
    name: str
    depot: str
    skills: str
    working: bool
    shifts: list[ShiftBand]
    blocks: list[Block]
    colour: str

    @property
    def visit_ids(self) -> list[int]:
        return [b.visit_id for b in self.blocks]


@dataclass(frozen=True)
class Waiting:
    """A visit of the day nobody is planned for, with why."""

    visit_id: int
    kind: str
    customer: str
    window: str
    priority: int
    # (code, English message, details): pages word the reason from its code and details.
    reasons: list[Reason]
    sla_state: str
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


@dataclass(frozen=True)
class Board:
    day: dt.date
    rows: list[Row]
    waiting: list[Waiting]
    map: MapView
    hours: list[tuple[str, float]]
    alerts: list[AlertView]
    now_pct: float | None
    complaints: list[ComplaintClock] = field(default_factory=list)
    # Where the timeline starts (minutes after midnight) and how many minutes it spans.
    first_minute: int = DAY_START_H * 60
    span_minutes: int = (DAY_END_H - DAY_START_H) * 60

    @property
    def planned(self) -> int:
        return sum(len(r.blocks) for r in self.rows)


@dataclass(frozen=True)
class Placement:
    """Where a plan puts a visit."""

    technician_id: int
    start: dt.datetime


# --- building a board -----------------------------------------------------------------------


def published_plan(session: Session, day: dt.date, tz: ZoneInfo) -> dict[int, Placement]:
    """The published plan of a day: visits with a technician and a start on that day."""
    start, end = day_bounds(day, tz)
    rows = session.execute(
        select(Visit.id, Visit.technician_id, Visit.planned_start).where(
            Visit.technician_id.is_not(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.status != VisitStatus.CANCELLED,
        )
    )
    return {vid: Placement(tid, at) for vid, tid, at in rows}


def build_board(
    session: Session,
    day: dt.date,
    tz: ZoneInfo,
    now: dt.datetime,
    *,
    travel: GeodesicProvider,
    plan: Mapping[int, Placement] | None = None,
    waiting_reasons: Mapping[int, list[Reason]] | None = None,
    changes: Mapping[int, str] | None = None,
    complaint_warn_min: int = 120,
    row_order: Sequence[int] | None = None,
    tile_url: str | None = None,
) -> Board:
    """The board of a day for the published plan, or for `plan` (a proposal) when given.

    `row_order` (technician ids) puts rows in another board's order, so a proposal reads
    row for row beside the published board; technicians it does not list follow.
    `tile_url` is the operator's map tile server ({z}/{x}/{y}), if any.
    """
    plan = published_plan(session, day, tz) if plan is None else plan
    technicians = list(
        session.scalars(
            select(Technician).where(Technician.active.is_(True)).order_by(Technician.id)
        )
    )
    depots = {d.id: d for d in session.scalars(select(Depot))}
    waiting_visits = _waiting(session, day, tz, set(plan), waiting_reasons)
    visits = {
        v.id: v
        for v in session.scalars(
            select(Visit)
            .where(Visit.id.in_(set(plan) | set(waiting_visits)))
            .options(selectinload(Visit.customer), selectinload(Visit.site))
        )
    }
    clocks = _clock_states(session, list(visits.values()), day, tz, now, travel)
    flags = _flags(session, visits)
    shifts = {tech.id: shifts_of(tech, [day]) for tech in technicians}
    first_h, last_h = _hours(plan, visits, chain.from_iterable(shifts.values()), tz)
    day_start = dt.datetime.combine(day, dt.time(first_h), tzinfo=tz)
    span = (last_h - first_h) * 60
    by_tech: dict[int, list[tuple[Visit, dt.datetime]]] = {}
    for visit_id, placement in plan.items():
        if visit_id in visits:
            by_tech.setdefault(placement.technician_id, []).append(
                (visits[visit_id], placement.start)
            )
    rows = []
    for index, tech in enumerate(technicians):
        planned = sorted(by_tech.get(tech.id, []), key=lambda p: p[1])
        rows.append(
            _row(
                tech,
                depots,
                planned,
                shifts[tech.id],
                day_start,
                span,
                travel,
                clocks,
                flags,
                changes,
                index,
            )
        )
    rows = [r for r in rows if r.blocks] + [r for r in rows if not r.blocks and r.working]
    if row_order is not None:
        position = {tech_id: i for i, tech_id in enumerate(row_order)}
        rows.sort(key=lambda r: position.get(r.technician_id, len(position)))
    # Each technician in their own colour, the same on every day, map and chart.
    colours = technician_colours(session)
    rows = [replace(r, colour=colours.get(r.technician_id, r.colour)) for r in rows]
    waiting = [
        _waiting_item(visits[vid], reasons, clocks, tz) for vid, reasons in waiting_visits.items()
    ]
    local_now = now.astimezone(tz)
    now_pct = (
        _pct((local_now - day_start).total_seconds() / 60, span)
        if local_now.date() == day
        else None
    )
    return Board(
        day=day,
        rows=rows,
        # Priority 5 is the most important: it heads the list.
        waiting=sorted(waiting, key=lambda w: (-w.priority, w.visit_id)),
        map=draw_map(
            rows,
            depots.values(),
            visits,
            technicians,
            [visits[v] for v in waiting_visits],
            tile_url=tile_url,
        ),
        hours=[(f"{h:02d}:00", _pct((h - first_h) * 60, span)) for h in range(first_h, last_h)],
        alerts=alert_views(session),
        now_pct=now_pct,
        complaints=open_complaints(session, now, warn_before_min=complaint_warn_min),
        first_minute=first_h * 60,
        span_minutes=span,
    )


def _hours(
    plan: Mapping[int, Placement],
    visits: Mapping[int, Visit],
    shifts: Iterable[dispatch.Shift],
    tz: ZoneInfo,
) -> tuple[int, int]:
    """The hours the timeline spans: the working day, widened to show every planned visit and
    every shift."""
    first_h, last_h = DAY_START_H, DAY_END_H
    stretches = [(s.start, s.end) for s in shifts] + [
        (p.start, p.start + dt.timedelta(minutes=visits[vid].duration_min))
        for vid, p in plan.items()
        if vid in visits
    ]
    for begin, finish in stretches:
        start, end = begin.astimezone(tz), finish.astimezone(tz)
        first_h = min(first_h, start.hour)
        if end.date() != start.date():
            last_h = 24
        else:
            last_h = max(last_h, end.hour + (1 if end.minute else 0))
    return first_h, last_h


def _pct(minutes: float, span: float) -> float:
    return round(max(0.0, min(100.0, minutes / span * 100)), 2)


def _band(start: dt.datetime, end: dt.datetime, day_start: dt.datetime, span: int) -> ShiftBand:
    left = _pct((start - day_start).total_seconds() / 60, span)
    right = _pct((end - day_start).total_seconds() / 60, span)
    return ShiftBand(start, end, left, right - left)


def _row(
    tech: Technician,
    depots: dict[int, Depot],
    planned: list[tuple[Visit, dt.datetime]],
    shifts: list[dispatch.Shift],
    day_start: dt.datetime,
    span: int,
    travel: GeodesicProvider,
    clocks: dict[int, Clock | None],
    flags: dict[int, str],
    changes: Mapping[int, str] | None,
    index: int,
) -> Row:
    here = (tech.home_lat, tech.home_lon)
    free_at = shifts[0].start if shifts else None
    blocks = []
    for visit, start in planned:
        site = (visit.site.lat, visit.site.lon) if visit.site.lat is not None else here
        drive = travel.minutes(here, site)  # exact: the bar and the tight-gap test use it
        end = start + dt.timedelta(minutes=visit.duration_min)
        gap = (start - free_at).total_seconds() / 60 if free_at else drive
        offset = (start - day_start).total_seconds() / 60
        clock = clocks.get(visit.id)
        blocks.append(
            Block(
                visit_id=visit.id,
                version=visit.version,
                kind=str(visit.kind),
                status=str(visit.status),
                lock=str(visit.lock),
                customer=visit.customer.name,
                start=start,
                end=end,
                left_pct=_pct(offset, span),
                width_pct=max(0.6, _pct(offset + visit.duration_min, span) - _pct(offset, span)),
                travel_min=shown_minutes(drive),
                travel_left_pct=_pct(offset - drive, span),
                travel_width_pct=_pct(offset, span) - _pct(offset - drive, span),
                tight=gap < drive,
                sla_state=str(clock.state) if clock else "none",
                sla_note=_clock_note(clock),
                flag=flags.get(visit.id),
                change=(changes or {}).get(visit.id),
            )
        )
        here, free_at = site, end
    return Row(
        technician_id=tech.id,
        name=tech.name,
        depot=depots[tech.depot_id].name if tech.depot_id in depots else "-",
        skills=", ".join(f"{code} {level}" for code, level in sorted(tech.skill_levels().items())),
        working=bool(shifts),
        shifts=[_band(s.start, s.end, day_start, span) for s in shifts],
        blocks=blocks,
        colour=PALETTE[index % len(PALETTE)],
    )


_TARGETS = {"response": N_("response"), "resolution": N_("resolution")}


def _span(first: dt.datetime, last: dt.datetime, *, with_day: bool = True) -> str:
    """A stretch of time in words any language reads ("12-01 09:00-12:00")."""
    return f"{first:%m-%d %H:%M}-{last:%H:%M}" if with_day else f"{first:%H:%M}-{last:%H:%M}"


def _clock_note(clock: Clock | None) -> Text:
    if clock is None:
        return Text(N_("no SLA target"))
    target = Text(_TARGETS.get(clock.target, clock.target))
    if clock.state == ClockState.BREACHED:
        return Text(
            N_("%(target)s breached %(min)s min ago"),
            {"target": target, "min": -clock.remaining_min},
        )
    if clock.projected_miss:
        return Text(N_("%(target)s projected to miss its due time"), {"target": target})
    if clock.state == ClockState.MET:
        return Text(N_("%(target)s met"), {"target": target})
    if clock.state == ClockState.MISSED:
        return Text(N_("%(target)s missed"), {"target": target})
    hours, minutes = divmod(clock.remaining_min, 60)
    return Text(
        N_("%(target)s due in %(hours)s h %(minutes)s min"),
        {"target": target, "hours": hours, "minutes": f"{minutes:02d}"},
    )


def _waiting(
    session: Session,
    day: dt.date,
    tz: ZoneInfo,
    planned: set[int],
    reasons: Mapping[int, list[Reason]] | None,
) -> dict[int, list[Reason]]:
    start, end = day_bounds(day, tz)
    stmt = select(Visit.id).where(
        Visit.status.in_(PLANNABLE),
        or_(Visit.technician_id.is_(None), Visit.planned_start.is_(None)),
        or_(Visit.window_start.is_(None), Visit.window_start < end),
        or_(Visit.window_end.is_(None), Visit.window_end > start),
        or_(Visit.window_start.is_not(None), Visit.sla_due.is_(None), Visit.sla_due >= start),
    )
    ids = [vid for vid in session.scalars(stmt) if vid not in planned]
    if reasons is not None:
        ids = sorted(set(ids) | {vid for vid in reasons if vid not in planned})
    known = reasons if reasons is not None else latest_reasons(session, ids)
    return {vid: known.get(vid) or [NOT_PLANNED] for vid in ids}


def _waiting_item(
    visit: Visit,
    reasons: list[Reason],
    clocks: dict[int, Clock | None],
    tz: ZoneInfo,
) -> Waiting:
    window = "any time"
    if visit.window_start and visit.window_end:
        a, b = visit.window_start.astimezone(tz), visit.window_end.astimezone(tz)
        window = (
            f"{a:%a %d %b %H:%M}-{b:%H:%M}" if a.date() == b.date() else f"{a:%d %b} - {b:%d %b}"
        )
    clock = clocks.get(visit.id)
    return Waiting(
        visit_id=visit.id,
        kind=str(visit.kind),
        customer=visit.customer.name,
        window=window,
        priority=visit.priority,
        reasons=reasons,
        sla_state=str(clock.state) if clock else "none",
        window_start=visit.window_start,
        window_end=visit.window_end,
    )


def _clock_states(
    session: Session,
    visits: list[Visit],
    day: dt.date,
    tz: ZoneInfo,
    now: dt.datetime,
    travel: GeodesicProvider,
) -> dict[int, Clock | None]:
    policies = active_policies(session)
    projections = (
        project_day(session, day, tz, now, travel) if now.astimezone(tz).date() == day else {}
    )
    progress = progress_of(session, [v.id for v in visits])
    return {
        v.id: worst(
            visit_clocks(
                v,
                policy_for(policies, v.kind, v.priority, v.customer.tier),
                now,
                progress=progress.get(v.id),
                projection=projections.get(v.id),
            )
        )
        for v in visits
    }


def _flags(session: Session, visits: Mapping[int, Visit]) -> dict[int, str]:
    flags = {}
    for visit_id, alerts in open_alerts(session, "visit", visits).items():
        levels = {str(a.level) for a in alerts if a.resolved_at is None}
        if levels:
            flags[visit_id] = "breach" if "breach" in levels else "warning"
    return flags
