"""Reviewing a proposal beside the published plan: its placements, KPIs, diff and marks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n.text import N_
from app.models import Technician
from app.services.board.timeline import Placement
from app.services.dispatching.proposal import Proposal, Slot
from app.services.proposal_figures import KPI_LABELS


def proposed_plan(proposal: Proposal, day: dt.date, tz: ZoneInfo) -> dict[int, Placement]:
    """A proposal for one day, with the promised work it planned around."""
    placed = [*proposal.fixed, *proposal.kept, *proposal.assignments]
    return {
        p.visit_id: Placement(p.technician_id, p.planned_start)
        for p in placed
        if p.planned_start.astimezone(tz).date() == day
    }


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


def kpi_rows(proposal: Proposal) -> list[KpiRow]:
    """Published vs proposed KPIs with their units, and whether each change is an improvement."""
    rows = []
    for kpi in KPI_LABELS:
        delta = proposal.kpi_deltas[kpi.name]
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
                getattr(proposal.published_kpis, kpi.name),
                getattr(proposal.kpis, kpi.name),
                delta,
                better,
            )
        )
    return rows


def diff_entries(session: Session, proposal: Proposal, tz: ZoneInfo) -> dict[str, list[DiffEntry]]:
    """The proposal's diff (added, moved, reassigned, dropped) in words."""
    names = dict(session.execute(select(Technician.id, Technician.name)).all())

    def describe(side: Slot | None) -> str:
        if side is None:
            return N_("not planned")
        at = side.planned_start.astimezone(tz)
        return f"{names.get(side.technician_id, side.technician_id)} {at:%m-%d %H:%M}"

    # What publishing does with a published visit the proposal leaves out, and why.
    fate = {
        e.visit_id: "unscheduled on publish: " + e.reasons[0].message
        for e in proposal.to_unschedule
    }
    fate |= {e.visit_id: "kept as published" for e in proposal.kept}
    return {
        kind: [
            DiffEntry(
                c.visit_id,
                describe(c.before),
                fate.get(c.visit_id, "not planned") if kind == "dropped" else describe(c.after),
            )
            for c in proposal.diff.of(kind)
        ]
        for kind in ("added", "moved", "reassigned", "dropped")
    }


def change_marks(proposal: Proposal) -> dict[int, str]:
    """visit id -> how the proposal changes it, for marking blocks."""
    return {
        c.visit_id: kind
        for kind in ("added", "moved", "reassigned")
        for c in proposal.diff.of(kind)
    }
