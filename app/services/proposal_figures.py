"""What a dispatcher reads in a proposal: KPIs in km, hours and %, reasons naming technicians.

The solver speaks in technician ids and raw figures; this module turns a `dispatch.Plan` into
the figures and sentences the console and the API show. On-time and SLA-miss figures come from
one count (visits with an SLA due, and those of them started late or left out), so they always
agree: on_time_pct = 100 * (sla_visits - sla_misses) / sla_visits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import dispatch


@dataclass(frozen=True)
class ProposalKpis:
    """A plan's figures, in the units a dispatcher thinks in."""

    travel_km: float
    travel_hours: float
    work_hours: float
    utilisation_pct: float
    sla_visits: int
    sla_misses: int
    on_time_pct: float
    assigned: int
    unassigned: int

    def as_json(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Reason:
    """Why a visit is left out: a stable code, a sentence naming technicians, plain details."""

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KpiLabel:
    """How one KPI is shown: its label, its unit, and which way is better."""

    name: str
    label: str
    unit: str
    lower_is_better: bool | None  # None: neither way is better


KPI_LABELS = (
    KpiLabel("assigned", "Visits planned", "", False),
    KpiLabel("unassigned", "Visits left out", "", True),
    KpiLabel("travel_km", "Driving distance", "km", True),
    KpiLabel("travel_hours", "Driving time", "h", True),
    KpiLabel("work_hours", "Work on site", "h", False),
    KpiLabel("utilisation_pct", "Utilisation of working technicians", "%", False),
    KpiLabel("on_time_pct", "Visits with an SLA started on time", "%", False),
    KpiLabel("sla_misses", "SLA misses (late or left out)", "", True),
    KpiLabel("sla_visits", "Visits with an SLA", "", None),
)


def plan_kpis(problem: dispatch.Problem, plan: dispatch.Plan) -> ProposalKpis:
    """The figures of `plan` for `problem` (a proposal, or the published plan evaluated)."""
    due = {v.id for v in problem.visits if v.sla_due is not None}
    stops = [stop for route in plan.routes for stop in route.stops]
    late = sum(1 for s in stops if s.visit_id in due and s.late_min > 0)
    left_out = sum(1 for u in plan.unassigned if u.visit_id in due)
    misses = late + left_out
    work_min = sum((s.end - s.start).total_seconds() / 60 for s in stops)
    return ProposalKpis(
        travel_km=round(sum(r.travel_km for r in plan.routes), 1),
        travel_hours=round(sum(r.travel_min for r in plan.routes) / 60, 1),
        work_hours=round(work_min / 60, 1),
        utilisation_pct=round(plan.kpis.utilisation * 100, 1),
        sla_visits=len(due),
        sla_misses=misses,
        on_time_pct=round(100 * (len(due) - misses) / len(due), 1) if due else 100.0,
        assigned=len(stops),
        unassigned=len(plan.unassigned),
    )


def kpi_deltas(proposed: ProposalKpis, published: ProposalKpis) -> dict[str, float]:
    """Proposed minus published, per KPI."""
    before = published.as_json()
    return {name: round(value - before[name], 1) for name, value in proposed.as_json().items()}


# --- reasons ----------------------------------------------------------------------------------

# The solver names a technician by id as "<id>'s ...", "<id> can ...", "with <id> on ..." or
# "technician <id>": only those places are rewritten, never other numbers in the sentence.
_BY_ID = r"(?<![\w#:./-]){id}(?=(?:'s\b| can\b| on\b| could\b))"
_TECHNICIAN_WORD = r"\b[Tt]echnician {id}\b"


def name_technicians(message: str, details: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """`message` with the technician its details point to named instead of numbered."""
    tech_id = details.get("technician_id")
    name = names.get(str(tech_id)) if tech_id is not None else None
    if not name:
        return message
    key = re.escape(str(tech_id))
    message = re.sub(_TECHNICIAN_WORD.format(id=key), lambda _m: name, message)
    return re.sub(_BY_ID.format(id=key), lambda _m: name, message)


def readable_reason(reason: dispatch.Reason, names: Mapping[str, str]) -> Reason:
    """A solver's reason as a dispatcher reads it: technicians named, details plain JSON."""
    details = _plain(reason.details)
    tech_id = details.get("technician_id")
    if tech_id is not None and str(tech_id) in names:
        details["technician_name"] = names[str(tech_id)]
    return Reason(reason.code, name_technicians(reason.message, reason.details, names), details)


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in details.items()
    }
