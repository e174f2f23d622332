"""Optimizer runs never hang: heartbeats, the stale-run check, and retrying a failed run.

A run is solved by another process (an rq worker, or a process of its own without Redis).
That process stamps `heartbeat_at` while it works; when it dies, the stamps stop and the
stale-run check fails the run with a reason a dispatcher can act on (retry it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import DispatchRun, RunStatus

STALE_REASON = (
    "the solving process stopped answering: no heartbeat since {since} UTC "
    "(the worker was stopped or killed); retry the run"
)


def beat(session: Session, run_id: int, now: dt.datetime) -> None:
    """Stamp a running run as alive (a no-op once the run has finished or been failed)."""
    session.execute(
        update(DispatchRun)
        .where(DispatchRun.id == run_id, DispatchRun.status == RunStatus.RUNNING)
        .values(heartbeat_at=now)
    )


@dataclass(frozen=True)
class StaleRun:
    run_id: int
    last_sign_of_life: dt.datetime
    reason: str


def fail_stale_runs(
    session: Session,
    now: dt.datetime,
    *,
    stale_after_s: float,
    run_ids: tuple[int, ...] = (),
) -> list[StaleRun]:
    """Fail running runs whose last heartbeat (or start) is older than `stale_after_s`.

    Rows are locked and re-checked, so a run that finishes meanwhile is left alone.
    `run_ids` limits the check to those runs (a page polling one run).
    """
    limit = now - dt.timedelta(seconds=stale_after_s)
    stmt = (
        select(DispatchRun)
        .where(
            DispatchRun.status == RunStatus.RUNNING,
            or_(
                DispatchRun.heartbeat_at < limit,
                and_(DispatchRun.heartbeat_at.is_(None), DispatchRun.started_at < limit),
            ),
        )
        .order_by(DispatchRun.id)
        .with_for_update(skip_locked=True)
    )
    if run_ids:
        stmt = stmt.where(DispatchRun.id.in_(run_ids))
    failed = []
    for run in session.scalars(stmt):
        since = run.heartbeat_at or run.started_at or run.created_at
        reason = STALE_REASON.format(since=f"{since:%Y-%m-%d %H:%M:%S}")
        run.status, run.phase, run.finished_at, run.error = (
            RunStatus.FAILED,
            "failed",
            now,
            reason,
        )
        failed.append(StaleRun(run.id, since, reason))
    session.flush()
    return failed


def retry_run(session: Session, run: DispatchRun, *, user_id: int | None) -> DispatchRun:
    """A new queued run repeating a failed one's request; the caller enqueues it after commit."""
    if run.status != RunStatus.FAILED:
        raise Conflict(
            "run %(run)s is %(status)s; only a failed run can be retried",
            params={"run": run.id, "status": str(run.status)},
            code="run_not_failed",
            details={"status": str(run.status)},
        )
    again = DispatchRun(
        params=dict(run.params), requested_by_user_id=user_id, retry_of_run_id=run.id
    )
    session.add(again)
    session.flush()
    return again
