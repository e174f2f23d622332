"""Reviewing a proposal beside the published plan: its placements, KPIs, diff and marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n.text import N_
from app.models import DispatchRun, Technician
from app.services.board.timeline import Placement
from app.services.proposal_figures import KPI_LABELS


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
