"""The dispatcher's board: view models for a day's timeline, map and proposal review, and the
two hand edits a dispatcher makes on it (move a visit, lock or unlock it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, ValidationFailed
from app.i18n.text import N_, Text
from app.models import (
    Complaint,
    ComplaintStage,
    Customer,
    Depot,
    DispatchRun,
    LockState,
    RunStatus,
    SlaAlert,
    Technician,
    Visit,
    VisitStatus,
)
from app.services import schedule_checks, sla
from app.services.dispatching import PLANNABLE, shifts_of
from app.services.palette import technician_colours
from app.services.proposal_figures import KPI_LABELS
from app.services.records import get_or_404
from app.services.route_map import MapView, build_map
from app.services.visits import change_status, update_visit
from dispatch.travel import GeodesicProvider

DAY_START_H, DAY_END_H = 7, 20
KIND_COLOURS = {"measure": "#2563eb", "install": "#d97706", "repair": "#059669"}
ROUTE_COLOURS = (
    "#e11d48",
    "#7c3aed",
    "#0891b2",
    "#65a30d",
    "#ea580c",
    "#4f46e5",
    "#0d9488",
    "#c026d3",
    "#ca8a04",
    "#2563eb",
    "#dc2626",
    "#16a34a",
)
# (code, English message, details): pages word a reason from its code and details.
Reason = tuple[str, str, Mapping[str, Any]]
NOT_PLANNED: Reason = ("not_planned", "Not planned yet: run the optimizer or move it by hand.", {})


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
    travel_min: int
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
class Row:
    technician_id: int
    name: str
    depot: str
    skills: str
    working: bool
    shift_left_pct: float
    shift_width_pct: float
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
class AlertView:
    level: str
    subject: str
    subject_id: int
    message: str
    at: dt.datetime
    target: str = ""
    due_at: dt.datetime | None = None
    projected_at: dt.datetime | None = None


@dataclass(frozen=True)
class ComplaintClock:
    """An open complaint and the clock of its current stage."""

    complaint_id: int
    customer_id: int
    customer: str
    stage: str
    summary: str
    clock: sla.Clock | None
    visit_id: int | None = None


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
    start, end = sla.day_bounds(day, tz)
    rows = session.execute(
        select(Visit.id, Visit.technician_id, Visit.planned_start).where(
            Visit.technician_id.is_not(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.status != VisitStatus.CANCELLED,
        )
    )
    return {vid: Placement(tid, at) for vid, tid, at in rows}


def proposed_plan(run: DispatchRun, day: dt.date, tz: ZoneInfo) -> dict[int, Placement]:
    """A run's proposal for one day, with the promised work it planned around."""
    proposal = run.proposal or {}
    placed = [
        *proposal.get("fixed", []),
        *proposal.get("kept", []),
        *proposal.get("assignments", []),
    ]
    plan = {}
    for a in placed:
        start = dt.datetime.fromisoformat(a["planned_start"])
        if start.astimezone(tz).date() == day:
            plan[a["visit_id"]] = Placement(a["technician_id"], start)
    return plan


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

    `tile_url` is the operator's map tile server ({z}/{x}/{y}), if any.

    `row_order` (technician ids) puts rows in another board's order, so a proposal reads
    row for row beside the published board; technicians it does not list follow.
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
    first_h, last_h = _hours(plan, visits, tz)
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
                day,
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
        map=build_map(
            rows,
            depots.values(),
            visits,
            technicians,
            [visits[v] for v in waiting_visits],
            tile_url=tile_url,
        ),
        hours=[(f"{h:02d}:00", _pct((h - first_h) * 60, span)) for h in range(first_h, last_h)],
        alerts=_alert_views(session),
        now_pct=now_pct,
        complaints=open_complaints(session, now, warn_before_min=complaint_warn_min),
        first_minute=first_h * 60,
        span_minutes=span,
    )


def _hours(
    plan: Mapping[int, Placement], visits: Mapping[int, Visit], tz: ZoneInfo
) -> tuple[int, int]:
    """The hours the timeline spans: the working day, widened to show every planned visit."""
    first_h, last_h = DAY_START_H, DAY_END_H
    for visit_id, placement in plan.items():
        if visit_id not in visits:
            continue
        start = placement.start.astimezone(tz)
        end = start + dt.timedelta(minutes=visits[visit_id].duration_min)
        first_h = min(first_h, start.hour)
        if end.date() != start.date():
            last_h = 24
        else:
            last_h = max(last_h, end.hour + (1 if end.minute else 0))
    return first_h, last_h


def _pct(minutes: float, span: float) -> float:
    return round(max(0.0, min(100.0, minutes / span * 100)), 2)


def _row(
    tech: Technician,
    depots: dict[int, Depot],
    planned: list[tuple[Visit, dt.datetime]],
    day: dt.date,
    day_start: dt.datetime,
    span: int,
    travel: GeodesicProvider,
    clocks: dict[int, sla.Clock | None],
    flags: dict[int, str],
    changes: Mapping[int, str] | None,
    index: int,
) -> Row:
    shifts = shifts_of(tech, [day])
    shift_left = shift_width = 0.0
    if shifts:
        shift_left = _pct((shifts[0].start - day_start).total_seconds() / 60, span)
        shift_width = _pct((shifts[0].end - day_start).total_seconds() / 60, span) - shift_left
    here = (tech.home_lat, tech.home_lon)
    free_at = shifts[0].start if shifts else None
    blocks = []
    for visit, start in planned:
        site = (visit.site.lat, visit.site.lon) if visit.site.lat is not None else here
        drive = round(travel.minutes(here, site))
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
                travel_min=drive,
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
        shift_left_pct=shift_left,
        shift_width_pct=shift_width,
        blocks=blocks,
        colour=ROUTE_COLOURS[index % len(ROUTE_COLOURS)],
    )


_TARGETS = {"response": N_("response"), "resolution": N_("resolution")}


def _span(first: dt.datetime, last: dt.datetime, *, with_day: bool = True) -> str:
    """A stretch of time in words any language reads ("12-01 09:00-12:00")."""
    return f"{first:%m-%d %H:%M}-{last:%H:%M}" if with_day else f"{first:%H:%M}-{last:%H:%M}"


def _clock_note(clock: sla.Clock | None) -> Text:
    if clock is None:
        return Text(N_("no SLA target"))
    target = Text(_TARGETS.get(clock.target, clock.target))
    if clock.state == sla.ClockState.BREACHED:
        return Text(
            N_("%(target)s breached %(min)s min ago"),
            {"target": target, "min": -clock.remaining_min},
        )
    if clock.projected_miss:
        return Text(N_("%(target)s projected to miss its due time"), {"target": target})
    if clock.state == sla.ClockState.MET:
        return Text(N_("%(target)s met"), {"target": target})
    if clock.state == sla.ClockState.MISSED:
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
    start, end = sla.day_bounds(day, tz)
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


def latest_reasons(session: Session, visit_ids: Iterable[int]) -> dict[int, list[Reason]]:
    """Why the most recent finished run left each visit out."""
    wanted = set(visit_ids)
    run = session.scalar(
        select(DispatchRun)
        .where(DispatchRun.status.in_((RunStatus.SUCCEEDED, RunStatus.PUBLISHED)))
        .order_by(DispatchRun.id.desc())
        .limit(1)
    )
    if run is None or run.proposal is None or not wanted:
        return {}
    return {
        u["visit_id"]: [(r["code"], r["message"], r.get("details") or {}) for r in u["reasons"]]
        for u in run.proposal["unassigned"]
        if u["visit_id"] in wanted
    }


def _waiting_item(
    visit: Visit,
    reasons: list[Reason],
    clocks: dict[int, sla.Clock | None],
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
) -> dict[int, sla.Clock | None]:
    policies = sla.active_policies(session)
    projections = (
        sla.project_day(session, day, tz, now, travel)
        if now.astimezone(tz).date() == day
        else {}
    )
    progress = sla.progress_of(session, [v.id for v in visits])
    return {
        v.id: sla.worst(
            sla.visit_clocks(
                v,
                sla.policy_for(policies, v.kind, v.priority, v.customer.tier),
                now,
                progress=progress.get(v.id),
                projection=projections.get(v.id),
            )
        )
        for v in visits
    }


def _flags(session: Session, visits: Mapping[int, Visit]) -> dict[int, str]:
    flags = {}
    for visit_id, alerts in sla.open_alerts(session, "visit", visits).items():
        levels = {str(a.level) for a in alerts if a.resolved_at is None}
        if levels:
            flags[visit_id] = "breach" if "breach" in levels else "warning"
    return flags


def open_complaints(
    session: Session, now: dt.datetime, *, warn_before_min: int, limit: int = 10
) -> list[ComplaintClock]:
    """The open complaints due soonest, each with its stage clock."""
    rows = session.execute(
        select(Complaint, Customer.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.stage != ComplaintStage.CLOSED)
        .order_by(Complaint.due_at.is_(None), Complaint.due_at, Complaint.id)
        .limit(limit)
    )
    return [
        ComplaintClock(
            c.id,
            c.customer_id,
            name,
            str(c.stage),
            c.summary,
            sla.complaint_clock(c, now, warn_before_min),
            c.visit_id,
        )
        for c, name in rows
    ]


def _alert_views(session: Session, limit: int = 12) -> list[AlertView]:
    rows = session.scalars(
        select(SlaAlert)
        .where(SlaAlert.resolved_at.is_(None))
        .order_by(SlaAlert.id.desc())
        .limit(limit)
    )
    return [
        AlertView(
            str(a.level),
            a.subject,
            a.subject_id,
            a.message,
            a.created_at,
            a.target,
            a.due_at,
            a.projected_at,
        )
        for a in rows
    ]


# --- proposal review ------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiRow:
    name: str
    label: str
    unit: str
    published: float
    proposed: float
    delta: float
    better: bool | None


@dataclass(frozen=True)
class DiffEntry:
    visit_id: int
    before: str
    after: str


def kpi_rows(proposal: Mapping[str, Any]) -> list[KpiRow]:
    """Published vs proposed KPIs with their units, and whether each change is an improvement."""
    rows = []
    for kpi in KPI_LABELS:
        if kpi.name not in proposal["kpis"]:
            continue  # a proposal stored before this KPI existed
        delta = proposal["kpi_deltas"][kpi.name]
        better = (
            None
            if delta == 0 or kpi.lower_is_better is None
            else (delta < 0) == kpi.lower_is_better
        )
        rows.append(
            KpiRow(
                kpi.name,
                kpi.label,
                kpi.unit,
                proposal["published_kpis"][kpi.name],
                proposal["kpis"][kpi.name],
                delta,
                better,
            )
        )
    return rows


def diff_entries(
    session: Session, proposal: Mapping[str, Any], tz: ZoneInfo
) -> dict[str, list[DiffEntry]]:
    """The proposal's diff (added, moved, reassigned, dropped) in words."""
    names = dict(session.execute(select(Technician.id, Technician.name)).all())

    def describe(side: Mapping[str, Any] | None) -> str:
        if not side:
            return N_("not planned")
        at = dt.datetime.fromisoformat(side["planned_start"]).astimezone(tz)
        return f"{names.get(side['technician_id'], side['technician_id'])} {at:%m-%d %H:%M}"

    # What publishing does with a published visit the proposal leaves out, and why.
    fate = {
        e["visit_id"]: "unscheduled on publish: " + e["reasons"][0]["message"]
        for e in proposal.get("to_unschedule", [])
    }
    fate |= {e["visit_id"]: "kept as published" for e in proposal.get("kept", [])}
    return {
        kind: [
            DiffEntry(
                e["visit_id"],
                describe(e.get("from")),
                fate.get(e["visit_id"], "not planned")
                if kind == "dropped"
                else describe(e.get("to")),
            )
            for e in proposal["diff"][kind]
        ]
        for kind in ("added", "moved", "reassigned", "dropped")
    }


def change_marks(proposal: Mapping[str, Any]) -> dict[int, str]:
    """visit id -> how the proposal changes it, for marking blocks."""
    return {
        e["visit_id"]: kind
        for kind in ("added", "moved", "reassigned")
        for e in proposal["diff"][kind]
    }


def proposal_reasons(proposal: Mapping[str, Any]) -> dict[int, list[Reason]]:
    return {
        u["visit_id"]: [(r["code"], r["message"], r.get("details") or {}) for r in u["reasons"]]
        for u in proposal["unassigned"]
    }


# --- hand edits -----------------------------------------------------------------------------


def move_visit(
    session: Session,
    visit: Visit,
    technician_id: int,
    start: dt.datetime,
    *,
    tz: ZoneInfo,
    actor_user_id: int | None,
    now: dt.datetime,
    lock: LockState | None = None,
) -> Visit:
    """Give a visit to a technician at a time, inside the technician-days' locks, if it fits
    (see `schedule_checks`: skills, shift, break, window, nothing else at that time); refused
    with the reason otherwise."""
    technician = get_or_404(session, Technician, technician_id)
    _lock_days_of(session, visit, (technician.id, start))
    if visit.status not in PLANNABLE:
        raise Conflict(
            "visit %(visit)s is %(status)s; only visits not yet under way can move",
            params={"visit": visit.id, "status": visit.status},
            code="visit_under_way",
        )
    changes: dict[str, Any] = {"technician_id": technician.id, "planned_start": start}
    if lock is not None:
        changes["lock"] = lock
    try:
        update_visit(session, visit, changes)
    except ValidationFailed as refused:
        # Dispatchers know technicians by name, not by id.
        named = {**refused.params, "technician": technician.name}
        raise ValidationFailed(
            refused.template, params=named, code=refused.code, fields=refused.fields
        ) from None
    schedule_checks.require_feasible(session, [visit])
    if visit.status == VisitStatus.NEW:
        change_status(
            session, visit, VisitStatus.SCHEDULED, actor_user_id=actor_user_id, source="console"
        )
    local = start.astimezone(tz)
    if local.date() == now.astimezone(tz).date() and visit.status == VisitStatus.SCHEDULED:
        change_status(
            session, visit, VisitStatus.DISPATCHED, actor_user_id=actor_user_id, source="console"
        )
    return visit


def _lock_days_of(
    session: Session, visit: Visit, *placements: tuple[int | None, dt.datetime | None]
) -> None:
    """Lock the visit's current technician-day and `placements`', then re-read the visit."""
    schedule_checks.lock_days(
        session,
        schedule_checks.days_touched(
            session, [(visit.technician_id, visit.planned_start), *placements]
        ),
    )
    session.refresh(visit, with_for_update=True)


_NEEDS_TECHNICIAN = (LockState.TECHNICIAN, LockState.TECHNICIAN_TIME)
_NEEDS_TIME = (LockState.TIME, LockState.TECHNICIAN_TIME)


def set_lock(session: Session, visit: Visit, lock: LockState) -> Visit:
    """Pin a visit to its technician, its time or both (or release it) for the optimizer.

    Inside its technician-day's lock, and only while the placement it pins still fits.
    """
    _lock_days_of(session, visit)
    if lock == LockState.IN_PROGRESS or visit.lock == LockState.IN_PROGRESS:
        raise Conflict(
            "visit %(visit)s is in progress; its lock follows the technician's phone",
            params={"visit": visit.id},
            code="visit_locked",
        )
    if lock in _NEEDS_TECHNICIAN and visit.technician_id is None:
        raise ValidationFailed(
            "visit %(visit)s has no technician to lock to; move it to one first",
            params={"visit": visit.id},
            code="nothing_to_lock",
            fields={"lock": ["no technician assigned"]},
        )
    if lock in _NEEDS_TIME and visit.planned_start is None:
        raise ValidationFailed(
            "visit %(visit)s has no planned time to lock; move it to a time first",
            params={"visit": visit.id},
            code="nothing_to_lock",
            fields={"lock": ["no planned start"]},
        )
    update_visit(session, visit, {"lock": lock})
    if lock != LockState.NONE:
        schedule_checks.require_feasible(session, [visit])
    return visit
