"""What the phones reported: when each visit went en route, on site and was completed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import VisitStatus, VisitStatusChange


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
