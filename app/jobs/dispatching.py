"""The dispatch run job: solve in the background, reporting progress on the run row."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy import update

from app.config import Settings, active_settings
from app.database import utcnow
from app.jobs import enqueue, unit_of_work, zone_solve
from app.jobs.heartbeat import heartbeat
from app.models import DispatchRun, RunStatus
from app.services.dispatching.runs import RunRequest, store_proposal
from app.services.dispatching.solving import ProgressWriter, compute_proposal

log = logging.getLogger(__name__)


def start_solving(settings: Settings, run_id: int) -> str:
    """Hand a committed, queued run to a worker (or its own process); returns the job id.

    If it cannot be handed over (Redis down, no process can start), the run is failed with the
    reason at once rather than left queued forever, and the error propagates.
    """
    try:
        return enqueue(settings, run_dispatch, run_id, settings.time_zone, long_running=True)
    except Exception as exc:
        with unit_of_work() as session:
            run = session.get(DispatchRun, run_id, with_for_update=True)
            if run is not None and run.status == RunStatus.QUEUED:
                run.status, run.phase, run.finished_at = RunStatus.FAILED, "failed", utcnow()
                run.error = f"the run could not be started: {type(exc).__name__}: {exc}"
        raise


def run_dispatch(run_id: int, time_zone: str) -> None:
    """Solve dispatch run `run_id` and store its proposal (or its failure) on the run."""
    with unit_of_work() as session:
        run = session.get(DispatchRun, run_id, with_for_update=True)
        if run is None or run.status != RunStatus.QUEUED:
            log.warning("dispatch run %s is not queued; skipping", run_id)
            return
        now = utcnow()
        run.status, run.started_at, run.heartbeat_at, run.phase = (
            RunStatus.RUNNING,
            now,
            now,
            "precheck",
        )
        request = RunRequest.from_params(run.params)
    try:
        if zone_solve.split_run(run_id, request, time_zone):
            return  # a large day: zone jobs on the workers and a merge job take it from here
        # The solve reads in one session; results are written in another, so progress
        # updates committed meanwhile never conflict with a long-open transaction.
        with heartbeat(run_id, active_settings().run_heartbeat_s), unit_of_work() as session:
            versions, proposal = compute_proposal(
                session, request, ZoneInfo(time_zone), ProgressWriter(_progress(run_id))
            )
        with unit_of_work() as session:
            run = session.get(DispatchRun, run_id, with_for_update=True)
            if run.status != RunStatus.RUNNING:
                # The stale-run check gave up on it meanwhile; its retry owns the answer now.
                log.warning("dispatch run %s was %s meanwhile; result dropped", run_id, run.status)
                return
            store_proposal(run, versions, proposal)
        log.info(
            "dispatch run %s done: %s assigned, %s unassigned",
            run_id,
            proposal.kpis.assigned,
            proposal.kpis.unassigned,
        )
    except Exception as exc:
        log.exception("dispatch run %s failed", run_id)
        with unit_of_work() as session:
            run = session.get(DispatchRun, run_id, with_for_update=True)
            if run.status == RunStatus.RUNNING:
                run.status, run.phase, run.finished_at = RunStatus.FAILED, "failed", utcnow()
                run.error = f"{type(exc).__name__}: {exc}"
        raise


def _progress(run_id: int):
    def commit(phase: str, best_cost: float | None, solutions: int) -> None:
        values = {"phase": phase, "solutions_found": solutions, "heartbeat_at": utcnow()}
        if best_cost is not None:
            values["best_cost"] = best_cost
        with unit_of_work() as session:
            session.execute(
                update(DispatchRun)
                .where(DispatchRun.id == run_id, DispatchRun.status == RunStatus.RUNNING)
                .values(**values)
            )

    return commit
