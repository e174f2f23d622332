"""The SLA check job: re-time today's routes, warn before misses, escalate breaches."""

from __future__ import annotations

import logging

from app.config import active_settings
from app.jobs import unit_of_work
from app.services.sla.check import run_check

log = logging.getLogger(__name__)


def check_sla() -> dict[str, int]:
    """Run one SLA check and commit what it raised; returns the counts."""
    settings = active_settings()
    with unit_of_work() as session:
        result = run_check(session, settings)
        counts = {
            "visits": result.checked_visits,
            "complaints": result.checked_complaints,
            "warnings": len(result.warnings),
            "breaches": len(result.breaches),
        }
    log.info("SLA check: %s", counts)
    return counts


SLA_JOB_ID = "periodic-sla-check"
