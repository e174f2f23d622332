"""The SLA check: re-time today's published routes with what the phones reported and the
planner's travel model (`app.services.travel`), warn once when a visit is projected to miss a
target before it does, and escalate once at breach: an outbox message to the dispatchers and a
flag on the board."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.config import Settings
from app.database import utcnow
from app.i18n.labels import label_id
from app.i18n.text import N_, Text
from app.models import AlertLevel, Complaint, ComplaintStage, SlaAlert, Visit
from app.models.visits import OPEN_STATUSES
from app.services.sla.alerts import escalate
from app.services.sla.clocks import Clock, ClockState, complaint_clock, visit_clocks
from app.services.sla.policies import active_policies, policy_for
from app.services.sla.progress import progress_of
from app.services.sla.projection import project_day
from app.services.travel import travel_model


@dataclass
class CheckResult:
    """What one SLA check raised (only new alerts; repeats are not raised again)."""

    checked_visits: int = 0
    checked_complaints: int = 0
    warnings: list[SlaAlert] = field(default_factory=list)
    breaches: list[SlaAlert] = field(default_factory=list)



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
        escalate(session, settings, alert, text)
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
