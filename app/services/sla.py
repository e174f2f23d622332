"""SLA clocks: which policy applies, when each target is due, and the check that acts on them.

A visit has two clocks: *response* (request → technician on site) and *resolution* (request →
completed). The request time is the visit's creation. The response target always comes from the
policy; the resolution target is the visit's own `sla_due` when one was promised, else the
policy's. A complaint has one clock: the due time of its current stage.

The check re-times today's published routes with what the phones reported (on site, completed)
and the planner's travel model (`app.services.travel`), warns once when a visit is projected to
miss a target before it does, and escalates once at breach: an outbox message to the
dispatchers and a flag on the board.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.config import Settings
from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.i18n.catalog import render
from app.i18n.labels import label_id
from app.i18n.text import N_, Text
from app.models import (
    AlertLevel,
    Complaint,
    ComplaintStage,
    CustomerTier,
    Role,
    SlaAlert,
    SlaPolicy,
    Technician,
    User,
    Visit,
    VisitKind,
    VisitStatus,
    VisitStatusChange,
)
from app.models.visits import OPEN_STATUSES
from app.services.outbox import Draft, queue_message
from app.services.travel import travel_model
from dispatch.travel import GeodesicProvider

RESPONSE = "response"
RESOLUTION = "resolution"
ON_ROUTE = (
    VisitStatus.SCHEDULED,
    VisitStatus.DISPATCHED,
    VisitStatus.EN_ROUTE,
    VisitStatus.ON_SITE,
    VisitStatus.COMPLETED,
    VisitStatus.INCOMPLETE,
)


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


@dataclass(frozen=True)
class Projection:
    """When a visit is expected to start and end, given progress so far."""

    visit_id: int
    arrival: dt.datetime
    end: dt.datetime


@dataclass
class CheckResult:
    """What one SLA check raised (only new alerts; repeats are not raised again)."""

    checked_visits: int = 0
    checked_complaints: int = 0
    warnings: list[SlaAlert] = field(default_factory=list)
    breaches: list[SlaAlert] = field(default_factory=list)


# --- policies -------------------------------------------------------------------------------


def active_policies(session: Session) -> list[SlaPolicy]:
    """Every active policy, in a stable order."""
    return list(session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True))))


def policy_for(
    policies: Iterable[SlaPolicy], kind: VisitKind, priority: int, tier: CustomerTier
) -> SlaPolicy | None:
    """The most specific policy matching; kind counts most, then tier, then priority."""
    best, best_rank = None, -1
    for policy in policies:
        if policy.kind not in (None, kind) or policy.tier not in (None, tier):
            continue
        if policy.priority not in (None, priority):
            continue
        rank = 4 * (policy.kind is not None) + 2 * (policy.tier is not None)
        rank += policy.priority is not None
        if rank > best_rank or (rank == best_rank and policy.id < best.id):
            best, best_rank = policy, rank
    return best


# --- clocks ---------------------------------------------------------------------------------


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


def progress_of(
    session: Session, visit_ids: Sequence[int]
) -> dict[int, dict[VisitStatus, dt.datetime]]:
    """Server times at which each visit last reached en route, on site and completed."""
    if not visit_ids:
        return {}
    rows = session.execute(
        select(VisitStatusChange.visit_id, VisitStatusChange.to_status, VisitStatusChange.at)
        .where(
            VisitStatusChange.visit_id.in_(visit_ids),
            VisitStatusChange.to_status.in_(
                (
                    VisitStatus.EN_ROUTE,
                    VisitStatus.ON_SITE,
                    VisitStatus.COMPLETED,
                    VisitStatus.INCOMPLETE,
                )
            ),
        )
        .order_by(VisitStatusChange.id)
    )
    found: dict[int, dict[VisitStatus, dt.datetime]] = {}
    for visit_id, status, at in rows:
        found.setdefault(visit_id, {})[status] = at
    return found


# --- re-timing today's routes ---------------------------------------------------------------


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


# --- the check ------------------------------------------------------------------------------


def run_check(session: Session, settings: Settings, now: dt.datetime | None = None) -> CheckResult:
    """Re-time today's routes, then warn and escalate (once each) on every open visit/complaint."""
    now = now or utcnow()
    tz = ZoneInfo(settings.time_zone)
    result = CheckResult()
    projections = project_day(
        session, now.astimezone(tz).date(), tz, now, travel_model(settings)
    )
    policies = active_policies(session)
    visits = list(
        session.scalars(
            select(Visit)
            .where(Visit.status.in_(OPEN_STATUSES))
            .options(selectinload(Visit.customer))
        )
    )
    progress = progress_of(session, [v.id for v in visits])
    existing = _existing_alerts(session)
    live: set[AlertKey] = set()
    for visit in visits:
        policy = policy_for(policies, visit.kind, visit.priority, visit.customer.tier)
        for c in visit_clocks(
            visit,
            policy,
            now,
            progress=progress.get(visit.id),
            projection=projections.get(visit.id),
        ):
            key = _act(
                session, settings, result, existing, "visit", visit.id, c, _visit_label(visit)
            )
            live.add(key)
        result.checked_visits += 1
    complaints = session.scalars(select(Complaint).where(Complaint.stage != ComplaintStage.CLOSED))
    for complaint in complaints:
        c = complaint_clock(complaint, now, settings.sla_complaint_warn_min)
        if c is not None:
            label = Text(
                N_("complaint %(id)s (%(stage)s)"),
                {
                    "id": complaint.id,
                    "stage": Text(label_id("complaint_stage", complaint.stage)),
                },
            )
            live.add(_act(session, settings, result, existing, "complaint", complaint.id, c, label))
        result.checked_complaints += 1
    _settle(existing, live, now)
    session.flush()
    return result


def _settle(existing: dict[AlertKey, SlaAlert], live: set[AlertKey], now: dt.datetime) -> None:
    """Resolve alerts whose condition is over (done, closed, on track); reopen those back."""
    for key, alert in existing.items():
        if key in live:
            alert.resolved_at = None
        elif alert.resolved_at is None:
            alert.resolved_at = now


def _visit_label(visit: Visit) -> Text:
    return Text(
        N_("%(kind)s visit %(id)s for %(customer)s"),
        {
            "kind": Text(label_id("kind", visit.kind)),
            "id": visit.id,
            "customer": visit.customer.name,
        },
    )


AlertKey = tuple[str, int, str, str] | None


def _existing_alerts(session: Session) -> dict[AlertKey, SlaAlert]:
    return {
        (a.subject, a.subject_id, a.target, str(a.level)): a
        for a in session.scalars(select(SlaAlert))
    }


def _act(
    session: Session,
    settings: Settings,
    result: CheckResult,
    existing: dict[AlertKey, SlaAlert],
    subject: str,
    subject_id: int,
    c: Clock,
    label: Text,
) -> AlertKey:
    """Raise the clock's alert unless raised before; returns the alert's key (None: no alert)."""
    if c.state == ClockState.BREACHED:
        level = AlertLevel.BREACH
    elif c.state == ClockState.WARNING and (c.projected_miss or subject == "complaint"):
        # A visit on track only nears its due time; warn when it is projected to miss it.
        level = AlertLevel.WARNING
    else:
        return None
    key = (subject, subject_id, c.target, str(level))
    if key in existing:
        return key
    alert = SlaAlert(
        subject=subject,
        subject_id=subject_id,
        target=c.target,
        level=level,
        due_at=c.due,
        projected_at=c.projected_at,
        message=str(text := _message(label, c, level, ZoneInfo(settings.time_zone))),
        created_at=utcnow(),
    )
    session.add(alert)
    existing[key] = alert
    if level == AlertLevel.BREACH:
        result.breaches.append(alert)
        _escalate(session, settings, alert, text)
    else:
        result.warnings.append(alert)
    return key


_TARGETS = {"response": N_("response"), "resolution": N_("resolution")}


def _message(label: Text, c: Clock, level: AlertLevel, tz: ZoneInfo) -> Text:
    due = c.due.astimezone(tz).strftime("%m-%d %H:%M")
    params: dict[str, object] = {
        "subject": label,
        "target": Text(_TARGETS.get(c.target, c.target)),
        "due": due,
    }
    if level == AlertLevel.BREACH:
        return Text(N_("%(subject)s: %(target)s target breached (was due %(due)s)."), params)
    projected = c.projected_at.astimezone(tz).strftime("%H:%M") if c.projected_at else "?"
    if c.projected_miss:
        return Text(
            N_(
                "%(subject)s: projected to miss its %(target)s target (due %(due)s, "
                "expected %(expected)s)."
            ),
            {**params, "expected": projected},
        )
    return Text(
        N_("%(subject)s: %(target)s due %(due)s, %(min)s min left."),
        {**params, "min": c.remaining_min},
    )


def alert_recipients(session: Session, settings: Settings) -> list[str]:
    """Who is told about breaches: the configured address, else active dispatchers (or admins)."""
    if settings.sla_alert_email:
        return [settings.sla_alert_email]
    for role in (Role.DISPATCHER, Role.ADMIN):
        emails = list(
            session.scalars(
                select(User.email).where(User.role == role, User.active.is_(True)).order_by(User.id)
            )
        )
        if emails:
            return emails
    return []


def _escalate(session: Session, settings: Settings, alert: SlaAlert, text: Text) -> None:
    languages = dict(session.execute(select(User.email, User.language)).all())
    for recipient in alert_recipients(session, settings):
        locale = languages.get(recipient) or settings.default_locale
        subject = Text(
            N_("SLA breached: %(subject)s %(id)s"),
            {"subject": Text(_SUBJECTS.get(alert.subject, alert.subject)), "id": alert.subject_id},
        )
        queue_message(
            session,
            settings,
            Draft(
                dedupe_key=f"sla:{alert.subject}:{alert.subject_id}:{alert.target}:"
                f"{alert.level}:{recipient}"[:120],
                topic="sla_breach",
                channel="email",
                recipient=recipient,
                subject=render(subject, locale),
                body=render(text, locale),
            ),
        )


_SUBJECTS = {"visit": N_("visit"), "complaint": N_("complaint")}


def open_alerts(session: Session, subject: str, ids: Iterable[int]) -> dict[int, list[SlaAlert]]:
    """Alerts raised on these visits or complaints, newest first."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(SlaAlert)
        .where(SlaAlert.subject == subject, SlaAlert.subject_id.in_(ids))
        .order_by(SlaAlert.id.desc())
    )
    found: dict[int, list[SlaAlert]] = {}
    for alert in rows:
        found.setdefault(alert.subject_id, []).append(alert)
    return found


# --- policies as records ----------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "kind",
    "priority",
    "tier",
    "response_min",
    "resolution_min",
    "warn_before_min",
    "active",
)


def save_policy(session: Session, policy: SlaPolicy, changes: dict[str, object]) -> SlaPolicy:
    """Create or change a policy: targets must be consistent and each scope held by one policy."""
    for name, value in changes.items():
        setattr(policy, name, value)
    if policy.resolution_min < policy.response_min:
        raise ValidationFailed(
            "the resolution target cannot be shorter than the response target",
            fields={"resolution_min": ["shorter than response_min"]},
        )
    clash = session.scalar(
        select(SlaPolicy.id).where(
            _same(SlaPolicy.kind, policy.kind),
            _same(SlaPolicy.priority, policy.priority),
            _same(SlaPolicy.tier, policy.tier),
            SlaPolicy.id != (policy.id or 0),
        )
    )
    if clash is not None:
        raise Conflict(
            "policy %(policy)s already covers this kind, priority and tier",
            params={"policy": clash},
            code="policy_exists",
            details={"policy_id": clash},
        )
    session.add(policy)
    session.flush()
    return policy


def _same(column: Any, value: object) -> Any:
    # NULL means "any" here, and two "any" scopes clash: compare NULL-safely.
    return column.is_(None) if value is None else column == value
