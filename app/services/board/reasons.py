"""Why a visit waits on the board: the reasons the optimizer gave, as pages word them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DispatchRun, RunStatus

# (code, English message, details): pages word a reason from its code and details.
Reason = tuple[str, str, Mapping[str, Any]]
NOT_PLANNED: Reason = ("not_planned", "Not planned yet: run the optimizer or move it by hand.", {})


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



def proposal_reasons(proposal: Mapping[str, Any]) -> dict[int, list[Reason]]:
    return {
        u["visit_id"]: [(r["code"], r["message"], r.get("details") or {}) for r in u["reasons"]]
        for u in proposal["unassigned"]
    }

