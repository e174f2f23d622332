"""The proposal of a dispatch run as typed data, and its one JSON form (stored and served).

A proposal is what a finished run offers the dispatcher: the routes and the placement of each
visit, the visits left out and why, the promised work it planned around, the published visits
it leaves out (unscheduled on publish, or kept in their slot), its KPIs beside the published
plan's, and the diff. `to_json` and `from_json` are the only translation between this and the
JSON kept in `DispatchRun.proposal`; every reader and writer goes through them.

Times are kept as aware datetimes and written as UTC ISO 8601; days as ISO dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from app.models import DispatchRun
from app.services.proposal_figures import ProposalKpis, Reason

DIFF_KINDS = ("added", "moved", "reassigned", "dropped", "unchanged")


@dataclass(frozen=True)
class Route:
    """A technician's day in the proposal; `visit_ids` are the run's own visits, in order."""

    technician_id: int
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    break_start: dt.datetime | None
    travel_km: float
    travel_min: int
    visit_ids: tuple[int, ...]


@dataclass(frozen=True)
class Assignment:
    """Where and when the proposal places one visit of the run."""

    visit_id: int
    technician_id: int
    day: dt.date
    planned_start: dt.datetime
    arrival: dt.datetime
    end: dt.datetime
    wait_min: int
    slack_min: int
    late_min: int
    sequence: int


@dataclass(frozen=True)
class Unassigned:
    """A visit of the run the proposal leaves out, with why."""

    visit_id: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class FixedVisit:
    """Promised work outside the run that the proposal planned around (never moved)."""

    visit_id: int
    technician_id: int
    planned_start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class LeftOut:
    """A published visit the proposal leaves out: unscheduled on publish, or kept in its slot."""

    visit_id: int
    technician_id: int
    planned_start: dt.datetime
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Slot:
    """A technician and a start: one side of a change."""

    technician_id: int
    planned_start: dt.datetime


@dataclass(frozen=True)
class Change:
    """How the proposal changes one visit: from its published slot to its proposed one."""

    visit_id: int
    before: Slot | None
    after: Slot | None


@dataclass(frozen=True)
class Diff:
    added: tuple[Change, ...] = ()
    moved: tuple[Change, ...] = ()
    reassigned: tuple[Change, ...] = ()
    dropped: tuple[Change, ...] = ()
    unchanged: tuple[Change, ...] = ()

    def of(self, kind: str) -> tuple[Change, ...]:
        """The changes of one kind (one of DIFF_KINDS)."""
        if kind not in DIFF_KINDS:
            raise KeyError(kind)
        return getattr(self, kind)


@dataclass(frozen=True)
class ZoneRepair:
    """What the cross-border repair did after the zones were merged."""

    placed: int
    moved: int
    border_visits: int
    seconds: float
    complete: bool
    searches: int = 1  # whole-day searches the merge compared
    second_kept: bool = False  # the second search's plan was the better one


@dataclass(frozen=True)
class Zones:
    """A proposal solved by zones on several workers: how many, and the repair after."""

    zones: int
    repair: ZoneRepair


@dataclass(frozen=True)
class Proposal:
    status: str
    routes: tuple[Route, ...]
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: ProposalKpis
    published_kpis: ProposalKpis
    kpi_deltas: Mapping[str, float]
    diff: Diff
    fixed: tuple[FixedVisit, ...] = ()
    to_unschedule: tuple[LeftOut, ...] = ()
    kept: tuple[LeftOut, ...] = ()
    zones: Zones | None = None


def proposal_of(run: DispatchRun) -> Proposal | None:
    """The run's stored proposal (None before the run succeeded)."""
    return None if run.proposal is None else from_json(run.proposal)


# --- to JSON ----------------------------------------------------------------------------------


def to_json(proposal: Proposal) -> dict[str, Any]:
    """The proposal as stored on the run and served by the API."""
    data: dict[str, Any] = {
        "status": proposal.status,
        "routes": [_route_json(r) for r in proposal.routes],
        "assignments": [_assignment_json(a) for a in proposal.assignments],
        "unassigned": [unassigned_to_json(u) for u in proposal.unassigned],
        "fixed": [
            {
                "visit_id": f.visit_id,
                "technician_id": f.technician_id,
                "planned_start": _time(f.planned_start),
                "end": _time(f.end),
            }
            for f in proposal.fixed
        ],
        "to_unschedule": [_left_out_json(e) for e in proposal.to_unschedule],
        "kept": [_left_out_json(e) for e in proposal.kept],
        "kpis": asdict(proposal.kpis),
        "published_kpis": asdict(proposal.published_kpis),
        "kpi_deltas": dict(proposal.kpi_deltas),
        "diff": {kind: [_change_json(c) for c in proposal.diff.of(kind)] for kind in DIFF_KINDS},
    }
    if proposal.zones is not None:
        data["zones"] = {"zones": proposal.zones.zones, "repair": asdict(proposal.zones.repair)}
    return data


def unassigned_to_json(unassigned: Unassigned) -> dict[str, Any]:
    """A visit left out, with its reasons (also how a snapshot carries held-back visits)."""
    reasons = [_reason_json(r) for r in unassigned.reasons]
    return {"visit_id": unassigned.visit_id, "reasons": reasons}


def _time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


def _reason_json(reason: Reason) -> dict[str, Any]:
    return {"code": reason.code, "message": reason.message, "details": dict(reason.details)}


def _route_json(route: Route) -> dict[str, Any]:
    return {
        "technician_id": route.technician_id,
        "day": route.day.isoformat(),
        "start": _time(route.start),
        "end": _time(route.end),
        "break_start": _time(route.break_start) if route.break_start else None,
        "travel_km": route.travel_km,
        "travel_min": route.travel_min,
        "visit_ids": list(route.visit_ids),
    }


def _assignment_json(a: Assignment) -> dict[str, Any]:
    return {
        "visit_id": a.visit_id,
        "technician_id": a.technician_id,
        "day": a.day.isoformat(),
        "planned_start": _time(a.planned_start),
        "arrival": _time(a.arrival),
        "end": _time(a.end),
        "wait_min": a.wait_min,
        "slack_min": a.slack_min,
        "late_min": a.late_min,
        "sequence": a.sequence,
    }


def _left_out_json(entry: LeftOut) -> dict[str, Any]:
    return {
        "visit_id": entry.visit_id,
        "technician_id": entry.technician_id,
        "planned_start": _time(entry.planned_start),
        "reasons": [_reason_json(r) for r in entry.reasons],
    }


def _change_json(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {"visit_id": change.visit_id}
    for key, slot in (("from", change.before), ("to", change.after)):
        if slot is not None:
            data[key] = {
                "technician_id": slot.technician_id,
                "planned_start": _time(slot.planned_start),
            }
    return data


# --- from JSON --------------------------------------------------------------------------------


def from_json(data: Mapping[str, Any]) -> Proposal:
    """The proposal `to_json` wrote (`fixed`, `to_unschedule`, `kept` and `zones` may be absent)."""
    zones = data.get("zones")
    return Proposal(
        status=data["status"],
        routes=tuple(_route(r) for r in data["routes"]),
        assignments=tuple(_assignment(a) for a in data["assignments"]),
        unassigned=tuple(unassigned_from_json(u) for u in data["unassigned"]),
        kpis=ProposalKpis(**data["kpis"]),
        published_kpis=ProposalKpis(**data["published_kpis"]),
        kpi_deltas=dict(data["kpi_deltas"]),
        diff=Diff(**{kind: tuple(_change(c) for c in data["diff"][kind]) for kind in DIFF_KINDS}),
        fixed=tuple(
            FixedVisit(f["visit_id"], f["technician_id"], _at(f["planned_start"]), _at(f["end"]))
            for f in data.get("fixed", ())
        ),
        to_unschedule=tuple(_left_out(e) for e in data.get("to_unschedule", ())),
        kept=tuple(_left_out(e) for e in data.get("kept", ())),
        zones=Zones(zones["zones"], ZoneRepair(**zones["repair"])) if zones else None,
    )


def unassigned_from_json(data: Mapping[str, Any]) -> Unassigned:
    """The visit left out `unassigned_to_json` wrote."""
    return Unassigned(data["visit_id"], tuple(_reason(r) for r in data["reasons"]))


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _reason(data: Mapping[str, Any]) -> Reason:
    return Reason(data["code"], data["message"], dict(data.get("details") or {}))


def _route(data: Mapping[str, Any]) -> Route:
    return Route(
        technician_id=data["technician_id"],
        day=dt.date.fromisoformat(data["day"]),
        start=_at(data["start"]),
        end=_at(data["end"]),
        break_start=_at(data["break_start"]) if data.get("break_start") else None,
        travel_km=data["travel_km"],
        travel_min=data["travel_min"],
        visit_ids=tuple(data["visit_ids"]),
    )


def _assignment(data: Mapping[str, Any]) -> Assignment:
    return Assignment(
        visit_id=data["visit_id"],
        technician_id=data["technician_id"],
        day=dt.date.fromisoformat(data["day"]),
        planned_start=_at(data["planned_start"]),
        arrival=_at(data["arrival"]),
        end=_at(data["end"]),
        wait_min=data["wait_min"],
        slack_min=data["slack_min"],
        late_min=data["late_min"],
        sequence=data["sequence"],
    )


def _left_out(data: Mapping[str, Any]) -> LeftOut:
    return LeftOut(
        visit_id=data["visit_id"],
        technician_id=data["technician_id"],
        planned_start=_at(data["planned_start"]),
        reasons=tuple(_reason(r) for r in data["reasons"]),
    )


def _change(data: Mapping[str, Any]) -> Change:
    def slot(side: Mapping[str, Any] | None) -> Slot | None:
        return None if side is None else Slot(side["technician_id"], _at(side["planned_start"]))

    return Change(data["visit_id"], slot(data.get("from")), slot(data.get("to")))
