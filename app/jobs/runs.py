"""The stale-run check: fail optimizer runs whose solving process stopped beating."""

from __future__ import annotations

import logging

from app.config import active_settings
from app.database import utcnow
from app.jobs import unit_of_work
from app.services.run_health import fail_stale_runs

log = logging.getLogger(__name__)

STALE_RUNS_JOB_ID = "periodic-stale-runs"


def fail_stale() -> list[int]:
    """Fail every running run without a heartbeat for RUN_STALE_AFTER seconds; returns their ids."""
    settings = active_settings()
    with unit_of_work() as session:
        failed = fail_stale_runs(session, utcnow(), stale_after_s=settings.run_stale_after_s)
    for stale in failed:
        log.warning("dispatch run %s failed: %s", stale.run_id, stale.reason)
    return [stale.run_id for stale in failed]
