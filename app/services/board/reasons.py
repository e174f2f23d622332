"""Why a visit waits on the board: the reasons the optimizer gave, as pages word them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DispatchRun, RunStatus
from app.services.dispatching.proposal import Proposal, proposal_of

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
    proposal = proposal_of(run) if run is not None else None
    if proposal is None or not wanted:
        return {}
    return {
        visit_id: reasons for visit_id, reasons in proposal_reasons(proposal).items()
        if visit_id in wanted
    }


def proposal_reasons(proposal: Proposal) -> dict[int, list[Reason]]:
    """Why the proposal leaves each of its unassigned visits out."""
    return {
        u.visit_id: [(r.code, r.message, r.details) for r in u.reasons]
        for u in proposal.unassigned
    }

