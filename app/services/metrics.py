"""Satisfaction and service figures by ISO week, optionally sliced.

Figures: CSAT (share of ratings 4-5), NPS (% promoters 9-10 minus % detractors 0-6),
first-time-fix rate (original repairs fixed on the first visit), mean time to resolve (hours
from request to completion), SLA attainment (completed visits done by their resolution due time)
and complaint rate (complaints per 100 completed visits).

Slices: visit kind, product line (the visit's order), region (the technician's depot) and
technician. SQL selects and joins the facts of the period; weeks are folded in Python because
an ISO week must be read in the service area's time zone, the same way on PostgreSQL and SQLite.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.i18n.text import N_
from app.models import (
    Complaint,
    Customer,
    Depot,
    Order,
    Rating,
    RepairOutcome,
    Technician,
    Visit,
    VisitStatus,
)
from app.services.sla.policies import active_policies, policy_for


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    unit: str
    # Higher is better for every figure but the time to resolve.
    higher_is_better: bool = True


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("csat", N_("CSAT"), "% satisfied"),
        MetricInfo("nps", N_("NPS"), "score"),
        MetricInfo("first_time_fix", N_("First-time fix"), "% of repairs"),
        MetricInfo("time_to_resolve", N_("Mean time to resolve"), "hours", higher_is_better=False),
        MetricInfo("sla_attainment", N_("SLA attainment"), "% on time"),
        MetricInfo(
            "complaint_rate", N_("Complaint rate"), "per 100 visits", higher_is_better=False
        ),
    )
}
SLICES = ("all", "kind", "product_line", "region", "technician")
ALL = "all"


@dataclass(frozen=True)
class Point:
    week: str
    slice: str
    value: float | None
    n: int


@dataclass(frozen=True)
class Series:
    """One figure over the weeks of a period, per slice."""

    metric: MetricInfo
    by: str
    first_day: dt.date
    last_day: dt.date
    weeks: list[str]
    points: list[Point]

    @property
    def slices(self) -> list[str]:
        return sorted({p.slice for p in self.points})

    def values(self, slice_: str) -> dict[str, Point]:
        return {p.week: p for p in self.points if p.slice == slice_}

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric.name,
            "label": self.metric.label,
            "unit": self.metric.unit,
            "by": self.by,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "weeks": self.weeks,
            "series": [
                {
                    "slice": s,
                    "points": [
                        {"week": p.week, "value": p.value, "n": p.n}
                        for p in sorted(self.values(s).values(), key=lambda p: p.week)
                    ],
                }
                for s in self.slices
            ],
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["metric", "week", "slice", "value", "n"])
        for p in sorted(self.points, key=lambda p: (p.week, p.slice)):
            writer.writerow(
                [self.metric.name, p.week, p.slice, "" if p.value is None else p.value, p.n]
            )
        return out.getvalue()


def iso_week(moment: dt.datetime, tz: ZoneInfo) -> str:
    """The ISO week of a moment in the service area's time zone, e.g. "2026-W48"."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(first_day: dt.date, last_day: dt.date) -> list[str]:
    """Every ISO week touching the period, in order."""
    weeks, day = [], first_day - dt.timedelta(days=first_day.weekday())
    while day <= last_day:
        year, week, _ = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += dt.timedelta(days=7)
    return weeks


def default_period(today: dt.date, weeks: int = 8) -> tuple[dt.date, dt.date]:
    """The last `weeks` ISO weeks up to and including the current one."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=weeks - 1), monday + dt.timedelta(days=6)


def compute(
    session: Session,
    metric: str,
    *,
    by: str = ALL,
    first_day: dt.date,
    last_day: dt.date,
    tz: ZoneInfo,
) -> Series:
    """One figure per ISO week (and slice) over [first_day, last_day] in local time."""
    if metric not in METRICS:
        raise ValidationFailed(
            "unknown figure %(metric)r",
            params={"metric": metric},
            fields={"metric": [f"one of {', '.join(METRICS)}"]},
        )
    if by not in SLICES:
        raise ValidationFailed(
            "unknown slice %(by)r",
            params={"by": by},
            fields={"by": [f"one of {', '.join(SLICES)}"]},
        )
    if last_day < first_day:
        raise ValidationFailed("the period ends before it starts", fields={"to": ["before from"]})
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    facts = _FACTS[metric](session, by, start, end)
    if metric == "complaint_rate":
        points = _rate(facts, _completed(session, by, start, end), tz)
    else:
        points = _mean(facts, tz, scale=1 if metric == "time_to_resolve" else 100)
    return Series(
        METRICS[metric], by, first_day, last_day, weeks_between(first_day, last_day), points
    )


# --- facts: (moment, slice, value) rows -----------------------------------------------------

Fact = tuple[dt.datetime, str, float]


def _sliced(stmt: Select[Any], by: str) -> Select[Any]:
    """Add the slice column (visit kind, product line, depot or technician) to a visit query."""
    if by == "kind":
        return stmt.add_columns(Visit.kind)
    if by == "product_line":
        return stmt.outerjoin(Order, Order.id == Visit.order_id).add_columns(Order.product_line)
    if by == "region":
        return (
            stmt.outerjoin(Technician, Technician.id == Visit.technician_id)
            .outerjoin(Depot, Depot.id == Technician.depot_id)
            .add_columns(Depot.name)
        )
    if by == "technician":
        return stmt.outerjoin(Technician, Technician.id == Visit.technician_id).add_columns(
            Technician.name
        )
    return stmt


def _rows(session: Session, stmt: Select[Any], by: str) -> Iterable[tuple[Any, ...]]:
    for row in session.execute(_sliced(stmt, by)):
        *head, label = row if by != ALL else (*row, ALL)
        yield (*head, ALL if by == ALL else str(label) if label is not None else "(none)")


def _csat(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    stmt = (
        select(Rating.created_at, Rating.csat)
        .join(Visit, Visit.id == Rating.visit_id)
        .where(Rating.created_at >= start, Rating.created_at < end)
    )
    return [(at, s, 1.0 if csat >= 4 else 0.0) for at, csat, s in _rows(session, stmt, by)]


def _nps(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    stmt = (
        select(Rating.created_at, Rating.nps)
        .join(Visit, Visit.id == Rating.visit_id)
        .where(Rating.created_at >= start, Rating.created_at < end, Rating.nps.is_not(None))
    )
    return [(at, s, _nps_weight(nps)) for at, nps, s in _rows(session, stmt, by)]


def _nps_weight(nps: int) -> float:
    return 1.0 if nps >= 9 else -1.0 if nps <= 6 else 0.0


def _first_time_fix(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    stmt = (
        select(RepairOutcome.recorded_at, RepairOutcome.first_time_fix)
        .join(Visit, Visit.id == RepairOutcome.visit_id)
        .where(
            RepairOutcome.is_follow_up.is_(False),
            RepairOutcome.recorded_at >= start,
            RepairOutcome.recorded_at < end,
        )
    )
    return [(at, s, 1.0 if ftf else 0.0) for at, ftf, s in _rows(session, stmt, by)]


def _completed_stmt(start: dt.datetime, end: dt.datetime) -> Select[Any]:
    # A completed visit's status never changes again, so its status time is its completion.
    return select(Visit.status_changed_at, Visit.created_at).where(
        Visit.status == VisitStatus.COMPLETED,
        Visit.status_changed_at >= start,
        Visit.status_changed_at < end,
    )


def _time_to_resolve(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    return [
        (done, s, (done - created).total_seconds() / 3600)
        for done, created, s in _rows(session, _completed_stmt(start, end), by)
    ]


def _sla_attainment(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    policies = active_policies(session)
    stmt = (
        select(
            Visit.status_changed_at,
            Visit.created_at,
            Visit.sla_due,
            Visit.kind,
            Visit.priority,
            Customer.tier,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .where(
            Visit.status == VisitStatus.COMPLETED,
            Visit.status_changed_at >= start,
            Visit.status_changed_at < end,
        )
    )
    facts = []
    for done, created, due, kind, priority, tier, s in _rows(session, stmt, by):
        if due is None:
            policy = policy_for(policies, kind, priority, tier)
            if policy is None:
                continue  # no target, nothing to attain
            due = created + dt.timedelta(minutes=policy.resolution_min)
        facts.append((done, s, 1.0 if done <= due else 0.0))
    return facts


def _complaints(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    stmt = (
        select(Complaint.created_at)
        .select_from(Complaint)
        .outerjoin(Visit, Visit.id == Complaint.visit_id)
        .where(Complaint.created_at >= start, Complaint.created_at < end)
    )
    return [(at, s, 1.0) for at, s in _rows(session, stmt, by)]


def _completed(session: Session, by: str, start: dt.datetime, end: dt.datetime) -> list[Fact]:
    return [(done, s, 1.0) for done, _, s in _rows(session, _completed_stmt(start, end), by)]


_FACTS = {
    "csat": _csat,
    "nps": _nps,
    "first_time_fix": _first_time_fix,
    "time_to_resolve": _time_to_resolve,
    "sla_attainment": _sla_attainment,
    "complaint_rate": _complaints,
}


# --- folding into weeks ---------------------------------------------------------------------


def _mean(facts: list[Fact], tz: ZoneInfo, *, scale: float) -> list[Point]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for at, s, value in facts:
        groups[(iso_week(at, tz), s)].append(value)
    return [
        Point(week, s, round(sum(values) / len(values) * scale, 2), len(values))
        for (week, s), values in sorted(groups.items())
    ]


def _rate(complaints: list[Fact], completed: list[Fact], tz: ZoneInfo) -> list[Point]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for at, s, _ in complaints:
        counts[(iso_week(at, tz), s)][0] += 1
    for at, s, _ in completed:
        counts[(iso_week(at, tz), s)][1] += 1
    return [
        Point(week, s, round(c / n * 100, 2) if n else None, n)
        for (week, s), (c, n) in sorted(counts.items())
    ]
